"""ANA-G — the annual grade derivation of spec §4.4.3, as pure functions (no I/O, no clock, no policy object).

Steps, in the spec's order; the grade after each step and the rule ids applied are kept (they feed error
messages, the round's results and the audit trail):

1. score `s`: the exact mean of the valid anonymous score sheets (PLAN5 §七), a `Fraction`, never rounded
   before banding (A-16) — or, without scores, the grade the street proposes (ANA-2);
2. band: `s ≥ 90` 优秀, `≥ 80` 称职, `≥ 60` 基本称职, else 不称职; the printed gap 59 < s < 60 goes to the
   pack's `gap_59_60` grade (default 不称职, A-16);
3. ANA-7: 优秀 without the 第十五条 attestation → 称职;
4. ANA-8 (incl. ABS-1): any finding of 第十七条 1, 2, 3, 4, 6, 8, or an absence run > 3 / year total > 7
   → at most 基本称职;
5. ANA-9 (incl. ABS-2): any finding of 第十八条 1–5, a complete refusal record (item 6), or an absence run
   > 5 / year total > 10 → 不称职;
6. carry-over (第十八条8): previous FINAL 基本称职 and the grade after step 5 below 称职 → 不称职;
7. quota ANA-4 per community: at most ⌊N·q⌋ 优秀 (q = 1/5); over it the round is blocked until the street
   assessment group selects who keeps 优秀 — the engine never picks, ties included (A-15).

The worst applicable outcome wins (A-18): steps only lower a grade. A rule whose pack value is not configured
(`None` below) is not applied and is recorded as such (A-36: a DONGQU rule applies to another pack only when
configured; A-41). Grades are the storage codes of the four ordinal tiers (best first); a pack's own tier
labels (e.g. HONGSHAN 优秀/合格/诫勉/不合格) map onto them by position, for storage only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from typing import Any

from engine.absence import Absence, WorkingDayFn, abs1_basic, abs2_incompetent
from engine.calendar import is_working_day as _calendar_working_day

EXCELLENT = "EXCELLENT"
COMPETENT = "COMPETENT"
BASIC = "BASIC"
INCOMPETENT = "INCOMPETENT"
GRADES = (EXCELLENT, COMPETENT, BASIC, INCOMPETENT)  # ordinal, best first (seed 000 第十二条)
RANK = {INCOMPETENT: 0, BASIC: 1, COMPETENT: 2, EXCELLENT: 3}

# 第十七条 is printed 1,2,3,4,6,7,8 (no item 5); item 7 (absence) is computed (ABS-1), the rest are findings.
ART17_FINDING_ITEMS = (1, 2, 3, 4, 6, 8)
# 第十八条 items 1–5 are findings; 6 is the refusal record, 7 computed (ABS-2), 8 computed (carry-over).
ART18_FINDING_ITEMS = (1, 2, 3, 4, 5)

# Step names (stored with each worker's result).
STEP_SCORE = "score"
STEP_BAND = "band"
STEP_ATTESTATION = "ANA-7"
STEP_BASIC = "ANA-8"
STEP_INCOMPETENT = "ANA-9"
STEP_CARRY_OVER = "carry_over"
STEP_QUOTA = "quota"


def lower(grade: str | None, cap: str) -> str | None:
    """The worse of `grade` and `cap` (A-18: a rule never raises a grade); None stays None."""
    if grade is None:
        return None
    return grade if RANK[grade] <= RANK[cap] else cap


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Bands:
    """PLAN5 §七 lower bounds (inclusive, CMP-1 "及以上") of 优秀, 称职, 基本称职; below the last one is
    不称职, except the printed gap (basic − 1, basic) which goes to `gap_grade` (A-16)."""

    excellent: Fraction
    competent: Fraction
    basic: Fraction
    gap_grade: str = INCOMPETENT

    def band(self, score: Fraction) -> str:
        if score >= self.excellent:
            return EXCELLENT
        if score >= self.competent:
            return COMPETENT
        if score >= self.basic:
            return BASIC
        if score > self.basic - 1:  # "59分(含59分)以下为不称职": 59 < s < 60 is unassigned in the text
            return self.gap_grade
        return INCOMPETENT


@dataclass(frozen=True)
class Limits:
    """An absence threshold pair (strict, 超过): a run longer than `run_gt` or a year total over `year_gt`."""

    run_gt: Fraction
    year_gt: Fraction


@dataclass(frozen=True)
class GradingRules:
    """The pack's settings for ANA-G; `None` = not configured in this pack (the rule is not applied)."""

    bands: Bands | None = None
    attestation_required: bool | None = None  # ANA-7
    findings: bool | None = None  # ANA-8 / ANA-9 manual findings (第十七条, 第十八条 1–6)
    abs_basic: Limits | None = None  # ABS-1
    abs_incompetent: Limits | None = None  # ABS-2
    carry_over: bool | None = None  # 第十八条8
    quota: Fraction | None = None  # ANA-4


