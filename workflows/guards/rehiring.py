"""Guards and effects of 考核聘用 (seed 000 第六条; spec §4.3 RH-1…RH-5, RH-W1, §3.7 VOTE, §4.1 TERM-6).

Pure functions of the GuardContext. The facts (see `workflows.assessment_rehiring.rehire_facts`) hold the
worker's appointments in service, the district's terms, the community of the case and the worker's other
open re-hiring cases; the appointment of the case is the one named by `appointment_id`.

Thresholds are exact (CMP-2): a rate `count / N` is compared with the pack's fraction `p` as
`count > p·N` (RH-1), `count ≥ p·N` (RH-2), `count ≤ p·N` (RH-3) in `Fraction` arithmetic, which for the
DONGQU values is the spec's integer form (`2·推荐 > N`, `5·(优+称) ≥ 3·N`, `10·(基+不) ≤ 3·N`).
Percentages appear in messages only (`engine.guards.pct`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from engine import grading as ana
from engine.calendar import DAY, END, Period, deadline
from engine.errors import DefinitionError
from engine.guards import GuardContext, Verdict, pct
from engine.spec import Action, CreateAppointment, DeadlineDue, Effect, EndAppointment, Rule
from engine.text import join_list, t
from workflows.citations import ART4, ART5, ART6_1, ART6_2, ART6_3, ART6_4, ART6_5, P5_8_3, assumption
from workflows.guards import publicity as pub
from workflows.guards.assessment import tier_label
from workflows.guards.common import as_date

if TYPE_CHECKING:
    from storage.records import AppointmentRecord, TermRecord

A03, A09, A12, A14, A24 = assumption(3), assumption(9), assumption(12), assumption(14), assumption(24)

RH_1 = Rule("RH-1", "RH_RECOMMENDATION_NOT_OVER_HALF", (ART6_2, A09))
RH_2 = Rule("RH-2", "RH_EVALUATION_POSITIVE_BELOW_60", (ART6_2, A09))
RH_3 = Rule("RH-3", "RH_EVALUATION_NEGATIVE_OVER_30", (ART6_2, A09))
RH_4 = Rule("RH-4", "RH_OBJECTION_UNRESOLVED", (ART6_5, A14))
RH_4_TIME = Rule("RH-4", "RH_PUBLICITY_RUNNING", (ART6_4, A03))
RH_5 = Rule("RH-5", "RH_PUBLICITY_SCOPE", (ART6_4,))
RH_W1 = Rule("RH-W1", "RH_REP_SHARE", (ART6_2,))
VOTE_1 = Rule("VOTE-1", "VOTE_TALLY_INVALID", (ART6_2,))
CAL_2 = Rule("CAL-2", "PUB_PERIOD", (ART6_4, assumption(1), A03, assumption(4)))
RH_ROSTER = Rule("RH-T5", "RH_ROSTER_EMPTY", (ART6_2,))
RH_OPEN = Rule("RH-OPEN", "RH_APPOINTMENT_NOT_FOUND", (ART5, ART6_1))
RH_TERM = Rule("RH-T1", "RH_TERM_NOT_RENEWAL_OPEN", (ART5, ART6_1))
RH_WINDOW = Rule("RH-T1", "RH_WINDOW_CLOSED", (ART6_1, A24))
RH_T2 = Rule("RH-T2", "RH_WINDOW_STILL_OPEN", (A24,))
RH_T6 = Rule("RH-T6", "RH_THRESHOLDS_ALL_MET", (ART6_2,))
RH_T11 = Rule("RH-T11", "RH_NO_AFFECTING_FINDING", (ART6_5, A14))
RH_FINDING = Rule("RH-FINDING", "PUB_OBJECTION_NOT_FOUND", (ART6_3, A14))
RH_SUCCESSOR = Rule("TERM-6", "RH_NO_SUCCESSOR_TERM", (ART4, A12))
RH_DATES = Rule("RH-DATES", "DATE_ORDER", (ART6_1,))
# PLAN-5 (seed 000 第五篇 §八(三)): the 原则上不予续聘 flag of an annual assessment, read at RH-T3 and RH-T7
# (spec §4.3 Interplay); soft (SOFT-1, A-10): passes only with the override of the pack's override role.
RH_PLAN5 = Rule("PLAN-5", "RH_PLAN5_NOT_RENEW", (P5_8_3, assumption(10)))

# Not-rehired reason codes (spec §4.3), kept in case data `not_rehired_reasons`.
STREET_REJECTED = "STREET_REJECTED"
BUREAU_APPLICATION_DENIED = "BUREAU_APPLICATION_DENIED"
PARTY_DECISION = "PARTY_DECISION"
PUBLICITY_OBJECTION = "PUBLICITY_OBJECTION"
BUREAU_REJECTED = "BUREAU_REJECTED"
NO_LONGER_IN_OFFICE = "NO_LONGER_IN_OFFICE"

# Stored data: appointments.method of a 考核聘用 appointment (= engine.admin.DEFAULT_HIRING_METHOD).
METHOD_REHIRE = "考核聘用"

# ---------------------------------------------------------------- roster (seed 000 第六条2)

ROSTER_CATEGORIES = ("STREET_LEADER", "STREET_MIDDLE_CADRE", "STREET_INVITED", "COMMUNITY_WORKER",
                     "RESIDENT_REP", "UNIT_REP")
REP_CATEGORIES = ("RESIDENT_REP", "UNIT_REP")
REP_SELECTIONS = ("SELF_APPLIED", "DESIGNATED")
ROSTER = "vote_roster"


def present(roster: Any) -> list[Mapping[str, Any]]:
    """The participants present at the meeting: roster entries not marked `present: false`."""
    if not isinstance(roster, list):
        return []
    return [p for p in roster if isinstance(p, Mapping) and p.get("present", True) is not False]


def roster_valid(ctx: GuardContext) -> Verdict:
    """RH-T5: a non-empty roster; each participant with a name, a category of 第六条2 and, for a resident
    or unit representative, how they were selected (自愿申请 / 街道确定)."""
    roster = ctx.value(ROSTER)
    if isinstance(roster, list) and not roster:
        return Verdict.fail(RH_ROSTER)
    if not isinstance(roster, list):
        return Verdict.fail(RH_ROSTER, "RH_ROSTER_INVALID", row="—", item=t("rehire.roster.entry"),
                            expected=t("rehire.roster.entry_expected"), value=_show(roster))
    for row, entry in enumerate(roster, start=1):
        problem = _roster_problem(entry)
        if problem is not None:
            item, expected, value = problem
            return Verdict.fail(RH_ROSTER, "RH_ROSTER_INVALID", row=row, item=t(f"rehire.roster.{item}"),
                                expected=expected, value=_show(value))
    if not present(roster):
        return Verdict.fail(RH_ROSTER)
    return Verdict.passed(RH_ROSTER, participants=len(present(roster)))


def _roster_problem(entry: Any) -> tuple[str, str, Any] | None:
    if not isinstance(entry, Mapping):
        return "entry", t("rehire.roster.entry_expected"), entry
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        return "name", t("payload.empty"), name
    category = entry.get("category")
    if category not in ROSTER_CATEGORIES:
        return "category", _choices("rehire.roster_categories", ROSTER_CATEGORIES), category
    selection = entry.get("selection")
    if (category in REP_CATEGORIES or selection is not None) and selection not in REP_SELECTIONS:
        return "selection", _choices("rehire.rep_selections", REP_SELECTIONS), selection
    if "present" in entry and not isinstance(entry["present"], bool):
        return "present", t("payload.not_bool"), entry["present"]
    return None


def rep_share(ctx: GuardContext) -> Verdict:
    """RH-W1 (SHOULD, SOFT-2): resident + unit representatives ≈ 20% of those present, i.e. their number is
    ⌊p·N⌋ or ⌈p·N⌉ for p = `rehire.rep_share_target`; otherwise a warning. Never blocks."""
    people = present(ctx.value(ROSTER))
    n = len(people)
    if n == 0:
        return Verdict.passed(RH_W1)  # the roster guard reports an empty roster
    target = ctx.policy.fraction("rehire.rep_share_target", RH_W1.id)
    reps = sum(1 for p in people if p.get("category") in REP_CATEGORIES)
    low, high = math.floor(target * n), math.ceil(target * n)
    if reps in (low, high):
        return Verdict.passed(RH_W1, reps=reps, n=n)
    expected = str(low) if low == high else f"{low}–{high}"
    return Verdict.warn(RH_W1, reps=reps, n=n, pct=pct(reps, n),
                        target=pct(target.numerator, target.denominator), expected=expected)


# ---------------------------------------------------------------- tallies (VOTE-1, VOTE-2)


@dataclass(frozen=True)
class TallyShape:
    """One ballot of the meeting (VOTE-3: recommendation and evaluation are tallied separately)."""

    field: str
    name: str  # text key suffix under rehire.tallies
    options: tuple[str, ...]
    blank: str

    @property
    def keys(self) -> tuple[str, ...]:
        return ("issued", "returned", *self.options, self.blank, "invalid")


RECOMMENDATION = TallyShape("recommendation_tally", "recommendation", ("recommend", "not_recommend"),
                            "abstain")
EVALUATION = TallyShape("evaluation_tally", "evaluation", ("excellent", "competent", "basic", "incompetent"),
                        "blank")


def tally_valid(shape: TallyShape) -> Callable[[GuardContext], Verdict]:
    """VOTE-1: every item is a non-negative integer and the tally reconciles:
    Σ options + blank + invalid = returned ≤ issued ≤ participants present."""

    def guard(ctx: GuardContext) -> Verdict:
        tally = ctx.value(shape.field)
        name = t(f"rehire.tallies.{shape.name}")
        expected = join_list(t("text.labelled", label=t(f"rehire.tally_items.{k}"), code=k)
                             for k in shape.keys)
        if not isinstance(tally, Mapping):
            return Verdict.fail(VOTE_1, "VOTE_TALLY_MALFORMED", tally=name, expected=expected)
        unknown = sorted(set(tally) - set(shape.keys))
        if unknown:
            return Verdict.fail(VOTE_1, "VOTE_TALLY_UNKNOWN_ITEM", tally=name, key=unknown[0],
                                expected=expected)
        for key in shape.keys:
            value = tally.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                return Verdict.fail(VOTE_1, "VOTE_TALLY_INVALID", tally=name, key=key,
                                    item=t(f"rehire.tally_items.{key}"),
                                    value=_show(value))
        options = sum(tally[k] for k in shape.options)
        total = options + tally[shape.blank] + tally["invalid"]
        if total != tally["returned"]:
            return Verdict.fail(VOTE_1, "VOTE_TALLY_NOT_RECONCILED", tally=name, options=options,
                                blank=tally[shape.blank], invalid=tally["invalid"], total=total,
                                returned=tally["returned"])
        if tally["returned"] > tally["issued"]:
            return Verdict.fail(VOTE_1, "VOTE_RETURNED_EXCEEDS_ISSUED", tally=name,
                                returned=tally["returned"], issued=tally["issued"])
        people = len(present(ctx.value(ROSTER)))
        if tally["issued"] > people:
            return Verdict.fail(VOTE_1, "VOTE_ISSUED_EXCEEDS_PRESENT", tally=name, issued=tally["issued"],
                                present=people)
        return Verdict.passed(VOTE_1)

    guard.__name__ = f"{shape.name}_tally_valid"
    return guard


def denominator(ctx: GuardContext, shape: TallyShape, tally: Mapping[str, int]) -> int:
    """VOTE-2 / A-09 (`votes.denominator`): ballots returned incl. blank and invalid (`ballots_returned`),
    or valid ballots only (`valid_ballots`)."""
    mode = ctx.policy.get("votes.denominator", "VOTE-2")
    if mode == "ballots_returned":
        return tally["returned"]
    if mode == "valid_ballots":
        return tally["returned"] - tally[shape.blank] - tally["invalid"]
    raise DefinitionError(t("rehire.denominator_unknown", pack=ctx.policy.code, value=mode))


# ---------------------------------------------------------------- thresholds (RH-1, RH-2, RH-3)


@dataclass(frozen=True)
class Rate:
    rule: Rule
    count: int
    n: int
    threshold: Fraction
    passed: bool

    def params(self) -> dict[str, Any]:
        return {"count": self.count, "n": self.n, "pct": pct(self.count, self.n),
                "threshold": pct(self.threshold.numerator, self.threshold.denominator)}

    def verdict(self) -> Verdict:
        return Verdict.passed(self.rule, **self.params()) if self.passed else Verdict.fail(self.rule,
                                                                                              **self.params())

    def record(self) -> dict[str, Any]:
        """The rate as recorded in case data: exact count and denominator, the threshold, the outcome."""
        return {"count": self.count, "denominator": self.n, "rate": f"{self.count}/{self.n}",
                "threshold": str(self.threshold), "display": pct(self.count, self.n), "passed": self.passed}


def recommendation_rate(ctx: GuardContext) -> Rate:
    """RH-1: 民主推荐得票率不过半的不再聘用 — pass iff 推荐 > p·N_rec (p = 1/2: exactly half fails)."""
    tally = ctx.value(RECOMMENDATION.field)
    n = denominator(ctx, RECOMMENDATION, tally)
    p = ctx.policy.fraction("rehire.recommendation_pass_gt", RH_1.id)
    yes = tally["recommend"]
    return Rate(RH_1, yes, n, p, yes > p * n)


def positive_rate(ctx: GuardContext) -> Rate:
    """RH-2: 优秀和称职得票率低于60%的不再聘用 — pass iff (优秀+称职) ≥ q·N_eval."""
    tally = ctx.value(EVALUATION.field)
    n = denominator(ctx, EVALUATION, tally)
    q = ctx.policy.fraction("rehire.evaluation_positive_min", RH_2.id)
    count = tally["excellent"] + tally["competent"]
    return Rate(RH_2, count, n, q, count >= q * n)


def negative_rate(ctx: GuardContext) -> Rate:
    """RH-3: 基本称职和不称职得票率超过30%的不再聘用 — pass iff (基本称职+不称职) ≤ r·N_eval."""
    tally = ctx.value(EVALUATION.field)
    n = denominator(ctx, EVALUATION, tally)
    r = ctx.policy.fraction("rehire.evaluation_negative_max", RH_3.id)
    count = tally["basic"] + tally["incompetent"]
    return Rate(RH_3, count, n, r, count <= r * n)


RATES = (recommendation_rate, positive_rate, negative_rate)


def recommendation_over_half(ctx: GuardContext) -> Verdict:
    return recommendation_rate(ctx).verdict()


def evaluation_positive_enough(ctx: GuardContext) -> Verdict:
    return positive_rate(ctx).verdict()


def evaluation_negative_not_too_high(ctx: GuardContext) -> Verdict:
    return negative_rate(ctx).verdict()


def some_threshold_failed(ctx: GuardContext) -> Verdict:
    """RH-T6 (negative branch): taken only when at least one of RH-1…RH-3 fails."""
    if all(rate(ctx).passed for rate in RATES):
        return Verdict.fail(RH_T6)
    return Verdict.passed(RH_T6)


def on_thresholds(ctx: GuardContext) -> Effect:
    """RH-T6: record every rate exactly; on failure every failing rule (id, code, message) and the reasons."""
    rates = [rate(ctx) for rate in RATES]
    failures = [{"rule_id": r.rule.id, "code": r.rule.code, "message": r.verdict().to_error().message_zh}
                for r in rates if not r.passed]
    data: dict[str, Any] = {"vote_rates": {r.rule.id: r.record() for r in rates},
                            "vote_denominator": ctx.policy.get("votes.denominator", "VOTE-2"),
                            "vote_failures": failures}
    if not failures:
        return Effect(data=data)
    data["not_rehired_reasons"] = [f["code"] for f in failures]
    return Effect(data=data, actions=_end_holdover(ctx, "NOT_REHIRED"))


# ---------------------------------------------------------------- appointment, term, window


def appointment(ctx: GuardContext) -> AppointmentRecord | None:
    """The appointment of the case (in service: ACTIVE or HOLDOVER), from the facts."""
    raw = ctx.value("appointment_id")
    if raw is None:
        return None
    apps: Mapping[int, AppointmentRecord] = ctx.facts.get("appointments") or {}
    return apps.get(int(raw))


def term(ctx: GuardContext) -> TermRecord | None:
    """The expiring term: recorded at opening, else the appointment's term."""
    term_id = ctx.case.data.get("term_id")
    if term_id is None:
        app = appointment(ctx)
        term_id = app.term_id if app is not None else None
    terms: Mapping[int, TermRecord] = ctx.facts.get("terms") or {}
    return terms.get(int(term_id)) if term_id is not None else None


