"""Guards of 解除聘用 at their boundaries (spec §4.7 DIS-1, DIS-2, DS-1, DS-5, DS-6) and the computed grounds
DIS-G7a, DIS-G7b, DIS-G8, DIS-G9, evaluated as pure functions of the facts and the DONGQU pack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from engine.absence import HALF_DAY, Absence
from engine.calendar import is_working_day
from engine.clock import LOCAL_TZ
from engine.errors import NotConfigured
from engine.evaluate import evaluate
from engine.guards import SYSTEM_ACTOR, Actor, CaseView, GuardContext
from engine.policy import get_pack
from workflows.dismissal import DISMISSAL
from workflows.guards import dismissal as g
from workflows.records import GradeFact, OfficeFact

DONGQU = get_pack("DONGQU")
OFFICE = Actor(1, "s1_office", "东华街道办事处", "STREET_OFFICE", frozenset({"STREET_OFFICE"}), 1, 1)
APPOINTMENT = SimpleNamespace(id=7, category="PROFESSIONAL_SOCIAL_WORKER")


def ctx(payload: Mapping[str, Any] | None = None, *, data: Mapping[str, Any] | None = None,
        facts: Mapping[str, Any] | None = None, actor: Actor = OFFICE, today: date = date(2025, 1, 6),
        policy: Any = DONGQU) -> GuardContext:
    case = CaseView(1, "dismissal", "OPEN", 1, dict(data or {}), 1, 1, 1, 1, None, None)
    now = datetime.combine(today, time(9), tzinfo=LOCAL_TZ)
    return GuardContext(case, dict(payload or {}), actor, now, today, policy, dict(facts or {}))


def grades(**by_year: str) -> dict[int, GradeFact]:
    """grades(y2022="BASIC") → {2022: GradeFact(...)}."""
    return {int(k[1:]): GradeFact(i, 1, int(k[1:]), v, "通知") for i, (k, v) in enumerate(by_year.items(), 1)}


def working_days(start: date, n: int) -> list[date]:
    out: list[date] = []
    day = start
    while len(out) < n:
        if is_working_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


# ---------------------------------------------------------------- DIS-1, DIS-2


@pytest.mark.parametrize(("ground", "ok"), [
    *[pytest.param(gr, True, id=f"DIS-1-{gr}-manual-closable") for gr in g.MANUAL_GROUNDS],
    *[pytest.param(gr, False, id=f"DIS-1-{gr}-computed-not-closable") for gr in g.COMPUTED_GROUNDS],
])
def test_dis1_only_manual_grounds_close_as_unfounded(ground: str, ok: bool) -> None:
    """DIS-1: DS-4 is open to manual grounds; a computed ground is refused with its own code."""
    verdict = g.manual_ground_only(ctx(data={"ground": ground}))
    assert verdict.ok is ok
    if not ok:
        assert verdict.error_code == "DIS_COMPUTED_GROUND_NOT_CLOSABLE"


@pytest.mark.parametrize(("ground", "refs", "ok"), [
    pytest.param("DIS-G3", None, False, id="DIS-2-manual-missing-fails"),
    pytest.param("DIS-G3", [], False, id="DIS-2-manual-empty-list-fails"),
    pytest.param("DIS-G3", ["", "  "], False, id="DIS-2-manual-blank-refs-fail"),
    pytest.param("DIS-G3", {"ref": "E-1"}, False, id="DIS-2-manual-object-not-a-list-fails"),
    pytest.param("DIS-G3", ["E-1"], True, id="DIS-2-manual-one-ref-passes"),
    pytest.param("DIS-G10", ["E-1", "E-2"], True, id="DIS-2-manual-two-refs-pass"),
    pytest.param("DIS-G8", None, True, id="DIS-2-computed-needs-no-document"),
])
def test_dis2_evidence_for_manual_grounds(ground: str, refs: Any, ok: bool) -> None:
    """DIS-2: compiling evidence on a manual ground needs ≥ 1 non-blank document reference."""
    payload = {} if refs is None else {"evidence_refs": refs}
    verdict = g.evidence_for_manual_ground(ctx(payload, data={"ground": ground}))
    assert verdict.ok is ok
    if not ok:
        assert verdict.error_code == "DIS_EVIDENCE_REQUIRED"


# ---------------------------------------------------------------- DS-1


@pytest.mark.parametrize(("ground", "system", "code"), [
    pytest.param("DIS-G3", False, None, id="DS-1-street-opens-manual"),
    pytest.param("DIS-G8", True, None, id="DS-1-system-opens-computed"),
    pytest.param("DIS-G7a", False, "DIS_GROUND_COMPUTED_BY_SYSTEM", id="DS-1-street-cannot-open-computed"),
    pytest.param("DIS-G1", True, "DIS_GROUND_NOT_COMPUTED", id="DS-1-system-cannot-open-manual"),
])
def test_opener_matches_ground(ground: str, system: bool, code: str | None) -> None:
    """DS-1: SYSTEM opens G7–G9 from data, the street office opens G1–G6 and G10."""
    verdict = g.opener_matches_ground(ctx({"ground": ground}, actor=SYSTEM_ACTOR if system else OFFICE))
    assert verdict.ok is (code is None)
    if code:
        assert verdict.error_code == code


@pytest.mark.parametrize(("payload", "code"), [
    pytest.param({"ground": "DIS-G2", "allegation": "组织罢工"}, None, id="DS-1-manual-with-allegation"),
    pytest.param({"ground": "DIS-G2"}, "DIS_ALLEGATION_REQUIRED", id="DS-1-manual-without-allegation"),
    pytest.param({"ground": "DIS-G9", "trigger_facts": {"x": 1}}, None, id="DS-1-computed-with-facts"),
    pytest.param({"ground": "DIS-G9"}, "DIS_TRIGGER_FACTS_REQUIRED", id="DS-1-computed-without-facts"),
])
def test_particulars_given(payload: dict[str, Any], code: str | None) -> None:
    """DS-1: the allegation (manual) or the trigger facts (computed) are recorded at opening."""
    verdict = g.particulars_given(ctx(payload))
    assert verdict.ok is (code is None)
    if code:
        assert verdict.error_code == code


@pytest.mark.parametrize(("open_cases", "ok"), [
    pytest.param((), True, id="DS-1-one-case-none-open"),
    pytest.param(((5, "DIS-G4"),), True, id="DS-1-one-case-other-ground-open"),
    pytest.param(((5, "DIS-G3"),), False, id="DS-1-one-case-same-ground-open-fails"),
])
def test_one_open_case_per_ground(open_cases: tuple[tuple[int, str], ...], ok: bool) -> None:
    """DS-1: no second open case for the same worker on the same ground."""
    verdict = g.one_open_case_per_ground(ctx({"ground": "DIS-G3"}, facts={"open_cases": open_cases}))
    assert verdict.ok is ok
    if not ok:
        assert verdict.params["case"] == 5


@pytest.mark.parametrize(("appointment", "ok"), [
    pytest.param(APPOINTMENT, True, id="DS-1-appointment-active"),
    pytest.param(None, False, id="DS-1-appointment-ended-fails"),
])
def test_appointment_not_ended(appointment: Any, ok: bool) -> None:
    """DS-1: a worker no longer in service cannot be dismissed."""
    assert g.appointment_not_ended(ctx(facts={"appointment": appointment})).ok is ok


# ---------------------------------------------------------------- DS-5 dates, DS-6


def approve_verdicts(payload: dict[str, Any], today: date = date(2025, 1, 6)) -> list[str]:
    step = DISMISSAL.step("approve")
    assert step is not None
    evaluation = evaluate(step, ctx(payload, data={"ground": "DIS-G3", "meeting_date": "2025-01-03"},
                                    today=today))
    return [v.error_code for v in evaluation.blocking]


@pytest.mark.parametrize(("decision", "effective", "codes"), [
    pytest.param("2025-01-06", "2025-01-05", ["DATE_ORDER"], id="DS-5-effective-before-decision-fails"),
    pytest.param("2025-01-06", "2025-01-06", [], id="DS-5-effective-on-decision-day-passes"),
    pytest.param("2025-01-06", "2025-03-01", [], id="DS-5-effective-later-passes"),
    pytest.param("2025-01-07", "2025-01-08", ["DATE_ORDER"], id="DS-5-decision-in-future-fails"),
    pytest.param("2025-01-02", "2025-01-08", ["DATE_ORDER"], id="DS-5-decision-before-meeting-fails"),
    pytest.param("2025-01-03", "2025-01-03", [], id="DS-5-decision-on-meeting-day-passes"),
])
def test_approval_dates_in_order(decision: str, effective: str, codes: list[str]) -> None:
    """DS-5: meeting ≤ decision ≤ today and decision ≤ effective date."""
    payload = {"decision_no": "D", "decision_date": decision, "effective_date": effective}
    assert approve_verdicts(payload) == codes


@pytest.mark.parametrize(("today", "ok"), [
    pytest.param(date(2025, 1, 31), False, id="DS-6-day-before-effective-fails"),
    pytest.param(date(2025, 2, 1), True, id="DS-6-effective-day-passes"),
])
def test_effective_date_reached(today: date, ok: bool) -> None:
    """DS-6: takes effect from the effective date (deadline at its 00:00), not before."""
    assert g.effective_date_reached(ctx(data={"effective_date": "2025-02-01"}, today=today)).ok is ok


@pytest.mark.parametrize(("data", "ok"), [
    pytest.param({}, False, id="DS-6-no-notice-fails"),
    pytest.param({"notice_delivered_on": "2025-01-20"}, True, id="DS-6-notice-recorded-passes"),
])
def test_notice_recorded(data: dict[str, Any], ok: bool) -> None:
    """DS-6: the written notice to the worker must be recorded."""
    verdict = g.notice_recorded(ctx(data=data))
    assert verdict.ok is ok
    assert g.notice_not_yet_recorded(ctx(data=data)).ok is not ok


@pytest.mark.parametrize(("delivered", "expected"), [
    pytest.param(None, date(2025, 2, 1), id="DS-6-no-delivery-date-effective-date"),
    pytest.param("2025-01-20", date(2025, 2, 1), id="DS-6-notice-before-effective-date"),
    pytest.param("2025-02-01", date(2025, 2, 1), id="DS-6-notice-on-effective-date"),
    pytest.param("2025-02-03", date(2025, 2, 3), id="DS-6-late-notice-moves-effect"),
])
def test_effective_on(delivered: str | None, expected: date) -> None:
    """DS-6 (decision): a notice delivered after the effective date moves the effect to the delivery date."""
    data = {"effective_date": "2025-02-01", **({"notice_delivered_on": delivered} if delivered else {})}
    assert g.effective_on(data) == expected


def test_take_effect_ends_the_appointment_and_moots_related_cases() -> None:
    """DS-6: ENDED(DISMISSED, ground), last day = the day before the effect; the worker's resignation and
    other dismissal cases are closed as moot (A-31), and an open re-hiring case too (§4.3 Interplay)."""
    effect = g.on_take_effect(ctx(data={"ground": "DIS-G4", "effective_date": "2025-02-01"},
                                  facts={"appointment": APPOINTMENT}))
    end, resignation, dismissal, rehiring = effect.actions
    assert (end.appointment_id, end.end_date, end.end_reason) == (7, date(2025, 1, 31), "DISMISSED(DIS-G4)")
    assert (resignation.procedure, resignation.trigger, resignation.reason) == ("resignation", "close_moot",
                                                                                "DISMISSED")
    assert (dismissal.procedure, dismissal.trigger) == ("dismissal", "close_moot")
    assert (rehiring.procedure, rehiring.trigger, rehiring.reason) == ("assessment_rehiring", "close_moot",
                                                                       "DISMISSED")


# ---------------------------------------------------------------- DIS-G7a, DIS-G7b


@pytest.mark.parametrize(("by_year", "g7a", "g7b"), [
    pytest.param({"y2022": "BASIC", "y2023": "INCOMPETENT", "y2024": "BASIC"}, False, True,
                 id="DIS-G7-spec-chain-example-7b-not-7a"),
    pytest.param({"y2023": "INCOMPETENT", "y2024": "INCOMPETENT"}, True, False, id="DIS-G7a-two-years-fires"),
    pytest.param({"y2024": "INCOMPETENT"}, False, False, id="DIS-G7a-one-year-no"),
    pytest.param({"y2022": "INCOMPETENT", "y2024": "INCOMPETENT"}, False, False,
                 id="DIS-G7a-missing-year-breaks-chain"),
    pytest.param({"y2022": "INCOMPETENT", "y2023": "BASIC", "y2024": "INCOMPETENT"}, False, True,
                 id="DIS-G7a-interrupted-by-basic-but-7b"),
    pytest.param({"y2022": "BASIC", "y2023": "BASIC"}, False, False, id="DIS-G7b-two-years-no"),
    pytest.param({"y2021": "BASIC", "y2022": "BASIC", "y2024": "BASIC"}, False, False,
                 id="DIS-G7b-missing-year-breaks-chain"),
    pytest.param({"y2022": "BASIC", "y2023": "COMPETENT", "y2024": "BASIC"}, False, False,
                 id="DIS-G7b-competent-breaks"),
    pytest.param({"y2022": "BASIC", "y2023": "EXCELLENT", "y2024": "BASIC"}, False, False,
                 id="DIS-G7b-A-19-excellent-counts-as-competent"),
    pytest.param({"y2021": "INCOMPETENT", "y2022": "INCOMPETENT", "y2023": "INCOMPETENT"}, True, True,
                 id="DIS-G7-three-incompetent-both"),
    pytest.param({"y2020": "BASIC", "y2021": "BASIC", "y2022": "BASIC", "y2023": "COMPETENT",
                  "y2024": "BASIC"}, False, True, id="DIS-G7b-earlier-chain-still-a-ground"),
])
def test_grade_chains(by_year: dict[str, str], g7a: bool, g7b: bool) -> None:
    """DIS-G7 (A-19, A-20): consecutive calendar years with FINAL grades; a missing year breaks the chain."""
    facts = {"grades": grades(**by_year), "terms": ()}
    assert g.finding("DIS-G7a", facts, DONGQU).holds is g7a
    assert g.finding("DIS-G7b", facts, DONGQU).holds is g7b


def test_chain_is_not_reset_at_term_change_by_default_but_can_be() -> None:
    """A-20: 2023 and 2024 不称职 across a 换届 (terms 2021–2023, 2024–2026) fire G7a in DONGQU; a pack that
    resets chains at 换届 does not fire."""
    terms = (SimpleNamespace(id=1, start_date=date(2021, 1, 1), end_date=date(2023, 12, 31)),
             SimpleNamespace(id=2, start_date=date(2024, 1, 1), end_date=date(2026, 12, 31)))
    facts = {"grades": grades(y2023="INCOMPETENT", y2024="INCOMPETENT"), "terms": terms}
    assert g.finding("DIS-G7a", facts, DONGQU).holds
    key = "dismissal.consecutive_reset_at_term_change"
    resetting = replace(DONGQU, settings={**DONGQU.settings, key: True})
    assert not g.finding("DIS-G7a", facts, resetting).holds
    same_term = {"grades": grades(y2024="INCOMPETENT", y2025="INCOMPETENT"), "terms": terms}
    assert g.finding("DIS-G7a", same_term, resetting).holds


def test_g7_finding_names_the_years_and_the_records() -> None:
    """DIS-G7b: the trigger facts list the chain's years, grades and record ids."""
    facts = {"grades": grades(y2022="BASIC", y2023="INCOMPETENT", y2024="BASIC")}
    result = g.finding("DIS-G7b", facts, DONGQU)
    assert result.facts["years"] == [2022, 2023, 2024]
    assert result.facts["grade_record_ids"] == [1, 2, 3]


