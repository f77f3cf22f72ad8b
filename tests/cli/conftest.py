"""CLI fixtures: `shequ` run in-process with click's CliRunner against temporary SQLite files (and, for the
end-to-end tests of tests/cli/e2e.py, PostgreSQL databases through `cli_db`).

The schema is created by the CLI itself (`shequ db upgrade`) once per session; a second template is
seeded through the CLI (org units, a worker in service, users); each test gets its own copy.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from engine.cli.main import cli
from tests.conftest import make_id

# The environment must not leak into tests (SHEQU_DB etc. would change what the CLI does).
CLEAN_ENV: dict[str, str | None] = {k: None for k in ("SHEQU_DB", "SHEQU_USER", "SHEQU_NOW", "SHEQU_LOG_JSON",
                                                     "SHEQU_DEBUG")}
WORKER_ID_NUMBER = make_id("11010519800101001")
WORKER_PHONE = "13812345678"


@dataclass
class Shequ:
    """`shequ --db <file>` with optional --as/--now/--json; helpers assert the exit code."""

    db: Path | str  # a SQLite file or any SQLAlchemy URL

    def run(self, *args: str, user: str | None = None, now: str | None = None, json_mode: bool = False,
            env: dict[str, str | None] | None = None) -> Result:
        argv = ["--db", str(self.db)]
        if user:
            argv += ["--as", user]
        if now:
            argv += ["--now", now]
        if json_mode:
            argv.append("--json")
        return CliRunner().invoke(cli, [*argv, *args], env={**CLEAN_ENV, **(env or {})})

    def ok(self, *args: str, **kwargs: Any) -> dict[str, Any]:
        """Run with --json; assert exit 0 and `ok: true`; return the parsed stdout."""
        result = self.run(*args, json_mode=True, **kwargs)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        data = json.loads(result.stdout)
        assert data["ok"] is True
        return data

    def fails(self, exit_code: int, *args: str, **kwargs: Any) -> dict[str, Any]:
        """Run with --json; assert the exit code and `ok: false`; return the error object."""
        result = self.run(*args, json_mode=True, **kwargs)
        assert result.exit_code == exit_code, (result.stdout, result.stderr)
        data = json.loads(result.stdout)
        assert data["ok"] is False
        return data["error"]

    def human(self, *args: str, **kwargs: Any) -> Result:
        result = self.run(*args, **kwargs)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result


def seed_world(sh: Shequ) -> None:
    """District DQ (streets S1, S2; communities C1, C2), worker #1 in service at C1, users for each role."""
    sh.ok("org", "district", "add", "DQ", "东区")
    sh.ok("org", "street", "add", "DQ", "S1", "东华街道")
    sh.ok("org", "street", "add", "DQ", "S2", "西园街道")
    sh.ok("org", "community", "add", "S1", "C1", "东华社区", "--staffing", "10")
    sh.ok("org", "community", "add", "S2", "C2", "西园社区", "--staffing", "8")
    sh.ok("worker", "add", "--id-number", WORKER_ID_NUMBER, "--name", "张三", "--community", "C1",
          "--category", "PROFESSIONAL_SOCIAL_WORKER", "--education", "本科", "--phone", WORKER_PHONE,
          "--appointment-start", "2024-01-01", "--appointment-end", "2026-12-31")
    sh.ok("user", "add", "zhang", "张三", "--role", "WORKER", "--community", "C1", "--worker", "1")
    sh.ok("user", "add", "s1_office", "东华街道办事处", "--role", "STREET_OFFICE", "--street", "S1")
    sh.ok("user", "add", "s1_party", "东华街道党工委", "--role", "STREET_PARTY_COMMITTEE", "--street", "S1")
    sh.ok("user", "add", "s2_party", "西园街道党工委", "--role", "STREET_PARTY_COMMITTEE", "--street", "S2")
    sh.ok("user", "add", "bureau", "东区民政局", "--role", "DISTRICT_CIVIL_AFFAIRS", "--district", "DQ")


@pytest.fixture(scope="session", name="cli_template")
def _cli_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-template") / "migrated.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "db", "upgrade"], env=CLEAN_ENV)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="session", name="world_template")
def _world_template(cli_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-world") / "world.db"
    shutil.copy(cli_template, path)
    seed_world(Shequ(path))
    return path


@pytest.fixture(name="sh")
def _sh(cli_template: Path, tmp_path: Path) -> Shequ:
    """A freshly migrated, empty database."""
    path = tmp_path / "shequ.db"
    shutil.copy(cli_template, path)
    return Shequ(path)


@pytest.fixture(name="world")
def _world(world_template: Path, tmp_path: Path) -> Shequ:
    """A database seeded by `seed_world`."""
    path = tmp_path / "world.db"
    shutil.copy(world_template, path)
    return Shequ(path)


SUBMIT = ("--set", "submitted_on=2025-01-06", "--set", "written=是", "--set", "document_ref=D1")


def open_resignation(sh: Shequ, *extra: str) -> dict[str, Any]:
    """Worker #1 submits a resignation on 2025-01-06 (case opened through the CLI)."""
    return sh.ok("case", "open", "resignation", "--worker", "1", *SUBMIT, *extra, user="zhang",
                 now="2025-01-06")


@pytest.fixture(scope="session", name="cli_built_templates")
def _cli_built_templates() -> dict[tuple[str, Any], str]:
    return {}


@pytest.fixture(name="cli_db")
def _cli_db(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path,
            cli_built_templates: dict[tuple[str, Any], str]) -> Iterator[Any]:
    """Templates and per-test copies on this test's database (tests/cli/e2e.py `CliDatabases`)."""
    from tests.cli.e2e import CliDatabases  # e2e imports this module

    databases = CliDatabases(db_backend, request, tmp_path, cli_built_templates)
    yield databases
    databases.close()
