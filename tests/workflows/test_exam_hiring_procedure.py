"""考试聘用 end to end through the engine: the recruitment (EX-1…EX-4) and its candidates (C-1…C-9)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import pytest

from engine.app import App
from engine.audit import verify
from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from engine.errors import GuardRejected, NotConfigured, NotPermitted, TriggerNotAvailable
from tests.conftest import World, make_id

DEADLINE = "2025-01-20"  # registration deadline = reference date of eligibility
CITY = "东区所在市"  # DONGQU pack exam_hiring.hukou_city
PSW = "PROFESSIONAL_SOCIAL_WORKER"


@dataclass
class Exam:
    app: App
    term_id: int
    c1: int
    c2: int

    @property
    def clock(self) -> FrozenClock:
        assert isinstance(self.app.clock, FrozenClock)
        return self.app.clock


@pytest.fixture(name="exam")
def _exam(world: World) -> Exam:
    a = world.app.admin
    term_id = a.add_term("DQ", 1, date(2024, 1, 1))  # 2024-01-01 … 2026-12-31, ACTIVE
    for n, name in enumerate(("李四", "王五", "赵六", "钱七", "孙八"), start=1):
        a.add_user(f"cand{n}", name, ["CANDIDATE"])
    with world.app.db.read() as s:
        c1, c2 = s.community_by_code("C1").id, s.community_by_code("C2").id
    return Exam(world.app, term_id, c1, c2)


# ---------------------------------------------------------------- helpers


def plan_payload(exam: Exam, lines: list[dict[str, Any]] | None = None, **over: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "vacancy_lines": lines if lines is not None else [{"community": "C1", "category": PSW, "count": 1}],
        "term_id": exam.term_id,
        "conditions": "第七条所列条件",
        "duties": "社区管理和服务",
        "pay": "按本届报酬标准",
        "registration_deadline": DEADLINE,
        "shortlist_ratio": "3",
    }
    payload.update(over)
    return payload


def plan(exam: Exam, lines: list[dict[str, Any]] | None = None, **over: Any) -> int:
    return exam.app.engine.open_case("exam_recruitment", "bureau", plan_payload(exam, lines, **over)).case_id


def published(exam: Exam, lines: list[dict[str, Any]] | None = None, **over: Any) -> int:
    rid = plan(exam, lines, **over)
    exam.app.engine.fire(rid, "publish", "bureau", {"published_on": "2025-01-06", "channels": "区政府网站"})
    return rid


def person(birth: str, seq: str = "001") -> str:
    """A valid ID number born on `birth` (YYYYMMDD); the last digit of `seq` odd = male, even = female."""
    return make_id("110105" + birth + seq)


def registration(id_number: str, line_no: int = 1, **over: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "line_no": line_no,
        "id_number": id_number,
        "candidate_name": "李四",
        "phone": "13800000000",
        "education": "本科",
        "graduated_from": "东区大学",
        "diploma_no": "D-001",
        "diploma_recognised": True,
        "hukou_city": CITY,
        "hukou_urban": True,
        "declare_e1": True,
        "declare_e2": True,
        "declare_e3": True,
    }
    payload.update(over)
    return payload


def register(
    exam: Exam, rid: int, login: str, id_number: str, community: int | None = None, **over: Any
) -> int:
    return exam.app.engine.open_case(
        "exam_candidate",
        login,
        registration(id_number, **over),
        parent_case_id=rid,
        community_id=community or exam.c1,
    ).case_id


REVIEW = {"reviewed_on": "2025-01-06", "attest_e1": True, "attest_e2": True, "attest_e3": True}


def qualify(exam: Exam, cid: int, **over: Any) -> str:
    return exam.app.engine.fire(cid, "qualify", "bureau", {**REVIEW, **over}).state


def close_and_start(exam: Exam, rid: int) -> None:
    """The deadline passes (EX-3 by SYSTEM), the bureau starts the exams (EX-4); the clock moves to March."""
    exam.clock.set(datetime(2025, 1, 21, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(exam.app.engine)] == ["FIRED"]
    exam.app.engine.fire(rid, "start", "bureau")
    exam.clock.set(datetime(2025, 3, 1, 9, 0, tzinfo=LOCAL_TZ))


def written(exam: Exam, cid: int, score: str) -> None:
    exam.app.engine.fire(
        cid, "record_written", "bureau", {"written_score": score, "written_on": "2025-02-01"}
    )


def interview(exam: Exam, cid: int, score: str) -> None:
    exam.app.engine.fire(
        cid,
        "record_interview",
        "bureau",
        {"interview_score": score, "interview_on": "2025-02-10", "interview_panel": "考官组"},
    )


INSPECTION = {"inspected_on": "2025-02-15", "inspectors": "考察组", "inspection_findings": "表现良好"}
MEDICAL = {"medical_institution": "区人民医院", "medical_on": "2025-02-20", "medical_conclusion": "合格"}
APPOINT = {
    "appointment_decision_no": "东民聘〔2025〕1号",
    "decided_on": "2025-02-25",
    "appointed_from": "2025-03-01",
}


def state(exam: Exam, case_id: int) -> str:
    with exam.app.db.read() as s:
        return s.get_case(case_id).state


def rejected(call: Any) -> GuardRejected:
    with pytest.raises(GuardRejected) as info:
        call()
    return info.value


# ---------------------------------------------------------------- happy path


def test_full_path_to_appointed_creates_the_appointment_and_completes(exam: Exam) -> None:
    """A candidate who passes every step is APPOINTED: a personnel record (named by the case from then on) and
    an appointment ending with the term are created (TERM-5), and the recruitment completes once its only line
    is filled."""
    e = exam.app.engine
    rid = published(exam)
    first = register(exam, rid, "cand1", person("19900315", "001"))
    second = register(exam, rid, "cand2", person("19920101", "002"), candidate_name="王五")
    assert (qualify(exam, first), qualify(exam, second)) == ("QUALIFIED", "QUALIFIED")
    close_and_start(exam, rid)
    written(exam, first, "85.5")
    written(exam, second, "80")
    interview(exam, first, "90")
    interview(exam, second, "88")
    e.fire(first, "pass_inspection", "bureau", INSPECTION)
    e.fire(second, "eliminate", "bureau", {"elimination_reason": "NOT_SELECTED"})
    e.fire(first, "pass_medical", "bureau", MEDICAL)
    assert e.fire(first, "appoint", "bureau", APPOINT).state == "APPOINTED"
    assert e.fire(rid, "complete", "bureau").state == "COMPLETED"
    with exam.app.db.read() as s:
        case = s.get_case(first)
        assert (case.data["composite_score"], case.data["gender"], case.data["birth_date"]) == (
            "351/4",
            "M",
            "1990-03-15",
        )
        worker = s.worker_by_id_number(person("19900315", "001"))
        assert worker is not None
        assert (worker.name, worker.gender, worker.community_id) == ("李四", "M", exam.c1)
        assert (case.worker_id, s.get_case(second).worker_id) == (worker.id, None)
        (app,) = [a for a in s.appointments(worker_id=worker.id)]
        assert (app.community_id, app.category, app.method, app.decision_no) == (
            exam.c1,
            PSW,
            "考试聘用",
            "东民聘〔2025〕1号",
        )
        assert (app.start_date, app.end_date, app.term_id, app.status) == (
            date(2025, 3, 1),
            date(2026, 12, 31),
            exam.term_id,
            "ACTIVE",
        )
        assert s.get_case(rid).data["fill_results"] == {
            "1": {"count": 1, "filled": 1, "closed_unfilled": False}
        }
        assert verify(s.audit_entries(), *s.audit_head()).ok


def test_registration_closes_at_the_end_of_the_deadline_day(exam: Exam) -> None:
    """EX-3: the SYSTEM deadline is 00:00 after the deadline day; at that instant the recruitment closes."""
    rid = published(exam)
    with exam.app.db.read() as s:
        (deadline,) = s.deadlines(case_id=rid, status="PENDING")
    assert deadline.due_at == datetime(2025, 1, 21, 0, 0, tzinfo=LOCAL_TZ)
    exam.clock.set(datetime(2025, 1, 20, 23, 59, tzinfo=LOCAL_TZ))
    assert fire_due(exam.app.engine) == []
    exam.clock.set(datetime(2025, 1, 21, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(exam.app.engine)] == ["FIRED"]
    assert state(exam, rid) == "REGISTRATION_CLOSED"


def test_registration_on_the_deadline_day_is_accepted(exam: Exam) -> None:
    """C-1: the deadline day itself is within the registration window."""
    rid = published(exam)
    exam.clock.set(datetime(2025, 1, 20, 22, 0, tzinfo=LOCAL_TZ))
    assert state(exam, register(exam, rid, "cand1", person("19900315"))) == "APPLIED"


@pytest.mark.parametrize(
    "sweep",
    [
        pytest.param(False, id="C-1-after-deadline-before-sweep-refused"),
        pytest.param(True, id="C-1-after-registration-closed-refused"),
    ],
)
def test_registration_after_the_deadline_is_refused(exam: Exam, sweep: bool) -> None:
    """C-1: after the deadline day registration is refused, whether or not the SYSTEM sweep has run."""
    rid = published(exam)
    exam.clock.set(datetime(2025, 1, 21, 8, 0, tzinfo=LOCAL_TZ))
    if sweep:
        fire_due(exam.app.engine)
    error = rejected(lambda: register(exam, rid, "cand1", person("19900315")))
    assert error.code == "EXH_REGISTRATION_CLOSED"
    with exam.app.db.read() as s:
        assert s.child_cases(rid) == []


def test_registration_before_publication_is_refused(exam: Exam) -> None:
    """C-1: a recruitment still in DRAFT takes no registrations."""
    rid = plan(exam)
    assert (
        rejected(lambda: register(exam, rid, "cand1", person("19900315"))).code == "EXH_REGISTRATION_CLOSED"
    )


def test_wrong_id_check_digit_is_rejected_and_nothing_written(exam: Exam) -> None:
    """A wrong GB 11643 check digit is refused with ID_NUMBER_INVALID; no case, no audit entry written."""
    rid = published(exam)
    good = person("19900315")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with exam.app.db.read() as s:
        head = s.audit_head()
    error = rejected(lambda: register(exam, rid, "cand1", bad))
    assert error.code == "ID_NUMBER_INVALID"
    assert "校验码" in error.message_zh
    with exam.app.db.read() as s:
        assert s.child_cases(rid) == []
        assert s.audit_head() == head


def test_birth_date_and_gender_come_from_the_id_number(exam: Exam) -> None:
    """C-1 records the birth date and gender read from the ID number, not from the form."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19750120", "002"))
    with exam.app.db.read() as s:
        data = s.get_case(cid).data
    assert (data["birth_date"], data["gender"]) == ("1975-01-20", "F")


