"""`shequ policy`: the settings of a policy pack; UNSPECIFIED values are shown as 未规定 (A-41)."""

from __future__ import annotations

import click

from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, fmt, table
from engine.policy import REFERENCE_PACK, UNSPECIFIED, get_pack, load_packs
from engine.text import t


@click.group("policy", cls=ShequGroup, help=t("cli.help.policy"))
def group() -> None:
    pass


@group.command("list", help=t("cli.help.policy_list"))
@pass_state
def list_cmd(state: State) -> None:
    packs = list(load_packs().values())
    lines = table([t("cli.policy.col_code"), t("cli.policy.col_version"), t("cli.policy.col_name"),
                   t("cli.policy.col_unspecified")],
                  [(p.code, p.version, p.name_zh, sum(1 for v in p.settings.values() if v == UNSPECIFIED))
                   for p in packs])
    emit(state.json, {"packs": [{"code": p.code, "version": p.version, "name": p.name_zh} for p in packs]},
         lines)


@group.command("show", help=t("cli.help.policy_show"))
@click.argument("pack", required=False, default=REFERENCE_PACK)
@click.option("--key", "prefix", metavar="PREFIX", help=t("cli.help.opt_key_prefix"))
@pass_state
def show(state: State, pack: str, prefix: str | None) -> None:
    policy = get_pack(pack)
    keys = sorted(k for k in policy.settings if not prefix or k == prefix or k.startswith(prefix))
    settings = [{"key": k, "value": None if policy.settings[k] == UNSPECIFIED else policy.settings[k],
                 "specified": policy.is_set(k)} for k in keys]
    lines = [t("cli.policy.title", code=policy.code, version=policy.version, name=policy.name_zh)]
    lines += table([t("cli.policy.col_key"), t("cli.policy.col_value")],
                   [(s["key"], fmt(s["value"]) if s["specified"] else t("cli.policy.unspecified"))
                    for s in settings])
    emit(state.json, {"pack": {"code": policy.code, "version": policy.version, "name": policy.name_zh},
                      "settings": settings}, lines)
