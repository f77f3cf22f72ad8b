"""The term machine (spec §4.1 TM-1…TM-5, TERM-1, TERM-3, TERM-6): creation with the CAL-4 end and the SOFT-1
pay floor, the frozen pay standard, start, 换届, expiry applying REHIRED → successor / HOLDOVER / EXPIRED,
closing, the date-driven sweep, and office results after 换届 opening DIS-G9 dismissals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from engine import changeover
from engine.audit import verify
from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from engine.errors import ConcurrentModification, GuardRejected, InvalidInput, NotConfigured, NotPermitted
from storage.repository import Store
from tests.conftest import World, make_id
from tests.workflows.test_rehiring_procedure import EVAL_OK, REC_OK, roster
from workflows.terms import TermMachine

WAGE = {"year": 2025, "amount": 78000, "source": "市统计局2025年统计公报"}
DAY = "2025-01-06"


@pytest.fixture(name="tm")
def _tm(world: World) -> TermMachine:
    return TermMachine(world.app.engine)


def term(world: World, term_id: int) -> Any:
    with world.app.db.read() as s:
        return s.term(term_id)


def appointment(world: World, appointment_id: int) -> Any:
    with world.app.db.read() as s:
        return s.appointment(appointment_id)


def add_worker(world: World, id17: str, name: str, community: str = "C1",
               category: str = "PROFESSIONAL_SOCIAL_WORKER", login: str | None = None) -> tuple[int, int]:
    a = world.app.admin
    worker = a.add_worker({"id_number": make_id(id17), "name": name, "community": community,
                           "category": category, "appointment_start": "2024-01-01"})
    if login:
        a.add_user(login, name, ["WORKER"], community=community, worker_id=worker)
    with world.app.db.read() as s:
        return worker, s.appointments(worker_id=worker)[0].id


def two_terms(world: World, tm: TermMachine) -> tuple[int, int]:
    """Term 1 (2024–2026, ACTIVE, registered) and term 2 created by TM-1 (2027–2029, PLANNED)."""
    first = world.app.admin.add_term("DQ", 1, date(2024, 1, 1))
    second = tm.create("bureau", "DQ", 2, "2027-01-01", pay_standard=80000, wage_ref=WAGE).term_id
    return first, second


# ---------------------------------------------------------------- TM-1


def test_create_gives_a_planned_term_ending_per_cal4(world: World, tm: TermMachine) -> None:
    """TM-1 / CAL-4: a term starting 2027-01-01 ends 2029-12-31 and is PLANNED, with its pay and wage ref."""
    outcome = tm.create("bureau", "DQ", 2, "2027-01-01", pay_standard=80000, wage_ref=WAGE)
    created = term(world, outcome.term_id)
    assert (created.status, created.start_date, created.end_date, created.pay_standard) == (
        "PLANNED", date(2027, 1, 1), date(2029, 12, 31), 80000)
    with world.app.db.read() as s:
        assert s.term_detail(outcome.term_id)["wage_ref"] == WAGE
        entry = list(s.audit_entries())[-1]
    assert (entry.action, entry.to_state) == ("term.create", "PLANNED")
    assert {"TM-1", "TERM-3", "CAL-4"} <= set(entry.body["rule_ids"])


@pytest.mark.parametrize(("pay", "passes"), [
    pytest.param(78000, True, id="TERM-3-pay-equal-to-average-passes"),
    pytest.param(77999, False, id="TERM-3-one-yuan-below-average-fails"),
])
def test_pay_floor_against_city_average(tm: TermMachine, pay: int, passes: bool) -> None:
    """TERM-3 / SOFT-1: the per-capita standard is 原则上 ≥ the city average wage (≥: equal passes)."""
    if passes:
        created = tm.create("bureau", "DQ", 2, "2027-01-01", pay_standard=pay, wage_ref=WAGE)
        assert created.to_state == "PLANNED"
        return
    with pytest.raises(GuardRejected) as info:
        tm.create("bureau", "DQ", 2, "2027-01-01", pay_standard=pay, wage_ref=WAGE)
    assert (info.value.code, info.value.rule_id) == ("TERM_PAY_BELOW_CITY_AVERAGE", "TERM-3")
    assert "seed 000 第十九条" in info.value.message_zh


def test_pay_floor_overridden_by_the_bureau_with_a_reason(world: World, tm: TermMachine) -> None:
    """SOFT-1 (A-10): 区民政局 overrides the floor with a reason, recorded in the audit entry."""
    outcome = tm.create("bureau", "DQ", 2, "2027-01-01", pay_standard=70000, wage_ref=WAGE,
                        overrides={"TERM_PAY_BELOW_CITY_AVERAGE": "区财政预算批复〔2026〕3号"})
    assert [o["code"] for o in outcome.overridden] == ["TERM_PAY_BELOW_CITY_AVERAGE"]
    with world.app.db.read() as s:
        entry = list(s.audit_entries())[-1]
    assert entry.body["overrides"][0]["reason"] == "区财政预算批复〔2026〕3号"


def test_pay_standard_needs_its_wage_reference(tm: TermMachine) -> None:
    """TERM-3 / A-28: a pay standard without the city average wage it is compared with is refused."""
    with pytest.raises(GuardRejected) as info:
        tm.create("bureau", "DQ", 2, "2027-01-01", pay_standard=80000, wage_ref={"amount": 78000})
    assert info.value.code == "TERM_WAGE_REF_MISSING"


@pytest.mark.parametrize(("start", "passes"), [
    pytest.param("2027-01-01", True, id="TERM-1-day-after-previous-end-passes"),
    pytest.param("2026-12-31", False, id="TERM-1-on-previous-last-day-fails"),
])
def test_term_may_not_overlap_the_previous_one(world: World, tm: TermMachine, start: str,
                                               passes: bool) -> None:
    """TERM-1: the next term starts after the previous term's last day."""
    world.app.admin.add_term("DQ", 1, date(2024, 1, 1))
    if passes:
        assert tm.create("bureau", "DQ", 2, start).to_state == "PLANNED"
        return
    with pytest.raises(GuardRejected) as info:
        tm.create("bureau", "DQ", 2, start)
    assert info.value.code == "TERM_OVERLAP"


