"""Guards and effects of 年度考核 (seed 000 第十—十八条; PLAN5 = seed 000 第五篇; spec §4.4 ANA-1…ANA-9, ABS,
ANA-G, PLAN-1…PLAN-5, AR-1…AR-8).

Pure functions of the GuardContext. One case is one round: one street and one year; each community of the
street is a quota group and acts for itself (its 实绩 and results postings, its roster, its meeting). The case
data holds the round's records (see `workflows.annual_assessment` for the layout); the facts
(`workflows.annual_assessment.round_facts`) hold the street's communities, the workers in service with their
recorded FINAL grades and absence days, and the street's other rounds.

Decisions where the spec is silent (each also noted where it is made):
- In scope: every worker with an appointment in service (ACTIVE or HOLDOVER) in the street when the round
  opens whose appointment started on or before 31 December of the assessment year.
- A DONGQU rule whose pack value is UNSPECIFIED is not applied (A-36: no DONGQU rule applies to another pack
  unless configured) and the grade derivation records it as not configured (A-41); a value needed to compute
  anything (the bands for a score, a publicity length, a window) refuses with NOT_CONFIGURED.
- The §五 windows are checked on the first posting of 实绩 and results only: a re-posting after an objection's
  finding (PLAN-2 restart, AR-7 restart) is exempt, since the timetable cannot foresee it.
- Result objections found 属实且影响 may carry corrections of the round's inputs (scores, findings); the
  grades are recomputed at once and, if any changes, the round goes back to GRADES_PROPOSED and every
  community posts its results again (a new 7-day period). 实绩 objections found 属实且影响 require the
  community to post its 实绩 again before its meeting (a new 3-day period).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from engine import grading as ana
from engine.absence import Absence
from engine.clock import local_midnight
from engine.errors import DefinitionError
from engine.guards import GuardContext, Verdict, pct
from engine.policy import Policy
from engine.spec import DeadlineDue, Effect, Rule
from engine.text import join_list, t
from workflows.citations import (
    ART10,
    ART11,
    ART12,
    ART13,
    ART15,
    ART17,
    ART18,
    ART18_6,
    ART18_8,
    P5_4,
    P5_5,
    P5_6_1,
    P5_6_2,
    P5_7,
    P5_8_1,
    P5_8_2,
    P5_8_3,
    assumption,
)
from workflows.guards import publicity as pub
from workflows.guards.common import as_date

A01, A03, A10, A14, A15, A16, A32, A35, A36 = (assumption(n) for n in (1, 3, 10, 14, 15, 16, 32, 35, 36))

# ---------------------------------------------------------------- rules

ANA_1 = Rule("ANA-1", "ANA_RULES_NOT_FILED", (ART10, A32))
ANA_4 = Rule("ANA-4", "ANA_QUOTA_EXCEEDED", (ART12, A15))
ANA_5 = Rule("ANA-5", "ANA_REP_SHARE", (ART13,))
ANA_G = Rule("ANA-G", "ANA_RULES_NOT_CONFIGURED", (ART12, A16, A36))
ANA_FINDINGS = Rule("ANA-8/9", "ANA_FINDING_INVALID", (ART15, ART17, ART18))
AR_1 = Rule("AR-1", "ANA_ROUND_EXISTS", (ART10,))
AR_5 = Rule("AR-5", "ANA_WORKER_NOT_GRADED", (ART12, ART18_6))
AR_SCOPE = Rule("AR-SCOPE", "ANA_COMMUNITY_NOT_IN_ROUND", (ART10, ART12))
AR_8 = Rule("AR-8", "ANA_PLAN5_ENABLED", (ART11, A32))
PLAN5_ON = Rule("PLAN5", "PLAN5_NOT_ENABLED", (P5_5, A32))
PLAN_1 = Rule("PLAN-1", "PLAN_ROSTER_TOO_SMALL", (P5_4,))
PLAN_ROSTER = Rule("AR-3", "PLAN_ROSTER_NOT_POSTED", (P5_4, A32))
PLAN_2 = Rule("PLAN-2", "PLAN_PERFORMANCE_PUBLICITY_INCOMPLETE", (P5_6_1, A01, A03, A32))
PLAN_3 = Rule("PLAN-3", "PLAN_RESULT_PUBLICITY_RUNNING", (P5_8_1, A01, A03, A32))
PLAN_4 = Rule("PLAN-4", "PLAN_DISSATISFIED_OVER_30", (P5_8_3, A35))
PLAN_5 = Rule("PLAN-5", "PLAN_PUBLIC_AFFAIRS_CONSEQUENCE", (P5_8_3, A10))
PLAN_W = Rule("PLAN-W", "PLAN_OUTSIDE_WINDOW", (P5_5, A32))
PLAN_MEETING = Rule("AR-4", "ANA_SCORE_INVALID", (ART13, P5_6_2, P5_7))
PLAN_PUB = Rule("PUB", "PLAN_OBJECTION_UNRESOLVED", (P5_8_1, A14))
PLAN_REWARD = Rule("PLAN-R", "PLAN_REWARD", (P5_8_2,))
VOTE_1 = Rule("VOTE-1", "VOTE_TALLY_INVALID", (P5_6_2,))
ANA_DATES = Rule("ANA-DATES", "DATE_ORDER", (ART10,))

TWO_COMMITTEES = ("PARTY_COMMITTEE_MEMBER", "RESIDENTS_COMMITTEE_MEMBER")  # 两委 (PLAN5 §三)

# Roster categories: the union of 第十三条 and PLAN5 §四 (conflict note (b) of spec §4.4.4).
ROSTER_CATEGORIES = ("STREET_LEADER", "STREET_MIDDLE_CADRE", "COMMUNITY_WORKER", "PARTY_REP", "RESIDENT_REP",
                     "UNIT_REP", "OTHER_REP", "OTHER")
REP_CATEGORIES = ("RESIDENT_REP", "UNIT_REP")  # 第十三条 "居民代表和辖区单位代表原则上占参会总人数的20%"

SATISFACTION_OPTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
TALLY_KEYS = ("issued", "returned", *SATISFACTION_OPTIONS, "blank", "invalid")

PHASE_PERFORMANCE = "performance"
PHASE_RESULTS = "results"

# Case-data keys (the round's records).
SCOPE = "scope"  # {community code: {"name", "workers": [worker id, ...]}}
WORKERS = "workers"  # {worker id: {"name", "community", "category", "appointment_id"}}
PERFORMANCE = "performance_publicity"  # {community: {posted_on, last_day, place, doc_ref, by, at, history}}
ROSTERS = "rosters"  # {community: {entries, size, approved_on, approved_by, posted_on, posted_by}}
MEETINGS = "meetings"  # {community: {date, present, debriefed, held_by}}
SCORES = "scores"  # {worker id: {"sheets": [..], "invalid": n, "mean": "a/b", "display": "85.33"}}
SATISFACTION = "satisfaction"  # {worker id: tally + {"denominator", "rate", "display"}}
PROPOSALS = "proposals"  # {worker id: grade code}
FINDINGS = "findings"  # {worker id: {"art17": [..], "art18": [..], "attested_excellent", "refusal"}}
SELECTIONS = "quota_selections"  # {community: {"keep": [..], "reason", "by", "on"}}
RESULTS = "results"  # {worker id: derivation}
QUOTA = "quota"  # {community: quota group}
RESULTS_PUBLICITY = "results_publicity"  # {community: {posted_on, last_day, ends_at, ended_at, cycle, ...}}
CYCLE = "results_cycle"
REGRADE = "regrade_pending"

# ---------------------------------------------------------------- small readers


def wid(key: Any) -> int | None:
    """A worker id from a JSON key or value ("12" or 12)."""
    if isinstance(key, bool):
        return None
    try:
        return int(str(key).strip())
    except ValueError:
        return None


def data_of(ctx: GuardContext, key: str) -> dict[str, Any]:
    value = ctx.case.data.get(key)
    return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in (value or {}).items()}


def year_of(ctx: GuardContext) -> int:
    return int(ctx.value("assessment_year"))


def scope(ctx: GuardContext) -> dict[str, Any]:
    return dict(ctx.case.data.get(SCOPE) or {})


def worker_info(ctx: GuardContext, worker_id: int) -> Mapping[str, Any]:
    return (ctx.case.data.get(WORKERS) or {}).get(str(worker_id)) or {}


def worker_label(ctx: GuardContext, worker_id: int) -> str:
    name = worker_info(ctx, worker_id).get("name")
    return t("assessment.worker", name=name or "—", id=worker_id)


def community_workers(ctx: GuardContext, community: str) -> list[int]:
    return [int(w) for w in (scope(ctx).get(community) or {}).get("workers", [])]


def all_workers(ctx: GuardContext) -> list[int]:
    return [w for code in scope(ctx) for w in community_workers(ctx, code)]


def actor_community(ctx: GuardContext) -> str | None:
    """The code of the acting community user's community (community roles act for their own community)."""
    if ctx.actor.community_id is None:
        return None
    for code, community in (ctx.facts.get("communities") or {}).items():
        if community.id == ctx.actor.community_id:
            return str(code)
    return None


def payload_community(ctx: GuardContext) -> str:
    return str(ctx.payload.get("assessment_community") or "").strip()


def plan5_on(policy: Policy) -> bool:
    return policy.enabled("assessment.plan5_enabled")


