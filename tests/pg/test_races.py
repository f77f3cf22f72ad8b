"""1,000 races of two caseworkers firing the same trigger on one case at the same moment, on PostgreSQL
(issue 6): two long-lived processes (tests/engine/concurrency_worker.py) released together by a barrier for
each case. Every time exactly one wins and the other gets a clean conflict (CASE_VERSION_CONFLICT, exit code
6 in the CLI), never a crash, a DB_BUSY or a second transition; the audit chain stays one gap-free chain."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from typing import Any

import pytest

from engine.app import build
from engine.audit import verify
from engine.clock import FrozenClock
from tests.engine import concurrency_worker
from tests.support.postgres import Server
from tests.support.seed import START, seed_due_resignations

RACES = 1000
APPROVE = {"decided_on": "2025-01-06", "minutes_ref": "M1"}

pytestmark = pytest.mark.slow


def test_two_caseworkers_racing_on_one_case_one_wins_one_conflicts(pg_server: Server,
                                                                   pg_template: str) -> None:
    """Both approve version 1 of the same case at once: one APPROVED at version 2, one clean conflict."""
    url = pg_server.create("races", template=pg_template)
    cases = seed_due_resignations(url, RACES)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    tasks = [ctx.Queue(), ctx.Queue()]
    procs = [ctx.Process(target=concurrency_worker.run, args=(f"w{i}", barrier, tasks[i], results),
                         daemon=True) for i in range(2)]
    for p in procs:
        p.start()
    wins: Counter[str] = Counter()
    now = START.isoformat()
    try:
        for case_id in cases:
            for q in tasks:
                q.put((url, now, case_id, "approve", "s1_party", APPROVE, 1))
            outcomes: list[tuple[Any, ...]] = sorted((results.get(timeout=60) for _ in tasks),
                                                     key=lambda o: o[1] != "ok")
            winner, loser = outcomes
            assert winner[1:4] == ("ok", 2, "APPROVED"), (case_id, outcomes)
            assert loser[1:3] == ("ConcurrentModification", "CASE_VERSION_CONFLICT"), (case_id, outcomes)
            assert (loser[4]["version"], loser[4]["current"]) == (1, 2), (case_id, outcomes)
            wins[winner[0]] += 1
    finally:
        for q in tasks:
            q.put(None)
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert set(wins) == {"w0", "w1"}, wins  # a real race: each process won some
    app = build(url, FrozenClock(START))
    try:
        with app.db.read() as s:
            assert {(c.state, c.version) for c in s.list_cases(limit=RACES + 1)} == {("APPROVED", 2)}
            approvals = Counter(e.case_id for e in s.audit_entries() if e.action == "approve")
            assert approvals == Counter(dict.fromkeys(cases, 1))
            assert verify(s.audit_entries(), *s.audit_head()).ok
    finally:
        app.db.engine.dispose()
    pg_server.drop(url)
