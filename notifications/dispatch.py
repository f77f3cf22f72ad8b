"""The dispatcher: delivers due outbox rows with retries, exponential backoff and dead-lettering.

`dispatch_due(app)` is what the scheduler calls after each deadline sweep and what `shequ notify dispatch`
runs by hand. For each due row, one at a time:

1. **claim** (own short transaction): the row is locked (`SKIP LOCKED` where the database has it), its
   attempt count grows by one and it is leased (`next_attempt_at = now + lease`), so a second dispatcher
   leaves it alone and a dispatcher that dies mid-send leaves it to be retried once the lease ends;
2. **render** from the row's snapshot (a rendering failure is permanent: the row is dead-lettered at once);
3. **resolve** its targets at the first attempt (people × channels, notifications.recipients) and keep them;
4. **send** to every target not yet delivered; each success is marked at once in its own transaction. A
   crash between a send and its mark re-sends that target later with the same idempotency key
   (at-least-once; the receiver drops the duplicate);
5. **finish**: all targets delivered → DELIVERED; a permanent failure, or `max_attempts` attempts → DEAD
   (dead-lettered, `shequ notify retry` puts it back); otherwise PENDING again after
   `base · 2^(attempts−1)` seconds (capped). Every time comes from the injected clock; nothing sleeps.

One row's failure never blocks the others: each row is claimed, sent and finished on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from engine.errors import ConcurrentModification
from notifications import recipients
from notifications.channels import Channel, DeliveryError, Message, build
from notifications.config import NotifyConfig, load
from notifications.masking import mask_text
from notifications.outbox import live_snapshot
from notifications.render import Rendered, RenderError, render

if TYPE_CHECKING:
    from engine.app import App

log = structlog.get_logger("shequ.notify")

PENDING, DELIVERED, DEAD, FAILED = "PENDING", "DELIVERED", "DEAD", "FAILED"
MAX_ERROR = 2000


@dataclass(frozen=True)
class Outcome:
    outbox_id: int
    case_id: int | None
    kind: str
    recipient: str
    idempotency_key: str
    status: str  # DELIVERED | RETRY | DEAD
    attempts: int
    sent: int = 0  # targets delivered by this attempt
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass
class DispatchReport:
    started_at: datetime
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def delivered(self) -> int:
        return self.count("DELIVERED")

    @property
    def retried(self) -> int:
        return self.count("RETRY")

    @property
    def dead(self) -> int:
        return self.count("DEAD")

    def to_dict(self) -> dict[str, Any]:
        return {"started_at": self.started_at, "delivered": self.delivered, "retried": self.retried,
                "dead": self.dead, "outcomes": [asdict(o) for o in self.outcomes]}


def config_for(app: App) -> NotifyConfig:
    """The channel configuration of this deployment (file, environment; defaults next to the database)."""
    return load(db_url=app.db.engine.url.render_as_string(hide_password=True))


def dispatch_due(
    app: App,
    *,
    config: NotifyConfig | None = None,
    channels: dict[str, Channel] | None = None,
    limit: int | None = None,
    stop: Callable[[], bool] | None = None,
) -> DispatchReport:
    """Deliver every outbox row due now (at most `limit`, default the configured batch size). `stop` is asked
    between rows: a scheduler shutting down finishes the row in hand and leaves the rest PENDING."""
    config = config or config_for(app)
    channels = build(config) if channels is None else channels
    report = DispatchReport(app.clock.now())
    limit = limit or config.batch_size
    while len(report.outcomes) < limit:
        if stop is not None and stop():
            break
        try:
            row = _claim(app, config)
        except ConcurrentModification:
            log.warning("notify_claim_busy")
            break
        if row is None:
            break
        report.outcomes.append(_process(app, config, channels, row))
    if report.outcomes:
        log.info("notify_dispatched", delivered=report.delivered, retried=report.retried, dead=report.dead)
    return report


def _claim(app: App, config: NotifyConfig) -> dict[str, Any] | None:
    now = app.clock.now()
    with app.db.transaction() as store:
        return store.claim_next_outbox(now, now + timedelta(seconds=config.lease_seconds))


def _context_vars(row: dict[str, Any]) -> dict[str, Any]:
    payload = row.get("payload") or {}
    event = (payload.get("context") or {}).get("event") or {}
    return {"case_id": row.get("case_id"), "procedure": payload.get("procedure"),
            "trigger": payload.get("trigger"), "actor": (event.get("actor") or {}).get("login"),
            "notification_id": row["id"], "kind": row["kind"], "recipient": row["recipient"]}


def _process(app: App, config: NotifyConfig, channels: dict[str, Channel], row: dict[str, Any]) -> Outcome:
    with structlog.contextvars.bound_contextvars(**_context_vars(row)):
        try:
            deliveries, payload = _prepare(app, config, row)
            rendered = render(row["kind"], payload, contact=config.objection_contact)
        except RenderError as exc:
            return _finish(app, config, row, sent=0, errors=[exc.message_zh], permanent=True)
        if not deliveries:
            return _finish(app, config, row, sent=0, errors=["NO_RECIPIENT: no user or channel reaches "
                                                            f"{row['recipient']}"], permanent=True)
        errors: list[str] = []
        permanent = False
        sent = 0
        for delivery in deliveries:
            if delivery["status"] == DELIVERED:
                continue
            if delivery["status"] == FAILED:
                permanent = True
                errors.append(f"{delivery['channel']}→{delivery['recipient_key']}: {delivery['last_error']}")
                continue
            error = _send_one(app, channels, row, payload, rendered, delivery)
            if error is None:
                sent += 1
                continue
            errors.append(f"{delivery['channel']}→{delivery['recipient_key']}: {error}")
            permanent = permanent or error.startswith("[permanent]")
        return _finish(app, config, row, sent=sent, errors=errors, permanent=permanent)


def _prepare(app: App, config: NotifyConfig,
             row: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The row's targets (resolved and stored at the first attempt) and its payload with a snapshot (rows
    written without one get a snapshot of the case now, stored so every retry renders the same)."""
    payload = dict(row.get("payload") or {})
    with app.db.transaction() as store:
        if not payload.get("context") and row.get("case_id") is not None:
            payload["context"] = live_snapshot(store, int(row["case_id"]), procedures=app.engine.procedures,
                                               seq=row.get("audit_seq"))
            store.update_outbox(row["id"], payload=payload)
        deliveries = store.deliveries(row["id"])
        if not deliveries:
            for target in recipients.resolve(store, row, config):
                store.insert_delivery({"outbox_id": row["id"], "recipient_key": target.key,
                                       "recipient_name": target.name, "channel": target.channel,
                                       "address": target.address, "status": PENDING, "attempts": 0})
            deliveries = store.deliveries(row["id"])
    return deliveries, payload


