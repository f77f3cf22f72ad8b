"""One transaction = one unit of work (house rule 2). The caller owns it; the engine receives a Store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from engine.errors import ConcurrentModification
from storage.repository import Store


class Database:
    """The engine's handle on persistence: transactions and read snapshots."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Commit on success; roll back everything on any exception."""
        try:
            with self.engine.begin() as conn:
                yield Store(conn)
        except OperationalError as exc:
            if _is_lock_or_serialization(exc):
                raise ConcurrentModification("DB_BUSY", details={"error": str(exc.orig)}) from exc
            raise

    @contextmanager
    def read(self) -> Iterator[Store]:
        with self.engine.connect() as conn:
            conn.execution_options(shequ_readonly=True)
            yield Store(conn)
            conn.rollback()


def _is_lock_or_serialization(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "could not serialize" in text or "deadlock" in text
