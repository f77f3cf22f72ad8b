"""The statutory working-day calendar (spec §3.2–3.6, CAL-1…CAL-5): golden examples, every day of 2025
and 2026 against the State Council notices, years without data, and the bureau's import file
(docs/CALENDAR.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from engine.calendar import (
    BUNDLED,
    CALENDAR_DAYS,
    DAY,
    DAYS_BEFORE,
    END,
    MONTHS,
    START,
    TERM,
    WORKING_DAYS,
    ArrangedDay,
    CalendarDataMissing,
    CalendarFileInvalid,
    CalendarImport,
    DayKind,
    Period,
    WorkingCalendar,
    derive,
    holiday_ranges,
    parse_import,
)
from engine.clock import LOCAL_TZ

D = date.fromisoformat

# ---------------------------------------------------------------- the notices, written out independently
# 国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）and 关于2026年部分节假日安排的通知
# （国办发明电〔2025〕7号）: each holiday's rest range (放假调休) and its make-up working days (上班).
# Typed from the notices' text, not from chinese_calendar's tables: the test compares the two.
NOTICES: dict[int, list[tuple[str, str, str, tuple[str, ...]]]] = {
    2025: [
        ("元旦", "2025-01-01", "2025-01-01", ()),
        ("春节", "2025-01-28", "2025-02-04", ("2025-01-26", "2025-02-08")),
        ("清明节", "2025-04-04", "2025-04-06", ()),
        ("劳动节", "2025-05-01", "2025-05-05", ("2025-04-27",)),
        ("端午节", "2025-05-31", "2025-06-02", ()),
        ("国庆节、中秋节", "2025-10-01", "2025-10-08", ("2025-09-28", "2025-10-11")),
    ],
    2026: [
        ("元旦", "2026-01-01", "2026-01-03", ("2026-01-04",)),
        ("春节", "2026-02-15", "2026-02-23", ("2026-02-14", "2026-02-28")),
        ("清明节", "2026-04-04", "2026-04-06", ()),
        ("劳动节", "2026-05-01", "2026-05-05", ("2026-05-09",)),
        ("端午节", "2026-06-19", "2026-06-21", ()),
        ("中秋节", "2026-09-25", "2026-09-27", ()),
        ("国庆节", "2026-10-01", "2026-10-07", ("2026-09-20", "2026-10-10")),
    ],
}

# A 2027 arrangement for the tests only (the State Council had not published 2027 when this was written):
# shaped like a real notice, with a make-up Saturday and a holiday on Monday 4 January.
FILE_2027 = """\
[calendar]
format = 1
source = "测试数据：2027年节假日安排（非官方）"

[[year]]
year = 2027

[[year.holiday]]
name = "元旦"
from = 2027-01-01
to = 2027-01-04
workdays = [2027-01-09]

