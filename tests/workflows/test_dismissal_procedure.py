"""解除聘用 end to end (spec §4.7 DS-1…DS-8) and the recorded facts that open and close computed-ground cases
(§3.10 AUD, §4.4.2 ABS, §4.1 TERM-4)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from engine.audit import verify
from engine.calendar import CalendarDataMissing, is_working_day
from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from engine.errors import GuardRejected, InvalidInput, NotPermitted
from engine.guards import SYSTEM_ACTOR
from tests.conftest import World, make_id
from workflows.records import ABSENCE_TABLE, GRADES_TABLE, OFFICE_TABLE, Records

ALLEGATION = {"ground": "DIS-G3", "allegation": "2024年12月玩忽职守，延误低保审核，造成严重工作失误"}


@pytest.fixture(name="records")
def _records(world: World) -> Records:
    return Records(world.app.engine)


def clock_of(world: World) -> FrozenClock:
    clock = world.app.clock
    assert isinstance(clock, FrozenClock)
    return clock


def working_days(start: date, n: int) -> list[date]:
    out: list[date] = []
    day = start
    while len(out) < n:
        if is_working_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def case_of(world: World, case_id: int) -> Any:
    with world.app.db.read() as s:
        return s.get_case(case_id)


def dismissal_cases(world: World) -> list[Any]:
    with world.app.db.read() as s:
        return s.list_cases(procedure="dismissal", worker_id=world.worker_id)


def open_manual(world: World, ground: str = "DIS-G3") -> int:
    payload = {**ALLEGATION, "ground": ground}
    return world.app.engine.open_case("dismissal", "s1_office", payload, worker_id=world.worker_id).case_id


def to_approved(world: World, case_id: int, effective: str = "2025-02-01") -> None:
    e = world.app.engine
    e.fire(case_id, "compile_evidence", "s1_office", {"evidence_refs": ["调查报告 S1-2025-01"]})
    e.fire(case_id, "confirm_ground", "s1_party", {"meeting_date": "2025-01-06", "minutes_ref": "纪要 3"})
    e.fire(case_id, "approve", "bureau", {"decision_no": "东民〔2025〕1号", "decision_date": "2025-01-06",
                                          "effective_date": effective})


def appointment_rows(world: World, worker_id: int | None = None) -> list[Any]:
    with world.app.db.read() as s:
        return s.appointments(worker_id=worker_id or world.worker_id,
                              statuses=("ACTIVE", "HOLDOVER", "ENDED"))


def record_absences(world: World, records: Records, days: list[date], login: str = "c1") -> list[int]:
    return [records.record_absence(login, world.worker_id, d, 1, "ABSENTEEISM", f"考勤表 {d:%Y-%m}").record_id
            for d in days]


# ---------------------------------------------------------------- manual ground, full path


def test_manual_ground_runs_to_terminated_at_the_effective_date(world: World) -> None:
    """DS-1…DS-6: a G3 case approved with effective date 2025-02-01 and a recorded notice ends the appointment
    DISMISSED(DIS-G3) at 00:00 that day, last day of service 2025-01-31."""
    e = world.app.engine
    case_id = open_manual(world)
    to_approved(world, case_id)
    e.fire(case_id, "record_notice", "s1_office", {"notice_delivered_on": "2025-01-06", "notice_ref": "N1"})
    with world.app.db.read() as s:
        [deadline] = s.deadlines(case_id=case_id, status="PENDING")
    assert deadline.due_at == datetime(2025, 2, 1, tzinfo=LOCAL_TZ)
    clock_of(world).set(datetime(2025, 1, 31, 23, 59, tzinfo=LOCAL_TZ))
    assert fire_due(e) == []
    clock_of(world).set(datetime(2025, 2, 1, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(e)] == ["FIRED"]
    case = case_of(world, case_id)
    assert (case.state, case.closed) == ("TERMINATED", True)
    assert case.data["effective_on"] == "2025-02-01"
    [appointment] = appointment_rows(world)
    assert (appointment.status, appointment.end_reason, appointment.end_date) == (
        "ENDED", "DISMISSED(DIS-G3)", date(2025, 1, 31))
    with world.app.db.read() as s:
        assert verify(s.audit_entries(), *s.audit_head()).ok
        actions = [a.action for a in s.audit_entries(case_id=case_id)]
    assert actions == ["open", "compile_evidence", "confirm_ground", "approve", "record_notice",
                       "take_effect"]


def test_without_the_written_notice_the_dismissal_does_not_take_effect(world: World) -> None:
    """DS-6: at the effective date without a recorded notice the deadline fails naming the notice and the
    appointment stays ACTIVE; once the notice is recorded (late) the dismissal takes effect from its date."""
    e = world.app.engine
    case_id = open_manual(world)
    to_approved(world, case_id)
    clock_of(world).set(datetime(2025, 2, 1, 0, 0, tzinfo=LOCAL_TZ))
    [outcome] = fire_due(e)
    assert outcome.outcome == "FAILED"
    assert outcome.error is not None
    assert "书面解除聘用通知" in outcome.error
    assert case_of(world, case_id).state == "APPROVED"
    assert [a.status for a in appointment_rows(world)] == ["ACTIVE"]
    clock_of(world).set(datetime(2025, 2, 3, 10, 0, tzinfo=LOCAL_TZ))
    result = e.fire(case_id, "record_notice", "bureau", {"notice_delivered_on": "2025-02-03"})
    assert [s.trigger for s in result.steps] == ["record_notice", "take_effect"]
    assert result.state == "TERMINATED"
    [appointment] = appointment_rows(world)
    assert (appointment.end_reason, appointment.end_date) == ("DISMISSED(DIS-G3)", date(2025, 2, 2))


def test_notice_before_the_decision_is_refused(world: World) -> None:
    """DIS-DATES: the notice cannot be delivered before the decision it notifies."""
    case_id = open_manual(world)
    to_approved(world, case_id)
    with pytest.raises(GuardRejected) as info:
        world.app.engine.fire(case_id, "record_notice", "s1_office", {"notice_delivered_on": "2025-01-05"})
    assert info.value.code == "DATE_ORDER"
    assert "2025-01-05" in info.value.message_zh


def test_effective_date_before_decision_date_is_refused_with_both_dates(world: World) -> None:
    """DS-5: effective date ≥ decision date; out of order, the error names both fields and dates."""
    e = world.app.engine
    case_id = open_manual(world)
    e.fire(case_id, "compile_evidence", "s1_office", {"evidence_refs": ["E-1"]})
    e.fire(case_id, "confirm_ground", "s1_party", {"meeting_date": "2025-01-06", "minutes_ref": "M-3"})
    with pytest.raises(GuardRejected) as info:
        e.fire(case_id, "approve", "bureau", {"decision_no": "D-1", "decision_date": "2025-01-06",
                                              "effective_date": "2025-01-05"})
    assert info.value.code == "DATE_ORDER"
    assert "解除聘用生效日期（2025-01-05）不得早于 解除聘用决定日期（2025-01-06）" in info.value.message_zh
    assert case_of(world, case_id).state == "PARTY_DECIDED"


def test_manual_case_can_be_closed_as_unfounded(world: World) -> None:
    """DS-4: the party committee may find a manual ground not established; the appointment is untouched."""
    e = world.app.engine
    case_id = open_manual(world)
    e.fire(case_id, "compile_evidence", "s1_office", {"evidence_refs": ["核查报告"]})
    result = e.fire(case_id, "close_unfounded", "s1_party",
                    {"meeting_date": "2025-01-06", "minutes_ref": "M-4",
                     "unfounded_reason": "经核查延误系系统故障所致"})
    assert result.state == "CLOSED_UNFOUNDED"
    assert [a.status for a in appointment_rows(world)] == ["ACTIVE"]


def test_manual_ground_without_evidence_is_refused_and_nothing_written(world: World) -> None:
    """DIS-2: evidence without any document reference is refused on a manual ground; the case stays OPEN."""
    case_id = open_manual(world)
    with pytest.raises(GuardRejected) as info:
        world.app.engine.fire(case_id, "compile_evidence", "s1_office", {"evidence_refs": []})
    assert info.value.code == "DIS_EVIDENCE_REQUIRED"
    case = case_of(world, case_id)
    assert (case.state, case.version) == ("OPEN", 1)


def test_second_open_case_on_the_same_ground_is_refused_another_ground_is_not(world: World) -> None:
    """DS-1: one open case per worker and ground; a different ground may be opened alongside."""
    first = open_manual(world)
    with pytest.raises(GuardRejected) as info:
        open_manual(world)
    assert info.value.code == "DIS_CASE_ALREADY_OPEN"
    assert str(first) in info.value.message_zh
    open_manual(world, "DIS-G4")
    assert sorted(c.data["ground"] for c in dismissal_cases(world)) == ["DIS-G3", "DIS-G4"]


def test_a_closed_case_does_not_block_a_new_one_on_the_same_ground(world: World) -> None:
    """DS-1: only an OPEN case on the ground blocks; after DS-4 a new allegation may be opened."""
    e = world.app.engine
    first = open_manual(world)
    e.fire(first, "compile_evidence", "s1_office", {"evidence_refs": ["E-1"]})
    e.fire(first, "close_unfounded", "s1_party", {"meeting_date": "2025-01-06", "minutes_ref": "M",
                                                  "unfounded_reason": "不属实"})
    assert open_manual(world) != first


def test_street_office_cannot_open_a_computed_ground(world: World) -> None:
    """DS-1: G8 is opened by SYSTEM from recorded absences, never alleged by the street."""
    with pytest.raises(GuardRejected) as info:
        world.app.engine.open_case("dismissal", "s1_office", {"ground": "DIS-G8", "allegation": "旷工多日"},
                                   worker_id=world.worker_id)
    assert info.value.code == "DIS_GROUND_COMPUTED_BY_SYSTEM"
    assert dismissal_cases(world) == []


def test_manual_ground_needs_an_allegation(world: World) -> None:
    """DS-1: a manual ground is opened with the allegation it rests on."""
    with pytest.raises(GuardRejected) as info:
        world.app.engine.open_case("dismissal", "s1_office", {"ground": "DIS-G10"}, worker_id=world.worker_id)
    assert info.value.code == "DIS_ALLEGATION_REQUIRED"


# ---------------------------------------------------------------- roles and scope


@pytest.mark.parametrize(("login", "code"), [
    pytest.param("s2_office", "OUT_OF_SCOPE", id="DS-1-other-street-out-of-scope"),
    pytest.param("c1", "ROLE_NOT_PERMITTED", id="DS-1-community-not-permitted"),
    pytest.param("zhang", "ROLE_NOT_PERMITTED", id="DS-1-worker-not-permitted"),
    pytest.param("bureau", "ROLE_NOT_PERMITTED", id="DS-1-bureau-not-permitted"),
])
def test_who_may_open(world: World, login: str, code: str) -> None:
    """DS-1: only the worker's own street office opens a manual-ground case."""
    with pytest.raises(NotPermitted) as info:
        world.app.engine.open_case("dismissal", login, ALLEGATION, worker_id=world.worker_id)
    assert info.value.code == code
    assert dismissal_cases(world) == []