def test_same_person_cannot_register_twice_but_may_after_withdrawing(exam: Exam) -> None:
    """One registration per ID number and recruitment; a withdrawn registration does not count."""
    rid = published(exam)
    number = person("19900315")
    first = register(exam, rid, "cand1", number)
    assert rejected(lambda: register(exam, rid, "cand2", number)).code == "EXH_DUPLICATE_REGISTRATION"
    exam.app.engine.fire(first, "withdraw", "cand1", {"withdrawn_on": "2025-01-06"})
    assert state(exam, register(exam, rid, "cand1", number)) == "APPLIED"


def test_registration_must_name_the_line_community(exam: Exam) -> None:
    """C-1: the case's community must be the chosen line's community."""
    rid = published(exam)
    error = rejected(lambda: register(exam, rid, "cand1", person("19900315"), community=exam.c2))
    assert error.code == "EXH_LINE_COMMUNITY_MISMATCH"


# ---------------------------------------------------------------- EXH_STEP_ORDER


def test_interview_before_written_exam_is_impossible(exam: Exam) -> None:
    """EXH_STEP_ORDER: 面试 cannot be recorded before the 笔试 score (refused citing 第八条)."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19900315"))
    qualify(exam, cid)
    close_and_start(exam, rid)
    with pytest.raises(TriggerNotAvailable) as info:
        interview(exam, cid, "90")
    assert (info.value.code, info.value.rule_id) == ("EXH_STEP_ORDER", "EXH-ORDER")
    assert "seed 000 第八条" in info.value.message_zh
    for trigger in ("pass_inspection", "pass_medical", "appoint"):
        with pytest.raises(TriggerNotAvailable):
            exam.app.engine.fire(cid, trigger, "bureau", {})
    assert state(exam, cid) == "QUALIFIED"


def test_written_exam_waits_for_the_recruitment_to_start(exam: Exam) -> None:
    """C-3 is taken only while the recruitment is IN_PROGRESS (after registration closed and start)."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19900315"))
    qualify(exam, cid)
    error = rejected(lambda: written(exam, cid, "80"))
    assert error.code == "EXH_RECRUITMENT_NOT_RUNNING"


