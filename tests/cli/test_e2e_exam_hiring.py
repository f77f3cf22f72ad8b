"""考试聘用 (seed 000 第七条, 第八条; spec §4.2) end to end through the `shequ` CLI only: a recruitment and
its candidates to APPOINTED with the new personnel record and appointment, and every documented rejection
with its exit code, stable code, citation and an unchanged case."""

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

PSW = "PROFESSIONAL_SOCIAL_WORKER"
DAY = "2025-01-06"
DEADLINE = "2025-01-20"  # registration deadline = reference date of the age limit
CITY = "东区所在市"  # DONGQU exam_hiring.hukou_city
RECRUITMENT = "1"
ART7_4, ART7_5, ART7_6, ART8 = "seed 000 第七条4", "seed 000 第七条5", "seed 000 第七条6", "seed 000 第八条"


def person(birth: str, seq: str = "001") -> str:
    """A valid ID number born on `birth` (YYYYMMDD); an odd last digit of `seq` is male, even female."""
    return make_id("110105" + birth + seq)


def plan(tmp_path: Path, count: int = 1, community: str = "C1") -> tuple[str, ...]:
    """`--data @plan.json`: one vacancy line, term 1, the announcement and the shortlist ratio (A-37)."""
    payload = {
        "vacancy_lines": [{"community": community, "category": PSW, "count": count}],
        "term_id": 1,
        "conditions": "第七条所列条件",
        "duties": "社区管理和服务",
        "pay": "按本届报酬标准",
        "registration_deadline": DEADLINE,
        "shortlist_ratio": "3",
    }
    return ("--data", data_file(tmp_path, "plan.json", payload))


def registration(tmp_path: Path, id_number: str, **over: Any) -> tuple[str, ...]:
    """`--data @registration.json` for line 1 with every declaration made, then `--set` overrides."""
    payload = {
        "line_no": 1,
        "id_number": id_number,
        "candidate_name": "李四",
        "phone": "13800000000",
        "education": "本科",
        "graduated_from": "东区大学",
        "diploma_no": "D-001",
        "diploma_recognised": True,
        "hukou_city": CITY,
        "hukou_urban": True,
        "declare_e1": True,
        "declare_e2": True,
        "declare_e3": True,
    }
    return ("--data", data_file(tmp_path, f"registration-{id_number}.json", payload), *sets(**over))


REVIEW = sets(reviewed_on=DAY, attest_e1="是", attest_e2="是", attest_e3="是")
INSPECTION = sets(inspected_on="2025-02-15", inspectors="考察组", inspection_findings="表现良好")
MEDICAL = sets(medical_institution="区人民医院", medical_on="2025-02-20", medical_conclusion="合格")
APPOINT = sets(
    appointment_decision_no="东民聘〔2025〕1号", decided_on="2025-02-25", appointed_from="2025-03-01"
)
LATER = "2025-03-01"


def seed_exam(sh: Shequ) -> None:
    """Term 1 (2024–2026, ACTIVE) and three candidate accounts."""
    sh.ok("term", "add", "DQ", "1", "2024-01-01")
    for n, name in enumerate(("李四", "王五", "赵六"), start=1):
        sh.ok("user", "add", f"cand{n}", name, "--role", "CANDIDATE")


def publish(sh: Shequ, tmp_path: Path) -> None:
    """EX-1, EX-2: the bureau plans one place at C1 and publishes the announcement."""
    opened = sh.ok("case", "open", "exam_recruitment", *plan(tmp_path), user="bureau", now=DAY)
    assert (opened["case_id"], opened["state"]) == (1, "DRAFT")
    sh.ok(
        "case",
        "fire",
        RECRUITMENT,
        "publish",
        *sets(published_on=DAY, channels="区政府网站"),
        user="bureau",
        now=DAY,
    )


def register(sh: Shequ, tmp_path: Path, user: str, id_number: str, **over: Any) -> int:
    opened = sh.ok(
        "case",
        "open",
        "exam_candidate",
        "--parent",
        RECRUITMENT,
        "--community",
        "C1",
        *registration(tmp_path, id_number, **over),
        user=user,
        now=DAY,
    )
    assert opened["state"] == "APPLIED"
    return int(opened["case_id"])


