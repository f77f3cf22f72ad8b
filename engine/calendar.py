"""Periods and ages exactly as spec §3.2–3.6 (CAL-1…CAL-5), and the statutory working-day calendar.

Date arithmetic (`add_months_clamped`, `term_end`, `period_last_day`, `age_on`) is pure.

Working days (CAL-1, A-02) come from ONE object, `WorkingCalendar`: the State Council arrangements bundled
with the `chinese_calendar` package, overlaid by the arrangements the bureau imports into the database
(`shequ calendar import FILE`, format in docs/CALENDAR.md). An imported year replaces the bundled one, so a
correction of the package's data is possible too. A date of a year that neither source covers is never
guessed: `is_working_day` raises `CalendarDataMissing` (CAL_NO_DATA).

Every decision in the engine asks the calendar of its transaction (`calendar_for(store)`, or `ctx.calendar`
in guards and effects), which sees the imported data. The module-level functions (`is_working_day`,
`next_working_day`, `has_data`) answer from the bundled data alone; they remain for pure tests.

Deadlines are derived from a `Period` (method, start date, length, options) by `derive`, which is what a
deadline row stores and what `shequ deadlines explain` re-runs. A period that needs working days of a year
without data is computed with a Monday–Friday *estimate* for those days and marked provisional; the
estimate is replaced (and audited) when the data are imported (engine.deadlines.recompute_after_import).
"""

from __future__ import annotations

import calendar as _stdcal
import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from importlib import metadata
from typing import Any

import chinese_calendar
from chinese_calendar import constants as _cc

from engine.clock import LOCAL_TZ, local_midnight
from engine.errors import DeadlineError
from engine.spec import DeadlineDue


class CalendarDataMissing(DeadlineError):
    """No official holiday data is loaded for this year (CAL-1): refuse rather than guess."""

    def __init__(self, day: date) -> None:
        super().__init__("CAL_NO_DATA", citation="A-02", details={"date": day.isoformat(), "year": day.year})


# ---------------------------------------------------------------- pure date arithmetic (CAL-2…CAL-5)


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


# ---------------------------------------------------------------- the working-day calendar (CAL-1)


class DayKind(StrEnum):
    WORKDAY = "WORKDAY"  # Monday–Friday, no arrangement
    WEEKEND = "WEEKEND"  # Saturday/Sunday, no arrangement
    HOLIDAY = "HOLIDAY"  # a rest day of a statutory holiday arrangement (incl. bridged days)
    MAKEUP = "MAKEUP"  # a weekend day designated a working day (调休上班)


@dataclass(frozen=True)
class DayInfo:
    day: date
    kind: DayKind
    name: str | None  # the holiday a HOLIDAY/MAKEUP day belongs to (as the source names it)
    source: str  # where the year's data come from (bundled package, or an import)

    @property
    def working(self) -> bool:
        return self.kind in (DayKind.WORKDAY, DayKind.MAKEUP)


@dataclass(frozen=True)
class ArrangedDay:
    """One day of an official arrangement: a rest day (HOLIDAY) or a make-up working day (MAKEUP)."""

    day: date
    kind: DayKind
    name: str


@dataclass(frozen=True)
class CalendarImport:
    """One imported calendar file: the years it defines completely and its arranged days (which may reach
    into the neighbouring years, e.g. a make-up Saturday on 31 December for the next New Year)."""

    id: int
    source: str
    sha256: str
    years: tuple[int, ...]
    days: tuple[ArrangedDay, ...]


def _bundled_version() -> str:
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed as a dependency
        return "unknown"


BUNDLED_VERSION = _bundled_version()
BUNDLED_SOURCE = f"chinesecalendar-{BUNDLED_VERSION}"  # data provenance id, not a message


def _holiday_name(value: str) -> str:
    try:
        return str(_cc.Holiday(value).chinese)
    except ValueError:
        return value


def _bundled_days() -> tuple[frozenset[int], dict[date, ArrangedDay]]:
    years = {d.year for d in _cc.holidays} | {d.year for d in _cc.workdays}
    covered = frozenset(range(min(years), max(years) + 1))
    days: dict[date, ArrangedDay] = {}
    for day, value in _cc.holidays.items():
        days[day] = ArrangedDay(day, DayKind.HOLIDAY, _holiday_name(value))
    for day, value in _cc.workdays.items():
        days[day] = ArrangedDay(day, DayKind.MAKEUP, _holiday_name(value))
    return covered, days