def successor_term(ctx: GuardContext) -> TermRecord | None:
    """The same district's term with the next ordinal (the term the worker is re-hired into)."""
    current = term(ctx)
    if current is None:
        return None
    terms: Mapping[int, TermRecord] = ctx.facts.get("terms") or {}
    return next((x for x in terms.values()
                 if x.district_id == current.district_id and x.ordinal == current.ordinal + 1), None)


def appointment_in_service(ctx: GuardContext) -> Verdict:
    """Opening (TM-3): the appointment is the worker's, in service, of the case's community, with a term."""
    app = appointment(ctx)
    wanted = ctx.value("appointment_id")
    if app is None:
        return Verdict.fail(RH_OPEN, appointment=wanted)
    if app.community_id != ctx.case.community_id:
        return Verdict.fail(RH_OPEN, "RH_APPOINTMENT_COMMUNITY", appointment=wanted)
    if app.term_id is None:
        return Verdict.fail(RH_OPEN, "RH_APPOINTMENT_NO_TERM", appointment=wanted)
    return Verdict.passed(RH_OPEN)


def one_open_case(ctx: GuardContext) -> Verdict:
    """Opening: at most one open re-hiring case per appointment."""
    wanted = ctx.value("appointment_id")
    for case_id, appointment_id in ctx.facts.get("open_rehire_cases") or ():
        if case_id != ctx.case.id and appointment_id is not None and int(appointment_id) == int(wanted):
            return Verdict.fail(RH_OPEN, "RH_CASE_EXISTS", appointment=wanted, case=case_id)
    return Verdict.passed(RH_OPEN)