@dataclass(frozen=True)
class Refusal:
    """第十八条6: refused to take part without good reason, was educated (谈话), and still refused — all three
    dates recorded, in that order."""

    refused_on: date | None = None
    educated_on: date | None = None
    still_refused_on: date | None = None

    @property
    def complete(self) -> bool:
        if self.refused_on is None or self.educated_on is None or self.still_refused_on is None:
            return False
        return self.refused_on <= self.educated_on <= self.still_refused_on

    def to_data(self) -> dict[str, Any]:
        return {"refused_on": _iso(self.refused_on), "educated_on": _iso(self.educated_on),
                "still_refused_on": _iso(self.still_refused_on), "complete": self.complete}


@dataclass(frozen=True)
class WorkerInput:
    """Everything ANA-G reads about one worker for assessment year `year`."""

    worker_id: int
    community: str
    year: int
    score: Fraction | None = None
    proposed: str | None = None
    attested_excellent: bool = False
    art17: tuple[int, ...] = ()
    art18: tuple[int, ...] = ()
    refusal: Refusal | None = None
    absences: tuple[Absence, ...] = ()
    prior_grade: str | None = None  # FINAL grade of year − 1, if any


# ---------------------------------------------------------------- outputs


@dataclass(frozen=True)
class StepResult:
    """One ANA-G step: the grade after it, whether its rule applied, the rule ids and the seed 000 article
    items that applied (as "article.item": "17.2" = 第十七条2), and whether the rule could not be evaluated
    because the pack does not configure it."""

    step: str
    grade: str | None
    applied: bool = False
    rule_ids: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    not_configured: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "grade": self.grade, "applied": self.applied,
                               "rule_ids": list(self.rule_ids)}
        if self.items:
            out["items"] = list(self.items)
        if self.not_configured:
            out["not_configured"] = True
        if self.details:
            out["details"] = dict(self.details)
        return out


@dataclass(frozen=True)
class Derivation:
    worker_id: int
    community: str
    score: Fraction | None
    steps: tuple[StepResult, ...]

    @property
    def grade(self) -> str | None:
        """The grade after the last step recorded so far."""
        return self.steps[-1].grade if self.steps else None

    @property
    def rule_ids(self) -> tuple[str, ...]:
        ids: list[str] = []
        for s in self.steps:
            if s.applied:
                ids.extend(r for r in s.rule_ids if r not in ids)
        return tuple(ids)

    def before_quota(self) -> str | None:
        """The grade after steps 1–6."""
        steps = [s for s in self.steps if s.step != STEP_QUOTA]
        return steps[-1].grade if steps else None

    def to_data(self) -> dict[str, Any]:
        return {"worker_id": self.worker_id, "community": self.community,
                "score": fraction_text(self.score), "score_display": score_display(self.score),
                "grade": self.grade, "grade_before_quota": self.before_quota(),
                "rule_ids": list(self.rule_ids), "steps": [s.to_data() for s in self.steps]}