def test_steps_are_taken_by_their_roles_only(world: World) -> None:
    """DS-3/DS-5/DS-6: the office cannot confirm, another street's committee is out of scope, the committee
    cannot approve, and nobody fires the SYSTEM step take_effect by hand."""
    e = world.app.engine
    case_id = open_manual(world)
    e.fire(case_id, "compile_evidence", "s1_office", {"evidence_refs": ["E-1"]})
    confirm = {"meeting_date": "2025-01-06", "minutes_ref": "M-1"}
    with pytest.raises(NotPermitted) as info:
        e.fire(case_id, "confirm_ground", "s1_office", confirm)
    assert info.value.code == "ROLE_NOT_PERMITTED"
    with pytest.raises(NotPermitted) as info:
        e.fire(case_id, "confirm_ground", "s2_party", confirm)
    assert info.value.code == "OUT_OF_SCOPE"
    e.fire(case_id, "confirm_ground", "s1_party", confirm)
    approve = {"decision_no": "D", "decision_date": "2025-01-06", "effective_date": "2025-01-10"}
    with pytest.raises(NotPermitted) as info:
        e.fire(case_id, "approve", "s1_party", approve)
    assert info.value.code == "ROLE_NOT_PERMITTED"
    e.fire(case_id, "approve", "bureau", approve)
    with pytest.raises(NotPermitted) as info:
        e.fire(case_id, "take_effect", "bureau")
    assert info.value.code == "ROLE_NOT_PERMITTED"
    with pytest.raises(NotPermitted) as info:
        e.fire(case_id, "record_notice", "s2_office", {"notice_delivered_on": "2025-01-06"})
    assert info.value.code == "OUT_OF_SCOPE"
    assert case_of(world, case_id).state == "APPROVED"