def test_ordinal_is_unique_in_the_district(world: World, tm: TermMachine) -> None:
    """TM-1: a district has one term per ordinal."""
    world.app.admin.add_term("DQ", 1, date(2024, 1, 1))
    with pytest.raises(GuardRejected) as info:
        tm.create("bureau", "DQ", 1, "2030-01-01")
    assert info.value.code == "TERM_ORDINAL_TAKEN"


def test_only_the_bureau_creates_terms(tm: TermMachine) -> None:
    """TM-1: the actor is 区民政局; a street office is refused."""
    with pytest.raises(NotPermitted) as info:
        tm.create("s1_office", "DQ", 2, "2027-01-01")
    assert info.value.code == "ROLE_NOT_PERMITTED"


# ---------------------------------------------------------------- TERM-3 frozen pay


@pytest.mark.parametrize(("status", "frozen"), [
    pytest.param("PLANNED", False, id="TERM-3-planned-may-change"),
    pytest.param("ACTIVE", True, id="TERM-3-active-frozen"),
    pytest.param("RENEWAL_OPEN", True, id="TERM-3-renewal-open-frozen"),
    pytest.param("ENDED", True, id="TERM-3-ended-frozen"),
])
def test_pay_standard_frozen_while_the_term_runs(world: World, tm: TermMachine, status: str,
                                                 frozen: bool) -> None:
    """TERM-3: the pay standard may be set while PLANNED and is refused with TERM_PAY_FROZEN afterwards."""
    term_id = world.app.admin.add_term("DQ", 1, date(2024, 1, 1), status=status, pay_standard=80000)
    if not frozen:
        tm.set_pay("bureau", term_id, 82000, wage_ref=WAGE)
        assert term(world, term_id).pay_standard == 82000
        return
    with pytest.raises(GuardRejected) as info:
        tm.set_pay("bureau", term_id, 82000, wage_ref=WAGE)
    assert (info.value.code, info.value.rule_id) == ("TERM_PAY_FROZEN", "TERM-3")
    assert term(world, term_id).pay_standard == 80000


