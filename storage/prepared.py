"""Prepared statements: the few statements every transition runs, executed on the connection's DBAPI cursor.

Why: `Connection.execute` spends 15-25 µs per call on SQLAlchemy's execution context, event dispatch and
result wrapping, more than SQLite needs to run such a statement. The write path runs about ten of them per
transition, which made this overhead its largest CPU cost after the commit's fsync
(`bench/transitions_sqlite.py`).

A `Prepared` statement keeps what SQLAlchemy is there for and skips only the per-call machinery:

- the SQL is SQLAlchemy's, compiled from the Core statement once per dialect (the engine's `Dialect` object:
  two engines do not share forms, since bind and result processors close over the dialect's settings, e.g.
  its `json_serializer`) and set of columns written;
- values go through the column types' bind processors (JSON, UTCDateTime, ...) and rows through their result
  processors, as `Connection.execute` would do; scalar column defaults of an INSERT are filled in;
- an error while executing goes through the Connection's own error handling, as `Connection.execute`'s
  would: DBAPI errors become `sqlalchemy.exc.DBAPIError` subclasses, a lost connection (PostgreSQL) or an
  interrupt (KeyboardInterrupt, SystemExit) invalidates the connection, `handle_error` events run; a value
  its type refuses is a `StatementError`;
- it runs on the Connection's own DBAPI connection, inside its transaction (begun first if need be).

Not supported (use `Connection.execute`): expanding IN parameters, callable column defaults, executemany.
Statement events (`before_cursor_execute`) do not fire for these statements.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.selectable import Select

Processor = Callable[[Any], Any]
_FORMS = "_shequ_prepared_forms"  # attribute of a Dialect: {(Prepared, parameter names): _Form}


@dataclass(frozen=True)
class _Form:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    order: tuple[str, ...] | None  # bind names in SQL order for a positional paramstyle; None: named
    base: dict[str, Any]  # every bind: its literal value or column default (None where the caller gives it)
    processors: tuple[tuple[str, Processor], ...]
    row: Callable[..., Any] | None  # a namedtuple class for the columns a SELECT or RETURNING gives
    result_processors: tuple[Processor | None, ...]


class Prepared:
    """A Core SELECT, UPDATE or INSERT run through `first`, `all` or `rowcount`."""

    def __init__(self, statement: Select[Any] | Update | Insert) -> None:
        self.statement = statement

    # ---------------------------------------------------------------- running
    def all(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        return self._run(conn, params or {}, fetch=True)[0]

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any | None:
        rows = self.all(conn, params)
        return rows[0] if rows else None

    def one(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        rows = self.all(conn, params)
        if len(rows) != 1:
            raise exc.NoResultFound(self.statement) if not rows else exc.MultipleResultsFound(self.statement)
        return rows[0]

    def rowcount(self, conn: Connection, params: Mapping[str, Any] | None = None) -> int:
        return self._run(conn, params or {}, fetch=False)[1]

    def _run(self, conn: Connection, params: Mapping[str, Any], *, fetch: bool) -> tuple[list[Any], int]:
        dialect = conn.dialect
        keys = tuple(sorted(params))
        forms: dict[tuple[Prepared, tuple[str, ...]], _Form] | None = getattr(dialect, _FORMS, None)
        if forms is None:
            forms = dialect.__dict__.setdefault(_FORMS, {})
        form = forms.get((self, keys))
        if form is None:  # two threads may both compile it: equal forms, the last one stays
            form = forms[(self, keys)] = self._compile(dialect, keys)
        values = {**form.base, **params}
        try:
            for name, process in form.processors:
                values[name] = process(values[name])
        except Exception as err:
            raise exc.StatementError(str(err), form.sql, dict(params), err) from err
        bound: Any = tuple(values[name] for name in form.order) if form.order is not None else values
        if not conn.in_transaction():
            conn.begin()
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(form.sql, bound)
            raw = cursor.fetchall() if fetch and form.row is not None else []
            count = cursor.rowcount
        except BaseException as err:
            # SQLAlchemy's handling of a failed execute (it raises): wraps DBAPI errors in its classes, and on
            # a disconnect or an interrupt invalidates the connection (and, on a disconnect, the pool's older
            # connections), so the transaction's end does not try the dead connection again.
            conn._handle_dbapi_exception(err, form.sql, bound, cursor, None)
        finally:
            cursor.close()
        if form.row is None:
            return [], count
        make, procs = form.row, form.result_processors
        rows = [make(*(v if p is None else p(v) for p, v in zip(procs, r, strict=True))) for r in raw]
        return rows, count

    # ---------------------------------------------------------------- compiling
    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Form:
        stmt = self.statement
        column_keys = list(keys) if isinstance(stmt, Insert | Update) else None
        compiled: Any = stmt.compile(dialect=dialect, column_keys=column_keys)
        if compiled.escaped_bind_names or compiled.literal_execute_params or compiled.post_compile_params:
            raise NotImplementedError("Prepared: escaped, literal or expanding binds: use Connection.execute")
        if getattr(compiled, "update_prefetch", None):
            raise NotImplementedError("Prepared: UPDATE with column onupdate needs Connection.execute")
        base: dict[str, Any] = dict(compiled.construct_params(_check=False))
        for column in getattr(compiled, "insert_prefetch", ()) or ():
            default = column.default
            if default is None or not default.is_scalar:
                raise NotImplementedError(f"Prepared: column default of {column} needs Connection.execute")
            if column.key not in keys:
                base[column.key] = default.arg
        processors = []
        for name, bind in compiled.binds.items():
            if name not in base:
                continue
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((name, process))
        columns = list(stmt.exported_columns) if _returns_rows(stmt) else []
        row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None  # type: ignore[misc]
        result_processors = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        order = tuple(compiled.positiontup) if compiled.positional else None
        return _Form(compiled.string, order, base, tuple(processors), row, result_processors)


def _returns_rows(stmt: Any) -> bool:
    return isinstance(stmt, Select) or bool(getattr(stmt, "_returning", ()))
