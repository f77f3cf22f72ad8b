"""Test helper: a comparable picture of everything a transition may write, to prove "nothing changed"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.audit import VerifyReport, verify
from storage.unit_of_work import Database


@dataclass(frozen=True)
class Snapshot:
    cases: tuple[tuple[Any, ...], ...]  # (id, state, version, closed, data)
    audit_head: tuple[int, str]
    audit_count: int
    deadlines: tuple[tuple[Any, ...], ...]  # (id, case_id, key, status)
    outbox: tuple[tuple[Any, ...], ...]  # (id, case_id, kind, recipient)
    appointments: tuple[tuple[Any, ...], ...]  # (id, status, end_date, end_reason)


def snapshot(db: Database) -> Snapshot:
    """Read cases, the audit head, deadlines, outbox rows and appointments in one read transaction."""
    with db.read() as s:
        cases = tuple((c.id, c.state, c.version, c.closed, repr(sorted(c.data.items())))
                      for c in s.list_cases(limit=100_000))
        head = s.audit_head()
        count = sum(1 for _ in s.audit_entries())
        deadlines = tuple((d.id, d.case_id, d.key, d.status) for d in s.deadlines(limit=100_000))
        outbox = tuple((o.id, o.case_id, o.kind, o.recipient) for o in s.outbox())
        appointments = tuple((a.id, a.status, a.end_date, a.end_reason)
                             for a in s.appointments(statuses=("ACTIVE", "HOLDOVER", "ENDED")))
    return Snapshot(cases, head, count, deadlines, outbox, appointments)


def verify_db(db: Database) -> VerifyReport:
    """Verify the whole audit chain against its head row."""
    with db.read() as s:
        return verify(s.audit_entries(), *s.audit_head())