@pytest.mark.parametrize(("login", "code"), [
    pytest.param("zhang", "ROLE_NOT_PERMITTED", id="AUD-worker-cannot-record-own-absence"),
    pytest.param("s1_party", "ROLE_NOT_PERMITTED", id="AUD-party-committee-does-not-keep-attendance"),
    pytest.param("s2_office", "OUT_OF_SCOPE", id="AUD-other-street-out-of-scope"),
])
def test_who_may_record_absences(world: World, records: Records, login: str, code: str) -> None:
    """Records: attendance is recorded by the community, the street office or 区民政局 of the worker."""
    with pytest.raises(NotPermitted) as info:
        records.record_absence(login, world.worker_id, date(2025, 1, 6), 1, "ABSENTEEISM", "考勤表")
    assert info.value.code == code
    assert records.history(ABSENCE_TABLE, world.worker_id) == []


# ---------------------------------------------------------------- computed grounds from recorded data


def test_eleventh_consecutive_absence_opens_a_g8_case_as_system(world: World, records: Records) -> None:
    """ABS-3/DS-1: 10 consecutive working days of absence open nothing; the 11th opens a G8 case as SYSTEM in
    the same transaction, with the run as trigger facts, after the record's own audit entry."""
    clock_of(world).set(datetime(2025, 7, 1, 9, tzinfo=LOCAL_TZ))
    days = working_days(date(2025, 6, 3), 11)
    record_absences(world, records, days[:10])
    assert dismissal_cases(world) == []
    result = records.record_absence("c1", world.worker_id, days[10], 1, "ABSENTEEISM", "考勤表 2025-06")
    assert [(c.ground, c.action) for c in result.changes] == [("DIS-G8", "opened")]
    [case] = dismissal_cases(world)
    assert (case.state, case.data["ground"], case.data["ground_kind"]) == ("OPEN", "DIS-G8", "computed")
    run = case.data["trigger_facts"]["run"]
    assert (run["from"], run["to"], run["length"]) == ("2025-06-03", "2025-06-17", "11")
    assert case.data["trigger_facts"]["cause"] == f"absence_days#{result.record_id}"
    with world.app.db.read() as s:
        entries = list(s.audit_entries(after_seq=result.audit_seq - 1))
    assert [(a.action, a.role, a.case_id) for a in entries] == [
        ("absence_days.record", "COMMUNITY", None), ("open", "SYSTEM", case.id)]
    assert entries[0].body["findings"]["DIS-G8"] is True


