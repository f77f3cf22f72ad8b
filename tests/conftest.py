"""Shared fixtures: a frozen clock, a migrated database per test (copied from a template that is migrated once
per session), and a small district with users for every role.

Databases (docs/POSTGRESQL.md, "Tests"): `db_url` is a SQLite file, and for the tests matching
`BOTH_DATABASES` it is parametrized over SQLite and PostgreSQL (test ids `[sqlite]`, `[postgresql]`; the
PostgreSQL ones carry the `postgresql` marker: `-m "not postgresql"` leaves them out). Each PostgreSQL test
gets a fresh database made from a migrated template (`CREATE DATABASE … TEMPLATE`), dropped afterwards. The
server is a throwaway local cluster started on first use and removed at the end of the session
(tests/support/postgres.py), or the one `SHEQU_TEST_PG_URL` names. Without PostgreSQL the tests are skipped,
loudly; with `CI` set they fail.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from engine.app import App, build
from engine.clock import LOCAL_TZ, FrozenClock
from engine.idcard import check_digit
from storage.db import make_engine
from storage.migrate import upgrade
from tests.support.postgres import ENV_URL, Server

# Tests run on both databases: every storage test and every procedure end-to-end test, through the engine and
# through the CLI (paths relative to the repository, fnmatch patterns). The rest runs on SQLite only, to keep
# `make test` short.
BOTH_DATABASES = (
    "tests/storage/*",
    "tests/workflows/test_*_procedure.py",
    "tests/engine/test_resignation_smoke.py",
    "tests/cli/test_e2e_*.py",
)
BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql))
# Issue 4: the session's logs, rendered notifications and CLI output are scanned for identifiers in clear.
pytest_plugins = ("tests.support.leaks",)
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PG_UNAVAILABLE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs against PostgreSQL (a throwaway local cluster or "
                                       f"{ENV_URL})")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `db_backend` over both databases for the tests of BOTH_DATABASES that use a database."""
    if "db_backend" not in metafunc.fixturenames:
        return
    path = os.path.relpath(str(metafunc.definition.path), _ROOT)
    if any(fnmatch.fnmatch(path, pattern) for pattern in BOTH_DATABASES):
        metafunc.parametrize("db_backend", BACKENDS, indirect=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _PG_UNAVAILABLE:
        terminalreporter.write_line(f"WARNING: PostgreSQL tests skipped: {_PG_UNAVAILABLE[0]}", yellow=True,
                                    bold=True)


@pytest.fixture(scope="session", name="pg_server")
def _pg_server() -> Iterator[Server]:
    """The PostgreSQL server of this session (started on first use, stopped and removed at the end)."""
    try:
        server = Server.start()
    except FileNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} — CI must run the PostgreSQL tests", pytrace=False)
        _PG_UNAVAILABLE.append(str(exc))
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session", name="pg_template")
def _pg_template(pg_server: Server) -> str:
    """Name of a migrated PostgreSQL database that per-test databases are copied from."""
    url = pg_server.create("template")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url.rsplit("/", 1)[1]


@pytest.fixture(name="db_backend")
def _db_backend(request: pytest.FixtureRequest) -> str:
    """`sqlite` or `postgresql` (see BOTH_DATABASES); SQLite unless parametrized."""
    return str(getattr(request, "param", "sqlite"))


def make_id(prefix17: str) -> str:
    """A valid GB 11643 ID number from its first 17 digits."""
    return prefix17 + check_digit(prefix17)


@pytest.fixture(scope="session", name="template_db")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(name="db_url")
def _db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own for this test."""
    if db_backend == "sqlite":
        path = tmp_path / "shequ.db"
        shutil.copy(request.getfixturevalue("template_db"), path)
        yield f"sqlite:///{path}"
        return
    server: Server = request.getfixturevalue("pg_server")
    url = server.create("test", template=request.getfixturevalue("pg_template"))
    yield url
    server.drop(url)


@pytest.fixture(name="empty_db_url")
def _empty_db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema) of its own for this test."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: Server = request.getfixturevalue("pg_server")
    url = server.create("empty")
    yield url
    server.drop(url)


@pytest.fixture(name="clock")
def _clock() -> FrozenClock:
    return FrozenClock(datetime(2025, 1, 6, 9, 0, tzinfo=LOCAL_TZ))


@pytest.fixture(name="app")
def _app(db_url: str, clock: FrozenClock) -> Iterator[App]:
    app = build(db_url, clock)
    yield app
    app.db.engine.dispose()


@dataclass
class World:
    """Handles of the seeded district: user logins by role and a worker in service."""

    app: App
    worker_id: int
    worker_login: str
    community: str
    street: str


@pytest.fixture(name="world")
def _world(app: App) -> World:
    a = app.admin
    a.add_district("DQ", "东区")
    a.add_street("DQ", "S1", "东华街道")
    a.add_street("DQ", "S2", "西园街道")
    a.add_community("S1", "C1", "东华社区", 10)
    a.add_community("S2", "C2", "西园社区", 8)
    worker = a.add_worker({"id_number": make_id("11010519800101001"), "name": "张三", "community": "C1",
                           "category": "PROFESSIONAL_SOCIAL_WORKER", "education": "本科",
                           "appointment_start": "2024-01-01", "appointment_end": "2026-12-31"})
    a.add_user("zhang", "张三", ["WORKER"], community="C1", worker_id=worker)
    a.add_user("s1_office", "东华街道办事处", ["STREET_OFFICE"], street="S1")
    a.add_user("s1_party", "东华街道党工委", ["STREET_PARTY_COMMITTEE"], street="S1")
    a.add_user("s2_office", "西园街道办事处", ["STREET_OFFICE"], street="S2")
    a.add_user("s2_party", "西园街道党工委", ["STREET_PARTY_COMMITTEE"], street="S2")
    a.add_user("bureau", "东区民政局", ["DISTRICT_CIVIL_AFFAIRS"], district="DQ")
    a.add_user("c1", "东华社区", ["COMMUNITY"], community="C1")
    a.add_user("objector", "居民", ["OBJECTOR"])
    return World(app, worker, "zhang", "C1", "S1")
