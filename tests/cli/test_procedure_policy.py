"""`shequ procedure` (list, show, Mermaid diagram) and `shequ policy`, generic over every procedure."""

from __future__ import annotations

import pytest

from engine.diagram import mermaid
from engine.spec import SAME
from engine.text import t
from tests.cli.conftest import Shequ
from workflows import ALL_PROCEDURES

CODES = [p.code for p in ALL_PROCEDURES]


def test_procedure_list_names_every_declared_procedure(sh: Shequ) -> None:
    """`procedure list` shows exactly workflows.ALL_PROCEDURES, with Chinese titles."""
    listed = sh.ok("procedure", "list")["procedures"]
    assert [p["code"] for p in listed] == CODES
    assert {p["code"]: p["title"] for p in listed}["resignation"] == "辞职"
    assert "DONGQU" in {p["code"]: p for p in listed}["resignation"]["enabled_in"]


def test_procedure_show_resignation(sh: Shequ) -> None:
    """`procedure show` gives states with labels, steps with roles, fields, rule ids and citations."""
    info = sh.ok("procedure", "show", "resignation")["procedure"]
    states = {s["state"]: s for s in info["states"]}
    assert states["SUBMITTED"]["initial"]
    assert states["CLOSED"]["final"]
    assert states["APPROVED"]["label"] == "党工委已批准"
    steps = {s["trigger"]: s for s in info["steps"]}
    approve = steps["approve"]
    assert approve["roles"][0]["policy_key"] == "resignation.approver"
    assert approve["roles"][0]["role"] == "STREET_PARTY_COMMITTEE"
    assert {"decided_on", "minutes_ref"} <= {f["name"] for f in approve["fields"]}
    assert approve["rule_ids"] == ["RES-2", "RES-3"]
    assert approve["citations"] == ["seed 000 第二十二条"]
    assert [d["fires"] for d in approve["deadlines"]] == ["separate"]
    assert steps["submit"]["source"] == []
    human = sh.human("procedure", "show", "resignation").stdout
    assert "由策略 resignation.approver 决定（DONGQU：街道党工委）" in human


@pytest.mark.parametrize("code", CODES)
def test_procedure_show_works_for_every_procedure(sh: Shequ, code: str) -> None:
    """Every declared procedure can be shown; each step names at least one role and one citation."""
    info = sh.ok("procedure", "show", code)["procedure"]
    assert all(step["roles"] and step["citations"] for step in info["steps"])


def test_unknown_procedure_is_exit_5(sh: Shequ) -> None:
    """Showing a procedure that does not exist is NOT FOUND (exit 5)."""
    assert sh.fails(5, "procedure", "show", "coronation")["code"] == "PROCEDURE_NOT_FOUND"


def test_diagram_of_resignation_contains_every_state(sh: Shequ) -> None:
    """`procedure diagram resignation` is a Mermaid state diagram naming every state with its label."""
    result = sh.human("procedure", "diagram", "resignation").stdout
    assert result.startswith("stateDiagram-v2\n")
    for state in ALL_PROCEDURES[CODES.index("resignation")].states:
        assert f'" as {state}' in result
        assert t(f"procedures.resignation.states.{state}") in result
    assert "[*] --> SUBMITTED : 提交书面辞职申请" in result
    assert "APPROVED --> APPROVED : 报区民政局备案" in result  # a record-only step is a self-loop
    assert "CLOSED --> [*]" in result
    assert sh.ok("procedure", "diagram", "resignation")["diagram"] == result


@pytest.mark.parametrize("code", CODES)
def test_diagram_has_one_edge_per_declared_transition(code: str) -> None:
    """Every state is declared and every (source, step) pair of the declaration is one edge."""
    proc = ALL_PROCEDURES[CODES.index(code)]
    text = mermaid(proc)
    edges = [line.strip() for line in text.splitlines() if "-->" in line and "[*]" not in line]
    expected = sum(len(s.source) for s in proc.steps)
    assert len(edges) == expected
    for step in proc.steps:
        for source in step.source:
            dest = source if step.dest == SAME else step.dest
            assert any(e.startswith(f"{source} --> {dest} : ") for e in edges), (step.trigger, source)
    for state in proc.states:
        assert f" as {state}\n" in text
    assert all(":" not in line.split(" : ", 1)[1] for line in text.splitlines() if " : " in line)


def test_policy_show_dongqu_with_prefix(sh: Shequ) -> None:
    """`policy show DONGQU --key resignation.` lists that section's settings with their values."""
    data = sh.ok("policy", "show", "DONGQU", "--key", "resignation.")
    settings = {s["key"]: s for s in data["settings"]}
    assert settings["resignation.notice_months"] == {"key": "resignation.notice_months", "value": 1,
                                                     "specified": True}
    assert all(k.startswith("resignation.") for k in settings)


def test_policy_unspecified_is_shown_as_weiguiding(sh: Shequ) -> None:
    """A setting the pack leaves UNSPECIFIED is shown as 未规定 (A-41), with value null in JSON."""
    data = sh.ok("policy", "show", "HONGSHAN", "--key", "rehire.publicity_days")
    assert data["settings"] == [{"key": "rehire.publicity_days", "value": None, "specified": False}]
    assert "未规定" in sh.human("policy", "show", "HONGSHAN", "--key", "rehire.publicity_days").stdout


def test_policy_show_defaults_to_reference_pack_and_list_names_packs(sh: Shequ) -> None:
    """Without PACK, `policy show` shows DONGQU; `policy list` names every shipped pack."""
    assert sh.ok("policy", "show")["pack"]["code"] == "DONGQU"
    assert {"DONGQU", "HONGSHAN"} <= {p["code"] for p in sh.ok("policy", "list")["packs"]}


def test_unknown_pack_is_exit_5(sh: Shequ) -> None:
    """An unknown pack code is NOT FOUND (exit 5)."""
    assert sh.fails(5, "policy", "show", "NOWHERE")["code"] == "PACK_NOT_FOUND"