def test_year_total_21_opens_a_g8_case_20_does_not(world: World, records: Records) -> None:
    """ABS-3: 20 isolated absence days in 2025 open nothing; the 21st opens a G8 case on the year total."""
    clock_of(world).set(datetime(2025, 12, 31, 9, tzinfo=LOCAL_TZ))
    days = working_days(date(2025, 3, 3), 42)[::2]
    record_absences(world, records, days[:20])
    assert dismissal_cases(world) == []
    record_absences(world, records, days[20:21])
    [case] = dismissal_cases(world)
    assert case.data["trigger_facts"]["total"]["total"] == "21"
    assert case.data["trigger_facts"]["run"] is None


def test_correction_withdrawing_an_absence_closes_the_g8_case(world: World, records: Records) -> None:
    """DS-7/AUD: withdrawing one day of an 11-day run (it was approved leave) splits the run; SYSTEM closes
    the case CLOSED_DATA_CORRECTED; the database keeps the original row and the correction, the audit both."""
    clock_of(world).set(datetime(2025, 7, 1, 9, tzinfo=LOCAL_TZ))
    ids = record_absences(world, records, working_days(date(2025, 6, 3), 11))
    [case] = dismissal_cases(world)
    middle = ids[5]
    result = records.correct("s1_office", ABSENCE_TABLE, middle, withdraw=True, reason="该日为已批准的事假",
                             authority="街道办事处考勤复核意见 2025-07")
    assert [(c.ground, c.action, c.case_id) for c in result.changes] == [
        ("DIS-G8", "closed_data_corrected", case.id)]
    closed = case_of(world, case.id)
    assert (closed.state, closed.data["correction_ref"]) == (
        "CLOSED_DATA_CORRECTED", f"absence_days#{result.record_id}")
    assert closed.data["correction_reason"] == "该日为已批准的事假"
    rows = records.history(ABSENCE_TABLE, world.worker_id)
    original = next(r for r in rows if r["id"] == middle)
    correction = next(r for r in rows if r["id"] == result.record_id)
    assert (original["withdrawn"], original["supersedes_id"], original["day"]) == (False, None,
                                                                                   date(2025, 6, 10))
    assert (correction["withdrawn"], correction["supersedes_id"], correction["day"]) == (True, middle,
                                                                                         date(2025, 6, 10))
    assert correction["reason"] == "该日为已批准的事假"
    assert correction["authority"] == "街道办事处考勤复核意见 2025-07"
    with world.app.db.read() as s:
        entries = [a for a in s.audit_entries() if a.action.startswith("absence_days.")]
        case_actions = [a.action for a in s.audit_entries(case_id=case.id)]
        assert verify(s.audit_entries(), *s.audit_head()).ok
    assert [a.action for a in entries][-1] == "absence_days.withdraw"
    assert entries[-1].body["supersedes_id"] == middle
    assert entries[-1].body["reason"] == "该日为已批准的事假"
    assert any(a.body["record_id"] == middle and a.action == "absence_days.record" for a in entries)
    assert case_actions == ["open", "close_data_corrected"]


