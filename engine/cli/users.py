"""`shequ user`: users with their roles and scope (district, street or community)."""

from __future__ import annotations

from dataclasses import asdict

import click

from engine import queries
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, fmt, table
from engine.spec import Roles
from engine.text import t

ROLE_CHOICES = [r.value for r in Roles if r is not Roles.SYSTEM]


@click.group("user", cls=ShequGroup, help=t("cli.help.user"))
def group() -> None:
    pass


@group.command("add", help=t("cli.help.user_add"))
@click.argument("login")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLE_CHOICES),
              help=t("cli.help.opt_role"))
@click.option("--district", help=t("cli.help.opt_scope_district"))
@click.option("--street", help=t("cli.help.opt_scope_street"))
@click.option("--community", help=t("cli.help.opt_scope_community"))
@click.option("--worker", "worker_id", type=int, help=t("cli.help.opt_user_worker"))
@pass_state
def add(state: State, login: str, name: str, roles: tuple[str, ...], district: str | None, street: str | None,
        community: str | None, worker_id: int | None) -> None:
    if sum(x is not None for x in (district, street, community)) > 1:
        raise click.UsageError(t("cli.user.one_scope"))
    new_id = state.app().admin.add_user(login, name, list(roles), district=district, street=street,
                                        community=community, worker_id=worker_id, by=state.login)
    scope = community or street or district
    emit(state.json, {"user": {"id": new_id, "login": login, "name": name, "roles": list(roles),
                               "scope_code": scope, "worker_id": worker_id}},
         [t("cli.user.added", login=login, name=name, roles="、".join(queries.role_label(r) for r in roles),
            scope=scope or "—")])


@group.command("list", help=t("cli.help.user_list"))
@pass_state
def list_cmd(state: State) -> None:
    rows = queries.users(state.app().db)
    headers = [t("cli.user.col_login"), t("cli.user.col_name"), t("cli.user.col_roles"),
               t("cli.user.col_scope"), t("cli.user.col_worker")]
    lines = table(headers, [(u.login, u.name, "、".join(u.role_labels),
                             f"{u.scope_name}（{u.scope_code}）" if u.scope_code else "—", fmt(u.worker_id))
                            for u in rows])
    emit(state.json, {"users": [asdict(u) for u in rows]}, lines)
