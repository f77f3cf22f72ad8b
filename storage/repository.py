"""Reads and writes of one transaction. `Store` wraps a Connection that is already inside a
transaction (see `storage.unit_of_work`); it never commits. Core statements keep the write path
lean and portable (no SQLite-only SQL).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, func, insert, select, update

from engine import audit as chain
from engine.errors import ConcurrentModification, NotFound
from storage import models as m
from storage.prepared import Prepared
from storage.records import (
    AppointmentRecord,
    AuditRecord,
    CaseRecord,
    CommunityRecord,
    DeadlineRecord,
    TermRecord,
    UserRecord,
    WorkerRecord,
)

C = m.Case.__table__
A = m.AuditEntry.__table__
H = m.AuditHead.__table__
D = m.Deadline.__table__
OB = m.Outbox.__table__
W = m.Worker.__table__
U = m.User.__table__
P = m.Appointment.__table__
CM = m.Community.__table__
ST = m.Street.__table__
DI = m.District.__table__
T = m.Term.__table__

# Hot-path statements, built once: executing a prebuilt statement with a parameter dict skips SQLAlchemy's
# per-call construction and cache-key generation. Those every transition runs are `Prepared`
# (storage.prepared: compiled by SQLAlchemy once per dialect, run on the DBAPI cursor).
_GET_CASE = Prepared(select(C).where(C.c.id == bindparam("b_id")))
_INSERT_CASE = insert(C)
_UPDATE_CASE = Prepared(update(C).where(C.c.id == bindparam("b_id"), C.c.version == bindparam("b_version")))
_HEAD_FOR_UPDATE = Prepared(select(H.c.seq, H.c.hash).where(H.c.id == 1).with_for_update())
_INSERT_AUDIT = Prepared(insert(A))
_MOVE_HEAD = Prepared(update(H).where(H.c.id == 1))
_INSERT_DEADLINE = Prepared(insert(D).returning(D.c.id))
_CANCEL_DEADLINES = Prepared(
    update(D)
    .where(D.c.case_id == bindparam("b_case"), D.c.state == bindparam("b_state"), D.c.status == "PENDING")
    .values(status="CANCELLED")
)
_INSERT_OUTBOX = Prepared(insert(OB).returning(OB.c.id))
_CI = m.CalendarImport.__table__
_CALENDAR_HEADS = Prepared(select(_CI.c.id, _CI.c.sha256).order_by(_CI.c.id))
_OPEN_CASES_OF_WORKER = (
    select(C).where(C.c.worker_id == bindparam("b_worker"), C.c.closed.is_(False)).order_by(C.c.id)
)
_APPOINTMENTS_OF_WORKER = (
    select(P)
    .where(P.c.worker_id == bindparam("b_worker"), P.c.status.in_(bindparam("b_statuses", expanding=True)))
    .order_by(P.c.id)
)
_WORKER = Prepared(select(W).where(W.c.id == bindparam("b_id")))
_USER_BY_LOGIN = Prepared(select(U).where(U.c.login == bindparam("b_login")))
_COMMUNITY = Prepared(
    select(CM.c.id, CM.c.code, CM.c.name, CM.c.street_id, ST.c.district_id, CM.c.staffing_limit)
    .join(ST, ST.c.id == CM.c.street_id)
    .where(CM.c.id == bindparam("b_id"))
)
_TERMS_OF_DISTRICT = Prepared(
    select(T).where(T.c.district_id == bindparam("b_district")).order_by(T.c.ordinal))
_DISTRICT_PACK = select(DI.c.pack).where(DI.c.id == bindparam("b_id"))
_STREET = select(ST).where(ST.c.id == bindparam("b_id"))


@functools.cache
def _facts_of_worker(tbl: Any, current_only: bool) -> Any:
    """A worker's rows of a fact table in id order (built once per table: guards read them on the hot path);
    `current_only`: neither superseded nor withdrawn."""
    q = select(tbl).where(tbl.c.worker_id == bindparam("b_worker")).order_by(tbl.c.id)
    if current_only:
        newer = tbl.alias("newer")
        q = q.where(
            tbl.c.withdrawn.is_(False),
            ~select(newer.c.id).where(newer.c.supersedes_id == tbl.c.id).exists(),
        )
    return q


@functools.cache
def _insert_into(table: str) -> Insert:
    """One prebuilt INSERT per table (its compiled form is cached by SQLAlchemy per set of columns)."""
    return insert(m.Base.metadata.tables[table])


def _new_id(primary_key: Sequence[Any] | None) -> int:
    """The id of the row a single-row INSERT just wrote (SQLAlchemy reports it for every such insert)."""
    assert primary_key is not None
    return int(primary_key[0])


def _case(row: Any) -> CaseRecord:
    return CaseRecord(**{k: getattr(row, k) for k in CaseRecord.__dataclass_fields__})


def _rec(cls: Any, row: Any) -> Any:
    return cls(**{k: getattr(row, k) for k in cls.__dataclass_fields__})


class Store:
    """One transaction's reads and writes (a Store lives as long as its transaction)."""

    def __init__(self, conn: Connection, head: tuple[int, str] | None = None, *, read_only: bool = False
                 ) -> None:
        self.conn = conn
        self.read_only = read_only  # a read snapshot (Database.read): appending to the audit chain is refused
        self._calendar_heads: list[tuple[int, str]] | None = None  # read once per transaction
        # The audit head as this transaction last saw it. A write transaction holds the database's write
        # lock (SQLite) or the head's row lock (PostgreSQL) from its start, so nobody else moves the head
        # until it ends: read once (or handed over by the lock taken at begin), then kept in step here.
        # Only append_audit moves the head. Not kept past an append inside a savepoint, which may be rolled
        # back and the head with it.
        self._head = head

    # ---------------- cases ----------------
    def get_case(self, case_id: int) -> CaseRecord:
        row = _GET_CASE.first(self.conn, {"b_id": case_id})
        if row is None:
            raise NotFound("CASE_NOT_FOUND", details={"case": case_id})
        return _case(row)

    def insert_case(self, values: Mapping[str, Any]) -> int:
        result = self.conn.execute(_INSERT_CASE, dict(values))
        return _new_id(result.inserted_primary_key)

    def update_case(
        self,
        case_id: int,
        expected_version: int,
        *,
        state: str,
        data: Mapping[str, Any],
        closed: bool,
        now: datetime,
    ) -> int:
        """Write the new state; fails with ConcurrentModification if the version moved (house rule 2)."""
        new_version = expected_version + 1
        updated = _UPDATE_CASE.rowcount(
            self.conn,
            {
                "b_id": case_id,
                "b_version": expected_version,
                "state": state,
                "data": dict(data),
                "closed": closed,
                "version": new_version,
                "updated_at": now,
            },
        )
        if updated != 1:
            raise ConcurrentModification(
                "CASE_VERSION_CONFLICT", details={"case": case_id, "version": expected_version}
            )
        return new_version

    def set_case_worker(self, case_id: int, worker_id: int) -> None:
        """Link a case opened before its worker existed (an exam candidate) to the worker record made."""
        self.conn.execute(update(C).where(C.c.id == case_id).values(worker_id=worker_id))

    def list_cases(
        self,
        *,
        procedure: str | None = None,
        state: str | None = None,
        worker_id: int | None = None,
        street_id: int | None = None,
        parent_case_id: int | None = None,
        open_only: bool = False,
        limit: int = 500,
    ) -> list[CaseRecord]:
        if worker_id is not None and open_only and not (procedure or state or street_id or parent_case_id):
            rows = self.conn.execute(_OPEN_CASES_OF_WORKER, {"b_worker": worker_id}).fetchmany(limit)
            return [_case(r) for r in rows]
        if worker_id is not None and open_only and procedure and not (state or street_id or parent_case_id):
            rows = self.conn.execute(_OPEN_CASES_OF_WORKER, {"b_worker": worker_id}).fetchmany(limit)
            return [_case(r) for r in rows if r.procedure == procedure]
        q = select(C).order_by(C.c.id)
        if procedure:
            q = q.where(C.c.procedure == procedure)
        if state:
            q = q.where(C.c.state == state)
        if worker_id is not None:
            q = q.where(C.c.worker_id == worker_id)
        if street_id is not None:
            q = q.where(C.c.street_id == street_id)
        if parent_case_id is not None:
            q = q.where(C.c.parent_case_id == parent_case_id)
        if open_only:
            q = q.where(C.c.closed.is_(False))
        return [_case(r) for r in self.conn.execute(q.limit(limit))]

    # ---------------- audit ----------------
    def append_audit(
        self,
        *,
        case_id: int | None,
        procedure: str | None,
        action: str,
        from_state: str | None,
        to_state: str | None,
        actor_login: str,
        actor_name: str,
        role: str,
        at: datetime,
        body: Mapping[str, Any],
    ) -> int:
        """Append one entry to the chain. Locks the head row: appends are serialised, seq is gap-free."""
        if self.read_only:
            raise RuntimeError("append_audit in a read snapshot (Database.read): use Database.transaction")
        if self._head is None:
            row = _HEAD_FOR_UPDATE.one(self.conn)
            self._head = (int(row.seq), str(row.hash))
        head_seq, head_hash = self._head
        seq = head_seq + 1
        body = chain.normalise({**body, "schema_version": chain.SCHEMA_VERSION})
        fields = chain.hashed_fields(
            seq=seq,
            case_id=case_id,
            procedure=procedure,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor_login=actor_login,
            actor_name=actor_name,
            role=role,
            at=at,
            body=body,
        )
        digest = chain.entry_hash(head_hash, fields)
        _INSERT_AUDIT.rowcount(self.conn, {**fields, "prev_hash": head_hash, "hash": digest})
        _MOVE_HEAD.rowcount(self.conn, {"seq": seq, "hash": digest})
        self._head = None if self.conn.in_nested_transaction() else (seq, digest)
        return seq

    def audit_entries(
        self, *, case_id: int | None = None, after_seq: int = 0, batch: int = 5000
    ) -> Iterator[AuditRecord]:
        q = select(A).where(A.c.seq > after_seq).order_by(A.c.seq)
        if case_id is not None:
            q = q.where(A.c.case_id == case_id)
        last = after_seq
        while True:
            rows = self.conn.execute(q.where(A.c.seq > last).limit(batch)).all()
            if not rows:
                return
            for r in rows:
                yield _rec(AuditRecord, r)
            last = rows[-1].seq

    def audit_head(self) -> tuple[int, str]:
        row = self.conn.execute(select(H.c.seq, H.c.hash).where(H.c.id == 1)).one()
        return int(row.seq), str(row.hash)

    # ---------------- deadlines ----------------
    def insert_deadline(self, values: Mapping[str, Any]) -> int:
        return int(_INSERT_DEADLINE.one(self.conn, values).id)

    def cancel_deadlines(self, case_id: int, state: str) -> int:
        return _CANCEL_DEADLINES.rowcount(self.conn, {"b_case": case_id, "b_state": state})

    def next_due_deadline(self, now: datetime) -> DeadlineRecord | None:
        """The earliest due PENDING deadline, locked; rows another process holds are skipped."""
        row = self.conn.execute(
            select(D)
            .where(D.c.status == "PENDING", D.c.due_at <= now)
            .order_by(D.c.due_at, D.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        return _rec(DeadlineRecord, row) if row else None

    def mark_deadline(
        self,
        deadline_id: int,
        *,
        status: str,
        fired_at: datetime | None = None,
        error: str | None = None,
        from_status: str = "PENDING",
    ) -> bool:
        result = self.conn.execute(
            update(D)
            .where(D.c.id == deadline_id, D.c.status == from_status)
            .values(status=status, fired_at=fired_at, last_error=error, attempts=D.c.attempts + 1)
        )
        return result.rowcount == 1

    def deadlines(
        self,
        *,
        case_id: int | None = None,
        status: str | None = None,
        due_before: datetime | None = None,
        limit: int = 1000,
        kind: str | None = "transition",
    ) -> list[DeadlineRecord]:
        """Deadlines in due order; by default the transition deadlines only (reminders: `kind="reminder"`,
        all: `kind=None`)."""
        q = select(D).order_by(D.c.due_at, D.c.id)
        if case_id is not None:
            q = q.where(D.c.case_id == case_id)
        if status:
            q = q.where(D.c.status == status)
        if kind:
            q = q.where(D.c.kind == kind)
        if due_before is not None:
            q = q.where(D.c.due_at <= due_before)
        return [_rec(DeadlineRecord, r) for r in self.conn.execute(q.limit(limit))]

    def next_pending_due_at(self) -> datetime | None:
        return self.conn.execute(select(func.min(D.c.due_at)).where(D.c.status == "PENDING")).scalar()

    # ---------------- outbox ----------------
    def insert_outbox(self, values: Mapping[str, Any]) -> int:
        return int(_INSERT_OUTBOX.one(self.conn, values).id)

    def outbox(self, *, case_id: int | None = None, status: str | None = None) -> list[Any]:
        q = select(OB).order_by(OB.c.id)
        if case_id is not None:
            q = q.where(OB.c.case_id == case_id)
        if status:
            q = q.where(OB.c.status == status)
        return list(self.conn.execute(q))

    # ---------------- org units ----------------
    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        result = self.conn.execute(_insert_into(table), dict(values))
        return _new_id(result.inserted_primary_key)

    def district_by_code(self, code: str) -> Any:
        row = self.conn.execute(select(DI).where(DI.c.code == code)).first()
        if row is None:
            raise NotFound("DISTRICT_NOT_FOUND", details={"code": code})
        return row

    def street_by_code(self, code: str) -> Any:
        row = self.conn.execute(select(ST).where(ST.c.code == code)).first()
        if row is None:
            raise NotFound("STREET_NOT_FOUND", details={"code": code})
        return row

    def community(self, community_id: int) -> CommunityRecord:
        row = _COMMUNITY.first(self.conn, {"b_id": community_id})
        if row is None:
            raise NotFound("COMMUNITY_NOT_FOUND", details={"code": community_id})
        return _rec(CommunityRecord, row)

    def community_by_code(self, code: str) -> CommunityRecord:
        row = self.conn.execute(select(CM.c.id).where(CM.c.code == code)).first()
        if row is None:
            raise NotFound("COMMUNITY_NOT_FOUND", details={"code": code})
        return self.community(int(row.id))

    def set_staffing_limit(self, community_id: int, limit: int) -> None:
        self.conn.execute(update(CM).where(CM.c.id == community_id).values(staffing_limit=limit))

    def org_tree(self) -> list[Any]:
        return list(
            self.conn.execute(
                select(
                    DI.c.code.label("district"),
                    DI.c.name.label("district_name"),
                    DI.c.pack,
                    ST.c.code.label("street"),
                    ST.c.name.label("street_name"),
                    CM.c.code.label("community"),
                    CM.c.name.label("community_name"),
                    CM.c.staffing_limit,
                )
                .select_from(DI)
                .join(ST, ST.c.district_id == DI.c.id, isouter=True)
                .join(CM, CM.c.street_id == ST.c.id, isouter=True)
                .order_by(DI.c.code, ST.c.code, CM.c.code)
            )
        )

    def district_pack(self, district_id: int) -> str:
        return str(self.conn.execute(_DISTRICT_PACK, {"b_id": district_id}).scalar_one())

    def street(self, street_id: int) -> Any:
        return self.conn.execute(_STREET, {"b_id": street_id}).one()

    # ---------------- users ----------------
    def user_by_login(self, login: str) -> UserRecord:
        row = _USER_BY_LOGIN.first(self.conn, {"b_login": login})
        if row is None:
            raise NotFound("USER_NOT_FOUND", details={"login": login})
        return UserRecord(
            row.id,
            row.login,
            row.name,
            tuple(row.roles),
            row.district_id,
            row.street_id,
            row.community_id,
            row.worker_id,
        )

    def users(self) -> list[UserRecord]:
        return [
            UserRecord(
                r.id, r.login, r.name, tuple(r.roles), r.district_id, r.street_id, r.community_id, r.worker_id
            )
            for r in self.conn.execute(select(U).order_by(U.c.id))
        ]

    # ---------------- workers ----------------
    def worker(self, worker_id: int) -> WorkerRecord:
        row = _WORKER.first(self.conn, {"b_id": worker_id})
        if row is None:
            raise NotFound("WORKER_NOT_FOUND", details={"worker": worker_id})
        return _rec(WorkerRecord, row)

    def worker_by_id_number(self, id_number: str) -> WorkerRecord | None:
        row = self.conn.execute(select(W).where(W.c.id_number == id_number)).first()
        return _rec(WorkerRecord, row) if row else None

    def workers(self, *, community_id: int | None = None, street_id: int | None = None) -> list[WorkerRecord]:
        q = select(W).order_by(W.c.id)
        if community_id is not None:
            q = q.where(W.c.community_id == community_id)
        if street_id is not None:
            q = q.join(CM, CM.c.id == W.c.community_id).where(CM.c.street_id == street_id)
        return [_rec(WorkerRecord, r) for r in self.conn.execute(q)]

    # ---------------- appointments and terms ----------------
    def appointments(
        self,
        *,
        worker_id: int | None = None,
        community_id: int | None = None,
        statuses: Sequence[str] = ("ACTIVE", "HOLDOVER"),
    ) -> list[AppointmentRecord]:
        if worker_id is not None and community_id is None:
            rows = self.conn.execute(
                _APPOINTMENTS_OF_WORKER, {"b_worker": worker_id, "b_statuses": list(statuses)}
            )
            return [_rec(AppointmentRecord, r) for r in rows]
        q = select(P).where(P.c.status.in_(list(statuses))).order_by(P.c.id)
        if worker_id is not None:
            q = q.where(P.c.worker_id == worker_id)
        if community_id is not None:
            q = q.where(P.c.community_id == community_id)
        return [_rec(AppointmentRecord, r) for r in self.conn.execute(q)]

    def appointment(self, appointment_id: int) -> AppointmentRecord:
        row = self.conn.execute(select(P).where(P.c.id == appointment_id)).first()
        if row is None:
            raise NotFound("APPOINTMENT_NOT_FOUND", details={"appointment": appointment_id})
        return _rec(AppointmentRecord, row)

    def insert_appointment(self, values: Mapping[str, Any]) -> int:
        return self.insert("appointments", {"status": "ACTIVE", **values})

    def end_appointment(self, appointment_id: int, end_date: date, reason: str) -> None:
        self.conn.execute(
            update(P)
            .where(P.c.id == appointment_id)
            .values(status="ENDED", end_date=end_date, end_reason=reason)
        )

    def link_successor(self, appointment_id: int, successor_id: int) -> None:
        self.conn.execute(update(P).where(P.c.id == appointment_id).values(successor_id=successor_id))

    def terms(self, district_id: int) -> list[TermRecord]:
        return [
            _rec(TermRecord, r) for r in _TERMS_OF_DISTRICT.all(self.conn, {"b_district": district_id})
        ]

    def term(self, term_id: int) -> TermRecord:
        row = self.conn.execute(select(T).where(T.c.id == term_id)).first()
        if row is None:
            raise NotFound("TERM_NOT_FOUND", details={"term": term_id})
        return _rec(TermRecord, row)

    def update_term(self, term_id: int, **values: Any) -> None:
        self.conn.execute(update(T).where(T.c.id == term_id).values(**values))

    # ---------------- worker facts: annual grades, absence days, elected office ----------------
    # Append-only (spec §3.10 AUD): rows are inserted, never updated; a correction supersedes a row.
    FACT_TABLES = ("annual_grades", "absence_days", "elected_offices")

    def _fact_table(self, table: str) -> Any:
        if table not in self.FACT_TABLES:
            raise ValueError(f"not a fact table: {table}")
        return m.Base.metadata.tables[table]

    def lock_worker(self, worker_id: int) -> None:
        """Lock the worker's row for this transaction: facts of one worker are written one at a time,
        so "one current fact per key" and "one open case per ground" hold under concurrency."""
        row = self.conn.execute(select(W.c.id).where(W.c.id == worker_id).with_for_update()).first()
        if row is None:
            raise NotFound("WORKER_NOT_FOUND", details={"worker": worker_id})

    def insert_fact(self, table: str, values: Mapping[str, Any]) -> int:
        result = self.conn.execute(insert(self._fact_table(table)).values(**values))
        return _new_id(result.inserted_primary_key)

    def fact(self, table: str, fact_id: int) -> dict[str, Any] | None:
        tbl = self._fact_table(table)
        row = self.conn.execute(select(tbl).where(tbl.c.id == fact_id)).first()
        return dict(row._mapping) if row else None

    def superseded_by(self, table: str, fact_id: int) -> dict[str, Any] | None:
        """The row that corrects `fact_id`, if any."""
        tbl = self._fact_table(table)
        row = self.conn.execute(select(tbl).where(tbl.c.supersedes_id == fact_id)).first()
        return dict(row._mapping) if row else None

    def facts(self, table: str, worker_id: int, *, current_only: bool = True) -> list[dict[str, Any]]:
        """A worker's fact rows in id order; `current_only`: not superseded and not withdrawn."""
        q = _facts_of_worker(self._fact_table(table), current_only)
        return [dict(r._mapping) for r in self.conn.execute(q, {"b_worker": worker_id})]

    # ---------------- exam hiring (考试聘用): reads ----------------
    def communities_in_district(self, district_id: int) -> list[CommunityRecord]:
        rows = self.conn.execute(
            select(CM.c.id, CM.c.code, CM.c.name, CM.c.street_id, ST.c.district_id, CM.c.staffing_limit)
            .join(ST, ST.c.id == CM.c.street_id)
            .where(ST.c.district_id == district_id)
            .order_by(CM.c.code)
        )
        return [_rec(CommunityRecord, r) for r in rows]

    def appointment_counts(self, community_ids: Sequence[int]) -> dict[tuple[int, str], int]:
        """Number of appointments per (community id, status) of the given communities."""
        if not community_ids:
            return {}
        rows = self.conn.execute(
            select(P.c.community_id, P.c.status, func.count().label("n"))
            .where(P.c.community_id.in_(list(community_ids)))
            .group_by(P.c.community_id, P.c.status)
        )
        return {(int(r.community_id), str(r.status)): int(r.n) for r in rows}

    def open_cases(self, procedure: str, *, district_id: int) -> list[CaseRecord]:
        """Every open case of `procedure` in the district, in id order (no row limit)."""
        q = (
            select(C)
            .where(C.c.procedure == procedure, C.c.district_id == district_id, C.c.closed.is_(False))
            .order_by(C.c.id)
        )
        return [_case(r) for r in self.conn.execute(q)]

    def child_cases(self, parent_case_id: int, *, state: str | None = None) -> list[CaseRecord]:
        """Every child case of `parent_case_id` (optionally in `state`), in id order (no row limit)."""
        q = select(C).where(C.c.parent_case_id == parent_case_id).order_by(C.c.id)
        if state:
            q = q.where(C.c.state == state)
        return [_case(r) for r in self.conn.execute(q)]

    def child_case_counts(self, parent_case_id: int) -> dict[str, int]:
        """Number of child cases of `parent_case_id` per state."""
        rows = self.conn.execute(
            select(C.c.state, func.count().label("n"))
            .where(C.c.parent_case_id == parent_case_id)
            .group_by(C.c.state)
        )
        return {str(r.state): int(r.n) for r in rows}

    # ---------------- terms, 换届 and performance pay (issue 5 part B) ----------------
    # Reads and writes of the term machine (workflows.terms), the changeover fan-out (engine.changeover) and
    # the pay table (workflows.pay). Term status and windows change through `update_term` above.

    def term_detail(self, term_id: int) -> dict[str, Any]:
        """Every column of a term, the wage reference (`wage_ref` JSON) included."""
        row = self.conn.execute(select(T).where(T.c.id == term_id)).first()
        if row is None:
            raise NotFound("TERM_NOT_FOUND", details={"term": term_id})
        return dict(row._mapping)

    def term_appointments(
        self,
        term_id: int,
        *,
        statuses: Sequence[str] = ("ACTIVE", "HOLDOVER"),
        community_id: int | None = None,
    ) -> list[AppointmentRecord]:
        """Appointments belonging to a term (optionally of one community), in id order."""
        q = select(P).where(P.c.term_id == term_id, P.c.status.in_(list(statuses))).order_by(P.c.id)
        if community_id is not None:
            q = q.where(P.c.community_id == community_id)
        return [_rec(AppointmentRecord, r) for r in self.conn.execute(q)]

    def set_appointment_status(self, appointment_id: int, status: str) -> None:
        """HOLDOVER at term end (TERM-6); ending goes through `end_appointment`."""
        self.conn.execute(update(P).where(P.c.id == appointment_id).values(status=status))

    def cases_of(
        self, procedure: str, *, district_id: int, community_id: int | None = None, open_only: bool = False
    ) -> list[CaseRecord]:
        """Every case of `procedure` in the district (optionally of one community), in id order, no limit."""
        q = select(C).where(C.c.procedure == procedure, C.c.district_id == district_id).order_by(C.c.id)
        if community_id is not None:
            q = q.where(C.c.community_id == community_id)
        if open_only:
            q = q.where(C.c.closed.is_(False))
        return [_case(r) for r in self.conn.execute(q)]

    def appointments_overlapping(self, worker_ids: Sequence[int], start: date, end: date
                                 ) -> list[AppointmentRecord]:
        """Appointments of any status of these workers that were in force at some day of [start, end]."""
        if not worker_ids:
            return []
        q = (
            select(P)
            .where(P.c.worker_id.in_(list(worker_ids)), P.c.start_date <= end)
            .where((P.c.end_date.is_(None)) | (P.c.end_date >= start))
            .order_by(P.c.id)
        )
        return [_rec(AppointmentRecord, r) for r in self.conn.execute(q)]

    def community_worker_ids(self, community_id: int, start: date, end: date) -> list[int]:
        """Workers with an appointment of any status in the community in force at some day of [start, end]."""
        q = (
            select(P.c.worker_id)
            .where(P.c.community_id == community_id, P.c.start_date <= end)
            .where((P.c.end_date.is_(None)) | (P.c.end_date >= start))
            .distinct()
        )
        return sorted(int(r.worker_id) for r in self.conn.execute(q))

    def current_grades(self, worker_ids: Sequence[int], year: int) -> dict[int, dict[str, Any]]:
        """The current (not superseded, not withdrawn) annual grade row of each worker for `year`."""
        if not worker_ids:
            return {}
        tbl = m.AnnualGrade.__table__
        newer = tbl.alias("newer")
        q = select(tbl).where(
            tbl.c.worker_id.in_(list(worker_ids)),
            tbl.c.year == year,
            tbl.c.withdrawn.is_(False),
            ~select(newer.c.id).where(newer.c.supersedes_id == tbl.c.id).exists(),
        )
        return {int(r.worker_id): dict(r._mapping) for r in self.conn.execute(q)}

    def workers_by_id(self, worker_ids: Sequence[int]) -> dict[int, WorkerRecord]:
        if not worker_ids:
            return {}
        rows = self.conn.execute(select(W).where(W.c.id.in_(list(worker_ids))))
        return {int(r.id): _rec(WorkerRecord, r) for r in rows}

    def set_worker_record(self, worker_id: int, record: Mapping[str, Any]) -> None:
        """Replace the personnel record's JSON part (fields without a column of their own, spec §6)."""
        self.conn.execute(update(W).where(W.c.id == worker_id).values(record=dict(record)))

    def move_term(self, term_id: int, expected_status: str, **values: Any) -> bool:
        """Change a term only if it is still in `expected_status` (compare-and-swap: two sweeps or two users
        cannot both take the same transition); False when it has moved on."""
        result = self.conn.execute(
            update(T).where(T.c.id == term_id, T.c.status == expected_status).values(**values)
        )
        return result.rowcount == 1

    def district_code(self, district_id: int) -> str:
        row = self.conn.execute(select(DI.c.code).where(DI.c.id == district_id)).first()
        if row is None:
            raise NotFound("DISTRICT_NOT_FOUND", details={"code": district_id})
        return str(row.code)

    def all_terms(self) -> list[TermRecord]:
        """Every term of every district, by district and ordinal."""
        q = select(T).order_by(T.c.district_id, T.c.ordinal)
        return [_rec(TermRecord, r) for r in self.conn.execute(q)]

    # ---------------- calendar and deadline provenance (issue 3) ----------------
    # The statutory calendar's imported years (engine.calendar builds the WorkingCalendar from them) and the
    # deadline reads and writes of the sweep, the scheduler and `shequ deadlines`. Rows come back as dicts.

    def calendar_import_heads(self) -> list[tuple[int, str]]:
        """(id, sha256) of every calendar import, in id order: the cache key of the calendar. Read once per
        transaction (several deadlines of one step share it); an import in this transaction re-reads it."""
        if self._calendar_heads is None:
            self._calendar_heads = [(int(r.id), str(r.sha256)) for r in _CALENDAR_HEADS.all(self.conn)]
        return list(self._calendar_heads)

    def calendar_imports(self) -> list[dict[str, Any]]:
        """Every calendar import with its days (`days`: list of {day, kind, name}), in id order."""
        ci, cd = m.CalendarImport.__table__, m.CalendarDay.__table__
        imports = [dict(r._mapping) for r in self.conn.execute(select(ci).order_by(ci.c.id))]
        by_id: dict[int, dict[str, Any]] = {int(i["id"]): {**i, "days": []} for i in imports}
        for r in self.conn.execute(select(cd).order_by(cd.c.import_id, cd.c.day)):
            by_id[int(r.import_id)]["days"].append({"day": r.day, "kind": r.kind, "name": r.name})
        return list(by_id.values())

    def calendar_import_by_sha(self, sha256: str) -> dict[str, Any] | None:
        ci = m.CalendarImport.__table__
        row = self.conn.execute(select(ci).where(ci.c.sha256 == sha256).order_by(ci.c.id.desc())).first()
        return dict(row._mapping) if row else None

    def insert_calendar_import(self, values: Mapping[str, Any], days: Sequence[Mapping[str, Any]]) -> int:
        import_id = self.insert("calendar_imports", values)
        self._calendar_heads = None
        if days:
            self.conn.execute(insert(m.CalendarDay.__table__), [{**d, "import_id": import_id} for d in days])
        return import_id

    def deadline_row(self, deadline_id: int) -> dict[str, Any]:
        row = self.conn.execute(select(D).where(D.c.id == deadline_id)).first()
        if row is None:
            raise NotFound("DEADLINE_NOT_FOUND", details={"id": deadline_id})
        return dict(row._mapping)

    def deadline_rows(
        self,
        *,
        case_id: int | None = None,
        status: str | None = None,
        due_before: datetime | None = None,
        kind: str | None = None,
        provisional: bool | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Deadlines with their provenance, in due order."""
        q = select(D).order_by(D.c.due_at, D.c.id)
        if case_id is not None:
            q = q.where(D.c.case_id == case_id)
        if status:
            q = q.where(D.c.status == status)
        if due_before is not None:
            q = q.where(D.c.due_at <= due_before)
        if kind:
            q = q.where(D.c.kind == kind)
        if provisional is not None:
            q = q.where(D.c.provisional.is_(provisional))
        return [dict(r._mapping) for r in self.conn.execute(q.limit(limit))]

    _NEXT_FIRABLE = (  # built once: the sweep runs it for every deadline it fires
        select(D)
        .where(D.c.status == "PENDING", D.c.due_at <= bindparam("b_until"), D.c.provisional.is_(False))
        .order_by(D.c.due_at, D.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )

    def next_firable_deadline(self, until: datetime) -> dict[str, Any] | None:
        """The earliest PENDING, non-provisional deadline due at or before `until`, locked for this
        transaction; a row another process holds is skipped (`SKIP LOCKED` where the database has it; SQLite
        serialises writers instead)."""
        row = self.conn.execute(self._NEXT_FIRABLE, {"b_until": until}).first()
        return dict(row._mapping) if row else None

    def next_firable_due_at(self, until: datetime | None = None) -> datetime | None:
        """Due instant of the earliest PENDING, non-provisional deadline (at or before `until`, if given)."""
        q = select(D.c.due_at).where(D.c.status == "PENDING", D.c.provisional.is_(False))
        if until is not None:
            q = q.where(D.c.due_at <= until)
        return self.conn.execute(q.order_by(D.c.due_at).limit(1)).scalar()

    def count_held_provisional(self, until: datetime) -> int:
        """PENDING provisional deadlines already due: held until the calendar data arrive."""
        q = select(func.count()).select_from(D).where(D.c.status == "PENDING", D.c.provisional.is_(True),
                                                       D.c.due_at <= until)
        return int(self.conn.execute(q).scalar() or 0)

    def recomputable_deadlines(self) -> list[dict[str, Any]]:
        """PENDING deadlines whose instant depends on the working-day calendar (or is an estimate)."""
        q = select(D).where(D.c.status == "PENDING", D.c.provisional.is_(True)
                            | D.c.period.like("%WD") | D.c.period.like("%R")).order_by(D.c.id)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def update_deadline_due(self, deadline_id: int, *, due_at: datetime, provisional: bool,
                            basis: Mapping[str, Any], calendar_version: str) -> bool:
        result = self.conn.execute(
            update(D).where(D.c.id == deadline_id, D.c.status == "PENDING")
            .values(due_at=due_at, provisional=provisional, basis=dict(basis),
                    calendar_version=calendar_version)
        )
        return result.rowcount == 1

    def record_deadline_attempt(self, deadline_id: int, error: str, now: datetime, *,
                                max_attempts: int) -> str:
        """Count a failed attempt on a PENDING deadline; the `max_attempts`-th marks it FAILED. Returns the
        status it is left in."""
        row = self.conn.execute(select(D.c.attempts).where(D.c.id == deadline_id, D.c.status == "PENDING")
                                ).first()
        if row is None:
            return "GONE"
        attempts = int(row.attempts) + 1
        status = "FAILED" if attempts >= max_attempts else "PENDING"
        self.conn.execute(update(D).where(D.c.id == deadline_id).values(
            attempts=attempts, last_error=error, status=status, fired_at=now if status == "FAILED" else None))
        return status

    # ---------------- notifications (issue 4): outbox dispatch, deliveries, user contacts ----------------
    # Outbox rows are written by the engine in the transition's transaction (`insert_outbox`); these methods
    # serve the dispatcher (notifications.dispatch) and its read models. Rows come back as plain dicts.

    def claim_next_outbox(self, now: datetime, lease_until: datetime) -> dict[str, Any] | None:
        """The earliest due PENDING row, locked (rows another process holds are skipped), leased: its
        `next_attempt_at` moves to `lease_until` and `attempts` grows by one, so no other dispatcher takes it
        while this one sends, and a dispatcher that dies mid-send leaves it to be retried after the lease."""
        row = self.conn.execute(
            select(OB)
            .where(OB.c.status == "PENDING", OB.c.next_attempt_at <= now)
            .order_by(OB.c.next_attempt_at, OB.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        attempts = int(row.attempts) + 1
        self.conn.execute(
            update(OB).where(OB.c.id == row.id).values(attempts=attempts, next_attempt_at=lease_until)
        )
        return {**dict(row._mapping), "attempts": attempts, "next_attempt_at": lease_until}

    def outbox_row(self, outbox_id: int) -> dict[str, Any]:
        row = self.conn.execute(select(OB).where(OB.c.id == outbox_id)).first()
        if row is None:
            raise NotFound("NOTIFICATION_NOT_FOUND", details={"id": outbox_id})
        return dict(row._mapping)

    def outbox_rows(
        self,
        *,
        case_id: int | None = None,
        status: str | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """The latest `limit` rows matching the filters, in id order."""
        q = select(OB).order_by(OB.c.id.desc())
        if case_id is not None:
            q = q.where(OB.c.case_id == case_id)
        if status:
            q = q.where(OB.c.status == status)
        if kinds:
            q = q.where(OB.c.kind.in_(list(kinds)))
        rows = [dict(r._mapping) for r in self.conn.execute(q.limit(limit))]
        return rows[::-1]

    def update_outbox(self, outbox_id: int, **values: Any) -> None:
        self.conn.execute(update(OB).where(OB.c.id == outbox_id).values(**values))

    def outbox_counts(self) -> dict[str, int]:
        rows = self.conn.execute(select(OB.c.status, func.count().label("n")).group_by(OB.c.status))
        return {str(r.status): int(r.n) for r in rows}

    def deliveries(self, outbox_id: int) -> list[dict[str, Any]]:
        tbl = m.NotificationDelivery.__table__
        q = select(tbl).where(tbl.c.outbox_id == outbox_id).order_by(tbl.c.id)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def insert_delivery(self, values: Mapping[str, Any]) -> int:
        return self.insert("notification_deliveries", values)

    def update_delivery(self, delivery_id: int, **values: Any) -> None:
        tbl = m.NotificationDelivery.__table__
        self.conn.execute(update(tbl).where(tbl.c.id == delivery_id).values(**values))

    def delete_undelivered(self, outbox_id: int) -> int:
        """Forget a row's targets that were not delivered (resolved again on the next attempt)."""
        tbl = m.NotificationDelivery.__table__
        result = self.conn.execute(
            tbl.delete().where(tbl.c.outbox_id == outbox_id, tbl.c.status != "DELIVERED")
        )
        return int(result.rowcount)

    def user_contacts(self, user_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        if not user_ids:
            return {}
        tbl = m.UserContact.__table__
        rows = self.conn.execute(select(tbl).where(tbl.c.user_id.in_(list(user_ids))))
        return {int(r.user_id): dict(r._mapping) for r in rows}

    def set_user_contact(self, user_id: int, values: Mapping[str, Any], now: datetime) -> None:
        """Insert or update the user's contact row (only the keys given change)."""
        tbl = m.UserContact.__table__
        exists = self.conn.execute(select(tbl.c.user_id).where(tbl.c.user_id == user_id)).first()
        if exists is None:
            self.conn.execute(insert(tbl).values(user_id=user_id, updated_at=now, **values))
        else:
            self.conn.execute(update(tbl).where(tbl.c.user_id == user_id).values(updated_at=now, **values))

    # One prebuilt statement for the usual case (a community): names are read on every step with notices.
    _ORG_OF_COMMUNITY = (
        select(CM.c.code, CM.c.name, ST.c.code.label("s_code"), ST.c.name.label("s_name"),
               ST.c.kind.label("s_kind"), DI.c.code.label("d_code"), DI.c.name.label("d_name"))
        .join(ST, ST.c.id == CM.c.street_id)
        .join(DI, DI.c.id == ST.c.district_id)
        .where(CM.c.id == bindparam("b_id"))
    )

    def org_names(
        self, *, community_id: int | None, street_id: int | None, district_id: int | None
    ) -> dict[str, dict[str, Any] | None]:
        """Code and name of the case's community, street (with its kind 街道/镇) and district."""
        out: dict[str, dict[str, Any] | None] = {"community": None, "street": None, "district": None}
        if community_id is not None:
            r = self.conn.execute(self._ORG_OF_COMMUNITY, {"b_id": community_id}).first()
            if r is not None:
                return {"community": {"code": r.code, "name": r.name},
                        "street": {"code": r.s_code, "name": r.s_name, "kind": r.s_kind},
                        "district": {"code": r.d_code, "name": r.d_name}}
            c = self.conn.execute(select(CM.c.code, CM.c.name).where(CM.c.id == community_id)).first()
            out["community"] = {"code": c.code, "name": c.name} if c else None
        if street_id is not None:
            q = select(ST.c.code, ST.c.name, ST.c.kind).where(ST.c.id == street_id)
            s = self.conn.execute(q).first()
            out["street"] = {"code": s.code, "name": s.name, "kind": s.kind} if s else None
        if district_id is not None:
            d = self.conn.execute(select(DI.c.code, DI.c.name).where(DI.c.id == district_id)).first()
            out["district"] = {"code": d.code, "name": d.name} if d else None
        return out
