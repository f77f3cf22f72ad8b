"""What a caseworker reads when the engine refuses, and what `case preview` tells them before acting: the
refusals ROLE_NOT_PERMITTED, OUT_OF_SCOPE and TRIGGER_NOT_AVAILABLE name the step, roles and state by
their Chinese labels (TRIGGER_NOT_AVAILABLE also lists what a person may do now, by whom, apart from what
SYSTEM does); the preview lists, for each open trigger, the guards that pass and those that fail, evaluated
against the payload given with --set/--data (RH-1 exactly half fails, more than half passes)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Shequ, open_resignation
from tests.cli.test_e2e_rehiring import (
    CASE,
    PASSING_EVAL,
    PASSING_REC,
    roster,
    seed_rehire,
    to_application_approved,
    vote,
)


@pytest.fixture(scope="module", name="approved_template")
def _approved_template(world_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared world with the re-hiring case of 李四 approved by the bureau (RH-T4), ready for the vote."""
    path = tmp_path_factory.mktemp("preview-approved") / "approved.db"
    shutil.copy(world_template, path)
    seed_rehire(Shequ(path))
    to_application_approved(Shequ(path))
    return path


@pytest.fixture(name="approved")
def _approved(approved_template: Path, tmp_path: Path) -> Shequ:
    path = tmp_path / "approved.db"
    shutil.copy(approved_template, path)
    return Shequ(path)


def refusal(sh: Shequ, exit_code: int, *args: str, user: str, now: str = "2025-01-06") -> tuple[str, str]:
    """The --json error code and the text the CLI prints (stderr or stdout) for the same refused command."""
    code = sh.fails(exit_code, *args, user=user, now=now)["code"]
    result = sh.run(*args, user=user, now=now)
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    return code, result.stdout + result.stderr


APPROVE = ("--set", "decided_on=2025-01-06", "--set", "minutes_ref=纪-1")


def test_trigger_not_available_names_state_and_lists_people_and_system_steps(world: Shequ) -> None:
    """A step not open from the state is refused naming the state and the step by label, with the steps a
    person may take now and the roles that may take them, and the SYSTEM steps (a deadline) listed apart."""
    open_resignation(world)
    code, out = refusal(world, 3, "case", "fire", "1", "record_filing", "--set", "filed_on=2025-01-06",
                        "--set", "filing_no=F1", user="bureau")
    assert code == "TRIGGER_NOT_AVAILABLE"
    assert "当前状态为「已提交书面申请」（SUBMITTED），不能办理「报区民政局备案」（record_filing）" in out
    people = out.split("当前可由人办理的操作：", 1)[1].split("。", 1)[0]
    assert "「党工委审批同意」（approve），由街道党工委办理" in people
    assert "「撤回申请」（withdraw），由社区工作者本人办理" in people
    assert "mark_overdue" not in people
    system_part = out.split("由系统自动办理的操作：", 1)[1].split("。", 1)[0]
    assert "「标记逾期未审批」（mark_overdue），期限届满时由系统自动办理" in system_part


def test_role_not_permitted_names_step_roles_and_the_users_roles(world: Shequ) -> None:
    """A user without the step's role is told, by label, which roles may take the step and which they hold."""
    open_resignation(world)
    code, out = refusal(world, 4, "case", "fire", "1", "approve", *APPROVE, user="zhang")
    assert code == "ROLE_NOT_PERMITTED"
    assert "「党工委审批同意」只能由以下角色办理：街道党工委" in out
    assert "用户 zhang 的角色为：社区工作者本人" in out
    assert "STREET_PARTY_COMMITTEE" not in out


def test_role_not_permitted_for_a_system_step_says_system_takes_it(world: Shequ) -> None:
    """Firing a step only SYSTEM takes (a deadline's) is refused saying the system takes it (role 系统)."""
    open_resignation(world)
    code, out = refusal(world, 4, "case", "fire", "1", "mark_overdue", user="s1_party")
    assert code == "ROLE_NOT_PERMITTED"
    assert "「标记逾期未审批」只能由以下角色办理：系统" in out
    assert "该操作由系统自动办理，无需人工执行" in out