[[year.holiday]]
name = "春节"
from = 2027-02-05
to = 2027-02-11
workdays = [2027-02-13]
"""


def notice_toml(year: int) -> str:
    """The notice of `year` as an import file (docs/CALENDAR.md)."""
    lines = ["[calendar]", "format = 1", f'source = "国务院办公厅 {year} 年部分节假日安排"', "",
             "[[year]]", f"year = {year}"]
    for name, first, last, workdays in NOTICES[year]:
        lines += ["", "[[year.holiday]]", f'name = "{name}"', f"from = {first}", f"to = {last}",
                  "workdays = [" + ", ".join(workdays) + "]"]
    return "\n".join(lines) + "\n"


def expected_working(year: int) -> dict[date, bool]:
    """Every day of `year` as the notice says: rest days of the ranges, make-up days, else Monday–Friday."""
    rest: set[date] = set()
    makeup: set[date] = set()
    for _, first, last, workdays in NOTICES[year]:
        day = D(first)
        while day <= D(last):
            rest.add(day)
            day += timedelta(days=1)
        makeup |= {D(w) for w in workdays}
    out: dict[date, bool] = {}
    day = date(year, 1, 1)
    while day.year == year:
        out[day] = day in makeup or (day.weekday() < 5 and day not in rest)
        day += timedelta(days=1)
    return out


def imported(text: str, import_id: int = 1) -> CalendarImport:
    parsed = parse_import(text.encode())
    return CalendarImport(import_id, parsed.source, parsed.sha256, parsed.years, tuple(parsed.days))


# ---------------------------------------------------------------- golden examples (spec §3.3–3.5)


@pytest.mark.parametrize(("period", "day", "due"), [
    pytest.param(Period(CALENDAR_DAYS, D("2025-03-03"), 7), "2025-03-09", "2025-03-10T00:00",
                 id="CAL-2-posted-mon-0303-last-day-0309-next-step-0310"),
    pytest.param(Period(MONTHS, D("2025-01-31"), 1), "2025-02-28", "2025-03-01T00:00",
                 id="CAL-3-jan31-plus-one-month-feb28"),
    pytest.param(Period(MONTHS, D("2024-01-31"), 1), "2024-02-29", "2024-03-01T00:00",
                 id="CAL-3-jan31-leap-year-feb29"),
    pytest.param(Period(TERM, D("2024-01-01"), 3), "2026-12-31", "2027-01-01T00:00",
                 id="CAL-4-term-from-2024-01-01-ends-2026-12-31"),
    pytest.param(Period(DAY, D("2025-06-15"), at=START), "2025-06-15", "2025-06-15T00:00",
                 id="DS-6-effective-at-start-of-day"),
    pytest.param(Period(DAYS_BEFORE, D("2025-03-09"), 1, at="09:00"), "2025-03-08", "2025-03-08T09:00",
                 id="PUB-reminder-publicity-ends-tomorrow"),
])
def test_golden_periods(period: Period, day: str, due: str) -> None:
    """Each golden example of the spec derives the expected last day and due instant (Asia/Shanghai)."""
    result = derive(period, BUNDLED)
    assert result.day == D(day)
    assert result.due_at == datetime.fromisoformat(due).replace(tzinfo=LOCAL_TZ)
    assert result.due_at.tzinfo is not None
    assert not result.provisional


def test_a_2026_make_up_saturday_counts_as_a_working_day() -> None:
    """CAL-1: Saturday 2026-02-14 (调休上班 before the Spring Festival) is a working day; 5 working days
    after Wednesday 2026-02-11 are 12, 13, 14 (Sat), 24 and 25 February (15–23 are the holiday)."""
    assert D("2026-02-14").weekday() == 5
    assert BUNDLED.is_working_day(D("2026-02-14"))
    assert BUNDLED.day_info(D("2026-02-14")).kind == DayKind.MAKEUP
    assert derive(Period(WORKING_DAYS, D("2026-02-11"), 5, at=END), BUNDLED).day == D("2026-02-25")


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_classified_as_the_notice_says(year: int) -> None:
    """CAL-1: all 365 days of the year agree with the State Council notice, on the bundled data and on the
    same notice imported from a file."""
    expected = expected_working(year)
    from_file = WorkingCalendar([imported(notice_toml(year))], bundled=False)
    wrong_bundled = [d for d, working in expected.items() if BUNDLED.is_working_day(d) is not working]
    wrong_file = [d for d, working in expected.items() if from_file.is_working_day(d) is not working]
    assert len(expected) == 365
    assert wrong_bundled == []
    assert wrong_file == []


@pytest.mark.parametrize(("year", "working"), [
    pytest.param(2025, 248, id="CAL-1-2025-261-weekdays-minus-18-holidays-plus-5-make-up"),
    pytest.param(2026, 248, id="CAL-1-2026-261-weekdays-minus-19-holidays-plus-6-make-up"),
])
def test_working_day_totals(year: int, working: int) -> None:
    """The year's working-day total follows from the notice (a figure to check a loaded year at a glance)."""
    assert sum(expected_working(year).values()) == working
    assert BUNDLED.working_days_between(date(year, 1, 1), date(year, 12, 31)) == working