def tier_label(policy: Policy, grade: str | None) -> str:
    """The pack's label of a grade code (A-36: tiers map onto the four ordinal codes by position)."""
    if grade is None:
        return t("text.none")
    if policy.is_set("assessment.tiers"):
        tiers = list(policy.get("assessment.tiers"))
        if len(tiers) == len(ana.GRADES):
            return str(tiers[ana.GRADES.index(grade)])
    return t(f"records.grade.{grade}")


def grade_code(policy: Policy, value: Any) -> str | None:
    """A grade code from a code, or from one of the pack's tier labels."""
    text = str(value or "").strip()
    if text in ana.GRADES:
        return text
    tiers = list(policy.get("assessment.tiers", "ANA-3"))
    if text in tiers and len(tiers) == len(ana.GRADES):
        return ana.GRADES[tiers.index(text)]
    return None


def window(policy: Policy, phase: str, year: int) -> tuple[date, date]:
    """A §五 window of the round for assessment year `year`: phase1 and phase2 in that year, phase3 (results
    publicity) in the next (the timetable's "XX年1月4日—1月10日" after a December meeting)."""
    start, end = policy.get(f"assessment.plan5.windows.{phase}", PLAN_W.id)
    in_year = year + 1 if phase == "phase3" else year
    return _month_day(str(start), in_year), _month_day(str(end), in_year)


def _month_day(text: str, year: int) -> date:
    month, day = text.split("-")
    return date(year, int(month), int(day))


def grading_rules(policy: Policy) -> ana.GradingRules:
    """ANA-G settings of the pack; UNSPECIFIED → None (rule not applied, A-36/A-41)."""
    bands = None
    if policy.is_set("assessment.plan5.bands"):
        bands = bands_of(policy)
    return ana.GradingRules(
        bands=bands,
        attestation_required=_flag(policy, "assessment.excellent_attestation_required"),
        findings=_flag(policy, "assessment.findings_rules"),
        abs_basic=_limits(policy, "assessment.absence.basic"),
        abs_incompetent=_limits(policy, "assessment.absence.incompetent"),
        carry_over=_flag(policy, "assessment.carry_over_basic_to_incompetent"),
        quota=policy.fraction("assessment.excellent_quota", "ANA-4")
        if policy.is_set("assessment.excellent_quota") else None,
    )


def bands_of(policy: Policy) -> ana.Bands:
    """PLAN5 §七 bands (raises NOT_CONFIGURED when the pack has none: a score cannot be graded)."""
    values = [Fraction(str(v)) for v in policy.get("assessment.plan5.bands", "ANA-G")]
    gap = policy.get("assessment.plan5.gap_59_60", "ANA-G")
    gap_grade = {"incompetent": ana.INCOMPETENT, "basic": ana.BASIC}.get(str(gap))
    if len(values) != 3 or gap_grade is None:
        raise DefinitionError(t("assessment.bands_invalid", pack=policy.code))
    return ana.Bands(values[0], values[1], values[2], gap_grade)


def _flag(policy: Policy, key: str) -> bool | None:
    return policy.bool(key) if policy.is_set(key) else None


def _limits(policy: Policy, prefix: str) -> ana.Limits | None:
    if not (policy.is_set(f"{prefix}.run_gt") and policy.is_set(f"{prefix}.year_gt")):
        return None
    return ana.Limits(policy.fraction(f"{prefix}.run_gt"), policy.fraction(f"{prefix}.year_gt"))


# ---------------------------------------------------------------- AR-1 open


def rules_filed(ctx: GuardContext) -> Verdict:
    """ANA-1 (A-32): the street's 考核细则 is filed with 区民政局 — document id and filing date recorded, the
    date not after today. Not applied where the pack does not configure it (A-36)."""
    if not ctx.policy.is_set("assessment.rules_filing_required"):
        return Verdict.passed(ANA_1, not_configured=True)
    if not ctx.policy.bool("assessment.rules_filing_required", ANA_1.id):
        return Verdict.passed(ANA_1)
    problems: list[str] = []
    if not str(ctx.payload.get("rules_doc_ref") or "").strip():
        problems.append(t("assessment.rules_missing.doc"))
    filed = as_date(ctx.payload.get("rules_filed_on"))
    if filed is None:
        problems.append(t("assessment.rules_missing.date"))
    elif filed > ctx.today:
        problems.append(t("assessment.rules_missing.future", filed_on=filed.isoformat(),
                          today=ctx.today.isoformat()))
    if problems:
        return Verdict.fail(ANA_1, missing=join_list(problems))
    return Verdict.passed(ANA_1)


def one_round_per_year(ctx: GuardContext) -> Verdict:
    """AR-1: one round per street and year (a cancelled round does not count)."""
    year = year_of(ctx)
    for case_id, other_year, state in ctx.facts.get("rounds") or ():
        if case_id != ctx.case.id and other_year == year and state != "CANCELLED":
            return Verdict.fail(AR_1, year=year, case=case_id)
    return Verdict.passed(AR_1)


def year_not_future(ctx: GuardContext) -> Verdict:
    """AR-1: the assessment year has begun (a round assesses a year in progress or past)."""
    year = year_of(ctx)
    if year <= ctx.today.year:
        return Verdict.passed(AR_1)
    return Verdict.fail(AR_1, "ANA_YEAR_INVALID", year=year, today_year=ctx.today.year)


def in_scope_workers(ctx: GuardContext, year: int) -> dict[str, list[int]]:
    """Workers in scope by community code (see the module docstring)."""
    out: dict[str, list[int]] = {}
    end = date(year, 12, 31)
    for worker_id, fact in sorted((ctx.facts.get("workers") or {}).items()):
        appointment = fact["appointment"]
        if appointment is None or appointment.start_date > end:
            continue
        out.setdefault(str(fact["community"]), []).append(int(worker_id))
    return out


def has_workers(ctx: GuardContext) -> Verdict:
    """AR-1: at least one worker in scope."""
    if in_scope_workers(ctx, year_of(ctx)):
        return Verdict.passed(AR_1)
    return Verdict.fail(AR_1, "ANA_NO_WORKERS", year=year_of(ctx))


def on_open(ctx: GuardContext) -> Effect:
    """AR-1: the round's year, communities and workers in scope (fixed for the round), and PLAN5 on or off."""
    year = year_of(ctx)
    communities = ctx.facts.get("communities") or {}
    groups = in_scope_workers(ctx, year)
    facts = ctx.facts.get("workers") or {}
    workers: dict[str, Any] = {}
    for code, members in groups.items():
        for worker_id in members:
            fact = facts[worker_id]
            workers[str(worker_id)] = {"name": fact["worker"].name, "community": code,
                                       "category": fact["appointment"].category,
                                       "appointment_id": fact["appointment"].id}
    return Effect(data={
        "assessment_year": year,
        "plan5": plan5_on(ctx.policy),
        SCOPE: {code: {"name": communities[code].name, "workers": members}
                for code, members in groups.items()},
        WORKERS: workers,
        CYCLE: 1,
        pub.OBJECTIONS: [],
    })


# ---------------------------------------------------------------- PLAN5 and community guards


def plan5_enabled(what: str) -> Callable[[GuardContext], Verdict]:
    """AR-2/AR-3/AR-6/AR-7: the step exists only where the pack enables PLAN5 (A-32)."""

    def guard(ctx: GuardContext) -> Verdict:
        if plan5_on(ctx.policy):
            return Verdict.passed(PLAN5_ON)
        return Verdict.fail(PLAN5_ON, pack=ctx.policy.code, what=t(f"assessment.plan5_steps.{what}"))

    guard.__name__ = f"plan5_enabled_for_{what}"
    return guard


def plan5_disabled(ctx: GuardContext) -> Verdict:
    """AR-8: finalising straight from GRADES_PROPOSED only where PLAN5 is off (no results publicity)."""
    if not plan5_on(ctx.policy):
        return Verdict.passed(AR_8)
    return Verdict.fail(AR_8, pack=ctx.policy.code)


def own_community_in_round(ctx: GuardContext) -> Verdict:
    """A community user acts for its own community, which must be in the round."""
    code = actor_community(ctx)
    if code is not None and code in scope(ctx):
        return Verdict.passed(AR_SCOPE)
    return Verdict.fail(AR_SCOPE, community=code or "—", scope=join_list(scope(ctx)) or t("text.none"))


def named_community_in_round(ctx: GuardContext) -> Verdict:
    """The community named in the payload is in the round."""
    code = payload_community(ctx)
    if code in scope(ctx):
        return Verdict.passed(AR_SCOPE)
    return Verdict.fail(AR_SCOPE, community=code or "—", scope=join_list(scope(ctx)) or t("text.none"))


def _acting_community(ctx: GuardContext) -> str | None:
    return payload_community(ctx) or actor_community(ctx)


def meeting_not_held(ctx: GuardContext) -> Verdict:
    """AR-2…AR-4: a community's 实绩, roster and meeting are recorded before its meeting, once."""
    code = _acting_community(ctx)
    meeting = (ctx.case.data.get(MEETINGS) or {}).get(code or "")
    if meeting is None:
        return Verdict.passed(AR_SCOPE)
    return Verdict.fail(AR_SCOPE, "ANA_MEETING_ALREADY_HELD", community=code, date=meeting.get("date"))


