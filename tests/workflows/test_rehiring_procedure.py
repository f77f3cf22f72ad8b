"""考核聘用 end to end through the engine (spec §4.3 RH-T1…RH-T13, PUB, TERM-6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from engine.app import App
from engine.audit import verify
from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from engine.errors import GuardRejected, NotPermitted, TriggerNotAvailable
from tests.conftest import World, make_id

CASE = "assessment_rehiring"
TODAY = "2025-01-06"


@dataclass
class Rehire:
    """A worker (login `li`) whose appointment belongs to term 1 of DQ, with 换届 open and term 2 planned."""

    app: App
    clock: FrozenClock
    worker_id: int
    appointment_id: int
    term_id: int
    successor_id: int

    def open(self) -> int:
        return self.app.engine.open_case(CASE, "bureau", {"appointment_id": self.appointment_id},
                                         worker_id=self.worker_id).case_id

    def fire(self, case_id: int, trigger: str, login: str, payload: dict[str, Any] | None = None) -> Any:
        return self.app.engine.fire(case_id, trigger, login, payload)

    def case(self, case_id: int) -> Any:
        with self.app.db.read() as s:
            return s.get_case(case_id)


def add_worker(app: App, id17: str, name: str, community: str, term_id: int | None) -> tuple[int, int]:
    worker = app.admin.add_worker({"id_number": make_id(id17), "name": name, "community": community,
                                   "category": "PROFESSIONAL_SOCIAL_WORKER", "position": "干事",
                                   "appointment_start": "2024-01-01", "appointment_end": "2026-12-31",
                                   "term_id": term_id, "decision_no": "东民聘〔2024〕1号"})
    with app.db.read() as s:
        return worker, s.appointments(worker_id=worker)[0].id


@pytest.fixture(name="rh")
def _rh(world: World, clock: FrozenClock) -> Rehire:
    a = world.app.admin
    term = a.add_term("DQ", 1, date(2024, 1, 1))
    successor = a.add_term("DQ", 2, date(2027, 1, 1), status="PLANNED")
    a.open_renewal(term, date(2025, 1, 6), date(2025, 1, 31))
    worker, appointment = add_worker(world.app, "11010519850202002", "李四", "C1", term)
    a.add_user("li", "李四", ["WORKER"], community="C1", worker_id=worker)
    return Rehire(world.app, clock, worker, appointment, term, successor)


def roster(n: int = 50, reps: int = 10) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    for i in range(n):
        if i < reps:
            people.append({"name": f"代表{i}", "category": "RESIDENT_REP" if i % 2 else "UNIT_REP",
                           "selection": "DESIGNATED" if i % 3 else "SELF_APPLIED"})
        else:
            category = "STREET_MIDDLE_CADRE" if i % 2 else "COMMUNITY_WORKER"
            people.append({"name": f"人员{i}", "category": category})
    return people


REC_OK = {"issued": 50, "returned": 48, "recommend": 40, "not_recommend": 6, "abstain": 1, "invalid": 1}
EVAL_OK = {"issued": 50, "returned": 48, "excellent": 20, "competent": 20, "basic": 5, "incompetent": 1,
           "blank": 1, "invalid": 1}


def vote_payload(rec: Any = None, ev: Any = None, people: Any = None) -> dict[str, Any]:
    return {"vote_meeting_date": TODAY, "vote_meeting_place": "街道会议室",
            "vote_roster": roster() if people is None else people,
            "recommendation_tally": REC_OK if rec is None else rec,
            "evaluation_tally": EVAL_OK if ev is None else ev}


def to_application_approved(rh: Rehire) -> int:
    cid = rh.open()
    rh.fire(cid, "apply", "li", {"applied_on": TODAY, "application_doc_ref": "申-1"})
    rh.fire(cid, "street_approve", "s1_office", {"reviewed_on": TODAY, "review_opinion": "同意"})
    rh.fire(cid, "bureau_approve_application", "bureau", {"application_approval_no": "批-1",
                                                          "application_decided_on": TODAY})
    return cid


def to_decided(rh: Rehire) -> int:
    cid = to_application_approved(rh)
    rh.fire(cid, "record_vote", "s1_office", vote_payload())
    rh.fire(cid, "party_decide_hire", "s1_party", {"party_meeting_date": TODAY, "party_members_present": 7,
                                                   "minutes_ref": "纪-1"})
    return cid


def post(rh: Rehire, cid: int, posted_on: str = TODAY, community: str = "C1") -> Any:
    return rh.fire(cid, "post_publicity", "s1_office", {
        "posted_on": posted_on, "publicity_community": community, "publicity_place": "社区公开栏",
        "publicity_doc_ref": "公-1"})


def to_publicity_ended(rh: Rehire) -> int:
    cid = to_decided(rh)
    post(rh, cid)
    rh.clock.set(datetime(2025, 1, 13, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.fires for f in fire_due(rh.app.engine)] == ["end_publicity"]
    return cid


def objection(rh: Rehire, cid: int, received: str, login: str = "objector") -> None:
    rh.fire(cid, "lodge_objection", login, {
        "objection_received_on": received, "objection_receiver": "王干事",
        "objection_content": "反映考勤问题", "objection_anonymous": False})


def finding(rh: Rehire, cid: int, which: str, on: str) -> None:
    rh.fire(cid, "record_finding", "s1_party", {"objection_id": "OBJ-1", "objection_finding": which,
                                                "finding_on": on})


def audit_count(rh: Rehire, cid: int) -> int:
    with rh.app.db.read() as s:
        return len(list(s.audit_entries(case_id=cid)))


# ---------------------------------------------------------------- happy path


def test_happy_path_rehires_into_the_successor_term(rh: Rehire) -> None:
    """RH-T1…RH-T12: a passing vote, clean publicity and approval create the successor appointment."""
    cid = to_publicity_ended(rh)
    day = "2025-01-13"
    rh.fire(cid, "report", "s1_office", {"reported_on": day})
    result = rh.fire(cid, "bureau_approve_rehire", "bureau", {"rehire_approval_no": "东民聘〔2025〕8号",
                                                               "rehire_decided_on": day})
    assert result.state == "REHIRED"
    with rh.app.db.read() as s:
        case = s.get_case(cid)
        assert case.closed
        assert case.data["vote_rates"]["RH-1"] == {"count": 40, "denominator": 48, "rate": "40/48",
                                                   "threshold": "1/2", "display": "83.3%", "passed": True}
        new = [a for a in s.appointments(worker_id=rh.worker_id) if a.id != rh.appointment_id]
        assert len(new) == 1
        succ = new[0]
        assert (succ.start_date, succ.end_date, succ.term_id, succ.predecessor_id) == (
            date(2027, 1, 1), date(2029, 12, 31), rh.successor_id, rh.appointment_id)
        assert (succ.method, succ.decision_no, succ.category, succ.position) == (
            "考核聘用", "东民聘〔2025〕8号", "PROFESSIONAL_SOCIAL_WORKER", "干事")
        assert s.appointment(rh.appointment_id).successor_id == succ.id
        assert s.appointment(rh.appointment_id).status == "ACTIVE"  # ends with its term (TM-4)
        notices = [(o.kind, o.recipient) for o in s.outbox(case_id=cid)]
        assert ("rehire.publicity_posted", "COMMUNITY") in notices
        assert ("rehire.publicity_posted", "worker") in notices
        assert notices[-1] == ("rehire.rehired", "worker")
        assert verify(s.audit_entries(), *s.audit_head()).ok


def test_approval_after_new_term_start_starts_on_approval_and_ends_holdover(rh: Rehire) -> None:
    """TERM-6 / A-12: approved after the new term began → starts on the approval date; a held-over
    predecessor ends the day before."""
    with rh.app.db.transaction() as s:
        held = s.insert_appointment({"worker_id": rh.worker_id, "community_id": s.community_by_code("C1").id,
                                     "category": "PROFESSIONAL_SOCIAL_WORKER", "position": None,
                                     "method": "考核聘用", "start_date": date(2024, 1, 1),
                                     "end_date": date(2026, 12, 31), "term_id": rh.term_id,
                                     "status": "HOLDOVER"})
        s.end_appointment(rh.appointment_id, date(2025, 1, 5), "RESIGNED")  # keep one appointment in service
    rh.appointment_id = held
    cid = to_publicity_ended(rh)
    rh.fire(cid, "report", "s1_office", {"reported_on": "2025-01-13"})
    rh.clock.set(datetime(2027, 1, 10, 10, 0, tzinfo=LOCAL_TZ))
    rh.fire(cid, "bureau_approve_rehire", "bureau", {"rehire_approval_no": "批-9",
                                                     "rehire_decided_on": "2027-01-10"})
    with rh.app.db.read() as s:
        old = s.appointment(held)
        new = s.appointment(old.successor_id)
        assert (new.start_date, new.end_date) == (date(2027, 1, 10), date(2029, 12, 31))
        assert (old.status, old.end_date, old.end_reason) == ("ENDED", date(2027, 1, 9), "EXPIRED")


# ---------------------------------------------------------------- opening and the window


def test_one_open_case_per_appointment(rh: Rehire) -> None:
    """TM-3: a second case for the same appointment is refused while the first is open."""
    rh.open()
    with pytest.raises(GuardRejected) as info:
        rh.open()
    assert info.value.code == "RH_CASE_EXISTS"


def test_open_needs_renewal_open_term(world: World) -> None:
    """RH-T1 / TM-3: a term that is not RENEWAL_OPEN cannot have re-hiring cases."""
    term = world.app.admin.add_term("DQ", 1, date(2024, 1, 1))
    worker, appointment = add_worker(world.app, "11010519850202002", "李四", "C1", term)
    with pytest.raises(GuardRejected) as info:
        world.app.engine.open_case(CASE, "bureau", {"appointment_id": appointment}, worker_id=worker)
    assert info.value.code == "RH_TERM_NOT_RENEWAL_OPEN"


def test_open_rejects_another_workers_appointment(rh: Rehire, world: World) -> None:
    """Opening: the appointment must be the worker's own appointment in service."""
    with pytest.raises(GuardRejected) as info:
        world.app.engine.open_case(CASE, "bureau", {"appointment_id": rh.appointment_id},
                                   worker_id=world.worker_id)
    assert info.value.code == "RH_APPOINTMENT_NOT_FOUND"


