"""PLAN-5 consumed at 考核聘用 through the engine (spec §4.3 Interplay, §4.4.4, SOFT-1): a real FINAL annual
assessment round grades a 社区公共事务所 worker 不称职 (flag 原则上不予续聘); RH-T3 and RH-T7 refuse to go
on unless the override role passes the flag with a reason, recorded in the audit entry; refusing is never
blocked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from engine.app import App
from engine.errors import GuardRejected
from tests.conftest import World, make_id
from tests.workflows.test_assessment_chain import run_round
from tests.workflows.test_rehiring_procedure import vote_payload

CASE = "assessment_rehiring"
CODE = "RH_PLAN5_NOT_RENEW"
DAY = "2025-01-11"  # the day the 2024 round became FINAL (run_round)
REASON = "东民〔2025〕7号：已整改到位，经区民政局研究同意续聘"


@dataclass
class Flagged:
    """王五 (C2, term 1 2024–2026) graded 不称职 for 2024 by S2's FINAL round; 换届 open, his case APPLIED."""

    app: App
    worker_id: int
    round_data: dict[str, Any]
    case_id: int

    def fire(self, trigger: str, login: str, payload: dict[str, Any]) -> Any:
        return self.app.engine.fire(self.case_id, trigger, login, payload)

    def state(self) -> str:
        with self.app.db.read() as s:
            return s.get_case(self.case_id).state


@pytest.fixture(name="flagged")
def _flagged(world: World) -> Flagged:
    app, a = world.app, world.app.admin
    term = a.add_term("DQ", 1, date(2024, 1, 1))
    worker = a.add_worker({"id_number": make_id("11010519790303003"), "name": "王五", "community": "C2",
                           "category": "PROFESSIONAL_SOCIAL_WORKER", "appointment_start": "2024-01-01"})
    a.add_user("wang", "王五", ["WORKER"], community="C2", worker_id=worker)
    a.add_user("c2", "西园社区", ["COMMUNITY"], community="C2")
    a.add_user("cag2", "西园社区考核领导小组", ["COMMUNITY_ASSESSMENT_GROUP"], community="C2")
    a.add_user("sag2", "西园街道考评领导小组", ["STREET_ASSESSMENT_GROUP"], street="S2")
    a.add_user("s2_bureau", "区民政局（西园街道联系人）", ["STREET_OFFICE", "DISTRICT_CIVIL_AFFAIRS"],
               street="S2")
    round_data = run_round(app, worker, 2024, 50)  # every sheet 50 → 不称职
    a.add_term("DQ", 2, date(2027, 1, 1), status="PLANNED")
    a.open_renewal(term, date(2025, 1, 11), date(2025, 1, 31), by="bureau")
    with app.db.read() as s:
        (case,) = s.list_cases(procedure=CASE, worker_id=worker)
    flagged = Flagged(app, worker, round_data, case.id)
    flagged.fire("apply", "wang", {"applied_on": DAY, "application_doc_ref": "申-1"})
    return flagged


def rejected(call: Any) -> GuardRejected:
    with pytest.raises(GuardRejected) as info:
        call()
    return info.value


REVIEW = {"reviewed_on": DAY, "review_opinion": "同意"}


def to_thresholds_met(flagged: Flagged) -> None:
    """RH-T3 passed by the override role, RH-T4 approved, a passing vote (RH-T5/RH-T6)."""
    flagged.fire("street_approve", "s2_bureau", {**REVIEW, "overrides": {CODE: REASON}})
    flagged.fire("bureau_approve_application", "bureau", {"application_approval_no": "批-1",
                                                          "application_decided_on": DAY})
    flagged.fire("record_vote", "s2_office", {**vote_payload(), "vote_meeting_date": DAY})
    assert flagged.state() == "THRESHOLDS_MET"


