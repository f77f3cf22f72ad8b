"""年度考核 end to end through the engine (spec §4.4 AR-1…AR-8, PLAN-1…PLAN-5, ANA-4, PUB), DONGQU with PLAN5
and HONGSHAN without it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from engine.app import App
from engine.audit import verify
from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from engine.errors import GuardRejected, NotConfigured, NotPermitted, TriggerNotAvailable
from tests.conftest import World, make_id
from workflows.records import GRADES_TABLE, Records

CASE = "annual_assessment"
FILED = {"rules_doc_ref": "东华街发〔2025〕9号", "rules_filed_on": "2025-11-28"}


def at(day: str, hour: int = 9) -> datetime:
    y, m, d = (int(x) for x in day.split("-"))
    return datetime(y, m, d, hour, 0, tzinfo=LOCAL_TZ)


def roster(n: int = 25, workers: int = 5, reps: int = 5) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = [{"name": f"社区工作者{i}", "category": "COMMUNITY_WORKER"}
                                    for i in range(workers)]
    people += [{"name": f"居民代表{i}", "category": "RESIDENT_REP"} for i in range(reps)]
    people += [{"name": f"党代表{i}", "category": "PARTY_REP"} for i in range(n - len(people))]
    return people[:n]


def tally(dissatisfied: int, returned: int = 20) -> dict[str, int]:
    return {"issued": 25, "returned": returned, "satisfied": returned - dissatisfied - 2,
            "basically_satisfied": 2, "dissatisfied": dissatisfied, "blank": 0, "invalid": 0}


@dataclass
class Street:
    """Street S1 of DQ: community C1 (5 workers incl. 张三) and C3 (2 workers), with every role's user."""

    app: App
    clock: FrozenClock
    w: dict[str, int] = field(default_factory=dict)

    @property
    def engine(self) -> Any:
        return self.app.engine

    def fire(self, case_id: int, trigger: str, login: str, payload: dict[str, Any] | None = None) -> Any:
        return self.engine.fire(case_id, trigger, login, payload)

    def case(self, case_id: int) -> Any:
        with self.app.db.read() as s:
            return s.get_case(case_id)

    def open(self, year: int = 2025, **extra: Any) -> int:
        payload = {"assessment_year": year, **FILED, **extra}
        return int(self.engine.open_case(CASE, "s1_office", payload).case_id)

    def grades(self, year: int) -> dict[int, str]:
        with self.app.db.read() as s:
            return {wid: r["grade"] for wid in self.w.values() for r in s.facts(GRADES_TABLE, wid)
                    if r["year"] == year}


def add(app: App, seq: int, name: str, community: str, category: str, start: str = "2024-01-01") -> int:
    return app.admin.add_worker({"id_number": make_id(f"110105198502{seq:02d}0{seq:02d}"), "name": name,
                                 "community": community, "category": category,
                                 "appointment_start": start, "appointment_end": "2026-12-31"})


@pytest.fixture(name="st")
def _street(world: World, clock: FrozenClock) -> Street:
    a = world.app.admin
    a.add_community("S1", "C3", "东华二社区", 6)
    w = {"zhang": world.worker_id,
         "zhao": add(world.app, 1, "赵书记", "C1", "PARTY_COMMITTEE_MEMBER"),
         "qian": add(world.app, 2, "钱主任", "C1", "RESIDENTS_COMMITTEE_MEMBER"),
         "sun": add(world.app, 3, "孙干事", "C1", "PROFESSIONAL_SOCIAL_WORKER"),
         "li": add(world.app, 4, "李干事", "C1", "PROFESSIONAL_SOCIAL_WORKER"),
         "zhou": add(world.app, 5, "周干事", "C3", "PROFESSIONAL_SOCIAL_WORKER"),
         "wu": add(world.app, 6, "吴干事", "C3", "PROFESSIONAL_SOCIAL_WORKER")}
    a.add_user("c3", "东华二社区", ["COMMUNITY"], community="C3")
    a.add_user("cag1", "东华社区考核领导小组", ["COMMUNITY_ASSESSMENT_GROUP"], community="C1")
    a.add_user("cag3", "东华二社区考核领导小组", ["COMMUNITY_ASSESSMENT_GROUP"], community="C3")
    a.add_user("sag", "东华街道考评领导小组", ["STREET_ASSESSMENT_GROUP"], street="S1")
    return Street(world.app, clock, w)


SCORES = {"zhao": 92, "qian": 91, "zhang": 75, "sun": 72, "li": 85, "zhou": 83, "wu": 88}


