"""APScheduler 3.x as an alarm clock, nothing more: the deadlines table is the truth.

Two in-memory jobs wake the sweep (`engine.deadlines.fire_due`): a periodic tick, and a date job at the
earliest firable deadline (re-armed after every sweep, so a deadline fires on time even with a long tick).
There is no persistent job store (nothing is pickled): on start a catch-up sweep fires everything that fell
due while no scheduler was running; each fired row keeps its due and fired instants. APScheduler's default
would drop a run missed by more than one second, so every job has `misfire_grace_time=None` and
`coalesce=True`; every datetime handed to it is aware.

Several schedulers may run on one database: the sweep claims each row in its own transaction, so each
deadline fires exactly once whoever claims it. A scheduler killed mid-sweep loses nothing: the transaction
of the deadline it was firing rolls back and the row is still PENDING for the next sweep.

Time: the engine's clock decides what is due (`Engine.clock`, the real clock in production); APScheduler
only decides when to wake up.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.deadlines import FiredDeadline, fire_due
from engine.errors import ConcurrentModification
from engine.service import Engine

log = structlog.get_logger("shequ.scheduler")

TICK_JOB = "sweep:tick"
NEXT_JOB = "sweep:next-deadline"
EARLY = timedelta(milliseconds=20)  # wake this much after the due instant (never before it)


@dataclass
class SweepStats:
    sweeps: int = 0
    fired: int = 0
    failed: int = 0
    cancelled: int = 0
    caught_up: int = 0
    started_at: datetime | None = None
    ready_at: datetime | None = None
    last: list[FiredDeadline] = field(default_factory=list)


class DeadlineScheduler:
    """Runs the sweep on a tick and at the next due instant; `run_forever` stops on SIGTERM/SIGINT.

    `after_sweep` runs after every sweep (the notifications dispatcher plugs in here) with the scheduler's
    stop predicate, which a long hook asks between its steps so that SIGTERM is not kept waiting for a whole
    batch; an exception in it is logged and does not stop the scheduler.
    """

    def __init__(self, engine: Engine, *, tick_seconds: float = 30.0,
                 after_sweep: Callable[[Callable[[], bool]], None] | None = None) -> None:
        if tick_seconds <= 0:
            raise ValueError("tick_seconds must be positive")
        self.engine = engine
        self.tick_seconds = tick_seconds
        self.after_sweep = after_sweep
        self.stats = SweepStats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.ready = threading.Event()
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    # ------------------------------------------------------------ the sweep
    def sweep(self) -> list[FiredDeadline]:
        """Fire everything due now, run the hook, re-arm the date job. Serialised within this process."""
        with self._lock:
            fired: list[FiredDeadline] = []
            try:
                fired = fire_due(self.engine, stop=self._stop.is_set).processed
            except ConcurrentModification as exc:  # busy database: nothing written, retried on the next wake
                log.warning("sweep_busy", error=exc.details.get("error"))
            except Exception:  # logged by the sweep; the row keeps its attempt count, retried next wake
                log.exception("sweep_error")
            self._count(fired)
            if self.after_sweep is not None and not self._stop.is_set():
                try:
                    self.after_sweep(self._stop.is_set)
                except Exception:
                    log.exception("after_sweep_error")
            self._arm_next()
            return fired

    def _count(self, fired: list[FiredDeadline]) -> None:
        self.stats.sweeps += 1
        self.stats.fired += sum(1 for f in fired if f.outcome == "FIRED")
        self.stats.failed += sum(1 for f in fired if f.outcome == "FAILED")
        self.stats.cancelled += sum(1 for f in fired if f.outcome == "CANCELLED")
        self.stats.last = fired
        if fired:
            log.info("sweep_done", fired=len(fired),
                     late_seconds=max((f.fired_at - f.due_at).total_seconds() for f in fired))

    def _arm_next(self) -> None:
        """A date job at the earliest firable deadline (the tick covers anything written later elsewhere)."""
        if not self.scheduler.running or self._stop.is_set():
            return
        try:
            with self.engine.db.read() as store:
                due = store.next_firable_due_at()
                held = store.count_held_provisional(self.engine.clock.now())
        except Exception:
            log.exception("arm_error")
            return
        if held:
            log.warning("provisional_deadlines_held", count=held)  # waiting for `shequ calendar import`
        if due is None:
            self._remove_next()
            return
        now = self.engine.clock.now()
        # Something still due right after a sweep could not be fired (busy database): retry after a tick.
        run_at = due + EARLY if due > now else now + timedelta(seconds=self.tick_seconds)
        self.scheduler.add_job(self.sweep, DateTrigger(run_date=run_at), id=NEXT_JOB, replace_existing=True)

    def _remove_next(self) -> None:
        if self.scheduler.get_job(NEXT_JOB) is not None:
            self.scheduler.remove_job(NEXT_JOB)

    # ------------------------------------------------------------ life cycle
    def start(self, *, paused: bool = False) -> list[FiredDeadline]:
        """Catch up on everything that fell due while down, then start the wake-up jobs (`paused`: arm them
        without running them, for inspection)."""
        self.stats.started_at = self.engine.clock.now()
        caught_up = self.sweep()
        self.stats.caught_up = sum(1 for f in caught_up if f.outcome == "FIRED")
        if self._stop.is_set():
            return caught_up
        tick = IntervalTrigger(seconds=self.tick_seconds, timezone=UTC)
        self.scheduler.add_job(self.sweep, tick, id=TICK_JOB, replace_existing=True)
        self.scheduler.start(paused=paused)
        self._arm_next()
        self.stats.ready_at = self.engine.clock.now()
        self.ready.set()
        log.info("scheduler_started", caught_up=self.stats.caught_up, tick_seconds=self.tick_seconds)
        return caught_up

    def stop(self) -> None:
        """Stop waking up; a sweep in progress finishes its current deadline first."""
        self._stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        log.info("scheduler_stopped", sweeps=self.stats.sweeps, fired=self.stats.fired)

    def request_stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_forever(self, on_started: Callable[[list[FiredDeadline]], None] | None = None) -> None:
        """Block until SIGTERM or SIGINT (from the main thread), then finish the running sweep and stop."""
        previous = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            caught_up = self.start()
            if on_started is not None:
                on_started(caught_up)
            while not self._stop.wait(timeout=0.5):
                pass
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