def test_the_round_records_the_flag_the_rehiring_reads(flagged: Flagged) -> None:
    """PLAN-5: the FINAL 2024 round holds the NOT_RENEW_FLAG consequence for 王五 (what RH-T3 reads)."""
    kinds = [(c["kind"], c["worker_id"], c["year"], c["grade"]) for c in flagged.round_data["consequences"]]
    assert ("NOT_RENEW_FLAG", flagged.worker_id, 2024, "INCOMPETENT") in kinds


def test_street_review_is_refused_with_code_and_citation(flagged: Flagged) -> None:
    """RH-T3 / PLAN-5: the street office cannot approve a flagged worker; the case stays APPLIED."""
    error = rejected(lambda: flagged.fire("street_approve", "s2_office", REVIEW))
    assert (error.code, error.rule_id) == (CODE, "PLAN-5")
    assert "seed 000 第五篇 §八(三)" in error.message_zh
    assert "2024年度考核等次为不称职" in error.message_zh
    assert flagged.state() == "APPLIED"


def test_street_office_alone_cannot_override(flagged: Flagged) -> None:
    """SOFT-1 (A-10): an override from a user without the 区民政局 role is not honoured."""
    overridden = {**REVIEW, "overrides": {CODE: REASON}}
    error = rejected(lambda: flagged.fire("street_approve", "s2_office", overridden))
    assert error.code == CODE
    assert flagged.state() == "APPLIED"


def test_override_with_reason_passes_and_is_audited(flagged: Flagged) -> None:
    """SOFT-1: a street reviewer who holds the override role passes the flag with a reason; the audit entry
    records the override (code, rule, citation, reason, role)."""
    assert flagged.fire("street_approve", "s2_bureau", {**REVIEW, "overrides": {CODE: REASON}}).state == (
        "STREET_APPROVED")
    with flagged.app.db.read() as s:
        entry = [e for e in s.audit_entries(case_id=flagged.case_id) if e.action == "street_approve"][-1]
    assert [(o["code"], o["rule_id"], o["citation"], o["reason"], o["by_role"])
            for o in entry.body["overrides"]] == [
        (CODE, "PLAN-5", "seed 000 第五篇 §八(三)、A-10", REASON, "DISTRICT_CIVIL_AFFAIRS")]


def test_street_can_always_refuse_a_flagged_worker(flagged: Flagged) -> None:
    """§4.3 Interplay: the flag never blocks the decision not to go on (RH-T3 reject → NOT_REHIRED)."""
    assert flagged.fire("street_reject", "s2_office", {**REVIEW, "review_opinion": "不同意"}).state == (
        "NOT_REHIRED")


def test_party_decision_to_hire_needs_its_own_override(flagged: Flagged) -> None:
    """RH-T7 / PLAN-5: the 党工委 sees the flag again — hiring is refused without an override of its own,
    passes with one, and deciding not to hire is never blocked."""
    to_thresholds_met(flagged)
    decision = {"party_meeting_date": DAY, "party_members_present": 7, "minutes_ref": "纪-1"}
    error = rejected(lambda: flagged.fire("party_decide_hire", "s2_party", decision))
    assert (error.code, error.rule_id) == (CODE, "PLAN-5")
    assert flagged.state() == "THRESHOLDS_MET"
    flagged.app.admin.add_user("s2_party_bureau", "区民政局（党工委会议列席）",
                               ["STREET_PARTY_COMMITTEE", "DISTRICT_CIVIL_AFFAIRS"], street="S2")
    hired = flagged.fire("party_decide_hire", "s2_party_bureau", {**decision, "overrides": {CODE: REASON}})
    assert hired.state == "DECIDED_TO_HIRE"


def test_party_can_always_decide_not_to_hire(flagged: Flagged) -> None:
    """§4.3 Interplay: RH-T7 not-hire is never blocked by the flag."""
    to_thresholds_met(flagged)
    result = flagged.fire("party_decide_not_hire", "s2_party", {
        "party_meeting_date": DAY, "party_members_present": 7, "minutes_ref": "纪-1",
        "party_decision_note": "考核不称职"})
    assert result.state == "NOT_REHIRED"