@dataclass(frozen=True)
class QuotaGroup:
    """ANA-4 for one community: N graded, the ceiling ⌊N·q⌋, who is 优秀 after steps 1–6, and who keeps it."""

    community: str
    n: int
    maximum: int | None  # None: the quota is not configured in this pack
    candidates: tuple[int, ...]
    kept: tuple[int, ...]
    selection_given: bool
    selection_valid: bool

    @property
    def blocked(self) -> bool:
        """Over the ceiling with no valid selection: ANA_QUOTA_EXCEEDED."""
        if self.maximum is None:
            return False
        return len(self.candidates) > self.maximum and not self.selection_valid

    def to_data(self) -> dict[str, Any]:
        return {"community": self.community, "n": self.n, "max": self.maximum,
                "candidates": list(self.candidates), "kept": list(self.kept),
                "selection_given": self.selection_given, "selection_valid": self.selection_valid,
                "blocked": self.blocked, "not_configured": self.maximum is None}


@dataclass(frozen=True)
class RoundResult:
    derivations: tuple[Derivation, ...]
    quota: tuple[QuotaGroup, ...]

    @property
    def blocked(self) -> tuple[QuotaGroup, ...]:
        return tuple(q for q in self.quota if q.blocked)

    def grades(self) -> dict[int, str | None]:
        return {d.worker_id: d.grade for d in self.derivations}


# ---------------------------------------------------------------- arithmetic


def mean(scores: Sequence[Fraction]) -> Fraction:
    """The exact arithmetic mean (A-16): a Fraction, never rounded."""
    if not scores:
        raise ValueError("no valid score sheets")
    return sum(scores, Fraction(0)) / len(scores)


def quota_max(n: int, share: Fraction) -> int:
    """ANA-4 ceiling: the largest k with k ≤ share·N (a ceiling is never rounded up, A-15); ⌊N/5⌋ for 1/5."""
    if n < 0:
        raise ValueError("negative community size")
    value = share * n
    return value.numerator // value.denominator


def fraction_text(value: Fraction | None) -> str | None:
    """Exact storage form of a Fraction ("256/3"), or None."""
    if value is None:
        return None
    return str(value)


def score_display(value: Fraction | None) -> str | None:
    """A score for display only (two decimals, truncated toward zero so a shown 89.99 never reads 90.00)."""
    if value is None:
        return None
    hundredths = (value * 100).numerator // (value * 100).denominator
    return f"{hundredths // 100}.{hundredths % 100:02d}"


# ---------------------------------------------------------------- steps 1–6