# ---------------------------------------------------------------- EXH-E4 / E5 / E6 at qualification review


@pytest.mark.parametrize(
    ("birth", "seq", "ok"),
    [
        pytest.param("19700120", "001", True, id="EXH-E4-male-55th-birthday-on-reference-eligible"),
        pytest.param("19690120", "001", False, id="EXH-E4-male-56th-birthday-on-reference-refused"),
        pytest.param("19690121", "001", True, id="EXH-E4-male-56th-birthday-day-after-reference-eligible"),
        pytest.param("19750120", "002", True, id="EXH-E4-female-50th-birthday-on-reference-eligible"),
        pytest.param("19740120", "002", False, id="EXH-E4-female-51st-birthday-on-reference-refused"),
    ],
)
def test_age_limit_on_the_registration_deadline(exam: Exam, birth: str, seq: str, ok: bool) -> None:
    """EXH-E4: age in 周岁 on the registration deadline ≤ 55 (male) / 50 (female)."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person(birth, seq))
    if ok:
        assert qualify(exam, cid) == "QUALIFIED"
    else:
        error = rejected(lambda: qualify(exam, cid))
        assert (error.code, error.rule_id) == ("EXH_AGE_LIMIT", "EXH-E4")
        assert "seed 000 第七条4" in error.message_zh
        assert state(exam, cid) == "APPLIED"


def test_age_override_by_the_bureau_is_recorded_in_the_audit_entry(exam: Exam) -> None:
    """SOFT-1: 区民政局 passes EXH-E4 with a reason; the override is in the audit body and the results."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19690120"))
    reason = "东民〔2025〕3号：紧缺专业人才"
    assert qualify(exam, cid, overrides={"EXH_AGE_LIMIT": reason}) == "QUALIFIED"
    with exam.app.db.read() as s:
        entry = [a for a in s.audit_entries(case_id=cid) if a.action == "qualify"][-1]
        data = s.get_case(cid).data
    assert [(o["code"], o["rule_id"], o["reason"], o["by_role"]) for o in entry.body["overrides"]] == [
        ("EXH_AGE_LIMIT", "EXH-E4", reason, "DISTRICT_CIVIL_AFFAIRS")
    ]
    assert data["qualification"]["EXH-E4"] == {
        "result": "OVERRIDDEN",
        "age": 56,
        "limit": 55,
        "reference_date": DEADLINE,
        "reason": reason,
    }
    assert data["qualification"]["EXH-E5"] == {"result": "PASS"}


