"""storage.prepared on both databases: a Prepared statement gives what `Connection.execute` gives for the same
Core statement (rows with processed values, row counts, generated ids, column defaults) and reports errors as
SQLAlchemy's exception classes, so the unit of work and its callers cannot tell the two paths apart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, func, insert, literal, select, text, update
from sqlalchemy.exc import IntegrityError, NoResultFound, OperationalError, StatementError

from engine.audit import verify
from engine.errors import ConcurrentModification
from storage import models as m
from storage import repository as repo
from storage.db import DbSettings, make_engine
from storage.prepared import Prepared
from storage.repository import Store
from storage.unit_of_work import Database
from tests.conftest import World

OB = m.Outbox.__table__
AT = datetime(2025, 1, 6, 1, 0, 0, 123456, tzinfo=UTC)
INSERT = Prepared(insert(OB).returning(OB.c.id))
BY_KEY = select(OB).where(OB.c.idempotency_key == bindparam("b_key"))
PREPARED_BY_KEY = Prepared(BY_KEY)
RETRY = Prepared(update(OB).where(OB.c.status == bindparam("b_status")).values(status="RETRY"))


@pytest.fixture(name="db")
def _db(db_url: str) -> Iterator[Database]:
    engine = make_engine(db_url)
    yield Database(engine)
    engine.dispose()


def _row(key: str, **extra: object) -> dict[str, object]:
    return {"case_id": None, "audit_seq": None, "kind": "test", "recipient": "r", "idempotency_key": key,
            "payload": {"名称": "东华社区", "n": [1, None]}, "status": "PENDING", "next_attempt_at": AT,
            "created_at": AT, **extra}


def test_rows_equal_those_of_connection_execute(db: Database) -> None:
    """JSON, aware timestamps and integers come back as Connection.execute returns them, by attribute."""
    with db.transaction() as s:
        new_id = INSERT.one(s.conn, _row("a")).id
    with db.read() as s:
        ours = PREPARED_BY_KEY.one(s.conn, {"b_key": "a"})
        theirs = s.conn.execute(BY_KEY, {"b_key": "a"}).one()
    assert tuple(ours) == tuple(theirs)
    assert (ours.id, ours.payload, ours.created_at) == (new_id, {"名称": "东华社区", "n": [1, None]}, AT)


def test_an_insert_fills_scalar_column_defaults(db: Database) -> None:
    """`attempts` (default 0) is written although the caller does not give it, as SQLAlchemy would."""
    with db.transaction() as s:
        INSERT.one(s.conn, _row("b"))
    with db.read() as s:
        assert PREPARED_BY_KEY.one(s.conn, {"b_key": "b"}).attempts == 0


def test_rowcount_counts_the_rows_an_update_changed(db: Database) -> None:
    """An UPDATE reports how many rows it matched: two, then none once they have moved on."""
    with db.transaction() as s:
        INSERT.one(s.conn, _row("c1"))
        INSERT.one(s.conn, _row("c2"))
        assert RETRY.rowcount(s.conn, {"b_status": "PENDING"}) == 2
        assert RETRY.rowcount(s.conn, {"b_status": "PENDING"}) == 0


def test_one_without_a_row_raises_no_result_found(db: Database) -> None:
    """`one` refuses an empty result the way Result.one does; `first` returns None."""
    with db.read() as s:
        assert PREPARED_BY_KEY.first(s.conn, {"b_key": "missing"}) is None
        with pytest.raises(NoResultFound):
            PREPARED_BY_KEY.one(s.conn, {"b_key": "missing"})


def test_a_unique_violation_is_sqlalchemys_integrity_error_and_rolls_back(db: Database) -> None:
    """A duplicate idempotency key raises sqlalchemy.exc.IntegrityError; the transaction keeps nothing."""
    def twice() -> None:
        with db.transaction() as s:
            INSERT.one(s.conn, _row("dup"))
            INSERT.one(s.conn, _row("dup"))

    with pytest.raises(IntegrityError):
        twice()
    with db.read() as s:
        assert PREPARED_BY_KEY.first(s.conn, {"b_key": "dup"}) is None


def test_a_value_its_type_refuses_is_a_statement_error(db: Database) -> None:
    """A naive datetime is refused by UTCDateTime's bind processing, reported as StatementError."""
    with pytest.raises(StatementError, match="naive datetime refused"), db.transaction() as s:
        INSERT.one(s.conn, _row("naive", created_at=datetime(2025, 1, 6, 9, 0)))


