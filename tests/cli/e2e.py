"""Helpers shared by the end-to-end CLI tests of each procedure (`tests/cli/test_e2e_*.py`).

Everything goes through the `shequ` CLI (`tests.cli.conftest.Shequ`): a module builds its seeded template
database once (`build_template`), each test works on a copy (`copy_of`), and a rejection is checked with
`assert_rejected`: exit code, stable error code, citation in the Chinese message, and the case unchanged
(`case show --json` version and state, `audit show --json` length).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Shequ


def build_template(
    factory: pytest.TempPathFactory, base: Path, name: str, seed: Callable[[Shequ], None]
) -> Path:
    """A copy of `base` seeded by `seed` through the CLI: the template of one test module."""
    path = factory.mktemp(name) / f"{name}.db"
    shutil.copy(base, path)
    seed(Shequ(path))
    return path


def copy_of(template: Path, tmp_path: Path) -> Shequ:
    """A test's own copy of a template database."""
    path = tmp_path / "e2e.db"
    shutil.copy(template, path)
    return Shequ(path)


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
