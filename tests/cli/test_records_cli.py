"""`shequ record …`: recording and correcting grades, absence days and elected office from the command line,
the dismissal cases they open and close (spec §4.7 DIS-G7a/G8/G9, DS-1, DS-7), history, `worker show`,
exit codes and JSON shapes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from engine import queries
from engine.calendar import is_working_day
from tests.cli.conftest import Shequ
from tests.conftest import make_id

NOW = "2025-07-01"  # after the June 2025 absences below


def working_days(start: date, n: int) -> list[date]:
    out: list[date] = []
    day = start
    while len(out) < n:
        if is_working_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


JUNE_RUN = working_days(date(2025, 6, 3), 11)  # 2025-06-03 … 2025-06-17, 11 consecutive working days


@pytest.fixture(name="rec")
def _rec(world: Shequ) -> Shequ:
    """The seeded world plus the community user `c1` of C1, who keeps attendance."""
    world.ok("user", "add", "c1", "东华社区居委会", "--role", "COMMUNITY", "--community", "C1")
    return world


def absence(sh: Shequ, day: date, *extra: str, user: str = "c1") -> dict[str, Any]:
    return sh.ok("record", "absence", "1", day.isoformat(), "--kind", "旷工", "--source",
                 f"考勤表 {day:%Y-%m}", *extra, user=user, now=NOW)


def record_run(sh: Shequ, days: list[date]) -> list[dict[str, Any]]:
    return [absence(sh, d) for d in days]


def dismissal_cases(sh: Shequ, worker: str = "1") -> list[dict[str, Any]]:
    data = sh.ok("case", "list", "--procedure", "dismissal", "--worker", worker)
    cases: list[dict[str, Any]] = data["cases"]
    return cases


def add_party_member(sh: Shequ) -> str:
    """Worker #2: a 社区党组织委员 in service at C1."""
    added = sh.ok("worker", "add", "--id-number", make_id("11010519750202002"), "--name", "李四",
                  "--community", "C1", "--category", "PARTY_COMMITTEE_MEMBER", "--appointment-start",
                  "2024-01-01", "--appointment-end", "2026-12-31")
    return str(added["worker"]["id"])


# ---------------------------------------------------------------- computed grounds through the CLI


def test_eleventh_absence_day_opens_a_g8_case_visible_in_case_list(rec: Shequ) -> None:
    """ABS-3/DS-1: ten recorded absence days open nothing; the 11th opens a DIS-G8 case, printed by the
    command and listed by `case list`."""
    results = record_run(rec, JUNE_RUN[:10])
    assert all(r["cases"] == [] for r in results)
    assert dismissal_cases(rec) == []
    last = absence(rec, JUNE_RUN[10])
    [change] = last["cases"]
    assert (change["ground"], change["action"], change["state"]) == ("DIS-G8", "opened", "OPEN")
    assert change["state_label"] == "已立案"
    assert last["findings"]["DIS-G8"] is True
    [case] = dismissal_cases(rec)
    assert (case["id"], case["state"], case["procedure_title"]) == (change["case_id"], "OPEN", "解除聘用")
    shown = rec.ok("case", "show", str(case["id"]))
    assert {d["name"]: d["value"] for d in shown["data"]}["ground"] == "DIS-G8"


def test_human_output_names_the_record_and_the_opened_case(rec: Shequ) -> None:
    """The human output of the 11th day names the record, the finding and the case opened with its state."""
    record_run(rec, JUNE_RUN[:10])
    out = rec.human("record", "absence", "1", JUNE_RUN[10].isoformat(), "--kind", "旷工", "--source",
                    "考勤表 2025-06", user="c1", now=NOW).stdout
    assert "已登记旷工（逾期不归）记录 #11：社区工作者 #1 张三，2025-06-17（全天）：旷工" in out
    assert "DIS-G8 成立" in out
    assert "已自动立案：解除聘用案件 1" in out
    assert "（DIS-G8）" in out
    assert "当前状态：已立案（OPEN）" in out


