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


def run_chz3_to_effective(cz: Chuzhou) -> Any:
    """Two 不合格 in one term open DIS-CHZ-3; run it through A-30 (street → 党工委 → 区 bureau → notice) and
    past its effective date, when the effective-date deadline fires. The case as opened."""
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
    return case


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
    case = run_chz3_to_effective(cz)
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
    """A-41: CHUZHOU gives no term length, so a term without an explicit end is refused (a NotConfigured,
    TERM_END_REQUIRED; never the DONGQU 3 years); with its end date the district records it."""
    with pytest.raises(NotConfigured) as info:
        cz.world.app.admin.add_term("CZ", 3, date(2027, 1, 1), status="PLANNED")
    assert (info.value.code, info.value.details["key"]) == ("TERM_END_REQUIRED", "term.length_years")
    with cz.world.app.db.read() as s:
        assert len(s.terms(s.district_by_code("CZ").id)) == 2


# ---------------------------------------------------------------- annual rounds (FINAL writes the grades)


def finalise_round(world: World, street: str, office: str, community: str, grades: dict[int, str],
                   when: datetime) -> int:
    """A street's round without PLAN5 run to FINAL (AR-8) with the given proposed tiers; returns the case."""
    e = world.app.engine
    clock_of(world).set(datetime(2025, 12, 20, 9, tzinfo=LOCAL_TZ))
    cid = e.open_case("annual_assessment", office, {"assessment_year": 2025}).case_id
    e.fire(cid, "hold_meeting", office, {
        "assessment_community": community, "assessment_meeting_date": "2025-12-20", "attendance_present": 20,
        "proposed_grades": {str(w): label for w, label in grades.items()}})
    world.app.admin.add_user(f"{street}_sag", "街道考评领导小组", ["STREET_ASSESSMENT_GROUP"], street=street)
    e.fire(cid, "propose_grades", f"{street}_sag", {"proposed_on": "2025-12-20"})
    clock_of(world).set(when)
    day = when.date().isoformat()
    assert e.fire(cid, "finalise_without_plan5", office,
                  {"reported_on": day, "feedback_on": day}).state == "FINAL"
    return cid


def test_a_chuzhou_round_finalising_the_second_failing_year_opens_the_case(cz: Chuzhou) -> None:
    """DIS-CHZ-3: the round's FINAL step writes 不合格 for 2025 (2024 already 不合格, same term) and the exit
    case opens in that transaction, caused by the grade record."""
    grade(cz, 2024, "不合格")
    finalise_round(cz.world, "CZ1", "cz_office", "CC1", {cz.worker_id: "不合格"},
                   datetime(2026, 1, 5, 9, tzinfo=LOCAL_TZ))
    [case] = dismissal_cases(cz.world, cz.worker_id)
    assert (case.state, case.data["ground"]) == ("OPEN", "DIS-CHZ-3")
    assert case.data["trigger_facts"]["years"] == [2024, 2025]
    assert case.data["trigger_facts"]["cause"].startswith("annual_grades#")


# ---------------------------------------------------------------- HONGSHAN 留用察看 and exit task


@dataclass
class Hongshan:
    world: World
    records: Records
    officer: int  # 公共服务干事
    member: int  # 居委会成员


@pytest.fixture(name="hs")
def _hs(world: World) -> Hongshan:
    a = world.app.admin
    a.add_district("HS", "洪山区", "HONGSHAN")
    a.add_street("HS", "HS1", "珞南街道")
    a.add_community("HS1", "HC1", "珞南社区", 6)
    officer = a.add_worker({"id_number": make_id("42011119850303003"), "name": "王五", "community": "HC1",
                            "category": "PUBLIC_SERVICE_OFFICER", "appointment_start": "2024-01-01"})
    member = a.add_worker({"id_number": make_id("42011119800404004"), "name": "孙八", "community": "HC1",
                           "category": "RESIDENTS_COMMITTEE_MEMBER", "appointment_start": "2024-01-01"})
    a.add_user("hs_office", "珞南街道办事处", ["STREET_OFFICE"], street="HS1")
    return Hongshan(world, Records(world.app.engine), officer, member)


def flags(world: World, worker_id: int) -> dict[str, Any]:
    from storage.appointment_flags import appointment_flags

    with world.app.db.read() as s:
        [appointment] = s.appointments(worker_id=worker_id)
        return appointment_flags(s, [appointment.id])[appointment.id]


def flag_audit(world: World, action: str) -> list[Any]:
    with world.app.db.read() as s:
        return [e for e in s.audit_entries() if e.action == action]


