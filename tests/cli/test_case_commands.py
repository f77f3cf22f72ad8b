"""`shequ case …` and the end-to-end resignation through the CLI, with the exit code of every failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import SUBMIT, Shequ, open_resignation

APPROVE = ("--set", "decided_on=2025-01-06", "--set", "minutes_ref=M1")
FILING = ("--set", "filed_on=2025-01-07", "--set", "filing_no=B1")


def test_resignation_end_to_end_through_the_cli(world: Shequ) -> None:
    """Open, preview, approve, file, run deadlines, show and verify: the case closes with an intact chain."""
    opened = open_resignation(world)
    assert (opened["case_id"], opened["state"], opened["version"]) == (1, "SUBMITTED", 1)
    assert opened["state_label"] == "已提交书面申请"
    assert opened["steps"][0]["trigger_label"] == "提交书面辞职申请"

    preview = world.ok("case", "preview", "1", *APPROVE, user="s1_party", now="2025-01-06")
    approve = next(p for p in preview["triggers"] if p["trigger"] == "approve")
    assert (approve["permitted"], approve["would_pass"], approve["failures"]) == (True, True, [])
    assert approve["role_labels"] == ["街道党工委"]

    approved = world.ok("case", "fire", "1", "approve", *APPROVE, "--expect-version", "1", user="s1_party",
                        now="2025-01-06")
    assert (approved["state"], approved["version"]) == ("APPROVED", 2)
    world.ok("case", "fire", "1", "record_filing", *FILING, user="bureau", now="2025-01-07")

    pending = world.ok("deadlines", "list", "--status", "PENDING")["deadlines"]
    assert [(d["fires"], d["due_at"]) for d in pending] == [("separate", "2025-02-07T00:00:00+08:00")]

    run = world.ok("deadlines", "run", "--until", "2025-03-01", now="2025-01-07")
    assert [(f["case_id"], f["fires"], f["outcome"]) for f in run["fired"]] == [(1, "separate", "FIRED")]

    shown = world.ok("case", "show", "1")
    assert (shown["case"]["state"], shown["case"]["state_label"], shown["case"]["closed"]) == (
        "CLOSED", "已办结（已备案）", True)
    assert [e["action"] for e in shown["timeline"]] == [
        "submit", "approve", "record_filing", "separate", "close"]
    assert shown["deadlines"] == []
    assert world.ok("audit", "verify")["verified"] is True

    human = world.human("case", "show", "1").stdout
    assert "已办结（已备案）" in human
    assert "离职生效" in human
    assert "seed 000 第二十二条" in human


def test_human_case_show_lists_data_deadlines_and_timeline(world: Shequ) -> None:
    """`case show` prints the state label, labelled data, the pending deadline and the opening entry."""
    open_resignation(world)
    out = world.human("case", "show", "1").stdout
    assert "当前状态：已提交书面申请（SUBMITTED），第 1 版" in out
    assert "收到申请日期（submitted_on）：2025-01-06" in out
    assert "标记逾期未审批（mark_overdue）" in out  # RES-5 deadline pending
    assert "#" in out
    assert "提交书面辞职申请（submit）" in out


@pytest.mark.parametrize("separation", [
    pytest.param("2025-02-05", id="RES-2-one-day-short-rejected"),
])
def test_too_early_separation_date_is_rejected_and_nothing_written(world: Shequ, separation: str) -> None:
    """RES-2: a last day before submission + one month exits 3 (RES_NOTICE_TOO_SHORT); the DB is unchanged."""
    before = world.ok("audit", "show")["entries"]
    error = world.fails(3, "case", "open", "resignation", "--worker", "1", *SUBMIT,
                        "--set", f"separation_date={separation}", user="zhang", now="2025-01-06")
    assert error["code"] == "RES_NOTICE_TOO_SHORT"
    assert error["rule_id"] == "RES-2"
    assert "seed 000 第二十二条" in error["message"]
    assert world.ok("case", "list")["cases"] == []
    assert world.ok("audit", "show")["entries"] == before


def test_rejection_in_human_mode_goes_to_stderr_with_code(world: Shequ) -> None:
    """Human mode prints `错误 [CODE]: message` on stderr and nothing on stdout."""
    result = world.run("case", "open", "resignation", "--worker", "1", *SUBMIT,
                       "--set", "separation_date=2025-02-01", user="zhang", now="2025-01-06")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("错误 [RES_NOTICE_TOO_SHORT]: ")


def test_unknown_case_exits_5(world: Shequ) -> None:
    """Firing on a case that does not exist is NOT FOUND (exit 5)."""
    error = world.fails(5, "case", "fire", "42", "approve", *APPROVE, user="s1_party")
    assert error["code"] == "CASE_NOT_FOUND"


def test_unknown_user_exits_5(world: Shequ) -> None:
    """Acting as a login that does not exist is NOT FOUND (exit 5), and the case is untouched."""
    open_resignation(world)
    error = world.fails(5, "case", "fire", "1", "approve", *APPROVE, user="nobody", now="2025-01-06")
    assert error["code"] == "USER_NOT_FOUND"
    assert world.ok("case", "show", "1")["case"]["version"] == 1


def test_wrong_role_exits_4(world: Shequ) -> None:
    """The street office may not approve a resignation (the party committee does): exit 4."""
    open_resignation(world)
    error = world.fails(4, "case", "fire", "1", "approve", *APPROVE, user="s1_office", now="2025-01-06")
    assert error["code"] == "ROLE_NOT_PERMITTED"
    assert world.ok("case", "show", "1")["case"]["state"] == "SUBMITTED"


def test_other_street_is_out_of_scope_exit_4(world: Shequ) -> None:
    """The party committee of another street holds the role but not the scope: exit 4, OUT_OF_SCOPE."""
    open_resignation(world)
    assert world.fails(4, "case", "fire", "1", "approve", *APPROVE, user="s2_party",
                       now="2025-01-06")["code"] == "OUT_OF_SCOPE"


def test_stale_expect_version_exits_6(world: Shequ) -> None:
    """Firing with an out-of-date --expect-version is a conflict (exit 6) and changes nothing."""
    open_resignation(world)
    world.ok("case", "fire", "1", "approve", *APPROVE, user="s1_party", now="2025-01-06")
    error = world.fails(6, "case", "fire", "1", "record_filing", *FILING, "--expect-version", "1",
                        user="bureau", now="2025-01-07")
    assert error["code"] == "CASE_VERSION_CONFLICT"
    assert world.ok("case", "show", "1")["case"]["version"] == 2


def test_case_commands_require_as(world: Shequ) -> None:
    """Opening a case without --as is a usage error (exit 2) naming the option."""
    error = world.fails(2, "case", "open", "resignation", "--worker", "1", *SUBMIT)
    assert error["code"] == "CLI_USER_REQUIRED"
    assert "--as" in error["message"]


def test_missing_fields_are_reported_together_exit_2(world: Shequ) -> None:
    """An incomplete payload exits 2 with PAYLOAD_INVALID naming each missing field."""
    error = world.fails(2, "case", "open", "resignation", "--worker", "1", user="zhang", now="2025-01-06")
    assert error["code"] == "PAYLOAD_INVALID"
    assert set(error["details"]["fields"]) == {"submitted_on", "written", "document_ref"}


def test_data_json_and_set_are_merged_with_set_winning(world: Shequ, tmp_path: Path) -> None:
    """--data @file.json gives the payload; --set overrides one of its values."""
    payload = tmp_path / "submit.json"
    payload.write_text(json.dumps({"submitted_on": "2025-01-06", "written": True,
                                   "document_ref": "FROM-FILE"}), encoding="utf-8")
    opened = world.ok("case", "open", "resignation", "--worker", "1", "--data", f"@{payload}",
                      "--set", "document_ref=FROM-SET", user="zhang", now="2025-01-06")
    data = {d["name"]: d["value"] for d in world.ok("case", "show", str(opened["case_id"]))["data"]}
    assert (data["written"], data["document_ref"]) == (True, "FROM-SET")


def test_malformed_set_is_exit_2(world: Shequ) -> None:
    """A --set without `=` is invalid input (exit 2)."""
    assert world.fails(2, "case", "open", "resignation", "--worker", "1", "--set", "written",
                       user="zhang")["code"] == "CLI_BAD_SET"


def test_preview_lists_failures_with_rule_and_citation(world: Shequ) -> None:
    """Preview reports a failing guard with its rule id and citation, and missing fields by name."""
    open_resignation(world)
    preview = world.ok("case", "preview", "1", *APPROVE, "--set", "approved_separation_date=2025-02-01",
                       user="s1_party", now="2025-01-06")
    approve = next(p for p in preview["triggers"] if p["trigger"] == "approve")
    assert approve["would_pass"] is False
    assert [(f["code"], f["rule_id"]) for f in approve["failures"]] == [("RES_NOTICE_TOO_SHORT", "RES-2")]
    assert "seed 000 第二十二条" in approve["failures"][0]["citation"]
    returned = next(p for p in preview["triggers"] if p["trigger"] == "return_application")
    assert [m["field"] for m in returned["missing_fields"]] == ["return_reason"]
    withdraw = next(p for p in preview["triggers"] if p["trigger"] == "withdraw")
    assert withdraw["permitted"] is False
    human = world.human("case", "preview", "1", *APPROVE, "--set", "approved_separation_date=2025-02-01",
                        user="s1_party", now="2025-01-06").stdout
    assert "未通过 [RES-2]" in human


def test_withdraw_fires_the_withdraw_trigger(world: Shequ) -> None:
    """`case withdraw` fires the procedure's withdraw step as the worker."""
    open_resignation(world)
    result = world.ok("case", "withdraw", "1", "--set", "withdrawn_on=2025-01-08", user="zhang",
                      now="2025-01-08")
    assert (result["state"], result["steps"][0]["trigger"]) == ("WITHDRAWN", "withdraw")