def term_renewal_open(ctx: GuardContext) -> Verdict:
    """TM-3 / RH-T1: the expiring term is RENEWAL_OPEN (换届中) with an application window."""
    current = term(ctx)
    if current is None:
        return Verdict.passed(RH_TERM)  # reported by appointment_in_service
    if current.status != "RENEWAL_OPEN" or current.window_from is None or current.window_to is None:
        return Verdict.fail(RH_TERM, term=current.ordinal, status=current.status)
    return Verdict.passed(RH_TERM)


def window_not_over(ctx: GuardContext) -> Verdict:
    """Opening: a case opened after its window closed would only be NOT_APPLIED; refuse it instead."""
    current = term(ctx)
    if current is None or current.window_to is None or ctx.today <= current.window_to:
        return Verdict.passed(RH_WINDOW)
    return Verdict.fail(RH_WINDOW, today=ctx.today.isoformat(), window_from=_iso(current.window_from),
                        window_to=current.window_to.isoformat())


def window_open(ctx: GuardContext) -> Verdict:
    """RH-T1: today is within the application window (window_from ≤ today ≤ window_to, both inclusive)."""
    current = term(ctx)
    if current is None or current.window_from is None or current.window_to is None:
        return Verdict.passed(RH_WINDOW)  # reported by term_renewal_open
    applied = as_date(ctx.value("applied_on")) or ctx.today
    if current.window_from <= ctx.today <= current.window_to and current.window_from <= applied:
        return Verdict.passed(RH_WINDOW)
    return Verdict.fail(RH_WINDOW, today=ctx.today.isoformat(), window_from=current.window_from.isoformat(),
                        window_to=current.window_to.isoformat())


