"""`shequ user`: users with their roles and scope (district, street or community)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from engine import queries
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, fmt, table
from engine.spec import Roles
from engine.text import join_list, t
from notifications.recipients import set_contact, validate_contact

ROLE_CHOICES = [r.value for r in Roles if r is not Roles.SYSTEM]


@click.group("user", cls=ShequGroup, help=t("cli.help.user"))
def group() -> None:
    pass


def contact_options(func: Any) -> Any:
    """`--email`, `--phone`, `--webhook`: how the notification channels reach the user."""
    func = click.option("--webhook", metavar="URL", help=t("cli.help.opt_contact_webhook"))(func)
    func = click.option("--phone", help=t("cli.help.opt_contact_phone"))(func)
    return click.option("--email", help=t("cli.help.opt_contact_email"))(func)


@group.command("add", help=t("cli.help.user_add"))
@click.argument("login")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLE_CHOICES),
              help=t("cli.help.opt_role"))
@click.option("--district", help=t("cli.help.opt_scope_district"))
@click.option("--street", help=t("cli.help.opt_scope_street"))
@click.option("--community", help=t("cli.help.opt_scope_community"))
@click.option("--worker", "worker_id", type=int, help=t("cli.help.opt_user_worker"))
@contact_options
@pass_state
def add(state: State, login: str, name: str, roles: tuple[str, ...], district: str | None, street: str | None,
        community: str | None, worker_id: int | None, email: str | None, phone: str | None,
        webhook: str | None) -> None:
    if sum(x is not None for x in (district, street, community)) > 1:
        raise click.UsageError(t("cli.user.one_scope"))
    validate_contact(email, phone, webhook)  # before the user exists: a bad address leaves nothing behind
    new_id = state.app().admin.add_user(login, name, list(roles), district=district, street=street,
                                        community=community, worker_id=worker_id, by=state.login)
    if any(v is not None for v in (email, phone, webhook)):
        set_contact(state.app().admin, login, email=email, phone=phone, webhook=webhook, by=state.login)
    scope = community or street or district
    emit(state.json, {"user": {"id": new_id, "login": login, "name": name, "roles": list(roles),
                               "scope_code": scope, "worker_id": worker_id}},
         [t("cli.user.added", login=login, name=name, roles=join_list(queries.role_label(r) for r in roles),
            scope=scope or "—")])


@group.command("list", help=t("cli.help.user_list"))
@pass_state
def list_cmd(state: State) -> None:
    rows = queries.users(state.app().db)
    headers = [t("cli.user.col_login"), t("cli.user.col_name"), t("cli.user.col_roles"),
               t("cli.user.col_scope"), t("cli.user.col_worker")]
    lines = table(headers, [(u.login, u.name, join_list(u.role_labels), _scope(u.scope_name, u.scope_code),
                             fmt(u.worker_id)) for u in rows])
    emit(state.json, {"users": [asdict(u) for u in rows]}, lines)


@group.command("contact", help=t("cli.help.user_contact"))
@click.argument("login")
@contact_options
@pass_state
def contact(state: State, login: str, email: str | None, phone: str | None, webhook: str | None) -> None:
    view = set_contact(state.app().admin, login, email=email, phone=phone, webhook=webhook, by=state.login)
    emit(state.json, {"login": login, "contact": view},
         [t("cli.user.contact.set", login=login, email=fmt(view["email"]), phone=fmt(view["phone"]),
            webhook=fmt(view["webhook_url"]))])


def _scope(name: str | None, code: str | None) -> str:
    """`东华街道（S1）`, or — for a user without a scope."""
    return t("text.labelled", label=name, code=code) if code else "—"
