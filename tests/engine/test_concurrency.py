"""Concurrency and atomicity: two processes racing on one case; failures half-way write nothing."""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from engine.deadlines import fire_due
from engine.errors import ConcurrentModification, GuardRejected, NotFound
from engine.guards import GuardContext, Verdict
from engine.service import Engine
from engine.spec import Rule
from storage.repository import Store
from tests.conftest import World
from tests.engine import concurrency_worker
from tests.engine.snapshot import snapshot, verify_db
from workflows.citations import assumption
from workflows.resignation import RESIGNATION

ROUNDS = 10


def _resigning_worker(world: World, n: int) -> tuple[int, str]:
    """A fresh worker in C1 with a WORKER login, so every round opens the worker's only resignation."""
    from tests.conftest import make_id

    worker = world.app.admin.add_worker({"id_number": make_id(f"110105198103{n % 28 + 1:02d}{n:03d}"),
                                         "name": f"工作者{n}", "community": "C1",
                                         "appointment_start": "2024-01-01"})
    world.app.admin.add_user(f"race{n}", f"工作者{n}", ["WORKER"], community="C1", worker_id=worker)
    return worker, f"race{n}"


SUBMIT = {"submitted_on": "2025-01-06", "written": True, "document_ref": "D1"}
APPROVE = {"decided_on": "2025-01-06", "minutes_ref": "M1"}


@dataclass
class Pool:
    procs: list[Any]
    tasks: list[Any]
    results: Any


@pytest.fixture(scope="module", name="pool")
def _pool() -> Iterator[Pool]:
    """Two spawned worker processes that fire on command, released together by a barrier."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    tasks = [ctx.Queue(), ctx.Queue()]
    procs = [ctx.Process(target=concurrency_worker.run, args=(f"w{i}", barrier, tasks[i], results),
                         daemon=True) for i in range(2)]
    for p in procs:
        p.start()
    yield Pool(procs, tasks, results)
    for q in tasks:
        q.put(None)
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.kill()


def _race(pool: Pool, world: World, db_url: str, case_id: int, moves: list[tuple[str, str, dict[str, Any]]],
          expected_version: int) -> list[tuple[Any, ...]]:
    now = world.app.clock.now().isoformat()
    for q, (trigger, login, payload) in zip(pool.tasks, moves, strict=True):
        q.put((db_url, now, case_id, trigger, login, payload, expected_version))
    try:
        outcomes = [pool.results.get(timeout=90) for _ in moves]
    except queue.Empty:  # pragma: no cover - a hung worker
        pytest.fail("a worker did not report")
    return sorted(outcomes, key=lambda o: o[1] != "ok")


@pytest.mark.slow
def test_two_processes_firing_the_same_trigger_advance_the_case_once(pool: Pool, world: World,
                                                                      db_url: str) -> None:
    """Racing `approve` with one expected version: one wins, the other gets a conflict, every round."""
    e = world.app.engine
    for n in range(ROUNDS):
        worker, login = _resigning_worker(world, n)
        case_id = e.open_case("resignation", login, SUBMIT, worker_id=worker).case_id
        outcomes = _race(pool, world, db_url, case_id,
                         [("approve", "s1_party", APPROVE), ("approve", "s1_party", APPROVE)], 1)
        (winner, loser) = outcomes
        assert winner[1:4] == ("ok", 2, "APPROVED"), outcomes
        # The loser waits for the write lock (BEGIN IMMEDIATE), then reads version 2: its stale expected
        # version makes it a conflict, checked before the trigger's availability (never "not available").
        assert loser[1] == "ConcurrentModification", outcomes
        assert loser[2] in ("CASE_VERSION_CONFLICT", "DB_BUSY"), outcomes
        if loser[2] == "CASE_VERSION_CONFLICT":
            assert (loser[4]["version"], loser[4]["current"]) == (1, 2)
        with world.app.db.read() as s:
            case = s.get_case(case_id)
            assert (case.state, case.version) == ("APPROVED", 2)
            approvals = [a for a in s.audit_entries(case_id=case_id) if a.action == "approve"]
            assert len(approvals) == 1
            deadlines = sorted((d.key, d.status) for d in s.deadlines(case_id=case_id))
            assert deadlines == [("decision_due", "CANCELLED"), ("separation", "PENDING")]
            notices = [o for o in s.outbox(case_id=case_id) if o.audit_seq == approvals[0].seq]
            assert len(notices) == 2
    assert verify_db(world.app.db).ok


@pytest.mark.slow
def test_two_processes_firing_competing_triggers_take_one_path(pool: Pool, world: World, db_url: str) -> None:
    """Approve and withdraw racing from SUBMITTED: exactly one path is taken, the other is a conflict."""
    e = world.app.engine
    for n in range(ROUNDS // 2):
        worker, login = _resigning_worker(world, n)
        case_id = e.open_case("resignation", login, SUBMIT, worker_id=worker).case_id
        outcomes = _race(pool, world, db_url, case_id,
                         [("approve", "s1_party", APPROVE),
                          ("withdraw", login, {"withdrawn_on": "2025-01-06"})], 1)
        (winner, loser) = outcomes
        assert winner[1] == "ok", outcomes
        assert loser[1] == "ConcurrentModification", outcomes
        with world.app.db.read() as s:
            case = s.get_case(case_id)
            assert case.state == winner[3]
            assert case.version == 2
            assert [a.action for a in s.audit_entries(case_id=case_id)][1:] in (["approve"], ["withdraw"])
    assert verify_db(world.app.db).ok


# ---------------------------------------------------------------- atomicity in one process

FLAKY = Rule("TEST-FLAKY", "RES_NOT_FILED", (assumption(29),))


def _engine_with_flaky_follow_up(world: World) -> Engine:
    """Resignation whose automatic `close` follows `approve` and whose guard passes once, then fails.

    The first evaluation (choosing the automatic step) passes; the re-check inside the machine fails,
    so the failure happens after `approve` has written its state, audit entry, deadline and notices.
    """
    calls: list[int] = []

    def flaky(ctx: GuardContext) -> Verdict:
        calls.append(1)
        return Verdict.passed(FLAKY) if len(calls) == 1 else Verdict.fail(FLAKY)

    steps = tuple(replace(s, source=("APPROVED",), guards=(flaky,)) if s.trigger == "close" else s
                  for s in RESIGNATION.steps)
    return Engine(world.app.db, world.app.clock, {"resignation": replace(RESIGNATION, steps=steps)})


def test_a_failing_automatic_follow_up_rolls_back_the_whole_step(world: World) -> None:
    """A guard failing in the automatic follow-up undoes the manual step: case, audit, deadlines, outbox."""
    case_id = world.app.engine.open_case("resignation", "zhang", SUBMIT, worker_id=world.worker_id).case_id
    before = snapshot(world.app.db)
    with pytest.raises(GuardRejected) as info:
        _engine_with_flaky_follow_up(world).fire(case_id, "approve", "s1_party", APPROVE, expected_version=1)
    assert info.value.rule_id == "TEST-FLAKY"
    assert snapshot(world.app.db) == before
    assert verify_db(world.app.db).ok


class Injected(RuntimeError):
    pass


def _explode(*_args: Any, **_kwargs: Any) -> Any:
    raise Injected("injected failure after earlier writes")


def test_an_exception_in_the_middle_of_fire_writes_nothing(world: World,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception after the case update and audit append (at the outbox write) leaves all as it was."""
    e = world.app.engine
    case_id = e.open_case("resignation", "zhang", SUBMIT, worker_id=world.worker_id).case_id
    before = snapshot(world.app.db)
    monkeypatch.setattr(Store, "insert_outbox", _explode)
    with pytest.raises(Injected):
        e.fire(case_id, "approve", "s1_party", APPROVE, expected_version=1)
    monkeypatch.undo()
    assert snapshot(world.app.db) == before
    assert e.fire(case_id, "approve", "s1_party", APPROVE, expected_version=1).version == 2  # still possible
    assert verify_db(world.app.db).ok