def fire(
    sh: Shequ, case_id: int | str, trigger: str, *args: str, user: str = "bureau", now: str = LATER
) -> dict[str, Any]:
    return sh.ok("case", "fire", str(case_id), trigger, *args, user=user, now=now)


def close_and_start(sh: Shequ) -> None:
    """EX-3 at 00:00 after the deadline day (SYSTEM, via the deadline sweep), then EX-4 by the bureau."""
    run = sh.ok("deadlines", "run", "--until", "2025-01-21T00:00", now=DAY)
    assert [(f["fires"], f["outcome"]) for f in run["fired"]] == [("close_registration", "FIRED")]
    fire(sh, RECRUITMENT, "start", now="2025-01-21")


EXAM = Template("exam", lambda sh, _work: seed_exam(sh), base=WORLD)
PUBLISHED = Template("exam-published", publish, base=EXAM)


@pytest.fixture(name="sh")
def _sh(cli_db: CliDatabases) -> Shequ:
    return cli_db.copy(EXAM)


@pytest.fixture(name="published")
def _published(cli_db: CliDatabases) -> Shequ:
    return cli_db.copy(PUBLISHED)


# ---------------------------------------------------------------- happy path


def test_exam_hiring_happy_path_appoints_and_completes(published: Shequ, tmp_path: Path) -> None:
    """EX-1…EX-4, C-1…C-8 through the CLI: the best candidate is APPOINTED with a new personnel record and an
    appointment at C1 ending with the term (TERM-5); the other is eliminated; the recruitment completes."""
    sh = published
    first = register(sh, tmp_path, "cand1", person("19900315", "001"))
    second = register(sh, tmp_path, "cand2", person("19920101", "002"), candidate_name="王五")
    for cid in (first, second):
        assert fire(sh, cid, "qualify", *REVIEW, now=DAY)["state"] == "QUALIFIED"
    close_and_start(sh)
    fire(sh, first, "record_written", *sets(written_score="85.5", written_on="2025-02-01"))
    fire(sh, second, "record_written", *sets(written_score="80", written_on="2025-02-01"))
    interview = sets(interview_on="2025-02-10", interview_panel="考官组")
    fire(sh, first, "record_interview", *interview, *sets(interview_score="90"))
    fire(sh, second, "record_interview", *interview, *sets(interview_score="88"))
    fire(sh, first, "pass_inspection", *INSPECTION)
    fire(sh, second, "eliminate", *sets(elimination_reason="NOT_SELECTED"))
    fire(sh, first, "pass_medical", *MEDICAL)
    assert fire(sh, first, "appoint", *APPOINT)["state"] == "APPOINTED"
    assert fire(sh, RECRUITMENT, "complete")["state"] == "COMPLETED"

    shown = sh.ok("case", "show", str(first))
    assert (shown["case"]["state"], shown["case"]["closed"], shown["parent_case_id"]) == (
        "APPOINTED",
        True,
        1,
    )
    assert [e["action"] for e in shown["timeline"]] == [
        "register",
        "qualify",
        "record_written",
        "record_interview",
        "pass_inspection",
        "pass_medical",
        "appoint",
    ]
    assert case_data(sh, first)["composite_score"] == "351/4"
    assert case_state(sh, second) == "ELIMINATED"
    assert case_data(sh, 1)["fill_results"] == {"1": {"count": 1, "filled": 1, "closed_unfilled": False}}

    workers = sh.ok("worker", "list", "--community", "C1")["workers"]
    hired = next(w for w in workers if w["name"] == "李四")
    number = person("19900315", "001")
    assert (hired["gender"], hired["birth_date"]) == ("M", "1990-03-15")  # read from the ID number
    assert hired["id_number"] == number[:4] + "*" * 10 + number[-4:]  # masked in every output
    [appointment] = sh.ok("worker", "show", str(hired["id"]))["appointments"]
    assert (appointment["community"], appointment["category"], appointment["method"]) == (
        "C1",
        PSW,
        "考试聘用",
    )
    assert (
        appointment["start_date"],
        appointment["end_date"],
        appointment["term_id"],
        appointment["status"],
    ) == ("2025-03-01", "2026-12-31", 1, "ACTIVE")
    assert appointment["decision_no"] == "东民聘〔2025〕1号"
    assert sh.ok("audit", "verify")["verified"] is True