def window_over(ctx: GuardContext) -> Verdict:
    """RH-T2: the window has closed (read live, so a window extended after opening is respected)."""
    current = term(ctx)
    window_to = current.window_to if current is not None else as_date(ctx.case.data.get("window_to"))
    if window_to is None or ctx.today > window_to:
        return Verdict.passed(RH_T2)
    return Verdict.fail(RH_T2, window_to=window_to.isoformat())


def has_successor_term(ctx: GuardContext) -> Verdict:
    """RH-T12 / TERM-6: the successor term exists (the new appointment belongs to it)."""
    if successor_term(ctx) is not None:
        return Verdict.passed(RH_SUCCESSOR)
    current = term(ctx)
    return Verdict.fail(RH_SUCCESSOR, ordinal=(current.ordinal + 1) if current else "—")


def on_open(ctx: GuardContext) -> Effect:
    """Record what the later steps need from the appointment and term, so they do not depend on records
    that change meanwhile (e.g. the appointment turning HOLDOVER at term end)."""
    app = appointment(ctx)
    current = term(ctx)
    assert app is not None
    assert current is not None
    succ = successor_term(ctx)
    return Effect(data={
        "appointment_id": app.id,
        "appointment_community_id": app.community_id,
        "appointment_category": app.category,
        "appointment_position": app.position,
        "term_id": current.id,
        "term_ordinal": current.ordinal,
        "window_from": _iso(current.window_from),
        "window_to": _iso(current.window_to),
        "successor_term_id": succ.id if succ else None,
    })


