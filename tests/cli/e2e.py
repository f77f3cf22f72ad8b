"""Helpers shared by the end-to-end CLI tests of each procedure (`tests/cli/test_e2e_*.py`).

Everything goes through the `shequ` CLI (`tests.cli.conftest.Shequ`), on SQLite and on PostgreSQL (the
modules match `BOTH_DATABASES` in tests/conftest.py; ids `[sqlite]`/`[postgresql]`). A module declares the
database states its tests start from as `Template`s (a seed run through the CLI on a copy of a base
template, `WORLD` by default); the `cli_db` fixture (tests/cli/conftest.py) builds each one once per session
and backend and gives every test its own copy (`cli_db.copy(TEMPLATE)`). A rejection is checked with
`assert_rejected`: exit code, stable error code, citation in the Chinese message, and the case unchanged
(`case show --json` version and state, `audit show --json` length).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Shequ, seed_world
from tests.support.postgres import Server


@dataclass(frozen=True)
class Template:
    """A database state tests start from: `seed` (CLI commands; given a scratch folder for data files) run
    on a copy of `base` (None: the migrated, empty database)."""

    name: str
    seed: Callable[[Shequ, Path], None] = field(compare=False)
    base: Template | None = None


WORLD = Template("world", lambda sh, _work: seed_world(sh))


@dataclass
class CliDatabases:
    """The databases of one test on its backend. SQLite: template files, and a copy in the test's folder;
    PostgreSQL: template databases on the session's server, and a copy made with `CREATE DATABASE … TEMPLATE`
    (tens of milliseconds), dropped by `close()` after the test. `built` is the session's cache of templates
    by (backend, template)."""

    backend: str
    request: pytest.FixtureRequest
    tmp_path: Path
    built: dict[tuple[str, Template], str]
    _copies: list[str] = field(default_factory=list)

    @property
    def _server(self) -> Server:
        server: Server = self.request.getfixturevalue("pg_server")
        return server

    def template(self, template: Template) -> str:
        """The SQLite file or PostgreSQL database name of `template`, built on first use."""
        key = (self.backend, template)
        if key not in self.built:
            if template.base is not None:
                base = self.template(template.base)
            elif self.backend == "sqlite":
                base = str(self.request.getfixturevalue("cli_template"))
            else:
                base = str(self.request.getfixturevalue("pg_template"))
            factory: pytest.TempPathFactory = self.request.getfixturevalue("tmp_path_factory")
            work = factory.mktemp(f"{template.name}-{self.backend}")
            if self.backend == "sqlite":
                path = work / f"{template.name}.db"
                shutil.copy(base, path)
                template.seed(Shequ(path), work)
                self.built[key] = str(path)
            else:
                url = self._server.create("cli", template=base)
                template.seed(Shequ(url), work)
                self.built[key] = url.rsplit("/", 1)[1]
        return self.built[key]

    def copy(self, template: Template) -> Shequ:
        """This test's own copy of `template`."""
        source = self.template(template)
        if self.backend == "sqlite":
            path = self.tmp_path / f"{template.name}.db"
            shutil.copy(source, path)
            return Shequ(path)
        url = self._server.create("cli", template=source)
        self._copies.append(url)
        return Shequ(url)

    def close(self) -> None:
        while self._copies:
            self._server.drop(self._copies.pop())


def data_file(tmp_path: Path, name: str, payload: Any) -> str:
    """Write `payload` as UTF-8 JSON and return the `@path` argument for `--data` or `--set key=@path`."""
    path = tmp_path / name
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return f"@{path}"


def sets(**values: Any) -> tuple[str, ...]:
    """`--set key=value` arguments for each keyword (values as the user types them)."""
    out: list[str] = []
    for key, value in values.items():
        out += ["--set", f"{key}={value}"]
    return tuple(out)


@dataclass(frozen=True)
class Mark:
    """What a rejected command must leave unchanged: the case's version and state, the number of cases and
    the audit trail."""

    version: int
    state: str
    cases: int
    audit_entries: int


def mark(sh: Shequ, case_id: int | None) -> Mark:
    """The case's version and state (0/"" when there is no case yet), the number of cases and of audit
    entries."""
    entries = len(sh.ok("audit", "show")["entries"])
    cases = len(sh.ok("case", "list")["cases"])
    if case_id is None:
        return Mark(0, "", cases, entries)
    case = sh.ok("case", "show", str(case_id))["case"]
    return Mark(case["version"], case["state"], cases, entries)


def case_state(sh: Shequ, case_id: int) -> str:
    return str(sh.ok("case", "show", str(case_id))["case"]["state"])


def case_data(sh: Shequ, case_id: int) -> dict[str, Any]:
    """The case's recorded data by field name (as `case show --json` lists it)."""
    return {d["name"]: d["value"] for d in sh.ok("case", "show", str(case_id))["data"]}


def assert_rejected(
    sh: Shequ,
    exit_code: int,
    code: str,
    *args: str,
    case_id: int | None = None,
    cite: str | None = None,
    user: str | None = None,
    now: str | None = None,
) -> dict[str, Any]:
    """Run a command that must be refused: exit code, error code (the first failure's or any listed one),
    the citation inside the Chinese message, and nothing written (case and audit trail unchanged).
    Returns the JSON error object."""
    before = mark(sh, case_id)
    error = sh.fails(exit_code, *args, user=user, now=now)
    failures = [f["code"] for f in (error.get("details") or {}).get("failures", [])]
    assert code == error["code"] or code in failures, (code, error)
    if cite is not None:
        assert cite in error["message"], (cite, error["message"])
    assert mark(sh, case_id) == before, "a rejected command changed the case or the audit trail"
    return error