def test_set_pay_keeps_the_recorded_wage_reference(world: World, tm: TermMachine) -> None:
    """TERM-3: a new standard for a PLANNED term is checked against the wage reference already recorded."""
    _, second = two_terms(world, tm)
    with pytest.raises(GuardRejected) as info:
        tm.set_pay("bureau", second, 77000)
    assert info.value.code == "TERM_PAY_BELOW_CITY_AVERAGE"
    tm.set_pay("bureau", second, 79000)
    assert term(world, second).pay_standard == 79000


def test_frozen_pay_is_not_configured_in_a_pack_that_does_not_say(world: World, tm: TermMachine) -> None:
    """A-41: HONGSHAN leaves the in-term freeze UNSPECIFIED: changing a running term is not configured."""
    world.app.admin.add_district("HS", "洪山区", "HONGSHAN")
    world.app.admin.add_user("hs_bureau", "洪山区民政局", ["DISTRICT_CIVIL_AFFAIRS"], district="HS")
    term_id = world.app.admin.add_term("HS", 1, date(2024, 1, 1))
    with pytest.raises(NotConfigured) as info:
        tm.set_pay("hs_bureau", term_id, 80000)
    assert info.value.details["key"] == "term.pay_frozen_in_term"


# ---------------------------------------------------------------- TM-2


def test_start_waits_for_the_start_date_and_the_previous_term(world: World, tm: TermMachine,
                                                              clock: FrozenClock) -> None:
    """TM-2: not before start_date; not while the previous term is still in force; then ACTIVE."""
    first, second = two_terms(world, tm)
    with pytest.raises(GuardRejected) as info:
        tm.start(second)
    assert info.value.code == "TERM_NOT_STARTED_YET"
    clock.set(datetime(2027, 1, 1, 0, 0, tzinfo=LOCAL_TZ))
    with pytest.raises(GuardRejected) as info:
        tm.start(second)
    assert info.value.code == "TERM_PREVIOUS_NOT_ENDED"
    tm.expire(first)
    assert tm.start(second).to_state == "ACTIVE"
    assert term(world, second).status == "ACTIVE"


def test_start_is_system_only(world: World, tm: TermMachine) -> None:
    """TM-2: the start is SYSTEM's (a timer), not a user's decision."""
    _, second = two_terms(world, tm)
    with pytest.raises(NotPermitted):
        tm.start(second, "bureau")


# ---------------------------------------------------------------- TM-3


def test_open_renewal_needs_a_planned_successor(world: World, tm: TermMachine) -> None:
    """TM-3: without term 2 PLANNED 换届 cannot open (the re-hired are appointed into it)."""
    first = world.app.admin.add_term("DQ", 1, date(2024, 1, 1))
    with pytest.raises(GuardRejected) as info:
        changeover.open_renewal(world.app.engine, "bureau", first, date(2025, 1, 6), date(2025, 1, 31))
    assert (info.value.code, info.value.rule_id) == ("TERM_NO_SUCCESSOR", "TM-3")
    assert term(world, first).status == "ACTIVE"


def test_open_renewal_is_the_bureaus(world: World, tm: TermMachine) -> None:
    """TM-3: opened by 区民政局 ("适时统筹组织"); a street office is refused and nothing changes."""
    first, _ = two_terms(world, tm)
    with pytest.raises(NotPermitted):
        changeover.open_renewal(world.app.engine, "s1_office", first, date(2025, 1, 6), date(2025, 1, 31))
    assert term(world, first).status == "ACTIVE"


