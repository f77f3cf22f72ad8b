"""PUB — the publicity sub-machine (spec §3.9) as reusable pieces: posting fields, the end of the period
(CAL-2; A-01, A-03, A-04), objection and finding records (A-14) and the guards a procedure puts in front of
its "next step". Used by 考核聘用 (seed 000 第六条4–5) and meant for the PLAN5 实绩/结果公示 as well.

Nothing here knows a procedure's state names, policy keys or rule codes: the procedure passes them in
(`days_key`, `running_states`, a `Rule`). Records live in the case data:

- posting: `posted_on`, `publicity_community`, `publicity_place`, `publicity_doc_ref` (payload) and the
  computed `publicity_days`, `publicity_last_day`, `publicity_ends_at`, `publicity_extended`,
  `publicity_posted_by`;
- objections: `objections`, a list of `{id, received_on, receiver, content, anonymous, late, lodged_at,
  lodged_in_state, lodged_by, finding}`; `finding` is `None` or `{finding, on, note, by, role}`.

An objection does not pause, extend or restart the period (A-14). One lodged after the period ended, or
received after its last day, is `late`: it is logged and shown, but a missing finding on it never blocks.
A finding is recorded once per objection (a correction is a new record in a later version, A-39).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from engine.calendar import (
    BUNDLED,
    CALENDAR_DAYS,
    END,
    Period,
    WorkingCalendar,
    deadline,
    derive,
    period_last_day,
)
from engine.clock import local_midnight
from engine.guards import GuardContext, Verdict
from engine.policy import Policy
from engine.reminders import publicity_ending
from engine.spec import DeadlineDue, DeadlineSpec, Effect, Field, RoleRef, Rule
from engine.spec import FieldType as F
from engine.text import join_list, t
from workflows.guards.common import as_date

NOT_SUBSTANTIATED = "NOT_SUBSTANTIATED"  # 不属实
SUBSTANTIATED_NOT_AFFECTING = "SUBSTANTIATED_NOT_AFFECTING"  # 属实但不影响
SUBSTANTIATED_AFFECTING = "SUBSTANTIATED_AFFECTING"  # 属实且影响
FINDINGS = (NOT_SUBSTANTIATED, SUBSTANTIATED_NOT_AFFECTING, SUBSTANTIATED_AFFECTING)

POSTED_ON = "posted_on"
SCOPE = "publicity_community"
PLACE = "publicity_place"
DOC_REF = "publicity_doc_ref"
LAST_DAY = "publicity_last_day"
ENDS_AT = "publicity_ends_at"
PROVISIONAL = "publicity_provisional"  # the last day is an estimate over a year without calendar data
OBJECTIONS = "objections"

POSTING_FIELDS: tuple[Field, ...] = (
    Field(POSTED_ON, F.DATE),
    Field(SCOPE),  # community code: the scope of the posting (RH-5)
    Field(PLACE),  # e.g. 社区公开栏
    Field(DOC_REF),  # text or document reference of the notice
)
OBJECTION_FIELDS: tuple[Field, ...] = (
    Field("objection_received_on", F.DATE),
    Field("objection_receiver"),
    Field("objection_content"),
    Field("objection_anonymous", F.BOOL, required=False),
)
FINDING_FIELDS: tuple[Field, ...] = (
    Field("objection_id"),
    Field("objection_finding", F.CHOICE, choices=FINDINGS),
    Field("finding_on", F.DATE),
    Field("finding_note", required=False),
)

Guard = Callable[[GuardContext], Verdict]


# ---------------------------------------------------------------- the period (CAL-2)


def period(policy: Policy, posted: date, days: int, rule_id: str) -> Period:
    """The publicity period as a re-derivable `Period` (CAL-2; A-01, A-03, A-04 from the pack)."""
    return Period(CALENDAR_DAYS, posted, days, at=END,
                  start_day_counts=policy.bool("calendar.publicity_start_day_counts", rule_id),
                  extend_if_rest_day=policy.bool("calendar.publicity_extend_if_last_day_rest_day", rule_id))


def last_day(policy: Policy, posted: date, days: int, rule_id: str,
             calendar: WorkingCalendar = BUNDLED) -> tuple[date, bool]:
    """Last day of an N-calendar-day publicity posted on `posted`, and whether it was extended.

    CAL-2 / A-01: calendar days; A-03: the posting day is day 1 (`calendar.publicity_start_day_counts`);
    A-04: a last day on a rest day moves to the next working day only when
    `calendar.publicity_extend_if_last_day_rest_day` is true (working days per CAL-1, on `calendar`; a year
    without calendar data raises CAL_NO_DATA here: this answer decides when the next step may be taken).
    """
    counts = policy.bool("calendar.publicity_start_day_counts", rule_id)
    last = period_last_day(posted, days, start_day_counts=counts)
    extend = policy.bool("calendar.publicity_extend_if_last_day_rest_day", rule_id)
    if extend and not calendar.is_working_day(last):
        return calendar.next_working_day(last), True
    return last, False


def ends_at(last: date) -> datetime:
    """The period is over at the end of its last day: 00:00 Asia/Shanghai of the next day."""
    return local_midnight(last + timedelta(days=1))


def posting_effect(days_key: str, rule: Rule) -> Callable[[GuardContext], Effect]:
    """Effect of the posting step: the period's length (pack key `days_key`), last day and end instant."""

    def effect(ctx: GuardContext) -> Effect:
        posted = as_date(ctx.value(POSTED_ON))
        assert posted is not None
        days = ctx.policy.int(days_key, rule.id)
        # A rest-day extension over a year without calendar data is an estimate (PROVISIONAL): the end
        # deadline waits for the data and `period_over` re-derives the last day on the calendar.
        derived = derive(period(ctx.policy, posted, days, rule.id), ctx.calendar)
        last = derived.day
        return Effect(data={
            "publicity_days": days,
            LAST_DAY: last.isoformat(),
            ENDS_AT: ends_at(last).isoformat(),
            "publicity_extended": derived.extended,
            PROVISIONAL: derived.provisional,
            "publicity_posted_by": ctx.actor.login,
            OBJECTIONS: [dict(o) for o in ctx.case.data.get(OBJECTIONS) or []],
        })

    effect.__name__ = "on_publicity_posted"
    return effect