def test_out_of_scope_names_the_role_label_the_case_and_the_roles_reach(world: Shequ) -> None:
    """Another street's party committee is refused naming its role by label, the case with its procedure
    title, and that street roles reach only their own street's cases."""
    open_resignation(world)
    code, out = refusal(world, 4, "case", "fire", "1", "approve", *APPROVE, user="s2_party")
    assert code == "OUT_OF_SCOPE"
    assert "用户 s2_party 以「街道党工委」身份无权处理案件 1（辞职）" in out
    assert "街道角色只能处理本街道的案件" in out


# ---------------------------------------------------------------- preview: guards that pass and fail

HALF = {**PASSING_REC, "recommend": 20, "not_recommend": 18}  # 20/40 = 50%: not over half
OVER = {**PASSING_REC, "recommend": 21, "not_recommend": 17}  # 21/40 = 52.5%


def _preview(sh: Shequ, tmp_path: Path, rec: dict[str, int], json_mode: bool) -> Any:
    args = ("case", "preview", CASE, *vote(tmp_path, rec, PASSING_EVAL, roster(40, 8)))
    if json_mode:
        return sh.ok(*args, user="s1_office", now="2025-01-06")
    result = sh.run(*args, user="s1_office", now="2025-01-06")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def _rh1(item: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [v for v in item[kind] if v.get("rule_id") == "RH-1"]


@pytest.mark.parametrize(("rec", "fails"), [
    pytest.param(HALF, True, id="RH-1-exactly-half-fails"),
    pytest.param(OVER, False, id="RH-1-over-half-passes"),
])
def test_preview_evaluates_rh1_against_the_given_tally(
    approved: Shequ, tmp_path: Path, rec: dict[str, int], fails: bool
) -> None:
    """Previewing record_vote with a tally shows what SYSTEM would do next: RH-1 fails at exactly 50% (the
    thresholds_met step blocked, thresholds_failed open) and passes above it, with rule id and citation."""
    data = _preview(approved, tmp_path, rec, json_mode=True)
    vote_item = next(p for p in data["triggers"] if p["trigger"] == "record_vote")
    assert vote_item["would_pass"] is True
    assert any(v["rule_id"] == "VOTE-1" for v in vote_item["passes"])
    then = {p["trigger"]: p for p in vote_item["then"]}
    met = then["thresholds_met"]
    assert met["would_pass"] is not fails
    failed, passed = _rh1(met, "failures"), _rh1(met, "passes")
    assert (len(failed), len(passed)) == ((1, 0) if fails else (0, 1))
    verdict = (failed or passed)[0]
    assert verdict["citation"].startswith("seed 000 第六条2")
    assert ("50.0%" if fails else "52.5%") in verdict["message"]
    assert then["thresholds_failed"]["would_pass"] is fails
    assert json.loads(json.dumps(data))["case_id"] == 1  # plain JSON: serialisable end to end


def test_preview_text_shows_the_same_guard_fail_then_pass(approved: Shequ, tmp_path: Path) -> None:
    """The text preview of one case shows RH-1 未通过 with the 50% tally and 已满足 with the 52.5% one."""
    half = _preview(approved, tmp_path, HALF, json_mode=False)
    over = _preview(approved, tmp_path, OVER, json_mode=False)
    assert "随后系统自动" in half
    assert "未通过 [RH-1]：民主推荐得票率 20/40 = 50.0%" in half
    assert "已满足 [RH-1]" not in half
    assert "已满足 [RH-1]：民主推荐得票率 21/40 = 52.5%，已过半" in over
    assert "未通过 [RH-1]" not in over
    assert "已满足 [VOTE-1]" in over


def test_preview_with_a_payload_writes_nothing(approved: Shequ, tmp_path: Path) -> None:
    """Previewing a passing vote (its effect and SYSTEM's next steps evaluated) leaves the case as it was."""
    before = approved.ok("case", "show", CASE)["case"]
    _preview(approved, tmp_path, OVER, json_mode=True)
    after = approved.ok("case", "show", CASE)["case"]
    assert (before["state"], before["version"]) == ("APPLICATION_APPROVED", 4)
    assert (after["state"], after["version"]) == (before["state"], before["version"])
