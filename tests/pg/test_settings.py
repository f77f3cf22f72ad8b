"""The PostgreSQL engine and transactions (storage.db, storage.unit_of_work; docs/POSTGRESQL.md): session
settings from DbSettings, READ COMMITTED writes serialised on the audit head, REPEATABLE READ READ ONLY
reads, bounded retries with backoff when the head stays locked, and instants independent of the session's
time zone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from structlog.testing import capture_logs

from engine.errors import ConcurrentModification
from storage.db import DbSettings, make_engine
from storage.repository import Store
from storage.unit_of_work import Database
from tests.support.postgres import Server

SETTINGS = DbSettings(pool_size=3, max_overflow=1, statement_timeout_ms=4000, lock_timeout_ms=150,
                      idle_tx_timeout_ms=9000, retries=2, retry_backoff_ms=10)


@pytest.fixture(name="engine")
def _engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url.replace("postgresql+psycopg://", "postgresql://"), SETTINGS)
    yield engine
    engine.dispose()


def test_sessions_carry_the_configured_timeouts(engine: Engine) -> None:
    """Statement, lock and idle-in-transaction timeouts, the application name and READ COMMITTED."""
    assert engine.dialect.driver == "psycopg"
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 1)  # type: ignore[attr-defined]
    with engine.connect() as conn:
        shown = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in (
            "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "application_name",
            "transaction_isolation")}
    assert shown == {"statement_timeout": "4s", "lock_timeout": "150ms",
                     "idle_in_transaction_session_timeout": "9s", "application_name": "shequ",
                     "transaction_isolation": "read committed"}


def test_reads_are_one_read_only_snapshot(engine: Engine) -> None:
    """A read sees REPEATABLE READ and refuses to write."""
    db = Database(engine)
    with db.read() as s:
        assert s.conn.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"
        with pytest.raises(DBAPIError, match="read-only transaction"):
            s.conn.execute(text("UPDATE audit_head SET seq = seq"))


def test_a_write_transaction_holds_the_audit_head_from_its_start(engine: Engine) -> None:
    """While one write transaction is open, another cannot start: it retries with backoff, then reports a
    conflict (DB_BUSY); once the first commits, it starts."""
    db = Database(engine)
    with db.transaction() as first:
        first.conn.execute(text("SELECT 1"))
        with capture_logs() as logs, pytest.raises(ConcurrentModification) as busy, db.transaction():
            pytest.fail("started while the head was held")
    assert busy.value.code == "DB_BUSY"
    retries = [e for e in logs if e["event"] == "db_busy_retry"]
    assert [e["attempt"] for e in retries] == [1, 2]
    assert {e["sqlstate"] for e in retries} == {"55P03"}  # lock_not_available: the lock timeout
    with db.transaction() as second:
        assert second.audit_head()[0] == 0


def test_a_waiting_writer_starts_as_soon_as_the_head_is_free(engine: Engine) -> None:
    """A writer that waits (within the lock timeout) for the head sees what the first one committed."""
    db = Database(make_engine(str(engine.url.render_as_string(hide_password=False)),
                              DbSettings(lock_timeout_ms=20_000)))
    seen: list[int] = []
    holding, done = threading.Event(), threading.Event()

    def second() -> None:
        holding.wait(10)
        with db.transaction() as s:
            seen.append(s.audit_head()[0])
        done.set()

    worker = threading.Thread(target=second)
    worker.start()
    try:
        with db.transaction() as first:
            first.append_audit(case_id=None, procedure=None, action="test", from_state=None, to_state=None,
                               actor_login="t", actor_name="t", role="ADMIN",
                               at=datetime(2025, 1, 6, tzinfo=UTC), body={})
            holding.set()
            assert not done.wait(0.3)  # the second writer is blocked behind the head
    finally:
        worker.join(10)
        db.engine.dispose()
    assert seen == [1]


def test_instants_do_not_depend_on_the_session_time_zone(engine: Engine, pg_server: Server) -> None:
    """A server whose sessions run in Asia/Shanghai returns the same UTC instants."""
    at = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
    db = Database(engine)
    with db.transaction() as s:
        s.append_audit(case_id=None, procedure=None, action="test", from_state=None, to_state=None,
                       actor_login="t", actor_name="t", role="ADMIN", at=at, body={})
    with engine.connect() as conn:
        conn.execute(text("SET TIME ZONE 'Asia/Shanghai'"))
        conn.commit()
        (entry,) = list(Store(conn).audit_entries())
        conn.rollback()
    assert entry.at == at
    assert entry.at.tzinfo is not None


def test_a_transaction_on_an_unmigrated_database_needs_no_head(pg_server: Server) -> None:
    """Before `db upgrade` there is no head to lock: the transaction runs (and can say what is missing)."""
    url = pg_server.create("bare")
    engine = make_engine(url)
    try:
        with Database(engine).transaction() as s:
            assert s.conn.execute(text("SELECT to_regclass('audit_head')")).scalar() is None
    finally:
        engine.dispose()
        pg_server.drop(url)