# ---------------------------------------------------------------- EXH-1 staffing


@pytest.mark.parametrize(
    ("count", "ok"),
    [
        pytest.param(9, True, id="EXH-1-exactly-the-vacancies-accepted"),
        pytest.param(10, False, id="EXH-1-one-over-the-staffing-limit-rejected"),
    ],
)
def test_plan_over_the_staffing_limit_is_rejected(sh: Shequ, tmp_path: Path, count: int, ok: bool) -> None:
    """EXH-1: C1 has 编制 10 and one worker in service: 9 places fit (exit 0), 10 exit 3 citing 第五条."""
    args = ("case", "open", "exam_recruitment", *plan(tmp_path, count))
    if ok:
        assert sh.ok(*args, user="bureau", now=DAY)["state"] == "DRAFT"
        return
    error = assert_rejected(sh, 3, "EXH_NO_VACANCY", *args, cite="seed 000 第五条", user="bureau", now=DAY)
    assert error["rule_id"] == "EXH-1"
    assert "空缺 9 人" in error["message"]


# ---------------------------------------------------------------- qualification review (EXH-E4…E6)


def test_age_limit_rejected_then_passed_with_the_bureaus_override(published: Shequ, tmp_path: Path) -> None:
    """EXH-E4 (SOFT-1): a man 56 on the deadline day exits 3 citing 第七条4; with `--override` and a reason
    by 区民政局 he qualifies and the override is in the audit entry."""
    cid = register(published, tmp_path, "cand1", person("19690120"))
    qualify = ("case", "fire", str(cid), "qualify", *REVIEW)
    error = assert_rejected(
        published, 3, "EXH_AGE_LIMIT", *qualify, case_id=cid, cite=ART7_4, user="bureau", now=DAY
    )
    assert (error["rule_id"], "56 周岁" in error["message"]) == ("EXH-E4", True)
    reason = "东民〔2025〕3号：紧缺专业人才"
    result = published.ok(*qualify, "--override", f"EXH_AGE_LIMIT={reason}", user="bureau", now=DAY)
    assert result["state"] == "QUALIFIED"
    assert [(o["code"], o["reason"]) for o in result["steps"][0]["overridden"]] == [("EXH_AGE_LIMIT", reason)]
    [entry] = [
        e for e in published.ok("audit", "show", "--case", str(cid))["entries"] if e["action"] == "qualify"
    ]
    assert [(o["code"], o["rule_id"], o["by_role"]) for o in entry["overrides"]] == [
        ("EXH_AGE_LIMIT", "EXH-E4", "DISTRICT_CIVIL_AFFAIRS")
    ]
    assert case_data(published, cid)["qualification"]["EXH-E4"]["result"] == "OVERRIDDEN"


@pytest.mark.parametrize(
    ("over", "code", "cite"),
    [
        pytest.param({"education": "中专"}, "EXH_EDUCATION", ART7_5, id="EXH-E5-zhongzhuan-not-overridable"),
        pytest.param(
            {"diploma_recognised": "否"}, "EXH_EDUCATION", ART7_5, id="EXH-E5-diploma-not-recognised"
        ),
        pytest.param({"hukou_urban": "否"}, "EXH_HUKOU", ART7_6, id="EXH-E6-rural-hukou-without-override"),
    ],
)
def test_qualification_failures_are_rejected(
    published: Shequ, tmp_path: Path, over: dict[str, str], code: str, cite: str
) -> None:
    """EXH-E5 (hard, even with an override) and EXH-E6 (soft, without one) exit 3 with their citation."""
    cid = register(published, tmp_path, "cand1", person("19900315"), **over)
    overrides = ("--override", f"{code}=东民〔2025〕4号") if code == "EXH_EDUCATION" else ()
    assert_rejected(
        published,
        3,
        code,
        "case",
        "fire",
        str(cid),
        "qualify",
        *REVIEW,
        *overrides,
        case_id=cid,
        cite=cite,
        user="bureau",
        now=DAY,
    )


