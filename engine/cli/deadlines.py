"""`shequ deadlines`: list deadlines and run the sweep in simulated time.

`deadlines run --until T` is a simulation: it fires every PENDING deadline due at or before T in due
order, moving the (frozen) clock to each deadline's due instant first, so audit entries, guards and
follow-on deadlines see the time at which the deadline really fell due. The clock never moves back:
a deadline already overdue at `--now` fires at `--now`. Each round goes through
`engine.deadlines.fire_due`, the same sweep the scheduler runs.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import click

from engine import queries
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import deadline_lines, emit, when
from engine.cli.params import INSTANT
from engine.deadlines import FiredDeadline, fire_due
from engine.text import t

STATUSES = ("PENDING", "FIRED", "CANCELLED", "FAILED")
MAX_ROUNDS = 10_000


@click.group("deadlines", cls=ShequGroup, help=t("cli.help.deadlines"))
def group() -> None:
    pass


@group.command("list", help=t("cli.help.deadlines_list"))
@click.option("--due-before", type=INSTANT, help=t("cli.help.opt_due_before"))
@click.option("--status", type=click.Choice(STATUSES), help=t("cli.help.opt_deadline_status"))
@click.option("--case", "case_id", type=int, help=t("cli.help.opt_audit_case"))
@pass_state
def list_cmd(state: State, due_before: datetime | None, status: str | None, case_id: int | None) -> None:
    views = queries.deadlines(state.app().db, status=status, due_before=due_before, case_id=case_id)
    emit(state.json, {"deadlines": [asdict(v) for v in views]}, deadline_lines(views))


def _fired_dict(f: FiredDeadline, procedure: str) -> dict[str, Any]:
    return {"deadline_id": f.deadline_id, "case_id": f.case_id, "fires": f.fires,
            "fires_label": queries.action_label(procedure, f.fires), "due_at": f.due_at,
            "fired_at": f.fired_at, "outcome": f.outcome, "error": f.error}


@group.command("run", help=t("cli.help.deadlines_run"))
@click.option("--until", type=INSTANT, help=t("cli.help.opt_until"))
@pass_state
def run_cmd(state: State, until: datetime | None) -> None:
    clock = state.frozen_clock()
    app = state.app()
    until = until or clock.now()
    fired: list[FiredDeadline] = []
    for _ in range(MAX_ROUNDS):
        due = queries.next_pending_due(app.db, until)
        if due is None:
            break
        if due > clock.now():
            clock.set(due)
        fired += fire_due(app.engine, clock.now())
    procedures = {f.case_id: queries.case_row(app.db, f.case_id).procedure for f in fired}
    items = [_fired_dict(f, procedures[f.case_id]) for f in fired]
    lines = [t("cli.deadline.fired_line", outcome=t(f"cli.deadline.outcome.{i['outcome']}"),
               id=i["deadline_id"], case=i["case_id"], fires=i["fires_label"], due=when(i["due_at"]),
               at=when(i["fired_at"]), error=f"：{i['error']}" if i["error"] else "")
             for i in items]
    lines.append(t("cli.deadline.run_done", count=len(items), until=when(until), now=when(clock.now())))
    emit(state.json, {"until": until, "now": clock.now(), "fired": items}, lines)