def test_no_application_by_window_end_is_not_applied(rh: Rehire) -> None:
    """RH-T2 / A-24: at 00:00 after the window's last day SYSTEM closes the case NOT_APPLIED."""
    cid = rh.open()
    with rh.app.db.read() as s:
        (deadline,) = s.deadlines(case_id=cid, status="PENDING")
    assert deadline.due_at == datetime(2025, 2, 1, 0, 0, tzinfo=LOCAL_TZ)
    rh.clock.set(datetime(2025, 1, 31, 23, 59, tzinfo=LOCAL_TZ))
    assert fire_due(rh.app.engine) == []
    rh.clock.set(datetime(2025, 2, 1, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(rh.app.engine)] == ["FIRED"]
    assert rh.case(cid).state == "NOT_APPLIED"


def test_apply_before_window_opens_is_refused(world: World, clock: FrozenClock) -> None:
    """RH-T1: the worker can apply only within the application window."""
    a = world.app.admin
    term = a.add_term("DQ", 1, date(2024, 1, 1))
    a.add_term("DQ", 2, date(2027, 1, 1), status="PLANNED")
    a.open_renewal(term, date(2025, 1, 10), date(2025, 1, 31))
    worker, appointment = add_worker(world.app, "11010519850202002", "李四", "C1", term)
    a.add_user("li", "李四", ["WORKER"], community="C1", worker_id=worker)
    cid = world.app.engine.open_case(CASE, "bureau", {"appointment_id": appointment},
                                     worker_id=worker).case_id
    with pytest.raises(GuardRejected) as info:
        world.app.engine.fire(cid, "apply", "li", {"applied_on": TODAY, "application_doc_ref": "申-1"})
    assert info.value.code == "RH_WINDOW_CLOSED"
    clock.set(datetime(2025, 1, 10, 9, 0, tzinfo=LOCAL_TZ))
    assert world.app.engine.fire(cid, "apply", "li", {"applied_on": "2025-01-10",
                                                      "application_doc_ref": "申-1"}).state == "APPLIED"


# ---------------------------------------------------------------- the vote


def test_failed_vote_records_every_failing_rule(rh: Rehire) -> None:
    """RH-T6: a vote failing RH-1, RH-2 and RH-3 ends NOT_REHIRED with all three codes and messages."""
    cid = to_application_approved(rh)
    rec = {"issued": 40, "returned": 40, "recommend": 20, "not_recommend": 18, "abstain": 2, "invalid": 0}
    ev = {"issued": 40, "returned": 40, "excellent": 10, "competent": 13, "basic": 8, "incompetent": 5,
          "blank": 4, "invalid": 0}
    result = rh.fire(cid, "record_vote", "s1_office", vote_payload(rec, ev, roster(40, 8)))
    assert [s.trigger for s in result.steps] == ["record_vote", "thresholds_failed"]
    case = rh.case(cid)
    assert case.state == "NOT_REHIRED"
    assert case.data["not_rehired_reasons"] == ["RH_RECOMMENDATION_NOT_OVER_HALF",
                                                "RH_EVALUATION_POSITIVE_BELOW_60",
                                                "RH_EVALUATION_NEGATIVE_OVER_30"]
    assert case.data["vote_rates"]["RH-2"]["rate"] == "23/40"
    with rh.app.db.read() as s:
        entry = next(e for e in s.audit_entries(case_id=cid) if e.action == "thresholds_failed")
        assert entry.role == "SYSTEM"
        failures = entry.body["computed"]["vote_failures"]
        assert [f["rule_id"] for f in failures] == ["RH-1", "RH-2", "RH-3"]
        assert "民主推荐得票率 20/40 = 50.0%，未过半" in failures[0]["message"]
        assert {"RH-1", "RH-2", "RH-3"} <= set(entry.body["rule_ids"])
        assert [(o.kind, o.recipient) for o in s.outbox(case_id=cid)] == [("rehire.not_rehired", "worker")]


@pytest.mark.parametrize(("rec", "ev", "people", "code"), [
    pytest.param({**REC_OK, "recommend": -1, "not_recommend": 47}, None, None, "VOTE_TALLY_INVALID",
                 id="VOTE-1-negative-count-rejected"),
    pytest.param({**REC_OK, "issued": 60, "returned": 48}, None, None, "VOTE_ISSUED_EXCEEDS_PRESENT",
                 id="VOTE-1-more-ballots-than-participants"),
    pytest.param(None, {**EVAL_OK, "excellent": 21}, None, "VOTE_TALLY_NOT_RECONCILED",
                 id="VOTE-1-evaluation-does-not-add-up"),
    pytest.param(None, {**EVAL_OK, "issued": 47}, None, "VOTE_RETURNED_EXCEEDS_ISSUED",
                 id="VOTE-1-returned-exceeds-issued"),
    pytest.param(None, None, [], "RH_ROSTER_EMPTY", id="RH-T5-empty-roster"),
])
def test_invalid_vote_is_rejected_and_nothing_written(rh: Rehire, rec: Any, ev: Any, people: Any,
                                                      code: str) -> None:
    """VOTE-1: an unreconciled tally is rejected with its code; case, audit and outbox are unchanged."""
    cid = to_application_approved(rh)
    before = (rh.case(cid).version, audit_count(rh, cid))
    with pytest.raises(GuardRejected) as info:
        rh.fire(cid, "record_vote", "s1_office", vote_payload(rec, ev, people))
    assert code in [f.code for f in info.value.failures]
    assert "seed 000 第六条2" in info.value.message_zh
    case = rh.case(cid)
    assert (case.state, case.version, audit_count(rh, cid)) == ("APPLICATION_APPROVED", *before)


def test_low_rep_share_warns_but_vote_stands(rh: Rehire) -> None:
    """RH-W1: 6 reps of 50 is a recorded warning; the vote is valid and the thresholds are met."""
    cid = to_application_approved(rh)
    result = rh.fire(cid, "record_vote", "s1_office", vote_payload(people=roster(50, 6)))
    assert result.state == "THRESHOLDS_MET"
    assert result.steps[0].warnings
    assert "6 人" in result.steps[0].warnings[0]
    with rh.app.db.read() as s:
        entry = next(e for e in s.audit_entries(case_id=cid) if e.action == "record_vote")
        assert [w["code"] for w in entry.body["warnings"]] == ["RH_REP_SHARE"]


# ---------------------------------------------------------------- publicity


def test_publicity_golden_example_deadline(rh: Rehire) -> None:
    """CAL-2: posted Mon 2025-03-03 → SYSTEM ends the publicity at 2025-03-10 00:00 Asia/Shanghai."""
    cid = to_decided(rh)
    rh.clock.set(datetime(2025, 3, 3, 9, 0, tzinfo=LOCAL_TZ))
    post(rh, cid, "2025-03-03")
    with rh.app.db.read() as s:
        (deadline,) = s.deadlines(case_id=cid, status="PENDING")
    assert deadline.fires == "end_publicity"
    assert deadline.due_at == datetime(2025, 3, 10, 0, 0, tzinfo=LOCAL_TZ)
    assert deadline.basis["last_day"] == "2025-03-09"
    rh.clock.set(datetime(2025, 3, 9, 23, 59, 59, tzinfo=LOCAL_TZ))
    assert fire_due(rh.app.engine) == []
    with pytest.raises(TriggerNotAvailable):
        rh.fire(cid, "report", "s1_office", {"reported_on": "2025-03-09"})
    rh.clock.advance(timedelta(seconds=1))
    assert [f.outcome for f in fire_due(rh.app.engine)] == ["FIRED"]
    assert rh.case(cid).state == "PUBLICITY_ENDED"
    assert rh.fire(cid, "report", "s1_office", {"reported_on": "2025-03-10"}).state == "REPORTED"


def test_publicity_outside_own_community_is_rejected(rh: Rehire) -> None:
    """RH-5: posting in another community is refused and the case stays DECIDED_TO_HIRE."""
    cid = to_decided(rh)
    with pytest.raises(GuardRejected) as info:
        post(rh, cid, community="C2")
    assert info.value.code == "RH_PUBLICITY_SCOPE"
    assert rh.case(cid).state == "DECIDED_TO_HIRE"


def test_unresolved_objection_blocks_report_until_found(rh: Rehire) -> None:
    """RH-4: a timely objection without finding blocks the report; it does not extend the period."""
    cid = to_decided(rh)
    post(rh, cid)
    objection(rh, cid, TODAY)
    with rh.app.db.read() as s:
        (deadline,) = s.deadlines(case_id=cid, status="PENDING")
    assert deadline.due_at == datetime(2025, 1, 13, 0, 0, tzinfo=LOCAL_TZ)  # not paused or extended
    rh.clock.set(datetime(2025, 1, 13, 9, 0, tzinfo=LOCAL_TZ))
    fire_due(rh.app.engine)
    with pytest.raises(GuardRejected) as info:
        rh.fire(cid, "report", "s1_office", {"reported_on": "2025-01-13"})
    assert info.value.code == "RH_OBJECTION_UNRESOLVED"
    assert "OBJ-1" in info.value.message_zh
    finding(rh, cid, "NOT_SUBSTANTIATED", "2025-01-13")
    assert rh.fire(cid, "report", "s1_office", {"reported_on": "2025-01-13"}).state == "REPORTED"
    assert rh.case(cid).data["objection_summary"]["findings"]["NOT_SUBSTANTIATED"] == 1


def test_affecting_finding_ends_not_rehired(rh: Rehire) -> None:
    """A-14 / RH-T11: an affecting finding blocks the report and lets the party committee conclude."""
    cid = to_decided(rh)
    post(rh, cid)
    objection(rh, cid, TODAY)
    finding(rh, cid, "SUBSTANTIATED_AFFECTING", TODAY)
    assert rh.case(cid).state == "IN_PUBLICITY"  # the period runs on
    rh.clock.set(datetime(2025, 1, 13, 9, 0, tzinfo=LOCAL_TZ))
    fire_due(rh.app.engine)
    with pytest.raises(GuardRejected) as info:
        rh.fire(cid, "report", "s1_office", {"reported_on": "2025-01-13"})
    assert info.value.code == "RH_OBJECTION_AFFECTING"
    result = rh.fire(cid, "conclude_objection_affects", "s1_party",
                     {"concluded_on": "2025-01-13", "conclusion_note": "经核查属实"})
    assert result.state == "NOT_REHIRED"
    assert rh.case(cid).data["not_rehired_reasons"] == ["PUBLICITY_OBJECTION"]


def test_conclusion_without_affecting_finding_is_refused(rh: Rehire) -> None:
    """RH-T11: the party committee cannot end the case on objections that do not affect hiring."""
    cid = to_publicity_ended(rh)
    with pytest.raises(GuardRejected) as info:
        rh.fire(cid, "conclude_objection_affects", "s1_party", {"concluded_on": "2025-01-13",
                                                                "conclusion_note": "x"})
    assert info.value.code == "RH_NO_AFFECTING_FINDING"


def test_late_objection_is_logged_and_does_not_block(rh: Rehire) -> None:
    """A-14: objections lodged after the period (also after reporting) are marked late and never block."""
    cid = to_publicity_ended(rh)
    objection(rh, cid, "2025-01-13")
    rh.fire(cid, "report", "s1_office", {"reported_on": "2025-01-13"})
    objection(rh, cid, "2025-01-13", login="s1_office")
    objections = rh.case(cid).data["objections"]
    assert [(o["id"], o["late"], o["finding"]) for o in objections] == [("OBJ-1", True, None),
                                                                         ("OBJ-2", True, None)]
    assert rh.case(cid).state == "REPORTED"


# ---------------------------------------------------------------- negative endings, withdrawal, roles


@pytest.mark.parametrize(("steps", "reason"), [
    pytest.param([("street_reject", "s1_office", {"reviewed_on": TODAY, "review_opinion": "不同意"})],
                 "STREET_REJECTED", id="RH-T3-street-rejects"),
    pytest.param([("street_approve", "s1_office", {"reviewed_on": TODAY, "review_opinion": "同意"}),
                  ("bureau_deny_application", "bureau", {"application_decided_on": TODAY,
                                                         "application_denial_reason": "不符合条件"})],
                 "BUREAU_APPLICATION_DENIED", id="RH-T4-bureau-denies"),
])
def test_application_refusals_end_not_rehired(rh: Rehire, steps: list[tuple[str, str, dict[str, Any]]],
                                              reason: str) -> None:
    """RH-T3/RH-T4: a refusal of the application ends the case NOT_REHIRED with its reason code."""
    cid = rh.open()
    rh.fire(cid, "apply", "li", {"applied_on": TODAY, "application_doc_ref": "申-1"})
    for trigger, login, payload in steps:
        rh.fire(cid, trigger, login, payload)
    assert (rh.case(cid).state, rh.case(cid).data["not_rehired_reasons"]) == ("NOT_REHIRED", [reason])


def test_party_decides_not_to_hire(rh: Rehire) -> None:
    """RH-T7: meeting the thresholds is necessary, not sufficient — the party committee may decide no."""
    cid = to_application_approved(rh)
    rh.fire(cid, "record_vote", "s1_office", vote_payload())
    rh.fire(cid, "party_decide_not_hire", "s1_party", {
        "party_meeting_date": TODAY, "party_members_present": 7, "minutes_ref": "纪-2",
        "party_decision_note": "综合考虑"})
    assert rh.case(cid).data["not_rehired_reasons"] == ["PARTY_DECISION"]


def test_bureau_rejects_final_approval(rh: Rehire) -> None:
    """RH-T12: the bureau may refuse the re-hire; no appointment is created."""
    cid = to_publicity_ended(rh)
    rh.fire(cid, "report", "s1_office", {"reported_on": "2025-01-13"})
    rh.fire(cid, "bureau_reject_rehire", "bureau", {"rehire_decided_on": "2025-01-13",
                                                    "rehire_rejection_reason": "x"})
    assert rh.case(cid).data["not_rehired_reasons"] == ["BUREAU_REJECTED"]
    with rh.app.db.read() as s:
        assert [a.id for a in s.appointments(worker_id=rh.worker_id)] == [rh.appointment_id]


def test_withdrawal_during_publicity_cancels_the_deadline(rh: Rehire) -> None:
    """RH-T13: the worker withdraws from a non-terminal state; the publicity deadline no longer fires."""
    cid = to_decided(rh)
    post(rh, cid)
    assert rh.fire(cid, "withdraw", "li", {"withdrawn_on": TODAY}).state == "WITHDRAWN"
    rh.clock.set(datetime(2025, 1, 20, 0, 0, tzinfo=LOCAL_TZ))
    assert fire_due(rh.app.engine) == []
    with pytest.raises(TriggerNotAvailable):
        rh.fire(cid, "withdraw", "li", {"withdrawn_on": TODAY})


def test_only_the_worker_withdraws(rh: Rehire) -> None:
    """RH-T13: another worker is out of scope; the street office lacks the role."""
    cid = rh.open()
    with pytest.raises(NotPermitted) as info:
        rh.fire(cid, "withdraw", "zhang", {"withdrawn_on": TODAY})
    assert info.value.code == "OUT_OF_SCOPE"
    with pytest.raises(NotPermitted) as info:
        rh.fire(cid, "withdraw", "s1_office", {"withdrawn_on": TODAY})
    assert info.value.code == "ROLE_NOT_PERMITTED"
    assert rh.case(cid).state == "OPEN"


@pytest.mark.parametrize(("login", "code"), [
    pytest.param("s2_office", "OUT_OF_SCOPE", id="RH-T3-other-street-office-out-of-scope"),
    pytest.param("s1_party", "ROLE_NOT_PERMITTED", id="RH-T3-A-21-reviewer-is-street-office"),
    pytest.param("bureau", "ROLE_NOT_PERMITTED", id="RH-T3-bureau-cannot-review"),
])
def test_street_review_role_and_scope(rh: Rehire, login: str, code: str) -> None:
    """RH-T3 / A-21: only the case's own street office reviews the application."""
    cid = rh.open()
    rh.fire(cid, "apply", "li", {"applied_on": TODAY, "application_doc_ref": "申-1"})
    with pytest.raises(NotPermitted) as info:
        rh.fire(cid, "street_approve", login, {"reviewed_on": TODAY, "review_opinion": "同意"})
    assert info.value.code == code
    assert rh.case(cid).state == "APPLIED"


def test_other_street_cannot_post_or_decide(rh: Rehire) -> None:
    """Scope: another street's office and party committee cannot act on this case."""
    cid = to_application_approved(rh)
    with pytest.raises(NotPermitted) as info:
        rh.fire(cid, "record_vote", "s2_office", vote_payload())
    assert info.value.code == "OUT_OF_SCOPE"
    rh.fire(cid, "record_vote", "s1_office", vote_payload())
    with pytest.raises(NotPermitted) as info:
        rh.fire(cid, "party_decide_hire", "s2_party", {"party_meeting_date": TODAY,
                                                       "party_members_present": 7, "minutes_ref": "纪-1"})
    assert info.value.code == "OUT_OF_SCOPE"
    assert rh.case(cid).state == "THRESHOLDS_MET"