def in_window(field_name: str, phase: str, *,
              first_only_of: str | None = None) -> Callable[[GuardContext], Verdict]:
    """§五 timetable (A-32): the date in `field_name` lies in the round's `phase` window when PLAN5 is on and
    the pack enforces windows. With `first_only_of`, a community's later postings (restarts) are exempt."""

    def guard(ctx: GuardContext) -> Verdict:
        if not plan5_on(ctx.policy) or not ctx.policy.bool("assessment.plan5.enforce_windows", PLAN_W.id):
            return Verdict.passed(PLAN_W)
        if first_only_of is not None and _is_repost(ctx, first_only_of):
            return Verdict.passed(PLAN_W, restart_exempt=True)
        day = as_date(ctx.payload.get(field_name))
        if day is None:
            return Verdict.passed(PLAN_W)
        start, end = window(ctx.policy, phase, year_of(ctx))
        if start <= day <= end:
            return Verdict.passed(PLAN_W)
        return Verdict.fail(PLAN_W, what=t(f"fields.{field_name}"), date=day.isoformat(),
                            phase=t(f"assessment.phases.{phase}"), start=start.isoformat(),
                            end=end.isoformat())

    guard.__name__ = f"{field_name}_in_{phase}"
    return guard


def _is_repost(ctx: GuardContext, key: str) -> bool:
    code = actor_community(ctx)
    if key == PERFORMANCE:
        return code in (ctx.case.data.get(PERFORMANCE) or {})
    return int(ctx.case.data.get(CYCLE) or 1) > 1


# ---------------------------------------------------------------- AR-2 实绩公示


def on_performance_posted(ctx: GuardContext) -> Effect:
    """AR-2 / PLAN-2: the community's 实绩 posting (3 calendar days, CAL-2); a re-posting keeps the earlier
    one in its history and restarts the period."""
    code = actor_community(ctx)
    assert code is not None
    posted = as_date(ctx.payload[pub.POSTED_ON])
    assert posted is not None
    days = ctx.policy.int("assessment.plan5.performance_publicity_days", PLAN_2.id)
    last, extended = pub.last_day(ctx.policy, posted, days, PLAN_2.id)
    postings = data_of(ctx, PERFORMANCE)
    previous = postings.get(code)
    history = list((previous or {}).get("history") or [])
    if previous:
        history.append({k: v for k, v in previous.items() if k != "history"})
    postings[code] = {"posted_on": posted.isoformat(), "days": days, "last_day": last.isoformat(),
                      "extended": extended, "place": ctx.payload.get(pub.PLACE),
                      "doc_ref": ctx.payload.get(pub.DOC_REF), "by": ctx.actor.login,
                      "at": ctx.now.isoformat(), "case_version": ctx.case.version, "history": history}
    return Effect(data={PERFORMANCE: postings})


# ---------------------------------------------------------------- AR-3 roster


def roster_entries(ctx: GuardContext) -> Any:
    return ctx.payload.get("assessment_roster")


def roster_valid(ctx: GuardContext) -> Verdict:
    """AR-3: each participant has a name and a category of 第十三条 / PLAN5 §四."""
    roster = roster_entries(ctx)
    if not isinstance(roster, list):
        return Verdict.fail(PLAN_1, "ANA_ROSTER_INVALID", row="—", problem=t("assessment.roster.not_list"))
    for row, entry in enumerate(roster, start=1):
        if not isinstance(entry, Mapping) or not str(entry.get("name") or "").strip():
            return Verdict.fail(PLAN_1, "ANA_ROSTER_INVALID", row=row, problem=t("assessment.roster.name"))
        if entry.get("category") not in ROSTER_CATEGORIES:
            choices = join_list(t("text.coded", code=c, label=t(f"assessment.roster_categories.{c}"))
                                for c in ROSTER_CATEGORIES)
            return Verdict.fail(PLAN_1, "ANA_ROSTER_INVALID", row=row,
                                problem=t("assessment.roster.category", choices=choices))
    return Verdict.passed(PLAN_1)


def roster_size(ctx: GuardContext) -> Verdict:
    """PLAN-1 (hard): the roster has at least `roster_min` (20) people ("总数不低于20人")."""
    roster = roster_entries(ctx)
    size = len(roster) if isinstance(roster, list) else 0
    minimum = ctx.policy.int("assessment.plan5.roster_min", PLAN_1.id)
    if size >= minimum:
        return Verdict.passed(PLAN_1, size=size)
    return Verdict.fail(PLAN_1, size=size, minimum=minimum)


def roster_composition(ctx: GuardContext) -> Verdict:
    """ANA-5 / RH-W1 (warnings only, SOFT-2): resident and unit representatives ≈ 20% of the roster; every
    worker of the community on it (第十三条)."""
    roster = roster_entries(ctx)
    if not isinstance(roster, list) or not roster:
        return Verdict.passed(ANA_5)
    code = actor_community(ctx) or ""
    workers = len(community_workers(ctx, code))
    listed = sum(1 for p in roster if isinstance(p, Mapping) and p.get("category") == "COMMUNITY_WORKER")
    if listed < workers:
        return Verdict.warn(ANA_5, "ANA_ROSTER_WORKERS_MISSING", listed=listed, workers=workers)
    if not ctx.policy.is_set("assessment.rep_share_target"):
        return Verdict.passed(ANA_5, not_configured=True)
    target = ctx.policy.fraction("assessment.rep_share_target", ANA_5.id)
    n = len(roster)
    reps = sum(1 for p in roster if isinstance(p, Mapping) and p.get("category") in REP_CATEGORIES)
    low, high = math.floor(target * n), math.ceil(target * n)
    if low <= reps <= high:
        return Verdict.passed(ANA_5, reps=reps, n=n)
    expected = str(low) if low == high else f"{low}–{high}"
    return Verdict.warn(ANA_5, reps=reps, n=n, pct=pct(reps, n), target=pct(target.numerator,
                                                                             target.denominator),
                        expected=expected)


def on_roster_approved(ctx: GuardContext) -> Effect:
    """AR-3 (COMMUNITY_ASSESSMENT_GROUP): the reviewed roster; a new approval needs a new posting."""
    code = actor_community(ctx)
    assert code is not None
    rosters = data_of(ctx, ROSTERS)
    entries = [dict(p) for p in roster_entries(ctx)]
    rosters[code] = {"entries": entries, "size": len(entries),
                     "approved_on": ctx.payload["roster_approved_on"], "approved_by": ctx.actor.login,
                     "posted_on": None, "posted_by": None}
    return Effect(data={ROSTERS: rosters})


def roster_approved(ctx: GuardContext) -> Verdict:
    """AR-3: the community's roster was reviewed by its assessment group before it is posted."""
    code = actor_community(ctx) or ""
    roster = (ctx.case.data.get(ROSTERS) or {}).get(code)
    if roster is None:
        return Verdict.fail(PLAN_ROSTER, "ANA_ROSTER_NOT_APPROVED", community=code)
    posted = as_date(ctx.payload.get("roster_posted_on"))
    approved = as_date(roster["approved_on"])
    if posted is not None and approved is not None and posted < approved:
        return Verdict.fail(ANA_DATES, "DATE_ORDER", later=t("fields.roster_posted_on"),
                            later_date=posted.isoformat(), earlier=t("fields.roster_approved_on"),
                            earlier_date=approved.isoformat())
    return Verdict.passed(PLAN_ROSTER)


def on_roster_posted(ctx: GuardContext) -> Effect:
    code = actor_community(ctx)
    assert code is not None
    rosters = data_of(ctx, ROSTERS)
    roster = dict(rosters[code])
    roster.update(posted_on=ctx.payload["roster_posted_on"], posted_by=ctx.actor.login,
                  posted_place=ctx.payload.get(pub.PLACE))
    rosters[code] = roster
    return Effect(data={ROSTERS: rosters})


# ---------------------------------------------------------------- AR-4 meeting


def meeting_date(ctx: GuardContext) -> date:
    day = as_date(ctx.payload.get("assessment_meeting_date"))
    assert day is not None
    return day


def performance_complete(ctx: GuardContext) -> Verdict:
    """PLAN-2: the community's 实绩 was posted and its 3 calendar days (CAL-2) are over before the meeting
    date: meeting ≥ posting + 3 (posted 12-24 → meeting from 12-27)."""
    if not plan5_on(ctx.policy):
        return Verdict.passed(PLAN_2)
    code = payload_community(ctx)
    posting = (ctx.case.data.get(PERFORMANCE) or {}).get(code)
    meeting = meeting_date(ctx)
    days = ctx.policy.int("assessment.plan5.performance_publicity_days", PLAN_2.id)
    if posting is None:
        return Verdict.fail(PLAN_2, community=code, days=days, meeting=meeting.isoformat(),
                            detail=t("assessment.plan2.not_posted"))
    last = as_date(posting["last_day"])
    assert last is not None
    if meeting > last:
        return Verdict.passed(PLAN_2)
    return Verdict.fail(PLAN_2, community=code, days=days, meeting=meeting.isoformat(),
                        detail=t("assessment.plan2.too_early", posted=posting["posted_on"],
                                 last_day=last.isoformat(), earliest=(last + timedelta(days=1)).isoformat()))