class WorkingCalendar:
    """The statutory calendar: bundled package data overlaid by imports (applied in import order; an import
    replaces the whole of each year it declares, then sets its days that fall in other years).

    `version` names exactly the data seen: the package version plus the id of the latest import applied
    (`chinesecalendar-1.11.0+import-0` when nothing was imported).
    """

    def __init__(self, imports: Sequence[CalendarImport] = (), *, bundled: bool = True) -> None:
        covered, days = _bundled_days() if bundled else (frozenset(), {})
        sources: dict[int, str] = dict.fromkeys(covered, BUNDLED_SOURCE)
        arranged = dict(days)
        for imp in sorted(imports, key=lambda i: i.id):
            declared = set(imp.years)
            for day in [d for d in arranged if d.year in declared]:
                del arranged[day]
            for year in declared:
                sources[year] = f"import-{imp.id}"
            for entry in imp.days:
                arranged[entry.day] = entry
        self._sources = sources
        self._arranged = arranged
        self.import_id = max((i.id for i in imports), default=0)
        self.imports = {i.id: i for i in imports}
        self.version = f"{BUNDLED_SOURCE if bundled else 'none'}+import-{self.import_id}"

    # ------------------------------------------------------------ questions
    def has_data(self, day: date) -> bool:
        return day.year in self._sources

    def years(self) -> list[int]:
        return sorted(self._sources)

    def source(self, year: int) -> str | None:
        """Where the year's data come from: BUNDLED_SOURCE or `import-<id>`; None without data."""
        return self._sources.get(year)

    def day_info(self, day: date) -> DayInfo:
        source = self._sources.get(day.year)
        if source is None:
            raise CalendarDataMissing(day)
        entry = self._arranged.get(day)
        if entry is not None:
            return DayInfo(day, entry.kind, entry.name, source)
        return DayInfo(day, DayKind.WORKDAY if day.weekday() < 5 else DayKind.WEEKEND, None, source)

    def is_working_day(self, day: date) -> bool:
        """A working day under the State Council arrangement, 调休 included (CAL-1); CAL_NO_DATA if
        the year has no data."""
        return self.day_info(day).working

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        probe = day + timedelta(days=1)
        while not self.is_working_day(probe):
            probe += timedelta(days=1)
        return probe

    def add_working_days(self, start: date, n: int) -> date:
        """The `n`-th working day after `start` (`start` itself not counted); `n` ≥ 1."""
        if n < 1:
            raise ValueError("count at least one working day")
        probe, counted = start, 0
        while counted < n:
            probe += timedelta(days=1)
            if self.is_working_day(probe):
                counted += 1
        return probe

    def working_days_between(self, first: date, last: date) -> int:
        """Number of working days in [first, last], both included."""
        count, probe = 0, first
        while probe <= last:
            count += self.is_working_day(probe)
            probe += timedelta(days=1)
        return count

    def year_days(self, year: int) -> list[DayInfo]:
        """Every day of `year`, classified; CAL_NO_DATA without data."""
        probe, out = date(year, 1, 1), []
        while probe.year == year:
            out.append(self.day_info(probe))
            probe += timedelta(days=1)
        return out

    def estimating(self) -> EstimatingCalendar:
        return EstimatingCalendar(self)


class EstimatingCalendar:
    """A view of a calendar that answers Monday–Friday for a year without data and remembers those years.
    Used only to compute a *provisional* deadline (never to decide a rule)."""

    def __init__(self, base: WorkingCalendar) -> None:
        self.base = base
        self.missing: set[int] = set()

    def is_working_day(self, day: date) -> bool:
        if self.base.has_data(day):
            return self.base.is_working_day(day)
        self.missing.add(day.year)
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        probe = day + timedelta(days=1)
        while not self.is_working_day(probe):
            probe += timedelta(days=1)
        return probe

    def add_working_days(self, start: date, n: int) -> date:
        if n < 1:
            raise ValueError("count at least one working day")
        probe, counted = start, 0
        while counted < n:
            probe += timedelta(days=1)
            if self.is_working_day(probe):
                counted += 1
        return probe


