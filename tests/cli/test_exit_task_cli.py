"""HONGSHAN 不合格 exit task closed from the command line (seed 001 第二十七条(四), HS-EXIT, DECISIONS 31):
`record exit-task` by the task's handler records an outcome the worker's category allows, in one audited
transaction, shown by `worker show`; a later grade of the same task keeps the outcome."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Shequ
from tests.cli.test_pack_variants_cli import NOW, add_district
from tests.conftest import make_id

SOURCE = "珞南街道解除用工合同通知〔2025〕1号"


@pytest.fixture(name="failing")
def _failing(world: Shequ) -> tuple[Shequ, str]:
    """A HONGSHAN 公共服务干事 graded 不合格 for 2024: an open TERMINATE_CONTRACT task (street office)."""
    worker = add_district(world, "HS", "HONGSHAN", "HS1", "HC1")
    world.ok("record", "grade", worker, "2024", "不合格", "--source", "珞南街道考评 2024", user="hs_office",
             now=NOW)
    [item] = world.ok("worker", "show", worker, now=NOW)["appointment_flags"]
    assert (item["exit_task"]["kind"], item["exit_task"]["status"]) == ("TERMINATE_CONTRACT", "OPEN")
    return world, worker


def test_handler_closes_the_task_with_its_outcome_in_one_audited_entry(failing: tuple[Shequ, str]) -> None:
    """HS-EXIT closed: 依据用工合同予以解聘 by the street office closes the task with outcome, date and
    source; the audit's last entry is that change (closed, rule HS-EXIT, by hs_office); worker show prints
    it."""
    world, worker = failing
    done = world.ok("record", "exit-task", worker, "--outcome", "依据用工合同予以解聘", "--source", SOURCE,
                    user="hs_office", now=NOW)
    after = done["after"]
    assert (after["status"], after["outcome"], after["outcome_on"], after["outcome_source"]) == (
        "CLOSED", "CONTRACT_TERMINATED", NOW, SOURCE)
    assert done["before"]["status"] == "OPEN"
    last = world.ok("audit", "show", "--limit", "1")["entries"][-1]
    assert (last["seq"], last["action"]) == (done["audit_seq"], "appointment.exit_task")
    [item] = world.ok("worker", "show", worker, now=NOW)["appointment_flags"]
    task = item["exit_task"]
    assert (task["status"], task["outcome"], task["outcome_label"]) == (
        "CLOSED", "CONTRACT_TERMINATED", "依据用工合同予以解聘")
    assert task["outcome_audit_seq"] == done["audit_seq"]
    text = world.human("worker", "show", worker, now=NOW).stdout
    assert f"退出处理已办结：依据用工合同予以解聘（{NOW}" in text
    assert SOURCE in text


@pytest.mark.parametrize("outcome", [
    pytest.param("ADJUSTED", id="HS-EXIT-officer-cannot-be-adjusted"),
    pytest.param("予以辞退", id="HS-EXIT-officer-cannot-be-discharged"),
    pytest.param("NOT_AN_OUTCOME", id="HS-EXIT-unknown-outcome"),
])
def test_an_outcome_the_category_does_not_allow_is_refused(failing: tuple[Shequ, str], outcome: str) -> None:
    """HS-EXIT: a 公共服务干事's exit ends only in 解聘 (第二十七条(四)); another outcome exits 2 naming
    the one allowed, and the task stays OPEN."""
    world, worker = failing
    error = world.fails(2, "record", "exit-task", worker, "--outcome", outcome, "--source", SOURCE,
                        user="hs_office", now=NOW)
    assert error["code"] == "EXIT_TASK_OUTCOME_NOT_ALLOWED"
    assert "CONTRACT_TERMINATED" in error["message"]
    [item] = world.ok("worker", "show", worker, now=NOW)["appointment_flags"]
    assert item["exit_task"]["status"] == "OPEN"


def test_residents_committee_member_may_be_adjusted(world: Shequ) -> None:
    """HS-EXIT: a 居委会 member's exit (调整或予以辞退) accepts 调整 (ADJUSTED)."""
    add_district(world, "HS", "HONGSHAN", "HS1", "HC1")
    member = str(world.ok("worker", "add", "--id-number", make_id("34110219850303009"), "--name", "钱七",
                          "--community", "HC1", "--category", "RESIDENTS_COMMITTEE_MEMBER",
                          "--appointment-start", "2021-01-01")["worker"]["id"])
    world.ok("record", "grade", member, "2024", "不合格", "--source", "珞南街道考评 2024", user="hs_office",
             now=NOW)
    done = world.ok("record", "exit-task", member, "--outcome", "调整", "--source", "居委会调整决定",
                    user="hs_office", now=NOW)
    assert (done["after"]["kind"], done["after"]["outcome"]) == ("ADJUST_OR_DISCHARGE", "ADJUSTED")


