"""ABS counting (spec §4.4.2, A-17): runs over working days, year totals, and the ABS-1/2/3 thresholds."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from engine.absence import (
    HALF_DAY,
    Absence,
    abs1_basic,
    abs2_incompetent,
    abs3_dismissal,
    parse_fraction,
    runs,
    year_total,
)
from engine.calendar import CalendarDataMissing, is_working_day


def working_days(start: date, n: int) -> list[date]:
    """The first `n` working days from `start` (inclusive)."""
    out: list[date] = []
    day = start
    while len(out) < n:
        if is_working_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def isolated_days(start: date, n: int) -> list[date]:
    """`n` working days from `start`, each separated from the next by a working day (so every run is 1)."""
    every = working_days(start, 2 * n + 2)
    return every[1::2][:n]


def absences(days: list[date], half_last: bool = False) -> list[Absence]:
    out = [Absence(d) for d in days]
    if half_last and out:
        out[-1] = Absence(days[-1], HALF_DAY)
    return out


def test_run_continues_across_a_weekend() -> None:
    """A-17: Friday and the following Monday are one run of 2 (rest days neither break nor lengthen it)."""
    found = runs([Absence(date(2025, 6, 6)), Absence(date(2025, 6, 9))])
    assert [(r.start, r.end, r.length) for r in found] == [(date(2025, 6, 6), date(2025, 6, 9), 2)]


def test_a_working_day_present_breaks_the_run() -> None:
    """A-17: Monday and Wednesday with Tuesday worked are two runs of 1."""
    found = runs([Absence(date(2025, 6, 9)), Absence(date(2025, 6, 11))])
    assert [r.length for r in found] == [1, 1]


def test_tiaoxiu_saturday_worked_breaks_the_run() -> None:
    """A-17: 2026-05-09 is a 调休 make-up Saturday; present on it, Fri 05-08 and Mon 05-11 are two runs."""
    assert is_working_day(date(2026, 5, 9))
    found = runs([Absence(date(2026, 5, 8)), Absence(date(2026, 5, 11))])
    assert [r.length for r in found] == [1, 1]


def test_tiaoxiu_saturday_absent_belongs_to_the_run() -> None:
    """A-17: absent Fri 2026-05-08, 调休 Sat 05-09 and Mon 05-11 is one run of 3."""
    found = runs([Absence(date(2026, 5, 8)), Absence(date(2026, 5, 9)), Absence(date(2026, 5, 11))])
    assert [(r.start, r.end, r.length) for r in found] == [(date(2026, 5, 8), date(2026, 5, 11), 3)]


def test_run_spans_the_spring_festival_holiday() -> None:
    """A-17: 2026-02-13 (Fri), 02-14 (调休 Sat) and 02-24 (first working day after 春节) are one run."""
    found = runs([Absence(date(2026, 2, 13)), Absence(date(2026, 2, 14)), Absence(date(2026, 2, 24))])
    assert [r.length for r in found] == [3]


def test_half_days_sum_into_the_run_length() -> None:
    """A-17: run length is the sum of fractions: 1 + 1/2 + 1 = 5/2."""
    found = runs([Absence(date(2025, 6, 9)), Absence(date(2025, 6, 10), HALF_DAY),
                  Absence(date(2025, 6, 11))])
    assert [r.length for r in found] == [Fraction(5, 2)]


def test_runs_are_cut_at_the_year_end_only_for_grading() -> None:
    """A-17: Dec 29–31 2025 + Jan 4–5 2026 (Jan 4: 调休 Sunday) are one run of 5, cut 3 + 2 for grading."""
    days = absences([date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 4),
                     date(2026, 1, 5)])
    assert [r.length for r in runs(days)] == [5]
    assert [r.length for r in runs(days, cut_at_year_end=True)] == [3, 2]


def test_two_records_for_one_day_are_refused() -> None:
    """One absence record per day: duplicates are a programming error, not a longer run."""
    with pytest.raises(ValueError, match="two absence records"):
        runs([Absence(date(2025, 6, 9)), Absence(date(2025, 6, 9), HALF_DAY)])


def test_a_year_without_calendar_data_is_refused() -> None:
    """CAL-1: counting across a year the calendar does not know raises instead of guessing."""
    with pytest.raises(CalendarDataMissing):
        runs([Absence(date(2026, 12, 31)), Absence(date(2027, 1, 4))])


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(1, Fraction(1), id="ABS-fraction-1"),
    pytest.param("1", Fraction(1), id="ABS-fraction-text-1"),
    pytest.param("0.5", HALF_DAY, id="ABS-fraction-0.5"),
    pytest.param("1/2", HALF_DAY, id="ABS-fraction-1/2"),
])
def test_parse_fraction_accepts_whole_and_half_days(value: object, expected: Fraction) -> None:
    """A-17: the unit is the half day: 1 and 1/2 are the only fractions."""
    assert parse_fraction(value) == expected


@pytest.mark.parametrize("value", [
    pytest.param("0.25", id="ABS-fraction-quarter-refused"),
    pytest.param("2", id="ABS-fraction-two-refused"),
    pytest.param("0", id="ABS-fraction-zero-refused"),
    pytest.param("abc", id="ABS-fraction-text-refused"),
    pytest.param(True, id="ABS-fraction-bool-refused"),
])
def test_parse_fraction_refuses_anything_else(value: object) -> None:
    """A-17: any other fraction is refused."""
    with pytest.raises(ValueError, match=r"fraction|half"):
        parse_fraction(value)


# ---------------------------------------------------------------- thresholds: runs


@pytest.mark.parametrize(("n", "half", "expected"), [
    pytest.param(3, False, False, id="ABS-1-run-3-no-effect"),
    pytest.param(3, True, False, id="ABS-1-run-2.5-no-effect"),
    pytest.param(4, True, True, id="ABS-1-run-3.5-applies"),
    pytest.param(4, False, True, id="ABS-1-run-4-applies"),
])
def test_abs1_run_boundary(n: int, half: bool, expected: bool) -> None:
    """ABS-1: a run > 3 working days caps the grade at 基本称职; exactly 3 does not."""
    days = absences(working_days(date(2025, 6, 3), n), half_last=half)
    assert abs1_basic(days, 2025, run_gt=3, year_gt=7).exceeded is expected


@pytest.mark.parametrize(("n", "expected"), [
    pytest.param(5, False, id="ABS-2-run-5-only-basic"),
    pytest.param(6, True, id="ABS-2-run-6-incompetent"),
])
def test_abs2_run_boundary(n: int, expected: bool) -> None:
    """ABS-2: a run > 5 working days makes the grade 不称职; exactly 5 does not."""
    days = absences(working_days(date(2025, 6, 3), n))
    check = abs2_incompetent(days, 2025, run_gt=5, year_gt=10)
    assert check.exceeded is expected
    assert check.longest_run == n


@pytest.mark.parametrize(("n", "half", "expected"), [
    pytest.param(10, False, False, id="ABS-3-run-10-no-dismissal"),
    pytest.param(11, True, True, id="ABS-3-run-10.5-dismissal"),
    pytest.param(11, False, True, id="ABS-3-run-11-dismissal"),
])
def test_abs3_run_boundary(n: int, half: bool, expected: bool) -> None:
    """ABS-3: a run > 10 working days is dismissal ground 8; exactly 10 is not."""
    days = absences(working_days(date(2025, 6, 3), n), half_last=half)
    check = abs3_dismissal(days, run_gt=10, year_gt=20)
    assert check.exceeded is expected
    assert (check.run is not None) is expected


def test_abs3_counts_a_run_whole_across_the_year_boundary() -> None:
    """A-17: 5 working days at the end of 2025 + 6 at the start of 2026 are one run of 11 for ground 8, while
    grading cuts it at the year end into runs of 5 and 6."""
    days = absences(working_days(date(2025, 12, 25), 11))
    assert {d.day.year for d in days} == {2025, 2026}
    dismissal = abs3_dismissal(days, run_gt=10, year_gt=20)
    assert dismissal.run is not None
    assert dismissal.run.length == 11
    assert abs2_incompetent(days, 2025, run_gt=5, year_gt=10).longest_run == 5
    assert abs2_incompetent(days, 2026, run_gt=5, year_gt=10).longest_run == 6


# ---------------------------------------------------------------- thresholds: year totals


@pytest.mark.parametrize(("total", "rule", "expected"), [
    pytest.param("7", "ABS-1", False, id="ABS-1-total-7-none"),
    pytest.param("7.5", "ABS-1", True, id="ABS-1-total-7.5-basic"),
    pytest.param("10", "ABS-2", False, id="ABS-2-total-10-basic-only"),
    pytest.param("11", "ABS-2", True, id="ABS-2-total-11-incompetent"),
    pytest.param("20", "ABS-3", False, id="ABS-3-total-20-none"),
    pytest.param("20.5", "ABS-3", True, id="ABS-3-total-20.5-dismissal"),
    pytest.param("21", "ABS-3", True, id="ABS-3-total-21-dismissal"),
])
def test_year_total_boundaries(total: str, rule: str, expected: bool) -> None:
    """ABS-1/2/3: a year total strictly over 7 / 10 / 20 applies; equal does not (runs all of length 1)."""
    amount = Fraction(total)
    whole = int(amount) + (1 if amount.denominator == 2 else 0)
    days = absences(isolated_days(date(2025, 1, 2), whole), half_last=amount.denominator == 2)
    assert year_total(days, 2025) == amount
    if rule == "ABS-1":
        check = abs1_basic(days, 2025, run_gt=3, year_gt=7)
    elif rule == "ABS-2":
        check = abs2_incompetent(days, 2025, run_gt=5, year_gt=10)
    else:
        check = abs3_dismissal(days, run_gt=10, year_gt=20)
    assert check.longest_run == 1
    assert check.exceeded is expected
    assert (check.total is not None) is expected


def test_grading_total_counts_only_the_assessment_year() -> None:
    """A-17: 8 days in 2024 and 4 in 2025 give ABS-1 for 2024 but not for 2025."""
    days = absences(isolated_days(date(2024, 3, 1), 8) + isolated_days(date(2025, 3, 3), 4))
    assert abs1_basic(days, 2024, run_gt=3, year_gt=7).exceeded
    assert not abs1_basic(days, 2025, run_gt=3, year_gt=7).exceeded


def test_calendar_year_window_versus_rolling_365() -> None:
    """A-17: 11 days late in 2025 + 10 early in 2026: not ground 8 per calendar year, but over 365 days."""
    late = isolated_days(date(2025, 10, 9), 11)
    early = isolated_days(date(2026, 1, 5), 10)
    assert {d.year for d in late} == {2025}
    days = absences(late + early)
    assert not abs3_dismissal(days, run_gt=10, year_gt=20, window="calendar_year").exceeded
    rolling = abs3_dismissal(days, run_gt=10, year_gt=20, window="rolling_365")
    assert rolling.total is not None
    assert rolling.total.amount == 21


def test_unknown_window_is_refused() -> None:
    """A-17: only calendar_year and rolling_365 are readings of 一年内."""
    with pytest.raises(ValueError, match="window"):
        abs3_dismissal([], run_gt=10, year_gt=20, window="fiscal_year")