def test_withdrawing_one_day_closes_the_g8_case_as_data_corrected(rec: Shequ) -> None:
    """DS-7: withdrawing one day of the 11-day run closes the case CLOSED_DATA_CORRECTED, printed by the
    correction and visible in `case list`."""
    ids = [r["record"]["id"] for r in record_run(rec, JUNE_RUN)]
    [case] = dismissal_cases(rec)
    fixed = rec.ok("record", "correct", "absences", str(ids[5]), "--withdraw",
                   "--reason", "该日为已批准的事假", "--authority", "街道办事处考勤复核意见 2025-07",
                   user="s1_office", now=NOW)
    assert (fixed["withdrawn"], fixed["supersedes_id"]) == (True, ids[5])
    assert fixed["record"]["kind"] == "WITHDRAWAL"
    [change] = fixed["cases"]
    assert (change["case_id"], change["ground"], change["action"], change["state"]) == (
        case["id"], "DIS-G8", "closed_data_corrected", "CLOSED_DATA_CORRECTED")
    [closed] = dismissal_cases(rec)
    assert (closed["state"], closed["closed"]) == ("CLOSED_DATA_CORRECTED", True)
    assert rec.ok("audit", "verify")["verified"] is True


def test_two_incompetent_years_open_g7a(rec: Shequ) -> None:
    """DIS-G7a: 2023 不称职 then 2024 INCOMPETENT (label and code both accepted) open a G7a case."""
    first = rec.ok("record", "grade", "1", "2023", "不称职", "--source", "2023年度考核结果通知",
                   user="s1_office", now="2025-01-06")
    assert (first["record"]["values"]["grade"], first["cases"]) == ("INCOMPETENT", [])
    second = rec.ok("record", "grade", "1", "2024", "INCOMPETENT", "--source", "2024年度考核结果通知",
                    user="bureau", now="2025-01-06")
    assert [(c["ground"], c["action"], c["state"]) for c in second["cases"]] == [
        ("DIS-G7a", "opened", "OPEN")]
    assert [c["state"] for c in dismissal_cases(rec)] == ["OPEN"]


def test_party_committee_member_not_in_office_opens_g9(rec: Shequ) -> None:
    """DIS-G9/TERM-4: a 社区党组织委员 recorded as not in office after the 换届 opens a G9 case."""
    worker = add_party_member(rec)
    result = rec.ok("record", "office", worker, "2024-12-20", "--not-in-office",
                    "--source", "换届选举结果公告", user="s1_party", now="2025-01-06")
    assert result["record"]["values"]["body"] == "PARTY_COMMITTEE"
    assert result["record"]["value_text"] == "2024-12-20 换届：不再担任社区党组织委员"
    assert [(c["ground"], c["action"]) for c in result["cases"]] == [("DIS-G9", "opened")]
    assert [c["state"] for c in dismissal_cases(rec, worker)] == ["OPEN"]


def test_office_needs_in_office_or_not(rec: Shequ) -> None:
    """`record office` without --in-office/--not-in-office is refused (exit 2) and records nothing."""
    worker = add_party_member(rec)
    error = rec.fails(2, "record", "office", worker, "2024-12-20", "--source", "公告", user="s1_party",
                      now="2025-01-06")
    assert error["code"] == "CLI_RECORD_IN_OFFICE_REQUIRED"
    assert rec.ok("record", "history", worker)["records"] == []


# ---------------------------------------------------------------- refusals and exit codes


@pytest.mark.parametrize(("day", "now", "exit_code", "code"), [
    pytest.param("2025-01-05", "2025-01-06", 2, "ABS_NOT_WORKING_DAY", id="CAL-1-sunday-refused"),
    pytest.param("2025-10-01", "2025-10-09", 2, "ABS_NOT_WORKING_DAY", id="CAL-1-national-day-refused"),
    pytest.param("2027-01-04", "2027-03-01", 3, "CAL_NO_DATA", id="CAL-1-year-without-data-refused"),
])
def test_absence_on_a_non_working_day_is_refused(rec: Shequ, day: str, now: str, exit_code: int,
                                                 code: str) -> None:
    """CAL-1/A-02: a rest day, a holiday or a year without calendar data cannot carry an absence."""
    error = rec.fails(exit_code, "record", "absence", "1", day, "--kind", "旷工", "--source", "考勤表",
                      user="c1", now=now)
    assert error["code"] == code
    assert day in error["message"]
    assert rec.ok("record", "history", "1")["records"] == []


