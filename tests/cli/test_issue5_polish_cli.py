"""Issue 5 polish from the command line: `term add --end` (TERM-1 per pack), what `record grade` reports of
its transaction (dismissal cases opened/closed, appointment flags), grade labels in each pack's own words."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Shequ
from tests.cli.test_pack_variants_cli import add_district

NOW = "2025-03-01"


# ---------------------------------------------------------------- term add --end (TERM-1)


def test_term_add_without_end_in_a_pack_without_length_names_the_setting_and_source(world: Shequ) -> None:
    """TERM-1/A-41: CHUZHOU gives no term length, so `term add` without --end refuses TERM_END_REQUIRED naming
    term.length_years and the pack's source (seed 002), in Chinese, and registers nothing."""
    add_district(world, "CZ", "CHUZHOU", "CZ1", "CC1")
    error = world.fails(3, "term", "add", "CZ", "1", "2024-01-01")
    assert (error["code"], error["rule_id"]) == ("TERM_END_REQUIRED", "TERM-1")
    assert error["citation"] == "seed 002 滁州·建立职业退出机制"
    assert "term.length_years" in error["message"]
    assert "seed 002 滁州·建立职业退出机制" in error["message"]
    assert "--end" in error["message"]
    assert world.ok("term", "list", "CZ")["terms"] == []
    result = world.run("term", "add", "CZ", "1", "2024-01-01")
    assert result.exit_code == 3
    assert result.stderr.startswith("错误 [TERM_END_REQUIRED]: 策略包 CHUZHOU 未规定届期年限")


def test_term_add_with_end_in_a_pack_without_length_registers_those_dates(world: Shequ) -> None:
    """CHUZHOU: `term add … --end` registers the term with the dates the district decided."""
    add_district(world, "CZ", "CHUZHOU", "CZ1", "CC1")
    term = world.ok("term", "add", "CZ", "1", "2024-01-01", "--end", "2028-12-31")["term"]
    assert (term["start_date"], term["end_date"], term["status"]) == ("2024-01-01", "2028-12-31", "ACTIVE")


@pytest.mark.parametrize(("end", "accepted"), [
    pytest.param("2026-12-31", True, id="TERM-1-end-equal-to-computed-accepted"),
    pytest.param("2027-12-31", False, id="TERM-1-end-after-computed-refused"),
    pytest.param("2026-12-30", False, id="TERM-1-end-before-computed-refused"),
])
def test_term_add_with_end_in_a_pack_with_a_length(world: Shequ, end: str, accepted: bool) -> None:
    """DONGQU (3 years, seed 000 第四条): --end is accepted only when it is the CAL-4 end; another date is
    refused TERM_END_MISMATCH (exit 3) naming both dates, and nothing is registered (DECISIONS 24)."""
    if accepted:
        assert world.ok("term", "add", "DQ", "1", "2024-01-01", "--end", end)["term"]["end_date"] == end
        return
    error = world.fails(3, "term", "add", "DQ", "1", "2024-01-01", "--end", end)
    assert (error["code"], error["rule_id"], error["citation"]) == ("TERM_END_MISMATCH", "TERM-1",
                                                                   "seed 000 第四条")
    assert (error["details"]["computed"], error["details"]["end"]) == ("2026-12-31", end)
    assert "2026-12-31" in error["message"]
    assert end in error["message"]
    assert world.ok("term", "list", "DQ")["terms"] == []


def test_term_add_with_end_in_hongshan_cites_seed_001(world: Shequ) -> None:
    """HONGSHAN (3 years, seed 001 第六条): a different --end is refused citing HONGSHAN's own source."""
    add_district(world, "HS", "HONGSHAN", "HS1", "HC1")
    error = world.fails(3, "term", "add", "HS", "1", "2024-01-01", "--end", "2028-12-31")
    assert (error["code"], error["citation"]) == ("TERM_END_MISMATCH", "seed 001 第六条")


# ---------------------------------------------------------------- grade labels in the pack's own words


GRADE_WORDS = {
    "DONGQU": ("优秀", "称职", "基本称职", "不称职"),
    "HONGSHAN": ("优秀", "合格", "诫勉", "不合格"),
    "CHUZHOU": ("优秀", "合格", "基本合格", "不合格"),
}
CODES = ("EXCELLENT", "COMPETENT", "BASIC", "INCOMPETENT")