def test_override_by_anyone_but_the_bureau_is_ignored(published: Shequ, tmp_path: Path) -> None:
    """SOFT-1: an override is honoured only from the pack's override role; a candidate cannot even review."""
    cid = register(published, tmp_path, "cand1", person("19900315"), hukou_urban="否")
    assert_rejected(
        published,
        4,
        "ROLE_NOT_PERMITTED",
        "case",
        "fire",
        str(cid),
        "qualify",
        *REVIEW,
        "--override",
        "EXH_HUKOU=理由",
        case_id=cid,
        user="cand1",
        now=DAY,
    )


# ---------------------------------------------------------------- registration


def test_wrong_id_check_digit_is_rejected(published: Shequ, tmp_path: Path) -> None:
    """A GB 11643 number with a wrong check digit is refused at registration (exit 3, ID_NUMBER_INVALID
    citing 第七条4 whose age check reads it); no case is opened."""
    good = person("19900315")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    error = assert_rejected(
        published,
        3,
        "ID_NUMBER_INVALID",
        "case",
        "open",
        "exam_candidate",
        "--parent",
        RECRUITMENT,
        "--community",
        "C1",
        *registration(tmp_path, bad),
        cite=ART7_4,
        user="cand1",
        now=DAY,
    )
    assert "校验码" in error["message"]
    assert bad not in error["message"]  # the ID number is masked even in the error


def test_registration_after_the_deadline_is_rejected(published: Shequ, tmp_path: Path) -> None:
    """C-1: after the deadline day (SYSTEM closed registration) registering exits 3 citing 第八条."""
    published.ok("deadlines", "run", "--until", "2025-01-21T08:00", now=DAY)
    assert case_state(published, 1) == "REGISTRATION_CLOSED"
    error = assert_rejected(
        published,
        3,
        "EXH_REGISTRATION_CLOSED",
        "case",
        "open",
        "exam_candidate",
        "--parent",
        RECRUITMENT,
        "--community",
        "C1",
        *registration(tmp_path, person("19900315")),
        cite=ART8,
        user="cand1",
        now="2025-01-21T08:00",
    )
    assert error["rule_id"] == "C-1"


def test_registration_for_another_communitys_line_is_rejected(published: Shequ, tmp_path: Path) -> None:
    """C-1: the case's community must be the line's community (exit 3)."""
    assert_rejected(
        published,
        3,
        "EXH_LINE_COMMUNITY_MISMATCH",
        "case",
        "open",
        "exam_candidate",
        "--parent",
        RECRUITMENT,
        "--community",
        "C2",
        *registration(tmp_path, person("19900315")),
        cite=ART8,
        user="cand1",
        now=DAY,
    )


def test_registration_without_parent_or_with_bad_input(published: Shequ, tmp_path: Path) -> None:
    """A registration without its recruitment (exit 2), for a recruitment that does not exist (exit 5), or
    with an education level outside the list (exit 2) is refused and nothing is written."""
    form = registration(tmp_path, person("19900315"))
    assert_rejected(
        published,
        2,
        "PARENT_CASE_REQUIRED",
        "case",
        "open",
        "exam_candidate",
        "--community",
        "C1",
        *form,
        user="cand1",
        now=DAY,
    )
    assert_rejected(
        published,
        5,
        "CASE_NOT_FOUND",
        "case",
        "open",
        "exam_candidate",
        "--parent",
        "99",
        "--community",
        "C1",
        *form,
        user="cand1",
        now=DAY,
    )
    error = assert_rejected(
        published,
        2,
        "PAYLOAD_INVALID",
        "case",
        "open",
        "exam_candidate",
        "--parent",
        RECRUITMENT,
        "--community",
        "C1",
        *form,
        "--set",
        "education=小学",
        user="cand1",
        now=DAY,
    )
    assert error["details"]["fields"] == ["education"]


# ---------------------------------------------------------------- step order, roles, scope