def test_age_override_without_a_reason_is_refused(exam: Exam) -> None:
    """SOFT-1: an override with a blank reason does not pass the rule."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19690120"))
    assert rejected(lambda: qualify(exam, cid, overrides={"EXH_AGE_LIMIT": "  "})).code == "EXH_AGE_LIMIT"


@pytest.mark.parametrize(
    ("level", "recognised", "ok"),
    [
        pytest.param("大专", True, True, id="EXH-E5-dazhuan-passes"),
        pytest.param("博士", True, True, id="EXH-E5-doctorate-passes"),
        pytest.param("中专", True, False, id="EXH-E5-zhongzhuan-fails"),
        pytest.param("本科", False, False, id="EXH-E5-not-state-recognised-fails"),
    ],
)
def test_education_is_hard_and_cannot_be_overridden(
    exam: Exam, level: str, recognised: bool, ok: bool
) -> None:
    """EXH-E5: 大专 or higher and state-recognised; a failure is not overridable even by the bureau."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19900315"), education=level, diploma_recognised=recognised)
    if ok:
        assert qualify(exam, cid) == "QUALIFIED"
        return
    error = rejected(lambda: qualify(exam, cid, overrides={"EXH_EDUCATION": "东民〔2025〕4号"}))
    assert (error.code, error.rule_id) == ("EXH_EDUCATION", "EXH-E5")
    assert state(exam, cid) == "APPLIED"


def test_rural_hukou_needs_an_override(exam: Exam) -> None:
    """EXH-E6: a rural 户口 of this city fails; the bureau may pass it with a recorded reason."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19900315"), hukou_urban=False)
    assert rejected(lambda: qualify(exam, cid)).code == "EXH_HUKOU"
    assert qualify(exam, cid, overrides={"EXH_HUKOU": "东民〔2025〕5号"}) == "QUALIFIED"


def test_unattested_condition_blocks_qualification_and_disqualify_records_results(exam: Exam) -> None:
    """EXH-E1…E3 are attested by the reviewer; without them the candidate is disqualified, results kept."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19690120"))
    error = rejected(lambda: qualify(exam, cid, attest_e2=False))
    assert {f["code"] for f in error.details["failures"]} == {"EXH_NOT_ATTESTED", "EXH_AGE_LIMIT"}
    e = exam.app.engine
    assert (
        e.fire(cid, "disqualify", "bureau", {**REVIEW, "attest_e2": False, "disqualify_reason": "超龄"}).state
        == "DISQUALIFIED"
    )
    with exam.app.db.read() as s:
        results = s.get_case(cid).data["qualification"]
    assert {k: v["result"] for k, v in results.items()} == {
        "EXH-E1": "PASS",
        "EXH-E2": "FAIL",
        "EXH-E3": "PASS",
        "EXH-E4": "FAIL",
        "EXH-E5": "PASS",
        "EXH-E6": "PASS",
    }