def test_a_later_grade_keeps_the_outcome_and_a_second_closing_is_refused(failing: tuple[Shequ, str]) -> None:
    """HS-EXIT: recording the 2025 grade recomputes the flags but keeps the CLOSED task (same year and kind)
    without a new audit entry; closing it again exits 3 EXIT_TASK_NOT_OPEN."""
    world, worker = failing
    world.ok("record", "exit-task", worker, "--outcome", "CONTRACT_TERMINATED", "--source", SOURCE,
             user="hs_office", now=NOW)
    result = world.ok("record", "grade", worker, "2025", "合格", "--source", "珞南街道考评 2025",
                      user="hs_office", now=NOW)
    assert [c for c in result["consequences"] if c["kind"] == "appointment_flag"] == []
    [item] = world.ok("worker", "show", worker, now=NOW)["appointment_flags"]
    assert (item["exit_task"]["status"], item["exit_task"]["outcome"]) == ("CLOSED", "CONTRACT_TERMINATED")
    error = world.fails(3, "record", "exit-task", worker, "--outcome", "CONTRACT_TERMINATED", "--source",
                        SOURCE, user="hs_office", now=NOW)
    assert error["code"] == "EXIT_TASK_NOT_OPEN"


def test_no_task_wrong_role_and_future_date_are_refused(failing: tuple[Shequ, str]) -> None:
    """HS-EXIT: a DONGQU worker without a task exits 3; a user without the handler's role exits 4; a date
    after today exits 2 — and the task stays OPEN."""
    world, worker = failing
    assert world.fails(3, "record", "exit-task", "1", "--outcome", "ADJUSTED", "--source", SOURCE,
                       user="s1_office", now=NOW)["code"] == "EXIT_TASK_NOT_OPEN"
    assert world.fails(4, "record", "exit-task", worker, "--outcome", "CONTRACT_TERMINATED", "--source",
                       SOURCE, user="bureau", now=NOW)["code"] == "ROLE_NOT_PERMITTED"
    assert world.fails(2, "record", "exit-task", worker, "--outcome", "CONTRACT_TERMINATED", "--source",
                       SOURCE, "--date", "2025-03-02", user="hs_office",
                       now=NOW)["code"] == "EXIT_TASK_DATE_OUT_OF_RANGE"
    [item] = world.ok("worker", "show", worker, now=NOW)["appointment_flags"]
    assert item["exit_task"]["status"] == "OPEN"


def test_a_correction_away_from_the_tier_lifts_a_closed_task(failing: tuple[Shequ, str]) -> None:
    """HS-EXIT: the task is derived from the grades (DECISIONS 18) — correcting the 2024 不合格 to 合格 lifts
    even a CLOSED task, audited as SYSTEM with the closed task (and its outcome) as `before`."""
    world, worker = failing
    world.ok("record", "exit-task", worker, "--outcome", "解聘", "--source", SOURCE, user="hs_office",
             now=NOW)
    facts = world.ok("worker", "show", worker, now=NOW)["recorded_facts"]
    [record] = [r for r in facts if r["table"] == "annual_grades"]
    result = world.ok("record", "correct", "grades", str(record["id"]), "--grade", "合格", "--reason",
                      "复核更正", "--authority", "珞南街道考评复核意见", user="hs_office", now=NOW)
    [flag] = [c for c in result["consequences"] if c["kind"] == "appointment_flag"]
    assert (flag["flag"], flag["change"]) == ("exit_task", "lifted")
    assert (flag["before"]["status"], flag["before"]["outcome"]) == ("CLOSED", "CONTRACT_TERMINATED")
    assert world.ok("worker", "show", worker, now=NOW)["appointment_flags"] == []
