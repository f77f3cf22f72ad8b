"""Boundary table of the PLAN-5 不予续聘 flag read at 考核聘用 (spec §4.3 Interplay, §4.4.4 PLAN-5, SOFT-1):
the guard `no_plan5_not_renew_flag` of RH-T3 and RH-T7, and SOFT-1 overrides of it through `evaluate()`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from engine.clock import LOCAL_TZ
from engine.evaluate import evaluate
from engine.guards import Actor, CaseView, GuardContext
from engine.policy import Policy, get_pack
from storage.records import TermRecord
from workflows.assessment_rehiring import ASSESSMENT_REHIRING
from workflows.guards import rehiring as g

NOW = datetime(2025, 1, 20, 9, 0, tzinfo=LOCAL_TZ)
OFFICE = Actor(1, "s1_office", "东华街道办事处", "STREET_OFFICE", frozenset({"STREET_OFFICE"}), street_id=1)
# A user who holds the pack's override role besides the street reviewer's role.
OFFICE_AND_BUREAU = Actor(2, "s1_bureau", "区民政局驻街道", "STREET_OFFICE",
                          frozenset({"STREET_OFFICE", "DISTRICT_CIVIL_AFFAIRS"}), district_id=1, street_id=1)
TERM = TermRecord(10, 1, 1, date(2024, 1, 1), date(2026, 12, 31), "RENEWAL_OPEN", None,
                  date(2025, 1, 6), date(2025, 1, 31))
CODE = "RH_PLAN5_NOT_RENEW"


def pack(code: str = "DONGQU", **settings: Any) -> Policy:
    base = get_pack(code)
    return replace(base, settings={**base.settings, **settings})


def flag(year: int, grade: str, prior: str | None = None, round_id: int = 5) -> g.NotRenewFlag:
    return g.NotRenewFlag(year, grade, prior, round_id, "C-1")


def ctx(flags: tuple[g.NotRenewFlag, ...] = (), grades: dict[int, str] | None = None, *,
        pol: Policy | None = None, payload: dict[str, Any] | None = None, actor: Actor = OFFICE,
        state: str = "APPLIED") -> GuardContext:
    case = CaseView(7, "assessment_rehiring", state, 3, {"term_id": TERM.id, "applied_on": "2025-01-10"},
                    1, 1, 1, 1, None, NOW)
    facts = {"terms": {TERM.id: TERM}, "plan5_flags": flags, "recorded_grades": grades or {}}
    return GuardContext(case, payload or {}, actor, NOW, NOW.date(), pol or pack(), facts)


@pytest.mark.parametrize(("flags", "grades", "pol", "passes"), [
    pytest.param((), {2024: "BASIC"}, None, True, id="PLAN-5-no-flag-passes"),
    pytest.param((flag(2024, "INCOMPETENT", "COMPETENT"),), {2024: "INCOMPETENT"}, None, False,
                 id="PLAN-5-incompetent-in-term-fails"),
    pytest.param((flag(2024, "BASIC", "BASIC"),), {2023: "BASIC", 2024: "BASIC"}, None, False,
                 id="PLAN-5-two-basic-in-term-fails"),
    pytest.param((flag(2026, "INCOMPETENT"),), {2026: "INCOMPETENT"}, None, False,
                 id="PLAN-5-last-year-of-term-fails"),
    pytest.param((flag(2023, "INCOMPETENT"),), {2023: "INCOMPETENT"}, None, True,
                 id="PLAN-5-year-before-term-passes"),
    pytest.param((flag(2027, "INCOMPETENT"),), {2027: "INCOMPETENT"}, None, True,
                 id="PLAN-5-year-after-term-passes"),
    pytest.param((flag(2024, "INCOMPETENT"),), {2024: "INCOMPETENT"},
                 pack(**{"assessment.plan5_enabled": False}), True, id="PLAN-5-pack-without-plan5-passes"),
    pytest.param((flag(2024, "INCOMPETENT"),), {2024: "INCOMPETENT"}, pack("CHUZHOU"), True,
                 id="PLAN-5-chuzhou-without-plan5-passes"),
    pytest.param((flag(2024, "INCOMPETENT"),), {2024: "COMPETENT"}, None, True,
                 id="PLAN-5-grade-corrected-lifts-flag"),
    pytest.param((flag(2024, "INCOMPETENT"),), {}, None, True, id="PLAN-5-grade-withdrawn-lifts-flag"),
    pytest.param((flag(2024, "BASIC", "BASIC"),), {2023: "COMPETENT", 2024: "BASIC"}, None, True,
                 id="PLAN-5-prior-basic-corrected-lifts-flag"),
])
def test_plan5_flag_guard_boundaries(flags: tuple[g.NotRenewFlag, ...], grades: dict[int, str],
                                     pol: Policy | None, passes: bool) -> None:
    """PLAN-5: a standing 不称职 / two-基本称职 flag of an assessment year of the expiring term fails softly
    where the pack enables PLAN5; other years, lifted flags and packs without PLAN5 pass."""
    verdict = g.no_plan5_not_renew_flag(ctx(flags, grades, pol=pol))
    assert verdict.ok is passes
    if not passes:
        assert (verdict.soft, verdict.error_code, verdict.rule) == (True, CODE, g.RH_PLAN5)


def test_plan5_message_names_rule_years_grades_and_citation() -> None:
    """PLAN-5: the refusal names the rule, each flagged year with its grade (pack labels) and the citation."""
    verdict = g.no_plan5_not_renew_flag(ctx(
        (flag(2024, "BASIC", "BASIC", round_id=8), flag(2025, "INCOMPETENT", round_id=9)),
        {2023: "BASIC", 2024: "BASIC", 2025: "INCOMPETENT"}))
    error = verdict.to_error()
    assert (error.code, error.rule_id) == (CODE, "PLAN-5")
    assert error.citation == "seed 000 第五篇 §八(三)、A-10"
    message = error.message_zh
    for part in ("PLAN-5", "2023、2024年度连续两年考核等次为基本称职", "2025年度考核等次为不称职",
                 "seed 000 第五篇 §八(三)"):
        assert part in message
    assert verdict.params["years"] == "2024、2025"


def test_plan5_is_checked_only_where_the_worker_goes_on() -> None:
    """§4.3 Interplay: RH-T3 approve and RH-T7 hire carry the PLAN-5 guard; no step that refuses or ends the
    re-hiring does, so deciding not to re-hire is never blocked by the flag."""
    carrying = sorted(s.trigger for s in ASSESSMENT_REHIRING.steps if g.no_plan5_not_renew_flag in s.guards)
    assert carrying == ["party_decide_hire", "street_approve"]


STREET_APPROVE = ASSESSMENT_REHIRING.step("street_approve")
REVIEW = {"reviewed_on": "2025-01-20", "review_opinion": "同意"}
FLAGGED = ((flag(2024, "INCOMPETENT"),), {2024: "INCOMPETENT"})


@pytest.mark.parametrize(("overrides", "actor", "blocking", "overridden"), [
    pytest.param(None, OFFICE, [CODE], [], id="SOFT-1-PLAN-5-no-override-blocks"),
    pytest.param({CODE: "东民〔2025〕7号"}, OFFICE, [CODE], [],
                 id="SOFT-1-PLAN-5-street-office-alone-cannot-override"),
    pytest.param({CODE: "  "}, OFFICE_AND_BUREAU, [CODE], [], id="SOFT-1-PLAN-5-blank-reason-blocks"),
    pytest.param({CODE: "东民〔2025〕7号：整改到位"}, OFFICE_AND_BUREAU, [], [CODE],
                 id="SOFT-1-PLAN-5-override-role-with-reason-passes"),
])
def test_plan5_override_follows_soft1(overrides: dict[str, str] | None, actor: Actor, blocking: list[str],
                                      overridden: list[str]) -> None:
    """SOFT-1 (A-10): the flag passes only with a reason from a user holding `soft_rules.override_role`."""
    payload: dict[str, Any] = dict(REVIEW)
    if overrides is not None:
        payload["overrides"] = overrides
    assert STREET_APPROVE is not None
    evaluation = evaluate(STREET_APPROVE, ctx(*FLAGGED, payload=payload, actor=actor))
    assert [v.error_code for v in evaluation.blocking] == blocking
    assert [o["code"] for o in evaluation.overridden] == overridden
    for o in evaluation.overridden:
        assert (o["rule_id"], o["by_role"]) == ("PLAN-5", "DISTRICT_CIVIL_AFFAIRS")
