"""Least privilege on PostgreSQL (issue 6): `shequ db roles` sets up an owner and an application role; the
application runs the engine (appends audit entries, moves the head) but cannot UPDATE, DELETE or TRUNCATE
audit entries, nor rewind or re-point the audit head, nor change the schema."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from engine.app import build
from engine.audit import verify
from engine.cli.main import cli
from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from notifications.dispatch import dispatch_due
from tests.pg.conftest import ROOT
from tests.support.postgres import Server, conninfo, find_bindir
from tests.support.seed import SUBMIT, id_number

_names = itertools.count()
PASSWORD = "s3cret-pw"


def shequ(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--json", *args], env={"SHEQU_DB": None, **(env or {})})


def as_role(url: str, role: str) -> str:
    """The same database, logged in as `role` (the throwaway cluster trusts loopback; a server checks it)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}:{PASSWORD}@{rest.split('@', 1)[1]}"


@pytest.fixture(name="roles")
def _roles(pg_server: Server, db_url: str) -> tuple[str, str]:
    """Two role names of this test; dropped at the end of the session (roles belong to the whole server)."""
    n = next(_names)
    owner, app = f"{pg_server.prefix}owner{n}", f"{pg_server.prefix}app{n}"
    pg_server.forget_roles_later(owner, app)
    return owner, app


@pytest.fixture(name="granted")
def _granted(db_url: str, roles: tuple[str, str]) -> tuple[str, str]:
    """`shequ db roles` run as the superuser on the test's migrated database: (owner URL, application URL)."""
    owner, app = roles
    env = {"OWNER_PW": PASSWORD, "APP_PW": PASSWORD}
    result = shequ("--db", db_url, "db", "roles", "--owner", owner, "--app", app,
                   "--owner-password-env", "OWNER_PW", "--app-password-env", "APP_PW", env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["created"], data["passwords_set"]) == ([owner, app], [owner, app])
    return as_role(db_url, owner), as_role(db_url, app)


def _world_as(url: str) -> tuple[Any, int]:
    """The application role sets up a district and opens, then approves, a resignation through the engine."""
    app = build(url, FrozenClock(datetime(2025, 1, 6, 9, 0, tzinfo=LOCAL_TZ)))
    a = app.admin
    a.add_district("DQ", "东区")
    a.add_street("DQ", "S1", "东华街道")
    a.add_community("S1", "C1", "东华社区", 10)
    a.add_user("s1_party", "东华街道党工委", ["STREET_PARTY_COMMITTEE"], street="S1")
    worker = a.add_worker({"id_number": id_number(0), "name": "工作者0", "community": "C1",
                           "appointment_start": "2024-01-01"})
    a.add_user("w0", "工作者0", ["WORKER"], community="C1", worker_id=worker)
    case_id = app.engine.open_case("resignation", "w0", SUBMIT, worker_id=worker).case_id
    app.engine.fire(case_id, "approve", "s1_party", {"decided_on": "2025-01-06", "minutes_ref": "M1"})
    return app, case_id


@pytest.mark.parametrize("statement", [
    pytest.param("UPDATE audit_entries SET action = 'edited' WHERE seq = 1", id="AUD-update-entry"),
    pytest.param("DELETE FROM audit_entries WHERE seq = (SELECT max(seq) FROM audit_entries)",
                 id="AUD-delete-entry"),
    pytest.param("TRUNCATE audit_entries", id="AUD-truncate"),
    pytest.param("UPDATE audit_head SET id = 2", id="AUD-rekey-head"),
    pytest.param("DELETE FROM audit_head", id="AUD-delete-head"),
    pytest.param("INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, 'x')", id="AUD-second-head"),
    pytest.param("TRUNCATE cases", id="truncate-any-table"),
    pytest.param("DROP TABLE outbox", id="no-ddl"),
    pytest.param("UPDATE alembic_version SET version_num = 'x'", id="no-migration-table"),
])
def test_the_application_role_cannot_rewrite_history(granted: tuple[str, str], statement: str) -> None:
    """Each statement is refused for lack of privilege, and the chain still verifies afterwards."""
    app_url = granted[1]
    app, _case = _world_as(app_url)
    try:
        with psycopg.connect(conninfo(app_url)) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
        with app.db.read() as s:
            assert verify(s.audit_entries(), *s.audit_head()).ok
    finally:
        app.db.engine.dispose()