# ---------------------------------------------------------------- a year without data


def test_2027_without_data_is_refused_for_a_decision() -> None:
    """CAL_NO_DATA, not a guess, when a rule asks whether a 2027 day is a working day."""
    assert not BUNDLED.has_data(D("2027-01-04"))
    with pytest.raises(CalendarDataMissing) as info:
        BUNDLED.is_working_day(D("2027-01-04"))
    assert (info.value.code, info.value.details["year"]) == ("CAL_NO_DATA", 2027)


def test_a_period_across_2027_is_provisional_until_the_data_arrive() -> None:
    """A working-day period crossing into 2027 is estimated Monday–Friday and flagged provisional; with the
    2027 arrangement imported it becomes final (and here later: 1–4 January are a holiday)."""
    period = Period(WORKING_DAYS, D("2026-12-28"), 5, at="09:00")
    estimate = derive(period, BUNDLED)
    assert (estimate.day, estimate.provisional, estimate.missing_years) == (D("2027-01-04"), True, (2027,))
    final = derive(period, WorkingCalendar([imported(FILE_2027)]))
    assert (final.day, final.provisional) == (D("2027-01-06"), False)


def test_an_extension_over_a_rest_day_in_2027_is_provisional() -> None:
    """A-04 extension: whether Sunday 2027-01-03 is followed by a working Monday needs 2027 data."""
    period = Period(CALENDAR_DAYS, D("2026-12-28"), 7, extend_if_rest_day=True)
    assert derive(period, BUNDLED).provisional
    final = derive(period, WorkingCalendar([imported(FILE_2027)]))
    assert (final.day, final.extended, final.provisional) == (D("2027-01-05"), True, False)


# ---------------------------------------------------------------- imports


def test_an_import_replaces_the_whole_year_it_declares() -> None:
    """A re-imported 2026 drops the bundled 2026 days: only the file's arrangement counts."""
    text = notice_toml(2026).replace("2026-05-09", "2026-05-10")  # a corrected make-up day (Sunday)
    calendar = WorkingCalendar([imported(text)])
    assert calendar.source(2026) == "import-1"
    assert calendar.source(2025) == calendar.source(2024) != "import-1"
    assert not calendar.is_working_day(D("2026-05-09"))
    assert calendar.is_working_day(D("2026-05-10"))
    assert calendar.version.endswith("+import-1")


def test_a_later_import_wins_and_days_in_the_neighbouring_december_apply() -> None:
    """Imports apply in id order; a notice's day in the previous December (a make-up Saturday) is set."""
    first = imported(FILE_2027, 1)
    second_text = FILE_2027.replace("workdays = [2027-01-09]", "workdays = [2026-12-26]")
    second = imported(second_text, 2)
    calendar = WorkingCalendar([second, first])
    assert calendar.is_working_day(D("2026-12-26"))  # Saturday, made a working day by the 2027 notice
    assert not calendar.is_working_day(D("2027-01-09"))  # the first import's make-up day was replaced
    assert calendar.import_id == 2


def test_holiday_ranges_group_days_with_their_make_up_days() -> None:
    """`calendar show` groups a holiday's rest days into one range with its make-up days."""
    ranges = holiday_ranges(BUNDLED.year_days(2026))
    spring = next(r for r in ranges if r["from"] == "2026-02-15")
    assert (spring["to"], spring["days"]) == ("2026-02-23", 9)
    assert spring["workdays"] == ["2026-02-14", "2026-02-28"]


