"""`shequ procedure`: the declared procedures (workflows.ALL_PROCEDURES) as the engine runs them."""

from __future__ import annotations

from typing import Any

import click

from engine import queries
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, fmt, labelled
from engine.diagram import mermaid
from engine.errors import NotFound
from engine.policy import REFERENCE_PACK, get_pack, load_packs
from engine.spec import SAME, PolicyRole, Procedure, RoleRef, Roles, Step
from engine.text import join_list, t


@click.group("procedure", cls=ShequGroup, help=t("cli.help.procedure"))
def group() -> None:
    pass


def _registry() -> dict[str, Procedure]:
    """Every declared procedure, validated (no database needed)."""
    from workflows import registry

    return registry()


def _get(code: str) -> Procedure:
    procs = _registry()
    if code not in procs:
        raise NotFound("PROCEDURE_NOT_FOUND", details={"procedure": code, "known": join_list(procs)})
    return procs[code]


def _enabled_in(code: str) -> list[str]:
    return [p.code for p in load_packs().values() if p.enabled(f"procedures.{code}")]


def _role(ref: RoleRef) -> dict[str, Any]:
    """A role, or a policy-chosen role with the reference pack's choice (A-21, RES-3)."""
    if isinstance(ref, Roles):
        return {"role": ref.value, "label": queries.role_label(ref.value)}
    assert isinstance(ref, PolicyRole)
    pack = get_pack(REFERENCE_PACK)
    chosen = pack.settings.get(ref.key)
    chosen_label = queries.role_label(str(chosen)) if pack.is_set(ref.key) else t("cli.policy.unspecified")
    return {"policy_key": ref.key, "role": chosen if pack.is_set(ref.key) else None, "pack": REFERENCE_PACK,
            "label": t("cli.procedure.policy_role", key=ref.key, pack=REFERENCE_PACK, role=chosen_label)}


def _step(proc: Procedure, step: Step) -> dict[str, Any]:
    code = proc.code
    return {
        "trigger": step.trigger, "label": queries.action_label(code, step.trigger),
        "source": list(step.source), "source_labels": [queries.state_label(code, s) for s in step.source],
        "dest": step.dest,
        "dest_label": (t("cli.preview.same_state") if step.dest == SAME
                       else queries.state_label(code, step.dest)),
        "roles": [_role(r) for r in step.roles], "automatic": step.automatic,
        "fields": [{"name": f.name, "label": queries.field_label(f.name), "type": f.type.value,
                    "required": f.required, "choices": list(f.choices)} for f in step.fields],
        "guards": [getattr(g, "__name__", repr(g)) for g in step.guards],
        "rule_ids": list(step.rule_ids), "citations": [str(c) for c in step.cites],
        "deadlines": [{"key": d.key, "fires": d.fires, "fires_label": queries.action_label(code, d.fires),
                       "kind": d.kind, "rule_id": d.rule.id, "citation": d.rule.citation}
                      for d in step.starts],
        "notices": [n.kind for n in step.notices],
    }


def _describe(proc: Procedure) -> dict[str, Any]:
    return {
        "code": proc.code, "title": queries.procedure_title(proc.code), "version": proc.version,
        "subject": proc.subject, "parent": proc.parent, "citations": [str(c) for c in proc.cites],
        "initial": proc.initial, "enabled_in": _enabled_in(proc.code),
        "states": [{"state": s, "label": queries.state_label(proc.code, s), "final": s in proc.final,
                    "initial": s == proc.initial} for s in proc.states],
        "steps": [_step(proc, s) for s in proc.steps],
    }


@group.command("list", help=t("cli.help.procedure_list"))
@pass_state
def list_cmd(state: State) -> None:
    procs = [_describe(p) for p in _registry().values()]
    lines = [t("cli.procedure.list_line", code=p["code"], title=p["title"], version=p["version"],
               states=len(p["states"]), steps=len(p["steps"]), packs=fmt(p["enabled_in"])) for p in procs]
    emit(state.json, {"procedures": [{k: p[k] for k in ("code", "title", "version", "subject", "citations",
                                                         "enabled_in")} for p in procs]},
         lines or [t("cli.common.empty")])


def _step_lines(step: dict[str, Any]) -> list[str]:
    source = join_list(labelled(label, code) for code, label in zip(step["source"], step["source_labels"],
                                                                    strict=True)) or t("cli.procedure.opens")
    dest = labelled(step["dest_label"], step["dest"]) if step["dest"] != SAME else step["dest_label"]
    trigger = labelled(step["label"], step["trigger"])
    lines = [t("cli.procedure.step", trigger=trigger, source=source, dest=dest)]
    lines.append(t("cli.procedure.step_roles", roles=join_list(r["label"] for r in step["roles"]),
                   automatic=t("cli.procedure.automatic") if step["automatic"] else ""))
    if step["fields"]:
        optional = t("cli.procedure.optional")
        fields = join_list(t("cli.fmt.field_spec" if f["required"] else "cli.fmt.field_spec_optional",
                             label=f["label"], name=f["name"], type=f["type"], optional=optional)
                           for f in step["fields"])
        lines.append(t("cli.procedure.step_fields", fields=fields))
    if step["guards"]:
        lines.append(t("cli.procedure.step_guards", guards=join_list(step["guards"])))
    lines.append(t("cli.procedure.step_rules", rules=fmt(step["rule_ids"]), citations=fmt(step["citations"])))
    for d in step["deadlines"]:
        fires = labelled(d["fires_label"], d["fires"])
        lines.append(t("cli.procedure.step_deadline", key=d["key"], fires=fires, rule=d["rule_id"],
                       citation=d["citation"]))
    return lines


@group.command("show", help=t("cli.help.procedure_show"))
@click.argument("code")
@pass_state
def show(state: State, code: str) -> None:
    info = _describe(_get(code))
    lines = [t("cli.procedure.title", title=info["title"], code=code, version=info["version"],
               citations=fmt(info["citations"]), packs=fmt(info["enabled_in"]))]
    lines.append(t("cli.procedure.states"))
    for s in info["states"]:
        marks = [t("cli.procedure.initial")] if s["initial"] else []
        marks += [t("cli.procedure.final")] if s["final"] else []
        shown = t("cli.fmt.state_marks", label=s["label"], marks=t("cli.fmt.comma").join(marks)) if marks \
            else s["label"]
        lines.append(f"  {s['state']:<14} {shown}")
    lines.append(t("cli.procedure.steps"))
    for step in info["steps"]:
        lines += _step_lines(step)
    emit(state.json, {"procedure": info}, lines)


@group.command("diagram", help=t("cli.help.procedure_diagram"))
@click.argument("code")
@pass_state
def diagram(state: State, code: str) -> None:
    text = mermaid(_get(code))
    emit(state.json, {"procedure": code, "format": "mermaid", "diagram": text}, text.rstrip("\n"))
