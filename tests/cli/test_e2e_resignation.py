"""辞职 (seed 000 第二十二条; spec §4.6) rejections through the `shequ` CLI that `test_case_commands.py`
(happy path, RES-2 at submission, roles, scope, version, bad input) does not cover: each exits with its code,
cites the article and leaves the case and the audit trail unchanged."""

from __future__ import annotations

import pytest

from tests.cli.conftest import SUBMIT, Shequ, open_resignation
from tests.cli.e2e import WORLD, CliDatabases, assert_rejected, case_state, sets

ART22 = "seed 000 第二十二条"
DAY = "2025-01-06"
APPROVE = sets(decided_on=DAY, minutes_ref="M1")


@pytest.fixture(name="world")
def _world(cli_db: CliDatabases) -> Shequ:
    """The seeded world (tests/cli/conftest.py `seed_world`) on this test's database."""
    return cli_db.copy(WORLD)


def test_oral_resignation_is_rejected(world: Shequ) -> None:
    """RES-1: an application that is not written exits 3 (RES_NOT_WRITTEN) and opens no case."""
    args = (
        "case",
        "open",
        "resignation",
        "--worker",
        "1",
        *sets(submitted_on=DAY, written="否", document_ref="口头"),
    )
    error = assert_rejected(world, 3, "RES_NOT_WRITTEN", *args, cite=ART22, user="zhang", now=DAY)
    assert error["rule_id"] == "RES-1"


def test_second_open_resignation_is_rejected(world: Shequ) -> None:
    """One open resignation per worker: a second application exits 3 naming the first case."""
    open_resignation(world)
    error = assert_rejected(
        world,
        3,
        "RES_ALREADY_OPEN",
        "case",
        "open",
        "resignation",
        "--worker",
        "1",
        *SUBMIT,
        cite=ART22,
        user="zhang",
        now=DAY,
    )
    assert "案件 1" in error["message"]


def test_approval_with_a_separation_date_inside_the_notice_is_rejected(world: Shequ) -> None:
    """RES-2 at approval: the committee cannot approve a last day earlier than submission + one month."""
    open_resignation(world)
    error = assert_rejected(
        world,
        3,
        "RES_NOTICE_TOO_SHORT",
        "case",
        "fire",
        "1",
        "approve",
        *APPROVE,
        *sets(approved_separation_date="2025-02-05"),
        case_id=1,
        cite=ART22,
        user="s1_party",
        now=DAY,
    )
    assert "2025-02-06" in error["message"]
    assert case_state(world, 1) == "SUBMITTED"


def test_filing_twice_and_withdrawing_after_approval_are_rejected(world: Shequ) -> None:
    """RS-5: the filing is recorded once (exit 3, RES_ALREADY_FILED); RES-6: no withdrawal after approval
    (exit 3, not available from APPROVED)."""
    open_resignation(world)
    world.ok("case", "fire", "1", "approve", *APPROVE, user="s1_party", now=DAY)
    filing = ("case", "fire", "1", "record_filing", *sets(filed_on="2025-01-07", filing_no="B1"))
    world.ok(*filing, user="bureau", now="2025-01-07")
    assert_rejected(
        world, 3, "RES_ALREADY_FILED", *filing, case_id=1, cite=ART22, user="bureau", now="2025-01-07"
    )
    assert_rejected(
        world,
        3,
        "TRIGGER_NOT_AVAILABLE",
        "case",
        "withdraw",
        "1",
        *sets(withdrawn_on="2025-01-07"),
        case_id=1,
        user="zhang",
        now="2025-01-07",
    )
    assert case_state(world, 1) == "APPROVED"


def test_decision_dated_before_the_application_is_rejected(world: Shequ) -> None:
    """RES dates: a decision dated before the application was received exits 3 (DATE_ORDER) naming both."""
    open_resignation(world)
    error = assert_rejected(
        world,
        3,
        "DATE_ORDER",
        "case",
        "fire",
        "1",
        "return_application",
        *sets(decided_on="2025-01-05", return_reason="材料不全"),
        case_id=1,
        cite=ART22,
        user="s1_party",
        now=DAY,
    )
    assert "2025-01-05" in error["message"]