def performance_objections_cleared(ctx: GuardContext) -> Verdict:
    """PUB (A-14) before the meeting: every timely objection to the community's 实绩 has a finding, and one
    found 属实且影响 was followed by a new posting."""
    if not plan5_on(ctx.policy):
        return Verdict.passed(PLAN_PUB)
    code = payload_community(ctx)
    mine = [o for o in pub.objections(ctx.case.data)
            if o.get("phase") == PHASE_PERFORMANCE and o.get("community") == code]
    open_ids = [o["id"] for o in mine if not o.get("late") and not o.get("finding")]
    if open_ids:
        return Verdict.fail(PLAN_PUB, objections=join_list(open_ids),
                            phase=t(f"assessment.phase_names.{PHASE_PERFORMANCE}"))
    posting = (ctx.case.data.get(PERFORMANCE) or {}).get(code) or {}
    stale = [o["id"] for o in mine
             if (o.get("finding") or {}).get("finding") == pub.SUBSTANTIATED_AFFECTING
             and int(o["finding"].get("case_version") or 0) >= int(posting.get("case_version") or 0)]
    if stale:
        return Verdict.fail(PLAN_PUB, "PLAN_PERFORMANCE_REPOST_REQUIRED", community=code,
                            objections=join_list(stale))
    return Verdict.passed(PLAN_PUB)


def roster_posted_in_time(ctx: GuardContext) -> Verdict:
    """AR-4 / PLAN5 §四 (A-32): the approved roster was posted at least `roster_lead_days` before the
    meeting."""
    if not plan5_on(ctx.policy):
        return Verdict.passed(PLAN_ROSTER)
    code = payload_community(ctx)
    roster = (ctx.case.data.get(ROSTERS) or {}).get(code)
    lead = ctx.policy.int("assessment.plan5.roster_lead_days", PLAN_ROSTER.id)
    meeting = meeting_date(ctx)
    if roster is None:
        return Verdict.fail(PLAN_ROSTER, "ANA_ROSTER_NOT_APPROVED", community=code)
    posted = as_date(roster.get("posted_on"))
    if posted is not None and (meeting - posted).days >= lead:
        return Verdict.passed(PLAN_ROSTER)
    return Verdict.fail(PLAN_ROSTER, community=code, lead=lead, meeting=meeting.isoformat(),
                        posted=posted.isoformat() if posted else t("assessment.not_posted"))


def _scores_for(value: Any) -> tuple[list[Any], int] | None:
    """One worker's sheets: a list of scores, or {"scores": [...], "invalid": n}."""
    if isinstance(value, list):
        return value, 0
    if isinstance(value, Mapping) and isinstance(value.get("scores"), list):
        invalid = value.get("invalid", 0)
        if isinstance(invalid, bool) or not isinstance(invalid, int) or invalid < 0:
            return None
        return list(value["scores"]), invalid
    return None


def parse_score(value: Any) -> Fraction | None:
    """One score sheet's score, exactly: 0 ≤ s ≤ 100 (an integer, or a decimal given as text or number)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        score = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        return None
    return score if 0 <= score <= 100 else None


def score_sheets_valid(ctx: GuardContext) -> Verdict:
    """AR-4 / PLAN5 §七: anonymous 100-point sheets per worker of the community (0–100); valid sheets plus
    invalid ones ≤ the participants present. A score needs the pack's bands (NOT_CONFIGURED otherwise)."""
    sheets = ctx.payload.get("score_sheets")
    if sheets is None:
        return Verdict.passed(PLAN_MEETING)
    code = payload_community(ctx)
    if not isinstance(sheets, Mapping):
        return Verdict.fail(PLAN_MEETING, worker="—", problem=t("assessment.scores.shape"))
    bands_of(ctx.policy)  # a score cannot be graded without bands: refuse (NOT_CONFIGURED, A-41)
    members = community_workers(ctx, code)
    present = int(ctx.payload.get("attendance_present") or 0)
    for key, value in sheets.items():
        worker_id = wid(key)
        if worker_id is None or worker_id not in members:
            return Verdict.fail(PLAN_MEETING, "ANA_WORKER_NOT_IN_COMMUNITY", worker=key, community=code)
        parsed = _scores_for(value)
        if parsed is None or not parsed[0]:
            return Verdict.fail(PLAN_MEETING, worker=worker_label(ctx, worker_id),
                                problem=t("assessment.scores.shape"))
        for raw in parsed[0]:
            if parse_score(raw) is None:
                return Verdict.fail(PLAN_MEETING, worker=worker_label(ctx, worker_id),
                                    problem=t("assessment.scores.range", value=raw))
        if len(parsed[0]) + parsed[1] > present:
            return Verdict.fail(PLAN_MEETING, "ANA_SHEETS_EXCEED_PRESENT",
                                worker=worker_label(ctx, worker_id), sheets=len(parsed[0]) + parsed[1],
                                present=present)
    return Verdict.passed(PLAN_MEETING)


def proposals_valid(ctx: GuardContext) -> Verdict:
    """ANA-2 without PLAN5: the street's proposed grade per worker, one of the pack's tiers. With PLAN5 the
    meeting scores (§七): no proposals."""
    proposals = ctx.payload.get("proposed_grades")
    if proposals is None:
        return Verdict.passed(PLAN_MEETING)
    if plan5_on(ctx.policy):
        return Verdict.fail(PLAN_MEETING, "ANA_PROPOSAL_WITH_PLAN5")
    code = payload_community(ctx)
    tiers = join_list(ctx.policy.get("assessment.tiers", "ANA-3"))
    if not isinstance(proposals, Mapping):
        return Verdict.fail(PLAN_MEETING, "ANA_PROPOSAL_INVALID", worker="—", value="—", tiers=tiers)
    for key, value in proposals.items():
        worker_id = wid(key)
        if worker_id is None or worker_id not in community_workers(ctx, code):
            return Verdict.fail(PLAN_MEETING, "ANA_WORKER_NOT_IN_COMMUNITY", worker=key, community=code)
        if grade_code(ctx.policy, value) is None:
            return Verdict.fail(PLAN_MEETING, "ANA_PROPOSAL_INVALID", worker=worker_label(ctx, worker_id),
                                value=value, tiers=tiers)
    return Verdict.passed(PLAN_MEETING)


def satisfaction_valid(ctx: GuardContext) -> Verdict:
    """VOTE-1 on the satisfaction (满意度) ballots, and with PLAN5 one per 两委 member of the community
    (PLAN5 §六(二)4; needed for PLAN-4)."""
    tallies = ctx.payload.get("satisfaction_tallies") or {}
    code = payload_community(ctx)
    name = t("assessment.satisfaction_tally")
    if not isinstance(tallies, Mapping):
        return Verdict.fail(VOTE_1, "VOTE_TALLY_MALFORMED", tally=name, expected=_tally_expected())
    present = int(ctx.payload.get("attendance_present") or 0)
    for key, tally in tallies.items():
        worker_id = wid(key)
        if worker_id is None or worker_id not in community_workers(ctx, code):
            return Verdict.fail(VOTE_1, "ANA_WORKER_NOT_IN_COMMUNITY", worker=key, community=code)
        label = f"{worker_label(ctx, worker_id)}{name}"
        problem = _tally_problem(tally, label, present)
        if problem is not None:
            return Verdict.fail(VOTE_1, problem[0], **problem[1])
    if plan5_on(ctx.policy):
        missing = [worker_label(ctx, w) for w in community_workers(ctx, code)
                   if worker_info(ctx, w).get("category") in TWO_COMMITTEES and str(w) not in
                   {str(k) for k in tallies}]
        if missing:
            return Verdict.fail(VOTE_1, "PLAN_SATISFACTION_MISSING", workers=join_list(missing))
    return Verdict.passed(VOTE_1)


def _tally_expected() -> str:
    return join_list(t("text.labelled", label=t(f"assessment.tally_items.{k}"), code=k) for k in TALLY_KEYS)


def _tally_problem(tally: Any, label: str, present: int) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(tally, Mapping):
        return "VOTE_TALLY_MALFORMED", {"tally": label, "expected": _tally_expected()}
    unknown = sorted(set(tally) - set(TALLY_KEYS))
    if unknown:
        return "VOTE_TALLY_UNKNOWN_ITEM", {"tally": label, "key": unknown[0], "expected": _tally_expected()}
    for key in TALLY_KEYS:
        value = tally.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return "VOTE_TALLY_INVALID", {"tally": label, "key": key,
                                          "item": t(f"assessment.tally_items.{key}"),
                                          "value": t("assessment.not_filled") if value is None else value}
    options = sum(tally[k] for k in SATISFACTION_OPTIONS)
    total = options + tally["blank"] + tally["invalid"]
    if total != tally["returned"]:
        return "VOTE_TALLY_NOT_RECONCILED", {"tally": label, "options": options, "blank": tally["blank"],
                                             "invalid": tally["invalid"], "total": total,
                                             "returned": tally["returned"]}
    if tally["returned"] > tally["issued"]:
        return "VOTE_RETURNED_EXCEEDS_ISSUED", {"tally": label, "returned": tally["returned"],
                                                "issued": tally["issued"]}
    if tally["issued"] > present:
        return "VOTE_ISSUED_EXCEEDS_PRESENT", {"tally": label, "issued": tally["issued"], "present": present}
    return None