def _postgresql_only(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL behaviour (sessions, lock and statement timeouts)")


def _typed(rows: Any) -> list[tuple[tuple[Any, type], ...]]:
    """Rows as (value, type) pairs: False and 0, a date and its ISO string, must not pass for each other."""
    return [tuple((v, type(v)) for v in row) for row in rows]


def test_every_hot_read_of_the_repository_equals_connection_execute(world: World) -> None:
    """Each Prepared SELECT of storage.repository (JSON, Date, Boolean, UTCDateTime and BigInteger columns, a
    join) gives the values and Python types Connection.execute gives for the same statement."""
    app = world.app
    app.admin.add_term("DQ", 1, date(2024, 1, 1), pay_standard=72000)
    opened = app.engine.open_case("resignation", "zhang", {"submitted_on": "2025-01-06", "written": True,
                                                           "document_ref": "D1"}, worker_id=world.worker_id)
    with app.db.transaction() as s:
        community = s.community_by_code("C1")
        reads: list[tuple[Prepared, dict[str, Any]]] = [
            (repo._GET_CASE, {"b_id": opened.case_id}),
            (repo._WORKER, {"b_id": world.worker_id}),
            (repo._USER_BY_LOGIN, {"b_login": "zhang"}),
            (repo._COMMUNITY, {"b_id": community.id}),
            (repo._TERMS_OF_DISTRICT, {"b_district": community.district_id}),
            (repo._CALENDAR_HEADS, {}),
            (repo._HEAD_FOR_UPDATE, {}),
        ]
        for prepared, params in reads:
            ours = prepared.all(s.conn, params)
            theirs = s.conn.execute(prepared.statement, params).all()
            assert ours or prepared is repo._CALENDAR_HEADS, f"no rows to compare: {params}"
            assert _typed(ours) == _typed(theirs)
            assert [r._fields for r in ours] == [tuple(r._fields) for r in theirs]


def test_each_engine_writes_json_with_its_own_serializer(db_url: str) -> None:
    """Two engines in one process with different json_serializers each write JSON with their own, as
    Connection.execute does: compiled forms (with their bind processors) are not shared by dialect name."""
    insert_ = Prepared(insert(OB).returning(OB.c.id))
    escaping = make_engine(db_url, json_serializer=lambda v: json.dumps(v, ensure_ascii=True))
    plain = make_engine(db_url)
    try:
        for engine, key in ((escaping, "escaped"), (plain, "utf8")):
            with Database(engine).transaction() as s:
                insert_.one(s.conn, _row(key))
        with plain.connect() as conn:
            rows = conn.execute(text("SELECT idempotency_key, CAST(payload AS TEXT) FROM outbox")).all()
        stored = {key: payload for key, payload in rows}
    finally:
        escaping.dispose()
        plain.dispose()
    assert "\\u4e1c" in stored["escaped"]
    assert "东华社区" not in stored["escaped"]
    assert "东华社区" in stored["utf8"]


def test_a_read_snapshot_begun_by_a_prepared_statement_holds(db: Database) -> None:
    """When a Prepared statement is the first of Database.read, it begins the snapshot (SQLite BEGIN;
    PostgreSQL REPEATABLE READ READ ONLY): a change committed meanwhile is unseen until the read ends."""
    with db.transaction() as s:
        INSERT.one(s.conn, _row("snap"))
    with db.read() as s:
        before = PREPARED_BY_KEY.one(s.conn, {"b_key": "snap"}).status
        with db.transaction() as w:
            assert RETRY.rowcount(w.conn, {"b_status": "PENDING"}) == 1
        during = PREPARED_BY_KEY.one(s.conn, {"b_key": "snap"}).status
        if db.postgresql:
            setting = select(func.current_setting(literal("transaction_isolation")).label("i"),
                             func.current_setting(literal("transaction_read_only")).label("ro"))
            assert tuple(Prepared(setting).one(s.conn)) == ("repeatable read", "on")
    with db.read() as s:
        after = PREPARED_BY_KEY.one(s.conn, {"b_key": "snap"}).status
    assert (before, during, after) == ("PENDING", "PENDING", "RETRY")


@pytest.mark.parametrize(("sqlstate", "settings", "statement"), [
    pytest.param("55P03", DbSettings(lock_timeout_ms=200), RETRY, id="55P03-lock-timeout"),
    pytest.param("57014", DbSettings(statement_timeout_ms=200), Prepared(select(func.pg_sleep(5).label("x"))),
                 id="57014-statement-timeout"),
])
def test_a_timeout_in_a_prepared_statement_is_db_busy(
        db_url: str, sqlstate: str, settings: DbSettings, statement: Prepared) -> None:
    """A lock or statement timeout raised by a Prepared statement arrives as SQLAlchemy's OperationalError
    with its SQLSTATE, so Database.transaction reports it as a conflict (DB_BUSY) and rolls back."""
    _postgresql_only(db_url)
    engine = make_engine(db_url, settings=settings)
    db = Database(engine)
    try:
        with db.transaction() as s:
            INSERT.one(s.conn, _row("held"))

        def blocked() -> None:
            with db.transaction() as s:
                INSERT.one(s.conn, _row("lost"))
                if statement is RETRY:
                    RETRY.rowcount(s.conn, {"b_status": "PENDING"})
                else:
                    statement.one(s.conn)

        with engine.connect() as other:
            other.execute(text("SELECT id FROM outbox WHERE idempotency_key = 'held' FOR UPDATE"))
            with pytest.raises(ConcurrentModification) as info:
                blocked()
            other.rollback()
        assert info.value.code == "DB_BUSY"
        assert isinstance(info.value.__cause__, OperationalError)
        assert info.value.__cause__.orig.sqlstate == sqlstate  # type: ignore[union-attr]
        with db.read() as s:
            assert PREPARED_BY_KEY.first(s.conn, {"b_key": "lost"}) is None
    finally:
        engine.dispose()


def test_a_lost_connection_is_invalidated_and_its_error_reported(db: Database) -> None:
    """A server that ends the session mid-transaction gives the statement's own OperationalError, marked
    connection_invalidated, and the connection is dropped, not rolled back (as Connection.execute does);
    the next transaction works on a new connection."""
    _postgresql_only(str(db.engine.url))
    backend = Prepared(select(func.pg_backend_pid().label("pid")))
    pids = []

    def killed() -> None:
        with db.transaction() as s:
            pids.append(backend.one(s.conn).pid)
            with db.engine.connect() as killer:
                killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pids[0]})
            PREPARED_BY_KEY.first(s.conn, {"b_key": "x"})

    with pytest.raises(OperationalError) as info:
        killed()
    assert info.value.connection_invalidated
    assert "outbox" in str(info.value.statement)
    with db.transaction() as s:
        assert backend.one(s.conn).pid != pids[0]