@pytest.mark.parametrize("pack", [pytest.param(p, id=f"A-36-{p}") for p in GRADE_WORDS])
def test_grade_labels_helper_uses_the_packs_tiers(pack: str) -> None:
    """queries.grade_labels maps the four codes onto the pack's own tiers, never DONGQU's for another pack;
    the pay table's grade column uses it with the table's pack."""
    from engine import queries
    from engine.cli.pay import _grade

    assert queries.grade_labels(pack) == dict(zip(CODES, GRADE_WORDS[pack], strict=True))
    assert queries.grade_label("BASIC", pack) == GRADE_WORDS[pack][2]
    assert _grade("INCOMPETENT", pack) == GRADE_WORDS[pack][3]


def pack_worker(world: Shequ, pack: str) -> tuple[str, str]:
    """A worker in a district of `pack` (DONGQU: the seeded worker #1) and the user who records grades."""
    if pack == "DONGQU":
        return "1", "s1_office"
    code = {"HONGSHAN": "HS", "CHUZHOU": "CZ"}[pack]
    return add_district(world, code, pack, f"{code}1", f"{code}C1"), f"{code.lower()}_office"


@pytest.mark.parametrize("pack", [pytest.param(p, id=f"A-36-{p}") for p in GRADE_WORDS])
def test_record_grade_history_and_worker_show_use_the_packs_words(world: Shequ, pack: str) -> None:
    """`record grade`, `record history` and `worker show` print a BASIC grade in the words of the worker's
    pack (基本称职 / 诫勉 / 基本合格), in text and --json, and never another pack's word for it."""
    worker, user = pack_worker(world, pack)
    word = GRADE_WORDS[pack][2]
    others = {words[2] for p, words in GRADE_WORDS.items() if p != pack}
    data = world.ok("record", "grade", worker, "2024", "BASIC", "--source", "考评结果", user=user, now=NOW)
    assert (data["record"]["values"]["grade"], data["record"]["values"]["grade_label"]) == ("BASIC", word)
    assert data["record"]["value_text"] == f"2024 年度：{word}"
    [row] = world.ok("record", "history", worker)["records"]
    assert row["values"]["grade_label"] == word
    outputs = [world.human("record", "grade", worker, "2023", "COMPETENT", "--source", "考评结果", user=user,
                           now=NOW).stdout,
               world.human("record", "history", worker).stdout,
               world.human("worker", "show", worker, now=NOW).stdout]
    assert f"2023 年度：{GRADE_WORDS[pack][1]}" in outputs[0]
    for out in outputs[1:]:
        assert f"2024 年度：{word}" in out
    for out in outputs:
        assert not any(other in out for other in others)


def test_chuzhou_case_show_labels_the_trigger_grades_in_chuzhou_words(world: Shequ) -> None:
    """DIS-CHZ-3 `case show` data: the trigger facts' grades carry CHUZHOU labels (不合格), no 不称职."""
    worker, user = pack_worker(world, "CHUZHOU")
    world.ok("term", "add", "CZ", "1", "2024-01-01", "--end", "2026-12-31")
    world.ok("record", "grade", worker, "2024", "不合格", "--source", "考评 2024", user=user, now=NOW)
    [case] = world.ok("record", "grade", worker, "2025", "不合格", "--source", "考评 2025", user=user,
                      now=NOW)["cases"]
    shown = world.ok("case", "show", str(case["case_id"]))
    facts = {d["name"]: d["value"] for d in shown["data"]}["trigger_facts"]
    assert facts["grades"] == {"2024": "INCOMPETENT", "2025": "INCOMPETENT"}
    assert facts["grades_labels"] == {"2024": "不合格", "2025": "不合格"}
    assert "不称职" not in world.human("case", "show", str(case["case_id"])).stdout


# ---------------------------------------------------------------- record grade: what its transaction did


def test_second_incompetent_year_reports_the_g7a_case_it_opened(world: Shequ) -> None:
    """DIS-G7a/DS-1: the second 不称职 reports, in --json and in words, the case its transaction opened with
    case id, ground, rule ids, citations and audit seq — the audit entry written right after the record."""
    first = world.ok("record", "grade", "1", "2023", "不称职", "--source", "2023年度考核结果通知",
                     user="s1_office", now="2025-01-06")
    assert (first["consequences"], first["last_audit_seq"]) == ([], first["audit_seq"])
    second = world.ok("record", "grade", "1", "2024", "不称职", "--source", "2024年度考核结果通知",
                      user="s1_office", now="2025-01-06")
    [item] = second["consequences"]
    assert (item["kind"], item["change"], item["ground"], item["to_state"]) == ("case", "opened", "DIS-G7a",
                                                                                 "OPEN")
    assert item["seq"] == second["audit_seq"] + 1 == second["last_audit_seq"]
    assert "DIS-G7a" in item["rule_ids"]
    assert "seed 000 第二十三条7" in item["citations"]
    [case] = world.ok("case", "list", "--procedure", "dismissal", "--worker", "1")["cases"]
    assert item["case_id"] == case["id"]
    entries = world.ok("audit", "show", "--case", str(case["id"]))["entries"]
    [entry] = [e for e in entries if e["action"] == "open"]
    assert (entry["seq"], entry["rule_ids"]) == (item["seq"], item["rule_ids"])
    assert second["cases"][0]["seq"] == item["seq"]


