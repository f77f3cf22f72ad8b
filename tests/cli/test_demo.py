"""`make run` is `shequ demo --fresh`: the guided story must run to its end on a fresh file, every time."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.cli.main import cli
from tests.cli.conftest import CLEAN_ENV


def _shequ(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], env=CLEAN_ENV)
    return result.exit_code, result.stdout


def test_demo_runs_every_procedure_to_its_end_and_the_audit_chain_verifies(tmp_path: Path) -> None:
    """The demo exits 0, leaves each procedure in its expected final state and an intact audit chain."""
    db = tmp_path / "demo.db"
    code, out = _shequ(db, "demo", "--fresh")
    assert code == 0, out
    code, listed = _shequ(db, "--json", "case", "list")
    assert code == 0
    states = [(c["procedure"], c["state"]) for c in json.loads(listed)["cases"]]
    assert ("resignation", "CLOSED") in states
    assert ("exam_candidate", "APPOINTED") in states
    assert ("dismissal", "TERMINATED") in states
    assert ("assessment_rehiring", "REHIRED") in states
    assert ("assessment_rehiring", "NOT_REHIRED") in states  # the failed vote (RH-1, RH-3)
    code, verified = _shequ(db, "--json", "audit", "verify")
    assert code == 0
    assert json.loads(verified)["ok"] is True


def test_demo_delivers_every_notification_to_the_file_channel(tmp_path: Path) -> None:
    """The demo prints the publicity notice and ends with every outbox row delivered, as files beside the
    database."""
    db = tmp_path / "demo.db"
    code, out = _shequ(db, "demo", "--fresh")
    assert code == 0, out
    assert "社区工作者考核聘用公示" in out
    assert "公示期：2026年11月16日至2026年11月22日" in out
    code, listed = _shequ(db, "--json", "notify", "list")
    rows = json.loads(listed)["notifications"]
    assert code == 0
    assert rows
    assert {r["status"] for r in rows} == {"DELIVERED"}
    files = [p for p in (tmp_path / "shequ-notices").rglob("*") if p.is_file()]
    assert len(files) >= len(rows)


def test_demo_clock_only_moves_forward(tmp_path: Path) -> None:
    """The story is told in calendar order: audit entries are in non-decreasing clock time."""
    db = tmp_path / "demo.db"
    assert _shequ(db, "demo", "--fresh")[0] == 0
    code, shown = _shequ(db, "--json", "audit", "show", "--limit", "1000")
    assert code == 0, shown
    times = [e["at"] for e in json.loads(shown)["entries"]]
    assert len(times) > 50
    assert times == sorted(times)


def test_demo_refuses_to_overwrite_an_existing_file_without_fresh(tmp_path: Path) -> None:
    """Without --fresh an existing demo database is kept and the demo stops with a usage error."""
    db = tmp_path / "demo.db"
    db.write_bytes(b"keep me")
    code, _ = _shequ(db, "demo")
    assert code == 2
    assert db.read_bytes() == b"keep me"
