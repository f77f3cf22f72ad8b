"""PostgreSQL-only tests (multi-process scheduling, races, roles): every test here runs on the session's
PostgreSQL server (tests/conftest.py `pg_server`) and carries the `postgresql` marker; `db_url`, `app` and
`world` give a fresh migrated PostgreSQL database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture(name="db_backend")
def _db_backend() -> str:
    return "postgresql"


def shequ(url: str, *args: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`shequ --db URL ARGS…` as a child process (its environment without our SHEQU_*, output unbuffered),
    stdout and stderr appended to `log`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    clean["PYTHONUNBUFFERED"] = "1"
    argv = [sys.executable, "-c", "from engine.cli.main import main; main()", "--db", url, *args]
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(argv, cwd=ROOT, env={**clean, **(env or {})}, stdout=out,
                                stderr=subprocess.STDOUT)


def wait_until(what: Callable[[], bool], timeout: float, procs: list[subprocess.Popen[bytes]] | None = None,
               every: float = 0.1) -> None:
    """Poll `what` until true; fail on timeout or when one of `procs` has exited."""
    end = time.monotonic() + timeout
    while not what():
        for p in procs or []:
            assert p.poll() is None, f"child exited early with {p.returncode}"
        assert time.monotonic() < end, "timed out"
        time.sleep(every)


def terminate(procs: list[subprocess.Popen[bytes]], timeout: float = 60) -> list[int]:
    """SIGTERM each child and wait for it; a child that does not stop is killed (and reported as such)."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            p.kill()
            codes.append(p.wait())
    return codes


@pytest.fixture(name="children")
def _children() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Child processes a test starts; any still running at the end is killed."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