def test_weekend_refusal_in_human_mode(rec: Shequ) -> None:
    """A weekend absence prints `错误 [ABS_NOT_WORKING_DAY]` and the date on stderr, exit 2."""
    result = rec.run("record", "absence", "1", "2025-01-05", "--kind", "旷工", "--source", "考勤表",
                     user="c1", now="2025-01-06")
    assert result.exit_code == 2
    assert result.stderr.startswith("错误 [ABS_NOT_WORKING_DAY]: 2025-01-05 不是工作日")


@pytest.mark.parametrize("args", [
    pytest.param(("record", "grade", "99", "2024", "称职", "--source", "X"), id="grade-unknown-worker"),
    pytest.param(("record", "absence", "99", "2025-01-06", "--kind", "旷工", "--source", "X"),
                 id="absence-unknown-worker"),
    pytest.param(("record", "history", "99"), id="history-unknown-worker"),
    pytest.param(("record", "correct", "grades", "99", "--grade", "称职", "--reason", "r",
                  "--authority", "a"), id="correct-unknown-record"),
])
def test_unknown_worker_or_record_exits_5(rec: Shequ, args: tuple[str, ...]) -> None:
    """An unknown worker or record is NOT FOUND (exit 5)."""
    error = rec.fails(5, *args, user="bureau", now="2025-01-06")
    assert error["code"] in ("WORKER_NOT_FOUND", "RECORD_NOT_FOUND")
    assert "99" in error["message"]


@pytest.mark.parametrize(("user", "args", "code"), [
    pytest.param("zhang", ("absence", "1", "2025-01-06", "--kind", "旷工", "--source", "X"),
                 "ROLE_NOT_PERMITTED", id="AUD-worker-cannot-record-own-absence"),
    pytest.param("c1", ("grade", "1", "2024", "称职", "--source", "X"), "ROLE_NOT_PERMITTED",
                 id="AUD-community-does-not-record-grades"),
    pytest.param("s2_party", ("grade", "1", "2024", "称职", "--source", "X"), "ROLE_NOT_PERMITTED",
                 id="AUD-party-committee-does-not-record-grades"),
    pytest.param("s2_party", ("office", "1", "2024-12-20", "--in-office", "--source", "X"), "OUT_OF_SCOPE",
                 id="AUD-other-street-out-of-scope"),
])
def test_user_without_a_permitted_role_exits_4(rec: Shequ, user: str, args: tuple[str, ...],
                                               code: str) -> None:
    """Records: a user whose role may not record that fact, or another street's user, is refused (exit 4)."""
    error = rec.fails(4, "record", *args, user=user, now="2025-01-06")
    assert error["code"] == code
    assert rec.ok("record", "history", "1")["records"] == []


def test_acting_user_is_required(rec: Shequ) -> None:
    """Without --as every write command is refused with CLI_USER_REQUIRED (exit 2)."""
    error = rec.fails(2, "record", "grade", "1", "2024", "称职", "--source", "X", now="2025-01-06")
    assert error["code"] == "CLI_USER_REQUIRED"
    error = rec.fails(2, "record", "correct", "grades", "1", "--grade", "称职", "--reason", "r",
                      "--authority", "a")
    assert error["code"] == "CLI_USER_REQUIRED"