def test_half_day_corrections_at_the_run_boundary(world: World, records: Records) -> None:
    """ABS-3 half days: one of 11 days corrected to a half day leaves 10.5 > 10 (case stays open); a second
    half day makes the run 10 and closes it."""
    clock_of(world).set(datetime(2025, 7, 1, 9, tzinfo=LOCAL_TZ))
    ids = record_absences(world, records, working_days(date(2025, 6, 3), 11))
    result = records.correct("c1", ABSENCE_TABLE, ids[0], changes={"fraction": "0.5"}, reason="当日下午到岗",
                             authority="社区考勤复核")
    assert result.changes == []
    assert result.findings["DIS-G8"] is True
    [case] = dismissal_cases(world)
    assert case.state == "OPEN"
    last = records.correct("c1", ABSENCE_TABLE, ids[1], changes={"fraction": "0.5"}, reason="当日上午到岗",
                           authority="社区考勤复核")
    assert [(c.ground, c.action) for c in last.changes] == [("DIS-G8", "closed_data_corrected")]


def test_computed_case_cannot_be_closed_as_unfounded(world: World, records: Records) -> None:
    """DIS-1: a G8 case needs no evidence document but the committee cannot find it unfounded."""
    clock_of(world).set(datetime(2025, 7, 1, 9, tzinfo=LOCAL_TZ))
    record_absences(world, records, working_days(date(2025, 6, 3), 11))
    [case] = dismissal_cases(world)
    e = world.app.engine
    e.fire(case.id, "compile_evidence", "s1_office", {})
    with pytest.raises(GuardRejected) as info:
        e.fire(case.id, "close_unfounded", "s1_party", {"meeting_date": "2025-07-01", "minutes_ref": "M",
                                                        "unfounded_reason": "情有可原"})
    assert info.value.code == "DIS_COMPUTED_GROUND_NOT_CLOSABLE"
    assert "seed 000 第二十三条" in info.value.message_zh
    assert case_of(world, case.id).state == "EVIDENCE_READY"


def test_correction_after_approval_stops_the_dismissal(world: World, records: Records) -> None:
    """DS-7 from APPROVED (decision): a correction withdrawing the ground before the effective date closes
    the case, cancels the effect deadline, and the appointment stays ACTIVE."""
    clock_of(world).set(datetime(2025, 7, 1, 9, tzinfo=LOCAL_TZ))
    ids = record_absences(world, records, working_days(date(2025, 6, 3), 11))
    [case] = dismissal_cases(world)
    e = world.app.engine
    e.fire(case.id, "compile_evidence", "s1_office", {})
    e.fire(case.id, "confirm_ground", "s1_party", {"meeting_date": "2025-07-01", "minutes_ref": "M"})
    e.fire(case.id, "approve", "bureau", {"decision_no": "D", "decision_date": "2025-07-01",
                                          "effective_date": "2025-07-15"})
    records.correct("c1", ABSENCE_TABLE, ids[0], withdraw=True, reason="误记", authority="社区考勤复核")
    assert case_of(world, case.id).state == "CLOSED_DATA_CORRECTED"
    with world.app.db.read() as s:
        assert [d.status for d in s.deadlines(case_id=case.id)] == ["CANCELLED"]
    assert [a.status for a in appointment_rows(world)] == ["ACTIVE"]