@pytest.mark.parametrize(("text", "problem"), [
    pytest.param("not toml [", "not_toml", id="CAL-IMPORT-not-toml"),
    pytest.param(FILE_2027.replace("format = 1", "format = 2"), "format", id="CAL-IMPORT-wrong-format"),
    pytest.param(FILE_2027.replace('source = "测试数据：2027年节假日安排（非官方）"', 'source = ""'),
                 "no_source", id="CAL-IMPORT-no-source"),
    pytest.param(FILE_2027.replace("to = 2027-01-04", "to = 2026-12-31"), "range_order",
                 id="CAL-IMPORT-range-backwards"),
    pytest.param(FILE_2027.replace("workdays = [2027-01-09]", "workdays = [2027-01-08]"), "makeup_weekday",
                 id="CAL-IMPORT-make-up-day-on-a-friday"),
    pytest.param(FILE_2027.replace("workdays = [2027-01-09]", "workdays = [2027-02-06]"), "day_twice",
                 id="CAL-IMPORT-day-both-rest-and-work"),
    pytest.param(FILE_2027.replace("from = 2027-02-05", "from = 2028-02-05").replace(
        "to = 2027-02-11", "to = 2028-02-11"), "outside_year", id="CAL-IMPORT-date-in-another-year"),
    pytest.param(FILE_2027.replace("from = 2027-02-05", "from = 2027-02-31"), "not_toml",
                 id="CAL-IMPORT-impossible-date"),
])
def test_invalid_import_files_are_refused_with_the_problem(text: str, problem: str) -> None:
    """A malformed calendar file is refused whole, naming what is wrong."""
    with pytest.raises(CalendarFileInvalid) as info:
        parse_import(text.encode())
    assert info.value.problem == problem


def test_parse_import_expands_ranges_into_days() -> None:
    """Each rest range becomes HOLIDAY days and each make-up day a MAKEUP day, with the holiday's name."""
    parsed = parse_import(FILE_2027.encode())
    assert parsed.years == (2027,)
    assert ArrangedDay(D("2027-01-04"), DayKind.HOLIDAY, "元旦") in parsed.days
    assert ArrangedDay(D("2027-01-09"), DayKind.MAKEUP, "元旦") in parsed.days
    assert sum(1 for d in parsed.days if d.kind == DayKind.HOLIDAY) == 4 + 7
    assert len(parsed.sha256) == 64


# ---------------------------------------------------------------- periods as stored on a deadline


@pytest.mark.parametrize(("period", "code"), [
    pytest.param(Period(DAY, D("2025-01-01")), "P0D", id="day"),
    pytest.param(Period(CALENDAR_DAYS, D("2025-01-01"), 7), "P7D", id="CAL-2"),
    pytest.param(Period(CALENDAR_DAYS, D("2025-01-01"), 7, extend_if_rest_day=True), "P7DR", id="CAL-2-A-04"),
    pytest.param(Period(MONTHS, D("2025-01-01"), 1), "P1M", id="CAL-3"),
    pytest.param(Period(TERM, D("2025-01-01"), 3), "P3Y-1D", id="CAL-4"),
    pytest.param(Period(WORKING_DAYS, D("2025-01-01"), 5, at="09:00"), "P5WD", id="CAL-1"),
    pytest.param(Period(DAYS_BEFORE, D("2025-01-01"), 30, at="09:00"), "-P30D", id="reminder"),
])
def test_period_round_trips_through_its_basis(period: Period, code: str) -> None:
    """What a deadline row stores is enough to rebuild the period exactly."""
    assert period.code == code
    assert Period.from_basis(period.to_basis()) == period


def test_a_basis_without_a_method_is_not_a_period() -> None:
    """Rows written before provenance existed are recognised as not re-derivable."""
    assert Period.from_basis({"from": "2025-01-01", "period": "end of day"}) is None


def test_the_example_of_docs_calendar_md_is_a_valid_file() -> None:
    """The file format documented for the bureau parses as documented (docs/CALENDAR.md)."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "CALENDAR.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    parsed = parse_import(example.encode())
    assert parsed.years == (2027,)
    assert [h["name"] for h in parsed.holidays] == ["元旦", "春节"]
    assert ArrangedDay(D("2027-02-20"), DayKind.MAKEUP, "春节") in parsed.days