def window_due(ctx: GuardContext) -> DeadlineDue:
    """RH-T2: the window closes at the end of its last day (00:00 Asia/Shanghai of the next day)."""
    window_to = as_date(ctx.case.data["window_to"])
    assert window_to is not None
    return deadline(Period(DAY, window_to, at=END), ctx.calendar,
                    window_from=ctx.case.data.get("window_from"), window_to=window_to.isoformat(),
                    rule_text=t("rehire.window_basis", window_to=window_to.isoformat()))


# ---------------------------------------------------------------- PLAN-5 不予续聘 flag (spec §4.3 Interplay)

NOT_RENEW_FLAG = "NOT_RENEW_FLAG"  # the consequence kind (workflows.guards.assessment.consequences)


@dataclass(frozen=True)
class NotRenewFlag:
    """A PLAN-5 NOT_RENEW_FLAG consequence of a FINAL annual-assessment round (`consequences` in the round's
    case data, `workflows.guards.assessment.consequences`): the assessed year, its grade and the prior
    year's grade as the round saw them."""

    year: int
    grade: str
    prior_grade: str | None
    round_id: int
    consequence_id: str


def flags_in_term(ctx: GuardContext) -> list[NotRenewFlag]:
    """The worker's PLAN-5 flags that count at this 考核聘用: from a FINAL round of an assessment year of the
    expiring term (the term covering 31 December of the year, as for DIS-CHZ-3 — DECISIONS 13) whose grades
    still stand in the worker's grade records (a correction or withdrawal of the year's grade, or of the
    prior year's 基本称职 behind a two-year flag, lifts it — as for the HONGSHAN flags, DECISIONS 18)."""
    current = term(ctx)
    if current is None:
        return []
    grades: Mapping[int, str] = ctx.facts.get("recorded_grades") or {}
    if not any(grade in (ana.INCOMPETENT, ana.BASIC) and current.start_date <= date(year, 12, 31)
               <= current.end_date for year, grade in grades.items()):
        return []  # no standing grade of the term can carry a flag: the rounds need not be read
    out: list[NotRenewFlag] = []
    for flag in ctx.facts.get("plan5_flags") or ():
        if not current.start_date <= date(flag.year, 12, 31) <= current.end_date:
            continue
        if grades.get(flag.year) != flag.grade:
            continue
        if flag.grade != ana.INCOMPETENT and not (flag.grade == ana.BASIC and flag.prior_grade == ana.BASIC
                                               and grades.get(flag.year - 1) == ana.BASIC):
            continue
        if all(f.year != flag.year for f in out):
            out.append(flag)
    return sorted(out, key=lambda f: f.year)


