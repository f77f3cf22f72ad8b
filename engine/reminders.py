"""Reminder ladders: deadlines of kind "reminder" that write an outbox row `reminder.<what>` to roles when
due and never change the case (engine.deadlines). The rungs come from the case's pack, section
`[reminders]`; a ladder the pack leaves UNSPECIFIED, or an empty list, writes no reminder.

- `publicity_end_days_before` — days before the last day of a publicity period (`[1]`: "ends tomorrow");
- `decision_pending_working_days` — working days (CAL-1) a step has been awaiting a decision;
- `bureau_approval_pending_working_days` — the same, for steps awaiting the district bureau (区民政局);
- `term_end_days_before` — days before a term's last day (spec §4.1 timers; terms are not cases, so
  `workflows.terms.TermMachine.remind` writes these with `rungs_before` and `catch_up`, see there);
- `hour` — the local hour (Asia/Shanghai) at which a reminder falls due on its day.

Reminders are operational settings, not rules of the sources: none of them changes what a step may do.
Decision (spec silent): "awaiting for N working days" is counted from the day the case entered the state
(not counted) and the reminder falls due at `hour` on the N-th working day after it; a reminder whose
instant is already past when the state is entered is not written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from engine.calendar import DAYS_BEFORE, WORKING_DAYS, Period, WorkingCalendar, deadline
from engine.guards import GuardContext
from engine.spec import Citation, DeadlineDue, DeadlineSpec, RoleRef, Rule

if TYPE_CHECKING:
    from engine.policy import Policy

PUBLICITY_ENDING = "publicity_ending"  # outbox kind reminder.publicity_ending
DECISION_PENDING = "decision_pending"  # outbox kind reminder.decision_pending
TERM_ENDING = "term_ending"  # outbox kind reminder.term_ending

PUBLICITY_LADDER = "reminders.publicity_end_days_before"
DECISION_LADDER = "reminders.decision_pending_working_days"
BUREAU_LADDER = "reminders.bureau_approval_pending_working_days"
TERM_LADDER = "reminders.term_end_days_before"
HOUR = "reminders.hour"

DueFn = Callable[[GuardContext], Sequence[DeadlineDue]]


def policy_ladder(policy: Policy, key: str, rule_id: str) -> tuple[int, ...]:
    """The rungs of a ladder (positive integers, ascending); NotConfigured when UNSPECIFIED."""
    raw: Any = policy.get(key, rule_id)
    values = raw if isinstance(raw, list) else [raw]
    return tuple(sorted({int(v) for v in values if int(v) > 0}))


def policy_hour(policy: Policy, rule_id: str) -> str:
    """The local time ("HH:00") at which the pack's reminders fall due; NotConfigured when UNSPECIFIED."""
    return f"{policy.int(HOUR, rule_id):02d}:00"


def ladder(ctx: GuardContext, key: str, rule_id: str) -> tuple[int, ...]:
    return policy_ladder(ctx.policy, key, rule_id)


def at_hour(ctx: GuardContext, rule_id: str) -> str:
    return policy_hour(ctx.policy, rule_id)


Rung = tuple[int, DeadlineDue]  # (N of the ladder, its instant with how it was derived)


def rungs_before(policy: Policy, key: str, rule_id: str, end: date,
                 calendar: WorkingCalendar) -> list[Rung]:
    """Each rung N of ladder `key` as a deadline N calendar days before `end` at the pack's hour (method
    DAYS_BEFORE, period `-PND`), in due order. NotConfigured when the ladder or the hour is UNSPECIFIED."""
    hour = policy_hour(policy, rule_id)
    rungs = [(n, deadline(Period(DAYS_BEFORE, end, n, at=hour), calendar, ladder=key, rung=n,
                          reminder={"days_left": n, "end_day": end.isoformat()}))
             for n in policy_ladder(policy, key, rule_id)]
    return sorted(rungs, key=lambda r: r[1].at)


def catch_up(rungs: Sequence[Rung], now: datetime) -> Rung | None:
    """The rung to send at `now`: the latest one whose instant has passed, None before the first.

    Decision (spec silent): a rung missed while nothing ran (or already past when the ladder first applies,
    e.g. a term registered late) is not sent late by itself: the latest passed rung supersedes the earlier
    ones, so at most one reminder, the nearest to the end, catches up (with the real days left)."""
    passed = [r for r in rungs if r[1].at <= now]
    return max(passed, key=lambda r: (r[1].at, -r[0])) if passed else None


def next_rung(rungs: Sequence[Rung], now: datetime) -> Rung | None:
    """The first rung still in the future at `now`."""
    ahead = [r for r in rungs if r[1].at > now]
    return min(ahead, key=lambda r: r[1].at) if ahead else None


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
    """"The term ends in N days" (ladder `term_end_days_before`) as a case deadline, for a procedure whose
    case knows a term's last day. Terms themselves are not cases: their reminders are written by
    `workflows.terms.TermMachine.remind` (spec §4.1 timers)."""
    return reminder("term_ending", TERM_ENDING, days_before(TERM_LADDER, rule.id, last_day), rule, to)