def test_absence_on_a_rest_day_is_refused(world: World, records: Records) -> None:
    """CAL-1: 2025-01-05 is a Sunday (not a 调休 day): no absence can be recorded on it."""
    with pytest.raises(InvalidInput) as info:
        records.record_absence("c1", world.worker_id, date(2025, 1, 5), 1, "旷工", "考勤表")
    assert info.value.code == "ABS_NOT_WORKING_DAY"


def test_absence_in_a_year_without_calendar_data_is_refused(world: World, records: Records) -> None:
    """CAL-1/A-02: a date in a year the statutory calendar does not cover is refused, not guessed."""
    clock_of(world).set(datetime(2027, 3, 1, 9, tzinfo=LOCAL_TZ))
    with pytest.raises(CalendarDataMissing):
        records.record_absence("c1", world.worker_id, date(2027, 1, 4), 1, "ABSENTEEISM", "考勤表")
    assert records.history(ABSENCE_TABLE, world.worker_id) == []


def test_record_validation(world: World, records: Records) -> None:
    """Records: a second record for the same day, a future day, a bad fraction, a correction without reason
    and a correction of a superseded row are refused."""
    first = records.record_absence("c1", world.worker_id, date(2025, 1, 6), "0.5", "无正当理由逾期不归",
                                   "考勤表")
    with pytest.raises(InvalidInput) as info:
        records.record_absence("c1", world.worker_id, date(2025, 1, 6), 1, "ABSENTEEISM", "考勤表")
    assert info.value.code == "RECORD_ALREADY_EXISTS"
    with pytest.raises(InvalidInput) as info:
        records.record_absence("c1", world.worker_id, date(2025, 1, 7), 1, "ABSENTEEISM", "考勤表")
    assert "不得晚于今天" in info.value.message_zh
    with pytest.raises(InvalidInput) as info:
        records.record_absence("c1", world.worker_id, date(2025, 1, 3), "0.25", "ABSENTEEISM", "考勤表")
    assert "0.5" in info.value.message_zh
    with pytest.raises(InvalidInput) as info:
        records.correct("c1", ABSENCE_TABLE, first.record_id, changes={"fraction": 1}, reason=" ",
                        authority="X")
    assert info.value.code == "RECORD_CORRECTION_INCOMPLETE"
    fixed = records.correct("c1", ABSENCE_TABLE, first.record_id, changes={"fraction": 1},
                            reason="全天未到岗", authority="社区考勤复核")
    with pytest.raises(InvalidInput) as info:
        records.correct("c1", ABSENCE_TABLE, first.record_id, changes={"fraction": "0.5"}, reason="r",
                        authority="a")
    assert info.value.code == "RECORD_ALREADY_CORRECTED"
    current = [r for r in records.history(ABSENCE_TABLE, world.worker_id) if r["id"] == fixed.record_id]
    assert [(r["half_days"], r["kind"]) for r in current] == [(2, "OVERSTAY")]


# ---------------------------------------------------------------- DIS-G7 from annual grades


def test_spec_chain_example_opens_g7b_not_g7a(world: World, records: Records) -> None:
    """DIS-G7 (spec example): 2022 基本称职, 2023 不称职, 2024 基本称职 ⇒ G7b on 2024's FINAL; no G7a."""
    records.record_grade("s1_office", world.worker_id, 2022, "基本称职", "2022年度考核结果通知")
    records.record_grade("s1_office", world.worker_id, 2023, "不称职", "2023年度考核结果通知")
    assert dismissal_cases(world) == []
    result = records.record_grade("bureau", world.worker_id, 2024, "BASIC", "2024年度考核结果通知")
    assert [(c.ground, c.action) for c in result.changes] == [("DIS-G7b", "opened")]
    assert (result.findings["DIS-G7a"], result.findings["DIS-G7b"]) == (False, True)
    [case] = dismissal_cases(world)
    assert case.data["trigger_facts"]["years"] == [2022, 2023, 2024]
    assert case.data["trigger_facts"]["grades"] == {"2022": "BASIC", "2023": "INCOMPETENT", "2024": "BASIC"}