def no_plan5_not_renew_flag(ctx: GuardContext) -> Verdict:
    """RH-T3 / RH-T7 (PLAN-5, SOFT-1): where the pack enables PLAN5 (`assessment.plan5_enabled`), a worker
    who carries a 原则上不予续聘 flag from the expiring term is refused unless the pack's override role
    (A-10: 区民政局) passes it with a reason (`overrides`, engine.evaluate). Only the decisions to go on
    with the re-hiring carry this guard: refusing or not re-hiring is never blocked by it."""
    if not ctx.policy.enabled("assessment.plan5_enabled"):
        return Verdict.passed(RH_PLAN5)
    flags = flags_in_term(ctx)
    if not flags:
        return Verdict.passed(RH_PLAN5)
    return Verdict.fail(RH_PLAN5, soft=True, flags=join_list(flag_text(ctx, f) for f in flags),
                        years=join_list(str(f.year) for f in flags),
                        grades=join_list(tier_label(ctx.policy, f.grade) for f in flags),
                        rounds=join_list(str(f.round_id) for f in flags))


def flag_text(ctx: GuardContext, flag: NotRenewFlag) -> str:
    """A flag in words, as RH_PLAN5_NOT_RENEW lists it (also `shequ worker show`, workflows.plan5_view)."""
    kind = "incompetent" if flag.grade == ana.INCOMPETENT else "two_basic"
    return t(f"rehire.plan5.{kind}", prior_year=flag.year - 1, year=flag.year,
             grade=tier_label(ctx.policy, flag.grade), case=flag.round_id)


