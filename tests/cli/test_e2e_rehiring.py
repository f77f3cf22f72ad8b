"""考核聘用 (seed 000 第六条; spec §4.3) end to end through the `shequ` CLI only: the happy path to REHIRED
with the successor appointment, failing votes ending NOT_REHIRED, and every documented rejection with its exit
code, stable code, citation and an unchanged case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
from tests.conftest import make_id

CODE = "assessment_rehiring"
DAY = "2025-01-06"
WORKER = "2"  # 李四, added after term 1 exists, so the appointment belongs to term 1
APPOINTMENT = "2"  # worker #1 (张三) holds appointment #1
CASE = "1"
ART6_2, ART6_4, ART6_5 = "seed 000 第六条2", "seed 000 第六条4", "seed 000 第六条5"

REC_OK = {"issued": 50, "returned": 48, "recommend": 40, "not_recommend": 6, "abstain": 1, "invalid": 1}
EVAL_OK = {
    "issued": 50,
    "returned": 48,
    "excellent": 20,
    "competent": 20,
    "basic": 5,
    "incompetent": 1,
    "blank": 1,
    "invalid": 1,
}


def roster(n: int = 50, reps: int = 10) -> list[dict[str, Any]]:
    """`n` participants present, `reps` of them resident or unit representatives (RH-W1: 20%)."""
    people: list[dict[str, Any]] = []
    for i in range(n):
        if i < reps:
            people.append(
                {
                    "name": f"代表{i}",
                    "category": "RESIDENT_REP" if i % 2 else "UNIT_REP",
                    "selection": "DESIGNATED" if i % 3 else "SELF_APPLIED",
                }
            )
        else:
            people.append(
                {"name": f"人员{i}", "category": "STREET_MIDDLE_CADRE" if i % 2 else "COMMUNITY_WORKER"}
            )
    return people


def vote(
    tmp_path: Path,
    rec: dict[str, int] | None = None,
    ev: dict[str, int] | None = None,
    people: list[dict[str, Any]] | None = None,
) -> tuple[str, ...]:
    """`--data @vote.json` with the meeting, the roster and both tallies (VOTE-3: tallied separately)."""
    payload = {
        "vote_meeting_date": DAY,
        "vote_meeting_place": "街道会议室",
        "vote_roster": roster() if people is None else people,
        "recommendation_tally": REC_OK if rec is None else rec,
        "evaluation_tally": EVAL_OK if ev is None else ev,
    }
    return ("--data", data_file(tmp_path, "vote.json", payload))


def fire(sh: Shequ, trigger: str, user: str, *args: str, now: str = DAY) -> dict[str, Any]:
    return sh.ok("case", "fire", CASE, trigger, *args, user=user, now=now)


def seed_rehire(sh: Shequ) -> None:
    """Term 1 (2024–2026) in 换届 with the window 2025-01-06…01-31, term 2 planned, 李四 in service at C1
    in term 1, and the users the procedure needs besides the shared world's."""
    sh.ok("term", "add", "DQ", "1", "2024-01-01")
    sh.ok("term", "add", "DQ", "2", "2027-01-01", "--status", "PLANNED")
    sh.ok("term", "open-renewal", "1", "--from", "2025-01-06", "--to", "2025-01-31")
    sh.ok(
        "worker",
        "add",
        "--id-number",
        make_id("11010519850202002"),
        "--name",
        "李四",
        "--community",
        "C1",
        "--category",
        "PROFESSIONAL_SOCIAL_WORKER",
        "--position",
        "干事",
        "--education",
        "本科",
        "--appointment-start",
        "2024-01-01",
        "--decision-no",
        "东民聘〔2024〕1号",
    )
    sh.ok("user", "add", "li", "李四", "--role", "WORKER", "--community", "C1", "--worker", WORKER)
    sh.ok("user", "add", "s2_office", "西园街道办事处", "--role", "STREET_OFFICE", "--street", "S2")
    sh.ok("user", "add", "objector", "居民", "--role", "OBJECTOR")


