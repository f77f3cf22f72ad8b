"""Pack variants as pure rules: CHUZHOU's exit ground DIS-CHZ-3 (seed 002 滁州·建立职业退出机制, two
不合格 years within one term) at its boundaries, the grounds each pack lists (DIS-PACK), and the
ELIMINATED outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time
from types import SimpleNamespace
from typing import Any

import pytest

from engine.clock import LOCAL_TZ
from engine.errors import NotConfigured
from engine.guards import Actor, CaseView, GuardContext
from engine.policy import UNSPECIFIED, Policy, get_pack
from engine.spec import EndAppointment
from workflows import appointment_flags as af
from workflows.guards import dismissal as g
from workflows.records import GradeFact

CHUZHOU = get_pack("CHUZHOU")
DONGQU = get_pack("DONGQU")
OFFICE = Actor(1, "cz_office", "琅琊街道办事处", "STREET_OFFICE", frozenset({"STREET_OFFICE"}), 1, 1)
# Two three-year terms with a boundary at the turn of 2023/2024, and a term starting mid-year (CAL-4).
TERMS = (SimpleNamespace(id=1, ordinal=1, start_date=date(2021, 1, 1), end_date=date(2023, 12, 31)),
         SimpleNamespace(id=2, ordinal=2, start_date=date(2024, 1, 1), end_date=date(2026, 12, 31)))
MID_YEAR_TERMS = (SimpleNamespace(id=1, ordinal=1, start_date=date(2021, 4, 1), end_date=date(2024, 3, 31)),
                  SimpleNamespace(id=2, ordinal=2, start_date=date(2024, 4, 1), end_date=date(2027, 3, 31)))
F, P, B = "INCOMPETENT", "COMPETENT", "BASIC"


def grades(by_year: Mapping[int, str]) -> dict[int, GradeFact]:
    return {year: GradeFact(i, 1, year, grade, "考评结果")
            for i, (year, grade) in enumerate(by_year.items(), 1)}


def with_setting(policy: Policy, key: str, value: Any) -> Policy:
    return replace(policy, settings={**policy.settings, key: value})


def ctx(payload: Mapping[str, Any], policy: Policy = CHUZHOU, facts: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None) -> GuardContext:
    case = CaseView(1, "dismissal", "APPROVED", 1, dict(data or {}), 1, 1, 1, 1, None, None)
    today = date(2025, 3, 1)
    return GuardContext(case, dict(payload), OFFICE, datetime.combine(today, time(9), tzinfo=LOCAL_TZ), today,
                        policy, dict(facts or {}))


# ---------------------------------------------------------------- DIS-CHZ-3 boundaries


@pytest.mark.parametrize(("by_year", "terms", "holds", "years"), [
    pytest.param({2024: F}, TERMS, False, None, id="DIS-CHZ-3-one-in-a-term-no"),
    pytest.param({2024: F, 2025: F}, TERMS, True, [2024, 2025], id="DIS-CHZ-3-two-consecutive-in-term-2"),
    pytest.param({2021: F, 2022: P, 2023: F}, TERMS, True, [2021, 2023],
                 id="DIS-CHZ-3-two-not-consecutive-in-term-1"),
    pytest.param({2023: F, 2024: F}, TERMS, False, None, id="DIS-CHZ-3-term-boundary-splits-the-count"),
    pytest.param({2021: F, 2023: B, 2024: F, 2026: B}, TERMS, False, None,
                 id="DIS-CHZ-3-one-per-term-and-basic-years-no"),
    pytest.param({2023: F, 2024: F, 2025: F}, TERMS, True, [2024, 2025], id="DIS-CHZ-3-later-term-reported"),
    pytest.param({2024: F, 2025: F}, MID_YEAR_TERMS, True, [2024, 2025],
                 id="DIS-CHZ-3-year-belongs-to-the-term-covering-its-31-december"),
    pytest.param({2023: F, 2024: F}, MID_YEAR_TERMS, False, None,
                 id="DIS-CHZ-3-mid-year-boundary-2023-and-2024-in-different-terms"),
])
def test_chz3_two_incompetent_years_within_one_term(by_year: dict[int, str], terms: Any, holds: bool,
                                                    years: list[int] | None) -> None:
    """DIS-CHZ-3: ≥ 2 不合格 years in the term covering each year's 31 December, consecutive or not."""
    found = g.chz3({"grades": grades(by_year), "terms": terms}, CHUZHOU)
    assert found.holds is holds
    if holds:
        assert found.facts["years"] == years
        assert found.facts["years_required"] == 2
        assert {found.facts["term_id"]} <= {t.id for t in terms}
    else:
        assert "不合格" in found.why_not