def _message(row: dict[str, Any], payload: dict[str, Any], rendered: Rendered, delivery: dict[str, Any],
             now: datetime) -> Message:
    event = (payload.get("context") or {}).get("event") or {}
    return Message(
        idempotency_key=f"{row['idempotency_key']}:{delivery['recipient_key']}",
        kind=row["kind"],
        case_id=row.get("case_id"),
        procedure=payload.get("procedure"),
        trigger=payload.get("trigger"),
        recipient_key=delivery["recipient_key"],
        recipient_name=delivery["recipient_name"],
        recipient_role=row["recipient"],
        address=delivery.get("address"),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        printable=rendered.printable,
        event_at=event.get("at"),
        sent_at=now,
    )


def _send_one(app: App, channels: dict[str, Channel], row: dict[str, Any], payload: dict[str, Any],
              rendered: Rendered, delivery: dict[str, Any]) -> str | None:
    """Send to one target; None when delivered, else the error (prefixed `[permanent]` when it is)."""
    now = app.clock.now()
    channel = channels.get(delivery["channel"])
    try:
        if channel is None:
            raise DeliveryError(f"channel {delivery['channel']} is not configured")
        channel.send(_message(row, payload, rendered, delivery, now))
    except DeliveryError as exc:
        error = mask_text(str(exc))[:MAX_ERROR]
        with app.db.transaction() as store:
            store.update_delivery(delivery["id"], attempts=delivery["attempts"] + 1, last_error=error,
                                  status=FAILED if exc.permanent else PENDING)
        log.warning("notification_send_failed", channel=delivery["channel"], to=delivery["recipient_key"],
                    error=error, permanent=exc.permanent)
        return f"[permanent] {error}" if exc.permanent else error
    except Exception as exc:  # a defect in a channel must not stop the other rows
        error = mask_text(f"{type(exc).__name__}: {exc}")[:MAX_ERROR]
        with app.db.transaction() as store:
            store.update_delivery(delivery["id"], attempts=delivery["attempts"] + 1, last_error=error)
        log.error("notification_send_crashed", channel=delivery["channel"], to=delivery["recipient_key"],
                  error=error)
        return error
    mark_delivered(app, delivery["id"], delivery["attempts"] + 1, now)
    log.info("notification_sent", channel=delivery["channel"], to=delivery["recipient_key"])
    return None