def to_application_approved(sh: Shequ) -> None:
    """RH-T1…RH-T4: the bureau opens the case, 李四 applies, the street office and the bureau approve."""
    opened = sh.ok(
        "case",
        "open",
        CODE,
        "--worker",
        WORKER,
        "--set",
        f"appointment_id={APPOINTMENT}",
        user="bureau",
        now=DAY,
    )
    assert (opened["case_id"], opened["state"]) == (1, "OPEN")
    fire(sh, "apply", "li", *sets(applied_on=DAY, application_doc_ref="申-1"))
    fire(sh, "street_approve", "s1_office", *sets(reviewed_on=DAY, review_opinion="同意"))
    fire(
        sh,
        "bureau_approve_application",
        "bureau",
        *sets(application_approval_no="批-1", application_decided_on=DAY),
    )
    assert case_state(sh, 1) == "APPLICATION_APPROVED"


def to_decided(sh: Shequ, tmp_path: Path) -> None:
    """RH-T5…RH-T7: a passing vote (RH-T6 by SYSTEM) and the party committee decides to hire."""
    result = fire(sh, "record_vote", "s1_office", *vote(tmp_path))
    assert [s["trigger"] for s in result["steps"]] == ["record_vote", "thresholds_met"]
    fire(
        sh,
        "party_decide_hire",
        "s1_party",
        *sets(party_meeting_date=DAY, party_members_present=7, minutes_ref="纪-1"),
    )
    assert case_state(sh, 1) == "DECIDED_TO_HIRE"


POST = sets(posted_on=DAY, publicity_community="C1", publicity_place="社区公开栏", publicity_doc_ref="公-1")


REHIRE = Template("rehire", lambda sh, _work: seed_rehire(sh), base=WORLD)
APPROVED = Template("rehire-approved", lambda sh, _work: to_application_approved(sh), base=REHIRE)
DECIDED = Template("rehire-decided", to_decided, base=APPROVED)


@pytest.fixture(name="sh")
def _sh(cli_db: CliDatabases) -> Shequ:
    return cli_db.copy(REHIRE)


@pytest.fixture(name="approved")
def _approved(cli_db: CliDatabases) -> Shequ:
    return cli_db.copy(APPROVED)


@pytest.fixture(name="decided")
def _decided(cli_db: CliDatabases) -> Shequ:
    return cli_db.copy(DECIDED)


# ---------------------------------------------------------------- happy path


def test_rehiring_happy_path_creates_the_successor_appointment(sh: Shequ, tmp_path: Path) -> None:
    """RH-T1…RH-T12 through the CLI: the case ends REHIRED and 李四 holds a successor appointment (term 2)."""
    to_application_approved(sh)
    to_decided(sh, tmp_path)
    posted = fire(sh, "post_publicity", "s1_office", *POST)
    assert posted["state"] == "IN_PUBLICITY"
    [pending] = sh.ok("deadlines", "list", "--case", CASE, "--status", "PENDING")["deadlines"]
    assert (pending["fires"], pending["due_at"]) == ("end_publicity", "2025-01-13T00:00:00+08:00")
    run = sh.ok("deadlines", "run", "--until", "2025-01-13T00:00", now=DAY)
    assert [(f["fires"], f["outcome"]) for f in run["fired"]] == [("end_publicity", "FIRED")]
    fire(sh, "report", "s1_office", *sets(reported_on="2025-01-13"), now="2025-01-13")
    done = fire(
        sh,
        "bureau_approve_rehire",
        "bureau",
        *sets(rehire_approval_no="东民聘〔2025〕8号", rehire_decided_on="2025-01-13"),
        now="2025-01-13",
    )
    assert done["state"] == "REHIRED"

    shown = sh.ok("case", "show", CASE)
    assert (shown["case"]["state"], shown["case"]["closed"]) == ("REHIRED", True)
    assert [e["action"] for e in shown["timeline"]] == [
        "open",
        "apply",
        "street_approve",
        "bureau_approve_application",
        "record_vote",
        "thresholds_met",
        "party_decide_hire",
        "post_publicity",
        "end_publicity",
        "report",
        "bureau_approve_rehire",
    ]
    data = case_data(sh, 1)
    assert data["vote_rates"]["RH-1"]["rate"] == "40/48"
    assert data["successor_start_date"] == "2027-01-01"

    appointments = {a["id"]: a for a in sh.ok("worker", "show", WORKER)["appointments"]}
    old, new = appointments[2], appointments[3]
    assert (new["term_id"], new["start_date"], new["end_date"]) == (2, "2027-01-01", "2029-12-31")
    assert (new["method"], new["decision_no"], new["predecessor_id"], new["status"]) == (
        "考核聘用",
        "东民聘〔2025〕8号",
        2,
        "ACTIVE",
    )
    assert (old["successor_id"], old["status"], old["term_id"]) == (3, "ACTIVE", 1)
    assert sh.ok("audit", "verify")["verified"] is True