def test_open_renewal_in_a_pack_without_rehiring_is_not_configured(world: World, tm: TermMachine) -> None:
    """A-41: HONGSHAN does not define 考核聘用, so its 换届 cannot open re-hiring cases."""
    world.app.admin.add_district("HS", "洪山区", "HONGSHAN")
    world.app.admin.add_user("hs_bureau", "洪山区民政局", ["DISTRICT_CIVIL_AFFAIRS"], district="HS")
    first = world.app.admin.add_term("HS", 1, date(2024, 1, 1))
    world.app.admin.add_term("HS", 2, date(2027, 1, 1), status="PLANNED")
    with pytest.raises(NotConfigured):
        changeover.open_renewal(world.app.engine, "hs_bureau", first, date(2025, 1, 6), date(2025, 1, 31))
    assert term(world, first).status == "ACTIVE"


# ---------------------------------------------------------------- TM-4, TM-5


def rehire(world: World, case_id: int, login: str) -> None:
    """Take a re-hiring case from OPEN to REHIRED on 2025-01-06…13 (the successor starts 2027-01-01)."""
    e = world.app.engine
    e.fire(case_id, "apply", login, {"applied_on": DAY, "application_doc_ref": "申-1"})
    e.fire(case_id, "street_approve", "s1_office", {"reviewed_on": DAY, "review_opinion": "同意"})
    e.fire(case_id, "bureau_approve_application", "bureau", {"application_approval_no": "批-1",
                                                             "application_decided_on": DAY})
    e.fire(case_id, "record_vote", "s1_office", {
        "vote_meeting_date": DAY, "vote_meeting_place": "街道会议室", "vote_roster": roster(),
        "recommendation_tally": REC_OK, "evaluation_tally": EVAL_OK})
    e.fire(case_id, "party_decide_hire", "s1_party", {"party_meeting_date": DAY, "party_members_present": 7,
                                                      "minutes_ref": "纪-1"})
    e.fire(case_id, "post_publicity", "s1_office", {
        "posted_on": DAY, "publicity_community": "C1", "publicity_place": "社区公开栏",
        "publicity_doc_ref": "公-1"})


def case_of(world: World, appointment_id: int) -> int:
    with world.app.db.read() as s:
        cases = s.cases_of("assessment_rehiring", district_id=1)
    return next(c.id for c in cases if c.data["appointment_id"] == appointment_id)


def withdraw(world: World, appointment_id: int) -> None:
    world.app.engine.fire(case_of(world, appointment_id), "withdraw", "wang", {"withdrawn_on": "2027-01-05"})


@pytest.fixture(name="ending")
def _ending(world: World, tm: TermMachine, clock: FrozenClock) -> dict[str, Any]:
    """Term 1 in 换届 with four workers at C1: 李四 re-hired, 王五 still in the procedure (applied), 赵六
    never applied (NOT_APPLIED at the window end), and 钱七 hired after the cases were opened (no case).
    张三 of the shared world was registered before term 1 existed: his appointment has no term."""
    first, second = two_terms(world, tm)
    li = add_worker(world, "11010519850202002", "李四", login="li")
    wang = add_worker(world, "11010519850202003", "王五", login="wang")
    zhao = add_worker(world, "11010519850202004", "赵六")
    report = changeover.open_renewal(world.app.engine, "bureau", first, date(2025, 1, 6), date(2025, 1, 31))
    assert report.opened == 3
    qian = add_worker(world, "11010519850202005", "钱七")
    rehire(world, case_of(world, li[1]), "li")
    world.app.engine.fire(case_of(world, wang[1]), "apply", "wang", {"applied_on": DAY,
                                                                     "application_doc_ref": "申-2"})
    clock.set(datetime(2025, 1, 13, 9, 0, tzinfo=LOCAL_TZ))
    fire_due(world.app.engine)  # publicity of 李四 ends
    li_case = case_of(world, li[1])
    world.app.engine.fire(li_case, "report", "s1_office", {"reported_on": "2025-01-13"})
    world.app.engine.fire(li_case, "bureau_approve_rehire", "bureau", {
        "rehire_approval_no": "东民聘〔2025〕8号", "rehire_decided_on": "2025-01-13"})
    clock.set(datetime(2025, 2, 1, 0, 0, tzinfo=LOCAL_TZ))
    fire_due(world.app.engine)  # the window closes: 赵六 NOT_APPLIED
    return {"first": first, "second": second, "li": li, "wang": wang, "zhao": zhao, "qian": qian}