def test_jiemian_puts_the_appointment_on_probation_until_the_next_final_grade(hs: Hongshan) -> None:
    """HS-PROB (seed 001 第二十七条(三)): a FINAL 诫勉 sets 留用察看 on the current appointment from the day
    the grade became FINAL, audited in the grade's transaction; the next year's FINAL grade ends it."""
    first = hs.records.record_grade("hs_office", hs.officer, 2024, "诫勉", "珞南街道考评结果 2024")
    assert [(f["flag"], f["change"]) for f in first.appointment_flags] == [("probation", "set")]
    stored = flags(hs.world, hs.officer)
    assert (stored["probation_start"], stored["probation_end"], stored["probation_year"]) == (
        date(2025, 1, 6), None, 2024)
    [entry] = flag_audit(hs.world, "appointment.probation")
    assert entry.seq == first.audit_seq + 1
    assert (entry.body["change"], entry.body["rule_ids"], entry.body["citations"]) == (
        "set", ["HS-PROB"], ["seed 001 第二十七条(三)"])
    clock_of(hs.world).set(datetime(2026, 1, 9, 9, tzinfo=LOCAL_TZ))
    second = hs.records.record_grade("hs_office", hs.officer, 2025, "合格", "珞南街道考评结果 2025")
    assert [(f["flag"], f["change"]) for f in second.appointment_flags] == [("probation", "ended")]
    stored = flags(hs.world, hs.officer)
    assert (stored["probation_start"], stored["probation_end"]) == (date(2025, 1, 6), date(2026, 1, 9))


def test_a_correction_to_hege_lifts_the_probation_audited(hs: Hongshan) -> None:
    """HS-PROB: correcting the 诫勉 grade to 合格 removes the probation, with its own audit entry naming the
    correction as the cause."""
    first = hs.records.record_grade("hs_office", hs.officer, 2024, "诫勉", "珞南街道考评结果 2024")
    corrected = hs.records.correct("hs_office", GRADES_TABLE, first.record_id, reason="复核更正",
                                   authority="珞南街道考评复核意见", changes={"grade": "合格"})
    assert [(f["flag"], f["change"]) for f in corrected.appointment_flags] == [("probation", "lifted")]
    assert flags(hs.world, hs.officer)["probation_start"] is None
    lifted = flag_audit(hs.world, "appointment.probation")[-1]
    assert (lifted.body["change"], lifted.body["cause"], lifted.body["after"]) == (
        "lifted", f"annual_grades#{corrected.record_id}", None)


def test_a_hongshan_round_sets_the_probation_with_the_final_grades(hs: Hongshan) -> None:
    """HS-PROB: the round's FINAL step writes 诫勉 and sets the probation in the same transaction, dated the
    FINAL day; the 合格 worker gets none."""
    finalise_round(hs.world, "HS1", "hs_office", "HC1", {hs.officer: "诫勉", hs.member: "合格"},
                   datetime(2026, 1, 5, 9, tzinfo=LOCAL_TZ))
    assert flags(hs.world, hs.officer)["probation_start"] == date(2026, 1, 5)
    assert flags(hs.world, hs.member)["probation_start"] is None


@pytest.mark.parametrize(("category", "kind", "role"), [
    pytest.param("officer", "TERMINATE_CONTRACT", "STREET_OFFICE", id="HS-EXIT-officer-contract-termination"),
    pytest.param("member", "ADJUST_OR_DISCHARGE", "STREET_OFFICE", id="HS-EXIT-residents-committee-member"),
])
def test_buhege_records_the_category_specific_exit_task(hs: Hongshan, category: str, kind: str,
                                                       role: str) -> None:
    """HS-EXIT (seed 001 第二十七条(四)): a FINAL 不合格 records an open task for the category's exit on the
    appointment (external procedure); withdrawing the grade removes it."""
    worker = hs.officer if category == "officer" else hs.member
    recorded = hs.records.record_grade("hs_office", worker, 2024, "不合格", "珞南街道考评结果 2024")
    task = flags(hs.world, worker)["exit_task"]
    assert (task["kind"], task["to_role"], task["year"], task["status"]) == (kind, role, 2024, "OPEN")
    hs.records.correct("hs_office", GRADES_TABLE, recorded.record_id, reason="录入错误",
                       authority="珞南街道考评复核意见", withdraw=True)
    assert flags(hs.world, worker)["exit_task"] is None
    assert [e.body["change"] for e in flag_audit(hs.world, "appointment.exit_task")] == ["set", "lifted"]


@pytest.mark.parametrize(("district", "label"), [
    pytest.param("DQ", "基本称职", id="HS-PROB-dongqu-never-sets-probation"),
    pytest.param("CZ", "基本合格", id="HS-PROB-chuzhou-never-sets-probation"),
])
def test_other_packs_have_no_probation(cz: Chuzhou, district: str, label: str) -> None:
    """HS-PROB is HONGSHAN's: DONGQU and CHUZHOU grades (of any tier, incl. the third) set no flag and
    report nothing as not configured."""
    world = cz.world
    worker, login = (world.worker_id, "s1_office") if district == "DQ" else (cz.worker_id, "cz_office")
    for year, tier in ((2023, label), (2024, "不称职" if district == "DQ" else "不合格")):
        result = cz.records.record_grade(login, worker, year, tier, "考评结果")
        assert result.appointment_flags == []
        assert [n for n in result.not_evaluated if n["ground"] in ("HS-PROB", "HS-EXIT")] == []
    stored = flags(world, worker)
    assert (stored["probation_start"], stored["exit_task"]) == (None, None)
    assert flag_audit(world, "appointment.probation") == []