def derive(worker: WorkerInput, rules: GradingRules,
           is_working_day: WorkingDayFn = _calendar_working_day) -> Derivation:
    """ANA-G steps 1–6 for one worker. The caller has made sure the worker has a score, a proposed grade or a
    complete refusal record (AR-5); a worker with none of them ends with grade None."""
    steps: list[StepResult] = []

    # 1. score, or the street's proposal (ANA-2)
    if worker.score is not None:
        steps.append(StepResult(STEP_SCORE, None, applied=True, rule_ids=("ANA-G",),
                                details={"score": fraction_text(worker.score),
                                         "display": score_display(worker.score)}))
        # 2. band (PLAN5 §七; A-16)
        if rules.bands is None:
            raise ValueError("a score needs the pack's bands")
        grade: str | None = rules.bands.band(worker.score)
        gap = rules.bands.basic - 1 < worker.score < rules.bands.basic
        steps.append(StepResult(STEP_BAND, grade, applied=True, rule_ids=("ANA-G", "PLAN5-BANDS"),
                                details={"gap_59_60": True} if gap else {}))
    elif worker.proposed is not None:
        grade = worker.proposed
        steps.append(StepResult(STEP_SCORE, grade, applied=True, rule_ids=("ANA-2",),
                                details={"proposed": grade}))
    else:
        grade = None
        steps.append(StepResult(STEP_SCORE, None, details={"no_score": True}))

    # 3. ANA-7: 优秀 needs the 第十五条 attestation
    if rules.attestation_required is None:
        steps.append(StepResult(STEP_ATTESTATION, grade, rule_ids=("ANA-7",), not_configured=True))
    elif rules.attestation_required and grade == EXCELLENT and not worker.attested_excellent:
        grade = COMPETENT
        steps.append(StepResult(STEP_ATTESTATION, grade, applied=True, rule_ids=("ANA-7",)))
    else:
        steps.append(StepResult(STEP_ATTESTATION, grade, rule_ids=("ANA-7",)))

    # 4. ANA-8 incl. ABS-1: at most 基本称职
    steps.append(_step_basic(worker, rules, grade, is_working_day))
    grade = steps[-1].grade

    # 5. ANA-9 items 1–7 incl. ABS-2: 不称职
    steps.append(_step_incompetent(worker, rules, grade, is_working_day))
    grade = steps[-1].grade

    # 6. carry-over (第十八条8)
    if rules.carry_over is None:
        steps.append(StepResult(STEP_CARRY_OVER, grade, rule_ids=("ANA-9",), items=("18.8",),
                                not_configured=True))
    elif (rules.carry_over and worker.prior_grade == BASIC and grade is not None
          and RANK[grade] < RANK[COMPETENT]):
        steps.append(StepResult(STEP_CARRY_OVER, INCOMPETENT, applied=True, rule_ids=("ANA-9",),
                                items=("18.8",), details={"prior_grade": worker.prior_grade}))
    else:
        steps.append(StepResult(STEP_CARRY_OVER, grade, rule_ids=("ANA-9",), items=("18.8",),
                                details={"prior_grade": worker.prior_grade}))
    return Derivation(worker.worker_id, worker.community, worker.score, tuple(steps))


def _step_basic(worker: WorkerInput, rules: GradingRules, grade: str | None,
                is_working_day: WorkingDayFn) -> StepResult:
    rule_ids: list[str] = []
    items: list[str] = []
    details: dict[str, Any] = {}
    not_configured = False
    if rules.findings is None:
        not_configured = True
    elif rules.findings:
        found = sorted(i for i in worker.art17 if i in ART17_FINDING_ITEMS)
        if found:
            rule_ids.append("ANA-8")
            items.extend(f"17.{i}" for i in found)
    if rules.abs_basic is None:
        not_configured = True
        details["ABS-1"] = "not_configured"
    else:
        check = abs1_basic(worker.absences, worker.year, run_gt=rules.abs_basic.run_gt,
                           year_gt=rules.abs_basic.year_gt, is_working_day=is_working_day)
        details["ABS-1"] = check.to_facts()
        if check.exceeded:
            rule_ids.extend(("ANA-8", "ABS-1"))
            items.append("17.7")
    applied = bool(rule_ids)
    new = lower(grade, BASIC) if applied else grade
    return StepResult(STEP_BASIC, new, applied=applied,
                      rule_ids=tuple(dict.fromkeys(rule_ids)) or ("ANA-8", "ABS-1"), items=tuple(items),
                      not_configured=not_configured and not applied, details=details)


def _step_incompetent(worker: WorkerInput, rules: GradingRules, grade: str | None,
                      is_working_day: WorkingDayFn) -> StepResult:
    rule_ids: list[str] = []
    items: list[str] = []
    details: dict[str, Any] = {}
    not_configured = False
    if rules.findings is None:
        not_configured = True
    elif rules.findings:
        found = sorted(i for i in worker.art18 if i in ART18_FINDING_ITEMS)
        if found:
            rule_ids.append("ANA-9")
            items.extend(f"18.{i}" for i in found)
        if worker.refusal is not None:
            details["refusal"] = worker.refusal.to_data()
            if worker.refusal.complete:
                rule_ids.append("ANA-9")
                items.append("18.6")
    if rules.abs_incompetent is None:
        not_configured = True
        details["ABS-2"] = "not_configured"
    else:
        check = abs2_incompetent(worker.absences, worker.year, run_gt=rules.abs_incompetent.run_gt,
                                 year_gt=rules.abs_incompetent.year_gt, is_working_day=is_working_day)
        details["ABS-2"] = check.to_facts()
        if check.exceeded:
            rule_ids.extend(("ANA-9", "ABS-2"))
            items.append("18.7")
    applied = bool(rule_ids)
    new = INCOMPETENT if applied else grade
    return StepResult(STEP_INCOMPETENT, new, applied=applied,
                      rule_ids=tuple(dict.fromkeys(rule_ids)) or ("ANA-9", "ABS-2"), items=tuple(items),
                      not_configured=not_configured and not applied, details=details)


