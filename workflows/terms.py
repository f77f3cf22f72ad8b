"""The term machine (届期, spec §4.1 TM-1…TM-5; seed 000 第三—五条, 第十九条) — a small service, not a case.

Why a service and not a `Procedure`: a term is reference data that three procedures read (考核聘用 checks
RENEWAL_OPEN and the successor, 考试聘用 checks that a term is running, the roster import files appointments
under the covering term) from the `terms` row. A term case would duplicate that status in a second place,
could not exist for terms registered with `term add` (which tests, the demo and roster imports rely on), and
its transitions do not fit one case transaction: TM-3 fans out into one transaction per community, TM-4
changes every appointment of the term. So the steps are declared here as data (`TERM_STEPS`, engine `Step`s
with roles, citations, fields and guards) and this service runs them with the engine's own pieces — payload
validation, guard evaluation with SOFT-1 overrides (`engine.evaluate`), an audit entry per transition —
changing the `terms` row with a compare-and-swap on its status. Every case it creates goes through the
engine's one write path (`engine.changeover`).

Timers: TM-2 (start, at start_date), TM-4 (expire, at end_date + 1 day) and TM-5 (close, when every
re-hiring case is terminal) are not rows of the deadlines table (a deadline belongs to a case). `sweep()`
takes every transition that is due by the date, idempotently (the terms table is the truth, like the
deadlines table for cases); `shequ term sweep` runs it, and a scheduler can call it after each deadline
sweep (`DeadlineScheduler(after_sweep=...)`). Order within one sweep: expire, then start, then close — a
successor starting the day after its predecessor's last day sees the predecessor ENDED (TM-2).

Term-ending reminders (§4.1 timers: "optional reminder to open 换届 N days before end", issue 3): `remind()`
writes, for every ACTIVE or 换届中 term whose pack sets `reminders.term_end_days_before`, one
`reminder.term_ending` outbox row per recipient at `reminders.hour` on (last day − N days), with an audit
entry (SYSTEM) in the same transaction. They are not rows of the deadlines table (its rows belong to a case,
`deadlines.case_id` is NOT NULL): like the term timers they are computed from the terms table at each run,
and the outbox's unique idempotency key `term<id>:te<N>d:reminder.term_ending:<recipient>` is what makes a
rung written once (a second sweep, a restart, two processes: write transactions are serialised, and the one
that comes second finds the keys). The audit entry and the row's payload record how the instant was derived
(rule, start date, period `-P<N>D`, hour, calendar version). The scheduler runs it after each sweep,
`shequ deadlines run` at each rung's instant.

Decisions where the spec is silent:
- Term-ending reminders go to the roles that may open 换届 (TM-3: 区民政局 of the district), not to the
  street offices: the street offices act once 换届 is opened (the 考核聘用 cases notify them). They still
  go while the term is 换届中 (the term still ends; the text then asks to finish the 考核聘用 in time).
  A rung missed (nothing ran at its instant, or the term was registered after it) is not sent late by
  itself: only the latest passed rung is sent, once, saying the real number of days left
  (`engine.reminders.catch_up`). Nothing is sent after the term's last day. A pack whose ladder or hour is
  UNSPECIFIED writes none and blocks nothing.
- TM-1 refuses a term overlapping the previous one (TERM-1); a pay standard needs its wage reference.
- The pay standard may change while PLANNED; it is frozen while ACTIVE or 换届中 (TERM_PAY_FROZEN) and an
  ended term's standard is never changed (pay was computed from it).
- TM-3 may be re-run on a term already 换届中 to finish opening the re-hiring cases (`engine.changeover`);
  the window can then still be changed only while no case has been opened.
- TM-4: a re-hired worker's old appointment ends EXPIRED on the term's last day (its successor starts the
  next day or at approval, TERM-6); every other appointment without an open case ends EXPIRED, as the TM-4
  table says, whatever the case's outcome (the case keeps the reason).
- `engine.admin.Admin.open_renewal(..., by=None)` keeps the admin convention "no login = set-up by the
  system": it may take TM-3 as SYSTEM (audited as such); opening re-hiring cases still needs 区民政局.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import structlog

from engine import payload as payloads
from engine import reminders
from engine.calendar import calendar_for, term_end
from engine.clock import local_date
from engine.errors import GuardRejected, InvalidInput, NotConfigured, NotPermitted, ShequFlowError
from engine.evaluate import Evaluation, evaluate
from engine.guards import SYSTEM_ACTOR, Actor, CaseView, GuardContext
from engine.policy import Policy, get_pack
from engine.service import Engine
from engine.spec import Field, Roles, Rule, Step
from engine.spec import FieldType as F
from engine.text import join_list, t
from notifications.outbox import enqueue_term_reminder
from storage.records import TermRecord, UserRecord
from storage.repository import Store
from workflows.citations import ART3, ART4, ART5, ART19, assumption
from workflows.guards import dismissal as dg
from workflows.guards import terms as g
from workflows.guards.terms import ACTIVE, CLOSED, ENDED, IN_FORCE, PLANNED, RENEWAL_OPEN
from workflows.records import OFFICE_TABLE, RECORDER_ROLES, Records

log = structlog.get_logger("shequ.terms")

REHIRE = "assessment_rehiring"
REHIRE_FINAL = frozenset({"REHIRED", "NOT_REHIRED", "NOT_APPLIED", "WITHDRAWN"})
A06, A11, A12 = assumption(6), assumption(11), assumption(12)

WAGE_FIELDS = (Field("wage_ref_year", F.INT, required=False, minimum=1949),
               Field("wage_ref_amount", F.INT, required=False, minimum=0),
               Field("wage_ref_source", required=False))

TERM_STEPS: dict[str, Step] = {s.trigger: s for s in (
    Step(  # TM-1
        "create", (), PLANNED, (Roles.DISTRICT_CIVIL_AFFAIRS,), (ART4, ART19, A06),
        fields=(Field("ordinal", F.INT, minimum=1), Field("start_date", F.DATE),
                Field("pay_standard", F.INT, required=False, minimum=0), *WAGE_FIELDS),
        guards=(g.ordinal_free, g.follows_previous, g.wage_ref_complete, g.pay_not_below_city_average),
        rule_ids=("TM-1", "TERM-1", "TERM-3", "CAL-4"),
    ),
    Step(  # TERM-3: the per-capita pay standard, while the term is PLANNED
        "set_pay", (PLANNED, ACTIVE, RENEWAL_OPEN, ENDED, CLOSED), "=", (Roles.DISTRICT_CIVIL_AFFAIRS,),
        (ART19,),
        fields=(Field("pay_standard", F.INT, minimum=0), *WAGE_FIELDS),
        guards=(g.pay_not_frozen, g.wage_ref_complete, g.pay_not_below_city_average),
        rule_ids=("TERM-3", "PAY-1"),
    ),
    Step(  # TM-2
        "start", (PLANNED,), ACTIVE, (Roles.SYSTEM,), (ART4,),
        guards=(g.status_in(PLANNED), g.start_date_reached, g.previous_ended), rule_ids=("TM-2",),
    ),
    Step(  # TM-3 (the re-hiring cases are opened by engine.changeover, one transaction per community)
        "open_renewal", (ACTIVE,), RENEWAL_OPEN, (Roles.DISTRICT_CIVIL_AFFAIRS,), (ART3, ART5),
        fields=(Field("window_from", F.DATE), Field("window_to", F.DATE)),
        guards=(g.status_in(ACTIVE), g.successor_planned, g.rehiring_enabled), rule_ids=("TM-3",),
    ),
    Step(  # TM-4
        "expire", IN_FORCE, ENDED, (Roles.SYSTEM,), (A11, A12),
        guards=(g.status_in(*IN_FORCE), g.end_date_passed), rule_ids=("TM-4", "TERM-5", "TERM-6"),
    ),
    Step(  # TM-5
        "close", (ENDED,), CLOSED, (Roles.SYSTEM,), (A12,),
        guards=(g.status_in(ENDED), g.rehire_cases_terminal), rule_ids=("TM-5",),
    ),
)}


# The term-ending reminder names the step it prompts (TM-3, opening 换届) and the article that makes terms
# end (seed 000 第四条), like the case reminders name the awaited step (engine.reminders.awaiting).
TERM_REMINDER_RULE: Rule = reminders.awaiting("TM-3", (ART4, ART3))
TERM_REMINDER_KIND = f"reminder.{reminders.TERM_ENDING}"
REMIND_TRIGGER = "remind_term_ending"  # audit action term.remind_term_ending


def term_reminder_recipients() -> tuple[str, ...]:
    """Who is reminded that a term ends: the roles that may open 换届 (TM-3)."""
    roles = TERM_STEPS["open_renewal"].roles
    return tuple(r.value for r in roles if isinstance(r, Roles) and r != Roles.SYSTEM)


def term_reminder_key(term_id: int, rung: int, recipient: str) -> str:
    """The outbox idempotency key of one rung of a term's ladder for one recipient: (term, N, recipient)."""
    return f"term{term_id}:te{rung}d:{TERM_REMINDER_KIND}:{recipient}"