def test_step_out_of_order_is_rejected(published: Shequ, tmp_path: Path) -> None:
    """EXH_STEP_ORDER: 面试, 考察 and 体检 cannot be recorded before the 笔试 score (exit 3, 第八条)."""
    cid = register(published, tmp_path, "cand1", person("19900315"))
    fire(published, cid, "qualify", *REVIEW, now=DAY)
    close_and_start(published)
    for trigger, payload in (
        ("record_interview", sets(interview_score="90", interview_on="2025-02-10", interview_panel="考官组")),
        ("pass_inspection", INSPECTION),
        ("pass_medical", MEDICAL),
        ("appoint", APPOINT),
    ):
        assert_rejected(
            published,
            3,
            "EXH_STEP_ORDER",
            "case",
            "fire",
            str(cid),
            trigger,
            *payload,
            case_id=cid,
            cite=ART8,
            user="bureau",
            now=LATER,
        )
    assert case_state(published, cid) == "QUALIFIED"


def test_written_exam_before_the_recruitment_starts_is_rejected(published: Shequ, tmp_path: Path) -> None:
    """C-3: the 笔试 is recorded only while the recruitment is IN_PROGRESS (exit 3, 第八条)."""
    cid = register(published, tmp_path, "cand1", person("19900315"))
    fire(published, cid, "qualify", *REVIEW, now=DAY)
    assert_rejected(
        published,
        3,
        "EXH_RECRUITMENT_NOT_RUNNING",
        "case",
        "fire",
        str(cid),
        "record_written",
        *sets(written_score="80", written_on=DAY),
        case_id=cid,
        cite=ART8,
        user="bureau",
        now=DAY,
    )


@pytest.mark.parametrize(
    ("user", "code"),
    [
        pytest.param("cand2", "OUT_OF_SCOPE", id="C-9-another-candidate-cannot-withdraw"),
        pytest.param("bureau", "ROLE_NOT_PERMITTED", id="C-9-bureau-cannot-withdraw-for-the-candidate"),
    ],
)
def test_only_the_candidate_withdraws(published: Shequ, tmp_path: Path, user: str, code: str) -> None:
    """C-9: only the candidate who registered withdraws the registration; others exit 4."""
    cid = register(published, tmp_path, "cand1", person("19900315"))
    assert_rejected(
        published,
        4,
        code,
        "case",
        "withdraw",
        str(cid),
        *sets(withdrawn_on=DAY),
        case_id=cid,
        user=user,
        now=DAY,
    )
    assert (
        published.ok("case", "withdraw", str(cid), *sets(withdrawn_on=DAY), user="cand1", now=DAY)["state"]
        == "WITHDRAWN"
    )


def test_street_office_cannot_plan_a_recruitment(sh: Shequ, tmp_path: Path) -> None:
    """EX-1: the organiser is 区民政局 (exam_hiring.organiser); a street office exits 4."""
    assert_rejected(
        sh,
        4,
        "ROLE_NOT_PERMITTED",
        "case",
        "open",
        "exam_recruitment",
        *plan(tmp_path),
        user="s1_office",
        now=DAY,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("case", "fire", "1"), "缺少参数 TRIGGER", id="usage-missing-argument"),
        pytest.param(("case", "fire", "x", "start"), "CASE 的值有误：应为整数", id="usage-case-not-a-number"),
        pytest.param(
            ("case", "fire", "1", "start", "--bogus"), "没有选项 --bogus", id="usage-unknown-option"
        ),
        pytest.param(
            ("case", "fire", "1", "start", "--set"), "选项 --set 的用法有误", id="usage-option-needs-value"
        ),
        pytest.param(("case", "launch", "1"), "没有命令 launch", id="usage-unknown-command"),
    ],
)
def test_usage_errors_are_reported_in_chinese(published: Shequ, args: tuple[str, ...], message: str) -> None:
    """Click's usage errors exit 2 with code USAGE and a Chinese message naming the option or argument."""
    error = assert_rejected(published, 2, "USAGE", *args, case_id=1, user="bureau", now=DAY)
    assert message in error["message"]
