"""`shequ case`: open, fire, preview, show, list and withdraw cases, all through the engine's one
write path (`Engine.open_case`, `Engine.fire`) as the `--as` user. Nothing here is procedure-specific
except `withdraw`, which fires the trigger of that name.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from engine import queries
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import brief, deadline_lines, emit, fmt, labelled, table, timeline_lines, when
from engine.cli.params import build_payload, payload_options
from engine.errors import NotFound
from engine.service import TransitionResult, TriggerPreview
from engine.text import join_list, t

WITHDRAW_TRIGGER = "withdraw"


@click.group("case", cls=ShequGroup, help=t("cli.help.case"))
def group() -> None:
    pass


def _result_dict(result: TransitionResult) -> dict[str, Any]:
    proc = result.procedure
    data = result.to_dict()
    data["procedure_title"] = queries.procedure_title(proc)
    data["state_label"] = queries.state_label(proc, result.state)
    for step in data["steps"]:
        step["trigger_label"] = queries.action_label(proc, step["trigger"])
        step["from_label"] = queries.state_label(proc, step["from_state"])
        step["to_label"] = queries.state_label(proc, step["to_state"])
        step["role_label"] = queries.role_label(step["role"])
    return data


def _show_result(state: State, result: TransitionResult) -> None:
    data = _result_dict(result)
    lines = [t("cli.case.result_head", id=result.case_id, title=data["procedure_title"],
               state=labelled(data["state_label"], result.state), version=result.version)]
    for step in data["steps"]:
        lines.append(t("cli.case.result_step", trigger=labelled(step["trigger_label"], step["trigger"]),
                       source=step["from_label"] or "—", dest=step["to_label"], actor=step["actor"],
                       role=step["role_label"], seq=step["audit_seq"]))
        for warning in step["warnings"]:
            lines.append(t("cli.case.warning", message=warning))
        for override in step["overridden"]:
            lines.append(t("cli.case.overridden", code=override.get("code"), reason=override.get("reason")))
    emit(state.json, data, lines)


@group.command("open", help=t("cli.help.case_open"))
@click.argument("procedure")
@click.option("--worker", "worker_id", type=int, help=t("cli.help.opt_case_worker"))
@click.option("--community", help=t("cli.help.opt_case_community"))
@click.option("--parent", "parent_case_id", type=int, help=t("cli.help.opt_parent"))
@payload_options
@pass_state
def open_cmd(state: State, procedure: str, worker_id: int | None, community: str | None,
             parent_case_id: int | None, sets: tuple[str, ...], data: str | None,
             overrides: tuple[str, ...]) -> None:
    login = state.acting()
    payload = build_payload(data, sets, overrides)
    app = state.app()
    community_id = queries.community_id(app.db, community) if community else None
    result = app.engine.open_case(procedure, login, payload, worker_id=worker_id, community_id=community_id,
                                  parent_case_id=parent_case_id)
    _show_result(state, result)


@group.command("fire", help=t("cli.help.case_fire"))
@click.argument("case_id", type=int, metavar="CASE")
@click.argument("trigger")
@click.option("--expect-version", "expected_version", type=int, help=t("cli.help.opt_expect_version"))
@payload_options
@pass_state
def fire_cmd(state: State, case_id: int, trigger: str, expected_version: int | None, sets: tuple[str, ...],
             data: str | None, overrides: tuple[str, ...]) -> None:
    login = state.acting()
    payload = build_payload(data, sets, overrides)
    result = state.app().engine.fire(case_id, trigger, login, payload, expected_version=expected_version)
    _show_result(state, result)


@group.command("withdraw", help=t("cli.help.case_withdraw"))
@click.argument("case_id", type=int, metavar="CASE")
@click.option("--expect-version", "expected_version", type=int, help=t("cli.help.opt_expect_version"))
@payload_options
@pass_state
def withdraw_cmd(state: State, case_id: int, expected_version: int | None, sets: tuple[str, ...],
                 data: str | None, overrides: tuple[str, ...]) -> None:
    login = state.acting()
    payload = build_payload(data, sets, overrides)
    app = state.app()
    code = queries.case_row(app.db, case_id).procedure
    proc = app.engine.procedure(code)
    if proc.step(WITHDRAW_TRIGGER) is None:
        raise NotFound("CLI_NO_WITHDRAW", t("cli.errors.no_withdraw", case=case_id, procedure=code,
                                            title=queries.procedure_title(code)))
    result = app.engine.fire(case_id, WITHDRAW_TRIGGER, login, payload, expected_version=expected_version)
    _show_result(state, result)


def _preview_dict(code: str, p: TriggerPreview) -> dict[str, Any]:
    return {
        "trigger": p.trigger, "trigger_label": queries.action_label(code, p.trigger),
        "dest": p.dest, "dest_label": queries.state_label(code, p.dest),
        "roles": list(p.roles), "role_labels": [queries.role_label(r) for r in p.roles],
        "permitted": p.permitted, "automatic": p.automatic, "would_pass": p.would_pass,
        "missing_fields": [{"field": f, "label": queries.field_label(f)} for f in p.missing_fields],
        "failures": list(p.failures), "passes": list(p.passes), "warnings": list(p.warnings),
        "then": [_preview_dict(code, x) for x in p.then],
    }


def _rule_lines(item: dict[str, Any], indent: str = "") -> list[str]:
    """One line per failing, passing and warning guard: rule id, message, citation."""
    lines: list[str] = []
    for key, kind in (("failures", "failure"), ("passes", "pass"), ("warnings", "warning")):
        for v in item[key]:
            lines.append(indent + t(f"cli.preview.{kind}", rule=v.get("rule_id") or v.get("code"),
                                    message=v.get("message", ""), citation=v.get("citation") or "—"))
    return lines


def _preview_lines(item: dict[str, Any]) -> list[str]:
    mark = t("cli.preview.ok") if item["would_pass"] else t("cli.preview.blocked")
    dest = item["dest_label"] if item["dest"] != "=" else t("cli.preview.same_state")
    lines = [t("cli.preview.trigger", mark=mark, trigger=labelled(item["trigger_label"], item["trigger"]),
               dest=dest)]
    who = join_list(item["role_labels"]) or "—"
    lines.append(t("cli.preview.roles", roles=who,
                   you=t("cli.preview.you_may") if item["permitted"] else t("cli.preview.you_may_not")))
    if item["automatic"]:
        lines.append(t("cli.preview.automatic"))
    if item["missing_fields"]:
        missing = join_list(t("text.labelled", label=m["label"], code=m["field"])
                            for m in item["missing_fields"])
        lines.append(t("cli.preview.missing", fields=missing))
    lines += _rule_lines(item)
    for auto in item["then"]:
        mark = t("cli.preview.ok") if auto["would_pass"] else t("cli.preview.blocked")
        dest = auto["dest_label"] if auto["dest"] != "=" else t("cli.preview.same_state")
        trigger = labelled(auto["trigger_label"], auto["trigger"])
        lines.append(t("cli.preview.then", mark=mark, trigger=trigger, dest=dest))
        lines += _rule_lines(auto, t("cli.preview.then_indent"))
    return lines


@group.command("preview", help=t("cli.help.case_preview"))
@click.argument("case_id", type=int, metavar="CASE")
@payload_options
@pass_state
def preview_cmd(state: State, case_id: int, sets: tuple[str, ...], data: str | None,
                overrides: tuple[str, ...]) -> None:
    login = state.acting()
    payload = build_payload(data, sets, overrides)
    app = state.app()
    previews = app.engine.preview(case_id, login, payload)
    row = queries.case_row(app.db, case_id)
    items = [_preview_dict(row.procedure, p) for p in previews]
    lines = [t("cli.preview.head", id=case_id, title=row.procedure_title,
               state=labelled(row.state_label, row.state), version=row.version, login=login)]
    for item in items:
        lines += _preview_lines(item)
    if not items:
        lines.append(t("cli.preview.none"))
    emit(state.json, {"case_id": case_id, "procedure": row.procedure, "state": row.state,
                      "state_label": row.state_label, "version": row.version, "user": login,
                      "triggers": items}, lines)


@group.command("show", help=t("cli.help.case_show"))
@click.argument("case_id", type=int, metavar="CASE")
@pass_state
def show_cmd(state: State, case_id: int) -> None:
    app = state.app()
    s = queries.case_summary(app.db, app.engine.procedures, case_id)
    c = s.case
    worker = t("cli.fmt.worker_ref", name=c.worker_name, id=c.worker_id) if c.worker_id else "—"
    lines = [
        t("cli.case.show_title", id=c.id, title=c.procedure_title, procedure=c.procedure,
          version=s.procedure_version, pack=s.pack, pack_version=s.pack_version),
        t("cli.case.show_state", state=labelled(c.state_label, c.state), version=c.version,
          closed=t("cli.case.closed") if c.closed else t("cli.case.open")),
        t("cli.case.show_subject", worker=worker,
          community=fmt(c.community), street=fmt(s.street), district=fmt(s.district)),
        t("cli.case.show_times", opened=when(c.opened_at), updated=when(c.updated_at)),
    ]
    if s.parent_case_id is not None:
        lines.append(t("cli.case.show_parent", parent=s.parent_case_id))
    lines.append(t("cli.case.data"))
    lines += [t("cli.fmt.item", label=labelled(d.label, d.name), value=brief(d.value)) for d in s.data] \
        or ["  —"]
    lines.append(t("cli.case.open_triggers"))
    lines += [f"  {labelled(o.label, o.trigger)} → {o.dest_label}" for o in s.open_triggers] or ["  —"]
    lines.append(t("cli.case.deadlines"))
    lines += ["  " + line for line in deadline_lines(s.deadlines)] if s.deadlines else ["  —"]
    lines.append(t("cli.case.timeline"))
    lines += ["  " + line for line in timeline_lines(s.timeline, with_case=False)]
    emit(state.json, s.to_dict(), lines)


@group.command("list", help=t("cli.help.case_list"))
@click.option("--procedure", help=t("cli.help.opt_filter_procedure"))
@click.option("--state", "case_state", help=t("cli.help.opt_filter_state"))
@click.option("--worker", "worker_id", type=int, help=t("cli.help.opt_filter_worker"))
@click.option("--open", "open_only", is_flag=True, help=t("cli.help.opt_filter_open"))
@pass_state
def list_cmd(state: State, procedure: str | None, case_state: str | None, worker_id: int | None,
             open_only: bool) -> None:
    rows = queries.list_cases(state.app().db, procedure=procedure, state=case_state, worker_id=worker_id,
                              open_only=open_only)
    headers = [t("cli.case.col_id"), t("cli.case.col_procedure"), t("cli.case.col_state"),
               t("cli.case.col_version"), t("cli.case.col_worker"), t("cli.case.col_community"),
               t("cli.case.col_opened"), t("cli.case.col_updated")]
    lines = table(headers, [(c.id, c.procedure_title, labelled(c.state_label, c.state), c.version,
                             c.worker_name, c.community, when(c.opened_at), when(c.updated_at))
                            for c in rows])
    emit(state.json, {"cases": [asdict(c) for c in rows]}, lines)