@dataclass(frozen=True)
class TermReminder:
    """One rung of a term's reminder ladder written to the outbox (`remind`)."""

    term_id: int
    district: str
    ordinal: int
    end_date: date
    rung: int  # N of `reminders.term_end_days_before`
    due_at: datetime  # the rung's instant: `reminders.hour` on end_date − N days
    sent_at: datetime
    days_left: int  # from the day it is sent to the last day (= rung unless caught up late)
    recipients: tuple[str, ...]
    outbox_ids: tuple[int, ...]
    audit_seq: int


@dataclass(frozen=True)
class _RungPlan:
    term: TermRecord
    policy: Policy
    send: reminders.Rung | None  # the rung to write now, if not written yet
    keys: dict[str, str]  # recipient -> idempotency key of `send` not written yet
    upcoming: reminders.Rung | None  # the next rung after now (within the term)


@dataclass(frozen=True)
class TermOutcome:
    """One transition of the term machine (or, for a sweep, one that was due but refused)."""

    term_id: int
    trigger: str
    from_state: str | None
    to_state: str
    audit_seq: int | None
    overridden: tuple[dict[str, Any], ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class OfficeStatus:
    """A 两委 worker of a term and the office result recorded for the 换届 (DIS-G9, TERM-4)."""

    worker_id: int
    name: str
    category: str
    appointment_id: int
    record_id: int | None
    election_date: date | None
    in_office: bool | None
    dismissal_case_id: int | None


class TermMachine:
    """Runs TM-1…TM-5 and the pay-standard change; each call is one transaction with its audit entry."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------ TM-1 and TERM-3
    def create(self, login: str, district: str, ordinal: int, start_date: date | str, *,
               pay_standard: int | None = None, wage_ref: Mapping[str, Any] | None = None,
               overrides: Mapping[str, str] | None = None) -> TermOutcome:
        """TM-1: a PLANNED term; end = CAL-4 (start + term length − 1 day, A-06)."""
        step = TERM_STEPS["create"]
        raw = {"ordinal": ordinal, "start_date": start_date, "pay_standard": pay_standard,
               **_wage_payload(wage_ref), "overrides": dict(overrides or {})}
        with self.engine.db.transaction() as store:
            d = store.district_by_code(district)
            policy = get_pack(store.district_pack(d.id))
            actor = self._actor(store, login, step, d.id)
            clean, evaluation = self._check(store, step, actor, None, d.id, policy, raw)
            start = date.fromisoformat(clean["start_date"])
            end = term_end(start, policy.int("term.length_years", "TERM-1"))
            term_id = store.insert("terms", {
                "district_id": d.id, "ordinal": clean["ordinal"], "start_date": start, "end_date": end,
                "status": PLANNED, "pay_standard": clean.get("pay_standard"), "wage_ref": _wage_ref(clean)})
            seq = self._audit(store, actor, step, term_id, d.code, None, PLANNED, clean, evaluation, policy,
                              {"start_date": start.isoformat(), "end_date": end.isoformat()})
            return TermOutcome(term_id, step.trigger, None, PLANNED, seq, evaluation.overridden,
                               {"start_date": start, "end_date": end})

    def set_pay(self, login: str, term_id: int, pay_standard: int, *,
                wage_ref: Mapping[str, Any] | None = None,
                overrides: Mapping[str, str] | None = None) -> TermOutcome:
        """TERM-3: set the per-capita pay standard (and its wage reference) while the term is PLANNED."""
        step = TERM_STEPS["set_pay"]
        with self.engine.db.transaction() as store:
            term, policy, district = self._load(store, term_id)
            actor = self._actor(store, login, step, term.district_id)
            recorded = store.term_detail(term_id).get("wage_ref") or {}
            raw = {"pay_standard": pay_standard, **_wage_payload(recorded), **_wage_payload(wage_ref),
                   "overrides": dict(overrides or {})}
            clean, evaluation = self._check(store, step, actor, term, term.district_id, policy, raw)
            if not store.move_term(term_id, term.status, pay_standard=clean["pay_standard"],
                                   wage_ref=_wage_ref(clean)):
                raise _moved(term)
            seq = self._audit(store, actor, step, term_id, district, term.status, term.status, clean,
                              evaluation, policy, {"pay_standard_before": term.pay_standard})
            return TermOutcome(term_id, step.trigger, term.status, term.status, seq, evaluation.overridden)

    # ------------------------------------------------------------ TM-2
    def start(self, term_id: int, login: str = SYSTEM_ACTOR.login) -> TermOutcome:
        """TM-2: PLANNED → ACTIVE on the start date, once the previous term has ended."""
        return self._move(term_id, "start", login)

    # ------------------------------------------------------------ TM-3 (status part)
    def open_renewal(self, login: str, term_id: int, window_from: date, window_to: date, *,
                     setup: bool = False) -> TermOutcome | None:
        """TM-3: ACTIVE → RENEWAL_OPEN with the application window. On a term already 换届中 with the same
        window nothing changes (None: the caller goes on opening the missing cases); a different window is
        recorded only while no re-hiring case exists. `setup` lets SYSTEM take the step (admin set-up)."""
        if window_to < window_from:
            raise InvalidInput("DATE_ORDER", details={
                "later": t("fields.window_to"), "later_date": window_to.isoformat(),
                "earlier": t("fields.window_from"), "earlier_date": window_from.isoformat()})
        step = TERM_STEPS["open_renewal"]
        with self.engine.db.transaction() as store:
            term, policy, district = self._load(store, term_id)
            actor = self._actor(store, login, step, term.district_id, allow_system=setup)
            raw = {"window_from": window_from, "window_to": window_to}
            if term.status == RENEWAL_OPEN:
                if (term.window_from, term.window_to) == (window_from, window_to):
                    return None
                if any(c.data.get("term_id") == term_id
                       for c in store.cases_of(REHIRE, district_id=term.district_id)):
                    raise ShequFlowError("TERM_WINDOW_MISMATCH", rule_id="TM-3", citation=str(ART3), details={
                        "term": term.ordinal, "window_from": _iso(term.window_from),
                        "window_to": _iso(term.window_to)})
                clean = payloads.validate(step.fields, raw, trigger=step.trigger)
                store.update_term(term_id, window_from=window_from, window_to=window_to)
                seq = self._audit(store, actor, step, term_id, district, RENEWAL_OPEN, RENEWAL_OPEN, clean,
                                  Evaluation((), ()), policy,
                                  {"window_before": [_iso(term.window_from), _iso(term.window_to)]})
                return TermOutcome(term_id, step.trigger, RENEWAL_OPEN, RENEWAL_OPEN, seq)
            clean, evaluation = self._check(store, step, actor, term, term.district_id, policy, raw)
            if not store.move_term(term_id, term.status, status=RENEWAL_OPEN, window_from=window_from,
                                   window_to=window_to):
                raise _moved(term)
            seq = self._audit(store, actor, step, term_id, district, term.status, RENEWAL_OPEN, clean,
                              evaluation, policy, {})
            return TermOutcome(term_id, step.trigger, term.status, RENEWAL_OPEN, seq)

    # ------------------------------------------------------------ TM-4
    def expire(self, term_id: int, login: str = SYSTEM_ACTOR.login) -> TermOutcome:
        """TM-4: at end_date + 1 day the term ENDS; per appointment REHIRED → successor, case open →
        HOLDOVER (TERM-6), otherwise → EXPIRED. One transaction for the whole term."""
        step = TERM_STEPS["expire"]
        with self.engine.db.transaction() as store:
            term, policy, district = self._load(store, term_id)
            actor = self._actor(store, login, step, term.district_id)
            _, evaluation = self._check(store, step, actor, term, term.district_id, policy, {})
            if not store.move_term(term_id, term.status, status=ENDED):
                raise _moved(term)
            ends = policy.bool("term.appointment_ends_with_term", "A-11")
            holdover = policy.bool("term.holdover_while_rehire_pending", "A-12") if ends else False
            cases = _latest_case_per_appointment(store.cases_of(REHIRE, district_id=term.district_id))
            plan = g.expiry_plan(store.term_appointments(term_id, statuses=(ACTIVE,)), cases,
                                 ends_with_term=ends, holdover=holdover, final_states=REHIRE_FINAL)
            for item in plan:
                if item.outcome == g.HOLDOVER:
                    store.set_appointment_status(item.appointment_id, "HOLDOVER")
                elif item.outcome in (g.SUCCESSOR, g.EXPIRED):
                    store.end_appointment(item.appointment_id, term.end_date, "EXPIRED")
            summary = {outcome: [i.appointment_id for i in plan if i.outcome == outcome]
                       for outcome in (g.SUCCESSOR, g.HOLDOVER, g.EXPIRED, g.KEPT)}
            seq = self._audit(store, actor, step, term_id, district, term.status, ENDED, {}, evaluation,
                              policy, {"appointments": summary, "last_day": term.end_date.isoformat()})
            return TermOutcome(term_id, step.trigger, term.status, ENDED, seq,
                               details={k: len(v) for k, v in summary.items()})

    # ------------------------------------------------------------ TM-5
    def close(self, term_id: int, login: str = SYSTEM_ACTOR.login) -> TermOutcome:
        """TM-5: ENDED → CLOSED once every re-hiring case of the term is terminal."""
        return self._move(term_id, "close", login)

    # ------------------------------------------------------------ timers
    def sweep(self) -> list[TermOutcome]:
        """Take every term transition due today (TM-4, then TM-2, then TM-5), each in its own transaction.
        A due transition that is refused (e.g. a successor whose predecessor has not ended) is reported with
        its error and tried again at the next sweep; nothing else is retried or skipped."""
        today = local_date(self.engine.clock.now())
        outcomes: list[TermOutcome] = []
        due: list[tuple[str, Callable[[int], TermOutcome], Callable[[TermRecord], bool]]] = [
            ("expire", self.expire, lambda x: x.status in IN_FORCE and today > x.end_date),
            ("start", self.start, lambda x: x.status == PLANNED and today >= x.start_date),
            ("close", self.close, lambda x: x.status == ENDED),
        ]
        for trigger, run, is_due in due:
            with self.engine.db.read() as store:
                terms = [x for x in store.all_terms() if is_due(x)]
                if trigger == "close":
                    terms = [x for x in terms if self._open_rehire_cases(store, x) == 0]
            outcomes += [self._attempt(x, trigger, run) for x in terms]
        return outcomes

    # ------------------------------------------------------------ term-ending reminders (§4.1 timers)
    def remind(self) -> list[TermReminder]:
        """Write the term-ending reminders due now (see the module docstring), one transaction per term.
        Idempotent: a rung already written is never written again (checked again inside the write
        transaction). A term whose reminder cannot be written (e.g. a busy database) is logged and tried again
        at the next run. The scheduler runs this after every sweep, so a rung goes out within one tick."""
        now = self.engine.clock.now()
        today = local_date(now)
        with self.engine.db.read() as store:  # a write transaction only for a term with something to write
            keys = self._written_keys(store)
            ids = [x.id for x in store.all_terms() if x.status in IN_FORCE and today <= x.end_date
                   and (plan := self._plan(store, x, now, keys)) is not None and plan.send is not None]
        written: list[TermReminder] = []
        for term_id in ids:
            try:
                reminder = self._remind(term_id, now)
            except ShequFlowError as exc:
                log.warning("term_reminder_failed", term_id=term_id, code=exc.code)
                continue
            if reminder is not None:
                written.append(reminder)
        return written

    def next_reminder_at(self, until: datetime) -> datetime | None:
        """The earliest instant at or before `until` at which `remind` has something to write: now, when a
        passed rung is not written yet; otherwise the next rung's instant (a simulation moves its clock
        there, `shequ deadlines run`)."""
        now = self.engine.clock.now()
        found: datetime | None = None
        with self.engine.db.read() as store:
            written = self._written_keys(store)
            for term in store.all_terms():
                plan = self._plan(store, term, now, written)
                if plan is None:
                    continue
                at = now if plan.send is not None else plan.upcoming[1].at if plan.upcoming else None
                if at is not None and at <= until and (found is None or at < found):
                    found = at
        return found

    def _plan(self, store: Store, term: TermRecord, now: datetime, written: set[str]) -> _RungPlan | None:
        """The ladder of an in-force term at `now`: the rung to write (the latest passed one, if any of its
        keys is not written) and the next one; None when the term is not in force, ended, or its pack leaves
        the ladder UNSPECIFIED."""
        if term.status not in IN_FORCE or local_date(now) > term.end_date:
            return None
        policy = get_pack(store.district_pack(term.district_id))
        try:
            rungs = reminders.rungs_before(policy, reminders.TERM_LADDER, TERM_REMINDER_RULE.id,
                                           term.end_date, calendar_for(store))
        except NotConfigured as exc:
            log.debug("term_reminder_not_configured", term_id=term.id, setting=exc.details.get("key"))
            return None
        upcoming = reminders.next_rung(rungs, now)
        if upcoming is not None and local_date(upcoming[1].at) > term.end_date:
            upcoming = None
        send = reminders.catch_up(rungs, now)
        keys: dict[str, str] = {}
        if send is not None:
            keys = {r: term_reminder_key(term.id, send[0], r) for r in term_reminder_recipients()}
            keys = {r: k for r, k in keys.items() if k not in written}
        return _RungPlan(term, policy, send if keys else None, keys, upcoming)

    @staticmethod
    def _written_keys(store: Store) -> set[str]:
        rows = store.outbox_rows(kinds=[TERM_REMINDER_KIND], limit=1_000_000)
        return {str(r["idempotency_key"]) for r in rows}

    def _remind(self, term_id: int, now: datetime) -> TermReminder | None:
        """One term, one transaction: find the keys not written, write their rows and the audit entry."""
        with self.engine.db.transaction() as store:
            plan = self._plan(store, store.term(term_id), now, self._written_keys(store))
            if plan is None or plan.send is None:
                return None
            term, policy, (rung, due) = plan.term, plan.policy, plan.send
            district = store.district_code(term.district_id)
            today = local_date(now)
            days_left = (term.end_date - today).days
            rule = TERM_REMINDER_RULE
            recipients = tuple(plan.keys)
            computed = {  # how the rung's instant was derived, like a deadline row's provenance
                "ordinal": term.ordinal, "end_date": term.end_date.isoformat(), "rung": rung,
                "days_left": days_left, "due_at": due.at.isoformat(), "late": days_left != rung,
                "ladder": reminders.TERM_LADDER, "start_date": due.start.isoformat() if due.start else None,
                "period": due.period, "calendar_version": due.calendar_version,
                "recipients": list(recipients)}
            body = {"term_id": term.id, "district": district, "payload": {}, "computed": computed,
                    "basis": dict(due.basis), "idempotency_keys": list(plan.keys.values()),
                    "rule_ids": [rule.id], "citations": [str(c) for c in rule.cites], "overrides": [],
                    "warnings": [], "effective_date": today.isoformat(),
                    "pack": f"{policy.code}@{policy.version}"}
            actor = SYSTEM_ACTOR
            seq = store.append_audit(case_id=None, procedure=None, action=f"term.{REMIND_TRIGGER}",
                                     from_state=term.status, to_state=term.status, actor_login=actor.login,
                                     actor_name=actor.name, role=actor.role, at=now, body=body)
            ids = enqueue_term_reminder(
                store, term={"id": term.id, "district": district, "ordinal": term.ordinal,
                             "start_date": term.start_date, "end_date": term.end_date, "status": term.status},
                district_id=term.district_id, pack=f"{policy.code}@{policy.version}", kind=TERM_REMINDER_KIND,
                keys=plan.keys, notice_to=term_reminder_recipients(), now=now,
                event={"trigger": REMIND_TRIGGER, "audit_seq": seq,
                       "actor": {"login": actor.login, "name": actor.name, "role": actor.role},
                       "payload": {}, "rule_ids": [rule.id], "citations": [str(c) for c in rule.cites]},
                reminder={"term_id": term.id, "term_ordinal": term.ordinal, "term_end": term.end_date,
                          "end_day": term.end_date, "days_left": days_left, "rung": rung, "due_at": due.at,
                          "renewal_open": term.status == RENEWAL_OPEN, "rule": rule.id,
                          "period": due.period, "calendar_version": due.calendar_version})
            log.info("term_reminder_written", term_id=term.id, rung=rung, days_left=days_left, audit_seq=seq,
                     recipients=list(recipients))
            return TermReminder(term.id, district, term.ordinal, term.end_date, rung, due.at, now, days_left,
                                recipients, tuple(ids), seq)

    # ------------------------------------------------------------ 换届 and elected office (DIS-G9)
    def offices(self, term_id: int) -> list[OfficeStatus]:
        """The 两委 workers of a term (PARTY_COMMITTEE_MEMBER, RESIDENTS_COMMITTEE_MEMBER) and the
        office result recorded for this 换届 (a record for the successor term, or dated on or after the
        window opened): after 换届 one who no longer holds the office is a dismissal case on ground 9
        (TERM-4, 第二十三条9)."""
        with self.engine.db.read() as store:
            term = store.term(term_id)
            successor = _successor(store.terms(term.district_id), term)
            apps = store.term_appointments(term_id, statuses=("ACTIVE", "HOLDOVER", "ENDED"))
            apps = [a for a in apps if a.category in dg.ELECTED_BODIES]
            workers = store.workers_by_id(sorted({a.worker_id for a in apps}))
            out: list[OfficeStatus] = []
            for a in apps:
                rows = [r for r in store.facts(OFFICE_TABLE, a.worker_id)
                        if (successor is not None and r["term_id"] == successor.id)
                        or (term.window_from is not None and r["election_date"] >= term.window_from)]
                latest = max(rows, key=lambda r: (r["election_date"], r["id"])) if rows else None
                dismissal = next((c.id for c in store.list_cases(procedure="dismissal", worker_id=a.worker_id,
                                                                 open_only=True)
                                  if c.data.get("ground") == "DIS-G9"), None)
                out.append(OfficeStatus(a.worker_id, workers[a.worker_id].name, a.category, a.id,
                                        latest["id"] if latest else None,
                                        latest["election_date"] if latest else None,
                                        bool(latest["in_office"]) if latest else None, dismissal))
            return out

    def record_offices(self, login: str, term_id: int,
                       rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Record the 换届 office results of several 两委 workers in ONE transaction (a broken row names
        itself and nothing is kept), each through `workflows.records` so that DIS-G9 opens a dismissal case
        at once for one no longer in office. Each row: worker_id, in_office, election_date, source_ref,
        position."""
        records = Records(self.engine)
        with self.engine.db.transaction() as store:
            term = store.term(term_id)
            successor = _successor(store.terms(term.district_id), term)
            actor = _recorder(store, login)
            results = []
            for number, row in enumerate(rows, start=1):
                raw = {"election_date": row.get("election_date"), "in_office": _bool(row.get("in_office")),
                       "source_ref": row.get("source_ref"), "position": row.get("position") or None,
                       "term_id": successor.id if successor is not None else None}
                try:
                    results.append(records.record_in(store, actor, OFFICE_TABLE, int(row["worker_id"]), raw))
                except (ShequFlowError, KeyError, ValueError) as exc:
                    reason = exc.message_zh if isinstance(exc, ShequFlowError) else str(exc)
                    raise InvalidInput("TERM_OFFICE_ROW_INVALID", details={"row": number,
                                                                           "reason": reason}) from exc
            return results

    # ------------------------------------------------------------ internals
    def _attempt(self, term: TermRecord, trigger: str, run: Callable[[int], TermOutcome]) -> TermOutcome:
        try:
            return run(term.id)
        except ShequFlowError as exc:
            return TermOutcome(term.id, trigger, term.status, term.status, None, error=exc.to_dict())

    def _move(self, term_id: int, trigger: str, login: str) -> TermOutcome:
        step = TERM_STEPS[trigger]
        with self.engine.db.transaction() as store:
            term, policy, district = self._load(store, term_id)
            actor = self._actor(store, login, step, term.district_id)
            _, evaluation = self._check(store, step, actor, term, term.district_id, policy, {})
            if not store.move_term(term_id, term.status, status=step.dest):
                raise _moved(term)
            seq = self._audit(store, actor, step, term_id, district, term.status, step.dest, {}, evaluation,
                              policy, {})
            return TermOutcome(term_id, trigger, term.status, step.dest, seq)

    def _load(self, store: Store, term_id: int) -> tuple[TermRecord, Policy, str]:
        term = store.term(term_id)
        policy = get_pack(store.district_pack(term.district_id))
        return term, policy, store.district_code(term.district_id)

    def _actor(self, store: Store, login: str, step: Step, district_id: int, *,
               allow_system: bool = False) -> Actor:
        if login == SYSTEM_ACTOR.login:
            if Roles.SYSTEM in step.roles or allow_system:
                return SYSTEM_ACTOR
            raise NotPermitted("ROLE_NOT_PERMITTED", details={"trigger": t(f"terms.triggers.{step.trigger}"),
                                                              "roles": _roles(step)})
        user = store.user_by_login(login)
        for role in (r for r in step.roles if isinstance(r, Roles) and r != Roles.SYSTEM):
            if role.value in user.roles:
                if user.district_id is not None and user.district_id != district_id:
                    raise NotPermitted("OUT_OF_SCOPE", details={
                        "user": user.login, "role": t(f"roles.{role.value}"), "role_code": role.value,
                        "case": t("terms.scope", term=step.trigger)})
                return _actor_of(user, role.value)
        raise NotPermitted("ROLE_NOT_PERMITTED", details={"trigger": t(f"terms.triggers.{step.trigger}"),
                                                          "roles": _roles(step), "user": user.login})

    def _check(self, store: Store, step: Step, actor: Actor, term: TermRecord | None, district_id: int,
               policy: Policy, raw: Mapping[str, Any]) -> tuple[dict[str, Any], Evaluation]:
        """Validate the payload and evaluate the step's guards (SOFT-1 overrides by the pack's override
        role, engine.evaluate); a blocking failure raises GuardRejected and nothing is written."""
        clean = payloads.validate(step.fields, {k: v for k, v in raw.items() if v is not None},
                                  trigger=step.trigger)
        now = self.engine.clock.now()
        view = CaseView(term.id if term else None, "term", term.status if term else "", 0, {}, None, None,
                        None, district_id, None, None)
        pending = self._open_rehire_cases(store, term) if term is not None and step.trigger == "close" else 0
        facts = {"term": term, "terms": tuple(store.terms(district_id)), "open_rehire_cases": pending}
        ctx = GuardContext(view, clean, actor, now, local_date(now), policy, facts)
        evaluation = evaluate(step, ctx)
        if evaluation.blocking:
            raise GuardRejected([v.to_error() for v in evaluation.blocking])
        return clean, evaluation

    def _open_rehire_cases(self, store: Store, term: TermRecord) -> int:
        return sum(1 for c in store.cases_of(REHIRE, district_id=term.district_id, open_only=True)
                   if c.data.get("term_id") == term.id)

    def _audit(self, store: Store, actor: Actor, step: Step, term_id: int, district: str,
               from_state: str | None, to_state: str, clean: Mapping[str, Any], evaluation: Evaluation,
               policy: Policy, extra: Mapping[str, Any]) -> int:
        now = self.engine.clock.now()
        body = {"term_id": term_id, "district": district,
                "payload": {k: v for k, v in clean.items() if k != "overrides"},
                "rule_ids": sorted(set(step.rule_ids) | set(evaluation.rule_ids())),
                "citations": [str(c) for c in step.cites] + evaluation.citations(),
                "overrides": list(evaluation.overridden),
                "warnings": [v.to_error().to_dict() for v in evaluation.warnings],
                "effective_date": local_date(now).isoformat(), "pack": f"{policy.code}@{policy.version}",
                **extra}
        return store.append_audit(case_id=None, procedure=None, action=f"term.{step.trigger}",
                                  from_state=from_state, to_state=to_state, actor_login=actor.login,
                                  actor_name=actor.name, role=actor.role, at=now, body=body)