def sheets(st: Street, community: str) -> dict[str, list[int]]:
    members = ("zhao", "qian", "zhang", "sun", "li") if community == "C1" else ("zhou", "wu")
    return {str(st.w[m]): [SCORES[m]] * 20 for m in members}


def satisfaction(st: Street, community: str) -> dict[str, Any]:
    if community != "C1":
        return {}
    return {str(st.w["zhao"]): tally(7), str(st.w["qian"]): tally(6)}  # 35% and exactly 30%


def prepare(st: Street, cid: int, community: str, posted: str = "2025-12-20",
            roster_posted: str = "2025-12-22", size: int = 25) -> None:
    """实绩 posted, roster approved and posted for one community (AR-2, AR-3)."""
    user, group = ("c1", "cag1") if community == "C1" else ("c3", "cag3")
    st.fire(cid, "post_performance", user, {"posted_on": posted, "publicity_place": "党务居务公开栏",
                                             "publicity_doc_ref": f"{community}实绩公示"})
    st.fire(cid, "approve_roster", group, {"assessment_roster": roster(size), "roster_approved_on": posted})
    st.fire(cid, "post_roster", user, {"roster_posted_on": roster_posted, "publicity_place": "公开栏"})


def meeting(st: Street, cid: int, community: str, day: str = "2025-12-27", **extra: Any) -> Any:
    payload = {"assessment_community": community, "assessment_meeting_date": day, "attendance_present": 25,
               "score_sheets": sheets(st, community), "satisfaction_tallies": satisfaction(st, community),
               **extra}
    return st.fire(cid, "hold_meeting", "s1_office", payload)


def to_meetings_held(st: Street) -> int:
    records = Records(st.engine)
    records.record_grade("s1_office", st.w["zhang"], 2024, "BASIC", "2024年度考核")
    records.record_grade("s1_office", st.w["zhao"], 2024, "EXCELLENT", "2024年度考核")
    st.clock.set(at("2025-12-15"))
    for day in ("2025-06-05", "2025-06-06", "2025-06-09", "2025-06-10"):  # a run of 4 over a weekend (ABS-1)
        records.record_absence("s1_office", st.w["wu"], day, 1, "ABSENTEEISM", "考勤表 2025-06")
    cid = st.open()
    st.clock.set(at("2025-12-22"))
    prepare(st, cid, "C1")
    prepare(st, cid, "C3")
    st.clock.set(at("2025-12-27", 15))
    meeting(st, cid, "C1")
    assert st.case(cid).state == "PERFORMANCE_PUBLICITY"
    meeting(st, cid, "C3")
    assert st.case(cid).state == "MEETING_HELD"
    return cid


ATTESTED = "attested_excellent"


def to_proposed(st: Street) -> int:
    cid = to_meetings_held(st)
    st.clock.set(at("2025-12-29"))
    st.fire(cid, "propose_grades", "sag", {"proposed_on": "2025-12-29", "worker_findings": {
        str(st.w["zhao"]): {ATTESTED: True}, str(st.w["qian"]): {ATTESTED: True}}})
    return cid


def to_results_publicity(st: Street) -> int:
    cid = to_proposed(st)
    st.fire(cid, "select_excellent", "sag", {"assessment_community": "C1", "excellent_keep": [st.w["zhao"]],
                                             "quota_reason": "赵书记实绩更为突出"})
    st.clock.set(at("2026-01-04"))
    post_results(st, cid, "c1")
    post_results(st, cid, "c3")
    assert st.case(cid).state == "RESULTS_PUBLICITY"
    return cid


def post_results(st: Street, cid: int, login: str, day: str = "2026-01-04") -> Any:
    return st.fire(cid, "post_results", login, {"posted_on": day, "publicity_place": "党务居务公开栏",
                                                "publicity_doc_ref": f"{login}考核结果公示"})


def finalise(st: Street, cid: int, day: str) -> Any:
    return st.fire(cid, "finalise", "sag", {"reported_on": day, "feedback_on": day,
                                             "archive_ref": "东华街档〔2026〕1号"})


def deadlines(st: Street, cid: int) -> list[Any]:
    with st.app.db.read() as s:
        return list(s.deadlines(case_id=cid))


def rejected(call: Any) -> GuardRejected:
    with pytest.raises(GuardRejected) as info:
        call()
    return info.value


def codes(error: GuardRejected) -> list[str]:
    return [f.code for f in error.failures]