def test_chz3_facts_name_the_two_years_and_the_term() -> None:
    """DIS-CHZ-3: the trigger facts record the two years, their record ids and the term with its dates."""
    found = g.chz3({"grades": grades({2024: F, 2025: F}), "terms": TERMS}, CHUZHOU)
    assert {k: found.facts[k] for k in ("years", "grade_record_ids", "term_id", "term_ordinal", "term_start",
                                        "term_end")} == {
        "years": [2024, 2025], "grade_record_ids": [1, 2], "term_id": 2, "term_ordinal": 2,
        "term_start": "2024-01-01", "term_end": "2026-12-31"}


@pytest.mark.parametrize(("by_year", "terms", "outcome"), [
    pytest.param({2019: F, 2024: F}, TERMS, "refused", id="DIS-CHZ-3-year-outside-terms-could-count-refuses"),
    pytest.param({2019: F}, TERMS, "no", id="DIS-CHZ-3-single-year-outside-terms-cannot-count-no"),
    pytest.param({2024: F, 2025: F}, (), "refused", id="DIS-CHZ-3-no-terms-recorded-refuses"),
    pytest.param({2019: F, 2024: F, 2025: F}, TERMS, "holds", id="DIS-CHZ-3-holds-on-recorded-terms-anyway"),
])
def test_chz3_years_outside_every_recorded_term(by_year: dict[int, str], terms: Any, outcome: str) -> None:
    """DIS-CHZ-3: a 不合格 year outside every recorded term is not guessed into one: the rule refuses
    (DIS_TERM_NOT_RECORDED) when that year could make it hold, and decides when it cannot matter."""
    facts = {"grades": grades(by_year), "terms": terms}
    if outcome == "refused":
        with pytest.raises(NotConfigured) as info:
            g.chz3(facts, CHUZHOU)
        assert info.value.code == "DIS_TERM_NOT_RECORDED"
        assert "seed 002 滁州·建立职业退出机制" in info.value.message_zh
    else:
        assert g.chz3(facts, CHUZHOU).holds is (outcome == "holds")


def test_chz3_threshold_unspecified_refuses_with_not_configured() -> None:
    """A-41: a pack listing DIS-CHZ-3 with its threshold UNSPECIFIED refuses with NOT_CONFIGURED."""
    policy = with_setting(CHUZHOU, "dismissal.incompetent_years_in_term", UNSPECIFIED)
    with pytest.raises(NotConfigured) as info:
        g.chz3({"grades": grades({2024: F, 2025: F}), "terms": TERMS}, policy)
    assert info.value.code == "NOT_CONFIGURED"
    assert info.value.details["key"] == "dismissal.incompetent_years_in_term"


def test_chz3_threshold_is_the_pack_setting() -> None:
    """DIS-CHZ-3: the count comes from the pack (3 → two 不合格 years in a term no longer suffice)."""
    facts = {"grades": grades({2024: F, 2025: F}), "terms": TERMS}
    assert g.chz3(facts, with_setting(CHUZHOU, "dismissal.incompetent_years_in_term", 3)).holds is False
    assert g.chz3(facts, CHUZHOU).holds is True


# ---------------------------------------------------------------- grounds per pack (DIS-PACK)


@pytest.mark.parametrize(("policy", "ground", "ok"), [
    pytest.param(CHUZHOU, "DIS-CHZ-1", True, id="DIS-PACK-chuzhou-party-expulsion"),
    pytest.param(CHUZHOU, "DIS-CHZ-3", True, id="DIS-PACK-chuzhou-two-failing-years"),
    pytest.param(CHUZHOU, "DIS-G3", False, id="DIS-PACK-chuzhou-refuses-dongqu-ground"),
    pytest.param(CHUZHOU, "DIS-G7a", False, id="DIS-PACK-chuzhou-refuses-dongqu-computed-ground"),
    pytest.param(DONGQU, "DIS-G3", True, id="DIS-PACK-dongqu-own-ground"),
    pytest.param(DONGQU, "DIS-CHZ-2", False, id="DIS-PACK-dongqu-refuses-chuzhou-ground"),
])
def test_only_the_packs_grounds_open(policy: Policy, ground: str, ok: bool) -> None:
    """DS-1 (DIS-PACK): a ground the district's pack does not list is refused, naming the pack's grounds."""
    verdict = g.ground_in_pack(ctx({"ground": ground}, policy))
    assert verdict.ok is ok
    if not ok:
        assert verdict.error_code == "DIS_GROUND_NOT_IN_PACK"
        assert policy.code in verdict.to_error().message_zh


