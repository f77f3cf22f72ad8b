"""Deadlines: writing them, the sweep that fires them, their re-derivation, and calendar imports.

The deadlines table is the truth. A step that enters a state writes that state's deadlines in its own
transaction (`start_deadline`, called by `Engine._record`); leaving the state cancels them in the same
transaction. The sweep (`fire_due`) claims one due row at a time (row lock, `SKIP LOCKED` where the
database has it; SQLite serialises writers) and, in the transaction that marks it FIRED,

- for a transition deadline fires the trigger through the engine's one write path as SYSTEM;
- for a reminder writes the outbox rows `reminder.<what>` to its recipients (the case is not touched).

Either everything of a firing commits, or nothing does: each deadline fires exactly once. The scheduler
(engine.scheduler) and `shequ deadlines run` both go through `fire_due`.

A *provisional* deadline (derived over days of a year without calendar data, CAL-1) is never fired on its
estimate: it waits, and `import_calendar` re-derives it (audited, old → new) when the data arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from engine.calendar import (
    BUNDLED_SOURCE,
    CalendarFileInvalid,
    Derivation,
    Period,
    WorkingCalendar,
    calendar_for,
    derive,
    holiday_ranges,
    parse_import,
    version_import_id,
)
from engine.errors import ConcurrentModification, InvalidInput, NotConfigured, NotPermitted, ShequFlowError
from engine.guards import SYSTEM_ACTOR, GuardContext
from engine.spec import DeadlineDue, DeadlineSpec, Roles
from engine.text import join_list, t

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.service import Engine
    from storage.repository import Store
    from storage.unit_of_work import Database

log = structlog.get_logger("shequ.deadlines")

REMINDER = "reminder"
TRANSITION = "transition"
MAX_ATTEMPTS = 3  # an unexpected error is retried by this many sweeps before the row is marked FAILED
IMPORTER_ROLES = (Roles.ADMIN, Roles.DISTRICT_CIVIL_AFFAIRS)  # who may import calendar data (the bureau)


# ---------------------------------------------------------------- writing (in the transition's transaction)


def _recipient(ref: Any, ctx: GuardContext) -> str:
    if isinstance(ref, str):
        return ref
    if isinstance(ref, Roles):
        return ref.value
    return str(ctx.policy.get(ref.key))


def start_deadline(store: Store, spec: DeadlineSpec, ctx: GuardContext, case_id: int, state: str,
                   now: datetime) -> list[int]:
    """Write the rows of one DeadlineSpec for a case that has just entered `state`.

    A reminder whose ladder or recipients the pack leaves UNSPECIFIED is simply not written (a reminder is
    a courtesy, not a rule: it must not block the step), nor is a rung whose instant is already past.
    """
    try:
        result = spec.due(ctx)
        recipients = [_recipient(r, ctx) for r in spec.to] if spec.kind == REMINDER else []
    except NotConfigured as exc:
        if spec.kind != REMINDER:
            raise
        log.info("reminder_not_configured", case_id=case_id, key=spec.key, setting=exc.details.get("key"))
        return []
    dues: Sequence[DeadlineDue] = [] if result is None else [result] if isinstance(result, DeadlineDue) \
        else list(result)
    ids: list[int] = []
    for due in dues:
        if spec.kind == REMINDER and due.at <= now:
            continue
        basis: dict[str, Any] = {**dict(due.basis), "rule": spec.rule.id, "citation": spec.rule.citation}
        if spec.kind == REMINDER:
            basis["recipients"] = recipients
        ids.append(store.insert_deadline({
            "case_id": case_id,
            "key": spec.key,
            "kind": spec.kind,
            "fires": spec.fires,
            "state": state,
            "due_at": due.at,
            "status": "PENDING",
            "rule_id": spec.rule.id,
            "basis": basis,
            "provisional": due.provisional,
            "created_at": now,
            "attempts": 0,
            "start_date": due.start,
            "period": due.period,
            "calendar_version": due.calendar_version,
        }))
    return ids


# ---------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class FiredDeadline:
    deadline_id: int
    case_id: int
    fires: str
    due_at: datetime
    fired_at: datetime
    outcome: str  # FIRED | CANCELLED | FAILED
    error: str | None = None
    kind: str = TRANSITION


class SweepResult(list[FiredDeadline]):
    """What a sweep did, in due order: the list itself holds the transition deadlines (state changes);
    `reminders` the reminders it sent; `processed` both, in the order they were handled."""

    def __init__(self) -> None:
        super().__init__()
        self.reminders: list[FiredDeadline] = []
        self.processed: list[FiredDeadline] = []

    def add(self, outcome: FiredDeadline) -> None:
        self.processed.append(outcome)
        (self.reminders if outcome.kind == REMINDER else self).append(outcome)


def fire_due(engine: Engine, until: datetime | None = None, limit: int | None = None,
             stop: Callable[[], bool] | None = None) -> SweepResult:
    """Fire every PENDING deadline (transitions and reminders) due at or before `until` (default: the
    clock's now), in due order, one transaction each. `stop` is asked between deadlines (a scheduler
    shutting down finishes the current one and leaves the rest for the next start)."""
    result = SweepResult()
    while limit is None or len(result.processed) < limit:
        if stop is not None and stop():
            break
        outcome = fire_next(engine, until or engine.clock.now())
        if outcome is None:
            break
        result.add(outcome)
    return result


def fire_next(engine: Engine, until: datetime) -> FiredDeadline | None:
    """Claim and fire one due deadline; None when nothing is due.

    A refused transition (a guard, a missing record) marks the row FAILED with the reason. An unexpected
    error writes nothing of the firing and propagates; the row records the attempt and stays PENDING for the
    next sweep, until its MAX_ATTEMPTS-th failure marks it FAILED (so that one bad row cannot block the rows
    behind it for ever, while a passing glitch gets another chance). A busy database (ConcurrentModification)
    writes nothing and is re-raised: the row stays PENDING for the next sweep.
    """
    now = engine.clock.now()
    claimed: dict[str, Any] | None = None
    try:
        with engine.db.transaction() as store:
            claimed = row = store.next_firable_deadline(until)
            if row is None:
                return None
            case = store.get_case(row["case_id"])
            if case.state != row["state"]:  # belt and braces: leaving the state already cancelled it
                store.mark_deadline(row["id"], status="CANCELLED", fired_at=now,
                                    error=t("deadlines.cancelled_state_left", state=case.state))
                return _outcome(row, now, "CANCELLED")
            store.mark_deadline(row["id"], status="FIRED", fired_at=now)
            if row["kind"] == REMINDER:
                _remind(store, row, now)
            else:
                engine.fire_in(store, case, row["fires"], SYSTEM_ACTOR, {})
            log.info("deadline_fired", deadline_id=row["id"], case_id=row["case_id"], kind=row["kind"],
                     fires=row["fires"], due_at=row["due_at"].isoformat(), fired_at=now.isoformat())
            return _outcome(row, now, "FIRED")
    except ConcurrentModification:
        raise
    except ShequFlowError as exc:
        if claimed is None:
            raise
        with engine.db.transaction() as store:
            store.mark_deadline(claimed["id"], status="FAILED", fired_at=now, error=exc.message_zh)
        log.warning("deadline_failed", deadline_id=claimed["id"], case_id=claimed["case_id"], code=exc.code)
        return _outcome(claimed, now, "FAILED", exc.message_zh)
    except Exception as exc:
        if claimed is None:
            raise
        log.exception("deadline_error", deadline_id=claimed["id"], case_id=claimed["case_id"])
        try:
            with engine.db.transaction() as store:
                store.record_deadline_attempt(claimed["id"], f"{type(exc).__name__}: {exc}", now,
                                              max_attempts=MAX_ATTEMPTS)
        except Exception:
            log.exception("deadline_attempt_not_recorded", deadline_id=claimed["id"])
        raise


def _outcome(row: Mapping[str, Any], now: datetime, outcome: str, error: str | None = None) -> FiredDeadline:
    return FiredDeadline(row["id"], row["case_id"], row["fires"], row["due_at"], now, outcome, error,
                         row["kind"])


def _remind(store: Store, row: Mapping[str, Any], now: datetime) -> None:
    """The outbox rows of a reminder: kind `reminder.<what>`, one per recipient, keyed by the deadline."""
    basis = dict(row["basis"])
    recipients = [str(r) for r in basis.get("recipients") or []]
    kind = f"reminder.{row['fires']}"
    reminder = {**dict(basis.get("reminder") or {}), "due_at": row["due_at"].isoformat(),
                "deadline_id": row["id"], "key": row["key"], "rule": row["rule_id"]}
    key = f"dl{row['id']}"
    writer: Callable[..., Any] | None = None
    try:  # issue 4's outbox writer builds the rendering snapshot; without it, a plain row is written
        from notifications.outbox import enqueue_reminder

        writer = enqueue_reminder
    except ImportError:
        pass
    if writer is not None:
        writer(store, case_id=row["case_id"], kind=kind, recipients=recipients, key=key, now=now,
               reminder=reminder)
        return
    for name in recipients:
        store.insert_outbox({
            "case_id": row["case_id"], "audit_seq": None, "kind": kind, "recipient": name,
            "idempotency_key": f"{row['case_id']}:{key}:{kind}:{name}",
            "payload": {"schema_version": 1, "reminder": reminder, "notice_to": recipients},
            "status": "PENDING", "attempts": 0, "next_attempt_at": now, "created_at": now,
        })


# ---------------------------------------------------------------- explaining a deadline


@dataclass(frozen=True)
class Explanation:
    row: dict[str, Any]
    procedure: str
    case_state: str
    period: Period | None
    recorded_version: str | None
    recorded: Derivation | None  # re-derived with the calendar version recorded on the row
    recorded_note: str | None  # why the recorded version could not be reproduced exactly, if so
    current_version: str
    current: Derivation | None  # re-derived with the calendar as it is now

    @property
    def reproduced(self) -> bool:
        return self.recorded is not None and self.recorded.due_at == self.row["due_at"]

    @property
    def current_matches(self) -> bool:
        return self.current is not None and self.current.due_at == self.row["due_at"]


def explain(db: Database, deadline_id: int) -> Explanation:
    """Re-derive a deadline from what its row recorded: with the calendar version it names, and with the
    calendar as it is now (they differ when data were imported since)."""
    with db.read() as store:
        row = store.deadline_row(deadline_id)
        case = store.get_case(row["case_id"])
        period = Period.from_basis(row["basis"] or {})
        current_cal = calendar_for(store)
        recorded: Derivation | None = None
        note: str | None = None
        version = row.get("calendar_version")
        if period is not None:
            import_id = version_import_id(version)
            if import_id is None:
                note = "no_version"
                recorded_cal = current_cal
            else:
                recorded_cal = calendar_for(store, upto=import_id)
                if not str(version).startswith(f"{BUNDLED_SOURCE}+"):
                    note = "package_changed"
            recorded = derive(period, recorded_cal)
        current = derive(period, current_cal) if period is not None else None
        return Explanation(row, case.procedure, case.state, period, version, recorded, note,
                           current_cal.version, current)


# ---------------------------------------------------------------- calendar import (docs/CALENDAR.md)


@dataclass(frozen=True)
class Recomputed:
    deadline_id: int
    case_id: int
    fires: str
    old_due_at: datetime
    new_due_at: datetime
    old_provisional: bool
    new_provisional: bool
    audit_seq: int


@dataclass
class ImportResult:
    import_id: int
    version: str
    source: str
    years: tuple[int, ...]
    holidays: list[dict[str, Any]]
    unchanged: bool = False
    recomputed: list[Recomputed] = field(default_factory=list)


def _importer(store: Store, login: str | None) -> tuple[str, str, str]:
    if login is None or login == SYSTEM_ACTOR.login:
        return SYSTEM_ACTOR.login, SYSTEM_ACTOR.name, SYSTEM_ACTOR.role
    user = store.user_by_login(login)
    for role in IMPORTER_ROLES:
        if role.value in user.roles:
            return user.login, user.name, role.value
    roles = join_list(t(f"roles.{r.value}") for r in IMPORTER_ROLES)
    raise NotPermitted("ROLE_NOT_PERMITTED", details={"trigger": t("calendar.import_action"), "roles": roles})


def import_calendar(db: Database, clock: Clock, raw: bytes, *, file_name: str | None = None,
                    login: str | None = None) -> ImportResult:
    """Store a calendar file as a new calendar version and, in the same transaction, re-derive every pending
    deadline that depends on working days (provisional ones become final when their years are now covered),
    each change audited with the old and new instants."""
    try:
        parsed = parse_import(raw)
    except CalendarFileInvalid as exc:
        raise InvalidInput("CAL_IMPORT_INVALID", details={
            "file": file_name or "—", "problem": t(f"calendar.problem.{exc.problem}", **exc.params)}) from exc
    now = clock.now()
    with db.transaction() as store:
        who, name, role = _importer(store, login)
        heads = store.calendar_import_heads()
        same = store.calendar_import_by_sha(parsed.sha256)
        if same is not None and heads and heads[-1][0] == same["id"]:
            calendar = calendar_for(store)
            return ImportResult(int(same["id"]), calendar.version, parsed.source, parsed.years,
                                parsed.holidays, unchanged=True)
        import_id = store.insert_calendar_import(
            {"source": parsed.source, "title": parsed.title, "file_name": file_name, "sha256": parsed.sha256,
             "years": list(parsed.years), "imported_at": now, "imported_by": who},
            [{"day": d.day, "kind": d.kind.value, "name": d.name} for d in parsed.days])
        calendar = calendar_for(store)
        store.append_audit(
            case_id=None, procedure=None, action="calendar.import", from_state=None, to_state=None,
            actor_login=who, actor_name=name, role=role, at=now,
            body={"import_id": import_id, "version": calendar.version, "source": parsed.source,
                  "file": file_name, "sha256": parsed.sha256, "years": list(parsed.years),
                  "holidays": parsed.holidays, "rule_ids": ["CAL-1"], "citations": ["A-02"]})
        result = ImportResult(import_id, calendar.version, parsed.source, parsed.years, parsed.holidays)
        result.recomputed = recompute(store, calendar, now, (who, name, role), import_id)
        log.info("calendar_imported", import_id=import_id, years=list(parsed.years),
                 recomputed=len(result.recomputed))
        return result


def recompute(store: Store, calendar: WorkingCalendar, now: datetime, actor: tuple[str, str, str],
              import_id: int) -> list[Recomputed]:
    """Re-derive the pending deadlines that depend on the calendar; write and audit each that changed."""
    changed: list[Recomputed] = []
    for row in store.recomputable_deadlines():
        period = Period.from_basis(row["basis"] or {})
        if period is None:
            continue
        result = derive(period, calendar)
        if result.due_at == row["due_at"] and result.provisional == bool(row["provisional"]):
            continue
        basis = {k: v for k, v in dict(row["basis"]).items() if k not in ("missing_years", "extended")}
        basis["due_day"] = result.day.isoformat()
        if result.extended:
            basis["extended"] = True
        if result.provisional:
            basis["missing_years"] = list(result.missing_years)
        store.update_deadline_due(row["id"], due_at=result.due_at, provisional=result.provisional,
                                  basis=basis, calendar_version=calendar.version)
        case = store.get_case(row["case_id"])
        seq = store.append_audit(
            case_id=case.id, procedure=case.procedure, action="deadline.recompute", from_state=None,
            to_state=None, actor_login=actor[0], actor_name=actor[1], role=actor[2], at=now,
            body={"deadline_id": row["id"], "key": row["key"], "kind": row["kind"], "fires": row["fires"],
                  "period": row["period"], "start": period.start.isoformat(),
                  "old_due_at": row["due_at"].isoformat(), "new_due_at": result.due_at.isoformat(),
                  "old_provisional": bool(row["provisional"]), "new_provisional": result.provisional,
                  "old_calendar_version": row["calendar_version"], "new_calendar_version": calendar.version,
                  "calendar_import": import_id, "rule_ids": [row["rule_id"], "CAL-1"], "citations": ["A-02"]})
        changed.append(Recomputed(row["id"], case.id, row["fires"], row["due_at"], result.due_at,
                                  bool(row["provisional"]), result.provisional, seq))
    return changed


def year_summary(calendar: WorkingCalendar, year: int) -> dict[str, Any]:
    """`shequ calendar show YEAR`: every day classified, the holiday ranges and the totals."""
    days = calendar.year_days(year)
    working = sum(1 for d in days if d.working)
    return {
        "year": year,
        "source": calendar.source(year),
        "version": calendar.version,
        "working_days": working,
        "rest_days": len(days) - working,
        "holidays": holiday_ranges(days),
        "makeup_days": [d.day.isoformat() for d in days if d.kind == "MAKEUP"],
        "days": [{"day": d.day.isoformat(), "kind": d.kind.value, "working": d.working, "name": d.name}
                 for d in days],
    }
