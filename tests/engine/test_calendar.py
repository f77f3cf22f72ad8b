"""Calendar arithmetic, golden examples of spec §3.2–3.6 (CAL-1…CAL-5)."""

from __future__ import annotations

from datetime import date

import pytest

from engine.calendar import (
    CalendarDataMissing,
    add_months_clamped,
    age_on,
    has_data,
    is_working_day,
    next_working_day,
    period_last_day,
    term_end,
)

D = date.fromisoformat


@pytest.mark.parametrize(("start", "months", "expected"), [
    pytest.param("2025-01-31", 1, "2025-02-28", id="CAL-3-jan31-to-feb28-common-year"),
    pytest.param("2024-01-31", 1, "2024-02-29", id="CAL-3-jan31-to-feb29-leap-year"),
    pytest.param("2025-03-31", 1, "2025-04-30", id="CAL-3-mar31-to-apr30"),
    pytest.param("2025-02-28", 1, "2025-03-28", id="CAL-3-feb28-to-mar28-not-month-end"),
    pytest.param("2025-01-06", 1, "2025-02-06", id="CAL-3-corresponding-date"),
    pytest.param("2025-12-31", 2, "2026-02-28", id="CAL-3-across-year-end"),
    pytest.param("2024-02-29", 12, "2025-02-28", id="CAL-3-feb29-plus-a-year"),
])
def test_add_months_clamped(start: str, months: int, expected: str) -> None:
    """CAL-3 (A-05): the corresponding date, or the last day of the target month if it has none."""
    assert add_months_clamped(D(start), months) == D(expected)


@pytest.mark.parametrize(("start", "years", "expected"), [
    pytest.param("2024-01-01", 3, "2026-12-31", id="CAL-4-three-year-term"),
    pytest.param("2024-03-01", 3, "2027-02-28", id="CAL-4-ends-day-before-anniversary"),
    pytest.param("2024-02-29", 3, "2027-02-27", id="CAL-4-leap-start-clamped-then-minus-one"),
])
def test_term_end(start: str, years: int, expected: str) -> None:
    """CAL-4 (A-06): a term ends on addMonthsClamped(start, 12·years) − 1 day."""
    assert term_end(D(start), years) == D(expected)


def test_publicity_period_counts_posting_day_as_day_one() -> None:
    """CAL-2 (A-03): 7 days posted Mon 2025-03-03 end Sun 2025-03-09 (posting day is day 1)."""
    assert period_last_day(D("2025-03-03"), 7) == D("2025-03-09")
    assert period_last_day(D("2025-03-03"), 1) == D("2025-03-03")


def test_publicity_period_without_posting_day() -> None:
    """CAL-2 alternative (A-03 setting false): the period starts the day after posting."""
    assert period_last_day(D("2025-03-03"), 7, start_day_counts=False) == D("2025-03-10")


def test_publicity_period_needs_a_day() -> None:
    """A period of zero days is a programming error, not a valid publicity."""
    with pytest.raises(ValueError, match="at least one day"):
        period_last_day(D("2025-03-03"), 0)


@pytest.mark.parametrize(("birth", "on", "increment", "feb29", "expected"), [
    pytest.param("1990-05-10", "2025-05-09", "on_birthday", "feb28", 34, id="CAL-5-day-before-birthday"),
    pytest.param("1990-05-10", "2025-05-10", "on_birthday", "feb28", 35, id="CAL-5-on-birthday"),
    pytest.param("1990-05-10", "2025-05-10", "on_day_after_birthday", "feb28", 34,
                 id="CAL-5-day-after-variant-not-yet-on-birthday"),
    pytest.param("1990-05-10", "2025-05-11", "on_day_after_birthday", "feb28", 35,
                 id="CAL-5-day-after-variant-next-day"),
    pytest.param("2000-02-29", "2025-02-27", "on_birthday", "feb28", 24, id="CAL-5-feb29-before-feb28"),
    pytest.param("2000-02-29", "2025-02-28", "on_birthday", "feb28", 25, id="CAL-5-feb29-feb28-common-year"),
    pytest.param("2000-02-29", "2025-02-28", "on_birthday", "mar1", 24, id="CAL-5-feb29-mar1-not-yet"),
    pytest.param("2000-02-29", "2025-03-01", "on_birthday", "mar1", 25, id="CAL-5-feb29-mar1-on-mar1"),
    pytest.param("2000-02-29", "2024-02-28", "on_birthday", "feb28", 23, id="CAL-5-feb29-leap-year-feb28"),
    pytest.param("2000-02-29", "2024-02-29", "on_birthday", "feb28", 24, id="CAL-5-feb29-leap-year-feb29"),
    pytest.param("2000-02-29", "2025-02-28", "on_day_after_birthday", "feb28", 24,
                 id="CAL-5-feb29-day-after-variant-feb28"),
    pytest.param("2000-02-29", "2025-03-01", "on_day_after_birthday", "feb28", 25,
                 id="CAL-5-feb29-day-after-variant-mar1"),
    pytest.param("2000-02-29", "2025-03-01", "on_day_after_birthday", "mar1", 24,
                 id="CAL-5-feb29-day-after-variant-mar1-setting"),
    pytest.param("2000-02-29", "2024-03-01", "on_day_after_birthday", "feb28", 24,
                 id="CAL-5-feb29-day-after-variant-leap-year"),
])
def test_age_on(birth: str, on: str, increment: str, feb29: str, expected: int) -> None:
    """CAL-5 (A-07): completed years (周岁), incrementing on the birthday unless set otherwise."""
    assert age_on(D(birth), D(on), increment=increment, feb29=feb29) == expected


@pytest.mark.parametrize(("day", "working"), [
    pytest.param("2026-02-14", True, id="CAL-1-2026-make-up-saturday-is-working"),
    pytest.param("2026-10-10", True, id="CAL-1-2026-national-day-make-up-saturday"),
    pytest.param("2026-03-07", False, id="CAL-1-plain-saturday-is-rest"),
    pytest.param("2026-02-16", False, id="CAL-1-spring-festival-monday-is-rest"),
    pytest.param("2026-10-01", False, id="CAL-1-national-day-thursday-is-rest"),
    pytest.param("2026-09-30", True, id="CAL-1-ordinary-wednesday"),
])
def test_is_working_day_follows_the_state_council_arrangement(day: str, working: bool) -> None:
    """CAL-1 (A-02): 调休 make-up weekend days are working days; statutory holidays are not."""
    assert is_working_day(D(day)) is working


def test_next_working_day_skips_the_holiday() -> None:
    """CAL-1: the first working day after 2026-09-30 is after the National Day holiday."""
    assert next_working_day(D("2026-09-30")) == D("2026-10-08")


def test_a_year_without_data_is_refused_not_guessed() -> None:
    """CAL-1 (A-02): a 2027 date raises CAL_NO_DATA instead of guessing Monday–Friday."""
    assert not has_data(D("2027-01-04"))
    assert has_data(D("2026-01-05"))
    with pytest.raises(CalendarDataMissing) as info:
        is_working_day(D("2027-01-04"))
    err = info.value
    assert (err.code, err.citation) == ("CAL_NO_DATA", "A-02")
    assert "2027" in err.message_zh
    assert "2027-01-04" in err.message_zh


def test_next_working_day_refuses_to_run_past_the_data() -> None:
    """A search that crosses into a year without data raises instead of returning a guess."""
    with pytest.raises(CalendarDataMissing):
        next_working_day(D("2026-12-31"))