# ---------------------------------------------------------------- EXH-1 (staffing limit)


@pytest.mark.parametrize(
    ("count", "ok"),
    [
        pytest.param(9, True, id="EXH-1-exactly-at-limit-passes"),
        pytest.param(10, False, id="EXH-1-one-over-fails"),
    ],
)
def test_plan_within_the_staffing_limit(exam: Exam, count: int, ok: bool) -> None:
    """EXH-1: C1 has limit 10 and one active worker, so 9 places fit and 10 do not (nothing written)."""
    lines = [{"community": "C1", "category": PSW, "count": count}]
    if ok:
        assert state(exam, plan(exam, lines)) == "DRAFT"
        return
    error = rejected(lambda: plan(exam, lines))
    assert (error.code, error.rule_id) == ("EXH_NO_VACANCY", "EXH-1")
    assert "空缺 9 人" in error.message_zh
    with exam.app.db.read() as s:
        assert s.list_cases(procedure="exam_recruitment") == []


@pytest.mark.parametrize(
    ("second", "ok"),
    [
        pytest.param(5, True, id="EXH-1-pending-counted-exactly-at-limit-passes"),
        pytest.param(6, False, id="EXH-1-pending-counted-one-over-fails"),
    ],
)
def test_places_reserved_by_another_open_recruitment_count(exam: Exam, second: int, ok: bool) -> None:
    """EXH-1: the unfilled places of another open recruitment's line are pending appointments."""
    plan(exam, [{"community": "C1", "category": PSW, "count": 4}])
    lines = [{"community": "C1", "category": "RESIDENTS_COMMITTEE_MEMBER", "count": second}]
    if ok:
        assert state(exam, plan(exam, lines)) == "DRAFT"
    else:
        assert rejected(lambda: plan(exam, lines)).code == "EXH_NO_VACANCY"


def test_cancelled_recruitment_releases_its_places(exam: Exam) -> None:
    """EXH-1: a cancelled recruitment reserves nothing."""
    first = plan(exam, [{"community": "C1", "category": PSW, "count": 9}])
    lines = [{"community": "C1", "category": PSW, "count": 1}]
    assert rejected(lambda: plan(exam, lines)).code == "EXH_NO_VACANCY"
    exam.app.engine.fire(first, "cancel", "bureau", {"cancel_reason": "计划调整"})
    assert state(exam, plan(exam, lines)) == "DRAFT"


def test_holdover_appointments_count(exam: Exam, world: World) -> None:
    """EXH-1: a HOLDOVER appointment occupies a place like an ACTIVE one."""
    a = exam.app.admin
    other = a.add_worker(
        {
            "id_number": person("19850101", "011"),
            "name": "周九",
            "community": "C1",
            "category": PSW,
            "appointment_start": "2021-01-01",
            "appointment_end": "2023-12-31",
        }
    )
    with exam.app.db.transaction() as s:  # through the Store: the test runs on SQLite and PostgreSQL
        for appointment in s.appointments(worker_id=other):
            s.set_appointment_status(appointment.id, "HOLDOVER")
    lines = [{"community": "C1", "category": PSW, "count": 9}]
    error = rejected(lambda: plan(exam, lines))
    assert "留任 1" in error.message_zh
    assert state(exam, plan(exam, [{"community": "C1", "category": PSW, "count": 8}])) == "DRAFT"


def test_two_lines_for_one_community_are_added_up(exam: Exam) -> None:
    """EXH-1: lines of one plan for the same community share its vacancies."""
    lines = [
        {"community": "C2", "category": PSW, "count": 5},
        {"community": "C2", "category": "RESIDENTS_COMMITTEE_MEMBER", "count": 4},
    ]
    assert rejected(lambda: plan(exam, lines)).code == "EXH_NO_VACANCY"