class LazyCalendar(WorkingCalendar):
    """A calendar loaded on first use (inside the caller's transaction): transitions that never ask about
    working days or compute a deadline do not pay for the query."""

    def __init__(self, loader: Callable[[], WorkingCalendar]) -> None:  # no super().__init__: loaded later
        self._loader = loader
        self._loaded: WorkingCalendar | None = None

    def _target(self) -> WorkingCalendar:
        if self._loaded is None:
            self._loaded = self._loader()
        return self._loaded

    def __getattr__(self, name: str) -> Any:  # import_id, imports, version and the private maps
        if name in ("_loader", "_loaded"):
            raise AttributeError(name)
        return getattr(self._target(), name)

    def has_data(self, day: date) -> bool:
        return self._target().has_data(day)

    def years(self) -> list[int]:
        return self._target().years()

    def source(self, year: int) -> str | None:
        return self._target().source(year)

    def day_info(self, day: date) -> DayInfo:
        return self._target().day_info(day)

    def estimating(self) -> EstimatingCalendar:
        return EstimatingCalendar(self._target())


BUNDLED = WorkingCalendar()
_cache: dict[tuple[tuple[int, str], ...], WorkingCalendar] = {}
_cache_lock = threading.Lock()


def calendar_for(store: Any, *, upto: int | None = None) -> WorkingCalendar:
    """The calendar a transaction sees: bundled data plus every import in the database (or those with id ≤
    `upto`, to re-derive a deadline with the version it was computed with). Cached by the list of imports
    (id and file digest), so a new import in another process is seen by the next transaction."""
    heads = tuple((int(i), str(s)) for i, s in store.calendar_import_heads() if upto is None or i <= upto)
    cached = _cache.get(heads)
    if cached is None:
        loaded = [_import_from_row(r) for r in store.calendar_imports() if upto is None or r["id"] <= upto]
        cached = WorkingCalendar(loaded) if loaded else BUNDLED
        with _cache_lock:
            _cache[heads] = cached
    return cached


def _import_from_row(row: Mapping[str, Any]) -> CalendarImport:
    days = tuple(ArrangedDay(d["day"], DayKind(d["kind"]), d["name"]) for d in row["days"])
    return CalendarImport(int(row["id"]), str(row["source"]), str(row["sha256"]),
                          tuple(int(y) for y in row["years"]), days)


def lazy_calendar_for(store: Any) -> WorkingCalendar:
    return LazyCalendar(lambda: calendar_for(store))


def version_import_id(version: str | None) -> int | None:
    """The import id named in a calendar version string (`...+import-3` → 3)."""
    if not version or "+import-" not in version:
        return None
    try:
        return int(version.rsplit("+import-", 1)[1])
    except ValueError:
        return None


# Bundled-data shortcuts (pure tests and tools; the engine asks `calendar_for(store)` / `ctx.calendar`).
def has_data(day: date) -> bool:
    """Whether the bundled data cover `day`'s year."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    """A working day under the bundled State Council arrangements, 调休 included (CAL-1)."""
    return BUNDLED.is_working_day(day)


def next_working_day(day: date) -> date:
    """The first working day strictly after `day` (bundled data)."""
    return BUNDLED.next_working_day(day)


# ---------------------------------------------------------------- periods: how a deadline is derived

DAY = "day"  # the start date itself (a last day of service, a window's last day, an effective date)
CALENDAR_DAYS = "calendar_days"  # CAL-2: N calendar days, the start day counting as day 1
MONTHS = "months"  # CAL-3: corresponding date N months later, clamped to the month's end
TERM = "term"  # CAL-4: last day of an N-year term
WORKING_DAYS = "working_days"  # CAL-1: the N-th working day after the start date
DAYS_BEFORE = "days_before"  # N calendar days before the start date (reminders "ends in N days")
METHODS = (DAY, CALENDAR_DAYS, MONTHS, TERM, WORKING_DAYS, DAYS_BEFORE)
END, START = "end", "start"  # instant: the end of the day (00:00 of the next) or its start


@dataclass(frozen=True)
class Period:
    """How a deadline's day is computed from its start date, and at which instant of that day it falls due.

    `at` is END (the day is over: 00:00 Asia/Shanghai of the next day), START (00:00 of the day) or a local
    time "HH:MM" (reminders). `extend_if_rest_day` moves a CALENDAR_DAYS last day that is a rest day to
    the next working day (A-04, off by default).
    """

    method: str
    start: date
    n: int = 0
    at: str = END
    start_day_counts: bool = True
    extend_if_rest_day: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown period method {self.method!r}")

    @property
    def uses_calendar(self) -> bool:
        return self.method == WORKING_DAYS or (self.method == CALENDAR_DAYS and self.extend_if_rest_day)

    @property
    def code(self) -> str:
        """Compact ISO-8601-like period: P0D, P7D (R: rest-day extension), P1M, P3Y-1D, P5WD, -P1D."""
        if self.method == DAY:
            return "P0D"
        if self.method == CALENDAR_DAYS:
            counts = "" if self.start_day_counts else "+1"
            return f"P{self.n}D{counts}" + ("R" if self.extend_if_rest_day else "")
        if self.method == MONTHS:
            return f"P{self.n}M"
        if self.method == TERM:
            return f"P{self.n}Y-1D"
        if self.method == WORKING_DAYS:
            return f"P{self.n}WD"
        return f"-P{self.n}D"

    def to_basis(self) -> dict[str, Any]:
        return {"method": self.method, "start": self.start.isoformat(), "n": self.n, "at": self.at,
                "start_day_counts": self.start_day_counts, "extend_if_rest_day": self.extend_if_rest_day}

    @staticmethod
    def from_basis(basis: Mapping[str, Any]) -> Period | None:
        """The period stored in a deadline's basis; None for a row that did not record one."""
        if basis.get("method") not in METHODS or not basis.get("start"):
            return None
        return Period(str(basis["method"]), date.fromisoformat(str(basis["start"])), int(basis.get("n") or 0),
                      str(basis.get("at") or END), bool(basis.get("start_day_counts", True)),
                      bool(basis.get("extend_if_rest_day", False)))


