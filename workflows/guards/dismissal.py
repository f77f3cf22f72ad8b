"""Guards and effects of 解除聘用 (seed 000 第二十三条; spec §4.7 DS-1…DS-8, DIS-1, DIS-2) and
the computed grounds DIS-G7a, DIS-G7b (annual grades), DIS-G8 (ABS-3 absences) and DIS-G9 (office after 换届).

Pure functions of the context: the facts (grades, absence days, elected office, terms, open cases) are
loaded by `workflows.dismissal.dismissal_facts` before the guards run. `finding` is the single place a
computed ground is decided; `workflows.records` uses it to open or close cases when data is recorded, and
the guards below use it again, so neither SYSTEM nor anyone else can open a computed case the data does
not support, nor close one the data still supports.

Grounds per pack (`dismissal.grounds`): DONGQU lists seed 000 第二十三条 1–10; CHUZHOU lists its
own exit situations (seed 002 滁州·建立职业退出机制): DIS-CHZ-1 受到开除党籍处分 and DIS-CHZ-2
被追究刑事责任 (manual, with evidence) and DIS-CHZ-3 一届任期内两个年度考评不合格 (computed). A
ground a pack does not list is neither opened nor evaluated, so its settings are never read there.
A CHUZHOU case that takes effect ends the appointment ELIMINATED (淘汰出社区工作者队伍), not DISMISSED.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from engine import queries
from engine.absence import Absence, abs3_dismissal
from engine.calendar import BUNDLED, DAY, START, Period, WorkingCalendar, deadline
from engine.errors import DefinitionError, NotConfigured
from engine.guards import GuardContext, Verdict
from engine.policy import Policy
from engine.spec import CloseRelatedCases, DeadlineDue, Effect, EndAppointment, Rule
from engine.text import join_list, t
from workflows.citations import (
    ART23,
    ART23_1,
    ART23_2,
    ART23_3,
    ART23_4,
    ART23_5,
    ART23_6,
    ART23_7,
    ART23_8,
    ART23_9,
    ART23_10,
    S002_CHZ_EXIT,
    assumption,
)
from workflows.guards.common import as_date

if TYPE_CHECKING:
    from workflows.records import GradeFact, OfficeFact

# ---------------------------------------------------------------- grounds

GROUND_CITES = {
    "DIS-G1": ART23_1, "DIS-G2": ART23_2, "DIS-G3": ART23_3, "DIS-G4": ART23_4, "DIS-G5": ART23_5,
    "DIS-G6": ART23_6, "DIS-G7a": ART23_7, "DIS-G7b": ART23_7, "DIS-G8": ART23_8, "DIS-G9": ART23_9,
    "DIS-G10": ART23_10,
    "DIS-CHZ-1": S002_CHZ_EXIT, "DIS-CHZ-2": S002_CHZ_EXIT, "DIS-CHZ-3": S002_CHZ_EXIT,
}
GROUNDS = tuple(GROUND_CITES)
COMPUTED_GROUNDS = ("DIS-G7a", "DIS-G7b", "DIS-G8", "DIS-G9", "DIS-CHZ-3")
MANUAL_GROUNDS = tuple(g for g in GROUNDS if g not in COMPUTED_GROUNDS)
# How a case on the ground ends the appointment (spec §4.1 end_reason): CHUZHOU's exit is 淘汰出社区工作者队伍
# (seed 002 滁州·建立职业退出机制) = ELIMINATED(pack rule); every other ground DISMISSED(ground).
GROUND_OUTCOME = {"DIS-CHZ-1": "ELIMINATED", "DIS-CHZ-2": "ELIMINATED", "DIS-CHZ-3": "ELIMINATED"}

# FINAL grades (seed 000 第十二条), ordinal: 优秀 > 称职 > 基本称职 > 不称职.
GRADES = ("EXCELLENT", "COMPETENT", "BASIC", "INCOMPETENT")
GRADE_RANK = {"INCOMPETENT": 0, "BASIC": 1, "COMPETENT": 2, "EXCELLENT": 3}

# DIS-G9 applies to these categories; the elected body each sits on (seed 000 第二条1–2,
# 第二十三条9).
ELECTED_BODIES = {"PARTY_COMMITTEE_MEMBER": "PARTY_COMMITTEE",
                  "RESIDENTS_COMMITTEE_MEMBER": "RESIDENTS_COMMITTEE"}

# ---------------------------------------------------------------- rules

DIS_1 = Rule("DIS-1", "DIS_COMPUTED_GROUND_NOT_CLOSABLE", (ART23,))
DIS_2 = Rule("DIS-2", "DIS_EVIDENCE_REQUIRED", (assumption(30),))
DIS_OPENER = Rule("DIS-OPENER", "DIS_GROUND_COMPUTED_BY_SYSTEM", (ART23, assumption(30)))
DIS_PARTICULARS = Rule("DIS-PARTICULARS", "DIS_ALLEGATION_REQUIRED", (assumption(30),))
DIS_APPT = Rule("DIS-APPT", "DIS_NO_ACTIVE_APPOINTMENT", (ART23, assumption(30)))
DIS_ONE_CASE = Rule("DIS-ONE-CASE", "DIS_CASE_ALREADY_OPEN", (ART23, assumption(30)))
DIS_DATES = Rule("DIS-DATES", "DATE_ORDER", (assumption(30),))
DIS_NOTICE = Rule("DIS-NOTICE", "DIS_NOTICE_NOT_RECORDED", (assumption(30),))
DIS_EFFECT = Rule("DIS-EFFECT", "DIS_NOT_YET_EFFECTIVE", (assumption(30),))
DIS_CORRECTED = Rule("DIS-CORRECTED", "DIS_GROUND_STILL_HOLDS", (ART23, assumption(39)))
DIS_MOOT = Rule("DIS-MOOT", "DIS_APPOINTMENT_STILL_ACTIVE", (assumption(31),))
DIS_PACK = Rule("DIS-PACK", "DIS_GROUND_NOT_IN_PACK", (assumption(41),))
GROUND_RULES = {
    "DIS-G7a": Rule("DIS-G7a", "DIS_GROUND_NOT_MET", (ART23_7, assumption(20))),
    "DIS-G7b": Rule("DIS-G7b", "DIS_GROUND_NOT_MET", (ART23_7, assumption(19), assumption(20))),
    "DIS-G8": Rule("DIS-G8", "DIS_GROUND_NOT_MET", (ART23_8, assumption(17))),
    "DIS-G9": Rule("DIS-G9", "DIS_GROUND_NOT_MET", (ART23_9,)),
    "DIS-CHZ-3": Rule("DIS-CHZ-3", "DIS_GROUND_NOT_MET", (S002_CHZ_EXIT,)),
}


def ground_label(ground: str) -> str:
    return f"{ground} {t(f'dismissal.grounds.{ground}')}"


def pack_grounds(policy: Policy) -> tuple[str, ...]:
    """The grounds the pack lists (`dismissal.grounds`); UNSPECIFIED raises NotConfigured (A-41)."""
    listed = policy.get("dismissal.grounds", DIS_PACK.id)
    unknown = [str(g) for g in listed if g not in GROUND_CITES]
    if unknown:
        raise DefinitionError(t("definition.pack_unknown_ground", pack=policy.code,
                                grounds=join_list(unknown)))
    return tuple(str(g) for g in listed)


def pack_computed_grounds(policy: Policy) -> tuple[str, ...]:
    """The computed grounds the pack lists (COMPUTED_GROUNDS order): those `workflows.records` evaluates."""
    listed = set(pack_grounds(policy))
    return tuple(g for g in COMPUTED_GROUNDS if g in listed)


# ---------------------------------------------------------------- computed grounds (pure)


@dataclass(frozen=True)
class Finding:
    """Whether a computed ground holds on the current facts, with the facts that make it hold (JSON-native,
    stored as the case's trigger facts) or a Chinese explanation of why it does not."""

    ground: str
    holds: bool
    facts: Mapping[str, Any]
    why_not: str = ""


def term_of_year_fn(terms: Sequence[Any]) -> Callable[[int], int | None]:
    """The term an assessment year belongs to: the one covering 31 December of that year (the year is
    assessed at its end). Used only when the pack resets chains at 换届 (A-20 alternative)."""

    def term_of(year: int) -> int | None:
        end = date(year, 12, 31)
        for term in terms:
            if term.start_date <= end <= term.end_date:
                return int(term.id)
        return None

    return term_of


def chain_windows(grades: Mapping[int, str], length: int, qualifies: Callable[[str], bool],
                  term_of: Callable[[int], int | None] | None = None) -> list[tuple[int, ...]]:
    """Every run of `length` consecutive calendar years, each with a FINAL grade that `qualifies`, in year
    order (A-20: a year without a grade breaks the chain). With `term_of`, the years must also lie in one
    term (a chain reset at 换届)."""
    if length < 1:
        raise ValueError("a chain has at least one year")
    windows: list[tuple[int, ...]] = []
    for end in sorted(grades):
        years = tuple(range(end - length + 1, end + 1))
        if not all(y in grades and qualifies(grades[y]) for y in years):
            continue
        if term_of is not None:
            terms = {term_of(y) for y in years}
            if len(terms) != 1 or None in terms:
                continue
        windows.append(years)
    return windows


def _grade_chain(ground: str, facts: Mapping[str, Any], policy: Policy, key: str,
                 qualifies: Callable[[str], bool], why_key: str) -> Finding:
    length = policy.int(key, ground)
    reset = policy.bool("dismissal.consecutive_reset_at_term_change", ground)
    grades: Mapping[int, GradeFact] = facts.get("grades") or {}
    by_year = {year: g.grade for year, g in grades.items()}
    term_of = term_of_year_fn(facts.get("terms") or ()) if reset else None
    windows = chain_windows(by_year, length, qualifies, term_of)
    recorded = join_list(f"{y} {queries.grade_label(by_year[y], policy)}" for y in sorted(by_year)) \
        or t("text.none")
    if not windows:
        return Finding(ground, False, {"rule": ground, "years_required": length},
                       t(why_key, n=length, recorded=recorded))
    years = windows[-1]
    return Finding(ground, True, {
        "rule": ground,
        "years_required": length,
        "years": list(years),
        "grades": {str(y): by_year[y] for y in years},
        "grade_record_ids": [grades[y].id for y in years],
        "reset_at_term_change": reset,
    })


def g7a(facts: Mapping[str, Any], policy: Policy) -> Finding:
    """DIS-G7a: FINAL 不称职 in `consecutive_incompetent_years` (2) consecutive assessment years."""
    return _grade_chain("DIS-G7a", facts, policy, "dismissal.consecutive_incompetent_years",
                        lambda g: g == "INCOMPETENT", "dismissal.why_not.DIS-G7a")


def g7b(facts: Mapping[str, Any], policy: Policy) -> Finding:
    """DIS-G7b: `years_without_competent` (3) consecutive years with no grade ≥ 称职 (A-19: 优秀
    counts as ≥ 称职)."""
    return _grade_chain("DIS-G7b", facts, policy, "dismissal.years_without_competent",
                        lambda g: GRADE_RANK[g] < GRADE_RANK["COMPETENT"], "dismissal.why_not.DIS-G7b")


def g8(facts: Mapping[str, Any], policy: Policy) -> Finding:
    """DIS-G8 (ABS-3): a run > `absence_run_gt` working days, or > `absence_year_gt` within one year."""
    absences: Sequence[Absence] = facts.get("absences") or ()
    run_gt = policy.fraction("dismissal.absence_run_gt", "DIS-G8")
    year_gt = policy.fraction("dismissal.absence_year_gt", "DIS-G8")
    window = str(policy.get("dismissal.absence_window", "DIS-G8"))
    calendar: WorkingCalendar = facts.get("calendar") or BUNDLED  # CAL-1 with imported data (ground_facts)
    check = abs3_dismissal(absences, run_gt=run_gt, year_gt=year_gt, window=window,
                           is_working_day=calendar.is_working_day)
    facts_out = {**check.to_facts(), "window": window}
    if check.exceeded:
        return Finding("DIS-G8", True, facts_out)
    return Finding("DIS-G8", False, facts_out, t("dismissal.why_not.DIS-G8", run=str(check.longest_run),
                                                   run_gt=str(run_gt), total=str(check.largest_total),
                                                   year_gt=str(year_gt)))


def worker_category(facts: Mapping[str, Any]) -> str | None:
    """The category of the current appointment, else the personnel record's."""
    appointment, worker = facts.get("appointment"), facts.get("worker")
    if appointment is not None and getattr(appointment, "category", None):
        return str(appointment.category)
    return str(worker.category) if worker is not None and worker.category else None


def g9(facts: Mapping[str, Any], policy: Policy) -> Finding:
    """DIS-G9 (TERM-4): a 两委 worker whose latest recorded 换届 result says no longer in office."""
    category = worker_category(facts)
    if category not in ELECTED_BODIES:
        return Finding("DIS-G9", False, {"rule": "DIS-G9", "category": category},
                       t("dismissal.why_not.DIS-G9-category", category=category or "—"))
    offices: Sequence[OfficeFact] = sorted(facts.get("offices") or (), key=lambda o: (o.election_date, o.id))
    latest = offices[-1] if offices else None
    if latest is None or latest.in_office:
        return Finding("DIS-G9", False, {"rule": "DIS-G9", "category": category},
                       t("dismissal.why_not.DIS-G9",
                         election=latest.election_date.isoformat() if latest else "—"))
    return Finding("DIS-G9", True, {"rule": "DIS-G9", "category": category, "body": latest.body,
                                    "election_date": latest.election_date.isoformat(),
                                    "office_record_id": latest.id})


def chz3(facts: Mapping[str, Any], policy: Policy) -> Finding:
    """DIS-CHZ-3 (seed 002 滁州·建立职业退出机制 "一届任期内两个年度考评不合格"): at least
    `incompetent_years_in_term` (2) FINAL 不合格 years within one term, consecutive or not; a term
    boundary splits the count. The term of an assessment year is the district's term covering 31 December
    of that year (the year is assessed at its end; the same reading as DIS-G7 chains reset at 换届), so a
    three-year term holds three assessment years. A 不合格 year outside every recorded term cannot be
    counted: if it could make the rule hold, the rule refuses (DIS_TERM_NOT_RECORDED) rather than guess."""
    rule = "DIS-CHZ-3"
    needed = policy.get("dismissal.incompetent_years_in_term", rule)
    if isinstance(needed, bool) or int(needed) < 1:
        raise DefinitionError(t("definition.pack_bad_threshold", pack=policy.code,
                                key="dismissal.incompetent_years_in_term"))
    n = int(needed)
    grades: Mapping[int, GradeFact] = facts.get("grades") or {}
    terms = {int(term.id): term for term in facts.get("terms") or ()}
    term_of = term_of_year_fn(tuple(terms.values()))
    failing = sorted(y for y, fact in grades.items() if fact.grade == "INCOMPETENT")
    by_term: dict[int, list[int]] = {}
    outside: list[int] = []
    for year in failing:
        term_id = term_of(year)
        (outside if term_id is None else by_term.setdefault(term_id, [])).append(year)
    held = [tid for tid, years in by_term.items() if len(years) >= n]
    if held:
        term = max((terms[tid] for tid in held), key=lambda tm: tm.start_date)
        years = by_term[int(term.id)]
        return Finding(rule, True, {
            "rule": rule, "years_required": n, "years": years,
            "grades": {str(y): grades[y].grade for y in years},
            "grade_record_ids": [grades[y].id for y in years],
            "term_id": int(term.id), "term_ordinal": int(term.ordinal),
            "term_start": term.start_date.isoformat(), "term_end": term.end_date.isoformat(),
        })
    most = max((len(years) for years in by_term.values()), default=0)
    if outside and most + len(outside) >= n:
        raise NotConfigured("DIS_TERM_NOT_RECORDED", rule_id=rule, citation=str(S002_CHZ_EXIT),
                            details={"ground": ground_label(rule), "years": join_list(outside)})
    counted = join_list(f"{t('dismissal.why_not.term', ordinal=terms[tid].ordinal)} {join_list(years)}"
                        for tid, years in sorted(by_term.items())) or t("text.none")
    return Finding(rule, False, {"rule": rule, "years_required": n},
                   t("dismissal.why_not.DIS-CHZ-3", n=n, counted=counted))


FINDERS: dict[str, Callable[[Mapping[str, Any], Policy], Finding]] = {
    "DIS-G7a": g7a, "DIS-G7b": g7b, "DIS-G8": g8, "DIS-G9": g9, "DIS-CHZ-3": chz3,
}


def finding(ground: str, facts: Mapping[str, Any], policy: Policy) -> Finding:
    """Decide a computed ground on the facts (raises NotConfigured if the pack leaves a value UNSPECIFIED)."""
    return FINDERS[ground](facts, policy)


# ---------------------------------------------------------------- guards


def _ground(ctx: GuardContext) -> str:
    return str(ctx.value("ground"))


def is_computed(ground: str) -> bool:
    return ground in COMPUTED_GROUNDS


def ground_in_pack(ctx: GuardContext) -> Verdict:
    """DS-1: only a ground the district's pack lists (`dismissal.grounds`) can be opened — in CHUZHOU the
    seed 000 第二十三条 grounds do not apply, in DONGQU the 滁州 exit situations do not."""
    ground = _ground(ctx)
    listed = pack_grounds(ctx.policy)
    if ground in listed:  # passes silently: the audit entry cites the ground's own rule, not this check
        return Verdict.passed()
    return Verdict.fail(DIS_PACK, ground=ground_label(ground), pack=ctx.policy.code,
                        grounds=join_list(listed) or t("text.none"))


def opener_matches_ground(ctx: GuardContext) -> Verdict:
    """DS-1: computed grounds (G7–G9) are opened by SYSTEM from recorded data; the others by the street."""
    ground = _ground(ctx)
    if is_computed(ground) and not ctx.actor.is_system:
        return Verdict.fail(DIS_OPENER, ground=ground_label(ground))
    if not is_computed(ground) and ctx.actor.is_system:
        return Verdict.fail(DIS_OPENER, "DIS_GROUND_NOT_COMPUTED", ground=ground_label(ground))
    return Verdict.passed(DIS_OPENER)


def particulars_given(ctx: GuardContext) -> Verdict:
    """DS-1: a manual ground states the allegation; a computed ground carries its trigger facts."""
    ground = _ground(ctx)
    if is_computed(ground):
        if ctx.value("trigger_facts"):
            return Verdict.passed(DIS_PARTICULARS)
        return Verdict.fail(DIS_PARTICULARS, "DIS_TRIGGER_FACTS_REQUIRED", ground=ground_label(ground))
    if ctx.value("allegation"):
        return Verdict.passed(DIS_PARTICULARS)
    return Verdict.fail(DIS_PARTICULARS, ground=ground_label(ground))


def appointment_not_ended(ctx: GuardContext) -> Verdict:
    """DS-1, DS-6: the worker is in service (an ACTIVE or HOLDOVER appointment)."""
    if ctx.facts.get("appointment") is not None:
        return Verdict.passed(DIS_APPT)
    return Verdict.fail(DIS_APPT)


def one_open_case_per_ground(ctx: GuardContext) -> Verdict:
    """DS-1: no other open dismissal case for the same worker on the same ground."""
    ground = _ground(ctx)
    for case_id, other_ground in ctx.facts.get("open_cases") or ():
        if other_ground == ground:
            return Verdict.fail(DIS_ONE_CASE, case=case_id, ground=ground_label(ground))
    return Verdict.passed(DIS_ONE_CASE)


def computed_ground_holds(ctx: GuardContext) -> Verdict:
    """DS-1, DS-6: a computed ground must hold on the recorded data (manual grounds: not applicable)."""
    ground = _ground(ctx)
    if not is_computed(ground):
        return Verdict.passed()
    result = finding(ground, ctx.facts, ctx.policy)
    if result.holds:
        return Verdict.passed(GROUND_RULES[ground])
    return Verdict.fail(GROUND_RULES[ground], ground=ground_label(ground), why=result.why_not)


def computed_ground_no_longer_holds(ctx: GuardContext) -> Verdict:
    """DS-7: only a computed-ground case, and only once the corrected data no longer supports it."""
    ground = _ground(ctx)
    if not is_computed(ground):
        return Verdict.fail(DIS_CORRECTED, "DIS_NOT_COMPUTED_GROUND", ground=ground_label(ground))
    if finding(ground, ctx.facts, ctx.policy).holds:
        return Verdict.fail(DIS_CORRECTED, ground=ground_label(ground))
    return Verdict.passed(DIS_CORRECTED)


def manual_ground_only(ctx: GuardContext) -> Verdict:
    """DIS-1: a computed-ground case is never closed as unfounded, only by correcting the data (DS-7)."""
    ground = _ground(ctx)
    if is_computed(ground):
        return Verdict.fail(DIS_1, ground=ground_label(ground))
    return Verdict.passed(DIS_1)


def evidence_for_manual_ground(ctx: GuardContext) -> Verdict:
    """DIS-2: a manual ground needs at least one evidence document reference (blank entries do not count)."""
    ground = _ground(ctx)
    refs = ctx.payload.get("evidence_refs")
    count = len([r for r in refs if isinstance(r, str) and r.strip()]) if isinstance(refs, list) else 0
    if is_computed(ground) or count >= 1:
        return Verdict.passed(DIS_2, count=count)
    return Verdict.fail(DIS_2, ground=ground_label(ground))


def notice_recorded(ctx: GuardContext) -> Verdict:
    """DS-6: the written notice to the worker must be recorded before the dismissal takes effect (A-30)."""
    if ctx.case.data.get("notice_delivered_on"):
        return Verdict.passed(DIS_NOTICE)
    return Verdict.fail(DIS_NOTICE)


def notice_not_yet_recorded(ctx: GuardContext) -> Verdict:
    """record_notice: the delivery is recorded once."""
    delivered = ctx.case.data.get("notice_delivered_on")
    if not delivered:
        return Verdict.passed(DIS_NOTICE)
    return Verdict.fail(DIS_NOTICE, "DIS_NOTICE_ALREADY_RECORDED", delivered=delivered)


def effective_date_reached(ctx: GuardContext) -> Verdict:
    """DS-6: the dismissal takes effect from 00:00 (Asia/Shanghai) of the approved effective date."""
    effective = as_date(ctx.case.data.get("effective_date"))
    if effective is not None and ctx.today >= effective:
        return Verdict.passed(DIS_EFFECT)
    return Verdict.fail(DIS_EFFECT, effective=effective.isoformat() if effective else "—")


def appointment_ended(ctx: GuardContext) -> Verdict:
    """DS-8 (A-31): the case becomes moot only once the worker is no longer in service."""
    if ctx.facts.get("appointment") is None:
        return Verdict.passed(DIS_MOOT)
    return Verdict.fail(DIS_MOOT)


# ---------------------------------------------------------------- effects and deadlines


def on_open(ctx: GuardContext) -> Effect:
    ground = _ground(ctx)
    appointment = ctx.facts.get("appointment")
    return Effect(data={
        "ground_kind": "computed" if is_computed(ground) else "manual",
        "ground_citation": str(GROUND_CITES[ground]),
        "opened_on": ctx.today.isoformat(),
        "appointment_id": appointment.id if appointment is not None else None,
    })


def effective_on(case_data: Mapping[str, Any]) -> date:
    """The day the dismissal takes effect: the approved effective date, or the notice's delivery date if
    the notice was delivered later (a worker is not dismissed before being told in writing; A-30)."""
    effective = as_date(case_data.get("effective_date"))
    delivered = as_date(case_data.get("notice_delivered_on"))
    assert effective is not None
    return max(effective, delivered) if delivered is not None else effective


def on_take_effect(ctx: GuardContext) -> Effect:
    """DS-6: the appointment ends DISMISSED(ground) — ELIMINATED(ground) for CHUZHOU's exit situations
    (GROUND_OUTCOME); its last day is the day before the dismissal takes effect (an appointment's end date
    is its last day of service, as for resignation). Open resignation and other dismissal cases of the
    worker become moot (A-31); an open re-hiring case ends NOT_REHIRED(NO_LONGER_IN_OFFICE) (spec §4.3
    Interplay)."""
    ground = _ground(ctx)
    outcome = GROUND_OUTCOME.get(ground, "DISMISSED")
    start = effective_on(ctx.case.data)
    last_day = start - timedelta(days=1)
    actions: list[Any] = []
    appointment = ctx.facts.get("appointment")
    if appointment is not None:
        actions.append(EndAppointment(int(appointment.id), last_day, f"{outcome}({ground})"))
    if ctx.case.worker_id is not None:
        for procedure in ("resignation", "dismissal", "assessment_rehiring"):
            actions.append(CloseRelatedCases(ctx.case.worker_id, procedure, "close_moot", outcome))
    return Effect(data={"effective_on": start.isoformat(), "last_day_of_service": last_day.isoformat(),
                        "end_reason": f"{outcome}({ground})",
                        "ended_appointment_id": appointment.id if appointment is not None else None},
                  actions=tuple(actions))


def effect_due(ctx: GuardContext) -> DeadlineDue:
    """DS-6: at 00:00 Asia/Shanghai of the effective date."""
    effective = as_date(ctx.case.data["effective_date"])
    assert effective is not None
    return deadline(Period(DAY, effective, at=START), ctx.calendar, rule_text=t("dismissal.basis.effect"))
