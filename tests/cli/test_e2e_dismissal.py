"""解除聘用 (seed 000 第二十三条; spec §4.7) end to end through the `shequ` CLI: a manual ground to
TERMINATED with the appointment ended DISMISSED, and every documented rejection with its exit code, stable
code, citation and an unchanged case.

The computed grounds (DIS-G7/G8/G9) are opened by SYSTEM when worker facts are recorded (`shequ record`).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.calendar import is_working_day
from tests.cli.conftest import Shequ
from tests.cli.e2e import (
    WORLD,
    CliDatabases,
    Template,
    assert_rejected,
    case_data,
    case_state,
    data_file,
    sets,
)

DAY = "2025-01-06"
CASE = "1"
WORKER = "1"  # 张三, in service at C1 (shared world)
ART23, A30 = "seed 000 第二十三条", "A-30"
ALLEGATION = sets(ground="DIS-G3", allegation="2024年12月玩忽职守，延误低保审核，造成严重工作失误")
CONFIRM = sets(meeting_date=DAY, minutes_ref="纪要 3")
APPROVE = sets(decision_no="东民〔2025〕1号", decision_date=DAY, effective_date="2025-02-01")


def evidence(tmp_path: Path, refs: list[str]) -> tuple[str, ...]:
    return ("--data", data_file(tmp_path, "evidence.json", {"evidence_refs": refs}))


def fire(sh: Shequ, trigger: str, user: str, *args: str, now: str = DAY) -> dict[str, Any]:
    return sh.ok("case", "fire", CASE, trigger, *args, user=user, now=now)


def open_manual(sh: Shequ) -> None:
    """DS-1: the street office opens a G3 case on an allegation."""
    opened = sh.ok("case", "open", "dismissal", "--worker", WORKER, *ALLEGATION, user="s1_office", now=DAY)
    assert (opened["case_id"], opened["state"]) == (1, "OPEN")


def to_party_decided(sh: Shequ, tmp_path: Path) -> None:
    """DS-1…DS-3: opened, evidence compiled, ground confirmed by the party committee."""
    open_manual(sh)
    fire(sh, "compile_evidence", "s1_office", *evidence(tmp_path, ["调查报告 S1-2025-01"]))
    fire(sh, "confirm_ground", "s1_party", *CONFIRM)
    assert case_state(sh, 1) == "PARTY_DECIDED"


def appointment(sh: Shequ) -> dict[str, Any]:
    [only] = sh.ok("worker", "show", WORKER)["appointments"]
    return only


def seed_dismissal(sh: Shequ) -> None:
    sh.ok("user", "add", "s2_office", "西园街道办事处", "--role", "STREET_OFFICE", "--street", "S2")


DISMISSAL = Template("dismissal", lambda sh, _work: seed_dismissal(sh), base=WORLD)
DECIDED = Template("dismissal-decided", to_party_decided, base=DISMISSAL)


@pytest.fixture(name="sh")
def _sh(cli_db: CliDatabases) -> Shequ:
    return cli_db.copy(DISMISSAL)


@pytest.fixture(name="decided")
def _decided(cli_db: CliDatabases) -> Shequ:
    return cli_db.copy(DECIDED)


# ---------------------------------------------------------------- happy path


def test_dismissal_happy_path_ends_the_appointment_dismissed(decided: Shequ) -> None:
    """DS-1…DS-6 through the CLI: approved with effective date 2025-02-01 and the notice recorded, the
    deadline sweep terminates the case at 00:00 that day; the appointment ends DISMISSED(DIS-G3) on 01-31."""
    fire(decided, "approve", "bureau", *APPROVE)
    fire(decided, "record_notice", "s1_office", *sets(notice_delivered_on=DAY, notice_ref="N1"))
    [pending] = decided.ok("deadlines", "list", "--case", CASE, "--status", "PENDING")["deadlines"]
    assert (pending["fires"], pending["due_at"]) == ("take_effect", "2025-02-01T00:00:00+08:00")
    assert decided.ok("deadlines", "run", "--until", "2025-01-31T23:59", now=DAY)["fired"] == []
    assert appointment(decided)["status"] == "ACTIVE"
    run = decided.ok("deadlines", "run", "--until", "2025-02-01T00:00", now=DAY)
    assert [(f["fires"], f["outcome"]) for f in run["fired"]] == [("take_effect", "FIRED")]

    shown = decided.ok("case", "show", CASE)
    assert (shown["case"]["state"], shown["case"]["closed"]) == ("TERMINATED", True)
    assert [e["action"] for e in shown["timeline"]] == [
        "open",
        "compile_evidence",
        "confirm_ground",
        "approve",
        "record_notice",
        "take_effect",
    ]
    assert case_data(decided, 1)["effective_on"] == "2025-02-01"
    ended = appointment(decided)
    assert (ended["status"], ended["end_reason"], ended["end_date"]) == (
        "ENDED",
        "DISMISSED(DIS-G3)",
        "2025-01-31",
    )
    assert "解除聘用" in ended["end_reason_label"]
    assert decided.ok("audit", "verify")["verified"] is True


# ---------------------------------------------------------------- rejections


def test_manual_ground_without_evidence_is_rejected(sh: Shequ, tmp_path: Path) -> None:
    """DIS-2: compiling the evidence of a manual ground without any document reference exits 3 (A-30)."""
    open_manual(sh)
    for refs in ([], ["  "]):
        error = assert_rejected(
            sh,
            3,
            "DIS_EVIDENCE_REQUIRED",
            "case",
            "fire",
            CASE,
            "compile_evidence",
            *evidence(tmp_path, refs),
            case_id=1,
            cite=A30,
            user="s1_office",
            now=DAY,
        )
        assert error["rule_id"] == "DIS-2"
    assert case_state(sh, 1) == "OPEN"


JULY = "2025-07-01"


def record_absences(sh: Shequ) -> None:
    """ABS-3 through `shequ record absence`: 张三 absent 11 consecutive working days from 2025-06-03; the 10th
    opens nothing, the 11th opens a DIS-G8 case as SYSTEM in the same transaction."""
    days: list[date] = []
    day = date(2025, 6, 3)
    while len(days) < 11:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    for n, absent in enumerate(days, start=1):
        result = sh.ok(
            "record",
            "absence",
            WORKER,
            absent.isoformat(),
            "--kind",
            "旷工",
            "--source",
            "考勤表 2025-06",
            user="s1_office",
            now=JULY,
        )
        if n < 11:
            assert result["cases"] == []
    assert [(c["ground"], c["action"], c["state"]) for c in result["cases"]] == [("DIS-G8", "opened", "OPEN")]


def test_computed_ground_cannot_be_closed_as_unfounded(sh: Shequ) -> None:
    """DIS-1: a DIS-G8 case opened by SYSTEM from absences recorded through the CLI needs no evidence
    document, but closing it as unfounded exits 3 citing 第二十三条; the case stays EVIDENCE_READY."""
    record_absences(sh)
    [case] = sh.ok("case", "list", "--procedure", "dismissal")["cases"]
    assert (case["id"], case["state"]) == (1, "OPEN")
    assert case_data(sh, 1)["ground"] == "DIS-G8"
    fire(sh, "compile_evidence", "s1_office", now=JULY)
    error = assert_rejected(
        sh,
        3,
        "DIS_COMPUTED_GROUND_NOT_CLOSABLE",
        "case",
        "fire",
        CASE,
        "close_unfounded",
        *sets(meeting_date=JULY, minutes_ref="纪要 3", unfounded_reason="情有可原"),
        case_id=1,
        cite=ART23,
        user="s1_party",
        now=JULY,
    )
    assert error["rule_id"] == "DIS-1"
    assert [f["code"] for f in error["details"]["failures"]] == ["DIS_COMPUTED_GROUND_NOT_CLOSABLE"]
    assert case_state(sh, 1) == "EVIDENCE_READY"


def test_street_office_cannot_allege_a_computed_ground(sh: Shequ) -> None:
    """DS-1: DIS-G8 is opened by SYSTEM from recorded absences; alleging it exits 3 and opens nothing."""
    assert_rejected(
        sh,
        3,
        "DIS_GROUND_COMPUTED_BY_SYSTEM",
        "case",
        "open",
        "dismissal",
        "--worker",
        WORKER,
        *sets(ground="DIS-G8", allegation="旷工多日"),
        cite=ART23,
        user="s1_office",
        now=DAY,
    )


def test_manual_ground_without_allegation_is_rejected(sh: Shequ) -> None:
    """DS-1: a manual ground is opened with the allegation it rests on (exit 3, A-30)."""
    assert_rejected(
        sh,
        3,
        "DIS_ALLEGATION_REQUIRED",
        "case",
        "open",
        "dismissal",
        "--worker",
        WORKER,
        *sets(ground="DIS-G10"),
        cite=A30,
        user="s1_office",
        now=DAY,
    )


def test_effective_date_before_decision_date_is_rejected(decided: Shequ) -> None:
    """DS-5: an effective date before the decision date exits 3 (DATE_ORDER, A-30) naming both dates."""
    early = sets(decision_no="东民〔2025〕1号", decision_date=DAY, effective_date="2025-01-05")
    error = assert_rejected(
        decided,
        3,
        "DATE_ORDER",
        "case",
        "fire",
        CASE,
        "approve",
        *early,
        case_id=1,
        cite=A30,
        user="bureau",
        now=DAY,
    )
    assert "2025-01-05" in error["message"]
    assert "2025-01-06" in error["message"]
    assert case_state(decided, 1) == "PARTY_DECIDED"


def test_without_written_notice_the_dismissal_does_not_take_effect(decided: Shequ) -> None:
    """DS-6 (A-30): at the effective date without a recorded notice the deadline fails naming the notice, the
    case stays APPROVED and the appointment ACTIVE; nobody can force take_effect (exit 4); once the notice is
    recorded late, the dismissal takes effect from its delivery date."""
    fire(decided, "approve", "bureau", *APPROVE)
    run = decided.ok("deadlines", "run", "--until", "2025-02-01T00:00", now=DAY)
    [failed] = run["fired"]
    assert (failed["fires"], failed["outcome"]) == ("take_effect", "FAILED")
    assert "书面解除聘用通知" in failed["error"]
    assert A30 in failed["error"]
    assert (case_state(decided, 1), appointment(decided)["status"]) == ("APPROVED", "ACTIVE")
    assert_rejected(
        decided,
        4,
        "ROLE_NOT_PERMITTED",
        "case",
        "fire",
        CASE,
        "take_effect",
        case_id=1,
        user="bureau",
        now="2025-02-03",
    )
    late = fire(decided, "record_notice", "bureau", *sets(notice_delivered_on="2025-02-03"), now="2025-02-03")
    assert [s["trigger"] for s in late["steps"]] == ["record_notice", "take_effect"]
    ended = appointment(decided)
    assert (late["state"], ended["status"], ended["end_date"]) == ("TERMINATED", "ENDED", "2025-02-02")


@pytest.mark.parametrize(
    ("user", "code"),
    [
        pytest.param("s1_party", "ROLE_NOT_PERMITTED", id="DS-1-party-committee-does-not-open"),
        pytest.param("zhang", "ROLE_NOT_PERMITTED", id="DS-1-worker-does-not-open"),
        pytest.param("s2_office", "OUT_OF_SCOPE", id="DS-1-other-street-office-out-of-scope"),
    ],
)
def test_opening_by_the_wrong_user_exits_4(sh: Shequ, user: str, code: str) -> None:
    """DS-1: only the worker's own street office opens a manual-ground case; others exit 4, nothing opened."""
    assert_rejected(
        sh, 4, code, "case", "open", "dismissal", "--worker", WORKER, *ALLEGATION, user=user, now=DAY
    )


