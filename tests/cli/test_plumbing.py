"""CLI plumbing: exit codes of usage and unexpected errors, logging to stderr, time and payload parsing,
and the completeness of the CLI's text catalog."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from engine import text
from engine.cli.params import build_payload, parse_instant
from engine.clock import LOCAL_TZ
from engine.errors import InvalidInput
from tests.cli.conftest import SUBMIT, Shequ

ROOT = Path(__file__).resolve().parents[2]


def test_unknown_command_is_usage_error_exit_2(sh: Shequ) -> None:
    """An unknown command exits 2 with a Chinese usage message (JSON error in --json mode)."""
    human = sh.run("case", "frobnicate")
    assert human.exit_code == 2
    assert human.stderr.startswith("错误 [USAGE]: 命令用法有误")
    assert sh.fails(2, "case", "frobnicate")["code"] == "USAGE"


def test_bad_now_is_usage_error(sh: Shequ) -> None:
    """An unparseable --now is a usage error (exit 2) quoting the value."""
    result = sh.run("case", "list", now="yesterday")
    assert result.exit_code == 2
    assert "yesterday" in result.stderr


def test_help_is_chinese_and_exit_0(sh: Shequ) -> None:
    """`--help` exits 0 and describes the commands in Chinese."""
    result = sh.run("case", "--help")
    assert result.exit_code == 0
    assert "预览案件当前可执行的操作" in result.stdout


def test_unexpected_exception_is_exit_1_without_traceback(sh: Shequ, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception exits 1 with a short Chinese message; the traceback only comes with --debug."""
    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("engine.queries.org_tree", boom)
    result = sh.run("org", "list")
    assert result.exit_code == 1
    assert "内部错误（RuntimeError）" in result.stderr
    assert "Traceback" not in result.stderr
    debug = sh.run("--debug", "org", "list")
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr
    assert "kaboom" in debug.stderr
    assert sh.fails(1, "org", "list")["code"] == "INTERNAL"


def test_logs_are_quiet_by_default_and_go_to_stderr_when_verbose(world: Shequ) -> None:
    """Engine logs are silent by default; with --verbose they go to stderr and --json stdout stays clean."""
    quiet = world.run("case", "open", "resignation", "--worker", "1", *SUBMIT, user="zhang", now="2025-01-06")
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    loud = world.run("--verbose", "case", "withdraw", "1", "--set", "withdrawn_on=2025-01-06", user="zhang",
                     now="2025-01-06", json_mode=True)
    assert loud.exit_code == 0
    assert json.loads(loud.stdout)["state"] == "WITHDRAWN"
    assert "transition_applied" in loud.stderr


def test_json_logs_with_env(world: Shequ) -> None:
    """SHEQU_LOG_JSON=1 renders each log line as a JSON object on stderr."""
    result = world.run("--verbose", "case", "open", "resignation", "--worker", "1", *SUBMIT, user="zhang",
                       now="2025-01-06", env={"SHEQU_LOG_JSON": "1"})
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(e.get("event") == "transition_applied" and e.get("case_id") == 1 for e in events)


@pytest.mark.parametrize(("raw", "expected"), [
    pytest.param("2025-01-06", datetime(2025, 1, 6, 9, 0, tzinfo=LOCAL_TZ), id="bare-date-is-0900-shanghai"),
    pytest.param("2025-01-06T10:30", datetime(2025, 1, 6, 10, 30, tzinfo=LOCAL_TZ), id="naive-is-shanghai"),
    pytest.param("2025-01-06 10:30", datetime(2025, 1, 6, 10, 30, tzinfo=LOCAL_TZ), id="space-separator"),
    pytest.param("2025-01-06T02:00+00:00", datetime(2025, 1, 6, 10, 0, tzinfo=LOCAL_TZ), id="offset-kept"),
])
def test_parse_instant(raw: str, expected: datetime) -> None:
    """--now/--until values: bare dates mean 09:00, naive times are China time, explicit offsets are kept."""
    assert parse_instant(raw) == expected


def test_set_reads_at_file_and_escapes_double_at(tmp_path: Path) -> None:
    """`--set roster=@file.json` reads the file as the value; `@@x` is the literal `@x`."""
    roster = tmp_path / "roster.json"
    roster.write_text('[{"name": "张三"}]', encoding="utf-8")
    payload = build_payload('{"a": 1}', [f"roster=@{roster}", "handle=@@me", "a=2"], ["EXH_AGE=理由"])
    assert payload == {"a": "2", "roster": '[{"name": "张三"}]', "handle": "@me",
                       "overrides": {"EXH_AGE": "理由"}}


@pytest.mark.parametrize("data", [
    pytest.param("[1, 2]", id="not-an-object"),
    pytest.param("{broken", id="not-json"),
])
def test_bad_data_is_invalid_input(data: str) -> None:
    """--data must be a JSON object."""
    with pytest.raises(InvalidInput) as info:
        build_payload(data, [])
    assert info.value.code == "CLI_BAD_DATA"


def test_every_cli_text_key_exists() -> None:
    """Every literal `cli.*` / `diagram.*` key used by the CLI, queries and diagram code is in the catalog."""
    sources = [*sorted((ROOT / "engine" / "cli").glob("*.py")), ROOT / "engine" / "queries.py",
               ROOT / "engine" / "diagram.py"]
    keys = set()
    for path in sources:
        pattern = r"""t\(\s*["']((?:cli|diagram)\.[A-Za-z0-9_.]+)["']"""
        keys |= set(re.findall(pattern, path.read_text("utf-8")))
    assert len(keys) > 100
    assert sorted(k for k in keys if not text.has(k)) == []