@dataclass(frozen=True)
class Derivation:
    day: date
    due_at: datetime
    extended: bool = False
    missing_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.missing_years)


def _instant(day: date, at: str) -> datetime:
    if at == END:
        return local_midnight(day + timedelta(days=1))
    if at == START:
        return local_midnight(day)
    clock = time.fromisoformat(at)
    return datetime.combine(day, clock, tzinfo=LOCAL_TZ).astimezone(UTC)


def derive(period: Period, calendar: WorkingCalendar) -> Derivation:
    """The day and instant of `period` on `calendar`. Working days of a year without data are estimated
    (Monday–Friday) and the result is provisional (`missing_years`)."""
    view = calendar.estimating()
    extended = False
    if period.method == DAY:
        day = period.start
    elif period.method == CALENDAR_DAYS:
        day = period_last_day(period.start, period.n, start_day_counts=period.start_day_counts)
        if period.extend_if_rest_day and not view.is_working_day(day):
            day, extended = view.next_working_day(day), True
    elif period.method == MONTHS:
        day = add_months_clamped(period.start, period.n)
    elif period.method == TERM:
        day = term_end(period.start, period.n)
    elif period.method == WORKING_DAYS:
        day = view.add_working_days(period.start, period.n)
    else:
        day = period.start - timedelta(days=period.n)
    return Derivation(day, _instant(day, period.at), extended, tuple(sorted(view.missing)))


def deadline(period: Period, calendar: WorkingCalendar, **explain: Any) -> DeadlineDue:
    """A `DeadlineDue` for a DeadlineSpec: the derived instant, the period (stored so that anyone can
    re-derive it), the calendar version and the provisional flag. `explain` adds procedure-specific basis
    entries."""
    result = derive(period, calendar)
    basis: dict[str, Any] = {**explain, **period.to_basis(), "due_day": result.day.isoformat()}
    if result.extended:
        basis["extended"] = True
    if result.provisional:
        basis["missing_years"] = list(result.missing_years)
    return DeadlineDue(result.due_at, basis, provisional=result.provisional, start=period.start,
                       period=period.code, calendar_version=calendar.version)


# ---------------------------------------------------------------- the import file (docs/CALENDAR.md)

FORMAT_VERSION = 1


@dataclass
class ParsedImport:
    source: str
    title: str | None
    years: tuple[int, ...]
    days: list[ArrangedDay] = field(default_factory=list)
    holidays: list[dict[str, Any]] = field(default_factory=list)
    sha256: str = ""


