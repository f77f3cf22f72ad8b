"""`shequ deadlines`: list deadlines, explain how one was computed, and run the sweep in simulated time.

`deadlines list` shows the transition deadlines (期限) by default; `--kind reminder` the reminders,
`--kind all` both. Provisional deadlines (computed over a year without calendar data) are marked.

`deadlines explain ID` re-derives a deadline from what its row recorded (rule, start date, period,
calendar version) and says whether the result is the recorded instant, and what today's calendar gives.

`deadlines run --until T` is a simulation: it fires every PENDING deadline due at or before T in due
order, moving the (frozen) clock to each deadline's due instant first, so audit entries, guards and
follow-on deadlines see the time at which the deadline really fell due. The clock never moves back:
a deadline already overdue at `--now` fires at `--now`. Each round goes through
`engine.deadlines.fire_due`, the same sweep the scheduler runs. Provisional deadlines are not fired.
Term-ending reminders (not rows of this table: terms are not cases) are simulated the same way: the clock
also stops at each rung's instant and `TermMachine.remind` runs, as the scheduler runs it after each sweep.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from engine import queries
from engine.calendar import Derivation, Period
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, labelled, table, when
from engine.cli.params import INSTANT
from engine.deadlines import REMINDER, Explanation, FiredDeadline, explain, fire_due
from engine.text import join_list, t
from workflows.terms import TermMachine, TermReminder

STATUSES = ("PENDING", "FIRED", "CANCELLED", "FAILED")
KINDS = ("transition", "reminder", "all")
MAX_ROUNDS = 10_000


@click.group("deadlines", cls=ShequGroup, help=t("cli.help.deadlines"))
def group() -> None:
    pass


def fired_label(procedure: str, kind: str, fires: str) -> str:
    """What a deadline does, for people: the trigger's label, or the reminder's name."""
    if kind == REMINDER:
        return t(f"deadlines.reminder_kind.{fires}") if fires else fires
    return queries.action_label(procedure, fires)


def _view(row: dict[str, Any], procedure: str) -> dict[str, Any]:
    return {
        "id": row["id"], "case_id": row["case_id"], "procedure": procedure, "key": row["key"],
        "kind": row["kind"], "fires": row["fires"],
        "fires_label": fired_label(procedure, row["kind"], row["fires"]),
        "state": row["state"], "state_label": queries.state_label(procedure, row["state"]),
        "due_at": row["due_at"], "status": row["status"],
        "status_label": queries.label(f"cli.status.deadline.{row['status']}", row["status"]),
        "rule_id": row["rule_id"], "start_date": row["start_date"], "period": row["period"],
        "calendar_version": row["calendar_version"], "provisional": bool(row["provisional"]),
        "basis": row["basis"], "created_at": row["created_at"], "fired_at": row["fired_at"],
        "attempts": row["attempts"], "last_error": row["last_error"],
    }


@group.command("list", help=t("cli.help.deadlines_list"))
@click.option("--due-before", type=INSTANT, help=t("cli.help.opt_due_before"))
@click.option("--status", type=click.Choice(STATUSES), help=t("cli.help.opt_deadline_status"))
@click.option("--case", "case_id", type=int, help=t("cli.help.opt_audit_case"))
@click.option("--kind", type=click.Choice(KINDS), default="transition", show_default=True,
              help=t("deadlines.help.opt_kind"))
@click.option("--provisional", is_flag=True, help=t("deadlines.help.opt_provisional"))
@pass_state
def list_cmd(state: State, due_before: datetime | None, status: str | None, case_id: int | None, kind: str,
             provisional: bool) -> None:
    with state.app().db.read() as store:
        rows = store.deadline_rows(case_id=case_id, status=status, due_before=due_before,
                                   kind=None if kind == "all" else kind,
                                   provisional=True if provisional else None)
        procedures = {cid: store.get_case(cid).procedure for cid in {r["case_id"] for r in rows}}
    views = [_view(r, procedures[r["case_id"]]) for r in rows]
    headers = [t("cli.deadline.col_id"), t("cli.deadline.col_case"), t("cli.deadline.col_due"),
               t("deadlines.col_kind"), t("cli.deadline.col_fires"), t("cli.deadline.col_state"),
               t("cli.deadline.col_status"), t("cli.deadline.col_rule"), t("deadlines.col_period")]
    lines = table(headers, [
        (v["id"], v["case_id"],
         when(v["due_at"]) + (t("deadlines.provisional_mark") if v["provisional"] else ""),
         t(f"deadlines.kind.{v['kind']}"), labelled(v["fires_label"], v["fires"]), v["state_label"],
         v["status_label"], v["rule_id"], v["period"]) for v in views])
    if any(v["provisional"] and v["status"] == "PENDING" for v in views):
        lines.append(t("deadlines.provisional_note"))
    emit(state.json, {"deadlines": views}, lines)


# ---------------------------------------------------------------- explain


def _method_text(period: Period, derived: Derivation) -> str:
    counts = t("deadlines.start_counts") if period.start_day_counts else t("deadlines.start_not_counted")
    params = {"start": period.start.isoformat(), "n": period.n, "day": derived.day.isoformat(),
              "counts": counts}
    text = t(f"deadlines.method.{period.method}", **params)
    if period.extend_if_rest_day:
        text += t("deadlines.method.extension", extended=t("cli.common.yes") if derived.extended
                  else t("cli.common.no"))
    if period.at in ("end", "start"):
        at = t(f"deadlines.at.{period.at}")
    else:
        at = t("deadlines.at.time", time=period.at)
    return t("deadlines.method_line", method=text, at=at)


def _compare(derived: Derivation | None, recorded: datetime) -> str:
    if derived is None:
        return t("deadlines.explain.not_derivable")
    key = "same" if derived.due_at == recorded else "different"
    text = t(f"deadlines.explain.{key}", due=when(derived.due_at))
    if derived.provisional:
        text += t("deadlines.explain.still_provisional", years=join_list(derived.missing_years))
    return text


def _explain_lines(x: Explanation) -> list[str]:
    row = x.row
    label = fired_label(x.procedure, row["kind"], row["fires"])
    lines = [
        t("deadlines.explain.title", id=row["id"], case=row["case_id"],
          procedure=queries.procedure_title(x.procedure)),
        t("deadlines.explain.kind", kind=t(f"deadlines.kind.{row['kind']}"),
          fires=labelled(label, row["fires"]),
          state=queries.state_label(x.procedure, row["state"]),
          now=queries.state_label(x.procedure, x.case_state)),
        t("deadlines.explain.due", due=when(row["due_at"]),
          status=queries.label(f"cli.status.deadline.{row['status']}", row["status"]),
          provisional=t("deadlines.provisional_mark") if row["provisional"] else ""),
        t("deadlines.explain.rule", rule=row["rule_id"],
          citation=(row["basis"] or {}).get("citation") or "—"),
    ]
    if row["fired_at"] is not None:
        lines.append(t("deadlines.explain.fired", at=when(row["fired_at"]), due=when(row["due_at"])))
    if row["last_error"]:
        lines.append(t("deadlines.explain.error", error=row["last_error"]))
    if (row["basis"] or {}).get("rule_text"):
        lines.append(t("deadlines.explain.rule_text", text=row["basis"]["rule_text"]))
    if x.period is None or x.recorded is None:
        lines.append(t("deadlines.explain.no_period"))
        return lines
    lines.append(t("deadlines.explain.period", code=row["period"] or x.period.code,
                   method=_method_text(x.period, x.recorded)))
    lines.append(t("deadlines.explain.version", version=x.recorded_version or "—"))
    if x.recorded_note:
        lines.append(t(f"deadlines.explain.note.{x.recorded_note}"))
    lines.append(t("deadlines.explain.rederived", result=_compare(x.recorded, row["due_at"])))
    if x.current_version != x.recorded_version:
        lines.append(t("deadlines.explain.current", version=x.current_version,
                       result=_compare(x.current, row["due_at"])))
    return lines


def _derivation(d: Derivation | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"day": d.day, "due_at": d.due_at, "extended": d.extended, "provisional": d.provisional,
            "missing_years": list(d.missing_years)}


@group.command("explain", help=t("deadlines.help.explain"))
@click.argument("deadline_id", type=int)
@pass_state
def explain_cmd(state: State, deadline_id: int) -> None:
    x = explain(state.app().db, deadline_id)
    data = {
        "deadline": _view(x.row, x.procedure),
        "case_state": x.case_state,
        "period": x.period.to_basis() if x.period else None,
        "recorded_version": x.recorded_version,
        "rederived": _derivation(x.recorded),
        "reproduced": x.reproduced,
        "note": x.recorded_note,
        "current_version": x.current_version,
        "current": _derivation(x.current),
        "current_matches": x.current_matches,
    }
    emit(state.json, data, _explain_lines(x))


# ---------------------------------------------------------------- run (simulation)


def _fired_dict(f: FiredDeadline, procedure: str) -> dict[str, Any]:
    return {"deadline_id": f.deadline_id, "case_id": f.case_id, "kind": f.kind, "fires": f.fires,
            "fires_label": fired_label(procedure, f.kind, f.fires), "due_at": f.due_at,
            "fired_at": f.fired_at, "outcome": f.outcome, "error": f.error}


@group.command("run", help=t("cli.help.deadlines_run"))
@click.option("--until", type=INSTANT, help=t("cli.help.opt_until"))
@pass_state
def run_cmd(state: State, until: datetime | None) -> None:
    clock = state.frozen_clock()
    app = state.app()
    until = until or clock.now()
    processed: list[FiredDeadline] = []
    terms = TermMachine(app.engine)
    reminded: list[TermReminder] = []
    for _ in range(MAX_ROUNDS):
        with app.db.read() as store:
            due = store.next_firable_due_at(until)
        dues = [d for d in (due, terms.next_reminder_at(until)) if d is not None]
        if not dues:
            break
        if min(dues) > clock.now():
            clock.set(min(dues))
        fired = fire_due(app.engine, clock.now()).processed
        sent = terms.remind()
        processed += fired
        reminded += sent
        if not fired and not sent:  # nothing could be done at this instant (logged): do not spin
            break
    with app.db.read() as store:
        procedures = {cid: store.get_case(cid).procedure for cid in {f.case_id for f in processed}}
        held = store.count_held_provisional(until)
    items = [_fired_dict(f, procedures[f.case_id]) for f in processed]
    lines = [t("deadlines.fired_line", outcome=t(f"cli.deadline.outcome.{i['outcome']}"),
               kind=t(f"deadlines.kind.{i['kind']}"), id=i["deadline_id"], case=i["case_id"],
               fires=i["fires_label"], due=when(i["due_at"]), at=when(i["fired_at"]),
               error=t("deadlines.error_suffix", error=i["error"]) if i["error"] else "")
             for i in items]
    term_items = [_term_reminder_dict(r) for r in reminded]
    lines += [t("deadlines.term_reminder_line", term=i["term_id"], district=i["district"],
                ordinal=i["ordinal"], end=i["end_date"], days=i["days_left"], rung=i["rung"],
                due=when(i["due_at"]), at=when(i["sent_at"]), count=len(i["outbox_ids"]))
              for i in term_items]
    transitions = [i for i in items if i["kind"] != REMINDER]
    reminders = [i for i in items if i["kind"] == REMINDER]
    lines.append(t("deadlines.run_done", count=len(transitions), reminders=len(reminders) + len(term_items),
                   until=when(until), now=when(clock.now())))
    if held:
        lines.append(t("deadlines.held", count=held))
    emit(state.json, {"until": until, "now": clock.now(), "fired": transitions, "reminders": reminders,
                      "term_reminders": term_items, "held_provisional": held}, lines)


def _term_reminder_dict(r: TermReminder) -> dict[str, Any]:
    return {"term_id": r.term_id, "district": r.district, "ordinal": r.ordinal, "end_date": r.end_date,
            "rung": r.rung, "days_left": r.days_left, "due_at": r.due_at, "sent_at": r.sent_at,
            "recipients": list(r.recipients), "outbox_ids": list(r.outbox_ids), "audit_seq": r.audit_seq}
