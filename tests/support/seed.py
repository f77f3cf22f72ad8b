"""Many due deadlines, fast: one resignation opened through the engine, then cloned in one transaction.

Opening 5,000 resignations through the engine takes over a minute on a small machine; the tests and the
benchmark need the *deadlines*, not the opening. So `seed_due_resignations` opens one prototype case through
the engine (district, street, community, the approver, a worker in service with a WORKER login), and then
writes n-1 more cases like it with SQLAlchemy Core in one transaction: a worker, its appointment and login,
the case row in SUBMITTED, its `submit` audit entry (appended to the chain with the same hashing as
`Store.append_audit`), and its RES-5 deadline (`decision_due`, firing `mark_overdue`). The reminders are
left out (the prototype's is cancelled): every due row is a transition, each worth one audit entry.

All deadlines fall due long before today (submitted 2025-01-06), so a scheduler on the real clock fires them
at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from engine import audit as chain
from engine.app import build
from engine.clock import LOCAL_TZ, FrozenClock
from engine.idcard import check_digit
from storage import models as m

START = datetime(2025, 1, 6, 9, 0, tzinfo=LOCAL_TZ)
SUBMIT = {"submitted_on": "2025-01-06", "written": True, "document_ref": "D0"}


def id_number(i: int) -> str:
    """A valid, unique (for i < 336,000) GB 11643 number of a worker born in 1980."""
    first17 = f"1101051980{(i // 1000) % 12 + 1:02d}{(i // 12000) % 28 + 1:02d}{i % 1000:03d}"
    return first17 + check_digit(first17)


def _without(row: Any, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in dict(row._mapping).items() if k not in keys}


def seed_due_resignations(url: str, n: int, *, migrate: bool = False, notices: bool = False) -> list[int]:
    """n open resignations (ids returned) whose RES-5 deadlines are all due; the audit chain stays valid.
    `notices`: each clone also gets the prototype's PENDING submission notices (outbox rows), keyed by its own
    case and audit entry (their snapshot still names the prototype's worker)."""
    app = build(url, FrozenClock(START), migrate=migrate)
    try:
        a = app.admin
        a.add_district("DQ", "东区")
        a.add_street("DQ", "S1", "东华街道")
        a.add_community("S1", "C1", "东华社区", n + 10)
        a.add_user("s1_party", "东华街道党工委", ["STREET_PARTY_COMMITTEE"], street="S1")
        worker = a.add_worker({"id_number": id_number(0), "name": "工作者0", "community": "C1",
                               "category": "PROFESSIONAL_SOCIAL_WORKER", "appointment_start": "2024-01-01",
                               "appointment_end": "2026-12-31"})
        a.add_user("w0", "工作者0", ["WORKER"], community="C1", worker_id=worker)
        proto = app.engine.open_case("resignation", "w0", SUBMIT, worker_id=worker).case_id
        with app.db.transaction() as store:
            return [proto, *_clone(store.conn, proto, worker, n - 1, notices=notices)]
    finally:
        app.db.engine.dispose()


def _clone(conn: Any, case_id: int, worker_id: int, count: int, *, notices: bool) -> list[int]:
    W, P, U, C, D, A, H, OB = (t.__table__ for t in (m.Worker, m.Appointment, m.User, m.Case, m.Deadline,
                                                     m.AuditEntry, m.AuditHead, m.Outbox))
    conn.execute(update(D).where(D.c.case_id == case_id, D.c.kind == "reminder").values(status="CANCELLED"))
    if count <= 0:
        return []
    worker = conn.execute(select(W).where(W.c.id == worker_id)).one()
    appointment = conn.execute(select(P).where(P.c.worker_id == worker_id)).one()
    user = conn.execute(select(U).where(U.c.worker_id == worker_id)).one()
    case = conn.execute(select(C).where(C.c.id == case_id)).one()
    deadline = conn.execute(select(D).where(D.c.case_id == case_id, D.c.kind == "transition")).one()
    entry = conn.execute(select(A).where(A.c.case_id == case_id, A.c.action == "submit")).one()
    numbers = range(1, count + 1)

    def ids(table: Any, rows: list[dict[str, Any]]) -> list[int]:
        result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        return [int(r[0]) for r in result]

    workers = ids(W, [{**_without(worker, "id"), "id_number": id_number(i), "name": f"工作者{i}"}
                      for i in numbers])
    conn.execute(insert(P), [{**_without(appointment, "id"), "worker_id": w} for w in workers])
    users = ids(U, [{**_without(user, "id"), "login": f"w{i}", "name": f"工作者{i}", "worker_id": w}
                    for i, w in zip(numbers, workers, strict=True)])
    cases = ids(C, [{**_without(case, "id"), "worker_id": w, "owner_user_id": u}
                    for w, u in zip(workers, users, strict=True)])
    conn.execute(insert(D), [{**_without(deadline, "id"), "case_id": c} for c in cases])
    head = conn.execute(select(H.c.seq, H.c.hash).where(H.c.id == 1).with_for_update()).one()
    seq, prev = int(head.seq), str(head.hash)
    entries, outbox = [], []
    rows = conn.execute(select(OB).where(OB.c.case_id == case_id)).all() if notices else []
    for i, c in zip(numbers, cases, strict=True):
        seq += 1
        outbox += [{**_without(o, "id"), "case_id": c, "audit_seq": seq,
                    "idempotency_key": f"{c}:{seq}:{o.kind}:{o.recipient}"} for o in rows]
        fields = chain.hashed_fields(
            seq=seq, case_id=c, procedure=entry.procedure, action=entry.action, from_state=entry.from_state,
            to_state=entry.to_state, actor_login=f"w{i}", actor_name=f"工作者{i}", role=entry.role,
            at=entry.at, body=entry.body)
        digest = chain.entry_hash(prev, fields)
        entries.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    conn.execute(insert(A), entries)
    if outbox:
        conn.execute(insert(OB), outbox)
    conn.execute(update(H).where(H.c.id == 1).values(seq=seq, hash=prev))
    return cases