def satisfaction_denominator(policy: Policy, tally: Mapping[str, int]) -> int:
    """VOTE-2 / A-09: ballots returned (incl. blank and invalid) or valid ballots only."""
    mode = policy.get("votes.denominator", "VOTE-2")
    if mode == "ballots_returned":
        return int(tally["returned"])
    if mode == "valid_ballots":
        return int(tally["returned"]) - int(tally["blank"]) - int(tally["invalid"])
    raise DefinitionError(t("rehire.denominator_unknown", pack=policy.code, value=mode))


def on_meeting(ctx: GuardContext) -> Effect:
    """AR-4: the community's meeting, each worker's sheets with the exact mean (A-16), the satisfaction
    tallies with their 不满意 rate (VOTE-2), and (without PLAN5) the proposed grades."""
    code = payload_community(ctx)
    meetings = data_of(ctx, MEETINGS)
    meetings[code] = {"date": ctx.payload["assessment_meeting_date"],
                      "present": ctx.payload.get("attendance_present"),
                      "debriefed": list(ctx.payload.get("debriefed_workers") or []),
                      "held_by": ctx.actor.login, "at": ctx.now.isoformat()}
    scores = data_of(ctx, SCORES)
    for key, value in (ctx.payload.get("score_sheets") or {}).items():
        parsed = _scores_for(value)
        assert parsed is not None
        values = [parse_score(v) for v in parsed[0]]
        exact = ana.mean([v for v in values if v is not None])
        scores[str(wid(key))] = {"sheets": [str(v) for v in values], "invalid": parsed[1],
                                 "mean": ana.fraction_text(exact), "display": ana.score_display(exact)}
    satisfaction = data_of(ctx, SATISFACTION)
    for key, tally in (ctx.payload.get("satisfaction_tallies") or {}).items():
        n = satisfaction_denominator(ctx.policy, tally)
        satisfaction[str(wid(key))] = {**{k: tally[k] for k in TALLY_KEYS}, "denominator": n,
                                       "dissatisfied_rate": f"{tally['dissatisfied']}/{n}",
                                       "display": pct(tally["dissatisfied"], n)}
    proposals = data_of(ctx, PROPOSALS)
    for key, value in (ctx.payload.get("proposed_grades") or {}).items():
        proposals[str(wid(key))] = grade_code(ctx.policy, value)
    return Effect(data={MEETINGS: meetings, SCORES: scores, SATISFACTION: satisfaction, PROPOSALS: proposals})


def all_meetings_held(ctx: GuardContext) -> Verdict:
    """SYSTEM (AR-4 completed): every community of the round has held its meeting."""
    held = set(ctx.case.data.get(MEETINGS) or {})
    missing = [code for code in scope(ctx) if code not in held]
    if missing:
        return Verdict.fail(AR_SCOPE, "ANA_MEETINGS_PENDING", communities=join_list(missing))
    return Verdict.passed(AR_SCOPE)


# ---------------------------------------------------------------- AR-5 findings and grades


Problem = tuple[str, dict[str, Any]]  # an error code and its message parameters
FINDING_KEYS = ("art17", "art18", "attested_excellent", "refusal", "note")
REFUSAL_DATES = ("refused_on", "educated_on", "still_refused_on")


def _parse_findings(ctx: GuardContext, raw: Any) -> tuple[dict[str, dict[str, Any]], Problem | None]:
    """Findings per worker: {"art17": [items], "art18": [items], "attested_excellent": bool,
    "refusal": {"refused_on", "educated_on", "still_refused_on"}, "note": text}."""
    out: dict[str, dict[str, Any]] = {}
    if raw is None:
        return out, None
    if not isinstance(raw, Mapping):
        return out, ("ANA_FINDING_INVALID", {"worker": "—", "problem": t("assessment.findings.shape")})
    members = set(all_workers(ctx))
    for key, entry in raw.items():
        worker_id = wid(key)
        if worker_id is None or worker_id not in members:
            return out, ("ANA_WORKER_NOT_IN_ROUND", {"worker": key})
        clean, problem = _parse_finding(ctx, entry)
        if problem is not None:
            return out, ("ANA_FINDING_INVALID", {"worker": worker_label(ctx, worker_id), "problem": problem})
        out[str(worker_id)] = clean
    return out, None


def _parse_finding(ctx: GuardContext, entry: Any) -> tuple[dict[str, Any], str | None]:
    """One worker's findings, or the reason they are invalid."""
    if not isinstance(entry, Mapping):
        return {}, t("assessment.findings.shape")
    unknown = sorted(set(entry) - set(FINDING_KEYS))
    if unknown:
        return {}, t("assessment.findings.unknown", key=unknown[0])
    clean: dict[str, Any] = {}
    if "art17" in entry or "art18" in entry or "refusal" in entry:
        ctx.policy.get("assessment.findings_rules", "ANA-8")  # NOT_CONFIGURED where the pack has none
    if "attested_excellent" in entry:
        ctx.policy.get("assessment.excellent_attestation_required", "ANA-7")
        if not isinstance(entry["attested_excellent"], bool):
            return {}, t("payload.not_bool")
        clean["attested_excellent"] = entry["attested_excellent"]
    for key_items, allowed, article in (("art17", ana.ART17_FINDING_ITEMS, ART17.article),
                                        ("art18", ana.ART18_FINDING_ITEMS, ART18.article)):
        if key_items not in entry:
            continue
        items = entry[key_items]
        if not isinstance(items, list) or any(isinstance(i, bool) or i not in allowed for i in items):
            return {}, t("assessment.findings.items", article=article, allowed=join_list(allowed))
        clean[key_items] = sorted(set(items))
    if "refusal" in entry:
        refusal = entry["refusal"]
        problem = _refusal_problem(ctx, refusal)
        if problem is not None:
            return {}, problem
        clean["refusal"] = None if refusal is None else {k: refusal.get(k) for k in REFUSAL_DATES}
    if "note" in entry:
        clean["note"] = str(entry["note"])
    return clean, None


def _refusal_problem(ctx: GuardContext, refusal: Any) -> str | None:
    if refusal is None:
        return None
    if not isinstance(refusal, Mapping):
        return t("assessment.findings.refusal_shape")
    dates: list[date] = []
    for key in REFUSAL_DATES:
        value = refusal.get(key)
        if value is None:
            continue
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return t("assessment.findings.refusal_date", item=t(f"assessment.refusal.{key}"), value=value)
        if day > ctx.today:
            return t("assessment.findings.refusal_future", item=t(f"assessment.refusal.{key}"),
                     value=day.isoformat())
        dates.append(day)
    if dates != sorted(dates):
        return t("assessment.findings.refusal_order")
    return None


def findings_valid(ctx: GuardContext) -> Verdict:
    """AR-5: findings of 第十五条 (ANA-7 attestation), 第十七条 1,2,3,4,6,8 (ANA-8), 第十八条 1–5 and the
    item 6 refusal record with its dates (ANA-9), for workers of the round."""
    _, problem = _parse_findings(ctx, ctx.payload.get("worker_findings"))
    if problem is None:
        return Verdict.passed(ANA_FINDINGS)
    return Verdict.fail(ANA_FINDINGS, problem[0], **problem[1])


def merged_findings(ctx: GuardContext, raw: Any) -> dict[str, dict[str, Any]]:
    """The round's findings with `raw` merged in (per worker, per key)."""
    parsed, problem = _parse_findings(ctx, raw)
    assert problem is None
    findings = data_of(ctx, FINDINGS)
    for key, entry in parsed.items():
        findings[key] = {**(findings.get(key) or {}), **entry}
    return findings


def on_findings(ctx: GuardContext) -> Effect:
    """AR-5 findings; once grades are proposed (GRADES_PROPOSED: no results posted in this cycle yet) the
    grades are recomputed with them."""
    findings = merged_findings(ctx, ctx.payload.get("worker_findings"))
    if ctx.case.data.get(RESULTS) is None:
        return Effect(data={FINDINGS: findings})
    result = compute(ctx, {**ctx.case.data, FINDINGS: findings})
    return Effect(data={FINDINGS: findings, **results_data(result)})


def grades_current(ctx: GuardContext) -> Verdict:
    """AR-7/AR-8: the grades about to become FINAL are still what the round's records and the workers'
    recorded facts (absence days, the previous year's FINAL grade) give; a record changed since the grades
    were proposed must first be taken into account (AR-5 findings before posting, or an objection's
    finding)."""
    stored = {k: v.get("grade") for k, v in (ctx.case.data.get(RESULTS) or {}).items()}
    now = {str(d.worker_id): d.grade for d in compute(ctx, ctx.case.data).derivations}
    changed = [worker_label(ctx, int(k)) for k in sorted(now, key=int) if stored.get(k) != now[k]]
    if not changed:
        return Verdict.passed(AR_5)
    return Verdict.fail(AR_5, "ANA_GRADES_STALE", workers=join_list(changed))


def _refusal(entry: Mapping[str, Any] | None) -> ana.Refusal | None:
    if not entry or not entry.get("refusal"):
        return None
    r = entry["refusal"]
    return ana.Refusal(as_date(r.get("refused_on")), as_date(r.get("educated_on")),
                       as_date(r.get("still_refused_on")))