# ---------------------------------------------------------------- the vote: thresholds are not rejections

PASSING_REC = {"issued": 40, "returned": 40, "recommend": 30, "not_recommend": 8, "abstain": 2, "invalid": 0}
PASSING_EVAL = {
    "issued": 40,
    "returned": 40,
    "excellent": 20,
    "competent": 10,
    "basic": 5,
    "incompetent": 3,
    "blank": 2,
    "invalid": 0,
}


@pytest.mark.parametrize(
    ("rec", "ev", "codes"),
    [
        pytest.param(
            {**PASSING_REC, "recommend": 20, "not_recommend": 18},
            PASSING_EVAL,
            ["RH_RECOMMENDATION_NOT_OVER_HALF"],
            id="RH-1-exactly-half-ends-not-rehired",
        ),
        pytest.param(
            PASSING_REC,
            {**PASSING_EVAL, "excellent": 10, "competent": 13, "basic": 6, "incompetent": 6, "blank": 5},
            ["RH_EVALUATION_POSITIVE_BELOW_60"],
            id="RH-2-positive-57.5pct-ends-not-rehired",
        ),
        pytest.param(
            PASSING_REC,
            {**PASSING_EVAL, "excellent": 12, "competent": 12, "basic": 10, "incompetent": 3, "blank": 3},
            ["RH_EVALUATION_NEGATIVE_OVER_30"],
            id="RH-3-negative-32.5pct-ends-not-rehired",
        ),
        pytest.param(
            {**PASSING_REC, "recommend": 20, "not_recommend": 18},
            {**PASSING_EVAL, "excellent": 10, "competent": 13, "basic": 8, "incompetent": 5, "blank": 4},
            [
                "RH_RECOMMENDATION_NOT_OVER_HALF",
                "RH_EVALUATION_POSITIVE_BELOW_60",
                "RH_EVALUATION_NEGATIVE_OVER_30",
            ],
            id="RH-1-RH-2-RH-3-all-fail-every-code-recorded",
        ),
    ],
)
def test_failing_vote_is_recorded_and_ends_not_rehired(
    approved: Shequ, tmp_path: Path, rec: dict[str, int], ev: dict[str, int], codes: list[str]
) -> None:
    """RH-T6: a vote failing a threshold is accepted (exit 0), recorded, and SYSTEM ends the case NOT_REHIRED
    with every failing code; the 40/40 boundary cases pass the other thresholds exactly."""
    result = fire(approved, "record_vote", "s1_office", *vote(tmp_path, rec, ev, roster(40, 8)))
    assert [s["trigger"] for s in result["steps"]] == ["record_vote", "thresholds_failed"]
    assert result["state"] == "NOT_REHIRED"
    data = case_data(approved, 1)
    assert data["not_rehired_reasons"] == codes
    assert [f["code"] for f in data["vote_failures"]] == codes
    assert data["recommendation_tally"] == rec
    shown = approved.ok("case", "show", CASE)
    assert (shown["case"]["state"], shown["case"]["closed"]) == ("NOT_REHIRED", True)
    assert [e["action"] for e in shown["timeline"]][-2:] == ["record_vote", "thresholds_failed"]
    assert [a["id"] for a in approved.ok("worker", "show", WORKER)["appointments"]] == [2]


# ---------------------------------------------------------------- the vote: invalid tallies are rejections