def test_correction_options_are_checked_against_the_table(rec: Shequ) -> None:
    """`record correct`: an option of another table, new values with --withdraw, an unknown table, and a
    correction without reason are refused (exit 2); nothing is written."""
    recorded = absence(rec, date(2025, 6, 3))
    rid = str(recorded["record"]["id"])
    basis = ("--reason", "复核", "--authority", "社区考勤复核")
    error = rec.fails(2, "record", "correct", "absences", rid, "--grade", "称职", *basis, user="c1", now=NOW)
    assert (error["code"], "--grade" in error["message"]) == ("CLI_RECORD_OPTION_NOT_APPLICABLE", True)
    error = rec.fails(2, "record", "correct", "absences", rid, "--withdraw", "--half", *basis, user="c1",
                      now=NOW)
    assert error["code"] == "CLI_RECORD_WITHDRAW_WITH_VALUES"
    error = rec.fails(2, "record", "correct", "leave", rid, "--half", *basis, user="c1", now=NOW)
    assert error["code"] == "CLI_RECORD_TABLE_UNKNOWN"
    error = rec.fails(2, "record", "correct", "absences", rid, "--half", "--reason", " ", "--authority", "a",
                      user="c1", now=NOW)
    assert error["code"] == "RECORD_CORRECTION_INCOMPLETE"
    assert len(rec.ok("record", "history", "1")["records"]) == 1


def test_half_day_overstay_and_its_correction_to_a_whole_day(rec: Shequ) -> None:
    """`--half --kind 逾期不归` records half a day of OVERSTAY; `record correct … --whole` supersedes it."""
    first = absence(rec, date(2025, 6, 3), "--half")
    assert (first["record"]["values"]["half_days"], first["record"]["values"]["kind"]) == (1, "ABSENTEEISM")
    half = rec.ok("record", "absence", "1", "2025-06-04", "--half", "--kind", "逾期不归",
                  "--source", "考勤表", user="c1", now=NOW)
    assert (half["record"]["values"]["kind"], half["record"]["values"]["days"]) == ("OVERSTAY", "0.5")
    fixed = rec.ok("record", "correct", "absence_days", str(half["record"]["id"]), "--whole", "--reason",
                   "全天未到岗", "--authority", "社区考勤复核", user="c1", now=NOW)
    assert (fixed["record"]["values"]["days"], fixed["record"]["kind"]) == ("1", "CORRECTION")
    assert fixed["record"]["supersedes_id"] == half["record"]["id"]


# ---------------------------------------------------------------- history, worker show, JSON shapes


def test_history_shows_the_original_and_the_correction_with_who_and_when(rec: Shequ) -> None:
    """`record history` lists the original grade (superseded) and its correction (current) with reason,
    authority, recorder and time, in JSON and in words."""
    first = rec.ok("record", "grade", "1", "2023", "不称职", "--source", "2023年度考核结果通知",
                   user="s1_office", now="2025-01-06")
    rid = first["record"]["id"]
    rec.ok("record", "correct", "grades", str(rid), "--grade", "称职", "--reason", "复核后改定为称职",
           "--authority", "区民政局复核决定 2025-1", user="bureau", now="2025-01-08T10:30")
    rows = rec.ok("record", "history", "1", "--kind", "grades")["records"]
    assert [(r["id"], r["kind"], r["current"], r["values"]["grade"], r["supersedes_id"],
             r["superseded_by_id"]) for r in rows] == [(rid, "RECORD", False, "INCOMPETENT", None, rid + 1),
                               (rid + 1, "CORRECTION", True, "COMPETENT", rid, None)]
    assert (rows[1]["recorded_by"], rows[1]["recorded_by_name"], rows[1]["recorded_role"]) == (
        "bureau", "东区民政局", "DISTRICT_CIVIL_AFFAIRS")
    assert rows[1]["recorded_at"] == "2025-01-08T10:30:00+08:00"
    assert (rows[1]["reason"], rows[1]["authority"]) == ("复核后改定为称职", "区民政局复核决定 2025-1")
    out = rec.human("record", "history", "1").stdout
    assert "年度考核结果：" in out
    assert f"#{rid} 原始记录：2023 年度：不称职　[已被 #{rid + 1} 更正]" in out
    assert f"#{rid + 1} 更正 #{rid}：2023 年度：称职　[现行有效]" in out
    assert "更正理由：复核后改定为称职　更正依据：区民政局复核决定 2025-1" in out
    assert "登记：东区民政局（bureau，区民政局）2025-01-08 10:30" in out