# ---------------------------------------------------------------- step 7 and the round


def apply_quota(derivations: Iterable[Derivation], quota: Fraction | None,
                selections: Mapping[str, Sequence[int]] | None = None) -> RoundResult:
    """ANA-4 per community on the whole result set. `selections[community]` names who keeps 优秀 (chosen by
    STREET_ASSESSMENT_GROUP); it is valid when every one named is 优秀 after steps 1–6 and there are no more
    than the ceiling. Without a valid selection an over-quota community keeps its 优秀 grades and is
    reported blocked; the engine never chooses (A-15)."""
    items = list(derivations)
    selections = selections or {}
    communities = list(dict.fromkeys(d.community for d in items))
    groups: list[QuotaGroup] = []
    out: dict[int, Derivation] = {}
    for community in communities:
        members = [d for d in items if d.community == community]
        n = sum(1 for d in members if d.before_quota() is not None)
        candidates = tuple(d.worker_id for d in members if d.before_quota() == EXCELLENT)
        if quota is None:
            groups.append(QuotaGroup(community, n, None, candidates, candidates, False, False))
            for d in members:
                out[d.worker_id] = _with_quota(d, d.before_quota(), applied=False, not_configured=True)
            continue
        maximum = quota_max(n, quota)
        given = community in selections
        chosen = tuple(int(w) for w in selections.get(community, ()))
        valid = (given and len(set(chosen)) == len(chosen) and set(chosen) <= set(candidates)
                 and len(chosen) <= maximum)
        if len(candidates) <= maximum:
            kept = candidates  # within the ceiling: nothing to select (a selection is not needed)
            valid_for_group = False
        elif valid:
            kept = tuple(w for w in candidates if w in chosen)
            valid_for_group = True
        else:
            kept = candidates
            valid_for_group = False
        groups.append(QuotaGroup(community, n, maximum, candidates, kept, given, valid_for_group))
        for d in members:
            before = d.before_quota()
            if before == EXCELLENT and d.worker_id not in kept:
                out[d.worker_id] = _with_quota(d, COMPETENT, applied=True,
                                               details={"max": maximum, "n": n})
            else:
                out[d.worker_id] = _with_quota(d, before, applied=False, details={"max": maximum, "n": n})
    return RoundResult(tuple(out[d.worker_id] for d in items), tuple(groups))


def _with_quota(d: Derivation, grade: str | None, *, applied: bool, not_configured: bool = False,
                details: Mapping[str, Any] | None = None) -> Derivation:
    steps = tuple(s for s in d.steps if s.step != STEP_QUOTA)
    step = StepResult(STEP_QUOTA, grade, applied=applied, rule_ids=("ANA-4",), not_configured=not_configured,
                      details=details or {})
    return replace(d, steps=(*steps, step))


def grade_round(workers: Iterable[WorkerInput], rules: GradingRules,
                selections: Mapping[str, Sequence[int]] | None = None,
                is_working_day: WorkingDayFn = _calendar_working_day) -> RoundResult:
    """ANA-G steps 1–7 for every worker of a round (communities are the quota groups)."""
    derivations = [derive(w, rules, is_working_day) for w in workers]
    return apply_quota(derivations, rules.quota, selections)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