def worker_inputs(ctx: GuardContext, data: Mapping[str, Any]) -> list[ana.WorkerInput]:
    """ANA-G inputs of every worker of the round from the round's records (`data`) and the facts."""
    year = int(data["assessment_year"])
    facts = ctx.facts.get("workers") or {}
    scores = data.get(SCORES) or {}
    proposals = data.get(PROPOSALS) or {}
    findings = data.get(FINDINGS) or {}
    out: list[ana.WorkerInput] = []
    for code, community in (data.get(SCOPE) or {}).items():
        for worker_id in community["workers"]:
            key = str(worker_id)
            fact = facts.get(int(worker_id)) or {}
            grades = fact.get("grades") or {}
            prior = grades.get(year - 1)
            entry = findings.get(key) or {}
            score = scores.get(key)
            absences: tuple[Absence, ...] = tuple(fact.get("absences") or ())
            out.append(ana.WorkerInput(
                worker_id=int(worker_id), community=code, year=year,
                score=Fraction(score["mean"]) if score else None, proposed=proposals.get(key),
                attested_excellent=bool(entry.get("attested_excellent")),
                art17=tuple(entry.get("art17") or ()), art18=tuple(entry.get("art18") or ()),
                refusal=_refusal(entry), absences=absences,
                prior_grade=getattr(prior, "grade", None)))
    return out


def compute(ctx: GuardContext, data: Mapping[str, Any]) -> ana.RoundResult:
    """ANA-G steps 1–7 for the whole round."""
    selections = {code: [int(w) for w in s.get("keep", [])]
                  for code, s in (data.get(SELECTIONS) or {}).items()}
    # Working days (CAL-1) on the transaction's calendar where the context carries one, else the bundled data.
    calendar = getattr(ctx, "calendar", None)
    if calendar is not None:
        return ana.grade_round(worker_inputs(ctx, data), grading_rules(ctx.policy), selections,
                               is_working_day=calendar.is_working_day)
    return ana.grade_round(worker_inputs(ctx, data), grading_rules(ctx.policy), selections)


def results_data(result: ana.RoundResult) -> dict[str, Any]:
    return {RESULTS: {str(d.worker_id): d.to_data() for d in result.derivations},
            QUOTA: {q.community: q.to_data() for q in result.quota}}


def every_worker_graded(ctx: GuardContext) -> Verdict:
    """AR-5: every worker in scope has a score (or, without PLAN5, a proposed grade) or a complete refusal
    record (ANA-9 item 6: refusal, education and continued refusal, all dated)."""
    findings = merged_findings(ctx, ctx.payload.get("worker_findings")) if findings_valid(ctx).ok else {}
    scores = ctx.case.data.get(SCORES) or {}
    proposals = ctx.case.data.get(PROPOSALS) or {}
    missing = []
    for worker_id in all_workers(ctx):
        key = str(worker_id)
        refusal = _refusal(findings.get(key))
        if key in scores or proposals.get(key) or (refusal is not None and refusal.complete):
            continue
        missing.append(worker_label(ctx, worker_id))
    if missing:
        return Verdict.fail(AR_5, workers=join_list(missing))
    return Verdict.passed(AR_5)


def not_configured_rules(ctx: GuardContext) -> Verdict:
    """A-36 / A-41 (warning): the DONGQU grading rules this pack does not configure are not applied."""
    rules = grading_rules(ctx.policy)
    checked = (("ANA-7", rules.attestation_required), ("ANA-8/9", rules.findings), ("ABS-1", rules.abs_basic),
               ("ABS-2", rules.abs_incompetent), (f"ANA-9 ({ART18_8.article})", rules.carry_over),
               ("ANA-4", rules.quota))
    missing = [rule for rule, value in checked if value is None]
    if not missing:
        return Verdict.passed(ANA_G)
    return Verdict.warn(ANA_G, pack=ctx.policy.code, rules=join_list(missing))


def on_grades_proposed(ctx: GuardContext) -> Effect:
    """AR-5: findings merged, then ANA-G for every worker (grade after each step, rule ids) and ANA-4 per
    community."""
    data = dict(ctx.case.data)
    data[FINDINGS] = merged_findings(ctx, ctx.payload.get("worker_findings"))
    result = compute(ctx, data)
    return Effect(data={FINDINGS: data[FINDINGS], **results_data(result)})


# ---------------------------------------------------------------- ANA-4 quota


def quota_groups(ctx: GuardContext) -> dict[str, Mapping[str, Any]]:
    return {code: q for code, q in (ctx.case.data.get(QUOTA) or {}).items()}


def quota_satisfied(ctx: GuardContext) -> Verdict:
    """ANA-4 (A-15): in every community at most ⌊N/5⌋ 优秀 (N = workers graded in the community), else blocked
    until STREET_ASSESSMENT_GROUP selects who keeps 优秀 (the engine never picks; ties the same way)."""
    blocked = [q for q in quota_groups(ctx).values() if q.get("blocked")]
    if not blocked:
        return Verdict.passed(ANA_4)
    q = blocked[0]
    return Verdict.fail(ANA_4, community=q["community"], n=q["n"], max=q["max"], count=len(q["candidates"]),
                        workers=join_list(worker_label(ctx, w) for w in q["candidates"]))


def selection_valid(ctx: GuardContext) -> Verdict:
    """ANA-4 resolution: the community is over its ceiling; the workers named are 优秀 after steps 1–6, no
    more than the ceiling, each once."""
    ctx.policy.get("assessment.excellent_quota", ANA_4.id)
    code = payload_community(ctx)
    group = quota_groups(ctx).get(code)
    keep = ctx.payload.get("excellent_keep")
    if group is None:
        return Verdict.fail(AR_SCOPE, community=code or "—", scope=join_list(scope(ctx)))
    candidates = [int(w) for w in group["candidates"]]
    if len(candidates) <= int(group["max"]):
        return Verdict.fail(ANA_4, "ANA_QUOTA_NOT_EXCEEDED", community=code, count=len(candidates),
                            max=group["max"])
    if not isinstance(keep, list) or any(wid(w) is None for w in keep):
        return Verdict.fail(ANA_4, "ANA_SELECTION_INVALID", community=code,
                            problem=t("assessment.selection.shape"))
    ids = [wid(w) for w in keep]
    if len(set(ids)) != len(ids):
        return Verdict.fail(ANA_4, "ANA_SELECTION_INVALID", community=code,
                            problem=t("assessment.selection.duplicate"))
    outside = [w for w in ids if w not in candidates]
    if outside:
        return Verdict.fail(ANA_4, "ANA_SELECTION_INVALID", community=code, problem=t(
            "assessment.selection.not_candidate", workers=join_list(str(w) for w in outside),
            candidates=join_list(worker_label(ctx, w) for w in candidates)))
    if len(ids) > int(group["max"]):
        return Verdict.fail(ANA_4, "ANA_SELECTION_INVALID", community=code, problem=t(
            "assessment.selection.too_many", count=len(ids), max=group["max"]))
    return Verdict.passed(ANA_4)


def on_selection(ctx: GuardContext) -> Effect:
    """ANA-4 resolution: the selection with its reason; the others become 称职 (step 7 recomputed)."""
    code = payload_community(ctx)
    selections = data_of(ctx, SELECTIONS)
    selections[code] = {"keep": [wid(w) for w in ctx.payload["excellent_keep"]],
                        "reason": ctx.payload.get("quota_reason"), "by": ctx.actor.login,
                        "on": ctx.today.isoformat()}
    data = {**ctx.case.data, SELECTIONS: selections}
    return Effect(data={SELECTIONS: selections, **results_data(compute(ctx, data))})


def all_graded(ctx: GuardContext) -> Verdict:
    """AR-6 / AR-8: no worker of the round without a grade."""
    results = ctx.case.data.get(RESULTS) or {}
    missing = [worker_label(ctx, w) for w in all_workers(ctx)
               if (results.get(str(w)) or {}).get("grade") is None]
    if missing:
        return Verdict.fail(AR_5, workers=join_list(missing))
    return Verdict.passed(AR_5)


# ---------------------------------------------------------------- AR-6 results publicity (PLAN-3)


def results_not_yet_posted(ctx: GuardContext) -> Verdict:
    """AR-6: a community posts its results once per publicity cycle."""
    code = actor_community(ctx) or ""
    posting = (ctx.case.data.get(RESULTS_PUBLICITY) or {}).get(code)
    if posting is None:
        return Verdict.passed(AR_SCOPE)
    return Verdict.fail(AR_SCOPE, "ANA_RESULTS_ALREADY_POSTED", community=code, posted=posting["posted_on"])


def results_after_meetings(ctx: GuardContext) -> Verdict:
    """AR-6: results are posted on or after the community's meeting."""
    code = actor_community(ctx) or ""
    meeting = as_date(((ctx.case.data.get(MEETINGS) or {}).get(code) or {}).get("date"))
    posted = as_date(ctx.payload.get(pub.POSTED_ON))
    if meeting is None or posted is None or posted >= meeting:
        return Verdict.passed(ANA_DATES)
    return Verdict.fail(ANA_DATES, "DATE_ORDER", later=t("fields.posted_on"), later_date=posted.isoformat(),
                        earlier=t("fields.assessment_meeting_date"), earlier_date=meeting.isoformat())


