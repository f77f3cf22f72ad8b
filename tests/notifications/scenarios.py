"""Drivers that run the real procedures up to each event that writes notifications, so the templates are
rendered from real snapshots. `EVENTS` lists every (kind, trigger) a procedure declares, plus reminders.

User-supplied text can be swapped for hostile text (`Texts`) to test injection and masking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import pytest

from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from engine.guards import SYSTEM_ACTOR
from notifications.outbox import enqueue_reminder
from tests.conftest import World, make_id
from workflows.records import GRADES_TABLE, Records

TODAY = "2025-01-06"


@dataclass(frozen=True)
class Texts:
    """What people type: names, reasons, opinions, objections."""

    name: str = "李四"
    reason: str = "书面申请未写明离职日期"
    opinion: str = "工作表现一般"
    objection: str = "反映考勤问题"
    allegation: str = "2024年12月玩忽职守，延误低保审核，造成严重工作失误"


PLAIN = Texts()


def clock(world: World) -> FrozenClock:
    c = world.app.clock
    assert isinstance(c, FrozenClock)
    return c


def at(world: World, *args: int) -> None:
    clock(world).set(datetime(*args, tzinfo=LOCAL_TZ))  # type: ignore[misc]


# ---------------------------------------------------------------- 辞职


def resignation(world: World, texts: Texts, upto: str) -> int:
    e = world.app.engine
    cid = e.open_case("resignation", "zhang", {"submitted_on": TODAY, "written": True, "document_ref": "辞-1",
                                               "reason": texts.reason}, worker_id=world.worker_id).case_id
    if upto == "submit":
        return cid
    if upto == "return_application":
        e.fire(cid, "return_application", "s1_party", {"decided_on": TODAY, "return_reason": texts.reason})
        return cid
    if upto == "mark_overdue":
        at(world, 2025, 2, 7, 9, 0)
        fire_due(e)
        return cid
    e.fire(cid, "approve", "s1_party", {"decided_on": TODAY, "minutes_ref": "党工委会议纪要〔2025〕1号"})
    if upto == "approve":
        return cid
    e.fire(cid, "record_filing", "bureau", {"filed_on": "2025-01-07", "filing_no": "备-1"})
    at(world, 2025, 2, 7, 9, 0)
    fire_due(e)
    return cid


# ---------------------------------------------------------------- 考核聘用

REC_OK = {"issued": 50, "returned": 48, "recommend": 40, "not_recommend": 6, "abstain": 1, "invalid": 1}
EVAL_OK = {"issued": 50, "returned": 48, "excellent": 20, "competent": 20, "basic": 5, "incompetent": 1,
           "blank": 1, "invalid": 1}
REC_FAIL = {"issued": 40, "returned": 40, "recommend": 20, "not_recommend": 18, "abstain": 1, "invalid": 1}
EVAL_FAIL = {"issued": 40, "returned": 40, "excellent": 3, "competent": 20, "basic": 10, "incompetent": 5,
             "blank": 1, "invalid": 1}


def roster(n: int) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    for i in range(n):
        if i < n // 5:
            people.append({"name": f"代表{i}", "category": "RESIDENT_REP", "selection": "DESIGNATED"})
        else:
            people.append({"name": f"人员{i}", "category": "COMMUNITY_WORKER"})
    return people


def rehire_worker(world: World, texts: Texts) -> tuple[int, int]:
    a = world.app.admin
    term = a.add_term("DQ", 1, date(2024, 1, 1))
    a.add_term("DQ", 2, date(2027, 1, 1), status="PLANNED")
    a.open_renewal(term, date(2025, 1, 6), date(2025, 1, 31))
    worker = a.add_worker({"id_number": make_id("11010519850202002"), "name": texts.name, "community": "C1",
                           "category": "PROFESSIONAL_SOCIAL_WORKER", "position": "干事",
                           "appointment_start": "2024-01-01", "appointment_end": "2026-12-31",
                           "term_id": term, "decision_no": "东民聘〔2024〕1号", "phone": "13912345678"})
    a.add_user("li", texts.name, ["WORKER"], community="C1", worker_id=worker)
    with world.app.db.read() as s:
        return worker, s.appointments(worker_id=worker)[0].id


def rehiring(world: World, texts: Texts, upto: str) -> int:
    e = world.app.engine
    worker, appointment = rehire_worker(world, texts)
    cid = e.open_case("assessment_rehiring", "bureau", {"appointment_id": appointment},
                      worker_id=worker).case_id
    e.fire(cid, "apply", "li", {"applied_on": TODAY, "application_doc_ref": "申-1"})
    if upto == "close_moot":
        e.fire(cid, "close_moot", SYSTEM_ACTOR.login, {"moot_reason": texts.reason})
        return cid
    if upto == "street_reject":
        e.fire(cid, "street_reject", "s1_office", {"reviewed_on": TODAY, "review_opinion": texts.opinion})
        return cid
    e.fire(cid, "street_approve", "s1_office", {"reviewed_on": TODAY, "review_opinion": "同意"})
    if upto == "bureau_deny_application":
        e.fire(cid, "bureau_deny_application", "bureau", {"application_decided_on": TODAY,
                                                          "application_denial_reason": texts.opinion})
        return cid
    e.fire(cid, "bureau_approve_application", "bureau", {"application_approval_no": "批-1",
                                                         "application_decided_on": TODAY})
    failing = upto == "thresholds_failed"
    e.fire(cid, "record_vote", "s1_office", {
        "vote_meeting_date": TODAY, "vote_meeting_place": "街道会议室",
        "vote_roster": roster(40 if failing else 50),
        "recommendation_tally": REC_FAIL if failing else REC_OK,
        "evaluation_tally": EVAL_FAIL if failing else EVAL_OK})
    if failing:
        return cid
    party = {"party_meeting_date": TODAY, "party_members_present": 7, "minutes_ref": "纪-1"}
    if upto == "party_decide_not_hire":
        e.fire(cid, "party_decide_not_hire", "s1_party", {**party, "party_decision_note": texts.opinion})
        return cid
    e.fire(cid, "party_decide_hire", "s1_party", party)
    e.fire(cid, "post_publicity", "s1_office", {"posted_on": TODAY, "publicity_community": "C1",
                                                "publicity_place": "东华社区居务公开栏",
                                                "publicity_doc_ref": "公-1"})
    if upto in ("post_publicity", "reminder.publicity_ending"):
        return cid
    objected = upto == "conclude_objection_affects"
    if objected:
        at(world, 2025, 1, 8, 9, 0)
        e.fire(cid, "lodge_objection", "objector", {"objection_received_on": "2025-01-08",
                                                    "objection_receiver": "王干事",
                                                    "objection_content": texts.objection})
        at(world, 2025, 1, 10, 9, 0)
        e.fire(cid, "record_finding", "s1_party", {"objection_id": "OBJ-1",
                                                   "objection_finding": "SUBSTANTIATED_AFFECTING",
                                                   "finding_on": "2025-01-10", "finding_note": texts.opinion})
    at(world, 2025, 1, 13, 9, 0)
    fire_due(e)
    if objected:
        e.fire(cid, "conclude_objection_affects", "s1_party", {"concluded_on": "2025-01-13",
                                                               "conclusion_note": texts.opinion})
        return cid
    e.fire(cid, "report", "s1_office", {"reported_on": "2025-01-13"})
    if upto == "bureau_reject_rehire":
        e.fire(cid, "bureau_reject_rehire", "bureau", {"rehire_decided_on": "2025-01-13",
                                                       "rehire_rejection_reason": texts.opinion})
        return cid
    e.fire(cid, "bureau_approve_rehire", "bureau", {"rehire_approval_no": "东民聘〔2025〕8号",
                                                     "rehire_decided_on": "2025-01-13"})
    return cid


# ---------------------------------------------------------------- 解除聘用


def dismissal(world: World, texts: Texts, upto: str) -> int:
    e = world.app.engine
    if upto in ("close_data_corrected", "open-computed"):
        records = Records(e)
        first = records.record_grade("s1_office", world.worker_id, 2023, "不称职", "2023年度考核结果通知")
        records.record_grade("s1_office", world.worker_id, 2024, "不称职", "2024年度考核结果通知")
        with world.app.db.read() as s:
            [case] = s.list_cases(procedure="dismissal", worker_id=world.worker_id)
        if upto == "close_data_corrected":
            records.correct("bureau", GRADES_TABLE, first.record_id, changes={"grade": "称职"},
                            reason=texts.reason, authority="区民政局复核决定 2025-1")
        return case.id
    cid = e.open_case("dismissal", "s1_office", {"ground": "DIS-G3", "allegation": texts.allegation},
                      worker_id=world.worker_id).case_id
    if upto == "open":
        return cid
    e.fire(cid, "compile_evidence", "s1_office", {"evidence_refs": ["调查报告 S1-2025-01"]})
    if upto == "compile_evidence":
        return cid
    if upto == "close_unfounded":
        e.fire(cid, "close_unfounded", "s1_party", {"meeting_date": TODAY, "minutes_ref": "纪要 3",
                                                    "unfounded_reason": texts.reason})
        return cid
    e.fire(cid, "confirm_ground", "s1_party", {"meeting_date": TODAY, "minutes_ref": "纪要 3"})
    if upto == "confirm_ground":
        return cid
    e.fire(cid, "approve", "bureau", {"decision_no": "东民〔2025〕1号", "decision_date": TODAY,
                                      "effective_date": "2025-02-01"})
    if upto in ("approve", "reminder.overdue"):
        return cid
    e.fire(cid, "record_notice", "s1_office", {"notice_delivered_on": TODAY, "notice_ref": "N1"})
    at(world, 2025, 2, 1, 0, 0)
    fire_due(e)
    return cid


# ---------------------------------------------------------------- 考试聘用 (publicity configured: A-13)


def exam(world: World, texts: Texts, upto: str, monkeypatch: pytest.MonkeyPatch) -> int:
    import engine.service

    base = engine.service.get_pack("DONGQU")
    seven = replace(base, settings={**base.settings, "exam_hiring.publicity_days": 7})
    monkeypatch.setattr(engine.service, "get_pack", lambda code: seven)
    a, e = world.app.admin, world.app.engine
    term = a.add_term("DQ", 1, date(2024, 1, 1))
    a.add_user("cand1", texts.name, ["CANDIDATE"])
    set_contact_email(world, "cand1", "cand1@example.org")
    rid = e.open_case("exam_recruitment", "bureau", {
        "vacancy_lines": [{"community": "C1", "category": "PROFESSIONAL_SOCIAL_WORKER", "count": 1}],
        "term_id": term, "conditions": "第七条所列条件", "duties": "社区管理和服务", "pay": "按本届报酬标准",
        "registration_deadline": "2025-01-20", "shortlist_ratio": "3"}).case_id
    e.fire(rid, "publish", "bureau", {"published_on": TODAY, "channels": "区政府网站"})
    with world.app.db.read() as s:
        c1 = s.community_by_code("C1").id
    cid = e.open_case("exam_candidate", "cand1", {
        "line_no": 1, "id_number": make_id("11010519900315001"), "candidate_name": texts.name,
        "phone": "13800000000", "education": "本科", "graduated_from": "东区大学", "diploma_no": "D-001",
        "diploma_recognised": True, "hukou_city": "东区所在市", "hukou_urban": True, "declare_e1": True,
        "declare_e2": True, "declare_e3": True}, parent_case_id=rid, community_id=c1).case_id
    e.fire(cid, "qualify", "bureau", {"reviewed_on": TODAY, "attest_e1": True, "attest_e2": True,
                                      "attest_e3": True})
    at(world, 2025, 1, 21, 0, 0)
    fire_due(e)
    e.fire(rid, "start", "bureau")
    at(world, 2025, 3, 1, 9, 0)
    e.fire(cid, "record_written", "bureau", {"written_score": "80", "written_on": "2025-02-01"})
    e.fire(cid, "record_interview", "bureau", {"interview_score": "80", "interview_on": "2025-02-10",
                                               "interview_panel": "考官组"})
    e.fire(cid, "pass_inspection", "bureau", {"inspected_on": "2025-02-15", "inspectors": "考察组",
                                              "inspection_findings": "表现良好"})
    e.fire(cid, "pass_medical", "bureau", {"medical_institution": "区人民医院", "medical_on": "2025-02-20",
                                           "medical_conclusion": "合格"})
    at(world, 2025, 3, 3, 9, 0)
    e.fire(cid, "post_publicity", "bureau", {"exam_publicity_posted_on": "2025-03-03",
                                             "exam_publicity_place": "区政府网站及东华社区公开栏"})
    if upto == "post_publicity":
        return cid
    at(world, 2025, 3, 10, 9, 0)
    fire_due(e)
    e.fire(cid, "appoint", "bureau", {"appointment_decision_no": "东民聘〔2025〕3号",
                                      "decided_on": "2025-03-10",
                                      "appointed_from": "2025-03-11"})
    return cid


def set_contact_email(world: World, login: str, email: str) -> None:
    from notifications.recipients import set_contact

    set_contact(world.app.admin, login, email=email)


# ---------------------------------------------------------------- reminders (written like the deadline sweep)


def reminder(world: World, texts: Texts, kind: str) -> int:
    now = clock(world).now()
    if kind == "reminder.publicity_ending":
        cid = rehiring(world, texts, "reminder.publicity_ending")
        extra: dict[str, Any] = {"days_left": 1, "end_day": "2025-01-12",
                                 "due_at": "2025-01-11T01:00:00+00:00"}
        to = ["STREET_OFFICE", "STREET_PARTY_COMMITTEE"]
    elif kind == "reminder.term_ending":
        cid = rehiring(world, texts, "post_publicity")
        extra = {"days_left": 90, "end_day": "2026-12-31", "due_at": "2026-10-02T01:00:00+00:00"}
        to = ["DISTRICT_CIVIL_AFFAIRS"]
    elif kind == "reminder.overdue":
        cid = dismissal(world, texts, "reminder.overdue")
        extra = {"due_at": "2025-01-31T16:00:00+00:00"}
        to = ["STREET_OFFICE"]
    else:
        cid = resignation(world, texts, "submit")
        extra = {"working_days": 5, "since": "2025-01-06", "due_at": "2025-01-13T01:00:00+00:00"}
        to = ["STREET_PARTY_COMMITTEE"]
    with world.app.db.transaction() as store:
        enqueue_reminder(store, case_id=cid, kind=kind, recipients=to, key="dl1:r1", now=now, reminder=extra)
    return cid


# ---------------------------------------------------------------- the event table


@dataclass(frozen=True)
class Event:
    kind: str
    trigger: str  # the step that writes it (for reminders: the case's last step)
    run: Callable[..., int]
    variant: str = ""

    @property
    def id(self) -> str:
        return f"{self.kind}@{self.variant or self.trigger}"


def _r(upto: str) -> Callable[..., int]:
    return lambda world, texts, mp: resignation(world, texts, upto)


def _h(upto: str) -> Callable[..., int]:
    return lambda world, texts, mp: rehiring(world, texts, upto)


def _d(upto: str) -> Callable[..., int]:
    return lambda world, texts, mp: dismissal(world, texts, upto)


def _x(upto: str) -> Callable[..., int]:
    return lambda world, texts, mp: exam(world, texts, upto, mp)


def _m(kind: str) -> Callable[..., int]:
    return lambda world, texts, mp: reminder(world, texts, kind)


EVENTS: tuple[Event, ...] = (
    Event("resignation.submitted", "submit", _r("submit")),
    Event("resignation.approved", "approve", _r("approve")),
    Event("resignation.returned", "return_application", _r("return_application")),
    Event("resignation.overdue", "mark_overdue", _r("mark_overdue")),
    Event("resignation.effective", "separate", _r("separate")),
    Event("rehire.not_rehired", "street_reject", _h("street_reject")),
    Event("rehire.not_rehired", "bureau_deny_application", _h("bureau_deny_application")),
    Event("rehire.not_rehired", "thresholds_failed", _h("thresholds_failed")),
    Event("rehire.not_rehired", "party_decide_not_hire", _h("party_decide_not_hire")),
    Event("rehire.not_rehired", "conclude_objection_affects", _h("conclude_objection_affects")),
    Event("rehire.not_rehired", "bureau_reject_rehire", _h("bureau_reject_rehire")),
    Event("rehire.not_rehired", "close_moot", _h("close_moot")),
    Event("rehire.publicity_posted", "post_publicity", _h("post_publicity")),
    Event("rehire.rehired", "bureau_approve_rehire", _h("bureau_approve_rehire")),
    Event("dismissal.opened", "open", _d("open")),
    Event("dismissal.opened", "open", _d("open-computed"), "open-computed"),
    Event("dismissal.evidence_ready", "compile_evidence", _d("compile_evidence")),
    Event("dismissal.party_decided", "confirm_ground", _d("confirm_ground")),
    Event("dismissal.unfounded", "close_unfounded", _d("close_unfounded")),
    Event("dismissal.approved", "approve", _d("approve")),
    Event("dismissal.effective", "take_effect", _d("take_effect")),
    Event("dismissal.data_corrected", "close_data_corrected", _d("close_data_corrected")),
    Event("exam.publicity_posted", "post_publicity", _x("post_publicity")),
    Event("exam.appointed", "appoint", _x("appoint")),
    Event("reminder.publicity_ending", "post_publicity", _m("reminder.publicity_ending")),
    Event("reminder.term_ending", "post_publicity", _m("reminder.term_ending")),
    Event("reminder.decision_pending", "submit", _m("reminder.decision_pending")),
    Event("reminder.overdue", "approve", _m("reminder.overdue")),
)


def rows_of(world: World, case_id: int, event: Event) -> list[dict[str, Any]]:
    """The outbox rows the event wrote for the case."""
    with world.app.db.read() as s:
        rows = s.outbox_rows(case_id=case_id, kinds=[event.kind], limit=1000)
    return [r for r in rows if (r["payload"] or {}).get("trigger") == event.trigger]
