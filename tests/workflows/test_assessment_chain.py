"""The 2022–2024 chain of spec §4.7 through three real annual assessment rounds (DONGQU with PLAN5): the FINAL
step writes each grade through `Records` in its own transaction, and the 2024 FINAL opens DIS-G7b, not G7a."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from engine.app import App
from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import fire_due
from tests.conftest import World, make_id
from tests.workflows.test_assessment_procedure import CASE, at, roster
from workflows.records import GRADES_TABLE


@pytest.fixture(name="wang")
def _wang(world: World) -> int:
    a = world.app.admin
    worker = a.add_worker({"id_number": make_id("11010519790303003"), "name": "王五", "community": "C2",
                           "category": "PROFESSIONAL_SOCIAL_WORKER", "appointment_start": "2021-01-01",
                           "appointment_end": "2026-12-31"})
    a.add_user("c2", "西园社区", ["COMMUNITY"], community="C2")
    a.add_user("cag2", "西园社区考核领导小组", ["COMMUNITY_ASSESSMENT_GROUP"], community="C2")
    a.add_user("sag2", "西园街道考评领导小组", ["STREET_ASSESSMENT_GROUP"], street="S2")
    return worker


def run_round(app: App, worker: int, year: int, score: int) -> dict[str, Any]:
    """One full round of S2 for `year` in which 王五 scores `score` on every sheet; returns the case data."""
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    e = app.engine
    clock.set(at(f"{year}-12-15"))
    cid = e.open_case(CASE, "s2_office", {"assessment_year": year, "rules_doc_ref": f"西园街发〔{year}〕3号",
                                          "rules_filed_on": f"{year}-12-01"}).case_id
    clock.set(at(f"{year}-12-20"))
    e.fire(cid, "post_performance", "c2", {"posted_on": f"{year}-12-20", "publicity_place": "公开栏",
                                           "publicity_doc_ref": "实绩"})
    e.fire(cid, "approve_roster", "cag2", {"assessment_roster": roster(22, workers=1, reps=4),
                                           "roster_approved_on": f"{year}-12-20"})
    e.fire(cid, "post_roster", "c2", {"roster_posted_on": f"{year}-12-20"})
    clock.set(at(f"{year}-12-27"))
    e.fire(cid, "hold_meeting", "s2_office", {
        "assessment_community": "C2", "assessment_meeting_date": f"{year}-12-27", "attendance_present": 22,
        "score_sheets": {str(worker): [score] * 20}})
    e.fire(cid, "propose_grades", "sag2", {"proposed_on": f"{year}-12-27"})
    clock.set(at(f"{year + 1}-01-04"))
    e.fire(cid, "post_results", "c2", {"posted_on": f"{year + 1}-01-04", "publicity_place": "公开栏",
                                       "publicity_doc_ref": "结果"})
    clock.set(datetime(year + 1, 1, 11, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(e)] == ["FIRED"]
    result = e.fire(cid, "finalise", "sag2", {"reported_on": f"{year + 1}-01-11",
                                              "feedback_on": f"{year + 1}-01-11"})
    assert result.state == "FINAL"
    with app.db.read() as s:
        return dict(s.get_case(cid).data)


def dismissal_grounds(app: App, worker: int) -> list[str]:
    with app.db.read() as s:
        return [c.data["ground"] for c in s.list_cases(procedure="dismissal", worker_id=worker)]


def test_chain_2022_2024_fires_g7b_not_g7a(world: World, wang: int) -> None:
    """§4.7: 2022 基本称职 → 2023 基本称职 becomes 不称职 (carry-over) → 2024 基本称职 (prior 不称职, no
    carry-over) ⇒ the 2024 FINAL opens DIS-G7b in the same transaction; DIS-G7a never fires."""
    app = world.app
    run_round(app, wang, 2022, 70)
    assert dismissal_grounds(app, wang) == []
    data_2023 = run_round(app, wang, 2023, 75)
    steps = {s["step"]: s for s in data_2023["results"][str(wang)]["steps"]}
    assert (steps["band"]["grade"], steps["carry_over"]["grade"]) == ("BASIC", "INCOMPETENT")
    assert steps["carry_over"]["applied"] is True
    assert dismissal_grounds(app, wang) == []
    data_2024 = run_round(app, wang, 2024, 75)
    assert data_2024["final_grades"] == {str(wang): "BASIC"}
    with app.db.read() as s:
        grades = {r["year"]: r["grade"] for r in s.facts(GRADES_TABLE, wang)}
        audit = [e for e in s.audit_entries() if e.action == "annual_grades.record"]
    assert grades == {2022: "BASIC", 2023: "INCOMPETENT", 2024: "BASIC"}
    assert dismissal_grounds(app, wang) == ["DIS-G7b"]
    assert audit[-1].body["findings"] == {"DIS-G7a": False, "DIS-G7b": True, "DIS-G8": False, "DIS-G9": False}
