"""Real `shequ scheduler run --tick 0.2` processes on a temporary SQLite file (issue 3): a process killed with
SIGKILL and restarted, and two processes on one database, fire every due deadline exactly once; SIGTERM stops
a process cleanly (exit 0).

The processes run on the real clock, so the deadlines are created already due: resignations submitted on
2025-01-06 (through the engine with a FrozenClock) carry a reminder due 2025-01-13 and RES-5 due 2025-02-07.
The tests wait for the processes to work through them (polling the database), never for a deadline.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from engine.app import build
from engine.audit import verify
from engine.clock import LOCAL_TZ, FrozenClock
from tests.conftest import make_id

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2025, 1, 6, 9, 0, tzinfo=LOCAL_TZ)
TIMEOUT = 20.0
WORKERS = 100
LOGS: dict[int, Path] = {}  # pid → the process's log (stdout and stderr)

pytestmark = pytest.mark.slow


def seed(path: Path, workers: int) -> list[int]:
    """A district with `workers` workers in service, each with an undecided resignation: 2 due deadlines each
    (the decision reminder and RES-5) once the real clock is past February 2025."""
    app = build(f"sqlite:///{path}", FrozenClock(START), migrate=True)
    try:
        a = app.admin
        a.add_district("DQ", "东区")
        a.add_street("DQ", "S1", "东华街道")
        a.add_community("S1", "C1", "东华社区", 1000)
        a.add_user("s1_party", "东华街道党工委", ["STREET_PARTY_COMMITTEE"], street="S1")
        cases = []
        for i in range(workers):
            worker = a.add_worker({"id_number": make_id(f"11010519800101{i:03d}"), "name": f"工作者{i}",
                                   "community": "C1", "category": "PROFESSIONAL_SOCIAL_WORKER",
                                   "appointment_start": "2024-01-01", "appointment_end": "2026-12-31"})
            a.add_user(f"w{i}", f"工作者{i}", ["WORKER"], community="C1", worker_id=worker)
            payload = {"submitted_on": "2025-01-06", "written": True, "document_ref": f"D{i}"}
            cases.append(app.engine.open_case("resignation", f"w{i}", payload, worker_id=worker).case_id)
        return cases
    finally:
        app.db.engine.dispose()


@pytest.fixture(scope="module", name="seeded")
def _seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    """One seeded database per module (100 workers → 200 due deadlines), copied for each test."""
    path = tmp_path_factory.mktemp("seeded") / "seeded.db"
    return path, seed(path, WORKERS)


def copy(seeded: tuple[Path, list[int]], target: Path) -> list[int]:
    shutil.copy(seeded[0], target)
    return seeded[1]


def fired_in_log(path: Path) -> int:
    """The number of deadlines a process reports it fired (its stop line)."""
    found = re.findall(r"执行 (\d+) 个期限", path.read_text(encoding="utf-8"))
    assert found, path.read_text(encoding="utf-8")[-2000:]
    return int(found[-1])


def scheduler(path: Path, name: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    env["SHEQU_NOTIFY_DIR"] = str(path.parent / f"notices-{name}")
    argv = [sys.executable, "-c", "from engine.cli.main import main; main()", "--db", str(path), "scheduler",
            "run", "--tick", "0.2"]
    with (path.parent / f"{name}.log").open("wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    LOGS[proc.pid] = path.parent / f"{name}.log"
    return proc


def counts(path: Path) -> Counter[str]:
    app = build(f"sqlite:///{path}", FrozenClock(START))
    try:
        with app.db.read() as s:
            return Counter(r["status"] for r in s.deadline_rows(kind=None, limit=100_000))
    finally:
        app.db.engine.dispose()


def wait_until(what: Callable[[], bool], procs: list[subprocess.Popen[bytes]]) -> None:
    end = time.monotonic() + TIMEOUT
    while not what():
        for p in procs:
            assert p.poll() is None, f"scheduler exited early with {p.returncode}"
        assert time.monotonic() < end, "timed out waiting for the schedulers"
        time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes], *, signalled: bool = False) -> int:
    """SIGTERM (unless already sent) and the exit code. A process that does not stop in time is asked for its
    threads' stacks (SIGUSR1, faulthandler: they land in its log), killed so it outlives no test, and reported
    with its log."""
    if not signalled:  # a second SIGTERM after the handler was restored would kill it (-15)
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)  # not a deadline: time for the stack dump to be written
        proc.kill()
        proc.wait()
        log = LOGS[proc.pid]
        pytest.fail(f"scheduler did not stop within {TIMEOUT} s of SIGTERM; its log ends:\n"
                    f"{log.read_text(encoding='utf-8', errors='replace')[-6000:]}")


def stop_all(procs: list[subprocess.Popen[bytes]]) -> list[int]:
    """SIGTERM to all at once, then each exit code; none is left running even when one fails to stop."""
    for p in procs:
        p.send_signal(signal.SIGTERM)
    try:
        return [stop(p, signalled=True) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def assert_each_fired_exactly_once(path: Path, cases: list[int]) -> None:
    """Every deadline FIRED once (due and fired instants recorded); one RES-5 audit entry per case; one
    reminder outbox row per case and recipient; the audit chain intact."""
    app = build(f"sqlite:///{path}", FrozenClock(START))
    try:
        with app.db.read() as s:
            rows = s.deadline_rows(kind=None, limit=100_000)
            assert len(rows) == 2 * len(cases)
            assert {r["status"] for r in rows} == {"FIRED"}
            assert all(r["fired_at"] >= r["due_at"] for r in rows)
            overdue = Counter(e.case_id for e in s.audit_entries() if e.action == "mark_overdue")
            assert overdue == Counter(dict.fromkeys(cases, 1))
            reminders = Counter((o.case_id, o.recipient) for o in s.outbox()
                                if o.kind == "reminder.decision_pending")
            assert reminders == Counter({(c, "STREET_PARTY_COMMITTEE"): 1 for c in cases})
            assert all(s.get_case(c).data.get("overdue") is True for c in cases)
            assert verify(s.audit_entries(), *s.audit_head()).ok
    finally:
        app.db.engine.dispose()


def test_killed_and_restarted_scheduler_fires_every_due_deadline_exactly_once(
        tmp_path: Path, seeded: tuple[Path, list[int]]) -> None:
    """SIGKILL mid catch-up loses nothing and duplicates nothing: the restarted process finishes the rest."""
    path = tmp_path / "killed.db"
    cases = copy(seeded, path)
    first = scheduler(path, "first")
    try:
        wait_until(lambda: counts(path)["FIRED"] >= 5, [first])
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=TIMEOUT)
    assert first.returncode == -signal.SIGKILL
    assert counts(path)["PENDING"] > 0  # killed part-way: the restart has work to do
    second = scheduler(path, "second")
    try:
        wait_until(lambda: counts(path)["PENDING"] == 0, [second])
    finally:
        code = stop(second)
    assert code == 0
    assert_each_fired_exactly_once(path, cases)
    assert "调度器已停止" in (tmp_path / "second.log").read_text(encoding="utf-8")


def test_two_schedulers_on_one_database_fire_each_deadline_exactly_once(
        tmp_path: Path, seeded: tuple[Path, list[int]]) -> None:
    """Two processes sweeping the same rows at once: each deadline is claimed and fired by one of them, and
    the counts the two report add up to the number of deadlines."""
    path = tmp_path / "shared.db"
    cases = copy(seeded, path)
    procs = [scheduler(path, "a"), scheduler(path, "b")]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    try:
        wait_until(lambda: counts(path)["PENDING"] == 0, procs)
        # One process may sweep everything while the other is still starting: SIGTERM before its handler is
        # installed (the start line is printed after) would kill it (-15) instead of stopping it.
        wait_until(lambda: all("调度器已启动" in log.read_text(encoding="utf-8") for log in logs), procs)
    finally:
        codes = stop_all(procs)
    assert codes == [0, 0]
    assert_each_fired_exactly_once(path, cases)
    assert fired_in_log(tmp_path / "a.log") + fired_in_log(tmp_path / "b.log") == 2 * len(cases)
