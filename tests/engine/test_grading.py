"""ANA-G grade derivation (spec §4.4.3): bands, ANA-7, ANA-8 with ABS-1, ANA-9 with ABS-2, carry-over and the
ANA-4 quota, as pure functions — every worked example and boundary of §4.4."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from engine import grading as ana
from engine.absence import HALF_DAY, Absence
from engine.calendar import is_working_day

DONGQU = ana.GradingRules(
    bands=ana.Bands(Fraction(90), Fraction(80), Fraction(60), ana.INCOMPETENT),
    attestation_required=True, findings=True,
    abs_basic=ana.Limits(Fraction(3), Fraction(7)), abs_incompetent=ana.Limits(Fraction(5), Fraction(10)),
    carry_over=True, quota=Fraction(1, 5))


def working_days(start: date, n: int) -> list[date]:
    out: list[date] = []
    day = start
    while len(out) < n:
        if is_working_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def isolated_days(start: date, n: int) -> list[date]:
    """`n` working days, each followed by a worked working day (every run is 1)."""
    return working_days(start, 2 * n)[::2]


def worker(score: Fraction | int | None = 85, *, year: int = 2025, community: str = "C1", worker_id: int = 1,
           attested: bool = False, art17: tuple[int, ...] = (), art18: tuple[int, ...] = (),
           refusal: ana.Refusal | None = None, absences: list[Absence] | None = None,
           prior: str | None = None, proposed: str | None = None) -> ana.WorkerInput:
    exact = Fraction(score) if score is not None else None
    return ana.WorkerInput(worker_id, community, year, exact, proposed, attested, art17, art18, refusal,
                           tuple(absences or ()), prior)


def grade_of(w: ana.WorkerInput, rules: ana.GradingRules = DONGQU) -> str | None:
    return ana.derive(w, rules).grade


# ---------------------------------------------------------------- bands (PLAN5 §七, A-16)


@pytest.mark.parametrize(("score", "expected"), [
    pytest.param(Fraction(100), ana.EXCELLENT, id="ANA-G2-100-excellent"),
    pytest.param(Fraction(90), ana.EXCELLENT, id="ANA-G2-90-excellent"),
    pytest.param(Fraction(89999, 1000), ana.COMPETENT, id="ANA-G2-89.999-competent"),
    pytest.param(Fraction(90) - Fraction(1, 10**12), ana.COMPETENT, id="ANA-G2-90-minus-epsilon-competent"),
    pytest.param(Fraction(80), ana.COMPETENT, id="ANA-G2-80-competent"),
    pytest.param(Fraction(7999, 100), ana.BASIC, id="ANA-G2-79.99-basic"),
    pytest.param(Fraction(60), ana.BASIC, id="ANA-G2-60-basic"),
    pytest.param(Fraction(119, 2), ana.INCOMPETENT, id="ANA-G2-59.5-gap-incompetent"),
    pytest.param(Fraction(59), ana.INCOMPETENT, id="ANA-G2-59-incompetent"),
    pytest.param(Fraction(0), ana.INCOMPETENT, id="ANA-G2-0-incompetent"),
])
def test_bands(score: Fraction, expected: str) -> None:
    """PLAN5 §七 bands on the exact score: 90+ 优秀, 80+ 称职, 60+ 基本称职, below 60 不称职 (the 59–60
    gap, A-16)."""
    assert DONGQU.bands is not None
    assert DONGQU.bands.band(score) == expected


def test_gap_grade_is_a_setting() -> None:
    """A-16: with gap_59_60 = basic, 59.5 is 基本称职 while 59 stays 不称职."""
    bands = ana.Bands(Fraction(90), Fraction(80), Fraction(60), ana.BASIC)
    assert (bands.band(Fraction(119, 2)), bands.band(Fraction(59))) == (ana.BASIC, ana.INCOMPETENT)


def test_mean_is_exact_and_never_rounded_before_banding() -> None:
    """A-16: sheets 90, 90, 89.99 average 89.99666… — exactly, so 称职; a display never shows 90.00."""
    score = ana.mean([Fraction(90), Fraction(90), Fraction(8999, 100)])
    assert score == Fraction(26999, 300)
    assert grade_of(worker(score, attested=True)) == ana.COMPETENT
    assert ana.score_display(score) == "89.99"


def test_half_points_average_to_exactly_ninety() -> None:
    """A-16: sheets 89.5 and 90.5 average exactly 90 → 优秀 (with the 第十五条 attestation)."""
    score = ana.mean([Fraction(179, 2), Fraction(181, 2)])
    assert grade_of(worker(score, attested=True)) == ana.EXCELLENT


# ---------------------------------------------------------------- ANA-7, ANA-8, ANA-9


@pytest.mark.parametrize(("attested", "expected"), [
    pytest.param(True, ana.EXCELLENT, id="ANA-7-attested-keeps-excellent"),
    pytest.param(False, ana.COMPETENT, id="ANA-7-not-attested-becomes-competent"),
])
def test_excellent_needs_the_article_15_attestation(attested: bool, expected: str) -> None:
    """ANA-7: 优秀 without the 第十五条 attestation cannot exceed 称职."""
    assert grade_of(worker(95, attested=attested)) == expected


@pytest.mark.parametrize(("art17", "expected"), [
    pytest.param((2,), ana.BASIC, id="ANA-8-item-2-basic"),
    pytest.param((8,), ana.BASIC, id="ANA-8-item-8-basic"),
    pytest.param((), ana.EXCELLENT, id="ANA-8-none-keeps-excellent"),
])
def test_article_17_finding_caps_at_basic(art17: tuple[int, ...], expected: str) -> None:
    """ANA-8: any finding of 第十七条 1,2,3,4,6,8 → at most 基本称职."""
    derivation = ana.derive(worker(95, attested=True, art17=art17), DONGQU)
    assert derivation.grade == expected
    if art17:
        assert "ANA-8" in derivation.rule_ids
        assert [s.items for s in derivation.steps if s.step == ana.STEP_BASIC] == [(f"17.{art17[0]}",)]


def test_article_17_finding_never_raises_a_lower_grade() -> None:
    """A-18: ANA-8 caps; a 不称职 score stays 不称职."""
    assert grade_of(worker(50, art17=(1,))) == ana.INCOMPETENT


def test_article_18_finding_is_incompetent() -> None:
    """ANA-9: a finding of 第十八条 3 → 不称职, whatever the score."""
    assert grade_of(worker(98, attested=True, art18=(3,))) == ana.INCOMPETENT


@pytest.mark.parametrize(("refusal", "expected"), [
    pytest.param(ana.Refusal(date(2025, 12, 1), date(2025, 12, 3), date(2025, 12, 5)), ana.INCOMPETENT,
                 id="ANA-9-item-6-complete"),
    pytest.param(ana.Refusal(date(2025, 12, 1), date(2025, 12, 3), None), None,
                 id="ANA-9-item-6-without-continued-refusal-not-graded"),
])
def test_refusal_record_needs_refusal_education_and_continued_refusal(refusal: ana.Refusal,
                                                                      expected: str | None) -> None:
    """ANA-9 item 6: refused, educated and still refused (all dated) → 不称职; an incomplete record grades
    nothing (AR-5 then refuses to propose grades)."""
    assert grade_of(worker(None, refusal=refusal)) == expected


def test_worst_outcome_wins_and_each_step_is_stored() -> None:
    """A-18: 95 with the attestation, a 第十七条 finding and a 第十八条 finding ends 不称职; every step's
    grade is kept in order."""
    d = ana.derive(worker(95, attested=True, art17=(4,), art18=(1,)), DONGQU)
    assert [(s.step, s.grade) for s in d.steps] == [
        ("score", None), ("band", ana.EXCELLENT), ("ANA-7", ana.EXCELLENT), ("ANA-8", ana.BASIC),
        ("ANA-9", ana.INCOMPETENT), ("carry_over", ana.INCOMPETENT)]
    assert d.to_data()["grade"] == ana.INCOMPETENT


# ---------------------------------------------------------------- absences (ABS-1, ABS-2; A-17)

# 2026-02-14 (Saturday) is a 调休 make-up working day; 2026-02-15 … 02-23 are the Spring Festival rest days.
TIAOXIU = [date(2026, 2, 12), date(2026, 2, 13), date(2026, 2, 14), date(2026, 2, 24), date(2026, 2, 25),
           date(2026, 2, 26)]


def absent(days: list[date]) -> list[Absence]:
    return [Absence(d) for d in days]


@pytest.mark.parametrize(("days", "expected"), [
    pytest.param(working_days(date(2025, 6, 5), 3), ana.COMPETENT, id="ABS-1-run-3-over-weekend-none"),
    pytest.param(working_days(date(2025, 6, 5), 4), ana.BASIC, id="ABS-1-run-4-over-weekend-basic"),
    pytest.param(working_days(date(2025, 6, 5), 5), ana.BASIC, id="ABS-2-run-5-over-weekend-still-basic"),
    pytest.param(working_days(date(2025, 6, 5), 6), ana.INCOMPETENT,
                 id="ABS-2-run-6-over-weekend-incompetent"),
    pytest.param(working_days(date(2025, 6, 5), 10), ana.INCOMPETENT, id="ABS-2-run-10-over-weekend"),
    pytest.param(TIAOXIU[1:4], ana.COMPETENT, id="ABS-1-run-3-over-tiaoxiu-saturday-none"),
    pytest.param(TIAOXIU[:4], ana.BASIC, id="ABS-1-run-4-over-tiaoxiu-saturday-basic"),
    pytest.param(TIAOXIU[:5], ana.BASIC, id="ABS-2-run-5-over-tiaoxiu-saturday-still-basic"),
    pytest.param(TIAOXIU, ana.INCOMPETENT, id="ABS-2-run-6-over-tiaoxiu-saturday-incompetent"),
    pytest.param([d for d in TIAOXIU[:5] if d != date(2026, 2, 14)], ana.COMPETENT,
                 id="ABS-1-present-on-tiaoxiu-saturday-breaks-the-run"),
    pytest.param(working_days(date(2026, 2, 9), 6) + working_days(date(2026, 2, 24), 4), ana.INCOMPETENT,
                 id="ABS-2-run-10-over-tiaoxiu-and-holiday"),
])
def test_consecutive_absence_runs(days: list[date], expected: str) -> None:
    """ABS-1 / ABS-2 (A-17): runs over working days — weekends and holidays neither break nor lengthen them, a
    调休 Saturday counts, being present on it breaks the run; 3 → none, 4/5 → 基本称职, 6/10 → 不称职."""
    year = days[0].year
    assert grade_of(worker(85, year=year, absences=absent(days))) == expected


@pytest.mark.parametrize(("whole", "half", "expected"), [
    pytest.param(7, False, ana.COMPETENT, id="ABS-1-total-7-none"),
    pytest.param(7, True, ana.BASIC, id="ABS-1-total-7.5-basic"),
    pytest.param(8, False, ana.BASIC, id="ABS-1-total-8-basic"),
    pytest.param(10, False, ana.BASIC, id="ABS-2-total-10-basic"),
    pytest.param(11, False, ana.INCOMPETENT, id="ABS-2-total-11-incompetent"),
    pytest.param(20, False, ana.INCOMPETENT, id="ABS-2-total-20-incompetent"),
])
def test_yearly_absence_totals(whole: int, half: bool, expected: str) -> None:
    """ABS-1 / ABS-2: isolated days summed over the calendar year; 7 → none, 7.5 and 8 → 基本称职,
    10 → 基本称职, 11 and 20 → 不称职 (strict 超过)."""
    days = isolated_days(date(2025, 3, 3), whole + (1 if half else 0))
    records = [Absence(d) for d in days[:whole]] + ([Absence(days[whole], HALF_DAY)] if half else [])
    d = ana.derive(worker(85, absences=records), DONGQU)
    assert d.grade == expected


def test_runs_are_cut_at_the_year_end_for_grading() -> None:
    """A-17: 2 days at the end of 2025 and 3 at the start of 2026 are runs of 2 and 3 for grading: no cap."""
    days = working_days(date(2025, 12, 30), 5)
    assert [d.year for d in days].count(2025) == 2
    assert grade_of(worker(85, year=2025, absences=absent(days))) == ana.COMPETENT
    assert grade_of(worker(85, year=2026, absences=absent(days))) == ana.COMPETENT


# ---------------------------------------------------------------- carry-over (第十八条8)


@pytest.mark.parametrize(("prior", "score", "expected"), [
    pytest.param(ana.BASIC, 70, ana.INCOMPETENT, id="ANA-9-8-prior-basic-now-basic-incompetent"),
    pytest.param(ana.BASIC, 85, ana.COMPETENT, id="ANA-9-8-prior-basic-now-competent-unchanged"),
    pytest.param(ana.INCOMPETENT, 70, ana.BASIC, id="ANA-9-8-prior-incompetent-no-carry-over"),
    pytest.param(None, 70, ana.BASIC, id="ANA-9-8-no-prior-grade"),
])
def test_carry_over(prior: str | None, score: int, expected: str) -> None:
    """第十八条8: a previous FINAL 基本称职 and this year below 称职 → 不称职; a previous 不称职 does not
    trigger it."""
    assert grade_of(worker(score, prior=prior)) == expected


def test_chain_2022_to_2024() -> None:
    """§4.7 example: 2022 基本称职 → 2023 基本称职 becomes 不称职 → 2024 基本称职 stays (prior 不称职)."""
    g2022 = grade_of(worker(70, year=2022))
    g2023 = grade_of(worker(75, year=2023, prior=g2022))
    g2024 = grade_of(worker(75, year=2024, prior=g2023))
    assert (g2022, g2023, g2024) == (ana.BASIC, ana.INCOMPETENT, ana.BASIC)


# ---------------------------------------------------------------- quota (ANA-4, A-15)


@pytest.mark.parametrize(("n", "maximum"), [
    pytest.param(4, 0, id="ANA-4-N4-max0"),
    pytest.param(5, 1, id="ANA-4-N5-max1"),
    pytest.param(7, 1, id="ANA-4-N7-max1"),
    pytest.param(9, 1, id="ANA-4-N9-max1"),
    pytest.param(10, 2, id="ANA-4-N10-max2"),
    pytest.param(14, 2, id="ANA-4-N14-max2"),
    pytest.param(15, 3, id="ANA-4-N15-max3"),
])
def test_quota_ceiling(n: int, maximum: int) -> None:
    """ANA-4: at most ⌊N/5⌋ 优秀 (a ceiling is never rounded up)."""
    assert ana.quota_max(n, Fraction(1, 5)) == maximum


def community(n: int, excellent: int, code: str = "C1") -> list[ana.WorkerInput]:
    return [worker(95 if i < excellent else 85, community=code, worker_id=i + 1, attested=True)
            for i in range(n)]


@pytest.mark.parametrize(("n", "excellent", "blocked"), [
    pytest.param(4, 1, True, id="ANA-4-N4-one-excellent-blocked"),
    pytest.param(5, 1, False, id="ANA-4-N5-one-excellent-ok"),
    pytest.param(5, 2, True, id="ANA-4-N5-two-excellent-blocked"),
    pytest.param(7, 1, False, id="ANA-4-N7-one-excellent-ok"),
    pytest.param(7, 2, True, id="ANA-4-N7-two-excellent-blocked"),
    pytest.param(10, 2, False, id="ANA-4-N10-two-excellent-ok"),
    pytest.param(10, 3, True, id="ANA-4-N10-three-excellent-blocked"),
])
def test_quota_blocks_over_the_ceiling_and_never_picks(n: int, excellent: int, blocked: bool) -> None:
    """ANA-4: over ⌊N/5⌋ the community is blocked and everyone keeps 优秀 until someone selects (A-15)."""
    result = ana.grade_round(community(n, excellent), DONGQU)
    assert [q.blocked for q in result.quota] == [blocked]
    assert sum(1 for g in result.grades().values() if g == ana.EXCELLENT) == excellent


def test_selection_resolves_the_quota_and_the_others_become_competent() -> None:
    """ANA-4: in a community of 7 with three 优秀 (ties included) the selected one keeps 优秀, the others
    称职."""
    workers = community(7, 3)
    result = ana.grade_round(workers, DONGQU, {"C1": [2]})
    assert not result.blocked
    assert result.grades() == {1: ana.COMPETENT, 2: ana.EXCELLENT, 3: ana.COMPETENT, 4: ana.COMPETENT,
                               5: ana.COMPETENT, 6: ana.COMPETENT, 7: ana.COMPETENT}
    assert [s.applied for s in result.derivations[0].steps if s.step == ana.STEP_QUOTA] == [True]


@pytest.mark.parametrize("keep", [
    pytest.param([1, 2], id="ANA-4-selection-over-ceiling-invalid"),
    pytest.param([5], id="ANA-4-selection-of-non-excellent-invalid"),
    pytest.param([1, 1], id="ANA-4-selection-duplicate-invalid"),
])
def test_invalid_selection_leaves_the_community_blocked(keep: list[int]) -> None:
    """ANA-4: a selection over the ceiling, naming a worker not 优秀, or naming one twice does not resolve
    it."""
    result = ana.grade_round(community(7, 3), DONGQU, {"C1": keep})
    assert [q.blocked for q in result.quota] == [True]


def test_quota_is_per_community() -> None:
    """ANA-4: each community is its own quota group (5 with one 优秀 ok; 4 with one 优秀 blocked)."""
    workers = community(5, 1, "C1") + [worker(95, community="C3", worker_id=10 + i, attested=True)
                                       for i in range(1)] + [worker(85, community="C3", worker_id=20 + i)
                                                             for i in range(3)]
    result = ana.grade_round(workers, DONGQU)
    assert {q.community: (q.n, q.maximum, q.blocked) for q in result.quota} == {
        "C1": (5, 1, False), "C3": (4, 0, True)}


def test_quota_counts_only_excellent_after_steps_1_to_6() -> None:
    """ANA-4 (step 7): an unattested 95 is already 称职 and does not count against the ceiling."""
    workers = [*community(5, 1), worker(95, worker_id=9, attested=False)]
    result = ana.grade_round(workers, DONGQU)
    assert [(q.n, q.maximum, list(q.candidates), q.blocked) for q in result.quota] == [(6, 1, [1], False)]


# ---------------------------------------------------------------- packs without the DONGQU rules


def test_unconfigured_rules_are_not_applied_and_recorded() -> None:
    """A-36/A-41: with no ANA-7/ABS/carry-over/quota settings a proposed 优秀 stays, each step marked not
    configured; absences are not turned into a cap."""
    w = worker(None, proposed=ana.EXCELLENT, absences=absent(working_days(date(2025, 6, 5), 8)),
               prior=ana.BASIC)
    result = ana.grade_round([w, worker(None, proposed=ana.EXCELLENT, worker_id=2)], ana.GradingRules())
    d = result.derivations[0]
    assert d.grade == ana.EXCELLENT
    assert [s.step for s in d.steps if s.not_configured] == ["ANA-7", "ANA-8", "ANA-9", "carry_over", "quota"]
    assert [q.blocked for q in result.quota] == [False]


def test_a_score_without_bands_is_refused() -> None:
    """A-41: a score cannot be graded in a pack without bands (no DONGQU values borrowed)."""
    with pytest.raises(ValueError, match="bands"):
        ana.derive(worker(95), ana.GradingRules())