def mark_delivered(app: App, delivery_id: int, attempts: int, now: datetime) -> None:
    """Record one target as delivered (its own transaction, right after the send)."""
    with app.db.transaction() as store:
        store.update_delivery(delivery_id, status=DELIVERED, attempts=attempts, delivered_at=now,
                              last_error=None)


def _finish(app: App, config: NotifyConfig, row: dict[str, Any], *, sent: int, errors: list[str],
            permanent: bool) -> Outcome:
    now = app.clock.now()
    attempts = int(row["attempts"])
    base = {"outbox_id": row["id"], "case_id": row.get("case_id"), "kind": row["kind"],
            "recipient": row["recipient"], "idempotency_key": row["idempotency_key"], "attempts": attempts,
            "sent": sent}
    error = mask_text("; ".join(errors))[:MAX_ERROR] if errors else None
    with app.db.transaction() as store:
        if not errors:
            store.update_outbox(row["id"], status=DELIVERED, delivered_at=now, last_error=None)
            log.info("notification_delivered", attempts=attempts)
            return Outcome(**base, status="DELIVERED")
        if permanent or attempts >= config.max_attempts:
            store.update_outbox(row["id"], status=DEAD, last_error=error)
            log.error("notification_dead_lettered", attempts=attempts, error=error, permanent=permanent)
            return Outcome(**base, status="DEAD", error=error)
        retry_at = now + timedelta(seconds=config.backoff_seconds(attempts))
        store.update_outbox(row["id"], next_attempt_at=retry_at, last_error=error)
        log.warning("notification_retry_scheduled", attempts=attempts, error=error,
                    next_attempt_at=retry_at.isoformat())
        return Outcome(**base, status="RETRY", error=error, next_attempt_at=retry_at)


def retry(app: App, outbox_ids: list[int] | None = None, *, all_dead: bool = False) -> list[int]:
    """Put dead-lettered (or pending) rows back in the queue now: attempts start again, the targets that
    were not delivered are resolved again (contacts or configuration may have been fixed). Returns the ids
    requeued."""
    now = app.clock.now()
    done: list[int] = []
    with app.db.transaction() as store:
        given = list(outbox_ids or [])
        rows = [store.outbox_row(i) for i in given]
        if all_dead:
            rows += [r for r in store.outbox_rows(status=DEAD, limit=100_000) if r["id"] not in set(given)]
        for row in rows:
            if row["status"] == DELIVERED:
                continue
            store.delete_undelivered(row["id"])
            store.update_outbox(row["id"], status=PENDING, attempts=0, next_attempt_at=now, last_error=None)
            done.append(int(row["id"]))
    if done:
        log.info("notifications_requeued", ids=done)
    return done
