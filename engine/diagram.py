"""Mermaid `stateDiagram-v2` of a procedure, generated from its declaration: the same `Procedure`
data the `transitions` machine is compiled from, so the picture cannot drift from the rules.

States are shown with their Chinese labels from the text catalog (`procedures.<code>.states.*`),
edges with the trigger labels; a step that records data without changing state (`dest="="`) is a
self-loop; SYSTEM steps are marked as automatic, deadline-fired or system-taken.
"""

from __future__ import annotations

from engine.spec import SAME, Procedure, Roles
from engine.text import has, t

# Data, not a message: the full-width look-alike that replaces each character Mermaid would parse.
_UNSAFE = {":": "：", '"': "＂", ";": "；", "#": "＃", "\n": " ", "{": "（", "}": "）"}


def _clean(label: str) -> str:
    """Mermaid-safe label text (no `:` `"` `;` `#` braces or newlines, which Mermaid would parse)."""
    return "".join(_UNSAFE.get(ch, ch) for ch in label)


def _label(key: str, fallback: str) -> str:
    return _clean(t(key) if has(key) else fallback)


def mermaid(proc: Procedure) -> str:
    """The diagram text, one statement per line, ready for a ```mermaid block."""
    base = f"procedures.{proc.code}"
    timed = {spec.fires for step in proc.steps for spec in step.starts}
    lines = ["stateDiagram-v2", f"    %% {proc.code} v{proc.version} {_label(base + '.title', proc.code)}"]
    for state in proc.states:
        lines.append(f'    state "{_label(f"{base}.states.{state}", state)}" as {state}')
    opening = proc.opening_step
    opening_label = _label(f"{base}.triggers.{opening.trigger}", opening.trigger)
    lines.append(f"    [*] --> {opening.dest} : {opening_label}")
    for step in proc.steps:
        if step.opens_case:
            continue
        text = _label(f"{base}.triggers.{step.trigger}", step.trigger)
        if step.automatic:
            text += _clean(t("diagram.automatic"))
        elif step.trigger in timed:
            text += _clean(t("diagram.timed"))
        elif tuple(step.roles) == (Roles.SYSTEM,):
            text += _clean(t("diagram.system"))
        for source in step.source:
            dest = source if step.dest == SAME else step.dest
            lines.append(f"    {source} --> {dest} : {text}")
    for state in proc.states:
        if state in proc.final:
            lines.append(f"    {state} --> [*]")
    return "\n".join(lines) + "\n"
