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
