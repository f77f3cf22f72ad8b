"""`shequ term`: terms (届期) of a district, the term machine (spec §4.1 TM-1…TM-5) and 换届.

- `term add` registers a term as reference data (e.g. one already running when the system starts);
  `--end` gives its last day: required in a pack without a term length (CHUZHOU, TERM_END_REQUIRED), and in a
  pack with one accepted only when it is the computed end (TERM_END_MISMATCH; DECISIONS 24);
  `term create` is TM-1 (PLANNED, pay standard checked against the city average wage, SOFT-1 override).
- `term open-renewal` is TM-3: the term goes 换届中 and one 考核聘用 case is opened per appointment of the
  term, one transaction per community, with a progress bar per community (stderr; none with --json).
  Run it again to finish communities that failed: nothing is opened twice.
- `term start` / `term expire` / `term close` take TM-2 / TM-4 / TM-5 now (as SYSTEM, guards apply);
  `term sweep` takes every one that is due (what a scheduler runs daily).
- `term set-pay` changes the per-capita pay standard; refused while the term runs (TERM_PAY_FROZEN).
- `term offices` lists the 两委 members of a term and their recorded office result after 换届;
  `term record-offices FILE.csv` records them all at once (DIS-G9 opens dismissal cases for those no longer
  in office, seed 000 第二十三条9).
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import click

from engine import changeover, queries
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, fmt, table
from engine.cli.params import DATE, _pairs, _read_file
from engine.errors import ShequFlowError
from engine.guards import SYSTEM_ACTOR
from engine.text import join_list, t
from workflows.terms import TermMachine, TermOutcome, office_rows_from_csv


@click.group("term", cls=ShequGroup, help=t("cli.help.term"))
def group() -> None:
    pass


@group.command("add", help=t("cli.help.term_add"))
@click.argument("district")
@click.argument("ordinal", type=int)
@click.argument("start_date", type=DATE, metavar="START_DATE")
@click.option("--status", type=click.Choice(["ACTIVE", "PLANNED"]), default="ACTIVE", show_default=True,
              help=t("cli.help.opt_term_status"))
@click.option("--end", "end_date", type=DATE, metavar="DATE", help=t("cli.terms.help.opt_end"))
@pass_state
def add(state: State, district: str, ordinal: int, start_date: date, status: str,
        end_date: date | None) -> None:
    app = state.app()
    term_id = app.admin.add_term(district, ordinal, start_date, status=status, end=end_date, by=state.login)
    view = next(v for v in queries.terms(app.db, district) if v.id == term_id)
    emit(state.json, {"term": asdict(view)},
         [t("cli.term.added", id=term_id, district=district, ordinal=ordinal, start=view.start_date,
            end=view.end_date, status=view.status_label)])


def _machine(state: State) -> TermMachine:
    return TermMachine(state.app().engine)


def _wage(year: int | None, amount: int | None, source: str | None) -> dict[str, Any]:
    return {k: v for k, v in (("year", year), ("amount", amount), ("source", source)) if v is not None}


def _overrides(items: tuple[str, ...]) -> dict[str, str]:
    return dict(_pairs(items, "--override"))


def wage_options(func: Any) -> Any:
    func = click.option("--override", "overrides", multiple=True, metavar="CODE=REASON",
                        help=t("cli.terms.help.opt_override"))(func)
    func = click.option("--wage-source", help=t("cli.terms.help.opt_wage_source"))(func)
    func = click.option("--wage-amount", type=int, help=t("cli.terms.help.opt_wage_amount"))(func)
    func = click.option("--wage-year", type=int, help=t("cli.terms.help.opt_wage_year"))(func)
    return func


def _outcome_data(outcome: TermOutcome) -> dict[str, Any]:
    return {"term_id": outcome.term_id, "trigger": outcome.trigger, "from": outcome.from_state,
            "to": outcome.to_state, "audit_seq": outcome.audit_seq, "overridden": list(outcome.overridden),
            "details": dict(outcome.details), "error": outcome.error}


def _outcome_line(outcome: TermOutcome) -> str:
    if outcome.error is not None:
        return t("cli.terms.refused", id=outcome.term_id, trigger=t(f"terms.triggers.{outcome.trigger}"),
                 message=outcome.error.get("message", ""))
    return t("cli.terms.moved", id=outcome.term_id, trigger=t(f"terms.triggers.{outcome.trigger}"),
             source=_status(outcome.from_state), dest=_status(outcome.to_state), seq=outcome.audit_seq)


def _status(status: str | None) -> str:
    return queries.label(f"cli.status.term.{status}", status) if status else "—"


@group.command("create", help=t("cli.terms.help.create"))
@click.argument("district")
@click.argument("ordinal", type=int)
@click.argument("start_date", type=DATE, metavar="START_DATE")
@click.option("--pay-standard", type=int, help=t("cli.terms.help.opt_pay_standard"))
@wage_options
@pass_state
def create(state: State, district: str, ordinal: int, start_date: date, pay_standard: int | None,
           wage_year: int | None, wage_amount: int | None, wage_source: str | None,
           overrides: tuple[str, ...]) -> None:
    outcome = _machine(state).create(state.acting(), district, ordinal, start_date, pay_standard=pay_standard,
                                     wage_ref=_wage(wage_year, wage_amount, wage_source),
                                     overrides=_overrides(overrides))
    lines = [t("cli.terms.created", id=outcome.term_id, district=district, ordinal=ordinal,
               start=outcome.details["start_date"], end=outcome.details["end_date"])]
    lines += [t("cli.case.overridden", code=o["code"], reason=o["reason"]) for o in outcome.overridden]
    emit(state.json, _outcome_data(outcome), lines)


@group.command("set-pay", help=t("cli.terms.help.set_pay"))
@click.argument("term_id", type=int)
@click.argument("pay_standard", type=int, metavar="AMOUNT")
@wage_options
@pass_state
def set_pay(state: State, term_id: int, pay_standard: int, wage_year: int | None, wage_amount: int | None,
            wage_source: str | None, overrides: tuple[str, ...]) -> None:
    outcome = _machine(state).set_pay(state.acting(), term_id, pay_standard,
                                      wage_ref=_wage(wage_year, wage_amount, wage_source),
                                      overrides=_overrides(overrides))
    lines = [t("cli.terms.pay_set", id=term_id, amount=pay_standard)]
    lines += [t("cli.case.overridden", code=o["code"], reason=o["reason"]) for o in outcome.overridden]
    emit(state.json, _outcome_data(outcome), lines)


def _system_step(name: str, help_key: str) -> Any:
    @group.command(name, help=t(help_key))
    @click.argument("term_id", type=int)
    @pass_state
    def command(state: State, term_id: int) -> None:
        machine = _machine(state)
        run = {"start": machine.start, "expire": machine.expire, "close": machine.close}[name]
        outcome = run(term_id, SYSTEM_ACTOR.login)
        lines = [_outcome_line(outcome)]
        if name == "expire":
            lines.append(t("cli.terms.expired_summary", **{k.lower(): v for k, v in outcome.details.items()}))
            lines += _office_reminder(machine, term_id)
        emit(state.json, _outcome_data(outcome), lines)

    return command


_system_step("start", "cli.terms.help.start")
_system_step("expire", "cli.terms.help.expire")
_system_step("close", "cli.terms.help.close")


@group.command("sweep", help=t("cli.terms.help.sweep"))
@pass_state
def sweep(state: State) -> None:
    outcomes = _machine(state).sweep()
    lines = [_outcome_line(o) for o in outcomes] or [t("cli.terms.nothing_due")]
    emit(state.json, {"outcomes": [_outcome_data(o) for o in outcomes]}, lines)


class _Bars:
    """A click progress bar per community, fed by engine.changeover's progress callback (stderr)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, event: changeover.ProgressEvent) -> None:
        if event.kind == "community_start":
            label = t("cli.terms.bar", index=event.index, count=event.communities, name=event.community_name,
                      code=event.community)
            self.bar = click.progressbar(length=max(event.total, 1), label=label, file=sys.stderr,
                                         show_pos=True)
            self.bar.__enter__()
            if event.done:
                self.bar.update(event.done)
        elif event.kind == "case" and self.bar is not None:
            self.bar.update(1)
        elif event.kind in ("community_done", "community_failed") and self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
            if event.kind == "community_failed" and event.error:
                click.echo(t("cli.terms.community_failed", name=event.community_name, code=event.community,
                             message=event.error.get("message", "")), err=True)