def test_history_marks_a_withdrawn_record(rec: Shequ) -> None:
    """A withdrawn absence shows as withdrawn by its withdrawal row; `--kind absences` filters the table."""
    recorded = absence(rec, date(2025, 6, 3))
    rid = recorded["record"]["id"]
    rec.ok("record", "grade", "1", "2024", "称职", "--source", "X", user="s1_office", now=NOW)
    rec.ok("record", "correct", "absences", str(rid), "--withdraw", "--reason", "误记",
           "--authority", "社区考勤复核", user="c1", now=NOW)
    rows = rec.ok("record", "history", "1", "--kind", "absences")["records"]
    assert [(r["kind"], r["current"]) for r in rows] == [("RECORD", False), ("WITHDRAWAL", False)]
    out = rec.human("record", "history", "1", "--kind", "absences").stdout
    assert f"[已被 #{rid + 1} 撤销]" in out
    assert "[已撤销]" in out
    assert "年度考核结果" not in out


def test_write_command_json_shape(rec: Shequ) -> None:
    """Every write command returns the stored row, the audit seq, the findings and the case changes."""
    result = rec.ok("record", "grade", "1", "2024", "优秀", "--source", "2024年度考核结果通知",
                    user="s1_office", now="2025-01-06")
    assert set(result) == {"ok", "record", "audit_seq", "last_audit_seq", "supersedes_id", "withdrawn",
                           "findings", "not_evaluated", "cases", "consequences"}
    assert set(result["record"]) == {
        "table", "table_label", "id", "worker_id", "worker_name", "kind", "kind_label", "current",
        "supersedes_id", "superseded_by_id", "values", "value_text", "source_ref", "reason", "authority",
        "recorded_by", "recorded_by_name", "recorded_role", "recorded_role_label", "recorded_at"}
    assert result["record"]["values"] == {"year": 2024, "grade": "EXCELLENT", "grade_label": "优秀"}
    assert (result["record"]["table"], result["record"]["table_label"]) == ("annual_grades", "年度考核结果")
    assert result["findings"] == {"DIS-G7a": False, "DIS-G7b": False, "DIS-G8": False, "DIS-G9": False}
    assert (result["cases"], result["not_evaluated"], result["withdrawn"]) == ([], [], False)
    assert isinstance(result["audit_seq"], int)
    last = rec.ok("audit", "show", "--limit", "1")["entries"][-1]
    assert (last["seq"], last["action"]) == (result["audit_seq"], "annual_grades.record")


def test_history_json_shape(rec: Shequ) -> None:
    """`record history --json` names the worker and lists rows of every table."""
    absence(rec, date(2025, 6, 3))
    rec.ok("record", "grade", "1", "2024", "称职", "--source", "X", user="s1_office", now=NOW)
    data = rec.ok("record", "history", "1")
    assert (data["worker_id"], data["worker_name"]) == (1, "张三")
    assert [r["table"] for r in data["records"]] == ["annual_grades", "absence_days"]


def test_worker_show_lists_the_current_records(rec: Shequ) -> None:
    """`worker show` lists the current grades, absences and office records and counts the superseded rows."""
    absence(rec, date(2025, 6, 3))
    grade = rec.ok("record", "grade", "1", "2024", "基本称职", "--source", "2024年度考核结果通知",
                   user="s1_office", now=NOW)
    rec.ok("record", "correct", "grades", str(grade["record"]["id"]), "--grade", "称职", "--reason", "复核",
           "--authority", "区民政局复核决定", user="bureau", now=NOW)
    shown = rec.ok("worker", "show", "1")
    assert [(r["table"], r["value_text"]) for r in shown["recorded_facts"]] == [
        ("annual_grades", "2024 年度：称职"), ("absence_days", "2025-06-03（全天）：旷工")]
    out = rec.human("worker", "show", "1").stdout
    assert "年度考核、旷工和换届任职记录（现行有效）：" in out
    assert "2024 年度：称职" in out
    assert "2025-06-03（全天）：旷工" in out
    assert "2024 年度：基本称职" not in out
    assert "另有 1 条已被更正或撤销的记录：见 shequ record history 1" in out