def test_withdraw_without_such_step_is_a_clear_error(world: Shequ, monkeypatch: pytest.MonkeyPatch) -> None:
    """A procedure without a withdraw step gives CLI_NO_WITHDRAW (exit 5) naming the procedure."""
    open_resignation(world)
    monkeypatch.setattr("engine.cli.cases.WITHDRAW_TRIGGER", "no_such_withdraw")
    error = world.fails(5, "case", "withdraw", "1", user="zhang", now="2025-01-08")
    assert error["code"] == "CLI_NO_WITHDRAW"
    assert "辞职" in error["message"]


def test_case_list_filters(world: Shequ) -> None:
    """`case list` filters by procedure, state, worker and open-only."""
    first = open_resignation(world)["case_id"]
    world.ok("case", "withdraw", str(first), "--set", "withdrawn_on=2025-01-06", user="zhang",
             now="2025-01-06")
    open_resignation(world)  # one open resignation per worker: the first is withdrawn
    assert [c["id"] for c in world.ok("case", "list")["cases"]] == [1, 2]
    assert [c["id"] for c in world.ok("case", "list", "--open")["cases"]] == [2]
    assert [c["id"] for c in world.ok("case", "list", "--state", "WITHDRAWN")["cases"]] == [1]
    assert world.ok("case", "list", "--worker", "99")["cases"] == []
    assert world.ok("case", "list", "--procedure", "dismissal")["cases"] == []
    row = world.ok("case", "list", "--open")["cases"][0]
    assert (row["procedure_title"], row["worker_name"], row["community"]) == ("辞职", "张三", "C1")


def test_json_flag_after_the_command_works(world: Shequ) -> None:
    """`--json` is accepted after a command's own arguments too."""
    result = world.run("case", "list", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"ok": True, "cases": []}


def test_open_with_community_code(world: Shequ) -> None:
    """`--community CODE` places the case in that community; an unknown code is NOT FOUND (exit 5)."""
    opened = world.ok("case", "open", "resignation", "--worker", "1", "--community", "C1", *SUBMIT,
                      user="zhang", now="2025-01-06")
    assert world.ok("case", "show", str(opened["case_id"]))["case"]["community"] == "C1"
    assert world.fails(5, "case", "open", "resignation", "--worker", "1", "--community", "C404", *SUBMIT,
                       user="zhang", now="2025-01-06")["code"] == "COMMUNITY_NOT_FOUND"
