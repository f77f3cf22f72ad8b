"""`shequ scheduler run`: the long-running deadline scheduler (engine.scheduler).

Runs on the real clock: a catch-up sweep first (everything that fell due while no scheduler ran), then a
sweep every `--tick` seconds and at each deadline's due instant, until SIGTERM or SIGINT (Ctrl+C), after
which the sweep in progress finishes its current deadline (the dispatcher its current outbox row) and the
process exits 0; SIGUSR1 prints every thread's stack to stderr (faulthandler). `--now` (simulated time) is
refused: a frozen clock would never see a new deadline fall due; use `shequ deadlines run`.

After every sweep the term timers run (TM-2/TM-4/TM-5, workflows.terms), then the term-ending reminders
(`TermMachine.remind`), and the notifications dispatcher (issue 4) delivers the outbox.
"""

from __future__ import annotations

import faulthandler
import signal
from collections.abc import Callable
from typing import Any

import click
import structlog

from engine.app import App
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.deadlines import fired_label
from engine.cli.output import emit, when
from engine.clock import FrozenClock
from engine.deadlines import FiredDeadline
from engine.errors import InvalidInput
from engine.scheduler import DeadlineScheduler
from engine.text import t

log = structlog.get_logger("shequ.scheduler")


@click.group("scheduler", cls=ShequGroup, help=t("scheduler.help.group"))
def group() -> None:
    pass


def _after_sweep(app: App) -> Callable[[Callable[[], bool]], None]:
    """What runs after each deadline sweep, each part on its own (one failing does not stop the other):

    1. the term timers (TM-2 start, TM-4 expiry with HOLDOVER/EXPIRED per TERM-6, TM-5 close): terms are not
       cases, so they are not deadline rows; `TermMachine.sweep` takes what is due by the date, idempotently;
       then the term-ending reminders (`TermMachine.remind`, idempotent by outbox key);
    2. the outbox dispatcher of the notifications issue (delivers reminders and notices), if installed —
       imported here inside try/except so the scheduler runs (and writes reminder rows) without it. It stops
       between rows once the scheduler is stopping (a batch is up to 200 rows of several transactions each).
    """
    from workflows.terms import TermMachine

    terms = TermMachine(app.engine)
    dispatch: Callable[..., Any] | None = None
    try:
        from notifications.dispatch import dispatch_due

        dispatch = dispatch_due
    except ImportError:  # the notifications package is optional for the scheduler
        pass

    def after_sweep(stopping: Callable[[], bool]) -> None:
        try:
            for outcome in terms.sweep():
                log.info("term_timer", term_id=outcome.term_id, trigger=outcome.trigger)
        except Exception:
            log.exception("term_sweep_error")
        try:
            for reminder in terms.remind():
                log.info("term_reminder", term_id=reminder.term_id, rung=reminder.rung,
                         days_left=reminder.days_left)
        except Exception:
            log.exception("term_reminder_error")
        if dispatch is not None and not stopping():
            dispatch(app, stop=stopping)

    return after_sweep


@group.command("run", help=t("scheduler.help.run"))
@click.option("--tick", "tick", type=click.FloatRange(min=0.05), default=30.0, show_default=True,
              help=t("scheduler.help.opt_tick"))
@pass_state
def run_cmd(state: State, tick: float) -> None:
    if isinstance(state.clock, FrozenClock):
        raise InvalidInput("SCHEDULER_SIMULATED_CLOCK")
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 PID`: every thread's stack on stderr (a hung scheduler)
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    app = state.app()
    scheduler = DeadlineScheduler(app.engine, tick_seconds=tick, after_sweep=_after_sweep(app))

    def started(caught_up: list[FiredDeadline]) -> None:
        if state.json:
            return
        fired = sum(1 for f in caught_up if f.outcome == "FIRED")
        click.echo(t("scheduler.started", caught_up=fired, tick=tick, db=state.shown_url))
        with app.db.read() as store:
            procedures = {cid: store.get_case(cid).procedure for cid in {f.case_id for f in caught_up}}
        for f in caught_up:
            label = fired_label(procedures[f.case_id], f.kind, f.fires)
            click.echo(t("scheduler.caught_up_line", id=f.deadline_id, case=f.case_id, fires=label,
                         kind=t(f"deadlines.kind.{f.kind}"), outcome=t(f"cli.deadline.outcome.{f.outcome}"),
                         due=when(f.due_at), at=when(f.fired_at)))

    scheduler.run_forever(on_started=started)
    stats = scheduler.stats
    data: dict[str, Any] = {"sweeps": stats.sweeps, "fired": stats.fired, "failed": stats.failed,
                            "cancelled": stats.cancelled, "caught_up": stats.caught_up,
                            "started_at": stats.started_at, "ready_at": stats.ready_at}
    emit(state.json, {"scheduler": data},
         [t("scheduler.stopped", sweeps=stats.sweeps, fired=stats.fired, failed=stats.failed)])