@group.command("open-renewal", help=t("cli.help.term_open_renewal"))
@click.argument("term_id", type=int)
@click.option("--from", "window_from", type=DATE, required=True, help=t("cli.help.opt_window_from"))
@click.option("--to", "window_to", type=DATE, required=True, help=t("cli.help.opt_window_to"))
@pass_state
def open_renewal(state: State, term_id: int, window_from: date, window_to: date) -> None:
    app = state.app()
    login = state.login or SYSTEM_ACTOR.login
    report = changeover.open_renewal(app.engine, login, term_id, window_from, window_to,
                                     progress=None if state.json else _Bars(), setup=state.login is None)
    communities = [{"community": c.community, "name": c.community_name, "appointments": c.total,
                    "existing": c.existing, "opened": c.opened, "error": c.error} for c in report.communities]
    data = {"term_id": term_id, "status": "RENEWAL_OPEN", "window_from": window_from, "window_to": window_to,
            "opened": report.opened, "existing": report.existing, "communities": communities}
    lines = [t("cli.term.renewal_opened", id=term_id, start=window_from, end=window_to),
             t("cli.terms.fan_out", opened=report.opened, existing=report.existing,
               communities=len(report.communities))]
    if report.failed:
        first = report.failed[0].exception
        error = ShequFlowError("CHANGEOVER_INCOMPLETE", details={
            "failed": len(report.failed), "communities": join_list(c.community for c in report.failed),
            "opened": report.opened, "first": first.message_zh if first else ""})
        error.exit_code = first.exit_code if first else 3
        if not state.json:
            click.echo("\n".join(lines))
        raise error
    emit(state.json, data, lines)


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


