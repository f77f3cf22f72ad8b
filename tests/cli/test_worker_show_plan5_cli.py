"""`shequ worker show` lists the worker's standing PLAN-5 不予续聘 flags (spec §4.3 Interplay, seed 000 第五篇
§八(三), DECISIONS 25) in text and `--json`, computed as RH_PLAN5_NOT_RENEW computes them: a correction of
the grade lifts the flag, and a pack that does not enable PLAN5 shows none."""

from __future__ import annotations

from typing import Any

import pytest

from engine.policy import get_pack
from tests.cli.conftest import Shequ
from tests.cli.test_rehiring_plan5_cli import (  # noqa: F401 - the flagged fixture
    CASE,
    CITATION,
    CODE,
    DAY,
    REVIEW,
    _flagged,
)
from workflows import plan5_view

WORKER = "2"  # 王五, graded 不称职 for 2024 by S2's FINAL round (case 1)


def test_worker_show_json_lists_the_flag_the_guard_reads(flagged: Shequ) -> None:
    """PLAN-5 in `worker show --json`: the 2024 不称职 flag of term 1 from round case 1, with rule id, code
    and citation — the same flag `case preview` reports blocking street_approve."""
    data = flagged.ok("worker", "show", WORKER, now=DAY)
    [flag] = data["plan5_flags"]
    assert (flag["year"], flag["grade"], flag["grade_label"], flag["round_case_id"]) == (
        2024, "INCOMPETENT", "不称职", 1)
    assert (flag["rule_id"], flag["code"], flag["term_ordinal"]) == ("PLAN-5", CODE, 1)
    assert flag["citation"].startswith(CITATION)
    assert flag["text"] == "2024年度考核等次为不称职（年度考核案件 1）"
    preview = flagged.ok("case", "preview", CASE, *REVIEW, user="s2_office", now=DAY)
    [approve] = [p for p in preview["triggers"] if p["trigger"] == "street_approve"]
    [failure] = [f for f in approve["failures"] if f["rule_id"] == "PLAN-5"]
    assert flag["text"] in failure["message"]


def test_worker_show_text_names_the_flag_rule_and_citation(flagged: Shequ) -> None:
    """PLAN-5 in the text view: the rule id, its citation, the year and grade, and the override code."""
    out = flagged.human("worker", "show", WORKER, now=DAY).stdout
    assert "PLAN-5" in out
    assert CITATION in out
    assert "2024年度考核等次为不称职" in out
    assert CODE in out


def test_a_correction_of_the_grade_lifts_the_flag_from_worker_show(flagged: Shequ) -> None:
    """PLAN-5 lifted: after the 2024 grade is corrected to 称职 the worker show lists no flag (text, JSON)."""
    facts = flagged.ok("worker", "show", WORKER, now=DAY)["recorded_facts"]
    [record] = [r for r in facts if r["table"] == "annual_grades"]
    flagged.ok("record", "correct", "grades", str(record["id"]), "--grade", "称职", "--reason", "复核更正",
               "--authority", "西园街道考评复核意见", user="s2_office", now=DAY)
    assert flagged.ok("worker", "show", WORKER, now=DAY)["plan5_flags"] == []
    assert "PLAN-5" not in flagged.human("worker", "show", WORKER, now=DAY).stdout


def test_a_pack_without_plan5_shows_no_flag(flagged: Shequ, monkeypatch: pytest.MonkeyPatch) -> None:
    """PLAN-5 not evaluated where the pack does not enable it: read through HONGSHAN's pack
    (`assessment.plan5_enabled = false`) the same worker shows no flag."""
    hongshan = get_pack("HONGSHAN")
    assert not hongshan.enabled("assessment.plan5_enabled")

    def pack(code: str) -> Any:
        return hongshan

    monkeypatch.setattr(plan5_view, "get_pack", pack)
    assert flagged.ok("worker", "show", WORKER, now=DAY)["plan5_flags"] == []
    assert "PLAN-5" not in flagged.human("worker", "show", WORKER, now=DAY).stdout


def test_a_worker_without_flags_shows_none(flagged: Shequ) -> None:
    """PLAN-5 absent: worker 1, never graded, has an empty `plan5_flags` and no PLAN-5 section."""
    assert flagged.ok("worker", "show", "1", now=DAY)["plan5_flags"] == []
    assert "PLAN-5" not in flagged.human("worker", "show", "1", now=DAY).stdout