def test_unspecified_pack_value_is_not_configured() -> None:
    """A-41: HONGSHAN leaves the G7 chain lengths UNSPECIFIED: the ground refuses to evaluate."""
    with pytest.raises(NotConfigured):
        g.finding("DIS-G7a", {"grades": grades(y2023="INCOMPETENT", y2024="INCOMPETENT")},
                  get_pack("HONGSHAN"))


# ---------------------------------------------------------------- DIS-G8 (ABS-3)


def absence_run(n: int, half_last: bool = False) -> tuple[Absence, ...]:
    days = [Absence(d) for d in working_days(date(2025, 6, 3), n)]
    if half_last:
        days[-1] = Absence(days[-1].day, HALF_DAY)
    return tuple(days)


def isolated(n: int, half_last: bool = False) -> tuple[Absence, ...]:
    days = [Absence(d) for d in working_days(date(2025, 1, 2), 2 * n + 2)[1::2][:n]]
    if half_last:
        days[-1] = Absence(days[-1].day, HALF_DAY)
    return tuple(days)


@pytest.mark.parametrize(("absences", "ok"), [
    pytest.param(absence_run(10), False, id="DIS-G8-run-10-no"),
    pytest.param(absence_run(11, half_last=True), True, id="DIS-G8-run-10.5-yes"),
    pytest.param(absence_run(11), True, id="DIS-G8-run-11-yes"),
    pytest.param(isolated(20), False, id="DIS-G8-year-20-no"),
    pytest.param(isolated(21, half_last=True), True, id="DIS-G8-year-20.5-yes"),
    pytest.param(isolated(21), True, id="DIS-G8-year-21-yes"),
])
def test_g8_boundaries(absences: tuple[Absence, ...], ok: bool) -> None:
    """DIS-G8 (ABS-3): strictly over 10 consecutive working days or over 20 in the calendar year."""
    result = g.finding("DIS-G8", {"absences": absences}, DONGQU)
    assert result.holds is ok
    if not ok:
        assert "须超过 10" in result.why_not