@pytest.mark.parametrize("statement", [
    pytest.param("UPDATE audit_head SET seq = seq - 1", id="AUD-rewind-head"),
    pytest.param("UPDATE audit_head SET hash = repeat('0', 64)", id="AUD-repoint-head"),
    pytest.param("UPDATE audit_head SET seq = seq + 1", id="AUD-head-past-the-last-entry"),
])
def test_the_head_only_moves_onto_the_entry_just_appended(granted: tuple[str, str], statement: str) -> None:
    """The application may move the head (every append does), but the trigger refuses any other move."""
    app_url = granted[1]
    app, _case = _world_as(app_url)
    try:
        with psycopg.connect(conninfo(app_url)) as conn, \
                pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="audit head"):
            conn.execute(statement)
    finally:
        app.db.engine.dispose()


def test_the_application_role_runs_the_engine(granted: tuple[str, str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """As the application: admin records, a case opened and approved, its deadline fired, notifications
    delivered, the chain verified."""
    app_url = granted[1]
    app, case_id = _world_as(app_url)
    monkeypatch.setenv("SHEQU_NOTIFY_DIR", str(tmp_path / "notices"))
    try:
        app.clock.advance(timedelta(days=40))  # type: ignore[attr-defined]
        assert [f.outcome for f in fire_due(app.engine)] == ["FIRED"]
        assert dispatch_due(app).delivered > 0
        with app.db.read() as s:
            assert s.get_case(case_id).state == "EFFECTIVE"
            assert {o.status for o in s.outbox()} == {"DELIVERED"}
            assert verify(s.audit_entries(), *s.audit_head()).ok
    finally:
        app.db.engine.dispose()
    result = shequ("--db", app_url, "audit", "verify")
    assert result.exit_code == 0, result.output


def test_the_owner_owns_the_schema_and_reruns_are_idempotent(db_url: str, roles: tuple[str, str],
                                                             granted: tuple[str, str]) -> None:
    """Every table belongs to the owner, who can run migrations; a second run creates nothing new."""
    owner, app = roles
    with psycopg.connect(conninfo(db_url)) as conn:
        owners = {r[0] for r in conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")}
    assert owners == {owner}
    assert shequ("--db", granted[0], "db", "upgrade").exit_code == 0
    again = shequ("--db", db_url, "db", "roles", "--owner", owner, "--app", app)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["created"] == []


def test_roles_need_a_migrated_postgresql_database(pg_server: Server, tmp_path: os.PathLike[str]) -> None:
    """On SQLite, or before `db upgrade`, the command refuses with a usage error (exit 2)."""
    sqlite = shequ("--db", f"sqlite:///{tmp_path}/x.db", "db", "roles")
    assert (sqlite.exit_code, json.loads(sqlite.stdout)["error"]["code"]) == (2, "DB_ROLES_POSTGRESQL_ONLY")
    empty = pg_server.create("unmigrated")
    try:
        result = shequ("--db", empty, "db", "roles", "--owner", "x_owner_never", "--app", "x_app_never")
        assert (result.exit_code, json.loads(result.stdout)["error"]["code"]) == (2, "DB_ROLES_NOT_MIGRATED")
    finally:
        pg_server.drop(empty)
    bad = shequ("db", "roles", "--owner", "Robert'); DROP", "--print")
    assert (bad.exit_code, json.loads(bad.stdout)["error"]["code"]) == (2, "DB_ROLES_NAME_INVALID")


def test_the_sql_file_runs_with_psql(db_url: str, roles: tuple[str, str]) -> None:
    """The documented psql command (`psql -v owner=… -v app=… -f storage/sql/roles.sql`) does the same."""
    bindir = find_bindir()
    if bindir is None or not (bindir / "psql").exists():
        pytest.skip("psql not installed (the server is external)")
    owner, app = roles
    argv = [str(bindir / "psql"), conninfo(db_url), "-X", "-q", "-v", "ON_ERROR_STOP=1",
            "-v", f"owner={owner}", "-v", f"app={app}", "-f", str(ROOT / "storage/sql/roles.sql")]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    with psycopg.connect(conninfo(db_url)) as conn:
        grants = {r[0] for r in conn.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = 'audit_entries' AND grantee = %s", (app,))}
    assert grants == {"SELECT", "INSERT"}
