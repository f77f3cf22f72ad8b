"""Definition-time checks of a procedure (reject a bad declaration at load, not in production).

A procedure must have one opening step, unique triggers, declared states only, no step out of a
final state, every state reachable from the initial one and able to reach a final one (no dead ends
or traps), a role and a citation on every step, deadlines that fire a step available in the state
they belong to, SYSTEM-only automatic steps, and a Chinese label for every state, trigger and field.
"""

from __future__ import annotations

from collections import deque

from engine import text
from engine.errors import DefinitionError
from engine.spec import SAME, Procedure, Roles, Step


def validate(proc: Procedure) -> None:
    problems = _declaration_problems(proc)
    problems.extend(_missing_labels(proc))
    if problems:
        raise DefinitionError(f"{proc.code}: " + text.join_clauses(problems))


def _declaration_problems(proc: Procedure) -> list[str]:
    problems: list[str] = []
    states = set(proc.states)
    if len(states) != len(proc.states):
        problems.append(text.t("definition.duplicate_states"))
    if not proc.final <= states:
        problems.append(text.t("definition.undeclared_final", states=sorted(proc.final - states)))
    opening = [s for s in proc.steps if s.opens_case]
    if len(opening) != 1:
        problems.append(text.t("definition.opening_count", count=len(opening)))
    triggers = [s.trigger for s in proc.steps]
    if len(set(triggers)) != len(triggers):
        problems.append(text.t("definition.duplicate_triggers"))
    if not proc.cites:
        problems.append(text.t("definition.no_citation"))

    edges: dict[str, set[str]] = {s: set() for s in states}
    for step in proc.steps:
        problems.extend(_step_problems(proc, step, states, edges))

    problems.extend(_order_problems(proc, states))

    if opening and not problems:
        problems.extend(_graph_problems(proc, opening[0].dest, states, edges))
    return problems


def _order_problems(proc: Procedure, states: set[str]) -> list[str]:
    """An ordering rule (OutOfOrder) names existing non-opening triggers and declared, non-final states from
    which each trigger is not open (otherwise the rule could never apply)."""
    found: list[str] = []
    for order in proc.out_of_order:
        for trigger in order.triggers:
            step = proc.step(trigger)
            for state in order.states:
                if (step is None or step.opens_case or state not in states or state in proc.final
                        or state in step.source):
                    found.append(text.t("definition.step", trigger=trigger, problem=text.t(
                        "definition.step_problem.out_of_order", rule=order.rule.code, state=state)))
    return found


def _step_problems(proc: Procedure, step: Step, states: set[str], edges: dict[str, set[str]]) -> list[str]:
    """Problems of one step; records its edges (source → dest) in `edges` on the way."""
    found: list[tuple[str, dict[str, object]]] = []
    for src in step.source:
        if src not in states:
            found.append(("unknown_source", {"state": src}))
        elif src in proc.final:
            found.append(("from_final", {"state": src}))
        elif step.dest != SAME:
            edges[src].add(step.dest)
    if step.dest != SAME and step.dest not in states:
        found.append(("unknown_dest", {"state": step.dest}))
    if step.dest == SAME and step.opens_case:
        found.append(("opening_same", {}))
    if not step.roles:
        found.append(("no_roles", {}))
    if not step.cites:
        found.append(("no_citation", {}))
    if step.automatic and tuple(step.roles) != (Roles.SYSTEM,):
        found.append(("automatic_not_system", {}))
    for guard in step.guards:
        if not callable(guard):
            found.append(("guard_not_callable", {}))
    started_in = set(step.source) if step.dest == SAME else {step.dest}
    for dl in step.starts:
        target = proc.step(dl.fires)
        if dl.kind == "transition" and (target is None or not started_in <= set(target.source)):
            found.append(("deadline_unavailable", {"key": dl.key, "fires": dl.fires}))
    return [
        text.t("definition.step", trigger=step.trigger,
               problem=text.t(f"definition.step_problem.{key}", **params))
        for key, params in found
    ]


def _graph_problems(proc: Procedure, initial: str, states: set[str], edges: dict[str, set[str]]) -> list[str]:
    """Unreachable states and dead ends (states from which no final state can be reached)."""
    problems: list[str] = []
    reachable = _reach(initial, edges)
    unreachable = states - reachable
    if unreachable:
        problems.append(text.t("definition.unreachable", states=sorted(unreachable)))
    reverse: dict[str, set[str]] = {s: set() for s in states}
    for src, dests in edges.items():
        for d in dests:
            reverse[d].add(src)
    can_finish: set[str] = set()
    for f in proc.final:
        can_finish |= _reach(f, reverse)
    dead = states - can_finish
    if dead:
        problems.append(text.t("definition.dead_ends", states=sorted(dead)))
    return problems


def _reach(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _missing_labels(proc: Procedure) -> list[str]:
    base = f"procedures.{proc.code}"
    keys = [f"{base}.title"]
    keys += [f"{base}.states.{s}" for s in proc.states]
    keys += [f"{base}.triggers.{s.trigger}" for s in proc.steps]
    keys += [f"fields.{f.name}" for s in proc.steps for f in s.fields]
    missing = sorted({k for k in keys if not text.has(k)})
    return [text.t("definition.missing_labels", keys=", ".join(missing))] if missing else []
