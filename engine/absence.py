"""Absenteeism counting (spec §4.4.2 ABS; ASSUMPTION A-17). Pure functions of recorded absence days.

An absence day is a working day (CAL-1) on which the worker was absent without leave (旷工) or overstayed
approved leave without good reason (逾期不归), for a whole day (1) or half a day (1/2).

- A **run** (连续) is a maximal sequence of absence days with no working day between consecutive ones:
  rest days (weekends, holidays) neither break nor lengthen it; a 调休 make-up working day on which the
  worker was present (nothing recorded) breaks it. Its length is the sum of the fractions.
- A **year total** (一年内累计) is the sum of the fractions within a calendar year (A-17), or within any 365
  consecutive days when the pack's window is `rolling_365`.
- For grading (ABS-1, ABS-2) runs are cut at the year boundary (only the assessment year's days count);
  for dismissal ground 8 (ABS-3) a run is counted whole across the boundary.

All comparisons are strict (超过, CMP-1) and exact (`Fraction`, CMP-2). Thresholds are parameters: the
callers read them from the policy pack.

Working days: callers in the engine pass `is_working_day` of the transaction's calendar
(`engine.calendar.calendar_for(store)` / `ctx.calendar`), which sees the imported State Council data; the
default (bundled data only) is for pure tests. Either raises CAL_NO_DATA for a year without data, so a
threshold is never decided on a guessed calendar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise
from typing import Any

from engine.calendar import is_working_day as _calendar_working_day

FULL_DAY = Fraction(1)
HALF_DAY = Fraction(1, 2)
FRACTIONS = (FULL_DAY, HALF_DAY)
KINDS = ("ABSENTEEISM", "OVERSTAY")  # 旷工, 无正当理由逾期不归 (seed 000 第十七条7)
WINDOWS = ("calendar_year", "rolling_365")

WorkingDayFn = Callable[[date], bool]


@dataclass(frozen=True)
class Absence:
    """One recorded absence day (the current version of the record, corrections applied)."""

    day: date
    fraction: Fraction = FULL_DAY
    kind: str = "ABSENTEEISM"
    record_id: int | None = None


@dataclass(frozen=True)
class Run:
    """Consecutive absence days over working days (rest days in between skipped)."""

    days: tuple[Absence, ...]

    @property
    def start(self) -> date:
        return self.days[0].day

    @property
    def end(self) -> date:
        return self.days[-1].day

    @property
    def length(self) -> Fraction:
        return sum((a.fraction for a in self.days), Fraction(0))

    def to_facts(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "length": str(self.length),
                "days": len(self.days),
                "record_ids": [a.record_id for a in self.days if a.record_id is not None]}


@dataclass(frozen=True)
class Total:
    """The sum of fractions within a window (a calendar year or 365 days ending at `end`)."""

    start: date
    end: date
    amount: Fraction
    record_ids: tuple[int, ...] = ()

    def to_facts(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "total": str(self.amount),
                "record_ids": list(self.record_ids)}


@dataclass(frozen=True)
class ThresholdCheck:
    """Outcome of one ABS rule: whether it applies, and the run or total that makes it apply."""

    rule_id: str
    run_gt: Fraction
    year_gt: Fraction
    run: Run | None  # the latest run over `run_gt`, if any
    total: Total | None  # the latest window over `year_gt`, if any
    longest_run: Fraction
    largest_total: Fraction

    @property
    def exceeded(self) -> bool:
        return self.run is not None or self.total is not None

    def to_facts(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "run_gt": str(self.run_gt),
            "year_gt": str(self.year_gt),
            "run": self.run.to_facts() if self.run else None,
            "total": self.total.to_facts() if self.total else None,
            "longest_run": str(self.longest_run),
            "largest_total": str(self.largest_total),
        }


def _continues(previous: date, following: date, is_working_day: WorkingDayFn) -> bool:
    """True when no working day lies strictly between two absence days (a run goes on)."""
    probe = previous + timedelta(days=1)
    while probe < following:
        if is_working_day(probe):
            return False
        probe += timedelta(days=1)
    return True


def _ordered(absences: Iterable[Absence]) -> list[Absence]:
    ordered = sorted(absences, key=lambda a: a.day)
    for before, after in pairwise(ordered):
        if before.day == after.day:
            raise ValueError(f"two absence records for {after.day.isoformat()}")
    for a in ordered:
        if a.fraction not in FRACTIONS:
            raise ValueError(f"absence fraction {a.fraction} not in 1, 1/2")
    return ordered


def runs(absences: Iterable[Absence], *, cut_at_year_end: bool = False,
         is_working_day: WorkingDayFn = _calendar_working_day) -> list[Run]:
    """The runs of consecutive absence working days, in date order (A-17).

    `cut_at_year_end=True` starts a new run on 1 January (grading, ABS-1/ABS-2); dismissal (ABS-3)
    counts a run whole.
    """
    out: list[Run] = []
    current: list[Absence] = []
    for absence in _ordered(absences):
        if current:
            last = current[-1].day
            same_year = last.year == absence.day.year
            if _continues(last, absence.day, is_working_day) and (same_year or not cut_at_year_end):
                current.append(absence)
                continue
            out.append(Run(tuple(current)))
        current = [absence]
    if current:
        out.append(Run(tuple(current)))
    return out


def year_total(absences: Iterable[Absence], year: int) -> Fraction:
    """Sum of the fractions within calendar year `year` (一年内累计, A-17)."""
    return sum((a.fraction for a in absences if a.day.year == year), Fraction(0))


def _calendar_year_totals(ordered: Sequence[Absence]) -> list[Total]:
    years = sorted({a.day.year for a in ordered})
    totals: list[Total] = []
    for year in years:
        inside = [a for a in ordered if a.day.year == year]
        amount = sum((a.fraction for a in inside), Fraction(0))
        totals.append(Total(date(year, 1, 1), date(year, 12, 31), amount,
                            tuple(a.record_id for a in inside if a.record_id is not None)))
    return totals


def _rolling_totals(ordered: Sequence[Absence]) -> list[Total]:
    """For each absence day, the total of the 365 days ending on it (the only windows whose sum can peak)."""
    totals: list[Total] = []
    for a in ordered:
        start = a.day - timedelta(days=364)
        inside = [b for b in ordered if start <= b.day <= a.day]
        totals.append(Total(start, a.day, sum((b.fraction for b in inside), Fraction(0)),
                            tuple(b.record_id for b in inside if b.record_id is not None)))
    return totals


def _check(rule_id: str, found_runs: Sequence[Run], totals: Sequence[Total], run_gt: int | Fraction,
           year_gt: int | Fraction) -> ThresholdCheck:
    run_limit, total_limit = Fraction(run_gt), Fraction(year_gt)
    over_runs = [r for r in found_runs if r.length > run_limit]
    over_totals = [t for t in totals if t.amount > total_limit]
    return ThresholdCheck(
        rule_id=rule_id,
        run_gt=run_limit,
        year_gt=total_limit,
        run=over_runs[-1] if over_runs else None,
        total=over_totals[-1] if over_totals else None,
        longest_run=max((r.length for r in found_runs), default=Fraction(0)),
        largest_total=max((t.amount for t in totals), default=Fraction(0)),
    )


def assessment_check(rule_id: str, absences: Iterable[Absence], year: int, *, run_gt: int | Fraction,
                     year_gt: int | Fraction, is_working_day: WorkingDayFn = _calendar_working_day
                     ) -> ThresholdCheck:
    """A grading rule for assessment year `year`: only that year's days count, so runs are cut at the
    year boundary and the total is the calendar-year total (A-17)."""
    inside = [a for a in _ordered(absences) if a.day.year == year]
    found = runs(inside, cut_at_year_end=True, is_working_day=is_working_day)
    total = Total(date(year, 1, 1), date(year, 12, 31), year_total(inside, year),
                  tuple(a.record_id for a in inside if a.record_id is not None))
    return _check(rule_id, found, [total], run_gt, year_gt)


def abs1_basic(absences: Iterable[Absence], year: int, *, run_gt: int | Fraction, year_gt: int | Fraction,
               is_working_day: WorkingDayFn = _calendar_working_day) -> ThresholdCheck:
    """ABS-1 (seed 000 第十七条7): grade at most 基本称职 when a run > `run_gt` (3) or the year's total
    > `year_gt` (7). Boundaries: 3 consecutive → no effect, 4 → applies; total 7 → no, 7.5 → applies."""
    return assessment_check("ABS-1", absences, year, run_gt=run_gt, year_gt=year_gt,
                            is_working_day=is_working_day)


def abs2_incompetent(absences: Iterable[Absence], year: int, *, run_gt: int | Fraction,
                     year_gt: int | Fraction, is_working_day: WorkingDayFn = _calendar_working_day
                     ) -> ThresholdCheck:
    """ABS-2 (seed 000 第十八条7): grade 不称职 when a run > `run_gt` (5) or the year's total > `year_gt`
    (10). Boundaries: 5 consecutive → not ABS-2, 6 → applies; total 10 → no, 11 → applies."""
    return assessment_check("ABS-2", absences, year, run_gt=run_gt, year_gt=year_gt,
                            is_working_day=is_working_day)


def abs3_dismissal(absences: Iterable[Absence], *, run_gt: int | Fraction, year_gt: int | Fraction,
                   window: str = "calendar_year", is_working_day: WorkingDayFn = _calendar_working_day
                   ) -> ThresholdCheck:
    """ABS-3 (seed 000 第二十三条8): dismissal ground 8 when a run (counted whole across the year
    boundary) > `run_gt` (10) or the total within one year > `year_gt` (20). `window` is the pack's
    reading of 一年内 (A-17): `calendar_year` or `rolling_365`."""
    if window not in WINDOWS:
        raise ValueError(f"unknown absence window {window!r}")
    ordered = _ordered(absences)
    found = runs(ordered, cut_at_year_end=False, is_working_day=is_working_day)
    totals = _calendar_year_totals(ordered) if window == "calendar_year" else _rolling_totals(ordered)
    return _check("ABS-3", found, totals, run_gt, year_gt)


def parse_fraction(value: Any) -> Fraction:
    """An absence fraction from user input (1, "1", 0.5, "0.5", "1/2"); ValueError for anything other
    than a whole or a half day."""
    if isinstance(value, bool):
        raise ValueError("not a fraction")
    try:
        fraction = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError("not a fraction") from exc
    if fraction not in FRACTIONS:
        raise ValueError("absence is a whole or a half day")
    return fraction