# ---------------------------------------------------------------- helpers


def _successor(terms: Sequence[TermRecord], term: TermRecord) -> TermRecord | None:
    return next((x for x in terms if x.ordinal == term.ordinal + 1), None)


def _latest_case_per_appointment(cases: Sequence[Any]) -> dict[int, Any]:
    latest: dict[int, Any] = {}
    for case in cases:  # in id order: a later case for the same appointment wins
        raw = case.data.get("appointment_id")
        if raw is not None:
            latest[int(raw)] = case
    return latest


def _wage_payload(wage_ref: Mapping[str, Any] | None) -> dict[str, Any]:
    if not wage_ref:
        return {}
    out = {f"wage_ref_{k}": wage_ref.get(k) for k in ("year", "amount", "source")}
    return {k: v for k, v in out.items() if v is not None}


def _wage_ref(clean: Mapping[str, Any]) -> dict[str, Any]:
    return {k: clean[f"wage_ref_{k}"] for k in ("year", "amount", "source") if f"wage_ref_{k}" in clean}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _roles(step: Step) -> str:
    return join_list(t(f"roles.{r.value}") for r in step.roles if isinstance(r, Roles))


def _actor_of(user: UserRecord, role: str) -> Actor:
    return Actor(user.id, user.login, user.name, role, frozenset(user.roles), user.district_id,
                 user.street_id, user.community_id, user.worker_id)