def test_expire_applies_successor_holdover_and_expired(world: World, tm: TermMachine, clock: FrozenClock,
                                                      ending: dict[str, Any]) -> None:
    """TM-4 at end_date + 1 day: REHIRED → successor takes over; case open → HOLDOVER (TERM-6); otherwise
    (not applied, no case) → EXPIRED on the term's last day."""
    with pytest.raises(GuardRejected) as info:
        tm.expire(ending["first"])
    assert info.value.code == "TERM_NOT_EXPIRED_YET"
    clock.set(datetime(2027, 1, 1, 0, 0, tzinfo=LOCAL_TZ))
    outcome = tm.expire(ending["first"])
    assert outcome.details == {"SUCCESSOR": 1, "HOLDOVER": 1, "EXPIRED": 2, "KEPT": 0}
    li = appointment(world, ending["li"][1])
    assert (li.status, li.end_date, li.end_reason) == ("ENDED", date(2026, 12, 31), "EXPIRED")
    successor = appointment(world, li.successor_id)
    assert (successor.status, successor.start_date, successor.term_id) == ("ACTIVE", date(2027, 1, 1),
                                                                          ending["second"])
    assert appointment(world, ending["wang"][1]).status == "HOLDOVER"
    for key in ("zhao", "qian"):
        gone = appointment(world, ending[key][1])
        assert (gone.status, gone.end_date, gone.end_reason) == ("ENDED", date(2026, 12, 31), "EXPIRED")
    assert term(world, ending["first"]).status == "ENDED"


def test_expire_twice_is_refused(world: World, tm: TermMachine, clock: FrozenClock,
                                 ending: dict[str, Any]) -> None:
    """TM-4 happens once: a second expiry finds the term ENDED and changes nothing."""
    clock.set(datetime(2027, 1, 1, 0, 0, tzinfo=LOCAL_TZ))
    tm.expire(ending["first"])
    with pytest.raises(GuardRejected) as info:
        tm.expire(ending["first"])
    assert info.value.code == "TERM_STATUS"


def test_close_waits_for_the_held_over_case(world: World, tm: TermMachine, clock: FrozenClock,
                                            ending: dict[str, Any]) -> None:
    """TM-5: the term closes only when every re-hiring case is terminal; the held-over appointment then ends
    with its case (TERM-6)."""
    clock.set(datetime(2027, 1, 1, 0, 0, tzinfo=LOCAL_TZ))
    tm.expire(ending["first"])
    with pytest.raises(GuardRejected) as info:
        tm.close(ending["first"])
    assert (info.value.code, info.value.details["failures"][0]["details"]["count"]) == (
        "TERM_REHIRE_CASES_OPEN", 1)
    clock.set(datetime(2027, 1, 5, 9, 0, tzinfo=LOCAL_TZ))
    withdraw(world, ending["wang"][1])
    held = appointment(world, ending["wang"][1])
    assert (held.status, held.end_date, held.end_reason) == ("ENDED", date(2027, 1, 5), "EXPIRED")
    assert tm.close(ending["first"]).to_state == "CLOSED"