@pytest.mark.parametrize(
    ("rec", "ev", "people", "code"),
    [
        pytest.param(
            None,
            {**EVAL_OK, "excellent": 21},
            None,
            "VOTE_TALLY_NOT_RECONCILED",
            id="VOTE-1-evaluation-does-not-reconcile",
        ),
        pytest.param(
            {**REC_OK, "recommend": 39, "abstain": 3},
            None,
            None,
            "VOTE_TALLY_NOT_RECONCILED",
            id="VOTE-1-recommendation-does-not-reconcile",
        ),
        pytest.param(
            {**REC_OK, "recommend": -1, "not_recommend": 47},
            None,
            None,
            "VOTE_TALLY_INVALID",
            id="VOTE-1-negative-count",
        ),
        pytest.param(
            {**REC_OK, "issued": 60},
            None,
            None,
            "VOTE_ISSUED_EXCEEDS_PRESENT",
            id="VOTE-1-more-ballots-than-participants",
        ),
        pytest.param(
            None,
            {**EVAL_OK, "issued": 47},
            None,
            "VOTE_RETURNED_EXCEEDS_ISSUED",
            id="VOTE-1-returned-exceeds-issued",
        ),
    ],
)
def test_invalid_tally_is_rejected_and_nothing_written(
    approved: Shequ, tmp_path: Path, rec: Any, ev: Any, people: Any, code: str
) -> None:
    """VOTE-1: a tally that does not reconcile exits 3 with its code, cites 第六条2, and changes nothing."""
    error = assert_rejected(
        approved,
        3,
        code,
        "case",
        "fire",
        CASE,
        "record_vote",
        *vote(tmp_path, rec, ev, people),
        case_id=1,
        cite=ART6_2,
        user="s1_office",
        now=DAY,
    )
    assert error["rule_id"] == "VOTE-1"
    assert case_state(approved, 1) == "APPLICATION_APPROVED"


def test_vote_with_a_malformed_date_is_bad_input(approved: Shequ, tmp_path: Path) -> None:
    """A vote whose meeting date is not a date is invalid input (exit 2, PAYLOAD_INVALID naming the field)."""
    error = assert_rejected(
        approved,
        2,
        "PAYLOAD_INVALID",
        "case",
        "fire",
        CASE,
        "record_vote",
        *vote(tmp_path),
        "--set",
        "vote_meeting_date=2025-13-01",
        case_id=1,
        user="s1_office",
        now=DAY,
    )
    assert error["details"]["fields"] == ["vote_meeting_date"]
    assert "会议" in error["message"]


# ---------------------------------------------------------------- publicity and report


def test_publicity_outside_the_workers_community_is_rejected(decided: Shequ) -> None:
    """RH-5: posting the publicity in another community exits 3 (RH_PUBLICITY_SCOPE, 第六条4)."""
    other = sets(
        posted_on=DAY, publicity_community="C2", publicity_place="社区公开栏", publicity_doc_ref="公-1"
    )
    error = assert_rejected(
        decided,
        3,
        "RH_PUBLICITY_SCOPE",
        "case",
        "fire",
        CASE,
        "post_publicity",
        *other,
        case_id=1,
        cite=ART6_4,
        user="s1_office",
        now=DAY,
    )
    assert error["rule_id"] == "RH-5"
    assert "C1" in error["message"]


LAST_MINUTE = "2025-01-12T23:59"


def test_report_before_the_publicity_ends_is_refused(decided: Shequ) -> None:
    """RH-4/CAL-2: while the publicity runs (last day 2025-01-12) the report exits 3 (RH_PUBLICITY_RUNNING,
    第六条4, naming the last day); at 00:00 on day 8 SYSTEM ends it and the report goes through."""
    fire(decided, "post_publicity", "s1_office", *POST)
    assert decided.ok("deadlines", "run", "--until", "2025-01-12T23:59", now=DAY)["fired"] == []
    report = ("case", "fire", CASE, "report", *sets(reported_on="2025-01-12"))
    error = assert_rejected(
        decided, 3, "RH_PUBLICITY_RUNNING", *report, case_id=1, cite=ART6_4, user="s1_office", now=LAST_MINUTE
    )
    assert error["rule_id"] == "RH-4"
    assert "2025-01-12" in error["message"]
    assert decided.ok("deadlines", "run", "--until", "2025-01-13T00:00", now=LAST_MINUTE)["fired"]
    assert decided.ok(*report, user="s1_office", now="2025-01-13")["state"] == "REPORTED"