class CalendarFileInvalid(ValueError):
    """The import file breaks docs/CALENDAR.md; `problem` is a catalog key suffix, `params` its values."""

    def __init__(self, problem: str, **params: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.params = params


def _as_day(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise CalendarFileInvalid("bad_date", where=where, value=str(value)) from exc


def parse_import(raw: bytes) -> ParsedImport:
    """Parse and check a calendar file (TOML, docs/CALENDAR.md). Raises CalendarFileInvalid."""
    import tomllib

    try:
        doc = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CalendarFileInvalid("not_toml", error=str(exc)) from exc
    head = doc.get("calendar")
    if not isinstance(head, Mapping):
        raise CalendarFileInvalid("no_header")
    if head.get("format") != FORMAT_VERSION:
        raise CalendarFileInvalid("format", found=head.get("format"), expected=FORMAT_VERSION)
    source = str(head.get("source") or "").strip()
    if not source:
        raise CalendarFileInvalid("no_source")
    years_raw = doc.get("year")
    if not isinstance(years_raw, list) or not years_raw:
        raise CalendarFileInvalid("no_year")
    parsed = ParsedImport(source, str(head.get("title") or "").strip() or None, (),
                          sha256=hashlib.sha256(raw).hexdigest())
    seen: dict[date, ArrangedDay] = {}
    years: list[int] = []
    for entry in years_raw:
        year = entry.get("year") if isinstance(entry, Mapping) else None
        if not isinstance(year, int) or not 1949 < year < 2200:
            raise CalendarFileInvalid("bad_year", value=year)
        if year in years:
            raise CalendarFileInvalid("year_twice", year=year)
        years.append(year)
        holidays = entry.get("holiday")
        if not isinstance(holidays, list) or not holidays:
            raise CalendarFileInvalid("no_holiday", year=year)
        for h in holidays:
            _parse_holiday(year, h, seen, parsed)
    parsed.years = tuple(years)
    parsed.days = sorted(seen.values(), key=lambda d: d.day)
    return parsed


def _near(year: int, day: date) -> bool:
    """A notice for `year` may name days of December before or January after it (New Year bridging)."""
    return day.year == year or (day.year == year - 1 and day.month == 12) or (day.year == year + 1
                                                                              and day.month == 1)


def _parse_holiday(year: int, h: Any, seen: dict[date, ArrangedDay], parsed: ParsedImport) -> None:
    if not isinstance(h, Mapping):
        raise CalendarFileInvalid("no_holiday", year=year)
    name = str(h.get("name") or "").strip()
    if not name:
        raise CalendarFileInvalid("no_name", year=year)
    first = _as_day(h.get("from"), f"{year} {name} from")
    last = _as_day(h.get("to", h.get("from")), f"{year} {name} to")
    if last < first:
        raise CalendarFileInvalid("range_order", name=name, first=first.isoformat(), last=last.isoformat())
    if (last - first).days > 31:
        raise CalendarFileInvalid("range_too_long", name=name, first=first.isoformat(), last=last.isoformat())
    rest: list[date] = []
    probe = first
    while probe <= last:
        rest.append(probe)
        probe += timedelta(days=1)
    makeup = [_as_day(v, f"{year} {name} workdays") for v in h.get("workdays") or []]
    for day in rest + makeup:
        if not _near(year, day):
            raise CalendarFileInvalid("outside_year", name=name, day=day.isoformat(), year=year)
    for day in makeup:
        if day.weekday() < 5:
            raise CalendarFileInvalid("makeup_weekday", name=name, day=day.isoformat())
    for day, kind in [(d, DayKind.HOLIDAY) for d in rest] + [(d, DayKind.MAKEUP) for d in makeup]:
        if day in seen:
            raise CalendarFileInvalid("day_twice", day=day.isoformat(), first=seen[day].name, second=name)
        seen[day] = ArrangedDay(day, kind, name)
    parsed.holidays.append({"year": year, "name": name, "from": first.isoformat(), "to": last.isoformat(),
                            "days": len(rest), "workdays": [d.isoformat() for d in makeup]})


def holiday_ranges(days: Iterable[DayInfo]) -> list[dict[str, Any]]:
    """Runs of consecutive HOLIDAY days by name, each with the make-up days of the same name."""
    ranges: list[dict[str, Any]] = []
    makeups: dict[str | None, list[str]] = {}
    for info in days:
        if info.kind == DayKind.MAKEUP:
            makeups.setdefault(info.name, []).append(info.day.isoformat())
        if info.kind != DayKind.HOLIDAY:
            continue
        last = ranges[-1] if ranges else None
        follows = last is not None and date.fromisoformat(last["to"]) + timedelta(days=1) == info.day
        if last is not None and follows and last["name"] == info.name:
            last["to"], last["days"] = info.day.isoformat(), last["days"] + 1
        else:
            ranges.append({"name": info.name, "from": info.day.isoformat(), "to": info.day.isoformat(),
                           "days": 1})
    for r in ranges:
        r["workdays"] = makeups.pop(r["name"], [])
    return ranges
