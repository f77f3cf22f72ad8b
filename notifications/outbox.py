"""The transactional outbox: what a notification row carries, written in the transition's own transaction.

`Engine._record` writes one row per (notice, recipient) of a step, in the same transaction as the state
change and the audit entry: a rolled-back transition leaves no notification, a committed one always has
its rows. Each row carries:

- `idempotency_key` = `case:audit_seq:kind:recipient` — the (case, event, recipient) of the notification;
  the dispatcher sends `key:login` to each person reached, so a receiver can drop a duplicate;
- `payload.context` — the snapshot built here: the case (data after the step, identifiers masked), the
  event (trigger, audit seq, instant, actor, cited rules and articles), the worker, the org units by name,
  the pack and the steps open next. Rendering happens at dispatch, from this snapshot only;
- `payload.notice_to` — every recipient of the same notice (documents list who they are sent to).

Reminders (the deadline sweep) are written with `enqueue_reminder` in the sweep's transaction. Term-ending
reminders belong to a term, not a case (workflows.terms): `enqueue_term_reminder` writes them without a case,
with a snapshot of the term and `payload.scope` (the district) for recipient resolution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from engine.audit import normalise, normalise_with_text
from engine.clock import local_date
from engine.spec import Procedure, Roles
from notifications.masking import redact, redact_document
from storage.records import CaseRecord
from storage.repository import Store

SCHEMA = 1


def _recipient_name(ref: Any, policy: Any) -> str:
    if isinstance(ref, str):
        return ref
    if isinstance(ref, Roles):
        return ref.value
    return str(policy.get(ref.key))


def _next_steps(proc: Procedure | None, state: str, policy: Any) -> list[dict[str, Any]]:
    if proc is None:
        return []
    out = []
    for step in proc.steps_from(state):
        if step.automatic:
            continue
        roles = [_recipient_name(r, policy) for r in step.roles] if policy is not None else []
        if roles == [Roles.SYSTEM.value]:
            continue
        out.append({"trigger": step.trigger, "roles": roles})
    return out


def snapshot(
    store: Store,
    *,
    proc: Procedure | None,
    policy: Any,
    case: CaseRecord,
    data: Mapping[str, Any],
    from_state: str | None,
    to_state: str,
    trigger: str,
    audit_seq: int | None,
    at: datetime,
    actor: Mapping[str, Any],
    body: Mapping[str, Any],
) -> dict[str, Any]:
    """The rendering context of one event, JSON-native, with ID numbers and phone numbers masked."""
    worker = None
    if case.worker_id is not None:
        w = store.worker(case.worker_id)
        worker = {"id": w.id, "name": w.name, "gender": w.gender, "id_number": w.id_number,
                  "category": w.category, "position": w.position}
    org = store.org_names(community_id=case.community_id, street_id=case.street_id,
                          district_id=case.district_id)
    pack = f"{policy.code}@{policy.version}" if policy is not None else f"{case.pack}@{case.pack_version}"
    context = {
        "schema": SCHEMA,
        "pack": pack,
        "case": {
            "id": case.id,
            "procedure": case.procedure,
            "state": to_state,
            "from_state": from_state,
            "opened_at": case.opened_at,
            "data": dict(data),
        },
        "event": {
            "trigger": trigger,
            "audit_seq": audit_seq,
            "at": at,
            "date": local_date(at),
            "actor": dict(actor),
            "payload": dict(body.get("payload") or {}),
            "rule_ids": list(body.get("rule_ids") or []),
            "citations": list(body.get("citations") or []),
        },
        "worker": None,
        "org": org,
        "next": _next_steps(proc, to_state, policy),
    }
    # The worker (always an ID number) is masked by key; the rest is walked only if its text needs it.
    native, text = normalise_with_text(context)
    out: dict[str, Any] = redact_document(native, text)
    out["worker"] = redact(normalise(worker)) if worker is not None else None
    return out


def recipient_names(to: Sequence[Any], policy: Any) -> list[str]:
    """The recipient names of a notice (`worker`, role codes; policy-chosen roles resolved)."""
    return [_recipient_name(r, policy) for r in to]


def live_snapshot(store: Store, case_id: int, *, procedures: Mapping[str, Procedure] | None = None,
                  seq: int | None = None) -> dict[str, Any]:
    """A snapshot rebuilt from the database: the case as it is now and its audit entry `seq` (default: the
    latest). Used for rows written without a snapshot and for `shequ notice render` previews."""
    from engine.policy import get_pack

    case = store.get_case(case_id)
    entries = list(store.audit_entries(case_id=case_id))
    entry = next((e for e in entries if e.seq == seq), None) if seq is not None else None
    entry = entry or (entries[-1] if entries else None)
    try:
        policy: Any = get_pack(case.pack)
    except Exception:  # a pack no longer installed: labels of policy-chosen roles are left out
        policy = None
    proc = (procedures or {}).get(case.procedure)
    if proc is None:
        from workflows import ALL_PROCEDURES

        proc = next((p for p in ALL_PROCEDURES if p.code == case.procedure), None)
    return snapshot(
        store,
        proc=proc,
        policy=policy,
        case=case,
        data=case.data,
        from_state=entry.from_state if entry else None,
        to_state=case.state,
        trigger=entry.action if entry else "",
        audit_seq=entry.seq if entry else None,
        at=entry.at if entry else case.updated_at,
        actor={"login": entry.actor_login, "name": entry.actor_name, "role": entry.role} if entry else {},
        body=entry.body if entry else {},
    )


def enqueue_reminder(
    store: Store,
    *,
    case_id: int,
    kind: str,
    recipients: Sequence[str],
    key: str,
    now: datetime,
    reminder: Mapping[str, Any] | None = None,
) -> list[int]:
    """Write reminder rows for a case, in the caller's transaction (the deadline sweep).

    `kind` is one of `reminder.publicity_ending`, `reminder.term_ending`, `reminder.decision_pending`,
    `reminder.overdue` (others render with the generic reminder); `recipients` are role codes or `worker`;
    `key` identifies the reminder (e.g. the deadline id and rung: `dl42:1d`) so the same reminder is never
    written twice. `reminder` carries what the template needs beyond the case:
    `due_at` (ISO instant) for publicity_ending and overdue; `term_ordinal`, `term_end` (ISO date) and
    `days_left` for term_ending. The snapshot is the case as it is now with its latest audit entry.
    Returns the new row ids (a row whose key exists already is skipped).
    """
    context = live_snapshot(store, case_id)
    existing = {r["idempotency_key"] for r in store.outbox_rows(case_id=case_id, kinds=[kind], limit=10_000)}
    ids = []
    for name in recipients:
        idem = f"{case_id}:{key}:{kind}:{name}"
        if idem in existing:
            continue
        ids.append(store.insert_outbox({
            "case_id": case_id,
            "audit_seq": context["event"].get("audit_seq"),
            "kind": kind,
            "recipient": name,
            "idempotency_key": idem,
            "payload": {
                "schema_version": 1,
                "procedure": context["case"]["procedure"],
                "trigger": context["event"].get("trigger"),
                "context": context,
                "notice_to": list(recipients),
                "reminder": redact(normalise(dict(reminder or {}))),
            },
            "status": "PENDING",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }))
    return ids


def enqueue_term_reminder(
    store: Store,
    *,
    term: Mapping[str, Any],
    district_id: int,
    pack: str,
    kind: str,
    keys: Mapping[str, str],
    notice_to: Sequence[str],
    now: datetime,
    event: Mapping[str, Any],
    reminder: Mapping[str, Any],
) -> list[int]:
    """Write the rows of a term reminder (no case) in the caller's transaction, one per recipient of `keys`
    (recipient → idempotency key; the caller has checked that none exists). The snapshot carries the term
    (`context.term`, `context.case` is None), the event (trigger, audit seq, instant, actor, rules) and the
    district by name; `payload.scope.district_id` tells the dispatcher whose users the roles are."""
    org = store.org_names(community_id=None, street_id=None, district_id=district_id)
    context = {
        "schema": SCHEMA,
        "pack": pack,
        "case": None,
        "term": dict(term),
        "event": {**dict(event), "at": now, "date": local_date(now)},
        "worker": None,
        "org": org,
        "next": [],
    }
    snap = normalise(context)
    ids = []
    for name, idem in keys.items():
        ids.append(store.insert_outbox({
            "case_id": None,
            "audit_seq": event.get("audit_seq"),
            "kind": kind,
            "recipient": name,
            "idempotency_key": idem,
            "payload": {
                "schema_version": 1,
                "procedure": None,
                "trigger": event.get("trigger"),
                "context": snap,
                "notice_to": list(notice_to),
                "reminder": normalise(dict(reminder)),
                "scope": {"district_id": district_id},
            },
            "status": "PENDING",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }))
    return ids
