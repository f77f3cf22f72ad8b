"""Reminder ladders: deadlines of kind "reminder" that write an outbox row `reminder.<what>` to roles when
due and never change the case (engine.deadlines). The rungs come from the case's pack, section
`[reminders]`; a ladder the pack leaves UNSPECIFIED, or an empty list, writes no reminder.

- `publicity_end_days_before` — days before the last day of a publicity period (`[1]`: "ends tomorrow");
- `decision_pending_working_days` — working days (CAL-1) a step has been awaiting a decision;
- `bureau_approval_pending_working_days` — the same, for steps awaiting the district bureau (区民政局);
- `term_end_days_before` — days before a term's last day (read by the term procedure, spec §4.1 timers);
- `hour` — the local hour (Asia/Shanghai) at which a reminder falls due on its day.

Reminders are operational settings, not rules of the sources: none of them changes what a step may do.
Decision (spec silent): "awaiting for N working days" is counted from the day the case entered the state
(not counted) and the reminder falls due at `hour` on the N-th working day after it; a reminder whose
instant is already past when the state is entered is not written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from engine.calendar import DAYS_BEFORE, WORKING_DAYS, Period, deadline
from engine.guards import GuardContext
from engine.spec import Citation, DeadlineDue, DeadlineSpec, RoleRef, Rule

PUBLICITY_ENDING = "publicity_ending"  # outbox kind reminder.publicity_ending
DECISION_PENDING = "decision_pending"  # outbox kind reminder.decision_pending
TERM_ENDING = "term_ending"  # outbox kind reminder.term_ending

PUBLICITY_LADDER = "reminders.publicity_end_days_before"
DECISION_LADDER = "reminders.decision_pending_working_days"
BUREAU_LADDER = "reminders.bureau_approval_pending_working_days"
TERM_LADDER = "reminders.term_end_days_before"
HOUR = "reminders.hour"

DueFn = Callable[[GuardContext], Sequence[DeadlineDue]]


def ladder(ctx: GuardContext, key: str, rule_id: str) -> tuple[int, ...]:
    """The rungs of a ladder (positive integers, ascending); NotConfigured when UNSPECIFIED."""
    raw: Any = ctx.policy.get(key, rule_id)
    values = raw if isinstance(raw, list) else [raw]
    return tuple(sorted({int(v) for v in values if int(v) > 0}))


def at_hour(ctx: GuardContext, rule_id: str) -> str:
    return f"{ctx.policy.int(HOUR, rule_id):02d}:00"


def pending_working_days(key: str, rule_id: str) -> DueFn:
    """Rungs `key` (working days) counted from the day the case entered the state."""

    def due(ctx: GuardContext) -> list[DeadlineDue]:
        hour = at_hour(ctx, rule_id)
        return [deadline(Period(WORKING_DAYS, ctx.today, n, at=hour), ctx.calendar, ladder=key, rung=n,
                         reminder={"working_days": n, "since": ctx.today.isoformat()})
                for n in ladder(ctx, key, rule_id)]

    due.__name__ = f"pending_{key.rsplit('.', 1)[-1]}"
    return due


def days_before(key: str, rule_id: str, end_day: Callable[[GuardContext], date | None]) -> DueFn:
    """Rungs `key` (calendar days) before the day `end_day` gives (e.g. a publicity's last day)."""

    def due(ctx: GuardContext) -> list[DeadlineDue]:
        end = end_day(ctx)
        if end is None:
            return []
        hour = at_hour(ctx, rule_id)
        return [deadline(Period(DAYS_BEFORE, end, n, at=hour), ctx.calendar, ladder=key, rung=n,
                         reminder={"days_left": n, "end_day": end.isoformat()})
                for n in ladder(ctx, key, rule_id)]

    due.__name__ = f"before_{key.rsplit('.', 1)[-1]}"
    return due


def awaiting(step_id: str, cites: tuple[Citation, ...]) -> Rule:
    """The rule a "pending" reminder names: the awaited step of the spec (e.g. `RS-2`) and its sources."""
    return Rule(step_id, "REMINDER", cites)


def reminder(key: str, what: str, due: DueFn, rule: Rule, to: tuple[RoleRef | str, ...]) -> DeadlineSpec:
    """A reminder DeadlineSpec: when due, `reminder.<what>` goes to `to`; leaving the state cancels it."""
    return DeadlineSpec(key, what, due, rule, kind="reminder", to=to)


def decision_pending(rule: Rule, to: tuple[RoleRef | str, ...]) -> DeadlineSpec:
    """"A step awaiting a decision for N working days" (ladder `decision_pending_working_days`)."""
    due = pending_working_days(DECISION_LADDER, rule.id)
    return reminder("decision_pending", DECISION_PENDING, due, rule, to)


def bureau_pending(rule: Rule, to: tuple[RoleRef | str, ...]) -> DeadlineSpec:
    """"Bureau approval pending for N working days" (ladder `bureau_approval_pending_working_days`)."""
    due = pending_working_days(BUREAU_LADDER, rule.id)
    return reminder("bureau_approval_pending", DECISION_PENDING, due, rule, to)


def publicity_ending(rule: Rule, to: tuple[RoleRef | str, ...],
                     last_day: Callable[[GuardContext], date | None]) -> DeadlineSpec:
    """"The publicity ends in N days" (ladder `publicity_end_days_before`, `[1]` = "ends tomorrow")."""
    due = days_before(PUBLICITY_LADDER, rule.id, last_day)
    return reminder("publicity_ending", PUBLICITY_ENDING, due, rule, to)


def term_ending(rule: Rule, to: tuple[RoleRef | str, ...],
                last_day: Callable[[GuardContext], date | None]) -> DeadlineSpec:
    """"The term ends in N days" (ladder `term_end_days_before`): for the term procedure (spec §4.1)."""
    return reminder("term_ending", TERM_ENDING, days_before(TERM_LADDER, rule.id, last_day), rule, to)
