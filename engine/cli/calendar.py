"""`shequ calendar`: the statutory working-day calendar (CAL-1).

`calendar show YEAR` — the year's holiday ranges, make-up working days and totals, and where the data come
from (the bundled chinese_calendar package or an import); `--days` lists every day. A year without data is
an error (CAL_NO_DATA), never a guess.

`calendar import FILE` — store the State Council arrangement of one or more years (format:
docs/CALENDAR.md) as a new calendar version; pending deadlines that depend on working days are re-derived
in the same transaction (provisional ones become final), each change audited old → new. `--as` a user of
the district bureau (or an administrator); without `--as` the import is recorded as by the system.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.calendar import calendar_for
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, table, when
from engine.deadlines import import_calendar, year_summary
from engine.errors import NotFound
from engine.text import join_list, t


@click.group("calendar", cls=ShequGroup, help=t("calendar.help.group"))
def group() -> None:
    pass


def _source_label(source: str | None) -> str:
    if source is None:
        return "—"
    if source.startswith("import-"):
        return t("calendar.source_import", id=source.removeprefix("import-"))
    return t("calendar.source_bundled", source=source)


@group.command("show", help=t("calendar.help.show"))
@click.argument("year", type=click.IntRange(1900, 2199))
@click.option("--days", "all_days", is_flag=True, help=t("calendar.help.opt_days"))
@pass_state
def show(state: State, year: int, all_days: bool) -> None:
    with state.app().db.read() as store:
        calendar = calendar_for(store)
        source = calendar.source(year)
        if source is None:
            raise NotFound("CAL_NO_DATA", details={"year": year, "date": f"{year}-01-01"})
        summary = year_summary(calendar, year)
        imported = calendar.imports.get(int(source.removeprefix("import-"))) if source.startswith("import-") \
            else None
    summary["source_label"] = _source_label(source)
    summary["notice"] = imported.source if imported else None
    lines = [t("calendar.title", year=year, source=summary["source_label"], version=calendar.version)]
    if imported:
        lines.append(t("calendar.notice", notice=imported.source))
    lines += table([t("calendar.col_holiday"), t("calendar.col_from"), t("calendar.col_to"),
                    t("calendar.col_days"), t("calendar.col_workdays")],
                   [(h["name"], h["from"], h["to"], h["days"], h["workdays"]) for h in summary["holidays"]])
    lines.append(t("calendar.totals", working=summary["working_days"], rest=summary["rest_days"],
                   makeup=len(summary["makeup_days"])))
    if all_days:
        lines += table([t("calendar.col_day"), t("calendar.col_kind"), t("calendar.col_name")],
                       [(d["day"], t(f"calendar.kind.{d['kind']}"), d["name"]) for d in summary["days"]])
    emit(state.json, {"calendar": summary}, lines)


def _state_word(provisional: bool) -> str:
    return t("calendar.provisional_word") if provisional else t("calendar.final_word")


@group.command("import", help=t("calendar.help.import"))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
def import_cmd(state: State, file: Path) -> None:
    app = state.app()
    result = import_calendar(app.db, app.clock, file.read_bytes(), file_name=file.name, login=state.login)
    lines = [t("calendar.unchanged" if result.unchanged else "calendar.imported", id=result.import_id,
               version=result.version, source=result.source, years=join_list(result.years))]
    lines += table([t("calendar.col_holiday"), t("calendar.col_from"), t("calendar.col_to"),
                    t("calendar.col_days"), t("calendar.col_workdays")],
                   [(h["name"], h["from"], h["to"], h["days"], h["workdays"]) for h in result.holidays])
    for r in result.recomputed:
        lines.append(t("calendar.recomputed_line", id=r.deadline_id, case=r.case_id, fires=r.fires,
                       old=when(r.old_due_at), new=when(r.new_due_at),
                       old_state=_state_word(r.old_provisional), new_state=_state_word(r.new_provisional)))
    lines.append(t("calendar.recomputed_total", count=len(result.recomputed)))
    emit(state.json, {
        "import_id": result.import_id, "version": result.version, "source": result.source,
        "years": list(result.years), "unchanged": result.unchanged, "holidays": result.holidays,
        "recomputed": [r.__dict__ for r in result.recomputed],
    }, lines)