def end_due(ctx: GuardContext) -> DeadlineDue:
    """The deadline that ends the period (RH-T9 etc.): at the end of its last day (re-derivable period)."""
    last = as_date(ctx.case.data[LAST_DAY])
    posted = as_date(ctx.case.data[POSTED_ON])
    assert last is not None
    assert posted is not None
    days = int(ctx.case.data["publicity_days"])
    return deadline(period(ctx.policy, posted, days, "CAL-2"), ctx.calendar, posted_on=posted.isoformat(),
                    days=days, last_day=last.isoformat(),
                    rule_text=t("pub.basis", posted=posted.isoformat(), days=days, last_day=last.isoformat()))


def ending_reminder(rule: Rule, to: tuple[RoleRef | str, ...]) -> DeadlineSpec:
    """"The publicity ends tomorrow" (pack ladder `reminders.publicity_end_days_before`), cancelled when the
    period ends."""
    return publicity_ending(rule, to, lambda ctx: as_date(ctx.case.data.get(LAST_DAY)))


def on_ended(ctx: GuardContext) -> Effect:
    """Effect of the SYSTEM step that ends the period: the actual end instant."""
    return Effect(data={"publicity_ended_at": ctx.now.isoformat()})


# ---------------------------------------------------------------- guards


def period_over(rule: Rule, code: str) -> Guard:
    """The period has run its course (the end instant has passed): the next step may be taken."""

    def guard(ctx: GuardContext) -> Verdict:
        last = as_date(ctx.case.data.get(LAST_DAY))
        posted = as_date(ctx.case.data.get(POSTED_ON))
        if last is not None and posted is not None and ctx.case.data.get(PROVISIONAL):
            # recorded over a year without calendar data: decide on the calendar now (CAL_NO_DATA if none)
            days = int(ctx.case.data["publicity_days"])
            last, _ = last_day(ctx.policy, posted, days, rule.id, ctx.calendar)
        if last is None or ctx.now >= ends_at(last):
            return Verdict.passed(rule)
        return Verdict.fail(rule, code, last_day=last.isoformat(),
                            next_day=(last + timedelta(days=1)).isoformat())

    guard.__name__ = "publicity_period_over"
    return guard


def posted_in_community(rule: Rule, facts_key: str = "community") -> Guard:
    """RH-5 style: the posting scope (a community code) is the subject's own community
    (`facts[facts_key]`)."""

    def guard(ctx: GuardContext) -> Verdict:
        community = ctx.facts.get(facts_key)
        given = str(ctx.value(SCOPE) or "").strip()
        if community is not None and given == community.code:
            return Verdict.passed(rule, community=community.code)
        return Verdict.fail(rule, given=given or "—", expected=getattr(community, "code", "—"),
                            expected_name=getattr(community, "name", "—"))

    guard.__name__ = "publicity_posted_in_community"
    return guard


