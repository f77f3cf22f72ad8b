"""storage.prepared on both databases: a Prepared statement gives what `Connection.execute` gives for the same
Core statement (rows with processed values, row counts, generated ids, column defaults) and reports errors as
SQLAlchemy's exception classes, so the unit of work and its callers cannot tell the two paths apart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, NoResultFound, StatementError

from storage import models as m
from storage.db import make_engine
from storage.prepared import Prepared
from storage.unit_of_work import Database

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
