"""Periods and ages exactly as spec §3.2–3.6 (CAL-1…CAL-5). Pure functions of dates and policy.

Working days come from `chinese_calendar` (State Council arrangements incl. 调休 make-up days). A
date outside the years it has data for is never guessed: `is_working_day` raises
`CalendarDataMissing` (CAL-1, A-02).
"""

from __future__ import annotations

import calendar as _stdcal
from datetime import date, timedelta

import chinese_calendar

from engine.errors import DeadlineError


class CalendarDataMissing(DeadlineError):
    """No official holiday data is loaded for this year (CAL-1): refuse rather than guess."""

    def __init__(self, day: date) -> None:
        super().__init__("CAL_NO_DATA", citation="A-02", details={"date": day.isoformat(), "year": day.year})


def add_months_clamped(start: date, months: int) -> date:
    """Corresponding date `months` later; the month's last day if it has no such date (CAL-3, A-05)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last = _stdcal.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


def term_end(start: date, years: int) -> date:
    """Last day of a term of `years` starting `start` (CAL-4, A-06): 2024-01-01 → 2026-12-31."""
    return add_months_clamped(start, 12 * years) - timedelta(days=1)


def period_last_day(posted: date, days: int, *, start_day_counts: bool = True) -> date:
    """Last day of an N-calendar-day period posted on `posted` (CAL-2, A-03): day 1 is the posting day."""
    if days < 1:
        raise ValueError("a period has at least one day")
    return posted + timedelta(days=days - 1 if start_day_counts else days)


def age_on(birth: date, on: date, *, increment: str = "on_birthday", feb29: str = "feb28") -> int:
    """Completed years (周岁) on `on` (CAL-5, A-07)."""
    years = on.year - birth.year
    if birth.month == 2 and birth.day == 29 and not _stdcal.isleap(on.year):
        birthday = date(on.year, 2, 28) if feb29 == "feb28" else date(on.year, 3, 1)
    else:
        birthday = birth.replace(year=on.year)
    if increment == "on_day_after_birthday":
        birthday += timedelta(days=1)
    if on < birthday:
        years -= 1
    return years


def has_data(day: date) -> bool:
    """Whether official working-day data covers `day`'s year."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    """A working day under the State Council arrangement, 调休 included (CAL-1)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise CalendarDataMissing(day) from exc


def next_working_day(day: date) -> date:
    """The first working day strictly after `day`."""
    probe = day + timedelta(days=1)
    while not is_working_day(probe):
        probe += timedelta(days=1)
    return probe