@pytest.mark.parametrize(
    ("trigger", "user", "args", "code"),
    [
        pytest.param(
            "approve", "s1_party", APPROVE, "ROLE_NOT_PERMITTED", id="DS-5-party-committee-cannot-approve"
        ),
        pytest.param(
            "approve", "s1_office", APPROVE, "ROLE_NOT_PERMITTED", id="DS-5-street-office-cannot-approve"
        ),
    ],
)
def test_approval_by_the_wrong_role_exits_4(
    decided: Shequ, trigger: str, user: str, args: tuple[str, ...], code: str
) -> None:
    """DS-5: 区民政局 (the appointing authority) approves; other roles exit 4 and the case is unchanged."""
    assert_rejected(decided, 4, code, "case", "fire", CASE, trigger, *args, case_id=1, user=user, now=DAY)


def test_confirming_before_evidence_and_bad_dates(sh: Shequ, tmp_path: Path) -> None:
    """DS-3 is not available before the evidence (exit 3); a malformed meeting date is bad input (exit 2)."""
    open_manual(sh)
    assert_rejected(
        sh,
        3,
        "TRIGGER_NOT_AVAILABLE",
        "case",
        "fire",
        CASE,
        "confirm_ground",
        *CONFIRM,
        case_id=1,
        user="s1_party",
        now=DAY,
    )
    fire(sh, "compile_evidence", "s1_office", *evidence(tmp_path, ["E-1"]))
    error = assert_rejected(
        sh,
        2,
        "PAYLOAD_INVALID",
        "case",
        "fire",
        CASE,
        "confirm_ground",
        *sets(meeting_date="2025-02-30", minutes_ref="M"),
        case_id=1,
        user="s1_party",
        now=DAY,
    )
    assert error["details"]["fields"] == ["meeting_date"]