def test_unresolved_objection_blocks_the_report_until_a_finding(decided: Shequ) -> None:
    """RH-4 (A-14): a timely objection without finding blocks the report (exit 3, 第六条5); after the
    party committee's finding the report goes through."""
    fire(decided, "post_publicity", "s1_office", *POST)
    fire(
        decided,
        "lodge_objection",
        "objector",
        *sets(
            objection_received_on="2025-01-08", objection_receiver="王干事", objection_content="反映考勤问题"
        ),
        now="2025-01-08",
    )
    decided.ok("deadlines", "run", "--until", "2025-01-13T00:00", now="2025-01-08")
    report = ("case", "fire", CASE, "report", *sets(reported_on="2025-01-13"))
    error = assert_rejected(
        decided,
        3,
        "RH_OBJECTION_UNRESOLVED",
        *report,
        case_id=1,
        cite=ART6_5,
        user="s1_office",
        now="2025-01-13",
    )
    assert "OBJ-1" in error["message"]
    assert error["rule_id"] == "RH-4"
    fire(
        decided,
        "record_finding",
        "s1_party",
        *sets(objection_id="OBJ-1", objection_finding="NOT_SUBSTANTIATED", finding_on="2025-01-13"),
        now="2025-01-13",
    )
    assert decided.ok(*report, user="s1_office", now="2025-01-13")["state"] == "REPORTED"


# ---------------------------------------------------------------- roles, scope, version, unknowns


@pytest.mark.parametrize(
    ("user", "code"),
    [
        pytest.param("s1_party", "ROLE_NOT_PERMITTED", id="RH-T3-A-21-party-committee-is-not-the-reviewer"),
        pytest.param("li", "ROLE_NOT_PERMITTED", id="RH-T3-worker-cannot-review-own-application"),
        pytest.param("s2_office", "OUT_OF_SCOPE", id="RH-T3-other-street-office-out-of-scope"),
    ],
)
def test_street_review_by_the_wrong_user_exits_4(sh: Shequ, user: str, code: str) -> None:
    """RH-T3 (A-21): only the case's own street office reviews the application; others exit 4."""
    sh.ok(
        "case",
        "open",
        CODE,
        "--worker",
        WORKER,
        "--set",
        f"appointment_id={APPOINTMENT}",
        user="bureau",
        now=DAY,
    )
    fire(sh, "apply", "li", *sets(applied_on=DAY, application_doc_ref="申-1"))
    assert_rejected(
        sh,
        4,
        code,
        "case",
        "fire",
        CASE,
        "street_approve",
        *sets(reviewed_on=DAY, review_opinion="同意"),
        case_id=1,
        user=user,
        now=DAY,
    )
    assert case_state(sh, 1) == "APPLIED"


def test_other_street_party_committee_cannot_decide(approved: Shequ, tmp_path: Path) -> None:
    """RH-T7: the party committee of another street is out of scope (exit 4) for this case."""
    fire(approved, "record_vote", "s1_office", *vote(tmp_path))
    assert_rejected(
        approved,
        4,
        "OUT_OF_SCOPE",
        "case",
        "fire",
        CASE,
        "party_decide_hire",
        *sets(party_meeting_date=DAY, party_members_present=7, minutes_ref="纪-1"),
        case_id=1,
        user="s2_party",
        now=DAY,
    )


def test_opening_twice_for_one_appointment_is_refused(sh: Shequ) -> None:
    """TM-3: one open re-hiring case per appointment; the second open exits 3 and writes nothing."""
    args = ("case", "open", CODE, "--worker", WORKER, "--set", f"appointment_id={APPOINTMENT}")
    sh.ok(*args, user="bureau", now=DAY)
    assert_rejected(sh, 3, "RH_CASE_EXISTS", *args, cite="seed 000 第五条", user="bureau", now=DAY)