def test_term_must_be_running(exam: Exam) -> None:
    """EX-1: a term that is not ACTIVE or RENEWAL_OPEN cannot host a recruitment."""
    planned = exam.app.admin.add_term("DQ", 2, date(2027, 1, 1), status="PLANNED")
    assert rejected(lambda: plan(exam, term_id=planned)).code == "EXH_TERM_NOT_OPEN"


def test_shortlist_ratio_must_be_set_per_recruitment(exam: Exam) -> None:
    """A-37/A-41: DONGQU leaves the shortlist ratio UNSPECIFIED, so a plan without one is not configured."""
    payload = plan_payload(exam)
    del payload["shortlist_ratio"]
    with pytest.raises(NotConfigured) as info:
        exam.app.engine.open_case("exam_recruitment", "bureau", payload)
    assert info.value.details["key"] == "exam_hiring.shortlist_ratio"


def test_appointment_rechecks_the_staffing_limit(exam: Exam) -> None:
    """C-8: EXH-1 is re-checked when appointing; a limit lowered meanwhile refuses the appointment."""
    e = exam.app.engine
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19900315"))
    qualify(exam, cid)
    close_and_start(exam, rid)
    written(exam, cid, "80")
    interview(exam, cid, "80")
    e.fire(cid, "pass_inspection", "bureau", INSPECTION)
    e.fire(cid, "pass_medical", "bureau", MEDICAL)
    exam.app.admin.set_staffing_limit("C1", 1)
    error = rejected(lambda: e.fire(cid, "appoint", "bureau", APPOINT))
    assert (error.code, error.rule_id) == ("EXH_NO_VACANCY", "EXH-1")
    exam.app.admin.set_staffing_limit("C1", 2)
    assert e.fire(cid, "appoint", "bureau", APPOINT).state == "APPOINTED"


# ---------------------------------------------------------------- EXH-2 (ranking, ties, shortlist)


def _interviewed(
    exam: Exam, scores: list[tuple[str, str]], count: int = 1, **over: Any
) -> tuple[int, list[int]]:
    """A recruitment of one line with `count` places and candidates with (written, interview) scores."""
    rid = published(exam, [{"community": "C1", "category": PSW, "count": count}], **over)
    ids = []
    for n, _ in enumerate(scores, start=1):
        cid = register(exam, rid, f"cand{n}", person(f"199001{n:02d}", f"{n:03d}"))
        qualify(exam, cid)
        ids.append(cid)
    close_and_start(exam, rid)
    for cid, (w, _) in zip(ids, scores, strict=True):
        written(exam, cid, w)
    for cid, (_, i) in zip(ids, scores, strict=True):
        interview(exam, cid, i)
    return rid, ids


def test_selection_follows_composite_rank(exam: Exam) -> None:
    """EXH-2: with one place, only the best composite score goes on to 考察; the others are eliminated."""
    e = exam.app.engine
    _, (a, b, c) = _interviewed(exam, [("80", "70"), ("70", "90"), ("60", "60")])  # 75, 80, 60
    error = rejected(lambda: e.fire(a, "pass_inspection", "bureau", INSPECTION))
    assert (error.code, error.rule_id) == ("EXH_NOT_SELECTED", "EXH-2")
    assert "排名第 2" in error.message_zh
    assert rejected(
        lambda: e.fire(b, "eliminate", "bureau", {"elimination_reason": "NOT_SELECTED"})
    ).code == ("EXH_SELECTED")
    assert e.fire(b, "pass_inspection", "bureau", INSPECTION).state == "INSPECTION_PASSED"
    assert e.fire(c, "eliminate", "bureau", {"elimination_reason": "NOT_SELECTED"}).state == "ELIMINATED"


def test_tie_at_the_last_place_needs_a_recorded_reason(exam: Exam) -> None:
    """EXH-2: two candidates tied for the last place: refused until a tie-break reason is given, then the
    other one is no longer selectable and may be eliminated."""
    e = exam.app.engine
    _, (a, b) = _interviewed(exam, [("80", "70"), ("70", "80")])  # both 75
    error = rejected(lambda: e.fire(a, "pass_inspection", "bureau", INSPECTION))
    assert (error.code, error.rule_id) == ("EXH_RANK_TIE", "EXH-2")
    assert rejected(
        lambda: e.fire(b, "eliminate", "bureau", {"elimination_reason": "NOT_SELECTED"})
    ).code == ("EXH_RANK_TIE")
    reason = "笔试成绩较高者优先（招聘公告第五条）"
    assert e.fire(a, "pass_inspection", "bureau", {**INSPECTION, "tie_break_reason": reason}).state == (
        "INSPECTION_PASSED"
    )
    assert (
        rejected(
            lambda: e.fire(b, "pass_inspection", "bureau", {**INSPECTION, "tie_break_reason": "同分"})
        ).code
        == "EXH_NOT_SELECTED"
    )
    assert e.fire(b, "eliminate", "bureau", {"elimination_reason": "NOT_SELECTED"}).state == "ELIMINATED"
    with exam.app.db.read() as s:
        assert s.get_case(a).data["tie_break"] == {
            "reason": reason,
            "by": "bureau",
            "tied": 2,
            "places_left": 1,
        }