def test_correcting_an_absence_closes_the_computed_case(sh: Shequ) -> None:
    """DS-7 (A-39): withdrawing one day of the 11-day run through `shequ record correct` splits the run and
    SYSTEM closes the DIS-G8 case CLOSED_DATA_CORRECTED; a correction without reason is bad input (exit 2)."""
    record_absences(sh)
    record_id = str(sh.ok("record", "history", WORKER)["records"][5]["id"])
    error = assert_rejected(
        sh,
        2,
        "USAGE",
        "record",
        "correct",
        "absences",
        record_id,
        "--withdraw",
        "--authority",
        "复核",
        case_id=1,
        user="s1_office",
        now=JULY,
    )
    assert error["message"] == "命令用法有误：缺少选项 --reason"  # click's own wording is English
    result = sh.ok(
        "record",
        "correct",
        "absences",
        record_id,
        "--withdraw",
        "--reason",
        "该日为已批准的事假",
        "--authority",
        "街道考勤复核意见",
        user="s1_office",
        now=JULY,
    )
    assert [(c["ground"], c["action"]) for c in result["cases"]] == [("DIS-G8", "closed_data_corrected")]
    shown = sh.ok("case", "show", CASE)
    assert (shown["case"]["state"], shown["case"]["closed"]) == ("CLOSED_DATA_CORRECTED", True)
    assert appointment(sh)["status"] == "ACTIVE"
