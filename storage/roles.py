"""Least-privilege roles on PostgreSQL: `storage/sql/roles.sql` rendered with two role names and run in one
transaction (`shequ db roles`), or printed for psql (docs/POSTGRESQL.md, "Roles")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import Engine, text

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_VARIABLE = re.compile(r":'(owner|app)'")


class SchemaMissing(LookupError):
    """The database has no shequ-flow tables yet (`shequ db upgrade` first)."""


class RoleNameInvalid(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class RolesResult:
    owner: str
    app: str
    created: tuple[str, ...]  # roles that did not exist before
    passwords_set: tuple[str, ...]


def script() -> str:
    return (resources.files("storage") / "sql" / "roles.sql").read_text(encoding="utf-8")


def render(owner: str, app: str) -> str:
    """The script with psql's `:'owner'`/`:'app'` replaced by the names (checked: lower-case identifiers)."""
    for name in (owner, app):
        if not ROLE_NAME.match(name):
            raise RoleNameInvalid(name)
    names = {"owner": owner, "app": app}
    return _VARIABLE.sub(lambda m: f"'{names[m.group(1)]}'", script())


def apply(engine: Engine, owner: str, app: str, passwords: dict[str, str] | None = None) -> RolesResult:
    """Run the script (and set the given passwords) in one transaction on `engine`'s database."""
    from psycopg import sql

    body = render(owner, app)
    passwords = passwords or {}
    with engine.begin() as conn:
        if conn.execute(text("SELECT to_regclass('audit_entries') IS NULL")).scalar():
            raise SchemaMissing(engine.url.database)
        existing = {r[0] for r in conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname IN (:o, :a)"),
                                               {"o": owner, "a": app})}
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute(body)  # no parameters: psycopg sends the whole script as one simple query
        for role, password in passwords.items():
            raw.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role),
                                                                    sql.Literal(password)))
    created = tuple(r for r in (owner, app) if r not in existing)
    return RolesResult(owner, app, created, tuple(passwords))
