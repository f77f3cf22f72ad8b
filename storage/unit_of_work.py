"""One transaction = one unit of work (house rule 2). The caller owns it; the engine receives a Store.

Write transactions are serialised on both databases, so that guards always read the latest committed state
(no write skew between two cases: a second open resignation of one worker, a staffing limit passed by two
hirings at once) and the audit chain gets one gap-free sequence:

- SQLite: `BEGIN IMMEDIATE` (storage.db) takes the database's write lock up front;
- PostgreSQL: the transaction (READ COMMITTED) starts by locking the audit chain's head row
  (`SELECT … FOR UPDATE`), the row every write appends behind anyway. Each later statement reads a fresh
  snapshot taken after the lock was granted. Deadlocks and serialization failures between two engine
  transactions cannot happen (every one takes the head first); a lock timeout, deadlock or serialization
  failure at that first lock (e.g. behind a long session of someone else) is retried with exponential
  backoff and full jitter, `DbSettings.retries` times, then reported as a conflict (DB_BUSY). The same
  errors later in a transaction roll it back and are reported as DB_BUSY too: the body of a `with`
  block cannot be run twice, and the caller (a person, the next sweep) decides to try again.

Read snapshots (`read`) take no lock; on PostgreSQL they are REPEATABLE READ, READ ONLY, so a long read
(`audit verify`) sees one consistent state, as a SQLite read transaction does.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from sqlalchemy import Connection, Engine, RootTransaction, text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from engine.errors import ConcurrentModification
from storage.db import DbSettings, settings_of
from storage.repository import Store

log = structlog.get_logger("shequ.storage")

# SQLSTATEs of a busy database: serialization_failure, deadlock_detected, lock_not_available (lock_timeout),
# query_canceled (statement_timeout).
BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57014"})
UNDEFINED_TABLE = "42P01"
_LOCK_HEAD = text("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
BACKOFF_CAP_MS = 2000


class Database:
    """The engine's handle on persistence: transactions and read snapshots."""

    def __init__(self, engine: Engine, settings: DbSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or settings_of(engine)
        self.postgresql = engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Commit on success; roll back everything on any exception."""
        try:
            conn, trans, head = self._begin()
            with conn, trans:
                yield Store(conn, head)
        except OperationalError as exc:
            if is_busy(exc):
                raise ConcurrentModification("DB_BUSY", details={"error": str(exc.orig)}) from exc
            raise

    def _begin(self) -> tuple[Connection, RootTransaction, tuple[int, str] | None]:
        """A connection inside a write transaction (PostgreSQL: holding the audit head's lock, whose seq and
        hash are handed to the Store so its first append need not read them again)."""
        attempt = 0
        lock_head = self.postgresql
        while True:
            conn = self.engine.connect()
            try:
                trans = conn.begin()
                head = None
                if lock_head:
                    row = conn.execute(_LOCK_HEAD).one()
                    head = (int(row.seq), str(row.hash))
                return conn, trans, head
            except OperationalError as exc:
                conn.close()
                if not (self.postgresql and is_busy(exc)) or attempt >= self.settings.retries:
                    raise
                delay = random.uniform(0, min(BACKOFF_CAP_MS, self.settings.retry_backoff_ms * 2**attempt))
                attempt += 1
                log.warning("db_busy_retry", attempt=attempt, delay_ms=round(delay), sqlstate=sqlstate(exc))
                time.sleep(delay / 1000)
            except ProgrammingError as exc:
                conn.close()
                if sqlstate(exc) != UNDEFINED_TABLE or not lock_head:
                    raise
                lock_head = False  # not migrated yet: nothing to serialise on (the body says what is missing)
            except BaseException:
                conn.close()
                raise

    @contextmanager
    def read(self) -> Iterator[Store]:
        with self.engine.connect() as conn:
            if self.postgresql:
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            conn.execution_options(shequ_readonly=True)
            yield Store(conn, read_only=True)
            conn.rollback()


def sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def is_busy(exc: DBAPIError) -> bool:
    """A lock or serialization conflict (either database), or a lock/statement timeout (PostgreSQL)."""
    if sqlstate(exc) in BUSY_SQLSTATES:
        return True
    text_ = str(exc.orig).lower()
    return "database is locked" in text_ or "could not serialize" in text_ or "deadlock" in text_