def test_two_incompetent_years_open_g7a_a_correction_closes_it(world: World, records: Records) -> None:
    """DIS-G7a/DS-7: 2023 and 2024 不称职 open G7a; correcting 2023 to 称职 closes it (DATA_CORRECTED)."""
    first = records.record_grade("s1_office", world.worker_id, 2023, "不称职", "2023年度考核结果通知")
    records.record_grade("s1_office", world.worker_id, 2024, "不称职", "2024年度考核结果通知")
    [case] = dismissal_cases(world)
    assert case.data["ground"] == "DIS-G7a"
    result = records.correct("bureau", GRADES_TABLE, first.record_id, changes={"grade": "称职"},
                             reason="复核后改定为称职", authority="区民政局复核决定 2025-1")
    assert [(c.ground, c.action) for c in result.changes] == [("DIS-G7a", "closed_data_corrected")]
    assert case_of(world, case.id).state == "CLOSED_DATA_CORRECTED"
    grades = records.history(GRADES_TABLE, world.worker_id)
    assert [(r["year"], r["grade"], r["supersedes_id"]) for r in grades] == [
        (2023, "INCOMPETENT", None), (2024, "INCOMPETENT", None), (2023, "COMPETENT", first.record_id)]


def test_grade_for_a_future_year_and_unknown_grade_are_refused(world: World, records: Records) -> None:
    """Records: no FINAL grade for a future year, nor a grade outside the four, nor by the community."""
    with pytest.raises(InvalidInput):
        records.record_grade("s1_office", world.worker_id, 2026, "称职", "X")
    with pytest.raises(InvalidInput) as info:
        records.record_grade("s1_office", world.worker_id, 2024, "合格", "X")
    assert "基本称职" in info.value.message_zh
    with pytest.raises(NotPermitted):
        records.record_grade("c1", world.worker_id, 2024, "称职", "X")


# ---------------------------------------------------------------- DIS-G9 from the 换届 result


def add_committee_member(world: World) -> int:
    return world.app.admin.add_worker({
        "id_number": make_id("11010519750202002"), "name": "李四", "community": "C1",
        "category": "RESIDENTS_COMMITTEE_MEMBER", "appointment_start": "2024-01-01",
        "appointment_end": "2026-12-31"})


def test_committee_member_no_longer_in_office_opens_g9(world: World, records: Records) -> None:
    """DIS-G9/TERM-4: a residents'-committee member recorded as not re-elected opens a G9 case; correcting the
    record to in office closes it."""
    worker = add_committee_member(world)
    result = records.record_office("s1_party", worker, date(2024, 12, 20), False, "换届选举结果公告")
    assert [(c.ground, c.action) for c in result.changes] == [("DIS-G9", "opened")]
    with world.app.db.read() as s:
        [case] = s.list_cases(procedure="dismissal", worker_id=worker)
    assert case.data["trigger_facts"]["body"] == "RESIDENTS_COMMITTEE"
    fixed = records.correct("s1_office", OFFICE_TABLE, result.record_id, changes={"in_office": True},
                            reason="选举结果录入错误", authority="街道换届工作领导小组")
    assert [c.action for c in fixed.changes] == ["closed_data_corrected"]


def test_office_record_for_a_social_worker_is_refused(world: World, records: Records) -> None:
    """DIS-G9 applies to 两委 members only: a professional social worker has no elected office to record."""
    with pytest.raises(InvalidInput) as info:
        records.record_office("s1_office", world.worker_id, date(2024, 12, 20), False, "公告")
    assert info.value.code == "RECORD_OFFICE_NOT_APPLICABLE"


# ---------------------------------------------------------------- mootness


def resign(world: World) -> int:
    return world.app.engine.open_case("resignation", "zhang", {"submitted_on": "2025-01-06", "written": True,
                                                               "document_ref": "辞职申请"},
                                      worker_id=world.worker_id).case_id