def test_sweep_takes_due_transitions_in_order(world: World, tm: TermMachine, clock: FrozenClock,
                                              ending: dict[str, Any]) -> None:
    """Timers: on 2027-01-01 one sweep expires term 1 and then starts term 2 (TM-2 sees term 1 ENDED); term 1
    stays ENDED while a case is open; a later sweep closes it; a sweep with nothing due does nothing."""
    clock.set(datetime(2026, 12, 31, 23, 59, tzinfo=LOCAL_TZ))
    assert tm.sweep() == []
    clock.set(datetime(2027, 1, 1, 0, 0, tzinfo=LOCAL_TZ))
    assert [(o.term_id, o.trigger, o.to_state) for o in tm.sweep()] == [
        (ending["first"], "expire", "ENDED"), (ending["second"], "start", "ACTIVE")]
    clock.set(datetime(2027, 1, 5, 9, 0, tzinfo=LOCAL_TZ))
    withdraw(world, ending["wang"][1])
    assert [(o.trigger, o.to_state) for o in tm.sweep()] == [("close", "CLOSED")]
    assert tm.sweep() == []
    with world.app.db.read() as s:
        assert verify(s.audit_entries(), *s.audit_head()).ok


def test_transitions_compare_and_swap_the_status(world: World, tm: TermMachine, clock: FrozenClock,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A term that moved between reading and writing is not moved twice (TERM_MOVED, nothing written)."""
    first, _ = two_terms(world, tm)
    clock.set(datetime(2027, 1, 1, 0, 0, tzinfo=LOCAL_TZ))
    monkeypatch.setattr(Store, "move_term", lambda self, *a, **k: False)  # someone else moved it first
    with pytest.raises(ConcurrentModification) as info:
        tm.expire(first)
    assert info.value.code == "TERM_MOVED"
    assert term(world, first).status == "ACTIVE"


# ---------------------------------------------------------------- after 换届: office results → DIS-G9


def test_office_results_after_changeover_open_ground_nine(world: World, tm: TermMachine) -> None:
    """TERM-4 / DIS-G9: recording the 换届 results of the term's 两委 members opens a dismissal case for the
    one no longer in office, none for the one re-elected; `offices` shows both."""
    first, second = two_terms(world, tm)
    kept, _ = add_worker(world, "11010519850202006", "孙八", category="RESIDENTS_COMMITTEE_MEMBER")
    lost, _ = add_worker(world, "11010519850202007", "周九", category="PARTY_COMMITTEE_MEMBER")
    changeover.open_renewal(world.app.engine, "bureau", first, date(2025, 1, 6), date(2025, 1, 31))
    assert [(o.name, o.in_office) for o in tm.offices(first)] == [("孙八", None), ("周九", None)]
    results = tm.record_offices("s1_office", first, [
        {"worker_id": kept, "in_office": "是", "election_date": "2025-01-06", "source_ref": "选举结果公告1"},
        {"worker_id": lost, "in_office": "否", "election_date": "2025-01-06", "source_ref": "选举结果公告1"}])
    opened = [c for r in results for c in r.changes if c.action == "opened"]
    assert [c.ground for c in opened] == ["DIS-G9"]
    shown = {o.name: o for o in tm.offices(first)}
    assert (shown["孙八"].in_office, shown["孙八"].dismissal_case_id) == (True, None)
    assert (shown["周九"].in_office, shown["周九"].dismissal_case_id) == (False, opened[0].case_id)
    with world.app.db.read() as s:
        assert s.facts("elected_offices", lost)[0]["term_id"] == second


def test_office_results_are_all_or_nothing(world: World, tm: TermMachine) -> None:
    """A broken row (a worker who holds no elected office) names itself and nothing of the file is kept."""
    first, _ = two_terms(world, tm)
    member, _ = add_worker(world, "11010519850202006", "孙八", category="RESIDENTS_COMMITTEE_MEMBER")
    with pytest.raises(InvalidInput) as info:
        tm.record_offices("s1_office", first, [
            {"worker_id": member, "in_office": "否", "election_date": "2025-01-06", "source_ref": "公告"},
            {"worker_id": world.worker_id, "in_office": "否", "election_date": "2025-01-06",
             "source_ref": "公告"}])
    assert (info.value.code, info.value.details["row"]) == ("TERM_OFFICE_ROW_INVALID", 2)
    with world.app.db.read() as s:
        assert s.facts("elected_offices", member) == []
