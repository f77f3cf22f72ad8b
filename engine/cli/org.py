"""`shequ org`: districts, streets (街道/镇), communities with their staffing limits (编制限额)."""

from __future__ import annotations

from dataclasses import asdict

import click

from engine import queries
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit
from engine.policy import REFERENCE_PACK
from engine.text import t
from storage.records import DEFAULT_STREET_KIND, STREET_KINDS


@click.group("org", cls=ShequGroup, help=t("cli.help.org"))
def group() -> None:
    pass


@group.group("district", help=t("cli.help.org_district"))
def district() -> None:
    pass


@group.group("street", help=t("cli.help.org_street"))
def street() -> None:
    pass


@group.group("community", help=t("cli.help.org_community"))
def community() -> None:
    pass


@group.group("staffing", help=t("cli.help.org_staffing"))
def staffing() -> None:
    pass


@district.command("add", help=t("cli.help.org_district_add"))
@click.argument("code")
@click.argument("name")
@click.option("--pack", default=REFERENCE_PACK, show_default=True, help=t("cli.help.opt_pack"))
@pass_state
def district_add(state: State, code: str, name: str, pack: str) -> None:
    new_id = state.app().admin.add_district(code, name, pack, by=state.login)
    emit(state.json, {"district": {"id": new_id, "code": code, "name": name, "pack": pack}},
         [t("cli.org.district_added", code=code, name=name, pack=pack)])


@street.command("add", help=t("cli.help.org_street_add"))
@click.argument("district_code", metavar="DISTRICT")
@click.argument("code")
@click.argument("name")
@click.option("--kind", type=click.Choice(list(STREET_KINDS)), default=DEFAULT_STREET_KIND, show_default=True,
              help=t("cli.help.opt_kind"))
@pass_state
def street_add(state: State, district_code: str, code: str, name: str, kind: str) -> None:
    new_id = state.app().admin.add_street(district_code, code, name, kind, by=state.login)
    emit(state.json, {"street": {"id": new_id, "district": district_code, "code": code, "name": name,
                                 "kind": kind}},
         [t("cli.org.street_added", district=district_code, code=code, name=name, kind=kind)])


@community.command("add", help=t("cli.help.org_community_add"))
@click.argument("street_code", metavar="STREET")
@click.argument("code")
@click.argument("name")
@click.option("--staffing", "staffing_limit", type=int, required=True, help=t("cli.help.opt_staffing"))
@pass_state
def community_add(state: State, street_code: str, code: str, name: str, staffing_limit: int) -> None:
    new_id = state.app().admin.add_community(street_code, code, name, staffing_limit, by=state.login)
    emit(state.json, {"community": {"id": new_id, "street": street_code, "code": code, "name": name,
                                    "staffing_limit": staffing_limit}},
         [t("cli.org.community_added", street=street_code, code=code, name=name, limit=staffing_limit)])


@staffing.command("set", help=t("cli.help.org_staffing_set"))
@click.argument("community_code", metavar="COMMUNITY")
@click.argument("limit", type=int)
@pass_state
def staffing_set(state: State, community_code: str, limit: int) -> None:
    state.app().admin.set_staffing_limit(community_code, limit, by=state.login)
    emit(state.json, {"community": community_code, "staffing_limit": limit},
         [t("cli.org.staffing_set", code=community_code, limit=limit)])


@group.command("list", help=t("cli.help.org_list"))
@pass_state
def list_cmd(state: State) -> None:
    tree = queries.org_tree(state.app().db)
    lines: list[str] = []
    for d in tree:
        lines.append(t("cli.org.tree_district", code=d.code, name=d.name, pack=d.pack))
        for s in d.streets:
            lines.append(t("cli.org.tree_street", code=s.code, name=s.name, kind=s.kind))
            for c in s.communities:
                lines.append(t("cli.org.tree_community", code=c.code, name=c.name, limit=c.staffing_limit,
                               in_service=c.in_service))
    if not tree:
        lines.append(t("cli.common.empty"))
    emit(state.json, {"districts": [asdict(d) for d in tree]}, lines)
