"""`shequ`: the command-line front end. Global options, then one command group per module.

Global options may also come from the environment: SHEQU_DB, SHEQU_USER, SHEQU_NOW (and SHEQU_LOG_JSON
for JSON logs, SHEQU_DEBUG for tracebacks).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from engine import logging as shequ_logging
from engine.cli import (
    audit,
    cases,
    db,
    deadlines,
    demo,
    notice,
    notify,
    org,
    pay,
    policy,
    procedures,
    records,
    terms,
    users,
    workers,
)
from engine.cli import calendar as calendar_cli
from engine.cli import scheduler as scheduler_cli
from engine.cli.base import ShequGroup, State
from engine.cli.params import INSTANT
from engine.text import t


@click.group(cls=ShequGroup, help=t("cli.help.root"),
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", envvar="SHEQU_DB", metavar="URL|PATH", help=t("cli.help.opt_db"))
@click.option("--as", "login", envvar="SHEQU_USER", metavar="LOGIN", help=t("cli.help.opt_as"))
@click.option("--now", "now", envvar="SHEQU_NOW", type=INSTANT, help=t("cli.help.opt_now"))
@click.option("--json", "json_mode", is_flag=True, help=t("cli.help.opt_json"))
@click.option("--debug", is_flag=True, envvar="SHEQU_DEBUG", help=t("cli.help.opt_debug"))
@click.option("-v", "--verbose", is_flag=True, help=t("cli.help.opt_verbose"))
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, login: str | None, now: datetime | None, json_mode: bool,
        debug: bool, verbose: bool) -> None:
    state = ctx.ensure_object(State)
    state.db, state.login, state.now = db_url, login, now
    state.json = state.json or json_mode
    state.debug, state.verbose = debug, verbose
    shequ_logging.configure(json=state.json or shequ_logging.env_wants_json(), verbose=verbose)
    ctx.call_on_close(state.close)


for group in (db.group, org.group, users.group, workers.group, terms.group, cases.group, audit.group,
              procedures.group, policy.group, deadlines.group, records.group):
    cli.add_command(group)
cli.add_command(demo.demo)
cli.add_command(calendar_cli.group)  # issue 3: shequ calendar show/import
cli.add_command(scheduler_cli.group)  # issue 3: shequ scheduler run
cli.add_command(notify.group)
cli.add_command(notice.group)
cli.add_command(pay.group)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point (`shequ = engine.cli.main:main`)."""
    return cli.main(args=argv, prog_name="shequ")