def _append(store: Store, action: str) -> int:
    return store.append_audit(case_id=None, procedure=None, action=action, from_state=None, to_state=None,
                              actor_login="t", actor_name="t", role="ADMIN", at=AT, body={})


def test_a_read_snapshot_never_appends_to_the_audit_chain(db: Database) -> None:
    """append_audit on the Store of Database.read is refused on both databases; the chain is unchanged."""
    with db.read() as s:
        head = s.audit_head()
        with pytest.raises(RuntimeError, match="read snapshot"):
            _append(s, "test.read")
    with db.read() as s:
        assert s.audit_head() == head


def test_an_append_rolled_back_with_its_savepoint_leaves_no_stale_head(db: Database) -> None:
    """An entry appended inside a savepoint that is rolled back takes the head with it: the next append
    follows the head the database kept, and the chain verifies gap-free."""
    with db.read() as s:
        start = s.audit_head()[0]
    with db.transaction() as s:
        first = _append(s, "test.kept")
        savepoint = s.conn.begin_nested()
        _append(s, "test.undone")
        savepoint.rollback()
        second = _append(s, "test.kept")
        nested = s.conn.begin_nested()
        third = _append(s, "test.released")
        nested.commit()
        fourth = _append(s, "test.kept")
    with db.read() as s:
        report = verify(s.audit_entries(), *s.audit_head())
        actions = [e.action for e in s.audit_entries(after_seq=start)]
    assert (first, second, third, fourth) == (start + 1, start + 2, start + 3, start + 4)
    assert actions == ["test.kept", "test.kept", "test.released", "test.kept"]
    assert report.ok
