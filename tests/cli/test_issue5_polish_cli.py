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
    assert "2026-12-31" in error["message"] and end in error["message"]
    assert world.ok("term", "list", "DQ")["terms"] == []


def test_term_add_with_end_in_hongshan_cites_seed_001(world: Shequ) -> None:
    """HONGSHAN (3 years, seed 001 第六条): a different --end is refused citing HONGSHAN's own source."""
    add_district(world, "HS", "HONGSHAN", "HS1", "HC1")
    error = world.fails(3, "term", "add", "HS", "1", "2024-01-01", "--end", "2028-12-31")
    assert (error["code"], error["citation"]) == ("TERM_END_MISMATCH", "seed 001 第六条")
