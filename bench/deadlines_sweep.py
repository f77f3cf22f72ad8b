"""Deadline sweep benchmarks (issue 3), on SQLite files with the production pragmas (WAL, synchronous=FULL).

1. fire: time to fire 10,000 due RES-5 deadlines (each one transaction through the engine's write path:
   claim, mark FIRED, the `mark_overdue` transition with its audit entry and outbox notice), and 10,000 due
   reminders (claim, mark FIRED, outbox row with the rendering snapshot);
2. start: time from `DeadlineScheduler.start()` to ready (catch-up sweep + arming the date job) and the
   peak Python memory of that start (tracemalloc), with 1,000 and with 100,000 PENDING deadlines due
   later: the sweep claims one row at a time by index, so neither figure grows with the pending count.

The cases are cloned with `sqlite3` from one resignation opened through the engine (the clones share its
worker), so that seeding 100,000 rows takes seconds; firing always goes through the engine.

    python -m bench.deadlines_sweep [--fire N] [--pending N] [--start-only]
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tracemalloc
from datetime import datetime
from pathlib import Path

from bench.common import Timer, bench_dir, fresh_sqlite, quiet_logs
from engine.app import App, build
from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from engine.scheduler import DeadlineScheduler
from tests.conftest import make_id

START = datetime(2025, 1, 6, 9, 0, tzinfo=LOCAL_TZ)
LATER = "2030-01-01 00:00:00.000000"  # UTC, as SQLAlchemy stores it on SQLite


def seed(path: Path) -> tuple[App, FrozenClock]:
    """One worker with an undecided resignation submitted 2025-01-06 (case 1: RES-5 + decision reminder)."""
    clock = FrozenClock(START)
    app = build(fresh_sqlite(path), clock, migrate=True)
    a = app.admin
    a.add_district("DQ", "东区")
    a.add_street("DQ", "S1", "东华街道")
    a.add_community("S1", "C1", "东华社区", 10)
    a.add_user("party", "党工委", ["STREET_PARTY_COMMITTEE"], street="S1")
    w = a.add_worker({"id_number": make_id("11010519800101001"), "name": "工作者", "community": "C1",
                      "category": "PROFESSIONAL_SOCIAL_WORKER", "appointment_start": "2024-01-01",
                      "appointment_end": "2026-12-31"})
    a.add_user("w", "工作者", ["WORKER"], community="C1", worker_id=w)
    app.engine.open_case("resignation", "w", {"submitted_on": "2025-01-06", "written": True,
                                              "document_ref": "D"}, worker_id=w)
    return app, clock


def clone(path: Path, cases: int, copies: int = 1, due: str | None = None) -> None:
    """`cases - 1` copies of case 1, each with `copies` copies of case 1's deadline rows (RES-5 and the
    decision reminder); `due` moves every deadline to that instant (UTC, SQLite storage format)."""
    con = sqlite3.connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        case_cols = ",".join(c[1] for c in con.execute("PRAGMA table_info(cases)") if c[1] != "id")
        con.executemany(f"INSERT INTO cases ({case_cols}) SELECT {case_cols} FROM cases WHERE id = 1",
                        [()] * (cases - 1))
        cols = [c[1] for c in con.execute("PRAGMA table_info(deadlines)") if c[1] not in ("id", "case_id")]
        for _ in range(copies):
            con.execute(f"INSERT INTO deadlines (case_id, {','.join(cols)}) "
                        f"SELECT c.id, {','.join('d.' + c for c in cols)} "
                        f"FROM cases c JOIN deadlines d ON d.case_id = 1 WHERE c.id > 1")
        if due is not None:
            con.execute("UPDATE deadlines SET due_at = ?", (due,))
        con.commit()
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # seeding I/O is not part of what is measured
    finally:
        con.close()


def fire(n: int, folder: Path) -> None:
    path = folder / "deadlines-fire.db"
    app, clock = seed(path)
    clone(path, n)
    with app.db.read() as s:
        pending = s.deadline_rows(status="PENDING", kind=None, limit=10 * n)
    transitions = sum(1 for r in pending if r["kind"] == "transition")
    reminders = len(pending) - transitions
    clock.set(datetime(2025, 1, 20, 9, 0, tzinfo=LOCAL_TZ))  # the reminders are due, RES-5 not yet
    with Timer() as tr:
        sent = fire_due(app.engine).processed
    clock.set(datetime(2025, 3, 1, 9, 0, tzinfo=LOCAL_TZ))
    with Timer() as tt:
        fired = fire_due(app.engine).processed
    assert len(sent) == reminders
    assert len(fired) == transitions
    assert {f.outcome for f in sent + fired} == {"FIRED"}
    print(f"fire: {transitions:,} due transition deadlines (RES-5 mark_overdue) in {tt.seconds:.2f} s "
          f"= {transitions / tt.seconds:,.0f}/s")
    print(f"fire: {reminders:,} due reminders (outbox rows) in {tr.seconds:.2f} s "
          f"= {reminders / tr.seconds:,.0f}/s")
    app.db.engine.dispose()


def start(pending: int, folder: Path) -> tuple[float, float, float]:
    """Seconds from start to ready, tracemalloc peak (MiB) of the start, seconds of one idle sweep."""
    path = folder / f"deadlines-start-{pending}.db"
    app, clock = seed(path)
    copies = 10  # rows per cloned case: 2 × copies
    clone(path, pending // (2 * copies) + 1, copies, due=LATER)
    con = sqlite3.connect(path)
    count = con.execute("SELECT count(*) FROM deadlines WHERE status = 'PENDING'").fetchone()[0]
    con.close()
    assert count >= pending, count
    clock.set(datetime(2026, 1, 1, 9, 0, tzinfo=LOCAL_TZ))  # nothing due yet
    ds = DeadlineScheduler(app.engine, tick_seconds=30)
    tracemalloc.start()
    with Timer() as ready:
        caught_up = ds.start(paused=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    idle = []
    for _ in range(5):
        with Timer() as one:
            ds.sweep()
        idle.append(one.seconds)
    ds.stop()
    app.db.engine.dispose()
    assert caught_up == []
    return ready.seconds, peak / 2**20, sorted(idle)[len(idle) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fire", type=int, default=10_000, help="due deadlines of each kind to fire")
    parser.add_argument("--pending", type=int, default=100_000, help="pending deadlines for the start figure")
    parser.add_argument("--start-only", action="store_true", help="only the start figures (a clean peak RSS)")
    args = parser.parse_args()
    quiet_logs()
    folder = bench_dir()
    if not args.start_only:
        fire(args.fire, folder)
    for pending in (1_000, args.pending):
        seconds, peak, idle = start(pending, folder)
        print(f"start: {pending:,} pending → ready in {seconds * 1000:.1f} ms, peak Python memory of the "
              f"start {peak:.2f} MiB, one idle sweep (median of 5) {idle * 1000:.1f} ms")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (whole run, incl. seeding through the engine): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