def test_an_exception_in_the_middle_of_open_writes_no_case(world: World,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception after the case row, audit entry and deadline were inserted leaves no case behind."""
    before = snapshot(world.app.db)
    monkeypatch.setattr(Store, "insert_outbox", _explode)
    with pytest.raises(Injected):
        world.app.engine.open_case("resignation", "zhang", SUBMIT, worker_id=world.worker_id)
    assert snapshot(world.app.db) == before
    assert before.cases == ()


@pytest.mark.parametrize("error", [
    pytest.param(Injected("boom"), id="unexpected-exception-propagates"),
    pytest.param(NotFound("APPOINTMENT_NOT_FOUND", details={"appointment": 0}),
                 id="refusal-marks-deadline-failed"),
])
def test_a_deadline_whose_effect_fails_changes_no_case(world: World, monkeypatch: pytest.MonkeyPatch,
                                                       error: Exception) -> None:
    """If the separation effect fails inside the sweep, case, audit chain and appointment are untouched."""
    e = world.app.engine
    case_id = e.open_case("resignation", "zhang", SUBMIT, worker_id=world.worker_id).case_id
    e.fire(case_id, "approve", "s1_party", APPROVE)
    before = snapshot(world.app.db)
    world.app.clock.advance(timedelta(days=40))  # type: ignore[attr-defined]

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(Store, "end_appointment", fail)
    if isinstance(error, Injected):
        with pytest.raises(Injected):
            fire_due(e)
        assert snapshot(world.app.db) == before
    else:
        (outcome,) = fire_due(e)
        assert outcome.outcome == "FAILED"
        after = snapshot(world.app.db)
        assert (after.cases, after.audit_head, after.outbox, after.appointments) == (
            before.cases, before.audit_head, before.outbox, before.appointments)
        assert [d[3] for d in after.deadlines if d[2] == "separation"] == ["FAILED"]  # the one recorded write
    assert verify_db(world.app.db).ok


def test_a_conflicting_version_is_refused_before_anything_else(world: World) -> None:
    """A stale expected version is a conflict even when the trigger would no longer be open."""
    e = world.app.engine
    case_id = e.open_case("resignation", "zhang", SUBMIT, worker_id=world.worker_id).case_id
    e.fire(case_id, "approve", "s1_party", APPROVE, expected_version=1)
    before = snapshot(world.app.db)
    with pytest.raises(ConcurrentModification) as info:
        e.fire(case_id, "approve", "s1_party", APPROVE, expected_version=1)
    assert (info.value.code, info.value.details["current"]) == ("CASE_VERSION_CONFLICT", 2)
    assert snapshot(world.app.db) == before
