"""`shequ pay`: the performance-pay table of a community and year (spec §4.5), printed and exported.

`pay compute --community C --year Y [--csv FILE] [--xlsx FILE]` prints the table in Chinese; amounts are
exact (the 应得 column is truncated with `…` when it does not terminate; JSON carries it as `p/q`). The
CSV is UTF-8 with a byte-order mark so that Excel opens it in Chinese; the XLSX (openpyxl) has numeric
cells formatted to the fen.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import click

from engine import queries
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, table
from engine.errors import InvalidInput
from engine.pay import GRADES, PayLine, coefficient_text, exact_text, fen, show
from engine.text import join_list, t
from workflows.pay import CommunityPay, community_pay, set_standard


@click.group("pay", cls=ShequGroup, help=t("cli.pay.help.group"))
def group() -> None:
    pass


def _grade(code: str, pack: str) -> str:
    """A grade in the words of the pay table's pack (queries.grade_label)."""
    return queries.grade_label(code, pack)


def _money(amount: Fraction) -> Decimal:
    """A numeric cell: exact when it has whole fen, else truncated to the fen (display in exports only)."""
    return fen(Fraction(int(amount * 100), 100)) if amount >= 0 else Decimal(0)


def _headers() -> list[str]:
    return [t(f"cli.pay.{k}") for k in ("col_worker", "col_name", "col_grade", "col_coefficient",
                                         "col_standard", "col_source", "col_base", "col_monthly_base",
                                         "col_nominal", "col_exact", "col_paid", "col_above_nominal")]


def _row(line: PayLine, pack: str) -> list[Any]:
    yes_no = t("cli.common.yes") if line.above_nominal else t("cli.common.no")
    return [line.worker_id, line.name, _grade(line.grade, pack), coefficient_text(line.coefficient),
            show(line.standard), t(f"pay.source.{line.standard_source}"), show(line.base),
            show(line.monthly_base), show(line.nominal), show(line.exact), show(line.paid), yes_no]


def _summary(result: CommunityPay, share: Fraction | None) -> list[str]:
    tbl = result.table
    counts = {g: tbl.count(g) for g in GRADES}
    terms = join_list(t("cli.pay.divisor_term", grade=_grade(g, result.pack), count=counts[g],
                        k=coefficient_text(next(x.coefficient for x in tbl.lines if x.grade == g)))
                      for g in GRADES if counts[g])
    lines = [t("cli.pay.pool", count=len(tbl.lines), share=f"{share.numerator}/{share.denominator}"
               if share is not None else "—", amount=show(tbl.pool)),
             t("cli.pay.divisor", divisor=coefficient_text(tbl.divisor), terms=terms)]
    if tbl.unit is None:
        lines.append(t("cli.pay.no_divisor"))
    else:
        lines.append(t("cli.pay.unit", amount=show(tbl.unit)))
    lines += [t("cli.pay.paid", amount=show(tbl.paid_total)), t("cli.pay.residue", amount=show(tbl.residue))]
    if result.ungraded:
        lines.append(t("cli.pay.ungraded", names=join_list(
            t("text.labelled", label=name, code=wid) for wid, name in result.ungraded)))
    return lines


def _share(result: CommunityPay) -> Fraction | None:
    line = next(iter(result.table.lines), None)
    return line.nominal / line.standard if line is not None and line.standard else None


def _json(result: CommunityPay) -> dict[str, Any]:
    tbl = result.table
    return {
        "community": result.community.code, "year": result.year, "pack": result.pack,
        "term_id": result.term_id,
        "pool": exact_text(tbl.pool), "divisor": exact_text(tbl.divisor),
        "unit": exact_text(tbl.unit) if tbl.unit is not None else None,
        "paid_total": str(fen(tbl.paid_total)), "residue": exact_text(tbl.residue),
        "lines": [{"worker_id": x.worker_id, "name": x.name, "grade": x.grade,
                   "grade_label": _grade(x.grade, result.pack),
                   "coefficient": exact_text(x.coefficient), "standard": exact_text(x.standard),
                   "standard_source": x.standard_source, "base": exact_text(x.base),
                   "monthly_base": exact_text(x.monthly_base), "nominal": exact_text(x.nominal),
                   "exact": exact_text(x.exact), "paid": str(fen(x.paid)), "above_nominal": x.above_nominal}
                  for x in tbl.lines],
        "ungraded": [{"worker_id": w, "name": n} for w, n in result.ungraded],
    }


