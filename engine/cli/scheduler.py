"""`shequ scheduler run`: the long-running deadline scheduler (engine.scheduler).

Runs on the real clock: a catch-up sweep first (everything that fell due while no scheduler ran), then a
sweep every `--tick` seconds and at each deadline's due instant, until SIGTERM or SIGINT (Ctrl+C), after
which the sweep in progress finishes its current deadline and the process exits 0. `--now` (simulated
time) is refused: a frozen clock would never see a new deadline fall due; use `shequ deadlines run`.

After every sweep the notifications dispatcher (issue 4) delivers the outbox, when it is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from engine.app import App
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, when
from engine.clock import FrozenClock
from engine.deadlines import FiredDeadline
from engine.errors import InvalidInput
from engine.scheduler import DeadlineScheduler
from engine.text import t


@click.group("scheduler", cls=ShequGroup, help=t("scheduler.help.group"))
def group() -> None:
    pass


def _dispatcher(app: App) -> Callable[[], None] | None:
    """The outbox dispatcher of the notifications issue, if that code is installed. Imported here, not at
    module level, so that the scheduler runs (and writes reminder rows) whether or not it exists yet."""
    try:
        from notifications.dispatch import dispatch_due  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None

    def after_sweep() -> None:
        dispatch_due(app)

    return after_sweep


@group.command("run", help=t("scheduler.help.run"))
@click.option("--tick", "tick", type=click.FloatRange(min=0.05), default=30.0, show_default=True,
              help=t("scheduler.help.opt_tick"))
@pass_state
def run_cmd(state: State, tick: float) -> None:
    if isinstance(state.clock, FrozenClock):
        raise InvalidInput("SCHEDULER_SIMULATED_CLOCK")
    app = state.app()
    scheduler = DeadlineScheduler(app.engine, tick_seconds=tick, after_sweep=_dispatcher(app))

    def started(caught_up: list[FiredDeadline]) -> None:
        if not state.json:
            fired = sum(1 for f in caught_up if f.outcome == "FIRED")
            click.echo(t("scheduler.started", caught_up=fired, tick=tick, db=state.shown_url))
            for f in caught_up:
                click.echo(t("scheduler.caught_up_line", id=f.deadline_id, case=f.case_id, fires=f.fires,
                             outcome=t(f"cli.deadline.outcome.{f.outcome}"), due=when(f.due_at),
                             at=when(f.fired_at)))

    scheduler.run_forever(on_started=started)
    stats = scheduler.stats
    data: dict[str, Any] = {"sweeps": stats.sweeps, "fired": stats.fired, "failed": stats.failed,
                            "cancelled": stats.cancelled, "caught_up": stats.caught_up,
                            "started_at": stats.started_at, "ready_at": stats.ready_at}
    emit(state.json, {"scheduler": data},
         [t("scheduler.stopped", sweeps=stats.sweeps, fired=stats.fired, failed=stats.failed)])