def test_resignation_taking_effect_first_makes_the_dismissal_moot(world: World) -> None:
    """DS-8/A-31: an open dismissal case closes CLOSED_MOOT when the worker's resignation takes effect."""
    e = world.app.engine
    dismissal = open_manual(world)
    resignation = resign(world)
    e.fire(resignation, "approve", "s1_party", {"decided_on": "2025-01-06", "minutes_ref": "M1"})
    clock_of(world).advance(timedelta(days=40))
    fire_due(e)
    assert case_of(world, resignation).state == "EFFECTIVE"
    moot = case_of(world, dismissal)
    assert (moot.state, moot.data["moot_reason"]) == ("CLOSED_MOOT", "RESIGNED")
    [appointment] = appointment_rows(world)
    assert appointment.end_reason == "RESIGNED"


def test_dismissal_taking_effect_first_makes_the_resignation_moot(world: World) -> None:
    """DS-6/A-31: when the dismissal takes effect first, the pending resignation and any other open dismissal
    case of the worker close CLOSED_MOOT; the resignation's own deadlines are cancelled."""
    e = world.app.engine
    resignation = resign(world)
    other = open_manual(world, "DIS-G5")
    case_id = open_manual(world)
    to_approved(world, case_id, effective="2025-01-20")
    e.fire(case_id, "record_notice", "s1_office", {"notice_delivered_on": "2025-01-06"})
    clock_of(world).set(datetime(2025, 1, 20, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(e)] == ["FIRED"]
    assert case_of(world, case_id).state == "TERMINATED"
    moot = case_of(world, resignation)
    assert (moot.state, moot.data["moot_reason"]) == ("CLOSED_MOOT", "DISMISSED")
    other_case = case_of(world, other)
    assert (other_case.state, other_case.data["moot_reason"]) == ("CLOSED_MOOT", "DISMISSED")
    with world.app.db.read() as s:
        assert {d.status for d in s.deadlines(case_id=resignation)} == {"CANCELLED"}
    clock_of(world).set(datetime(2025, 3, 1, 0, 0, tzinfo=LOCAL_TZ))
    assert fire_due(e) == []
    with pytest.raises(GuardRejected) as info:
        open_manual(world, "DIS-G6")
    assert info.value.code == "DIS_NO_ACTIVE_APPOINTMENT"


def test_moot_closure_requires_the_appointment_to_have_ended(world: World) -> None:
    """DS-8: SYSTEM cannot close a case as moot while the worker is still in service."""
    case_id = open_manual(world)
    with world.app.db.transaction() as s, pytest.raises(GuardRejected) as info:
        world.app.engine.fire_in(s, s.get_case(case_id), "close_moot", SYSTEM_ACTOR, {"moot_reason": "X"})
    assert info.value.code == "DIS_APPOINTMENT_STILL_ACTIVE"
    assert case_of(world, case_id).state == "OPEN"


# ---------------------------------------------------------------- packs


def test_hongshan_records_the_fact_but_does_not_run_dismissal(world: World, records: Records) -> None:
    """A-41: in a HONGSHAN district (dismissal UNSPECIFIED) absences are recorded and audited, no case opens,
    and the result says the grounds were not evaluated."""
    a = world.app.admin
    a.add_district("HS", "洪山区", "HONGSHAN")
    a.add_street("HS", "HS1", "珞南街道")
    a.add_community("HS1", "HC1", "珞南社区", 6)
    worker = a.add_worker({"id_number": make_id("42011119850303003"), "name": "王五", "community": "HC1",
                           "category": "PUBLIC_SERVICE_OFFICER", "appointment_start": "2024-01-01"})
    a.add_user("hs_office", "珞南街道办事处", ["STREET_OFFICE"], street="HS1")
    clock_of(world).set(datetime(2025, 7, 1, 9, tzinfo=LOCAL_TZ))
    results = [records.record_absence("hs_office", worker, d, 1, "ABSENTEEISM", "考勤表")
               for d in working_days(date(2025, 6, 3), 11)]
    assert results[-1].not_evaluated == [{"ground": "*", "reason": "PROCEDURE_DISABLED", "pack": "HONGSHAN"}]
    with world.app.db.read() as s:
        assert s.list_cases(procedure="dismissal", worker_id=worker) == []
    assert len(records.history(ABSENCE_TABLE, worker)) == 11