def test_computed_grounds_evaluated_follow_the_pack() -> None:
    """Records evaluates only the pack's computed grounds: no DIS-CHZ-3 in DONGQU, no G7–G9 in CHUZHOU."""
    assert g.pack_computed_grounds(DONGQU) == ("DIS-G7a", "DIS-G7b", "DIS-G8", "DIS-G9")
    assert g.pack_computed_grounds(CHUZHOU) == ("DIS-CHZ-3",)
    with pytest.raises(NotConfigured):
        g.pack_computed_grounds(get_pack("HONGSHAN"))


@pytest.mark.parametrize(("ground", "reason"), [
    pytest.param("DIS-CHZ-3", "ELIMINATED(DIS-CHZ-3)", id="DIS-CHZ-3-ends-eliminated"),
    pytest.param("DIS-CHZ-2", "ELIMINATED(DIS-CHZ-2)", id="DIS-CHZ-2-ends-eliminated"),
    pytest.param("DIS-G3", "DISMISSED(DIS-G3)", id="DIS-G3-ends-dismissed"),
])
def test_take_effect_ends_the_appointment_with_the_grounds_outcome(ground: str, reason: str) -> None:
    """DS-6: 淘汰 (CHUZHOU) ends the appointment ELIMINATED(ground); seed 000 grounds DISMISSED(ground)."""
    effect = g.on_take_effect(ctx({}, facts={"appointment": SimpleNamespace(id=9)},
                                  data={"ground": ground, "effective_date": "2025-03-01"}))
    [end] = [a for a in effect.actions if isinstance(a, EndAppointment)]
    assert (end.appointment_id, end.end_reason, end.end_date) == (9, reason, date(2025, 2, 28))
    assert effect.data["end_reason"] == reason


# ---------------------------------------------------------------- HONGSHAN 留用察看 (HS-PROB), exit (HS-EXIT)

HONGSHAN = get_pack("HONGSHAN")
J, H, U = "BASIC", "COMPETENT", "INCOMPETENT"  # HONGSHAN 诫勉, 合格, 不合格 (A-36 ordinal)
SINCE = date(2024, 1, 1)


def finals(**by_year: tuple[str, date]) -> dict[int, af.FinalGrade]:
    """finals(y2024=("BASIC", date(2025, 1, 6))) → the year's grade and the day it became FINAL."""
    return {int(k[1:]): af.FinalGrade(int(k[1:]), grade, on, i)
            for i, (k, (grade, on)) in enumerate(by_year.items(), 1)}


@pytest.mark.parametrize(("policy", "grades", "since", "expected"), [
    pytest.param(HONGSHAN, finals(y2024=(J, date(2025, 1, 6))), date(2024, 1, 1),
                 af.Probation(2024, date(2025, 1, 6), None), id="HS-PROB-jiemian-starts-on-final-day"),
    pytest.param(HONGSHAN, finals(y2024=(H, date(2025, 1, 6))), date(2024, 1, 1), None,
                 id="HS-PROB-hege-no-probation"),
    pytest.param(HONGSHAN, finals(y2024=(U, date(2025, 1, 6))), date(2024, 1, 1), None,
                 id="HS-PROB-buhege-is-not-probation"),
    pytest.param(HONGSHAN, finals(y2024=(J, date(2025, 1, 6)), y2025=(H, date(2026, 1, 9))), SINCE,
                 af.Probation(2024, date(2025, 1, 6), date(2026, 1, 9)),
                 id="HS-PROB-next-final-grade-ends-it"),
    pytest.param(HONGSHAN, finals(y2024=(J, date(2025, 1, 6)), y2025=(J, date(2026, 1, 9))), SINCE,
                 af.Probation(2025, date(2026, 1, 9), None), id="HS-PROB-second-jiemian-starts-a-new-one"),
    pytest.param(HONGSHAN, finals(y2024=(J, date(2025, 1, 6))), date(2025, 3, 1), None,
                 id="HS-PROB-imposed-before-the-appointment-not-carried"),
    pytest.param(with_setting(HONGSHAN, "assessment.probation_until", 12),
                 finals(y2024=(J, date(2024, 2, 29))), SINCE,
                 af.Probation(2024, date(2024, 2, 29), date(2025, 2, 28)),
                 id="HS-PROB-months-setting-CAL-3-clamped"),
    pytest.param(DONGQU, finals(y2024=(J, date(2025, 1, 6))), date(2024, 1, 1), None,
                 id="HS-PROB-dongqu-setting-off"),
    pytest.param(CHUZHOU, finals(y2024=(J, date(2025, 1, 6))), date(2024, 1, 1), None,
                 id="HS-PROB-chuzhou-setting-off"),
])
def test_probation_from_the_grades(policy: Policy, grades: dict[int, af.FinalGrade], since: date,
                                   expected: af.Probation | None) -> None:
    """HS-PROB: the latest 诫勉 sets 留用察看 from its FINAL day until the next FINAL grade (or N months)."""
    assert af.desired_probation(policy, grades, since) == expected