def test_computed_ground_guard_explains_why_not() -> None:
    """DS-1: SYSTEM cannot open G8 on 10 days; the rejection names DIS-G8, its article and the longest run."""
    verdict = g.computed_ground_holds(ctx({"ground": "DIS-G8"}, facts={"absences": absence_run(10)},
                                          actor=SYSTEM_ACTOR))
    assert not verdict.ok
    error = verdict.to_error()
    assert error.rule_id == "DIS-G8"
    assert "seed 000 第二十三条8" in error.message_zh
    assert "最长连续旷工 10 个工作日" in error.message_zh


def test_correction_guard_requires_the_ground_to_be_false() -> None:
    """DS-7: closing for corrected data is refused while the data supports the ground, and for manual ones."""
    still = ctx({"correction_ref": "x"}, data={"ground": "DIS-G8"}, facts={"absences": absence_run(11)})
    assert g.computed_ground_no_longer_holds(still).error_code == "DIS_GROUND_STILL_HOLDS"
    gone = ctx({"correction_ref": "x"}, data={"ground": "DIS-G8"}, facts={"absences": absence_run(9)})
    assert g.computed_ground_no_longer_holds(gone).ok
    manual = ctx({"correction_ref": "x"}, data={"ground": "DIS-G3"})
    assert g.computed_ground_no_longer_holds(manual).error_code == "DIS_NOT_COMPUTED_GROUND"


