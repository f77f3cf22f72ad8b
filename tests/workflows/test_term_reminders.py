"""Term-ending reminders (spec §4.1 timers, issue 3): `TermMachine.remind` writes one `reminder.term_ending`
outbox row per recipient at `reminders.hour` on (last day − N days) for each rung N of
`reminders.term_end_days_before`, with a SYSTEM audit entry, once per (term, N, recipient) whoever runs it."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest

from engine.app import App, build
from engine.audit import verify
from engine.clock import LOCAL_TZ, FrozenClock
from tests.conftest import World
from workflows.terms import TERM_REMINDER_KIND, TermMachine, term_reminder_key

END = date(2026, 12, 31)  # term 1 of DQ: 2024-01-01 … 2026-12-31 (CAL-4, A-06)
RUNGS = {90: datetime(2026, 10, 2, 9, 0, tzinfo=LOCAL_TZ), 30: datetime(2026, 12, 1, 9, 0, tzinfo=LOCAL_TZ),
         7: datetime(2026, 12, 24, 9, 0, tzinfo=LOCAL_TZ)}


@pytest.fixture(name="term_id")
def _term_id(world: World) -> int:
    return world.app.admin.add_term("DQ", 1, date(2024, 1, 1))


def at(world: World, when: datetime) -> TermMachine:
    world.app.clock.set(when)  # type: ignore[attr-defined]
    return TermMachine(world.app.engine)


def rows(app: App) -> list[dict[str, Any]]:
    with app.db.read() as s:
        return s.outbox_rows(kinds=[TERM_REMINDER_KIND], limit=1000)


def audits(app: App) -> list[Any]:
    with app.db.read() as s:
        return [e for e in s.audit_entries() if e.action == "term.remind_term_ending"]


@pytest.mark.parametrize("when", [
    pytest.param(datetime(2026, 10, 1, 9, 0, tzinfo=LOCAL_TZ), id="TM-3-reminder-90d-day-before"),
    pytest.param(datetime(2026, 10, 2, 8, 59, 59, tzinfo=LOCAL_TZ), id="TM-3-reminder-90d-before-hour"),
])
def test_nothing_before_the_first_rung(world: World, term_id: int, when: datetime) -> None:
    """Before 09:00 on 2026-10-02 (end − 90 days) nothing is written and nothing is audited."""
    assert at(world, when).remind() == []
    assert rows(world.app) == []
    assert audits(world.app) == []


def test_each_rung_writes_one_row_per_recipient_at_its_hour(world: World, term_id: int) -> None:
    """At 09:00 on end − 90, − 30 and − 7 days the bureau gets one row each, carrying the term number, the end
    date and the days left, with the (term, N, recipient) key and one SYSTEM audit entry in the same seq."""
    for n, when in RUNGS.items():
        [written] = at(world, when).remind()
        assert (written.term_id, written.rung, written.days_left, written.due_at) == (term_id, n, n, when)
        assert written.recipients == ("DISTRICT_CIVIL_AFFAIRS",)
    found = rows(world.app)
    assert [r["idempotency_key"] for r in found] == [
        term_reminder_key(term_id, n, "DISTRICT_CIVIL_AFFAIRS") for n in RUNGS]
    assert [(r["case_id"], r["recipient"], r["status"]) for r in found] == [
        (None, "DISTRICT_CIVIL_AFFAIRS", "PENDING")] * 3
    reminder = found[0]["payload"]["reminder"]
    assert (reminder["term_ordinal"], reminder["term_end"], reminder["days_left"]) == (1, "2026-12-31", 90)
    entries = audits(world.app)
    assert [e.seq for e in entries] == [r["audit_seq"] for r in found]
    assert {(e.actor_login, e.role) for e in entries} == {("system", "SYSTEM")}
    computed = entries[0].body["computed"]
    assert (computed["period"], computed["start_date"], computed["rung"]) == ("-P90D", "2026-12-31", 90)
    assert computed["calendar_version"]
    assert entries[0].body["rule_ids"] == ["TM-3"]
    assert entries[0].body["citations"] == ["seed 000 第四条", "seed 000 第三条"]


def test_a_second_sweep_writes_nothing_new(world: World, term_id: int) -> None:
    """Run again at the same instant and later the same day: the rung is not written twice."""
    assert len(at(world, RUNGS[90]).remind()) == 1
    assert at(world, RUNGS[90]).remind() == []
    assert at(world, datetime(2026, 10, 2, 18, 0, tzinfo=LOCAL_TZ)).remind() == []
    assert len(rows(world.app)) == 1
    assert len(audits(world.app)) == 1


def test_a_restart_writes_nothing_new(world: World, term_id: int, db_url: str) -> None:
    """A new engine on the same database (a restarted scheduler) finds the rung written and writes nothing."""
    assert len(at(world, RUNGS[30]).remind()) == 1
    restarted = build(db_url, FrozenClock(RUNGS[30]))
    try:
        assert TermMachine(restarted.engine).remind() == []
        assert len(rows(restarted)) == 1
        assert len(audits(restarted)) == 1
    finally:
        restarted.db.engine.dispose()


def test_two_engines_racing_write_each_rung_once(world: World, term_id: int, db_url: str) -> None:
    """Two engines on one SQLite file, released together at each rung's instant: each rung is written by one
    of them, once (one row, one audit entry), and the audit chain stays intact."""
    apps = [build(db_url, FrozenClock(RUNGS[90])) for _ in range(2)]
    try:
        for when in RUNGS.values():
            barrier = threading.Barrier(2)
            results: list[int] = []
            errors: list[BaseException] = []

            def run(app: App, when: datetime, barrier: threading.Barrier, results: list[int],
                    errors: list[BaseException]) -> None:
                app.clock.set(when)  # type: ignore[attr-defined]
                machine = TermMachine(app.engine)
                barrier.wait()
                try:
                    results.append(len(machine.remind()))
                except BaseException as exc:  # surfaced below
                    errors.append(exc)

            threads = [threading.Thread(target=run, args=(app, when, barrier, results, errors))
                       for app in apps]
            for th in threads:
                th.start()
            for th in threads:
                th.join(timeout=30)
            assert errors == []
            assert sorted(results) == [0, 1]
        keys = Counter(r["idempotency_key"] for r in rows(world.app))
        assert keys == Counter({term_reminder_key(term_id, n, "DISTRICT_CIVIL_AFFAIRS"): 1 for n in RUNGS})
        assert len(audits(world.app)) == 3
        with world.app.db.read() as s:
            assert verify(s.audit_entries(), *s.audit_head()).ok
    finally:
        for app in apps:
            app.db.engine.dispose()


@pytest.mark.parametrize("pack", [pytest.param("HONGSHAN", id="A-41-HONGSHAN-ladder-unspecified"),
                                  pytest.param("CHUZHOU", id="A-41-CHUZHOU-ladder-unspecified")])
def test_a_pack_with_an_unspecified_ladder_writes_none(world: World, pack: str) -> None:
    """A district whose pack leaves the ladder UNSPECIFIED gets no reminder at any rung, and nothing fails."""
    world.app.admin.add_district("HS", "洪山区", pack)
    world.app.admin.add_term("HS", 1, date(2024, 1, 1), end=END)
    for when in [*RUNGS.values(), datetime(2026, 12, 31, 23, 0, tzinfo=LOCAL_TZ)]:
        machine = at(world, when)
        assert machine.remind() == []
        assert machine.next_reminder_at(datetime(2027, 1, 1, tzinfo=LOCAL_TZ)) is None
    assert rows(world.app) == []


def test_missed_rungs_catch_up_once_with_the_real_days_left(world: World, term_id: int) -> None:
    """Nothing ran from before the 90-day rung until 2026-12-10: only the 30-day rung (the latest passed) is
    written, saying 21 days left; the 90-day rung is never sent late; the 7-day rung follows on time."""
    [late] = at(world, datetime(2026, 12, 10, 14, 0, tzinfo=LOCAL_TZ)).remind()
    assert (late.rung, late.days_left) == (30, 21)
    assert audits(world.app)[0].body["computed"]["late"] is True
    assert at(world, datetime(2026, 12, 20, 9, 0, tzinfo=LOCAL_TZ)).remind() == []
    [on_time] = at(world, RUNGS[7]).remind()
    assert (on_time.rung, on_time.days_left) == (7, 7)
    assert [r["idempotency_key"].split(":")[1] for r in rows(world.app)] == ["te30d", "te7d"]


def test_a_term_registered_after_its_rungs_gets_only_the_nearest(world: World) -> None:
    """A term added on 2026-12-28 (every rung passed) gets the 7-day rung once with 3 days left."""
    clock = world.app.clock
    clock.set(datetime(2026, 12, 28, 10, 0, tzinfo=LOCAL_TZ))  # type: ignore[attr-defined]
    world.app.admin.add_term("DQ", 1, date(2024, 1, 1))
    [written] = TermMachine(world.app.engine).remind()
    assert (written.rung, written.days_left) == (7, 3)
    assert TermMachine(world.app.engine).remind() == []


def test_nothing_after_the_last_day_even_if_the_term_did_not_expire(world: World, term_id: int) -> None:
    """On 2027-01-01 the term is over (TM-4 not run yet): no reminder is written for it."""
    assert at(world, datetime(2027, 1, 1, 9, 0, tzinfo=LOCAL_TZ)).remind() == []


def test_a_planned_term_gets_no_reminder(world: World) -> None:
    """Only ACTIVE or 换届中 terms are reminded: a PLANNED term whose rung has passed writes nothing."""
    world.app.admin.add_term("DQ", 1, date(2024, 1, 1), status="PLANNED")
    assert at(world, RUNGS[90]).remind() == []


def test_the_reminder_still_goes_when_renewal_is_open(world: World, term_id: int) -> None:
    """换届中 (TM-3 taken): the term still ends, the reminder goes and says 换届 is open."""
    world.app.admin.add_term("DQ", 2, date(2027, 1, 1), status="PLANNED")
    at(world, datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL_TZ))
    world.app.admin.open_renewal(term_id, date(2026, 11, 2), date(2026, 11, 30), by="bureau")
    [written] = at(world, RUNGS[30]).remind()
    assert written.rung == 30
    [row] = [r for r in rows(world.app) if ":te30d:" in r["idempotency_key"]]
    assert row["payload"]["reminder"]["renewal_open"] is True
    assert row["payload"]["context"]["term"]["status"] == "RENEWAL_OPEN"


def test_next_reminder_at_names_the_next_instant_to_simulate(world: World, term_id: int) -> None:
    """The simulation's next stop: the next rung's instant, or now when a passed rung is not written yet,
    nothing beyond `until`."""
    machine = at(world, datetime(2026, 9, 1, 9, 0, tzinfo=LOCAL_TZ))
    assert machine.next_reminder_at(datetime(2027, 1, 1, tzinfo=LOCAL_TZ)) == RUNGS[90]
    assert machine.next_reminder_at(datetime(2026, 10, 2, 8, 0, tzinfo=LOCAL_TZ)) is None
    machine = at(world, datetime(2026, 10, 3, 9, 0, tzinfo=LOCAL_TZ))
    assert machine.next_reminder_at(datetime(2027, 1, 1, tzinfo=LOCAL_TZ)) == machine.engine.clock.now()
    machine.remind()
    assert machine.next_reminder_at(datetime(2027, 1, 1, tzinfo=LOCAL_TZ)) == RUNGS[30]


def test_the_scheduler_writes_and_delivers_them_after_its_sweep(world: World, term_id: int) -> None:
    """`shequ scheduler run`'s hook after each sweep writes the due rung and the dispatcher delivers it."""
    from engine.cli.scheduler import _after_sweep
    from engine.scheduler import DeadlineScheduler

    at(world, RUNGS[7])
    scheduler = DeadlineScheduler(world.app.engine, after_sweep=_after_sweep(world.app))
    scheduler.sweep()
    scheduler.sweep()
    [row] = rows(world.app)
    assert (row["idempotency_key"], row["status"]) == (
        term_reminder_key(term_id, 7, "DISTRICT_CIVIL_AFFAIRS"), "DELIVERED")
    with world.app.db.read() as s:
        assert [d["recipient_key"] for d in s.deliveries(row["id"])] == ["bureau"]