# ---------------------------------------------------------------- the full round


def test_full_round_dongqu_with_plan5(st: Street) -> None:
    """AR-1…AR-7 in DONGQU with PLAN5: quota block and selection, the results publicity ended by the deadline
    sweep on the FrozenClock, FINAL grades written to the annual-grade records, PLAN5 consequences created."""
    cid = to_proposed(st)
    results = st.case(cid).data["results"]
    assert results[str(st.w["zhang"])]["grade"] == "INCOMPETENT"  # 75 → 基本称职, prior 基本称职 → 不称职
    assert "ANA-9" in results[str(st.w["zhang"])]["rule_ids"]
    assert results[str(st.w["wu"])]["grade"] == "BASIC"  # 88 capped by ABS-1 (run of 4)
    assert st.case(cid).data["quota"]["C1"]["blocked"] is True

    st.clock.set(at("2026-01-04"))
    error = rejected(lambda: post_results(st, cid, "c1"))
    assert codes(error) == ["ANA_QUOTA_EXCEEDED"]
    assert "seed 000 第十二条" in error.failures[0].message_zh
    st.fire(cid, "select_excellent", "sag", {"assessment_community": "C1", "excellent_keep": [st.w["zhao"]],
                                             "quota_reason": "赵书记实绩更为突出"})
    assert st.case(cid).data["results"][str(st.w["qian"])]["grade"] == "COMPETENT"
    post_results(st, cid, "c1")
    post_results(st, cid, "c3")

    st.clock.set(at("2026-01-10", 23))
    assert codes(rejected(lambda: finalise(st, cid, "2026-01-10"))) == ["PLAN_RESULT_PUBLICITY_RUNNING"]
    assert fire_due(st.engine) == []

    st.clock.set(datetime(2026, 1, 11, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(st.engine)] == ["FIRED"]  # both periods end: the other is cancelled
    assert st.case(cid).state == "RESULTS_PUBLICITY_ENDED"
    assert sorted(d.status for d in deadlines(st, cid)) == ["CANCELLED", "FIRED"]

    result = finalise(st, cid, "2026-01-11")
    assert result.state == "FINAL"
    assert st.grades(2025) == {st.w["zhang"]: "INCOMPETENT", st.w["zhao"]: "EXCELLENT",
                               st.w["qian"]: "COMPETENT", st.w["sun"]: "BASIC", st.w["li"]: "COMPETENT",
                               st.w["zhou"]: "COMPETENT", st.w["wu"]: "BASIC"}
    kinds = sorted((c["kind"], c["worker_id"]) for c in st.case(cid).data["consequences"])
    assert kinds == sorted([
        ("RECALL_OR_RESIGN_TASK", st.w["zhao"]),  # 7/20 = 35% > 30%; 钱主任 6/20 = 30% → nothing
        ("REWARD_FLAG", st.w["zhao"]),  # 优秀 in 2024 and 2025
        ("NOT_RENEW_FLAG", st.w["zhang"]), ("NO_PERFORMANCE_PAY_FLAG", st.w["zhang"]),
        ("ADMONITION_TALK_TASK", st.w["sun"]), ("ADMONITION_TALK_TASK", st.w["wu"])])
    with st.app.db.read() as s:
        assert verify(s.audit_entries(), *s.audit_head()).ok


def test_final_grade_supersedes_a_grade_recorded_before(st: Street) -> None:
    """AR-7 (A-39): a grade already recorded for the year is corrected to the round's FINAL grade, not
    duplicated."""
    cid = to_results_publicity(st)
    Records(st.engine).record_grade("s1_office", st.w["li"], 2025, "EXCELLENT", "手工录入")
    st.clock.set(at("2026-01-11"))
    finalise(st, cid, "2026-01-11")
    with st.app.db.read() as s:
        rows = s.facts(GRADES_TABLE, st.w["li"])
    current = [(r["year"], r["grade"], r["supersedes_id"] is not None) for r in rows]
    assert current == [(2025, "COMPETENT", True)]


# ---------------------------------------------------------------- AR-1 (ANA-1)


@pytest.mark.parametrize("payload", [
    pytest.param({}, id="ANA-1-nothing-recorded"),
    pytest.param({"rules_doc_ref": "东华街发〔2025〕9号"}, id="ANA-1-no-filing-date"),
    pytest.param({"rules_filed_on": "2025-11-28"}, id="ANA-1-no-document"),
    pytest.param({"rules_doc_ref": "东华街发〔2025〕9号", "rules_filed_on": "2025-12-16"},
                 id="ANA-1-filed-tomorrow"),
])
def test_round_needs_filed_rules(st: Street, payload: dict[str, Any]) -> None:
    """ANA-1 (seed 000 第十条, A-32): no round without the 细则's document id and a filing date not after
    today."""
    st.clock.set(at("2025-12-15"))
    error = rejected(lambda: st.engine.open_case(CASE, "s1_office", {"assessment_year": 2025, **payload}))
    assert codes(error) == ["ANA_RULES_NOT_FILED"]
    assert error.citation == "seed 000 第十条、A-32"


def test_one_round_per_street_and_year(st: Street) -> None:
    """AR-1: a second round of S1 for 2025 is refused; S2's round and a cancelled one do not count."""
    st.clock.set(at("2025-12-15"))
    first = st.open()
    assert codes(rejected(lambda: st.open())) == ["ANA_ROUND_EXISTS"]
    st.fire(first, "cancel", "s1_office", {"cancel_reason": "误启动"})
    assert st.case(st.open()).state == "SETUP"


def test_round_scope_is_the_street_and_only_its_users_act(st: Street) -> None:
    """AR-1: the round covers S1's communities and workers; S2's office and C2 are out of scope."""
    st.clock.set(at("2025-12-15"))
    cid = st.open()
    data = st.case(cid).data
    assert {code: len(c["workers"]) for code, c in data["scope"].items()} == {"C1": 5, "C3": 2}
    assert st.case(cid).street_id is not None
    with pytest.raises(NotPermitted):
        st.fire(cid, "cancel", "s2_office", {"cancel_reason": "x"})


# ---------------------------------------------------------------- PLAN-1, roster, PLAN-2, windows


@pytest.mark.parametrize(("size", "ok"), [
    pytest.param(19, False, id="PLAN-1-19-fails"),
    pytest.param(20, True, id="PLAN-1-20-passes"),
])
def test_roster_at_least_twenty(st: Street, size: int, ok: bool) -> None:
    """PLAN-1 (hard, seed 000 第五篇 §四 "总数不低于20人"): 19 is refused, 20 passes."""
    st.clock.set(at("2025-12-20"))
    cid = st.open()
    call = lambda: st.fire(cid, "approve_roster", "cag1", {  # noqa: E731
        "assessment_roster": roster(size), "roster_approved_on": "2025-12-20"})
    if ok:
        assert call().state == "SETUP"
    else:
        error = rejected(call)
        assert codes(error) == ["PLAN_ROSTER_TOO_SMALL"]
        assert error.citation == "seed 000 第五篇 §四"


def test_roster_composition_is_a_warning_only(st: Street) -> None:
    """ANA-5 / RH-W1: a roster without community workers passes with a warning (SOFT-2)."""
    st.clock.set(at("2025-12-20"))
    cid = st.open()
    result = st.fire(cid, "approve_roster", "cag1", {"assessment_roster": roster(20, workers=0, reps=4),
                                                     "roster_approved_on": "2025-12-20"})
    assert len(result.steps[0].warnings) == 1
    assert "少于参加考核的 5 人" in result.steps[0].warnings[0]


@pytest.mark.parametrize(("posted", "meeting_day", "ok"), [
    pytest.param("2025-12-24", "2025-12-27", True, id="PLAN-2-posted-24-meeting-27-passes"),
    pytest.param("2025-12-25", "2025-12-27", False, id="PLAN-2-posted-25-meeting-27-fails"),
    pytest.param("2025-12-25", "2025-12-28", True, id="PLAN-2-posted-25-meeting-28-passes"),
])
def test_performance_publicity_complete_before_the_meeting(st: Street, posted: str, meeting_day: str,
                                                           ok: bool) -> None:
    """PLAN-2 (A-01, A-03): the 3 calendar days of 实绩公示 are over before the meeting: meeting ≥
    posting + 3."""
    st.clock.set(at("2025-12-15"))
    cid = st.open()
    st.clock.set(at(posted))
    prepare(st, cid, "C1", posted=posted, roster_posted=posted)
    st.clock.set(at(meeting_day))
    if ok:
        assert meeting(st, cid, "C1", meeting_day).state == "PERFORMANCE_PUBLICITY"
    else:
        error = rejected(lambda: meeting(st, cid, "C1", meeting_day))
        assert codes(error) == ["PLAN_PERFORMANCE_PUBLICITY_INCOMPLETE"]
        assert error.citation == "seed 000 第五篇 §六(一)、A-01、A-03、A-32"
        assert "2025-12-28" in error.message_zh


def test_meeting_needs_the_roster_posted_a_day_before(st: Street) -> None:
    """AR-4 (A-32): a roster posted on the meeting day is refused; the day before passes."""
    st.clock.set(at("2025-12-15"))
    cid = st.open()
    st.clock.set(at("2025-12-27"))
    prepare(st, cid, "C1", posted="2025-12-20", roster_posted="2025-12-27")
    assert codes(rejected(lambda: meeting(st, cid, "C1"))) == ["PLAN_ROSTER_NOT_POSTED"]
    st.fire(cid, "post_roster", "c1", {"roster_posted_on": "2025-12-26"})
    assert meeting(st, cid, "C1").state == "PERFORMANCE_PUBLICITY"


@pytest.mark.parametrize(("trigger", "day"), [
    pytest.param("post_performance", "2025-12-19", id="PLAN-W-performance-before-phase1"),
    pytest.param("hold_meeting", "2025-12-31", id="PLAN-W-meeting-after-phase2"),
])
def test_timetable_windows(st: Street, trigger: str, day: str) -> None:
    """§五 timetable (A-32, enforce_windows): 实绩 posted before 12-20 or a meeting after 12-30 is refused."""
    st.clock.set(at("2025-12-15"))
    cid = st.open()
    if trigger == "post_performance":
        st.clock.set(at(day))
        error = rejected(lambda: st.fire(cid, "post_performance", "c1", {
            "posted_on": day, "publicity_place": "栏", "publicity_doc_ref": "实绩"}))
    else:
        st.clock.set(at("2025-12-20"))
        prepare(st, cid, "C1", roster_posted="2025-12-20")
        st.clock.set(at(day))
        error = rejected(lambda: meeting(st, cid, "C1", day))
    assert codes(error) == ["PLAN_OUTSIDE_WINDOW"]
    assert "seed 000 第五篇 §五" in error.citation


def test_a_community_acts_only_for_itself(st: Street) -> None:
    """AR-2: C2 (another street) cannot post in S1's round; C3's user posts C3's 实绩, not C1's."""
    st.clock.set(at("2025-12-20"))
    cid = st.open()
    st.app.admin.add_user("c2", "西园社区", ["COMMUNITY"], community="C2")
    with pytest.raises(NotPermitted):
        st.fire(cid, "post_performance", "c2", {"posted_on": "2025-12-20", "publicity_place": "栏",
                                                "publicity_doc_ref": "实绩"})
    st.fire(cid, "post_performance", "c3", {"posted_on": "2025-12-20", "publicity_place": "栏",
                                            "publicity_doc_ref": "实绩"})
    assert list(st.case(cid).data["performance_publicity"]) == ["C3"]


# ---------------------------------------------------------------- AR-5


def test_every_worker_needs_a_score_or_a_complete_refusal(st: Street) -> None:
    """AR-5: a worker without score sheets blocks grading until a complete 第十八条6 refusal record is
    entered; then that worker is 不称职 (ANA-9)."""
    st.clock.set(at("2025-12-15"))
    cid = st.open()
    st.clock.set(at("2025-12-22"))
    prepare(st, cid, "C1")
    prepare(st, cid, "C3")
    st.clock.set(at("2025-12-27"))
    c1_sheets = sheets(st, "C1")
    del c1_sheets[str(st.w["sun"])]
    meeting(st, cid, "C1", score_sheets=c1_sheets)
    meeting(st, cid, "C3")
    st.clock.set(at("2025-12-29"))
    refusal = {"refused_on": "2025-12-26", "educated_on": "2025-12-27"}
    error = rejected(lambda: st.fire(cid, "propose_grades", "sag", {
        "proposed_on": "2025-12-29", "worker_findings": {str(st.w["sun"]): {"refusal": refusal}}}))
    assert codes(error) == ["ANA_WORKER_NOT_GRADED"]
    assert "孙干事" in error.message_zh
    refusal["still_refused_on"] = "2025-12-28"
    st.fire(cid, "propose_grades", "sag", {"proposed_on": "2025-12-29",
                                           "worker_findings": {str(st.w["sun"]): {"refusal": refusal}}})
    derivation = st.case(cid).data["results"][str(st.w["sun"])]
    assert (derivation["grade"], derivation["score"]) == ("INCOMPETENT", None)
    assert ["18.6"] in [s.get("items") for s in derivation["steps"]]


# ---------------------------------------------------------------- objections and the restart


def lodge(st: Street, cid: int, received: str, worker: str = "li", community: str = "C1") -> None:
    st.fire(cid, "lodge_objection", "objector", {
        "objection_received_on": received, "objection_receiver": "街道组织办",
        "objection_content": "考勤问题未如实反映", "assessment_community": community,
        "objection_worker_id": st.w[worker]})


def test_result_objection_that_changes_a_grade_restarts_the_publicity(st: Street) -> None:
    """AR-7 (A-32): a 属实且影响 finding that lowers 李干事 to 基本称职 sends the round back to
    GRADES_PROPOSED; the communities post again (exempt from the window), and FINAL waits for the new 7
    days."""
    cid = to_results_publicity(st)
    st.clock.set(at("2026-01-05"))
    lodge(st, cid, "2026-01-05")
    assert codes(rejected(lambda: finalise(st, cid, "2026-01-05"))) == [
        "PLAN_RESULT_PUBLICITY_RUNNING", "PLAN_OBJECTION_UNRESOLVED"]
    st.clock.set(at("2026-01-06"))
    result = st.fire(cid, "record_finding", "sag", {
        "objection_id": "OBJ-1", "objection_finding": "SUBSTANTIATED_AFFECTING", "finding_on": "2026-01-06",
        "finding_note": "经核实存在不服从工作安排情形",
        "finding_corrections": {str(st.w["li"]): {"art17": [8]}}})
    assert [s.trigger for s in result.steps] == ["record_finding", "regrade"]
    case = st.case(cid)
    assert (case.state, case.data["results_cycle"]) == ("GRADES_PROPOSED", 2)
    assert case.data["results_publicity"] == {}
    assert case.data["results"][str(st.w["li"])]["grade"] == "BASIC"
    assert {d.status for d in deadlines(st, cid)} == {"CANCELLED"}

    st.clock.set(at("2026-01-12"))  # after the phase-3 window: a restart is exempt
    post_results(st, cid, "c1", "2026-01-12")
    post_results(st, cid, "c3", "2026-01-12")
    st.clock.set(at("2026-01-18", 23))
    assert codes(rejected(lambda: finalise(st, cid, "2026-01-18"))) == ["PLAN_RESULT_PUBLICITY_RUNNING"]
    st.clock.set(datetime(2026, 1, 19, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(st.engine)] == ["FIRED"]
    finalise(st, cid, "2026-01-19")
    assert st.grades(2025)[st.w["li"]] == "BASIC"
    assert ("ADMONITION_TALK_TASK", st.w["li"]) in [(c["kind"], c["worker_id"])
                                                    for c in st.case(cid).data["consequences"]]


def test_finding_that_does_not_change_a_grade_keeps_the_publicity(st: Street) -> None:
    """PUB (A-14): a 不属实 finding clears the objection without restarting; FINAL follows on day 8."""
    cid = to_results_publicity(st)
    st.clock.set(at("2026-01-05"))
    lodge(st, cid, "2026-01-05")
    st.fire(cid, "record_finding", "sag", {"objection_id": "OBJ-1", "objection_finding": "NOT_SUBSTANTIATED",
                                           "finding_on": "2026-01-05"})
    assert st.case(cid).state == "RESULTS_PUBLICITY"
    st.clock.set(at("2026-01-11"))
    assert finalise(st, cid, "2026-01-11").state == "FINAL"


def test_corrections_only_with_an_affecting_result_finding(st: Street) -> None:
    """AR-7: a 属实但不影响 finding cannot carry corrections of the results."""
    cid = to_results_publicity(st)
    st.clock.set(at("2026-01-05"))
    lodge(st, cid, "2026-01-05")
    error = rejected(lambda: st.fire(cid, "record_finding", "sag", {
        "objection_id": "OBJ-1", "objection_finding": "SUBSTANTIATED_NOT_AFFECTING",
        "finding_on": "2026-01-05", "finding_corrections": {str(st.w["li"]): {"art17": [8]}}}))
    assert codes(error) == ["ANA_CORRECTION_NOT_ALLOWED"]


def test_late_objection_is_logged_and_does_not_block(st: Street) -> None:
    """PUB (A-14): an objection received after the period is late: recorded, FINAL not blocked."""
    cid = to_results_publicity(st)
    st.clock.set(at("2026-01-11"))
    fire_due(st.engine)
    lodge(st, cid, "2026-01-11")
    assert st.case(cid).data["objections"][0]["late"] is True
    assert finalise(st, cid, "2026-01-11").state == "FINAL"


def test_performance_objection_needs_a_finding_before_the_meeting(st: Street) -> None:
    """PUB on 实绩: an objection without finding blocks that community's meeting; a 属实且影响 finding needs
    a new posting whose 3 days are over before the meeting (PLAN-2 restarts)."""
    st.clock.set(at("2025-12-15"))
    cid = st.open()
    st.clock.set(at("2025-12-21"))
    prepare(st, cid, "C1", posted="2025-12-20", roster_posted="2025-12-21")
    lodge(st, cid, "2025-12-21", worker="sun")
    st.clock.set(at("2025-12-27"))
    assert codes(rejected(lambda: meeting(st, cid, "C1"))) == ["PLAN_OBJECTION_UNRESOLVED"]
    st.fire(cid, "record_finding", "sag", {"objection_id": "OBJ-1",
                                           "objection_finding": "SUBSTANTIATED_AFFECTING",
                                           "finding_on": "2025-12-27"})
    assert codes(rejected(lambda: meeting(st, cid, "C1"))) == ["PLAN_PERFORMANCE_REPOST_REQUIRED"]
    st.fire(cid, "post_performance", "c1", {"posted_on": "2025-12-27", "publicity_place": "栏",
                                            "publicity_doc_ref": "实绩（更正）"})
    st.clock.set(at("2025-12-29"))
    assert codes(rejected(lambda: meeting(st, cid, "C1", "2025-12-29"))) == [
        "PLAN_PERFORMANCE_PUBLICITY_INCOMPLETE"]
    st.clock.set(at("2025-12-30"))
    assert meeting(st, cid, "C1", "2025-12-30").state == "PERFORMANCE_PUBLICITY"


# ---------------------------------------------------------------- HONGSHAN (no PLAN5, four tiers)


@pytest.fixture(name="hs")
def _hongshan(app: App, clock: FrozenClock) -> Street:
    a = app.admin
    a.add_district("HS", "洪山区", "HONGSHAN")
    a.add_street("HS", "HS1", "珞南街道")
    a.add_community("HS1", "HC1", "珞南社区", 8)
    w = {"a": add(app, 11, "甲", "HC1", "PUBLIC_SERVICE_OFFICER"),
         "b": add(app, 12, "乙", "HC1", "RESIDENTS_COMMITTEE_MEMBER")}
    a.add_user("hs_office", "珞南街道办事处", ["STREET_OFFICE"], street="HS1")
    a.add_user("hs_c1", "珞南社区", ["COMMUNITY"], community="HC1")
    clock.set(at("2025-12-20"))
    return Street(app, clock, w)


def test_hongshan_four_tiers_without_plan5(hs: Street) -> None:
    """HONGSHAN (seed 001 第二十七条): proposed tiers 优秀/合格/诫勉/不合格; no 细则 filing, quota, bands
    or absence thresholds (not applied, reported); FINAL straight from the proposal (AR-8); 诫勉 is stored
    as ordinal 3."""
    Records(hs.engine).record_absence("hs_office", hs.w["a"], "2025-06-05", 1, "ABSENTEEISM", "考勤")
    cid = int(hs.engine.open_case(CASE, "hs_office", {"assessment_year": 2025}).case_id)
    with pytest.raises(GuardRejected) as info:
        hs.fire(cid, "post_performance", "hs_c1", {"posted_on": "2025-12-20", "publicity_place": "栏",
                                                   "publicity_doc_ref": "x"})
    assert info.value.code == "PLAN5_NOT_ENABLED"
    hs.fire(cid, "hold_meeting", "hs_office", {
        "assessment_community": "HC1", "assessment_meeting_date": "2025-12-20", "attendance_present": 30,
        "proposed_grades": {str(hs.w["a"]): "优秀", str(hs.w["b"]): "诫勉"}})
    assert hs.case(cid).state == "MEETING_HELD"
    hs.app.admin.add_user("hs_sag", "珞南街道考评领导小组", ["STREET_ASSESSMENT_GROUP"], street="HS1")
    result = hs.fire(cid, "propose_grades", "hs_sag", {"proposed_on": "2025-12-20"})
    assert "ANA-4" in result.steps[0].warnings[0]
    hs.clock.set(at("2026-01-05"))
    hs.fire(cid, "finalise_without_plan5", "hs_office", {"reported_on": "2026-01-05",
                                                         "feedback_on": "2026-01-05"})
    case = hs.case(cid)
    assert case.data["final_labels"] == {str(hs.w["a"]): "优秀", str(hs.w["b"]): "诫勉"}
    assert hs.grades(2025) == {hs.w["a"]: "EXCELLENT", hs.w["b"]: "BASIC"}
    assert case.data["consequences"] == []


def test_hongshan_refuses_scores_and_findings_it_does_not_configure(hs: Street) -> None:
    """A-41: HONGSHAN has no bands and no 第十七/十八条 findings — entering them is NOT_CONFIGURED, never
    DONGQU's."""
    cid = int(hs.engine.open_case(CASE, "hs_office", {"assessment_year": 2025}).case_id)
    with pytest.raises(NotConfigured) as info:
        hs.fire(cid, "hold_meeting", "hs_office", {
            "assessment_community": "HC1", "assessment_meeting_date": "2025-12-20", "attendance_present": 30,
            "score_sheets": {str(hs.w["a"]): [95]}})
    assert info.value.details["key"] == "assessment.plan5.bands"
    hs.fire(cid, "hold_meeting", "hs_office", {
        "assessment_community": "HC1", "assessment_meeting_date": "2025-12-20", "attendance_present": 30,
        "proposed_grades": {str(hs.w["a"]): "合格", str(hs.w["b"]): "合格"}})
    hs.app.admin.add_user("hs_sag", "珞南街道考评领导小组", ["STREET_ASSESSMENT_GROUP"], street="HS1")
    with pytest.raises(NotConfigured):
        hs.fire(cid, "record_findings", "hs_sag", {"worker_findings": {str(hs.w["a"]): {"art17": [2]}}})


def test_dates_and_tiers_in_the_pack() -> None:
    """Packs: DONGQU tiers are the 第十二条 grades; HONGSHAN's are 优秀/合格/诫勉/不合格 (seed 001)."""
    from engine.policy import get_pack

    assert get_pack("DONGQU").get("assessment.tiers") == ["优秀", "称职", "基本称职", "不称职"]
    assert get_pack("HONGSHAN").get("assessment.tiers") == ["优秀", "合格", "诫勉", "不合格"]
    assert not get_pack("HONGSHAN").is_set("assessment.plan5.bands")


# ---------------------------------------------------------------- revising and stale grades


def test_findings_can_be_revised_until_the_results_are_posted(st: Street) -> None:
    """AR-5: a 第十八条2 finding entered after grading recomputes 孙干事 to 不称职; once a community has
    posted its results, findings change only through an objection's finding."""
    cid = to_proposed(st)
    st.fire(cid, "record_findings", "sag", {"worker_findings": {str(st.w["sun"]): {"art18": [2]}}})
    assert st.case(cid).data["results"][str(st.w["sun"])]["grade"] == "INCOMPETENT"
    st.fire(cid, "select_excellent", "sag", {"assessment_community": "C1", "excellent_keep": [st.w["qian"]],
                                             "quota_reason": "钱主任实绩更为突出"})
    st.clock.set(at("2026-01-04"))
    post_results(st, cid, "c3")
    with pytest.raises(TriggerNotAvailable):
        st.fire(cid, "record_findings", "sag", {"worker_findings": {str(st.w["li"]): {"art17": [1]}}})


def test_final_refuses_grades_made_stale_by_a_later_record(st: Street) -> None:
    """AR-7: a run of 4 absence days recorded after the results were posted makes 李干事's 称职 stale; FINAL
    is refused until an objection's 属实且影响 finding takes it into account (the round is regraded)."""
    cid = to_results_publicity(st)
    st.clock.set(at("2026-01-05"))
    for day in ("2025-11-03", "2025-11-04", "2025-11-05", "2025-11-06"):
        Records(st.engine).record_absence("s1_office", st.w["li"], day, 1, "ABSENTEEISM", "考勤表 2025-11")
    st.clock.set(at("2026-01-11"))
    error = rejected(lambda: finalise(st, cid, "2026-01-11"))
    assert codes(error) == ["ANA_GRADES_STALE"]
    assert "李干事" in error.message_zh
    lodge(st, cid, "2026-01-11")
    result = st.fire(cid, "record_finding", "sag", {"objection_id": "OBJ-1",
                                                    "objection_finding": "SUBSTANTIATED_AFFECTING",
                                                    "finding_on": "2026-01-11"})
    assert result.state == "GRADES_PROPOSED"
    assert st.case(cid).data["results"][str(st.w["li"])]["grade"] == "BASIC"