def test_worker_show_lists_office_records(rec: Shequ) -> None:
    """`worker show` of a 两委 member lists the 换届 result recorded for them."""
    worker = add_party_member(rec)
    rec.ok("record", "office", worker, "2024-12-20", "--in-office", "--position", "委员", "--source", "公告",
           user="s1_party", now="2025-01-06")
    out = rec.human("worker", "show", worker).stdout
    assert "2024-12-20 换届：仍任社区党组织委员，职务：委员" in out


def test_audit_chain_verifies_after_records_corrections_and_cases(rec: Shequ) -> None:
    """After records, a case opened and closed by SYSTEM and a correction, `audit verify` passes and the
    audit holds the record entries and the case entries."""
    ids = [r["record"]["id"] for r in record_run(rec, JUNE_RUN)]
    rec.ok("record", "correct", "absences", str(ids[0]), "--withdraw", "--reason", "误记", "--authority",
           "社区考勤复核", user="c1", now=NOW)
    check = rec.ok("audit", "verify")
    assert check["verified"] is True
    actions = [e["action"] for e in rec.ok("audit", "show")["entries"]]
    assert actions.count("absence_days.record") == 11
    assert actions[-4:] == ["absence_days.record", "open", "absence_days.withdraw", "close_data_corrected"]


# ---------------------------------------------------------------- end reason display


@pytest.mark.parametrize(("reason", "shown"), [
    pytest.param("DISMISSED(DIS-G3)", "解除聘用（DIS-G3）", id="DS-6-dismissed-with-ground"),
    pytest.param("RESIGNED", "辞职", id="RES-resigned-plain"),
    pytest.param(None, "", id="no-end-reason"),
])
def test_end_reason_label_shows_the_ground(reason: str | None, shown: str) -> None:
    """An end reason carrying its ground is shown as label（ground）, not as the raw code."""
    assert queries.end_reason_label(reason) == shown


def test_hongshan_records_the_fact_and_says_the_grounds_were_not_evaluated(rec: Shequ) -> None:
    """A-41: in a HONGSHAN district (dismissal UNSPECIFIED) the absence is recorded, no case opens, and the
    output says the grounds were not evaluated under that pack."""
    rec.ok("org", "district", "add", "HS", "洪山区", "--pack", "HONGSHAN")
    rec.ok("org", "street", "add", "HS", "HS1", "珞南街道")
    rec.ok("org", "community", "add", "HS1", "HC1", "珞南社区", "--staffing", "6")
    worker = str(rec.ok("worker", "add", "--id-number", make_id("42011119850303003"), "--name", "王五",
                        "--community", "HC1", "--category", "PUBLIC_SERVICE_OFFICER", "--appointment-start",
                        "2024-01-01")["worker"]["id"])
    rec.ok("user", "add", "hs_office", "珞南街道办事处", "--role", "STREET_OFFICE", "--street", "HS1")
    result = rec.ok("record", "absence", worker, "2025-06-03", "--kind", "旷工", "--source", "考勤表",
                    user="hs_office", now=NOW)
    assert result["not_evaluated"] == [{"ground": "*", "reason": "PROCEDURE_DISABLED", "pack": "HONGSHAN"}]
    assert (result["findings"], result["cases"]) == ({}, [])
    out = rec.human("record", "absence", worker, "2025-06-04", "--kind", "旷工", "--source", "考勤表",
                    user="hs_office", now=NOW).stdout
    assert "策略包 HONGSHAN 未启用解除聘用流程，未评估解聘情形" in out