# ---------------------------------------------------------------- DIS-G9


def office(in_office: bool, on: date, record_id: int = 1) -> OfficeFact:
    return OfficeFact(record_id, 1, "PARTY_COMMITTEE", on, in_office, None, None, "公告")


@pytest.mark.parametrize(("category", "offices", "ok"), [
    pytest.param("PARTY_COMMITTEE_MEMBER", (office(False, date(2024, 12, 1)),), True,
                 id="DIS-G9-party-member-not-reelected"),
    pytest.param("RESIDENTS_COMMITTEE_MEMBER", (office(False, date(2024, 12, 1)),), True,
                 id="DIS-G9-residents-member-not-reelected"),
    pytest.param("PARTY_COMMITTEE_MEMBER", (office(True, date(2024, 12, 1)),), False,
                 id="DIS-G9-reelected-no"),
    pytest.param("PARTY_COMMITTEE_MEMBER", (), False, id="DIS-G9-no-result-recorded-no"),
    pytest.param("PARTY_COMMITTEE_MEMBER",
                 (office(False, date(2021, 12, 1), 1), office(True, date(2024, 12, 1), 2)),
                 False, id="DIS-G9-latest-result-counts"),
    pytest.param("PROFESSIONAL_SOCIAL_WORKER", (office(False, date(2024, 12, 1)),), False,
                 id="DIS-G9-social-worker-not-applicable"),
])
def test_g9(category: str, offices: tuple[OfficeFact, ...], ok: bool) -> None:
    """DIS-G9: a 两委 worker whose latest 换届 result says no longer in office; other categories never."""
    facts = {"appointment": SimpleNamespace(id=7, category=category), "offices": offices}
    assert g.finding("DIS-G9", facts, DONGQU).holds is ok
