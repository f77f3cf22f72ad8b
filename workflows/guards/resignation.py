"""Guards of 辞职 (seed 000 第二十二条; spec §4.6 RES-1…RES-6). Pure, unit-tested at their boundaries."""

from __future__ import annotations

from datetime import date

from engine.calendar import DAY, END, Period, add_months_clamped, deadline
from engine.guards import GuardContext, Verdict
from engine.spec import CloseRelatedCases, DeadlineDue, Effect, EndAppointment, Rule
from engine.text import t
from workflows.citations import ART22, assumption
from workflows.guards.common import as_date

RES_1 = Rule("RES-1", "RES_NOT_WRITTEN", (ART22,))
RES_2 = Rule("RES-2", "RES_NOTICE_TOO_SHORT", (ART22, assumption(5), assumption(29)))
RES_5 = Rule("RES-5", "RES_OVERDUE", (assumption(29),))
RES_6 = Rule("RES-6", "RES_SEPARATION", (ART22,))
RES_APPT = Rule("RES-APPT", "RES_NO_ACTIVE_APPOINTMENT", (ART22,))
RES_FILED = Rule("RES-FILE", "RES_ALREADY_FILED", (ART22, assumption(29)))
RES_CLOSE = Rule("RES-CLOSE", "RES_NOT_FILED", (ART22,))
RES_DATES = Rule("RES-DATES", "DATE_ORDER", (ART22,))
RES_ONE_OPEN = Rule("RES-ONE", "RES_ALREADY_OPEN", (ART22,))


def earliest_separation(submitted_on: date, notice_months: int) -> date:
    """RES-2: the worker's last day may be no earlier than one month after receipt (CAL-3)."""
    return add_months_clamped(submitted_on, notice_months)


def is_written(ctx: GuardContext) -> Verdict:
    """RES-1: the application must be written (书面)."""
    required = ctx.policy.bool("resignation.written_required", RES_1.id)
    if not required or ctx.value("written") is True:
        return Verdict.passed(RES_1)
    return Verdict.fail(RES_1)


def notice_long_enough(ctx: GuardContext) -> Verdict:
    """RES-2: separation date ≥ submission date + one month (clamped to month end); no waiver."""
    submitted = as_date(ctx.value("submitted_on"))
    assert submitted is not None
    earliest = earliest_separation(submitted, ctx.policy.int("resignation.notice_months", RES_2.id))
    requested = as_date(ctx.payload.get("approved_separation_date")) or as_date(ctx.value("separation_date"))
    if requested is None or requested >= earliest:
        return Verdict.passed(RES_2, earliest=earliest.isoformat())
    return Verdict.fail(
        RES_2, requested=requested.isoformat(), submitted=submitted.isoformat(), earliest=earliest.isoformat()
    )


def has_active_appointment(ctx: GuardContext) -> Verdict:
    """RS-1: only a worker in service (appointment ACTIVE or HOLDOVER) can resign."""
    if ctx.facts.get("appointment") is not None:
        return Verdict.passed(RES_APPT)
    return Verdict.fail(RES_APPT)


def no_other_open_resignation(ctx: GuardContext) -> Verdict:
    """One resignation at a time: a second application while one is pending would end the same
    appointment twice. The worker withdraws the first (RES-6) or waits for its outcome."""
    others = [
        cid for cid, proc in ctx.facts.get("open_cases", ()) if proc == "resignation" and cid != ctx.case.id
    ]
    if not others:
        return Verdict.passed(RES_ONE_OPEN)
    return Verdict.fail(RES_ONE_OPEN, case=others[0])


def not_yet_filed(ctx: GuardContext) -> Verdict:
    """RS-5: filing (备案) is recorded once."""
    if not ctx.case.data.get("filed"):
        return Verdict.passed(RES_FILED)
    return Verdict.fail(RES_FILED, filed_on=ctx.case.data.get("filed_on", ""))


def is_filed(ctx: GuardContext) -> Verdict:
    """RS-7: the case closes once separation is effective and the filing is recorded."""
    if ctx.case.data.get("filed"):
        return Verdict.passed(RES_CLOSE)
    return Verdict.fail(RES_CLOSE)


# ---------------------------------------------------------------- effects and deadlines


def on_submit(ctx: GuardContext) -> Effect:
    submitted = as_date(ctx.value("submitted_on"))
    assert submitted is not None
    earliest = earliest_separation(submitted, ctx.policy.int("resignation.notice_months", RES_2.id))
    separation = as_date(ctx.value("separation_date")) or earliest
    appointment = ctx.facts.get("appointment")
    return Effect(
        data={
            "earliest_separation_date": earliest.isoformat(),
            "separation_date": separation.isoformat(),
            "requested_separation_date": separation.isoformat(),
            "appointment_id": appointment.id if appointment else None,
            "overdue": False,
            "filed": False,
        }
    )


def on_approve(ctx: GuardContext) -> Effect:
    approved = as_date(ctx.payload.get("approved_separation_date")) or as_date(
        ctx.case.data["separation_date"]
    )
    assert approved is not None
    return Effect(data={"separation_date": approved.isoformat()})


def on_overdue(ctx: GuardContext) -> Effect:
    return Effect(data={"overdue": True})


def on_filing(ctx: GuardContext) -> Effect:
    return Effect(data={"filed": True})


def on_separation(ctx: GuardContext) -> Effect:
    """RS-6: the appointment ends RESIGNED on the separation date; an open dismissal becomes moot (A-31) and
    an open re-hiring case ends NOT_REHIRED(NO_LONGER_IN_OFFICE) (spec §4.3 Interplay)."""
    separation = as_date(ctx.case.data["separation_date"])
    assert separation is not None
    actions: list = []
    if ctx.case.data.get("appointment_id"):
        actions.append(EndAppointment(int(ctx.case.data["appointment_id"]), separation, "RESIGNED"))
    if ctx.case.worker_id is not None:
        actions.append(CloseRelatedCases(ctx.case.worker_id, "dismissal", "close_moot", "RESIGNED"))
        actions.append(CloseRelatedCases(ctx.case.worker_id, "assessment_rehiring", "close_moot", "RESIGNED"))
    return Effect(data={"separated_on": separation.isoformat()}, actions=tuple(actions))


def decision_due(ctx: GuardContext) -> DeadlineDue:
    """RES-5: undecided at the end of the requested separation date → OVERDUE flag (no auto-approval)."""
    requested = as_date(ctx.case.data["requested_separation_date"])
    assert requested is not None
    return deadline(Period(DAY, requested, at=END), ctx.calendar, rule_text=t("resignation.basis.decision"))


def separation_due(ctx: GuardContext) -> DeadlineDue:
    """RS-6: separation takes effect at the end of the separation date (the last day of service)."""
    separation = as_date(ctx.case.data["separation_date"])
    assert separation is not None
    return deadline(Period(DAY, separation, at=END), ctx.calendar,
                    rule_text=t("resignation.basis.separation"))
