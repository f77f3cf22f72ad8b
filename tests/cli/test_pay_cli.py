"""`shequ pay` (spec §4.5): the community table printed in Chinese and exported to CSV and XLSX, the pay
standard from the term (frozen once the term runs, TERM-3), and the refusals PAY_GRADES_NOT_FINAL and
PAY_NOT_CONFIGURED with their exit codes."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from tests.cli.conftest import Shequ
from tests.conftest import make_id

DAY = "2025-01-06"
GRADES = ("优秀", "称职", "称职", "称职", "基本称职", "不称职")  # the spec's worked example, worker #1 first


def seed_example(world: Shequ) -> None:
    """Term 1 (2024–2026) with a per-capita standard of 60,000 set while PLANNED, then started; six workers
    of C1 (张三 plus five added) graded FINAL for 2024 as in the spec's worked example."""
    world.ok("term", "add", "DQ", "1", "2024-01-01", "--status", "PLANNED")
    world.ok("term", "set-pay", "1", "60000", "--wage-year", "2023", "--wage-amount", "58000",
             "--wage-source", "市统计局2023年统计公报", user="bureau", now=DAY)
    world.ok("term", "start", "1", now=DAY)
    for i in range(2, 7):
        world.ok("worker", "add", "--id-number", make_id(f"1101051985030300{i}"), "--name", f"工作者{i}",
                 "--community", "C1", "--category", "PROFESSIONAL_SOCIAL_WORKER",
                 "--appointment-start", "2024-01-01")
    for worker, grade in enumerate(GRADES, start=1):
        world.ok("record", "grade", str(worker), "2024", grade, "--source", "东华街道考核结果〔2025〕1号",
                 user="s1_office", now=DAY)


def test_compute_prints_the_worked_example(world: Shequ) -> None:
    """PAY-5: the CLI table reproduces 30,240 / 21,600 ×3 / 12,960 / 0 with residue 0, in Chinese."""
    seed_example(world)
    data = world.ok("pay", "compute", "--community", "C1", "--year", "2024", now=DAY)
    assert [(x["grade"], x["paid"]) for x in data["lines"]] == [
        ("EXCELLENT", "30240.00"), ("COMPETENT", "21600.00"), ("COMPETENT", "21600.00"),
        ("COMPETENT", "21600.00"), ("BASIC", "12960.00"), ("INCOMPETENT", "0.00")]
    assert (data["pool"], data["divisor"], data["unit"], data["residue"]) == ("108000", "5", "21600", "0")
    assert {x["standard_source"] for x in data["lines"]} == {"term"}
    human = world.human("pay", "compute", "--community", "C1", "--year", "2024", now=DAY).stdout
    assert "东华社区（C1）2024 年度绩效补贴" in human
    assert "30,240.00" in human
    assert "12,960.00" in human
    assert "绩效补贴总额 P（6 人的年度报酬 × 3/10，含不称职人员）：108,000.00 元" in human
    assert "余额（不分配，向下取整到分后留存）：0.00 元" in human


def test_compute_exports_csv_and_xlsx(world: Shequ, tmp_path: Path) -> None:
    """The table is exported to CSV (UTF-8 with BOM) and XLSX with the same amounts and a total row."""
    seed_example(world)
    csv_path, xlsx_path = tmp_path / "pay.csv", tmp_path / "pay.xlsx"
    data = world.ok("pay", "compute", "--community", "C1", "--year", "2024", "--csv", str(csv_path),
                    "--xlsx", str(xlsx_path), now=DAY)
    assert data["exported"] == [str(csv_path), str(xlsx_path)]
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["编号", "姓名", "考核结果"]
    assert [r[10] for r in rows[1:7]] == ["30240.00", "21600.00", "21600.00", "21600.00", "12960.00", "0.00"]
    assert rows[7][0] == "合计"
    assert rows[7][10] == "108000.00"
    sheet = load_workbook(xlsx_path).active
    assert sheet is not None
    cells = list(sheet.iter_rows(min_row=3, max_row=9, values_only=True))
    assert [float(r[10]) for r in cells[:6]] == [30240.0, 21600.0, 21600.0, 21600.0, 12960.0, 0.0]
    assert cells[0][2] == "优秀"
    assert cells[6][0] == "合计"
    assert sheet.cell(row=3, column=11).number_format == "#,##0.00"


def test_worker_own_standard_replaces_the_term_standard(world: Shequ) -> None:
    """PAY-3: a worker's own R (set by 区民政局) feeds the pool instead of the term's per-capita standard."""
    seed_example(world)
    world.ok("pay", "set-standard", "2", "90000", user="bureau", now=DAY)
    data = world.ok("pay", "compute", "--community", "C1", "--year", "2024", now=DAY)
    line = next(x for x in data["lines"] if x["worker_id"] == 2)
    assert (line["standard"], line["standard_source"], line["nominal"]) == ("90000", "worker", "27000")
    assert data["pool"] == "117000"


def test_pay_standard_is_frozen_once_the_term_runs(world: Shequ) -> None:
    """TERM-3: changing an ACTIVE term's pay standard is refused with TERM_PAY_FROZEN (exit 3)."""
    seed_example(world)
    error = world.fails(3, "term", "set-pay", "1", "70000", user="bureau", now=DAY)
    assert (error["code"], error["rule_id"]) == ("TERM_PAY_FROZEN", "TERM-3")
    assert "seed 000 第十九条" in error["message"]


def test_no_final_grades_is_refused(world: Shequ) -> None:
    """PAY-7: before FINAL grades exist for the year the table is refused (PAY_GRADES_NOT_FINAL, exit 3)."""
    seed_example(world)
    error = world.fails(3, "pay", "compute", "--community", "C1", "--year", "2023", now=DAY)
    assert error["code"] == "PAY_GRADES_NOT_FINAL"
    assert "seed 000 第十一条" in error["message"]


def test_pack_without_coefficients_is_refused(world: Shequ) -> None:
    """A-41: a HONGSHAN community cannot be computed (PAY_NOT_CONFIGURED, exit 3), DONGQU is not inherited."""
    world.ok("org", "district", "add", "HS", "洪山区", "--pack", "HONGSHAN")
    world.ok("org", "street", "add", "HS", "HS1", "洪山街道")
    world.ok("org", "community", "add", "HS1", "HC1", "洪山社区", "--staffing", "6")
    error = world.fails(3, "pay", "compute", "--community", "HC1", "--year", "2024", now=DAY)
    assert (error["code"], error["details"]["pack"]) == ("PAY_NOT_CONFIGURED", "HONGSHAN")


def test_set_standard_needs_the_bureau(world: Shequ) -> None:
    """Only 区民政局 sets a worker's remuneration standard (exit 4 for a street office)."""
    error = world.fails(4, "pay", "set-standard", "1", "90000", user="s1_office")
    assert error["code"] == "ROLE_NOT_PERMITTED"