def _recorder(store: Store, login: str) -> Actor:
    """The user recording office results, in the first recorder role they hold (workflows.records)."""
    if login == SYSTEM_ACTOR.login:
        return SYSTEM_ACTOR
    user = store.user_by_login(login)
    for role in RECORDER_ROLES[OFFICE_TABLE]:
        if role.value in user.roles:
            return _actor_of(user, role.value)
    raise NotPermitted("ROLE_NOT_PERMITTED", details={
        "trigger": t(f"records.action.{OFFICE_TABLE}"),
        "roles": join_list(t(f"roles.{r.value}") for r in RECORDER_ROLES[OFFICE_TABLE])})


def _bool(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    word = str(value).strip().lower()
    if word in payloads.BOOL_TRUE_WORDS:
        return True
    if word in payloads.BOOL_FALSE_WORDS:
        return False
    return value


def _moved(term: TermRecord) -> ShequFlowError:
    from engine.errors import ConcurrentModification

    return ConcurrentModification("TERM_MOVED", details={"term": term.ordinal, "status": term.status})


def office_rows_from_csv(text: str) -> list[dict[str, str]]:
    """Rows of an office-results CSV (worker_id, in_office, election_date, source_ref[, position])."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("worker_id", "in_office", "election_date", "source_ref")
               if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput("ROSTER_HEADER_INVALID", details={"columns": join_list(missing)})
    return [dict(row) for row in reader]

