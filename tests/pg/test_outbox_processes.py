"""Four `shequ notify dispatch` processes on one PostgreSQL database deliver each due outbox row once
(issue 6: outbox dispatch like the deadline sweep): rows are claimed with `FOR UPDATE SKIP LOCKED` and
leased, every row ends DELIVERED, each target once, and the processes' counts add up."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from engine.app import build
from engine.clock import FrozenClock
from tests.pg.conftest import shequ
from tests.support.postgres import Server
from tests.support.seed import START, seed_due_resignations

CASES = 300  # two submission notices each (the approver and the street office)
PROCESSES = 4

pytestmark = pytest.mark.slow


def test_four_dispatchers_deliver_each_notification_once(pg_server: Server, pg_template: str,
                                                         tmp_path: Path) -> None:
    """Dispatchers started together share the due rows: every row DELIVERED once, no file written twice."""
    url = pg_server.create("outbox", template=pg_template)
    seed_due_resignations(url, CASES, notices=True)
    app = build(url, FrozenClock(START))
    try:
        with app.db.read() as s:
            rows = s.outbox(status="PENDING")
        assert len(rows) == 2 * CASES
        logs = [tmp_path / f"dispatch-{i}.json" for i in range(PROCESSES)]
        procs = [shequ(url, "--json", "notify", "dispatch", "--limit", "100000", log=logs[i],
                       env={"SHEQU_NOTIFY_DIR": str(tmp_path / f"notices-{i}")}) for i in range(PROCESSES)]
        try:
            codes = [p.wait(timeout=180) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        assert codes == [0] * PROCESSES, [log.read_text(encoding="utf-8")[-2000:] for log in logs]
        reports = [json.loads(log.read_text(encoding="utf-8"))["dispatch"] for log in logs]
        assert sum(r["delivered"] for r in reports) == len(rows)
        assert sum(1 for r in reports if r["delivered"]) >= 2  # they did share the work
        with app.db.read() as s:
            assert {o.status for o in s.outbox()} == {"DELIVERED"}
            assert all(o.attempts == 1 for o in s.outbox())
        files = Counter(p.relative_to(p.parents[2]).as_posix().split("/", 1)[1]
                        for p in tmp_path.glob("notices-*/*/*.json"))
        assert len(files) >= len(rows)  # every row reached at least one target
        assert set(files.values()) == {1}, [k for k, v in files.items() if v > 1][:5]
    finally:
        app.db.engine.dispose()
    pg_server.drop(url)