def on_results_posted(ctx: GuardContext) -> Effect:
    """AR-6 / PLAN-3: the community's results posting, ≥ 7 calendar days (CAL-2; A-01, A-03, A-04)."""
    code = actor_community(ctx)
    assert code is not None
    posted = as_date(ctx.payload[pub.POSTED_ON])
    assert posted is not None
    days = ctx.policy.int("assessment.plan5.result_publicity_days", PLAN_3.id)
    last, extended = pub.last_day(ctx.policy, posted, days, PLAN_3.id)
    postings = data_of(ctx, RESULTS_PUBLICITY)
    postings[code] = {"posted_on": posted.isoformat(), "days": days, "last_day": last.isoformat(),
                      "ends_at": pub.ends_at(last).isoformat(), "extended": extended, "ended_at": None,
                      "place": ctx.payload.get(pub.PLACE), "doc_ref": ctx.payload.get(pub.DOC_REF),
                      "by": ctx.actor.login, "cycle": int(ctx.case.data.get(CYCLE) or 1),
                      "grades": {str(w): (ctx.case.data.get(RESULTS) or {}).get(str(w), {}).get("grade")
                                 for w in community_workers(ctx, code)}}
    return Effect(data={RESULTS_PUBLICITY: postings, "last_results_posting": code})


def results_end_due(ctx: GuardContext) -> DeadlineDue:
    """PLAN-3: the community's results publicity ends at the end of its last day."""
    code = ctx.case.data["last_results_posting"]
    posting = ctx.case.data[RESULTS_PUBLICITY][code]
    last = as_date(posting["last_day"])
    assert last is not None
    return DeadlineDue(local_midnight(last + timedelta(days=1)), {
        "community": code, "posted_on": posting["posted_on"], "days": posting["days"],
        "last_day": last.isoformat(), "extended": posting["extended"], "cycle": posting["cycle"],
        "rule_text": t("pub.basis", posted=posting["posted_on"], days=posting["days"],
                       last_day=last.isoformat())})


def _over(posting: Mapping[str, Any], ctx: GuardContext) -> bool:
    last = as_date(posting.get("last_day"))
    return last is not None and ctx.now >= pub.ends_at(last)


def some_results_period_over(ctx: GuardContext) -> Verdict:
    """PLAN-3 (SYSTEM): a community's results period has run its course."""
    postings = (ctx.case.data.get(RESULTS_PUBLICITY) or {}).values()
    if any(_over(p, ctx) and not p.get("ended_at") for p in postings):
        return Verdict.passed(PLAN_3)
    return Verdict.fail(PLAN_3, "ANA_NOTHING_TO_END")


def on_results_ended(ctx: GuardContext) -> Effect:
    """PLAN-3: record the actual end of every results period that is over."""
    postings = data_of(ctx, RESULTS_PUBLICITY)
    for code, posting in postings.items():
        if _over(posting, ctx) and not posting.get("ended_at"):
            postings[code] = {**posting, "ended_at": ctx.now.isoformat()}
    return Effect(data={RESULTS_PUBLICITY: postings})


def all_results_posted(ctx: GuardContext) -> Verdict:
    """AR-7: every community has posted its results in this cycle."""
    postings = ctx.case.data.get(RESULTS_PUBLICITY) or {}
    missing = [code for code in scope(ctx) if code not in postings]
    if missing:
        return Verdict.fail(PLAN_3, "ANA_RESULTS_NOT_POSTED", communities=join_list(missing))
    return Verdict.passed(PLAN_3)


def all_results_periods_over(ctx: GuardContext) -> Verdict:
    """PLAN-3 (A-32): grades become FINAL only after every community's results publicity has run ≥ 7 days:
    FINAL is allowed from the day after the last day."""
    for code, posting in sorted((ctx.case.data.get(RESULTS_PUBLICITY) or {}).items()):
        if not _over(posting, ctx):
            last = as_date(posting["last_day"])
            assert last is not None
            return Verdict.fail(PLAN_3, community=code, last_day=last.isoformat(), days=posting["days"],
                                next_day=(last + timedelta(days=1)).isoformat())
    return Verdict.passed(PLAN_3)


def all_results_ended(ctx: GuardContext) -> Verdict:
    """SYSTEM: every community posted and every period's end recorded → RESULTS_PUBLICITY_ENDED."""
    postings = ctx.case.data.get(RESULTS_PUBLICITY) or {}
    if all(code in postings and postings[code].get("ended_at") for code in scope(ctx)):
        return Verdict.passed(PLAN_3)
    return Verdict.fail(PLAN_3, "ANA_NOTHING_TO_END")


def result_objections_cleared(ctx: GuardContext) -> Verdict:
    """PUB (A-14): FINAL is blocked while a timely objection to the results lacks a finding."""
    open_ids = [o["id"] for o in pub.objections(ctx.case.data)
                if o.get("phase") == PHASE_RESULTS and not o.get("late") and not o.get("finding")]
    if not open_ids:
        return Verdict.passed(PLAN_PUB)
    return Verdict.fail(PLAN_PUB, objections=join_list(open_ids),
                        phase=t(f"assessment.phase_names.{PHASE_RESULTS}"))


# ---------------------------------------------------------------- objections and findings (PUB)


def objection_phase(state: str, results_states: Sequence[str]) -> str:
    return PHASE_RESULTS if state in results_states else PHASE_PERFORMANCE


def objection_target_valid(results_states: Sequence[str]) -> Callable[[GuardContext], Verdict]:
    """An objection names a community of the round that has posted in the current phase, and optionally a
    worker of that community; it is not received before the posting."""

    def guard(ctx: GuardContext) -> Verdict:
        code = payload_community(ctx)
        if code not in scope(ctx):
            return Verdict.fail(AR_SCOPE, community=code or "—", scope=join_list(scope(ctx)))
        phase = objection_phase(ctx.case.state, results_states)
        key = RESULTS_PUBLICITY if phase == PHASE_RESULTS else PERFORMANCE
        posting = (ctx.case.data.get(key) or {}).get(code)
        if posting is None:
            return Verdict.fail(AR_SCOPE, "ANA_NOTHING_POSTED", community=code,
                                phase=t(f"assessment.phase_names.{phase}"))
        worker = ctx.payload.get("objection_worker_id")
        if worker is not None and int(worker) not in community_workers(ctx, code):
            return Verdict.fail(AR_SCOPE, "ANA_WORKER_NOT_IN_COMMUNITY", worker=worker, community=code)
        received = as_date(ctx.payload.get("objection_received_on"))
        posted = as_date(posting["posted_on"])
        if received is not None and posted is not None and received < posted:
            return Verdict.fail(ANA_DATES, "DATE_ORDER", later=t("fields.objection_received_on"),
                                later_date=received.isoformat(), earlier=t("fields.posted_on"),
                                earlier_date=posted.isoformat())
        return Verdict.passed(AR_SCOPE)

    guard.__name__ = "objection_target_valid"
    return guard


def objection_effect(running: Mapping[str, str], results_states: Sequence[str]) -> Callable[[GuardContext],
                                                                                          Effect]:
    """Lodging an objection (A-14): a numbered record with its phase, community, worker and results cycle. It
    is late when lodged outside the phase's running state (`running[phase]`), after the community's meeting
    (实绩), after the period ended (results), or when received after the period's last day."""

    def effect(ctx: GuardContext) -> Effect:
        records = pub.objections(ctx.case.data)
        code = payload_community(ctx)
        phase = objection_phase(ctx.case.state, results_states)
        key = RESULTS_PUBLICITY if phase == PHASE_RESULTS else PERFORMANCE
        posting = (ctx.case.data.get(key) or {}).get(code) or {}
        received = as_date(ctx.payload.get("objection_received_on"))
        last = as_date(posting.get("last_day"))
        late = (ctx.case.state != running[phase]
                or (received is not None and last is not None and received > last)
                or (phase == PHASE_PERFORMANCE and code in (ctx.case.data.get(MEETINGS) or {}))
                or (phase == PHASE_RESULTS and bool(posting.get("ended_at"))))
        anonymous = bool(ctx.payload.get("objection_anonymous", False))
        worker = ctx.payload.get("objection_worker_id")
        records.append({
            "id": f"OBJ-{len(records) + 1}", "phase": phase, "community": code,
            "worker_id": int(worker) if worker is not None else None,
            "cycle": int(ctx.case.data.get(CYCLE) or 1) if phase == PHASE_RESULTS else None,
            "received_on": received.isoformat() if received else None,
            "receiver": ctx.payload.get("objection_receiver"),
            "content": ctx.payload.get("objection_content"),
            "anonymous": anonymous, "late": late, "lodged_at": ctx.now.isoformat(),
            "lodged_in_state": ctx.case.state, "lodged_by": None if anonymous else ctx.actor.login,
            "finding": None})
        return Effect(data={pub.OBJECTIONS: records, "objection_anonymous": anonymous})

    effect.__name__ = "on_objection"
    return effect


