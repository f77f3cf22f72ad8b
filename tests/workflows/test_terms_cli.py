"""`shequ term` (spec §4.1): create, open-renewal with a progress bar per community and a resumable fan-out,
expire and sweep, and office results after 换届 — through the CLI only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import ConcurrentModification
from engine.service import Engine
from tests.cli.conftest import Shequ, _cli_template, _world, _world_template  # noqa: F401 - fixtures
from tests.conftest import make_id

DAY = "2025-01-06"


def seed(world: Shequ) -> None:
    """Term 1 (registered, ACTIVE), term 2 created by TM-1; three more workers in term 1: two at C1 (one a
    residents'-committee member), one at C2."""
    world.ok("term", "add", "DQ", "1", "2024-01-01")
    world.ok("term", "create", "DQ", "2", "2027-01-01", "--pay-standard", "80000", "--wage-year", "2025",
             "--wage-amount", "78000", "--wage-source", "统计公报", user="bureau", now=DAY)
    for i, (community, category) in enumerate((("C1", "PROFESSIONAL_SOCIAL_WORKER"),
                                               ("C1", "RESIDENTS_COMMITTEE_MEMBER"),
                                               ("C2", "PROFESSIONAL_SOCIAL_WORKER")), start=2):
        world.ok("worker", "add", "--id-number", make_id(f"1101051985040400{i}"), "--name", f"工作者{i}",
                 "--community", community, "--category", category, "--appointment-start", "2024-01-01")


def open_renewal(world: Shequ) -> None:
    """TM-3 on term 1 by 区民政局 with the window 2025-01-06…01-31."""
    world.ok("term", "open-renewal", "1", "--from", "2025-01-06", "--to", "2025-01-31", user="bureau",
             now=DAY)


def test_create_refuses_a_low_standard_unless_overridden(world: Shequ) -> None:
    """TM-1 / SOFT-1: below the city average wage → exit 3; with 区民政局's override the term is created."""
    args = ("term", "create", "DQ", "1", "2024-01-01", "--pay-standard", "70000", "--wage-year", "2023",
            "--wage-amount", "78000", "--wage-source", "统计公报")
    error = world.fails(3, *args, user="bureau", now=DAY)
    assert (error["code"], error["rule_id"]) == ("TERM_PAY_BELOW_CITY_AVERAGE", "TERM-3")
    data = world.ok(*args, "--override", "TERM_PAY_BELOW_CITY_AVERAGE=区财政批复", user="bureau", now=DAY)
    assert data["to"] == "PLANNED"
    assert data["overridden"][0]["reason"] == "区财政批复"


def test_open_renewal_opens_cases_with_a_bar_per_community(world: Shequ) -> None:
    """TM-3 from the CLI: one case per appointment of term 1 (C1: 2, C2: 1), a progress bar per community on
    stderr, and the window recorded; running it again opens nothing more."""
    seed(world)
    result = world.human("term", "open-renewal", "1", "--from", "2025-01-06", "--to", "2025-01-31",
                         user="bureau", now=DAY)
    assert "本次建立考核聘用案件 3 件，此前已建立 0 件，涉及 2 个社区" in result.stdout
    assert "[1/2] 东华社区（C1）" in result.stderr
    assert "[2/2] 西园社区（C2）" in result.stderr
    again = world.ok("term", "open-renewal", "1", "--from", "2025-01-06", "--to", "2025-01-31", user="bureau",
                     now=DAY)
    assert (again["opened"], again["existing"]) == (0, 3)
    listed = world.ok("case", "list", "--procedure", "assessment_rehiring")["cases"]
    assert len(listed) == 3


def test_open_renewal_failure_is_reported_and_resumable(world: Shequ,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A community that fails is rolled back and reported (exit code of its error, here 6); the other one
    stays committed; the same command then finishes the job."""
    seed(world)
    original = Engine.open_case_in

    def failing_c2(self: Engine, store: Any, procedure: str, actor: Any, payload: Any = None,
                   **kw: Any) -> Any:
        if store.community(kw["community_id"]).code == "C2":
            raise ConcurrentModification("DB_BUSY", details={"error": "simulated"})
        return original(self, store, procedure, actor, payload, **kw)

    monkeypatch.setattr(Engine, "open_case_in", failing_c2)
    error = world.fails(6, "term", "open-renewal", "1", "--from", "2025-01-06", "--to", "2025-01-31",
                        user="bureau", now=DAY)
    assert error["code"] == "CHANGEOVER_INCOMPLETE"
    assert (error["details"]["communities"], error["details"]["opened"]) == ("C2", 2)
    monkeypatch.setattr(Engine, "open_case_in", original)
    again = world.ok("term", "open-renewal", "1", "--from", "2025-01-06", "--to", "2025-01-31", user="bureau",
                     now=DAY)
    assert (again["opened"], again["existing"]) == (1, 2)


def test_expire_and_sweep(world: Shequ) -> None:
    """TM-4 from the CLI: refused before end_date + 1; `term sweep` on 2027-01-01 expires term 1 (all
    NOT_APPLIED → EXPIRED), starts term 2 and closes term 1; `term offices` shows the 两委 member without
    an office result."""
    seed(world)
    open_renewal(world)
    assert world.fails(3, "term", "expire", "1", now="2026-12-31")["code"] == "TERM_NOT_EXPIRED_YET"
    world.ok("deadlines", "run", "--until", "2025-02-01T00:00", now="2025-02-01")  # all NOT_APPLIED
    swept = world.ok("term", "sweep", now="2027-01-01T00:00")["outcomes"]
    assert [(o["term_id"], o["trigger"], o["to"]) for o in swept] == [(1, "expire", "ENDED"),
                                                                       (2, "start", "ACTIVE"),
                                                                       (1, "close", "CLOSED")]
    assert swept[0]["details"] == {"SUCCESSOR": 0, "HOLDOVER": 0, "EXPIRED": 3, "KEPT": 0}
    human = world.human("term", "offices", "1", now="2027-01-01").stdout
    assert "工作者3" in human
    assert "未登记" in human


def test_record_offices_from_csv_opens_ground_nine(world: Shequ, tmp_path: Path) -> None:
    """DIS-G9 after 换届: a CSV of office results recorded at once; the member no longer in office gets a
    dismissal case, shown by `term offices`."""
    seed(world)
    open_renewal(world)
    path = tmp_path / "offices.csv"
    path.write_text("worker_id,in_office,election_date,source_ref\n3,否,2025-01-06,居委会选举结果公告\n",
                    encoding="utf-8")
    data = world.ok("term", "record-offices", "1", str(path), user="s1_office", now=DAY)
    assert len(data["dismissal_cases_opened"]) == 1
    offices = world.ok("term", "offices", "1", now=DAY)["offices"]
    assert [(o["worker_id"], o["in_office"], o["dismissal_case_id"]) for o in offices] == [
        (3, False, data["dismissal_cases_opened"][0])]
