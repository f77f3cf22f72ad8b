"""The APScheduler adapter in-process (engine.scheduler): catch-up on start, the wake-up jobs it arms
(in memory, aware instants, no misfire grace limit), the after-sweep hook, and a clean stop. The clock is
the injected FrozenClock; the scheduler is started paused so that nothing waits on the wall clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from engine.scheduler import EARLY, NEXT_JOB, TICK_JOB, DeadlineScheduler
from tests.conftest import World

SUBMIT = {"submitted_on": "2025-01-06", "written": True, "document_ref": "D1"}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@pytest.fixture(name="submitted")
def _submitted(world: World) -> int:
    """A resignation submitted Monday 2025-01-06: reminder due 01-13 09:00, RES-5 due 02-07 00:00."""
    return world.app.engine.open_case("resignation", "zhang", SUBMIT, worker_id=world.worker_id).case_id


def test_start_catches_up_then_arms_the_next_deadline(world: World, clock: FrozenClock,
                                                       submitted: int) -> None:
    """Started on 01-20, the scheduler fires the reminder missed while down, then arms a date job at the
    RES-5 instant and a periodic tick, both in an in-memory store with aware instants."""
    clock.set(local("2025-01-20T10:00"))
    ds = DeadlineScheduler(world.app.engine, tick_seconds=5)
    try:
        caught_up = ds.start(paused=True)
        assert [(f.kind, f.fires, f.outcome) for f in caught_up] == [
            ("reminder", "decision_pending", "FIRED")]
        assert ds.stats.caught_up == 1
        assert ds.ready.is_set()
        nxt, tick = ds.scheduler.get_job(NEXT_JOB), ds.scheduler.get_job(TICK_JOB)
        assert isinstance(nxt.trigger, DateTrigger)
        assert nxt.trigger.run_date == local("2025-02-07T00:00") + EARLY
        assert nxt.trigger.run_date.tzinfo is not None
        assert isinstance(tick.trigger, IntervalTrigger)
        assert tick.trigger.interval == timedelta(seconds=5)
        for job in (nxt, tick):
            assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (None, True, 1)
        assert isinstance(ds.scheduler._jobstores["default"], MemoryJobStore)  # nothing pickled
    finally:
        ds.stop()
    assert not ds.scheduler.running


def test_the_date_job_sweep_fires_the_deadline_and_disarms(world: World, clock: FrozenClock,
                                                           submitted: int) -> None:
    """When the date job's sweep runs at the RES-5 instant the deadline fires; with nothing pending left
    the date job is removed and only the tick remains."""
    ds = DeadlineScheduler(world.app.engine, tick_seconds=5)
    try:
        ds.start(paused=True)
        clock.set(local("2025-01-13T09:00"))
        assert [f.fires for f in ds.sweep()] == ["decision_pending"]
        clock.set(local("2025-02-07T00:00"))
        assert [f.fires for f in ds.sweep()] == ["mark_overdue"]
        assert ds.scheduler.get_job(NEXT_JOB) is None
        assert ds.scheduler.get_job(TICK_JOB) is not None
        assert (ds.stats.fired, ds.stats.failed) == (2, 0)
    finally:
        ds.stop()


def test_after_sweep_hook_runs_and_its_failure_is_contained(world: World, clock: FrozenClock,
                                                            submitted: int) -> None:
    """The hook (the outbox dispatcher's place) runs after each sweep; an exception in it is logged and the
    scheduler keeps arming its jobs."""
    calls: list[datetime] = []

    def hook(stopping: Callable[[], bool]) -> None:
        calls.append(clock.now())
        raise RuntimeError("dispatcher down")

    ds = DeadlineScheduler(world.app.engine, tick_seconds=5, after_sweep=hook)
    try:
        ds.start(paused=True)
        ds.sweep()
        assert len(calls) == 2
        assert ds.scheduler.get_job(NEXT_JOB) is not None
    finally:
        ds.stop()


def test_the_hook_is_handed_the_stop_request(world: World, clock: FrozenClock, submitted: int) -> None:
    """The hook gets the scheduler's stop predicate: false while running, true as soon as SIGTERM arrives
    during the hook (so the dispatcher leaves the rest of its batch instead of holding up the stop)."""
    seen: list[bool] = []
    ds: DeadlineScheduler

    def hook(stopping: Callable[[], bool]) -> None:
        seen.append(stopping())
        ds.request_stop()  # what the SIGTERM handler does
        seen.append(stopping())

    ds = DeadlineScheduler(world.app.engine, tick_seconds=5, after_sweep=hook)
    try:
        ds.sweep()
        assert seen == [False, True]
        ds.sweep()  # a sweep woken while stopping skips the hook
        assert seen == [False, True]
    finally:
        ds.stop()


def test_a_stop_request_ends_the_catch_up_between_deadlines(world: World, clock: FrozenClock,
                                                            submitted: int) -> None:
    """SIGTERM during a long catch-up: the sweep finishes the deadline in hand and leaves the rest PENDING."""
    clock.set(local("2025-03-01T00:00"))
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1

    done = fire_due(world.app.engine, stop=stop)
    assert [f.fires for f in done.processed] == ["decision_pending"]
    with world.app.db.read() as s:
        assert [r["key"] for r in s.deadline_rows(status="PENDING", kind=None)] == ["decision_due"]


def test_a_non_positive_tick_is_refused(world: World) -> None:
    """The tick is a period of real time: zero or less makes no sense."""
    with pytest.raises(ValueError, match="tick"):
        DeadlineScheduler(world.app.engine, tick_seconds=0)


def test_apscheduler_runs_on_utc_and_aware_instants(world: World) -> None:
    """The APScheduler instance is configured with an aware timezone and no grace limit by default."""
    ds = DeadlineScheduler(world.app.engine)
    assert ds.scheduler.timezone == UTC
    assert ds.scheduler._job_defaults["misfire_grace_time"] is None