def test_shortlist_by_written_score(exam: Exam) -> None:
    """EXH-2 / A-37: with ratio 1 and one place only the best written score is interviewed."""
    e = exam.app.engine
    rid = published(exam, shortlist_ratio="1")
    a = register(exam, rid, "cand1", person("19900101", "001"))
    b = register(exam, rid, "cand2", person("19900102", "003"))
    qualify(exam, a)
    qualify(exam, b)
    close_and_start(exam, rid)
    written(exam, a, "70")
    assert rejected(lambda: interview(exam, a, "90")).code == "EXH_SCORES_INCOMPLETE"
    written(exam, b, "75")
    assert rejected(lambda: interview(exam, a, "90")).code == "EXH_NOT_SHORTLISTED"
    assert e.fire(a, "eliminate", "bureau", {"elimination_reason": "NOT_SHORTLISTED"}).state == "ELIMINATED"
    interview(exam, b, "60")
    assert state(exam, b) == "INTERVIEW_DONE"


@pytest.mark.parametrize(
    ("backfill", "selectable"),
    [
        pytest.param(False, False, id="EXH-2-no-backfill-next-ranked-stays-out"),
        pytest.param(True, True, id="EXH-2-backfill-next-ranked-moves-up"),
    ],
)
def test_backfill_after_a_withdrawal(exam: Exam, backfill: bool, selectable: bool) -> None:
    """A-37 递补: when the selected candidate withdraws, the next-ranked moves up only if the recruitment
    allows backfill."""
    e = exam.app.engine
    _, (a, b) = _interviewed(exam, [("90", "90"), ("80", "80")], allow_backfill=backfill)
    e.fire(a, "withdraw", "cand1", {"withdrawn_on": "2025-02-12"})
    if selectable:
        assert e.fire(b, "pass_inspection", "bureau", INSPECTION).state == "INSPECTION_PASSED"
    else:
        assert rejected(lambda: e.fire(b, "pass_inspection", "bureau", INSPECTION)).code == "EXH_NOT_SELECTED"


# ---------------------------------------------------------------- withdrawal, cancellation, completion


def test_candidate_withdraws_own_case_only(exam: Exam) -> None:
    """C-9: the candidate withdraws from any open state; another candidate may not touch the case."""
    e = exam.app.engine
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19900315"))
    qualify(exam, cid)
    with pytest.raises(NotPermitted) as info:
        e.fire(cid, "withdraw", "cand2", {"withdrawn_on": "2025-01-06"})
    assert info.value.code == "OUT_OF_SCOPE"
    with pytest.raises(NotPermitted):
        e.fire(cid, "withdraw", "bureau", {"withdrawn_on": "2025-01-06"})
    assert e.fire(cid, "withdraw", "cand1", {"withdrawn_on": "2025-01-06"}).state == "WITHDRAWN"
    with exam.app.db.read() as s:
        assert s.get_case(cid).data["withdrawn_from"] == "QUALIFIED"


def test_cancelling_the_recruitment_ends_open_candidate_cases(exam: Exam) -> None:
    """EX-4: cancellation closes every open candidate case (CANCELLED) and leaves terminal ones alone."""
    e = exam.app.engine
    rid = published(exam)
    open_one = register(exam, rid, "cand1", person("19900315"))
    gone = register(exam, rid, "cand2", person("19900316", "003"))
    e.fire(gone, "withdraw", "cand2", {"withdrawn_on": "2025-01-06"})
    assert e.fire(rid, "cancel", "bureau", {"cancel_reason": "编制调整"}).state == "CANCELLED"
    assert (state(exam, open_one), state(exam, gone)) == ("CANCELLED", "WITHDRAWN")


