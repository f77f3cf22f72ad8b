"""Formatting: JSON for machines, aligned Chinese text for people. No command logic here.

Instants are shown in China time (Asia/Shanghai): `2025-01-06 09:00` for people, ISO 8601 with the
`+08:00` offset in JSON. Personal identifiers reach this module already masked (engine.queries).
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import click

from engine.clock import LOCAL_TZ
from engine.queries import procedure_title
from engine.text import join_list, t


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Fraction | Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=_default, indent=2)


def emit(json_mode: bool, data: Mapping[str, Any], lines: Iterable[str] | str) -> None:
    """Success output: `{"ok": true, ...data}` in JSON mode, else the human lines."""
    if json_mode:
        click.echo(dumps({"ok": True, **data}))
        return
    text = lines if isinstance(lines, str) else "\n".join(lines)
    if text:
        click.echo(text)


def when(value: datetime | date | None) -> str:
    """A local time for people: `2025-01-06 09:00` (dates as `2025-01-06`)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        local = value.astimezone(LOCAL_TZ) if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def fmt(value: Any) -> str:
    """One value for people: 是/否 for booleans, — for nothing, lists joined with 、."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return t("cli.common.yes") if value else t("cli.common.no")
    if isinstance(value, datetime | date):
        return when(value)
    if isinstance(value, list | tuple):
        return join_list(fmt(v) for v in value) if value else "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=_default, sort_keys=True)
    return str(value)


BRIEF_COLUMNS = 100  # display columns a human view gives one value before eliding it
BRIEF_ITEMS = 3  # list items a human view shows before summarising the rest


def brief(value: Any) -> str:
    """A value for a human view: long lists summarised, long structures elided (`--json` has it all)."""
    if isinstance(value, list | tuple) and len(value) > BRIEF_ITEMS:
        shown = join_list(fmt(v) for v in value[:BRIEF_ITEMS])
        text = t("cli.common.more_items", shown=shown, count=len(value))
    else:
        text = fmt(value)
    if width(text) <= BRIEF_COLUMNS:
        return text
    cut, used = [], 0
    for ch in text:
        used += width(ch)
        if used > BRIEF_COLUMNS:
            break
        cut.append(ch)
    return "".join(cut) + t("cli.common.elided")


def width(text: str) -> int:
    """Display width in a terminal: CJK wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, size: int) -> str:
    return text + " " * (size - width(text))


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """Aligned columns; the header is followed by a rule. An empty table prints its header only."""
    cells = [[fmt(c) for c in row] for row in rows]
    sizes = [width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            sizes[i] = max(sizes[i], width(cell))
    lines = ["  ".join(_pad(h, sizes[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * s for s in sizes))
    lines += ["  ".join(_pad(c, sizes[i]) for i, c in enumerate(row)).rstrip() for row in cells]
    return lines


def labelled(label: str, code: str | None) -> str:
    """`已提交书面申请（SUBMITTED）`, or just the code when it has no label of its own."""
    if not code:
        return "—"
    if not label or label == code:
        return code
    return t("text.labelled", label=label, code=code)


# ---------------------------------------------------------------- domain renderings shared by commands


def timeline_lines(entries: Sequence[Any], *, with_case: bool = True) -> list[str]:
    """Audit entries (engine.queries.TimelineEntry) as two or three lines each."""
    lines: list[str] = []
    for e in entries:
        head = t("cli.timeline.head", seq=e.seq, at=when(e.at), action=labelled(e.action_label, e.action))
        if with_case and e.case_id is not None:
            head += t("cli.timeline.case", case=e.case_id, procedure=procedure_title(e.procedure))
        if e.from_state or e.to_state:
            head += t("cli.timeline.move", source=e.from_label or "—", dest=e.to_label or "—")
        lines.append(head)
        lines.append(t("cli.timeline.actor", name=e.actor_name, login=e.actor_login,
                       role=e.role_label or e.role))
        if e.rule_ids or e.citations:
            lines.append(t("cli.timeline.rules", rules=fmt(e.rule_ids), citations=fmt(e.citations)))
        if e.payload:
            lines.append(t("cli.timeline.payload", payload=brief(e.payload)))
        for o in e.overrides:
            lines.append(t("cli.timeline.override", code=o.get("code"), reason=o.get("reason"),
                           role=o.get("by_role")))
        for w in e.warnings:
            lines.append(t("cli.timeline.warning", message=w.get("message", "")))
    return lines


def deadline_lines(views: Sequence[Any]) -> list[str]:
    """Deadlines (engine.queries.DeadlineView) as a table."""
    headers = [t("cli.deadline.col_id"), t("cli.deadline.col_case"), t("cli.deadline.col_due"),
               t("cli.deadline.col_fires"), t("cli.deadline.col_state"), t("cli.deadline.col_status"),
               t("cli.deadline.col_rule")]
    return table(headers, [(d.id, d.case_id, when(d.due_at), labelled(d.fires_label, d.fires), d.state_label,
                            d.status_label, d.rule_id) for d in views])