def objection_exists_without_finding(rule: Rule) -> Guard:
    """A finding names an existing objection that has no finding yet."""

    def guard(ctx: GuardContext) -> Verdict:
        wanted = str(ctx.payload.get("objection_id") or "").strip()
        objection = find(objections(ctx.case.data), wanted)
        if objection is None:
            known = join_list(o["id"] for o in objections(ctx.case.data)) or t("text.none")
            return Verdict.fail(rule, "PUB_OBJECTION_NOT_FOUND", objection=wanted, known=known)
        if objection.get("finding"):
            return Verdict.fail(rule, "PUB_FINDING_EXISTS", objection=wanted,
                                finding=t(f"pub.findings.{objection['finding']['finding']}"),
                                on=objection["finding"].get("on", ""))
        return Verdict.passed(rule)

    guard.__name__ = "objection_exists_without_finding"
    return guard


def all_timely_objections_found(rule: Rule, code: str) -> Guard:
    """A-14: the guarded step is blocked while an objection received in the period lacks a finding."""

    def guard(ctx: GuardContext) -> Verdict:
        open_ids = [o["id"] for o in objections(ctx.case.data) if not o.get("late") and not o.get("finding")]
        if not open_ids:
            return Verdict.passed(rule)
        return Verdict.fail(rule, code, objections=join_list(open_ids), count=len(open_ids))

    guard.__name__ = "all_timely_objections_found"
    return guard


def no_affecting_finding(rule: Rule, code: str) -> Guard:
    """A-14: a SUBSTANTIATED_AFFECTING finding (on any objection, late or not) ends the process negatively;
    the positive next step is blocked."""

    def guard(ctx: GuardContext) -> Verdict:
        ids = affecting_ids(ctx.case.data)
        if not ids:
            return Verdict.passed(rule)
        return Verdict.fail(rule, code, objections=join_list(ids))

    guard.__name__ = "no_affecting_finding"
    return guard


def affecting_finding_exists(rule: Rule, code: str) -> Guard:
    """The negative conclusion needs at least one SUBSTANTIATED_AFFECTING finding."""

    def guard(ctx: GuardContext) -> Verdict:
        if affecting_ids(ctx.case.data):
            return Verdict.passed(rule)
        return Verdict.fail(rule, code)

    guard.__name__ = "affecting_finding_exists"
    return guard


# ---------------------------------------------------------------- records


def objections(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(o) for o in data.get(OBJECTIONS) or []]


def find(records: list[dict[str, Any]], objection_id: str) -> dict[str, Any] | None:
    return next((o for o in records if o.get("id") == objection_id), None)


def affecting_ids(data: Mapping[str, Any]) -> list[str]:
    return [o["id"] for o in objections(data)
            if (o.get("finding") or {}).get("finding") == SUBSTANTIATED_AFFECTING]


def objection_effect(running_states: Collection[str]) -> Callable[[GuardContext], Effect]:
    """Effect of lodging an objection: append a numbered record. It is `late` when lodged while the case
    is no longer in one of `running_states`, or received after the period's last day (A-14)."""

    def effect(ctx: GuardContext) -> Effect:
        records = objections(ctx.case.data)
        received = as_date(ctx.value("objection_received_on"))
        last = as_date(ctx.case.data.get(LAST_DAY))
        late = ctx.case.state not in running_states or (received is not None and last is not None
                                                         and received > last)
        anonymous = bool(ctx.payload.get("objection_anonymous", False))
        records.append({
            "id": f"OBJ-{len(records) + 1}",
            "received_on": received.isoformat() if received else None,
            "receiver": ctx.payload.get("objection_receiver"),
            "content": ctx.payload.get("objection_content"),
            "anonymous": anonymous,
            "late": late,
            "lodged_at": ctx.now.isoformat(),
            "lodged_in_state": ctx.case.state,
            "lodged_by": None if anonymous else ctx.actor.login,
            "finding": None,
        })
        return Effect(data={OBJECTIONS: records, "objection_anonymous": anonymous})

    effect.__name__ = "on_objection"
    return effect


def on_finding(ctx: GuardContext) -> Effect:
    """Effect of a finding: attach it to its objection (the guard checked it exists and has none)."""
    records = objections(ctx.case.data)
    target = find(records, str(ctx.payload["objection_id"]).strip())
    assert target is not None
    target["finding"] = {"finding": ctx.payload["objection_finding"], "on": ctx.payload["finding_on"],
                         "note": ctx.payload.get("finding_note"), "by": ctx.actor.login,
                         "role": ctx.actor.role}
    return Effect(data={OBJECTIONS: records})


def summary(data: Mapping[str, Any]) -> dict[str, Any]:
    """Counts for a report: objections in total, late ones, and findings by kind."""
    records = objections(data)
    by_finding = {f: 0 for f in FINDINGS}
    for o in records:
        if o.get("finding"):
            by_finding[o["finding"]["finding"]] += 1
    return {"total": len(records), "late": sum(1 for o in records if o.get("late")),
            "without_finding": sum(1 for o in records if not o.get("finding")), "findings": by_finding}
