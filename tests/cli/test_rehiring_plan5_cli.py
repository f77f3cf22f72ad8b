"""PLAN-5 at 考核聘用 through the `shequ` CLI (spec §4.3 Interplay, SOFT-1): `case preview` shows RH-T3
blocked by the 原则上不予续聘 flag with its rule id and citation, `case fire` refuses it (exit 3), and
`case fire ... --override RH_PLAN5_NOT_RENEW=理由` by a user holding the override role passes it."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.app import build
from engine.clock import LOCAL_TZ, FrozenClock
from tests.cli.conftest import Shequ
from tests.conftest import make_id
from tests.workflows.test_assessment_chain import run_round

DAY = "2025-01-11"
CASE = "2"  # case 1 is S2's 2024 assessment round
CODE = "RH_PLAN5_NOT_RENEW"
CITATION = "seed 000 第五篇 §八(三)"
REASON = "东民〔2025〕7号：已整改到位"
REVIEW = ("--set", f"reviewed_on={DAY}", "--set", "review_opinion=同意")


@pytest.fixture(name="flagged")
def _flagged(world: Shequ) -> Shequ:
    """Term 1 (2024–2026); 王五 (worker 2, C2, term 1) graded 不称职 by S2's FINAL 2024 round (run on the same
    file through the engine); 换届 open with a case per appointment; 王五 has applied."""
    world.ok("term", "add", "DQ", "1", "2024-01-01")
    world.ok("worker", "add", "--id-number", make_id("11010519790303003"), "--name", "王五",
             "--community", "C2", "--category", "PROFESSIONAL_SOCIAL_WORKER", "--education", "本科",
             "--appointment-start", "2024-01-01")
    for login, name, role, scope in (("wang", "王五", "WORKER", ("--community", "C2", "--worker", "2")),
                                     ("s2_office", "西园街道办事处", "STREET_OFFICE", ("--street", "S2")),
                                     ("c2", "西园社区", "COMMUNITY", ("--community", "C2")),
                                     ("cag2", "西园社区考核领导小组", "COMMUNITY_ASSESSMENT_GROUP",
                                      ("--community", "C2")),
                                     ("sag2", "西园街道考评领导小组", "STREET_ASSESSMENT_GROUP",
                                      ("--street", "S2"))):
        world.ok("user", "add", login, name, "--role", role, *scope)
    world.ok("user", "add", "s2_bureau", "区民政局（西园街道联系人）", "--role", "STREET_OFFICE", "--role",
             "DISTRICT_CIVIL_AFFAIRS", "--street", "S2")
    app = build(str(world.db), FrozenClock(datetime(2024, 12, 15, 9, 0, tzinfo=LOCAL_TZ)))
    assert run_round(app, 2, 2024, 50)["final_grades"] == {"2": "INCOMPETENT"}
    world.ok("term", "add", "DQ", "2", "2027-01-01", "--status", "PLANNED")
    world.ok("term", "open-renewal", "1", "--from", DAY, "--to", "2025-01-31", user="bureau", now=DAY)
    world.ok("case", "fire", CASE, "apply", "--set", f"applied_on={DAY}", "--set", "application_doc_ref=申-1",
             user="wang", now=DAY)
    return world


def test_preview_shows_the_flag_blocking_the_street_approval(flagged: Shequ) -> None:
    """`case preview`: street_approve would fail on PLAN-5 (code, citation, year and grade); street_reject
    would pass — the flag never blocks a refusal."""
    data = flagged.ok("case", "preview", CASE, *REVIEW, user="s2_office", now=DAY)
    items = {p["trigger"]: p for p in data["triggers"]}
    approve = items["street_approve"]
    assert approve["would_pass"] is False
    (failure,) = [f for f in approve["failures"] if f["rule_id"] == "PLAN-5"]
    assert failure["code"] == CODE
    assert failure["citation"].startswith(CITATION)
    assert "2024年度考核等次为不称职" in failure["message"]
    assert items["street_reject"]["would_pass"] is True


def test_preview_text_names_the_rule(flagged: Shequ) -> None:
    """The text preview prints the PLAN-5 failure with its citation."""
    result = flagged.human("case", "preview", CASE, *REVIEW, user="s2_office", now=DAY)
    assert "PLAN-5" in result.stdout
    assert CITATION in result.stdout


def test_fire_is_refused_then_passes_with_the_override(flagged: Shequ) -> None:
    """`case fire street_approve` exits 3 with RH_PLAN5_NOT_RENEW; a street office's own `--override` is not
    honoured; `--override RH_PLAN5_NOT_RENEW=理由` by a user holding the override role passes to
    STREET_APPROVED."""
    error = flagged.fails(3, "case", "fire", CASE, "street_approve", *REVIEW, user="s2_office", now=DAY)
    assert (error["code"], error["rule_id"]) == (CODE, "PLAN-5")
    assert CITATION in error["message"]
    override = ("--override", f"{CODE}={REASON}")
    error = flagged.fails(3, "case", "fire", CASE, "street_approve", *REVIEW, *override, user="s2_office",
                          now=DAY)
    assert error["code"] == CODE
    data = flagged.ok("case", "fire", CASE, "street_approve", *REVIEW, *override, user="s2_bureau", now=DAY)
    assert data["state"] == "STREET_APPROVED"
