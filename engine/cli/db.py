"""`shequ db`: schema migrations (Alembic, through storage.migrate) and PostgreSQL roles (storage.roles)."""

from __future__ import annotations

import os
from typing import Any

import click

from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit
from engine.errors import InvalidInput
from engine.text import join_list, t
from storage.db import is_postgresql, make_engine
from storage.migrate import alembic_config, current_revision, upgrade


@click.group("db", cls=ShequGroup, help=t("cli.help.db"))
def group() -> None:
    pass


def _head(sa_engine: Any) -> str | None:
    """The newest migration shipped with this version (Alembic metadata only, no SQL)."""
    from alembic.script import ScriptDirectory

    head: str | None = ScriptDirectory.from_config(alembic_config(sa_engine)).get_current_head()
    return head


@group.command("upgrade", help=t("cli.help.db_upgrade"))
@pass_state
def upgrade_cmd(state: State) -> None:
    engine = make_engine(state.url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    emit(state.json, {"db": state.shown_url, "from_revision": before, "revision": after},
         [t("cli.db.upgraded", db=state.shown_url, before=before or "—", after=after or "—")])


@group.command("status", help=t("cli.help.db_status"))
@pass_state
def status_cmd(state: State) -> None:
    engine = make_engine(state.url)
    try:
        current = current_revision(engine)
        head = _head(engine)
    finally:
        engine.dispose()
    up_to_date = current is not None and current == head
    emit(state.json, {"db": state.shown_url, "revision": current, "head": head, "up_to_date": up_to_date},
         [t("cli.db.status", db=state.shown_url, revision=current or t("cli.db.none"), head=head or "—"),
          t("cli.db.up_to_date") if up_to_date else t("cli.db.needs_upgrade")])


@group.command("roles", help=t("cli.help.db_roles"))
@click.option("--owner", default="shequ_owner", show_default=True, help=t("cli.help.opt_db_roles_owner"))
@click.option("--app", "app_role", default="shequ_app", show_default=True,
              help=t("cli.help.opt_db_roles_app"))
@click.option("--owner-password-env", metavar="VAR", help=t("cli.help.opt_db_roles_owner_password"))
@click.option("--app-password-env", metavar="VAR", help=t("cli.help.opt_db_roles_app_password"))
@click.option("--print", "print_sql", is_flag=True, help=t("cli.help.opt_db_roles_print"))
@pass_state
def roles_cmd(state: State, owner: str, app_role: str, owner_password_env: str | None,
              app_password_env: str | None, print_sql: bool) -> None:
    """Least privilege on PostgreSQL (storage/sql/roles.sql, docs/POSTGRESQL.md)."""
    from storage import roles

    try:
        sql_text = roles.render(owner, app_role)
    except roles.RoleNameInvalid as exc:
        raise InvalidInput("DB_ROLES_NAME_INVALID", details={"name": exc.name}) from None
    if owner == app_role:
        raise InvalidInput("DB_ROLES_SAME", details={"name": owner})
    if print_sql:
        click.echo(sql_text, nl=False)
        return
    if not is_postgresql(state.url):
        raise InvalidInput("DB_ROLES_POSTGRESQL_ONLY", details={"db": state.shown_url})
    passwords: dict[str, str] = {}
    for role, var in ((owner, owner_password_env), (app_role, app_password_env)):
        if var:
            if not os.environ.get(var):
                raise InvalidInput("DB_ROLES_PASSWORD_MISSING", details={"var": var, "role": role})
            passwords[role] = os.environ[var]
    engine = make_engine(state.url)
    try:
        result = roles.apply(engine, owner, app_role, passwords)
    except roles.SchemaMissing:
        raise InvalidInput("DB_ROLES_NOT_MIGRATED", details={"db": state.shown_url}) from None
    finally:
        engine.dispose()
    emit(state.json, {"db": state.shown_url, "owner": result.owner, "app": result.app,
                      "created": list(result.created), "passwords_set": list(result.passwords_set)},
         [t("cli.db.roles_done", db=state.shown_url, owner=result.owner, app=result.app),
          t("cli.db.roles_created", roles=join_list(result.created)) if result.created
          else t("cli.db.roles_existed"),
          t("cli.db.roles_rules", app=result.app)])