def test_completion_needs_every_line_filled_or_closed(exam: Exam) -> None:
    """EX-4: a recruitment with an unfilled line completes only after that line is closed unfilled."""
    e = exam.app.engine
    rid = published(exam)
    close_and_start(exam, rid)
    error = rejected(lambda: e.fire(rid, "complete", "bureau"))
    assert error.code == "EXH_LINES_OPEN"
    e.fire(rid, "close_line", "bureau", {"line_no": 1, "close_reason": "无合格人选"})
    assert rejected(
        lambda: e.fire(rid, "close_line", "bureau", {"line_no": 1, "close_reason": "再次"})
    ).code == ("EXH_LINE_CLOSED")
    assert e.fire(rid, "complete", "bureau").state == "COMPLETED"
    with exam.app.db.read() as s:
        assert s.get_case(rid).data["fill_results"]["1"] == {"count": 1, "filled": 0, "closed_unfilled": True}


# ---------------------------------------------------------------- C-7 optional publicity


def _medical_passed(exam: Exam) -> int:
    e = exam.app.engine
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19900315"))
    qualify(exam, cid)
    close_and_start(exam, rid)
    written(exam, cid, "80")
    interview(exam, cid, "80")
    e.fire(cid, "pass_inspection", "bureau", INSPECTION)
    e.fire(cid, "pass_medical", "bureau", MEDICAL)
    return cid


PUBLICITY = {"exam_publicity_posted_on": "2025-03-03", "exam_publicity_place": "区政府网站"}


def test_no_publicity_step_in_dongqu(exam: Exam) -> None:
    """A-13: DONGQU sets no exam-hiring publicity, so posting one is refused and appointment needs none."""
    cid = _medical_passed(exam)
    error = rejected(lambda: exam.app.engine.fire(cid, "post_publicity", "bureau", PUBLICITY))
    assert error.code == "EXH_PUBLICITY_NOT_CONFIGURED"


def test_configured_publicity_runs_before_appointment(exam: Exam, monkeypatch: pytest.MonkeyPatch) -> None:
    """A-13 / PUB: with publicity_days = 7 the appointment waits for the SYSTEM end of the 7-day period."""
    import engine.service

    base = engine.service.get_pack("DONGQU")
    seven = replace(base, settings={**base.settings, "exam_hiring.publicity_days": 7})
    monkeypatch.setattr(engine.service, "get_pack", lambda code: seven)
    e = exam.app.engine
    cid = _medical_passed(exam)
    assert rejected(lambda: e.fire(cid, "appoint", "bureau", APPOINT)).code == "EXH_PUBLICITY_REQUIRED"
    exam.clock.set(datetime(2025, 3, 3, 9, 0, tzinfo=LOCAL_TZ))
    assert e.fire(cid, "post_publicity", "bureau", PUBLICITY).state == "IN_PUBLICITY"
    exam.clock.set(datetime(2025, 3, 9, 23, 59, tzinfo=LOCAL_TZ))
    assert fire_due(e) == []
    exam.clock.set(datetime(2025, 3, 10, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(e)] == ["FIRED"]
    assert state(exam, cid) == "PUBLICITY_ENDED"
    later = {**APPOINT, "decided_on": "2025-03-10", "appointed_from": "2025-03-11"}
    assert e.fire(cid, "appoint", "bureau", later).state == "APPOINTED"


def test_absent_candidate_is_eliminated_without_ranking(exam: Exam) -> None:
    """C-4: a shortlisted candidate absent from the interview is eliminated as ABSENT."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19900315"))
    qualify(exam, cid)
    close_and_start(exam, rid)
    written(exam, cid, "80")
    assert (
        rejected(
            lambda: exam.app.engine.fire(
                cid, "eliminate", "bureau", {"elimination_reason": "NOT_SHORTLISTED"}
            )
        ).code
        == "EXH_SHORTLISTED"
    )
    result = exam.app.engine.fire(cid, "eliminate", "bureau", {"elimination_reason": "ABSENT"})
    assert result.state == "ELIMINATED"


def test_preview_names_the_failing_eligibility_rule(exam: Exam) -> None:
    """A dry run of the qualification review shows the soft age rule failing, without writing anything."""
    rid = published(exam)
    cid = register(exam, rid, "cand1", person("19690120"))
    previews = {p.trigger: p for p in exam.app.engine.preview(cid, "bureau", REVIEW)}
    assert previews["qualify"].permitted
    assert [f["code"] for f in previews["qualify"].failures] == ["EXH_AGE_LIMIT"]
    assert previews["disqualify"].missing_fields == ("disqualify_reason",)
    assert not {p.trigger: p for p in exam.app.engine.preview(cid, "cand2")}["withdraw"].permitted
    assert state(exam, cid) == "APPLIED"
