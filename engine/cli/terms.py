"""`shequ term`: terms (届期) of a district and the opening of the renewal (换届) window."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import click

from engine import queries
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, table
from engine.cli.params import DATE
from engine.text import t


@click.group("term", cls=ShequGroup, help=t("cli.help.term"))
def group() -> None:
    pass


@group.command("add", help=t("cli.help.term_add"))
@click.argument("district")
@click.argument("ordinal", type=int)
@click.argument("start_date", type=DATE, metavar="START_DATE")
@click.option("--status", type=click.Choice(["ACTIVE", "PLANNED"]), default="ACTIVE", show_default=True,
              help=t("cli.help.opt_term_status"))
@pass_state
def add(state: State, district: str, ordinal: int, start_date: date, status: str) -> None:
    app = state.app()
    term_id = app.admin.add_term(district, ordinal, start_date, status=status, by=state.login)
    view = next(v for v in queries.terms(app.db, district) if v.id == term_id)
    emit(state.json, {"term": asdict(view)},
         [t("cli.term.added", id=term_id, district=district, ordinal=ordinal, start=view.start_date,
            end=view.end_date, status=view.status_label)])


@group.command("open-renewal", help=t("cli.help.term_open_renewal"))
@click.argument("term_id", type=int)
@click.option("--from", "window_from", type=DATE, required=True, help=t("cli.help.opt_window_from"))
@click.option("--to", "window_to", type=DATE, required=True, help=t("cli.help.opt_window_to"))
@pass_state
def open_renewal(state: State, term_id: int, window_from: date, window_to: date) -> None:
    state.app().admin.open_renewal(term_id, window_from, window_to, by=state.login)
    emit(state.json, {"term_id": term_id, "status": "RENEWAL_OPEN", "window_from": window_from,
                      "window_to": window_to},
         [t("cli.term.renewal_opened", id=term_id, start=window_from, end=window_to)])


@group.command("list", help=t("cli.help.term_list"))
@click.argument("district")
@pass_state
def list_cmd(state: State, district: str) -> None:
    views = queries.terms(state.app().db, district)
    headers = [t("cli.term.col_id"), t("cli.term.col_ordinal"), t("cli.term.col_start"),
               t("cli.term.col_end"), t("cli.term.col_status"), t("cli.term.col_window")]
    lines = table(headers, [(v.id, v.ordinal, v.start_date, v.end_date, v.status_label,
                             f"{v.window_from} ~ {v.window_to}" if v.window_from else None) for v in views])
    emit(state.json, {"district": district, "terms": [asdict(v) for v in views]}, lines)
