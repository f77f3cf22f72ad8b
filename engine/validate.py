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
from engine.spec import SAME, Procedure, Roles


def validate(proc: Procedure) -> None:
    problems: list[str] = []
    states = set(proc.states)
    if len(states) != len(proc.states):
        problems.append("状态重复")
    if not proc.final <= states:
        problems.append(f"终态未声明：{sorted(proc.final - states)}")
    opening = [s for s in proc.steps if s.opens_case]
    if len(opening) != 1:
        problems.append(f"应有且只有一个开案步骤，实有 {len(opening)} 个")
    triggers = [s.trigger for s in proc.steps]
    if len(set(triggers)) != len(triggers):
        problems.append("触发器名称重复")
    if not proc.cites:
        problems.append("流程没有依据")

    edges: dict[str, set[str]] = {s: set() for s in states}
    for step in proc.steps:
        where = f"步骤 {step.trigger}"
        for src in step.source:
            if src not in states:
                problems.append(f"{where}：未声明的起始状态 {src}")
            elif src in proc.final:
                problems.append(f"{where}：不得从终态 {src} 出发")
            elif step.dest != SAME:
                edges[src].add(step.dest)
        if step.dest != SAME and step.dest not in states:
            problems.append(f"{where}：未声明的目标状态 {step.dest}")
        if step.dest == SAME and step.opens_case:
            problems.append(f"{where}：开案步骤必须进入一个状态")
        if not step.roles:
            problems.append(f"{where}：没有指定角色")
        if not step.cites:
            problems.append(f"{where}：没有引用依据")
        if step.automatic and tuple(step.roles) != (Roles.SYSTEM,):
            problems.append(f"{where}：自动步骤只能由系统执行")
        for guard in step.guards:
            if not callable(guard):
                problems.append(f"{where}：守卫不是函数")
        started_in = set(step.source) if step.dest == SAME else {step.dest}
        for dl in step.starts:
            target = proc.step(dl.fires)
            if dl.kind == "transition" and (target is None or not started_in <= set(target.source)):
                problems.append(f"{where}：期限 {dl.key} 触发的步骤 {dl.fires} 在该状态不可用")

    if opening and not problems:
        reachable = _reach(opening[0].dest, edges)
        unreachable = states - reachable
        if unreachable:
            problems.append(f"不可达状态：{sorted(unreachable)}")
        reverse: dict[str, set[str]] = {s: set() for s in states}
        for src, dests in edges.items():
            for d in dests:
                reverse[d].add(src)
        can_finish: set[str] = set()
        for f in proc.final:
            can_finish |= _reach(f, reverse)
        dead = states - can_finish
        if dead:
            problems.append(f"死路状态（无法到达终态）：{sorted(dead)}")

    problems.extend(_missing_labels(proc))
    if problems:
        raise DefinitionError(f"{proc.code}: " + "；".join(problems))


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
    return [f"缺少中文文字：{', '.join(missing)}"] if missing else []
