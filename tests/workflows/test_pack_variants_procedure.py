"""Pack variants end to end (issue 5 item 6): CHUZHOU's exit ground DIS-CHZ-3 opened and closed by recorded
grades and carried by the A-30 procedure to 淘汰 (ELIMINATED), the grounds each pack allows, and
NOT_CONFIGURED where CHUZHOU leaves a value UNSPECIFIED."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import pytest

from engine.audit import verify
from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from engine.errors import GuardRejected, NotConfigured
from engine.policy import UNSPECIFIED, load_packs
from tests.conftest import World, make_id
from workflows.records import GRADES_TABLE, Records


@dataclass
class Chuzhou:
    """A CHUZHOU district CZ (street CZ1, community CC1) with two recorded terms and a worker in service."""

    world: World
    records: Records
    worker_id: int
    term1: int
    term2: int


@pytest.fixture(name="cz")
def _cz(world: World) -> Chuzhou:
    a = world.app.admin
    a.add_district("CZ", "琅琊区", "CHUZHOU")
    a.add_street("CZ", "CZ1", "琅琊街道")
    a.add_community("CZ1", "CC1", "琅琊社区", 6)
    # seed 002 滁州 gives no term length: the district records its terms' dates
    term1 = a.add_term("CZ", 1, date(2021, 1, 1), end=date(2023, 12, 31), status="ENDED")
    term2 = a.add_term("CZ", 2, date(2024, 1, 1), end=date(2026, 12, 31))
    worker = a.add_worker({"id_number": make_id("34110219850303003"), "name": "赵六", "community": "CC1",
                           "category": "PROFESSIONAL_SOCIAL_WORKER", "appointment_start": "2021-01-01"})
    a.add_user("cz_office", "琅琊街道办事处", ["STREET_OFFICE"], street="CZ1")
    a.add_user("cz_party", "琅琊街道党工委", ["STREET_PARTY_COMMITTEE"], street="CZ1")
    a.add_user("cz_bureau", "琅琊区民政局", ["DISTRICT_CIVIL_AFFAIRS"], district="CZ")
    return Chuzhou(world, Records(world.app.engine), worker, term1, term2)


def clock_of(world: World) -> FrozenClock:
    clock = world.app.clock
    assert isinstance(clock, FrozenClock)
    return clock


def grade(cz: Chuzhou, year: int, label: str) -> Any:
    return cz.records.record_grade("cz_office", cz.worker_id, year, label, f"琅琊街道考评结果 {year}")


def dismissal_cases(world: World, worker_id: int) -> list[Any]:
    with world.app.db.read() as s:
        return s.list_cases(procedure="dismissal", worker_id=worker_id)


@pytest.mark.parametrize(("years", "opens"), [
    pytest.param({2024: "不合格"}, False, id="DIS-CHZ-3-one-in-a-term-no-case"),
    pytest.param({2024: "不合格", 2025: "不合格"}, True, id="DIS-CHZ-3-two-consecutive-in-one-term-opens"),
    pytest.param({2021: "不合格", 2022: "合格", 2023: "不合格"}, True,
                 id="DIS-CHZ-3-two-not-consecutive-in-one-term-opens"),
    pytest.param({2023: "不合格", 2024: "不合格"}, False,
                 id="DIS-CHZ-3-end-of-term-1-start-of-term-2-no-case"),
])
def test_two_failing_years_within_one_term_open_a_case_at_once(cz: Chuzhou, years: dict[int, str],
                                                               opens: bool) -> None:
    """DIS-CHZ-3/DS-1: the grade that makes two 不合格 years within one term true opens a case as SYSTEM
    in the same transaction, recording the two years and the term; a term boundary splits the count."""
    results = [grade(cz, year, label) for year, label in years.items()]
    cases = dismissal_cases(cz.world, cz.worker_id)
    assert results[-1].findings == {"DIS-CHZ-3": opens}
    assert results[-1].not_evaluated == []
    if not opens:
        assert cases == []
        return
    [case] = cases
    failing = [y for y, label in years.items() if label == "不合格"]
    assert (case.state, case.data["ground"], case.data["ground_kind"]) == ("OPEN", "DIS-CHZ-3", "computed")
    assert case.data["trigger_facts"]["years"] == failing
    assert case.data["trigger_facts"]["term_id"] == (cz.term1 if failing[0] < 2024 else cz.term2)
    assert case.data["ground_citation"] == "seed 002 滁州·建立职业退出机制"
    assert [c.case_id for c in results[-1].changes] == [case.id]
    with cz.world.app.db.read() as s:
        [opened] = s.audit_entries(case_id=case.id)
    assert (opened.actor_login, opened.action) == ("system", "open")


def test_a_correction_withdrawing_one_of_the_two_closes_the_case_as_data_corrected(cz: Chuzhou) -> None:
    """DIS-CHZ-3/DS-7 (DIS-1 analogue): correcting one of the two 不合格 years to 合格 closes the open case as
    CLOSED_DATA_CORRECTED; the case cannot be closed as unfounded meanwhile."""
    grade(cz, 2024, "不合格")
    second = grade(cz, 2025, "不合格")
    [case] = dismissal_cases(cz.world, cz.worker_id)
    e = cz.world.app.engine
    e.fire(case.id, "compile_evidence", "cz_office", {})
    with pytest.raises(GuardRejected) as info:
        e.fire(case.id, "close_unfounded", "cz_party", {"meeting_date": "2025-01-06", "minutes_ref": "纪要 1",
                                                        "unfounded_reason": "不认可"})
    assert info.value.code == "DIS_COMPUTED_GROUND_NOT_CLOSABLE"
    corrected = cz.records.correct("cz_office", GRADES_TABLE, second.record_id, reason="复核更正",
                                   authority="琅琊街道考评复核意见", changes={"grade": "合格"})
    assert corrected.findings == {"DIS-CHZ-3": False}
    assert [(c.ground, c.action) for c in corrected.changes] == [("DIS-CHZ-3", "closed_data_corrected")]
    [closed] = dismissal_cases(cz.world, cz.worker_id)
    assert (closed.state, closed.closed) == ("CLOSED_DATA_CORRECTED", True)


def test_the_case_run_to_its_end_eliminates_the_worker(cz: Chuzhou) -> None:
    """DIS-CHZ-3 through A-30 (street → 党工委 → 区 bureau → notice → effective date): the appointment ends
    ELIMINATED(DIS-CHZ-3), not DISMISSED; the audit chain verifies."""
    grade(cz, 2024, "不合格")
    grade(cz, 2025, "不合格")
    [case] = dismissal_cases(cz.world, cz.worker_id)
    e = cz.world.app.engine
    e.fire(case.id, "compile_evidence", "cz_office", {})
    e.fire(case.id, "confirm_ground", "cz_party", {"meeting_date": "2025-01-06", "minutes_ref": "纪要 2"})
    e.fire(case.id, "approve", "cz_bureau", {"decision_no": "琅民〔2025〕1号", "decision_date": "2025-01-06",
                                             "effective_date": "2025-02-01"})
    e.fire(case.id, "record_notice", "cz_office", {"notice_delivered_on": "2025-01-06"})
    clock_of(cz.world).set(datetime(2025, 2, 1, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(e)] == ["FIRED"]
    with cz.world.app.db.read() as s:
        done = s.get_case(case.id)
        [appointment] = s.appointments(worker_id=cz.worker_id, statuses=("ACTIVE", "HOLDOVER", "ENDED"))
        assert verify(s.audit_entries(), *s.audit_head()).ok
    assert (done.state, done.data["end_reason"]) == ("TERMINATED", "ELIMINATED(DIS-CHZ-3)")
    assert (appointment.status, appointment.end_reason, appointment.end_date) == (
        "ENDED", "ELIMINATED(DIS-CHZ-3)", date(2025, 1, 31))


def test_chuzhou_manual_grounds_are_its_own_named_situations(cz: Chuzhou) -> None:
    """DS-1 (DIS-PACK): in CHUZHOU the street may open 开除党籍 (DIS-CHZ-1) with an allegation; the seed 000
    第二十三条 grounds are refused, and DIS-CHZ-3 cannot be opened by hand."""
    e = cz.world.app.engine
    with pytest.raises(GuardRejected) as info:
        e.open_case("dismissal", "cz_office", {"ground": "DIS-G3", "allegation": "玩忽职守"},
                    worker_id=cz.worker_id)
    assert info.value.code == "DIS_GROUND_NOT_IN_PACK"
    assert "CHUZHOU" in info.value.message_zh
    with pytest.raises(GuardRejected) as info:
        e.open_case("dismissal", "cz_office", {"ground": "DIS-CHZ-3", "allegation": "两年不合格"},
                    worker_id=cz.worker_id)
    assert info.value.code == "DIS_GROUND_COMPUTED_BY_SYSTEM"
    opened = e.open_case("dismissal", "cz_office", {"ground": "DIS-CHZ-1", "allegation": "受到开除党籍处分"},
                         worker_id=cz.worker_id)
    with pytest.raises(GuardRejected) as info:  # DIS-2: a manual ground needs evidence
        e.fire(opened.case_id, "compile_evidence", "cz_office", {})
    assert info.value.code == "DIS_EVIDENCE_REQUIRED"
    assert e.fire(opened.case_id, "compile_evidence", "cz_office",
                  {"evidence_refs": ["党纪处分决定书"]}).state == "EVIDENCE_READY"


def test_a_dongqu_district_is_unaffected(cz: Chuzhou) -> None:
    """DONGQU: two 不称职 years open DIS-G7a only; DIS-CHZ-3 is neither evaluated nor reported as not
    configured, and the CHUZHOU grounds cannot be opened there."""
    records, world = cz.records, cz.world
    records.record_grade("s1_office", world.worker_id, 2023, "不称职", "东华街道考核结果")
    result = records.record_grade("s1_office", world.worker_id, 2024, "不称职", "东华街道考核结果")
    assert set(result.findings) == {"DIS-G7a", "DIS-G7b", "DIS-G8", "DIS-G9"}
    assert result.not_evaluated == []
    assert [c.data["ground"] for c in dismissal_cases(world, world.worker_id)] == ["DIS-G7a"]
    payload = {"ground": "DIS-CHZ-2", "allegation": "刑事责任"}
    with pytest.raises(GuardRejected) as info:
        world.app.engine.open_case("dismissal", "s1_office", payload, worker_id=world.worker_id)
    assert info.value.code == "DIS_GROUND_NOT_IN_PACK"


def test_chuzhou_threshold_left_unspecified_refuses_with_not_configured(
        cz: Chuzhou, monkeypatch: pytest.MonkeyPatch) -> None:
    """A-41: with the DIS-CHZ-3 threshold UNSPECIFIED the grade is recorded, the rule is reported
    NOT_CONFIGURED and no case opens (no DONGQU value is borrowed)."""
    packs = load_packs()
    chuzhou = packs["CHUZHOU"]
    monkeypatch.setitem(packs, "CHUZHOU", replace(chuzhou, settings={
        **chuzhou.settings, "dismissal.incompetent_years_in_term": UNSPECIFIED}))
    grade(cz, 2024, "不合格")
    result = grade(cz, 2025, "不合格")
    assert result.not_evaluated == [{"ground": "DIS-CHZ-3", "reason": "NOT_CONFIGURED",
                                     "key": "dismissal.incompetent_years_in_term"}]
    assert (result.findings, dismissal_cases(cz.world, cz.worker_id)) == ({}, [])
    assert len(cz.records.history(GRADES_TABLE, cz.worker_id)) == 2


def test_years_outside_every_recorded_term_are_reported_not_guessed(cz: Chuzhou) -> None:
    """DIS-CHZ-3: a 不合格 year before the first recorded term could pair with 2021; the rule is reported
    DIS_TERM_NOT_RECORDED and no case opens."""
    grade(cz, 2020, "不合格")
    result = grade(cz, 2021, "不合格")
    assert result.not_evaluated == [
        {"ground": "DIS-CHZ-3", "reason": "DIS_TERM_NOT_RECORDED", "years": "2020"}]
    assert dismissal_cases(cz.world, cz.worker_id) == []


def test_chuzhou_term_without_dates_refuses_not_configured(cz: Chuzhou) -> None:
    """A-41: CHUZHOU gives no term length, so a term without an explicit end is NOT_CONFIGURED (never the
    DONGQU 3 years); with its end date the district records it."""
    with pytest.raises(NotConfigured) as info:
        cz.world.app.admin.add_term("CZ", 3, date(2027, 1, 1), status="PLANNED")
    assert (info.value.code, info.value.details["key"]) == ("NOT_CONFIGURED", "term.length_years")
    with cz.world.app.db.read() as s:
        assert len(s.terms(s.district_by_code("CZ").id)) == 2