def corrections_allowed(results_states: Sequence[str]) -> Callable[[GuardContext], Verdict]:
    """Corrections of the round's inputs come only with a 属实且影响 finding on a results objection, while the
    results are in publicity; they are findings-shaped, plus `scores` (sheets) per worker."""

    def guard(ctx: GuardContext) -> Verdict:
        corrections = ctx.payload.get("finding_corrections")
        if corrections is None:
            return Verdict.passed(PLAN_PUB)
        target = pub.find(pub.objections(ctx.case.data), str(ctx.payload.get("objection_id") or "").strip())
        if (target is None or target.get("phase") != PHASE_RESULTS or ctx.case.state not in results_states
                or ctx.payload.get("objection_finding") != pub.SUBSTANTIATED_AFFECTING):
            return Verdict.fail(PLAN_PUB, "ANA_CORRECTION_NOT_ALLOWED")
        if not isinstance(corrections, Mapping):
            return Verdict.fail(ANA_FINDINGS, "ANA_FINDING_INVALID", worker="—",
                                problem=t("assessment.findings.shape"))
        findings_only: dict[str, Any] = {}
        for key, entry in corrections.items():
            worker_id = wid(key)
            if worker_id is None or worker_id not in all_workers(ctx) or not isinstance(entry, Mapping):
                return Verdict.fail(ANA_FINDINGS, "ANA_WORKER_NOT_IN_ROUND", worker=key)
            if "scores" in entry:
                parsed = _scores_for(entry["scores"])
                if parsed is None or not parsed[0] or any(parse_score(s) is None for s in parsed[0]):
                    return Verdict.fail(PLAN_MEETING, worker=worker_label(ctx, worker_id),
                                        problem=t("assessment.scores.shape"))
            findings_only[key] = {k: v for k, v in entry.items() if k != "scores"}
        _, problem = _parse_findings(ctx, findings_only)
        if problem is not None:
            return Verdict.fail(ANA_FINDINGS, problem[0], **problem[1])
        return Verdict.passed(PLAN_PUB)

    guard.__name__ = "corrections_allowed"
    return guard


def finding_effect(results_states: Sequence[str]) -> Callable[[GuardContext], Effect]:
    """A finding (STREET_ASSESSMENT_GROUP, A-14). On a results objection found 属实且影响 while the results
    are in publicity, the corrections are applied and the grades recomputed; if any grade changes, the round
    is flagged for regrading (SYSTEM then sends it back to GRADES_PROPOSED)."""

    def effect(ctx: GuardContext) -> Effect:
        records = pub.objections(ctx.case.data)
        target = pub.find(records, str(ctx.payload["objection_id"]).strip())
        assert target is not None
        target["finding"] = {"finding": ctx.payload["objection_finding"], "on": ctx.payload["finding_on"],
                             "note": ctx.payload.get("finding_note"), "by": ctx.actor.login,
                             "role": ctx.actor.role, "at": ctx.now.isoformat(),
                             "case_version": ctx.case.version}
        out: dict[str, Any] = {pub.OBJECTIONS: records}
        if (target.get("phase") != PHASE_RESULTS or ctx.case.state not in results_states
                or ctx.payload["objection_finding"] != pub.SUBSTANTIATED_AFFECTING):
            return Effect(data=out)
        corrections = ctx.payload.get("finding_corrections") or {}
        data = dict(ctx.case.data)
        scores = data_of(ctx, SCORES)
        for key, entry in corrections.items():
            if "scores" in entry:
                parsed = _scores_for(entry["scores"])
                assert parsed is not None
                values = [parse_score(v) for v in parsed[0]]
                exact = ana.mean([v for v in values if v is not None])
                scores[str(wid(key))] = {"sheets": [str(v) for v in values], "invalid": parsed[1],
                                         "mean": ana.fraction_text(exact),
                                         "display": ana.score_display(exact), "corrected_by": target["id"]}
        data[SCORES] = scores
        data[FINDINGS] = merged_findings(ctx, {k: {x: y for x, y in v.items() if x != "scores"}
                                               for k, v in corrections.items()})
        before = {k: v.get("grade") for k, v in (ctx.case.data.get(RESULTS) or {}).items()}
        result = compute(ctx, data)
        after = {str(d.worker_id): d.grade for d in result.derivations}
        changed = {k: [before.get(k), g] for k, g in after.items() if before.get(k) != g}
        target["finding"]["grade_changes"] = changed
        out.update({SCORES: scores, FINDINGS: data[FINDINGS], **results_data(result)})
        if changed:
            out[REGRADE] = {"objection": target["id"], "changed": changed, "at": ctx.now.isoformat()}
        return Effect(data=out)

    effect.__name__ = "on_finding"
    return effect


def regrade_pending(ctx: GuardContext) -> Verdict:
    """SYSTEM (AR-7 restart): a finding changed a grade."""
    if ctx.case.data.get(REGRADE):
        return Verdict.passed(PLAN_PUB)
    return Verdict.fail(PLAN_PUB, "ANA_NO_REGRADE")


def no_regrade_pending(ctx: GuardContext) -> Verdict:
    pending = ctx.case.data.get(REGRADE)
    if not pending:
        return Verdict.passed(PLAN_PUB)
    return Verdict.fail(PLAN_PUB, "ANA_REGRADE_PENDING", objection=pending["objection"])


def on_regrade(ctx: GuardContext) -> Effect:
    """Back to GRADES_PROPOSED: the postings of this cycle go to history; every community posts its new
    results (a new period, PLAN-3 restarts)."""
    history = list(ctx.case.data.get("results_publicity_history") or [])
    history.append({"cycle": int(ctx.case.data.get(CYCLE) or 1),
                    "postings": dict(ctx.case.data.get(RESULTS_PUBLICITY) or {}),
                    "restarted_by": ctx.case.data.get(REGRADE)})
    return Effect(data={"results_publicity_history": history, RESULTS_PUBLICITY: {},
                        CYCLE: int(ctx.case.data.get(CYCLE) or 1) + 1, REGRADE: None})


# ---------------------------------------------------------------- FINAL: grades and PLAN5 consequences


def final_grades(ctx: GuardContext) -> dict[int, str]:
    results = ctx.case.data.get(RESULTS) or {}
    return {w: str(results[str(w)]["grade"]) for w in all_workers(ctx)}


def consequences(ctx: GuardContext, grades: Mapping[int, str]) -> list[dict[str, Any]]:
    """PLAN5 §八(二)(三) consequences created on FINAL (flags and tasks, recorded in the round):
    - PLAN-4: a 两委 member whose 不满意 rate > 30% (`dissatisfied > p·N`, VOTE-2; exactly 30% →
      nothing) → task for STREET_PARTY_COMMITTEE (责令辞职或启动罢免程序; external procedure, outcome
      recorded only, A-35);
    - PLAN-5: public-affairs staff graded 基本称职 → task 诫勉谈话 by a 街道党工委 member (deadline length
      UNSPECIFIED, recorded when held); 不称职 or two consecutive 基本称职 → flag 原则上不予续聘 (SOFT-1),
      read at the next 考核聘用;
    - §八(二): 不称职 or two consecutive 基本称职 → flag no performance pay; two consecutive 优秀 → flag for
      the 区民政局 reward.
    Without PLAN5 nothing is created."""
    if not plan5_on(ctx.policy):
        return []
    year = year_of(ctx)
    facts = ctx.facts.get("workers") or {}
    satisfaction = ctx.case.data.get(SATISFACTION) or {}
    limit = ctx.policy.fraction("assessment.plan5.dissatisfied_gt", PLAN_4.id)
    public_affairs = list(ctx.policy.get("assessment.plan5.public_affairs_categories", PLAN_5.id))
    out: list[dict[str, Any]] = []

    def add(kind: str, worker_id: int, rule: Rule, to_role: str, **details: Any) -> None:
        out.append({"id": f"C-{len(out) + 1}", "kind": kind,
                    "type": t(f"assessment.consequence_types.{kind}"),
                    "worker_id": worker_id, "community": worker_info(ctx, worker_id).get("community"),
                    "to_role": to_role, "rule_id": rule.id, "citation": rule.citation, "status": "OPEN",
                    "created_on": ctx.today.isoformat(), "year": year, **details})

    for worker_id, grade in sorted(grades.items()):
        category = worker_info(ctx, worker_id).get("category")
        prior_fact = ((facts.get(worker_id) or {}).get("grades") or {}).get(year - 1)
        prior = getattr(prior_fact, "grade", None)
        two_basic = grade == ana.BASIC and prior == ana.BASIC
        tally = satisfaction.get(str(worker_id))
        if category in TWO_COMMITTEES and tally is not None:
            n = int(tally["denominator"])
            if n > 0 and tally["dissatisfied"] > limit * n:
                add("RECALL_OR_RESIGN_TASK", worker_id, PLAN_4, "STREET_PARTY_COMMITTEE",
                    dissatisfied=tally["dissatisfied"], denominator=n, display=pct(tally["dissatisfied"], n))
        if category in public_affairs:
            if grade == ana.BASIC:
                add("ADMONITION_TALK_TASK", worker_id, PLAN_5, "STREET_PARTY_COMMITTEE",
                    rectification_deadline=None)
            if grade == ana.INCOMPETENT or two_basic:
                add("NOT_RENEW_FLAG", worker_id, PLAN_5, "DISTRICT_CIVIL_AFFAIRS", soft=True,
                    prior_grade=prior, grade=grade)
        if grade == ana.INCOMPETENT or two_basic:
            add("NO_PERFORMANCE_PAY_FLAG", worker_id, PLAN_REWARD, "DISTRICT_CIVIL_AFFAIRS",
                prior_grade=prior, grade=grade)
        if grade == ana.EXCELLENT and prior == ana.EXCELLENT:
            add("REWARD_FLAG", worker_id, PLAN_REWARD, "DISTRICT_CIVIL_AFFAIRS", prior_grade=prior)
    return out