def test_unknown_trigger_is_not_found_and_stale_version_is_a_conflict(
    approved: Shequ, tmp_path: Path
) -> None:
    """An unknown trigger exits 5 (TRIGGER_UNKNOWN); a stale --expect-version exits 6; nothing is written."""
    assert_rejected(
        approved, 5, "TRIGGER_UNKNOWN", "case", "fire", CASE, "rehire_now", case_id=1, user="bureau", now=DAY
    )
    assert_rejected(
        approved,
        6,
        "CASE_VERSION_CONFLICT",
        "case",
        "fire",
        CASE,
        "record_vote",
        *vote(tmp_path),
        "--expect-version",
        "1",
        case_id=1,
        user="s1_office",
        now=DAY,
    )


# ---------------------------------------------------------------- interplay (spec §4.3)


def test_dismissal_taking_effect_ends_the_open_rehiring_case(approved: Shequ, tmp_path: Path) -> None:
    """§4.3 Interplay: once 李四's dismissal takes effect, SYSTEM ends the open re-hiring case
    NOT_REHIRED(NO_LONGER_IN_OFFICE); no successor appointment can follow."""
    sh = approved
    opened = sh.ok(
        "case",
        "open",
        "dismissal",
        "--worker",
        WORKER,
        *sets(ground="DIS-G3", allegation="严重失职"),
        user="s1_office",
        now=DAY,
    )
    dismissal = str(opened["case_id"])
    refs = data_file(tmp_path, "evidence.json", {"evidence_refs": ["调查报告"]})
    sh.ok("case", "fire", dismissal, "compile_evidence", "--data", refs, user="s1_office", now=DAY)
    sh.ok(
        "case",
        "fire",
        dismissal,
        "confirm_ground",
        *sets(meeting_date=DAY, minutes_ref="纪要"),
        user="s1_party",
        now=DAY,
    )
    sh.ok(
        "case",
        "fire",
        dismissal,
        "approve",
        *sets(decision_no="D-1", decision_date=DAY, effective_date="2025-01-20"),
        user="bureau",
        now=DAY,
    )
    sh.ok(
        "case", "fire", dismissal, "record_notice", *sets(notice_delivered_on=DAY), user="s1_office", now=DAY
    )
    assert case_state(sh, 1) == "APPLICATION_APPROVED"
    run = sh.ok("deadlines", "run", "--until", "2025-01-20T00:00", now=DAY)
    assert [(f["fires"], f["outcome"]) for f in run["fired"]] == [("take_effect", "FIRED")]
    shown = sh.ok("case", "show", CASE)
    assert (shown["case"]["state"], shown["case"]["closed"]) == ("NOT_REHIRED", True)
    assert shown["timeline"][-1]["action"] == "close_moot"
    data = case_data(sh, 1)
    assert (data["not_rehired_reasons"], data["moot_reason"]) == (["NO_LONGER_IN_OFFICE"], "DISMISSED")
    assert sh.ok("deadlines", "list", "--case", CASE, "--status", "PENDING")["deadlines"] == []


def test_resignation_taking_effect_ends_the_open_rehiring_case(approved: Shequ) -> None:
    """§4.3 Interplay: once 李四's resignation takes effect, the open re-hiring case ends NOT_REHIRED."""
    sh = approved
    opened = sh.ok(
        "case",
        "open",
        "resignation",
        "--worker",
        WORKER,
        *sets(submitted_on=DAY, written="是", document_ref="辞职申请"),
        user="li",
        now=DAY,
    )
    resignation = str(opened["case_id"])
    sh.ok(
        "case",
        "fire",
        resignation,
        "approve",
        *sets(decided_on=DAY, minutes_ref="M1"),
        user="s1_party",
        now=DAY,
    )
    run = sh.ok("deadlines", "run", "--until", "2025-02-07T00:00", now=DAY)
    assert ("separate", "FIRED") in [(f["fires"], f["outcome"]) for f in run["fired"]]
    assert case_state(sh, int(resignation)) == "EFFECTIVE"
    data = case_data(sh, 1)
    assert (case_state(sh, 1), data["not_rehired_reasons"], data["moot_reason"]) == (
        "NOT_REHIRED",
        ["NO_LONGER_IN_OFFICE"],
        "RESIGNED",
    )