def test_record_grade_words_name_the_opened_case_and_its_rules(world: Shequ) -> None:
    """The human output of the second 不称职 names the case opened, its ground and rule ids, and its seq."""
    world.ok("record", "grade", "1", "2023", "不称职", "--source", "通知", user="s1_office", now="2025-01-06")
    out = world.human("record", "grade", "1", "2024", "不称职", "--source", "通知", user="s1_office",
                      now="2025-01-06").stdout
    line = next(x for x in out.splitlines() if "已自动立案" in x)
    assert "已自动立案：解除聘用案件 1，情形 年度考核连续两年被评定为不称职（DIS-G7a）" in line
    assert "规则：DIS-APPT、DIS-G7a" in line
    assert "审计序号 " in line
    assert "未开立或关闭任何解除聘用案件" not in out


def test_correction_reports_the_g7a_case_it_closed(world: Shequ) -> None:
    """DS-7: correcting the second 不称职 to 称职 reports the case closed CLOSED_DATA_CORRECTED, in --json and
    in words, with its rule ids."""
    world.ok("record", "grade", "1", "2023", "不称职", "--source", "通知", user="s1_office", now="2025-01-06")
    opened = world.ok("record", "grade", "1", "2024", "不称职", "--source", "通知", user="s1_office",
                      now="2025-01-06")
    case_id = opened["consequences"][0]["case_id"]
    args = ("record", "correct", "grades", str(opened["record"]["id"]), "--grade", "称职", "--reason", "复核",
            "--authority", "街道复核意见")
    result = world.run(*args, user="s1_office", now="2025-01-06")
    assert result.exit_code == 0, result.stderr
    assert (f"已因数据更正结案：解除聘用案件 {case_id}，情形 年度考核连续两年被评定为不称职（DIS-G7a），"
            "当前状态：已结案（数据更正后情形不再成立）（CLOSED_DATA_CORRECTED）") in result.stdout
    assert "规则：DIS-1、DIS-CORRECTED" in result.stdout
    history = world.ok("record", "history", "1", "--kind", "grades")["records"]
    newest = max(r["id"] for r in history)
    # in --json: correcting back to 不称职 opens a new case, correcting that to 称职 reports it closed
    data = world.ok("record", "correct", "grades", str(newest), "--grade", "不称职", "--reason", "再复核",
                    "--authority", "区民政局", user="bureau", now="2025-01-06")
    assert [(c["kind"], c["change"], c["ground"]) for c in data["consequences"]] == [
        ("case", "opened", "DIS-G7a")]
    again = world.ok("record", "correct", "grades", str(data["record"]["id"]), "--grade", "称职",
                     "--reason", "终审", "--authority", "区民政局", user="bureau", now="2025-01-06")
    [closed] = again["consequences"]
    assert (closed["change"], closed["from_state"], closed["to_state"]) == (
        "closed_data_corrected", "OPEN", "CLOSED_DATA_CORRECTED")
    assert closed["case_id"] == data["consequences"][0]["case_id"]
    assert closed["rule_ids"] == ["DIS-1", "DIS-CORRECTED"]


def test_hongshan_jiemian_reports_probation_set(world: Shequ) -> None:
    """HS-PROB: a HONGSHAN 诫勉 reports the 留用察看 its transaction set on the appointment (rule, citation,
    dates), in --json and in words; no dismissal case is involved."""
    worker, user = pack_worker(world, "HONGSHAN")
    data = world.ok("record", "grade", worker, "2024", "诫勉", "--source", "考评", user=user, now=NOW)
    [item] = data["consequences"]
    assert (item["kind"], item["flag"], item["change"]) == ("appointment_flag", "probation", "set")
    assert (item["rule_ids"], item["citations"]) == (["HS-PROB"], ["seed 001 第二十七条(三)"])
    assert item["after"] == {"year": 2024, "start": NOW, "end": None}
    assert data["cases"] == []
    out = world.human("record", "grade", worker, "2025", "不合格", "--source", "考评", user=user,
                      now="2026-03-01").stdout
    assert "留用察看已结束——2024 年度考评诫勉，2025-03-01 起至 2026-03-01（规则：HS-PROB" in out
    assert "年度考评不合格的退出处理任务已设定——2025 年度考评不合格，待街道办事处办理" in out
    assert "未开立或关闭任何解除聘用案件" in out