# ---------------------------------------------------------------- decisions and endings


def _end_holdover(ctx: GuardContext, end_reason: str) -> tuple[Action, ...]:
    """TERM-6: an appointment held over while this case was open ends when the case ends without re-hire;
    its last day of service is the day the case ends."""
    raw = ctx.case.data.get("appointment_id")
    apps: Mapping[int, AppointmentRecord] = ctx.facts.get("appointments") or {}
    app = apps.get(int(raw)) if raw is not None else None
    if app is None or app.status != "HOLDOVER":
        return ()
    return (EndAppointment(app.id, ctx.today, end_reason),)


def ending(reasons: tuple[str, ...] = (),
           end_reason: str | None = "NOT_REHIRED") -> Callable[[GuardContext], Effect]:
    """Effect of a step into a terminal state other than REHIRED: the reason codes (NOT_REHIRED only) and
    the end of a held-over appointment (NOT_APPLIED and WITHDRAWN end it as EXPIRED, A-24). With
    `end_reason=None` the appointment is left alone (another procedure ends it)."""

    def effect(ctx: GuardContext) -> Effect:
        data: dict[str, Any] = {"not_rehired_reasons": list(reasons)} if reasons else {}
        return Effect(data=data, actions=_end_holdover(ctx, end_reason) if end_reason else ())

    effect.__name__ = f"ending_{'_'.join(reasons) or end_reason or 'moot'}".lower()
    return effect


def on_street_review(ctx: GuardContext) -> Effect:
    return Effect(data={"street_reviewed_by": ctx.actor.login, "street_review_role": ctx.actor.role})


def on_report(ctx: GuardContext) -> Effect:
    """RH-T10: the report carries the objection summary."""
    return Effect(data={"objection_summary": pub.summary(ctx.case.data)})


def on_rehire(ctx: GuardContext) -> Effect:
    """RH-T12: the successor appointment in the new term, starting max(term start, approval date) (TERM-6,
    A-12), ending with the term (A-11), linked to its predecessor. A held-over predecessor ends the day
    before (no gap, no overlap)."""
    succ = successor_term(ctx)
    decided = as_date(ctx.value("rehire_decided_on"))
    assert succ is not None
    assert decided is not None
    assert ctx.case.worker_id is not None
    start = max(succ.start_date, decided)
    old_id = int(ctx.case.data["appointment_id"])
    actions: list[Action] = [CreateAppointment(
        worker_id=ctx.case.worker_id, community_id=int(ctx.case.data["appointment_community_id"]),
        category=str(ctx.case.data["appointment_category"]),
        position=ctx.case.data.get("appointment_position"),
        method=METHOD_REHIRE, start_date=start, end_date=succ.end_date, term_id=succ.id,
        decision_no=str(ctx.value("rehire_approval_no")), predecessor_id=old_id)]
    apps: Mapping[int, AppointmentRecord] = ctx.facts.get("appointments") or {}
    old = apps.get(old_id)
    if old is not None and old.status == "HOLDOVER":
        actions.append(EndAppointment(old_id, start - timedelta(days=1), "EXPIRED"))
    return Effect(data={"successor_start_date": start.isoformat(),
                        "successor_end_date": succ.end_date.isoformat(), "successor_term_id": succ.id},
                  actions=tuple(actions))


# ---------------------------------------------------------------- helpers


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _show(value: Any) -> str:
    if value is None:
        return t("rehire.not_filled")
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f"“{value}”"


def _choices(key: str, codes: tuple[str, ...]) -> str:
    return join_list(t("text.coded", code=c, label=t(f"{key}.{c}")) for c in codes)
