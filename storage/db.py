"""Database engines. No module-level engine: callers build one with `make_engine(url)`.

SQLite is the embedded default: WAL journal, `synchronous=FULL` (each commit durable), a busy
timeout, foreign keys on, and `BEGIN IMMEDIATE` so a transaction takes the write lock up front
(two writers never deadlock on a read-to-write upgrade; the loser waits, then sees the new version).

PostgreSQL (docs/POSTGRESQL.md) runs through psycopg 3 at READ COMMITTED, with a connection pool, a statement
timeout, a lock timeout and an idle-in-transaction timeout from `DbSettings` (environment variables
`SHEQU_DB_*`). Its counterpart of `BEGIN IMMEDIATE` is in `storage.unit_of_work`: a write transaction starts
by locking the audit chain's head row.
"""

from __future__ import annotations

import functools
import json
import os
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

DEFAULT_URL = "sqlite:///shequ.db"
ENV_VAR = "SHEQU_DB"


@dataclass(frozen=True)
class DbSettings:
    """Server-database settings; each has an environment variable (`SHEQU_DB_<NAME>`, upper case).

    They apply to PostgreSQL. SQLite has its own: a 30 s busy timeout, after which "database is locked" is a
    conflict (DB_BUSY), not retried again.
    """

    pool_size: int = 5  # connections kept open per process
    max_overflow: int = 5  # extra connections under load, closed when returned
    pool_timeout_s: int = 30  # wait for a free connection before failing
    statement_timeout_ms: int = 30_000  # any one statement (0 = none)
    lock_timeout_ms: int = 10_000  # any one lock wait, e.g. for the audit head (0 = none)
    idle_tx_timeout_ms: int = 60_000  # a session idle inside a transaction is ended (frees its locks)
    retries: int = 5  # retries of a transaction's start after a deadlock/serialization failure/lock timeout
    retry_backoff_ms: int = 50  # first backoff; doubled per retry, with full jitter, at most 2 s

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DbSettings:
        env = os.environ if env is None else env
        values: dict[str, int] = {}
        for f in fields(cls):
            raw = env.get(f"SHEQU_DB_{f.name.upper()}")
            if raw is None or raw.strip() == "":
                continue
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"SHEQU_DB_{f.name.upper()} must be an integer, got {raw!r}") from None
            if value < 0:
                raise ValueError(f"SHEQU_DB_{f.name.upper()} must not be negative, got {value}")
            values[f.name] = value
        return cls(**values)


_SETTINGS: weakref.WeakKeyDictionary[Engine, DbSettings] = weakref.WeakKeyDictionary()


def settings_of(engine: Engine) -> DbSettings:
    """The settings `make_engine` built this engine with (the environment's, for any other engine)."""
    return _SETTINGS.get(engine) or DbSettings.from_env()


def resolve_url(url: str | None) -> str:
    if url:
        return url if "://" in url else f"sqlite:///{url}"
    return os.environ.get(ENV_VAR) or DEFAULT_URL


def is_postgresql(url: str) -> bool:
    return re.match(r"^postgres(ql)?(\+\w+)?://", url) is not None


def driver_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 (SQLAlchemy's default driver differs by version)."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


# JSON columns hold Chinese text as UTF-8, not \uXXXX escapes: half the bytes to write, read and parse.
_json_dumps = functools.partial(json.dumps, ensure_ascii=False)


def make_engine(url: str | None = None, settings: DbSettings | None = None, **kwargs: Any) -> Engine:
    url = resolve_url(url)
    kwargs.setdefault("json_serializer", _json_dumps)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    settings = settings or DbSettings.from_env()
    if is_postgresql(url):
        url = driver_url(url)
        if url.startswith("postgresql+psycopg://"):
            try:
                import psycopg  # noqa: F401
            except ImportError:  # pragma: no cover - depends on the installation
                raise RuntimeError("PostgreSQL needs psycopg 3: pip install 'shequ-flow[postgresql]'"
                                   ) from None
        options = (f"-c statement_timeout={settings.statement_timeout_ms} "
                   f"-c lock_timeout={settings.lock_timeout_ms} "
                   f"-c idle_in_transaction_session_timeout={settings.idle_tx_timeout_ms}")
        connect_args = {"options": options, "application_name": "shequ", **kwargs.pop("connect_args", {})}
        kwargs.setdefault("isolation_level", "READ COMMITTED")  # storage.unit_of_work relies on it
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", settings.pool_size)
            kwargs.setdefault("max_overflow", settings.max_overflow)
            kwargs.setdefault("pool_timeout", settings.pool_timeout_s)
        kwargs["connect_args"] = connect_args
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    _SETTINGS[engine] = settings
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Read snapshots (Database.read) take no write lock; every transaction that may write does.
        if conn.get_execution_options().get("shequ_readonly"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    return None