@pytest.mark.parametrize("key", [
    pytest.param("assessment.probation_tier", id="HS-PROB-tier-unspecified-refuses"),
    pytest.param("assessment.probation_until", id="HS-PROB-until-unspecified-refuses"),
])
def test_probation_left_unspecified_refuses(key: str) -> None:
    """A-41: a pack that has 留用察看 but leaves a needed value UNSPECIFIED refuses with NOT_CONFIGURED."""
    with pytest.raises(NotConfigured) as info:
        af.desired_probation(with_setting(HONGSHAN, key, UNSPECIFIED), finals(y2024=(J, date(2025, 1, 6))),
                             date(2024, 1, 1))
    assert (info.value.code, info.value.details["key"]) == ("NOT_CONFIGURED", key)


def test_probation_day_boundaries() -> None:
    """HS-PROB: the probation runs from its start day up to (not including) the day the next grade ends it."""
    probation = af.Probation(2024, date(2025, 1, 6), date(2026, 1, 9))
    assert [probation.active_on(d) for d in (date(2025, 1, 5), date(2025, 1, 6), date(2026, 1, 8),
                                             date(2026, 1, 9))] == [False, True, True, False]


@pytest.mark.parametrize(("category", "kind", "role"), [
    pytest.param("RESIDENTS_COMMITTEE_MEMBER", "ADJUST_OR_DISCHARGE", "STREET_OFFICE",
                 id="HS-EXIT-residents-committee-adjust-or-discharge"),
    pytest.param("PUBLIC_SERVICE_OFFICER", "TERMINATE_CONTRACT", "STREET_OFFICE",
                 id="HS-EXIT-officer-contract"),
    pytest.param("ELDERLY_CARE_STAFF", "TERMINATE_CONTRACT", "STREET_OFFICE", id="HS-EXIT-elderly-contract"),
    pytest.param("PARTY_COMMITTEE_MEMBER", "ADJUST_BY_ORGANISATION_RULES", "STREET_PARTY_COMMITTEE",
                 id="HS-EXIT-party-member-organisation-rules"),
])
def test_exit_task_is_category_specific(category: str, kind: str, role: str) -> None:
    """HS-EXIT (seed 001 第二十七条(四)): 不合格 records the exit of the worker's category for its handler."""
    failing = finals(y2024=(U, date(2025, 1, 6)))
    task = af.desired_exit_task(HONGSHAN, failing, SINCE, category)
    assert task is not None
    assert (task["kind"], task["to_role"]) == (kind, role)
    assert (task["year"], task["created_on"]) == (2024, "2025-01-06")
    assert af.desired_exit_task(DONGQU, failing, SINCE, category) is None


def test_final_day_survives_a_correction_keeping_the_grade() -> None:
    """HS-PROB: a correction that keeps 诫勉 (e.g. a new source) does not move the day the grade became FINAL;
    one that changes the grade does."""
    at = datetime(2025, 1, 6, 1, tzinfo=LOCAL_TZ)
    rows = [{"id": 1, "year": 2024, "grade": J, "supersedes_id": None, "withdrawn": False, "recorded_at": at},
            {"id": 2, "year": 2024, "grade": J, "supersedes_id": 1, "withdrawn": False,
             "recorded_at": at.replace(month=3)},
            {"id": 3, "year": 2023, "grade": H, "supersedes_id": None, "withdrawn": False, "recorded_at": at},
            {"id": 4, "year": 2023, "grade": J, "supersedes_id": 3, "withdrawn": False,
             "recorded_at": at.replace(month=4)}]
    got = af.final_grades(rows)
    assert (got[2024].final_on, got[2024].record_id) == (date(2025, 1, 6), 2)
    assert (got[2023].final_on, got[2023].grade) == (date(2025, 4, 6), J)