def _office_rows(machine: TermMachine, term_id: int) -> list[dict[str, Any]]:
    return [{"worker_id": o.worker_id, "name": o.name, "category": o.category,
             "category_label": queries.category_label(o.category), "appointment_id": o.appointment_id,
             "record_id": o.record_id, "election_date": o.election_date, "in_office": o.in_office,
             "dismissal_case_id": o.dismissal_case_id} for o in machine.offices(term_id)]


def _office_reminder(machine: TermMachine, term_id: int) -> list[str]:
    missing = [r for r in _office_rows(machine, term_id) if r["record_id"] is None]
    if not missing:
        return []
    names = join_list(t("text.labelled", label=r["name"], code=r["worker_id"]) for r in missing)
    return [t("cli.terms.offices_missing", count=len(missing), names=names, term=term_id)]


@group.command("offices", help=t("cli.terms.help.offices"))
@click.argument("term_id", type=int)
@pass_state
def offices(state: State, term_id: int) -> None:
    rows = _office_rows(_machine(state), term_id)
    headers = [t(f"cli.terms.{k}") for k in ("col_worker", "col_name", "col_category", "col_election",
                                             "col_office", "col_dismissal")]

    def office(value: bool | None) -> str:
        if value is None:
            return t("cli.terms.not_recorded")
        return t(f"cli.terms.in_office_{str(value).lower()}")

    lines = table(headers, [(r["worker_id"], r["name"], r["category_label"], r["election_date"],
                             office(r["in_office"]), r["dismissal_case_id"]) for r in rows])
    lines += _office_reminder(_machine(state), term_id)
    emit(state.json, {"term_id": term_id, "offices": rows}, lines)


@group.command("record-offices", help=t("cli.terms.help.record_offices"))
@click.argument("term_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.csv")
@pass_state
def record_offices(state: State, term_id: int, path: Path) -> None:
    rows = office_rows_from_csv(_read_file(str(path)))
    results = _machine(state).record_offices(state.acting(), term_id, rows)
    opened = [c.case_id for r in results for c in r.changes if c.action == "opened"]
    data = {"term_id": term_id, "recorded": [r.record_id for r in results], "dismissal_cases_opened": opened}
    emit(state.json, data, [t("cli.terms.offices_recorded", count=len(results),
                              cases=fmt(opened) if opened else t("text.none"))])
