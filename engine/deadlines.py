"""The deadline sweep. The deadlines table is the truth; a sweep claims due rows one at a time
(row lock, `SKIP LOCKED` where the database has it) and fires each through the engine's one write
path as SYSTEM, in the same transaction that marks it FIRED: exactly once, or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from engine.errors import ShequFlowError
from engine.guards import SYSTEM_ACTOR
from engine.service import Engine

log = structlog.get_logger("shequ.deadlines")


@dataclass(frozen=True)
class FiredDeadline:
    deadline_id: int
    case_id: int
    fires: str
    due_at: datetime
    fired_at: datetime
    outcome: str  # FIRED | CANCELLED | FAILED
    error: str | None = None


def fire_due(engine: Engine, until: datetime | None = None, limit: int | None = None) -> list[FiredDeadline]:
    """Fire every PENDING deadline due at or before `until` (default: the clock's now), in due order."""
    fired: list[FiredDeadline] = []
    while limit is None or len(fired) < limit:
        outcome = fire_next(engine, until or engine.clock.now())
        if outcome is None:
            return fired
        fired.append(outcome)
    return fired


def fire_next(engine: Engine, until: datetime) -> FiredDeadline | None:
    """Claim and fire one due deadline; None when nothing is due."""
    now = engine.clock.now()
    row = None
    try:
        with engine.db.transaction() as store:
            row = store.next_due_deadline(until)
            if row is None:
                return None
            case = store.get_case(row.case_id)
            if case.state != row.state:
                store.mark_deadline(row.id, status="CANCELLED", fired_at=now, error="case left the state")
                return FiredDeadline(row.id, row.case_id, row.fires, row.due_at, now, "CANCELLED")
            if not store.mark_deadline(row.id, status="FIRED", fired_at=now):
                return FiredDeadline(row.id, row.case_id, row.fires, row.due_at, now, "CANCELLED")
            engine.fire_in(store, case, row.fires, SYSTEM_ACTOR, {})
            log.info("deadline_fired", deadline_id=row.id, case_id=row.case_id, trigger=row.fires,
                     due_at=row.due_at.isoformat())
            return FiredDeadline(row.id, row.case_id, row.fires, row.due_at, now, "FIRED")
    except ShequFlowError as exc:
        if row is None:
            raise
        # The transition was refused: nothing of it was written. Record the failure on the row.
        with engine.db.transaction() as store:
            store.mark_deadline(row.id, status="FAILED", fired_at=now, error=exc.message_zh)
        log.warning("deadline_failed", deadline_id=row.id, case_id=row.case_id, code=exc.code)
        return FiredDeadline(row.id, row.case_id, row.fires, row.due_at, now, "FAILED", exc.message_zh)