def _export_rows(result: CommunityPay) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for x in result.table.lines:
        rows.append([x.worker_id, x.name, _grade(x.grade, result.pack), coefficient_text(x.coefficient),
                     _money(x.standard), t(f"pay.source.{x.standard_source}"), _money(x.base),
                     _money(x.monthly_base), _money(x.nominal), exact_text(x.exact), fen(x.paid),
                     t("cli.common.yes") if x.above_nominal else t("cli.common.no")])
    return rows


def _total_row(result: CommunityPay) -> list[Any]:
    tbl = result.table
    return [t("cli.pay.total_row"), "", "", coefficient_text(tbl.divisor),
            _money(sum((x.standard for x in tbl.lines), Fraction(0))), "", "", "", _money(tbl.pool),
            exact_text(tbl.pool), fen(tbl.paid_total), ""]


def write_csv(path: Path, result: CommunityPay) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(_headers())
        for row in [*_export_rows(result), _total_row(result)]:
            writer.writerow([str(c) for c in row])
        writer.writerow([])
        for line in _summary(result, _share(result)):
            writer.writerow([line])


def write_xlsx(path: Path, result: CommunityPay) -> None:
    from openpyxl import Workbook  # imported here: only this export needs it

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("cli.pay.sheet")
    sheet.append([t("cli.pay.title", community=result.community.name, code=result.community.code,
                    year=result.year, pack=result.pack)])
    sheet.append(_headers())
    for row in [*_export_rows(result), _total_row(result)]:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    sheet.append([])
    for line in _summary(result, _share(result)):
        sheet.append([line])
    book.save(path)


def _export(writer: Callable[[Path, CommunityPay], None], path: Path, result: CommunityPay) -> str:
    try:
        writer(path, result)
    except OSError as exc:
        raise InvalidInput("CLI_FILE_UNWRITABLE", t("cli.pay.write_failed", path=str(path),
                                                     reason=exc.strerror or str(exc))) from exc
    return str(path)


@group.command("compute", help=t("cli.pay.help.compute"))
@click.option("--community", required=True, metavar="CODE", help=t("cli.pay.help.opt_community"))
@click.option("--year", required=True, type=int, help=t("cli.pay.help.opt_year"))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help=t("cli.pay.help.opt_csv"))
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path),
              help=t("cli.pay.help.opt_xlsx"))
@pass_state
def compute_cmd(state: State, community: str, year: int, csv_path: Path | None,
                xlsx_path: Path | None) -> None:
    result = community_pay(state.app().db, community, year)
    exported: list[str] = []
    if csv_path is not None:
        exported.append(_export(write_csv, csv_path, result))
    if xlsx_path is not None:
        exported.append(_export(write_xlsx, xlsx_path, result))
    lines = [t("cli.pay.title", community=result.community.name, code=result.community.code, year=year,
               pack=result.pack), ""]
    lines += table(_headers(), [_row(x, result.pack) for x in result.table.lines])
    lines += ["", *_summary(result, _share(result))]
    lines += [t("cli.pay.exported", path=p) for p in exported]
    emit(state.json, {**_json(result), "exported": exported}, lines)


@group.command("set-standard", help=t("cli.pay.help.set_standard"))
@click.argument("worker_id", type=int, metavar="WORKER_ID")
@click.argument("amount", metavar="AMOUNT")
@pass_state
def set_standard_cmd(state: State, worker_id: int, amount: str) -> None:
    app = state.app()
    value = set_standard(app.db, app.clock, state.acting(), worker_id, amount)
    emit(state.json, {"worker_id": worker_id, "remuneration_standard": str(value)},
         [t("cli.pay.standard_set", worker=worker_id, amount=value)])
