"""Consequences of a FINAL annual grade on the worker's current appointment (HONGSHAN, seed 001
第二十七条; spec §4.4.5 Variants, §4.7 Variants, §6 "probation flag 留用察看 with dates"):

- HS-PROB, 留用察看 (第二十七条(三) "对年度考评诫勉的社区工作者,实行留用察看"): a FINAL grade in the
  pack's `assessment.probation_tier` (HONGSHAN 诫勉) puts the current appointment on probation from the
  day that grade became FINAL. The seed says nothing on its length; `assessment.probation_until`
  decides: "next_final_grade" (HONGSHAN; decision) — it ends on the day the next year's grade becomes
  FINAL (a new 诫勉 starts a new probation that day) — or a number of months (CAL-3).
- HS-EXIT, 不合格 (第二十七条(四)): a FINAL grade in `assessment.exit_task_tier` (HONGSHAN 不合格)
  records an open task for the category-specific exit, an external procedure the engine does not run:
  居委会 member → 调整或辞退 under the 居委会组织法 and the Hubei election rules (street office);
  公共服务干事 and elderly-care staff → 解聘 under the 用工合同 (street office, the contract party,
  第七条); party-organisation member → 调整 per the 组织部门 rules (street party committee). Who
  handles the 居委会 case is a decision (the street office guides the 居委会). The handler records the
  outcome of the external procedure (`record_exit_outcome`, DECISIONS 31): the task is then CLOSED with
  the outcome, its date and source, audited in the same transaction.

Both flags are a pure function of the worker's current grades (`desired_probation`,
`desired_exit_task`), recomputed in the transaction of every grade record, correction or withdrawal
(`workflows.records`), so the round's FINAL step sets them with the grades. A difference from what the
appointment holds is written and audited as SYSTEM (set / ended / lifted / changed): a correction that
changes the grade lifts the flag. A pack whose setting is false has no such consequence (DONGQU,
CHUZHOU); UNSPECIFIED is reported not evaluated (A-41). A flag imposed before the appointment began
belongs to an earlier appointment and is not carried over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.calendar import add_months_clamped
from engine.clock import local_date
from engine.errors import DefinitionError, InvalidInput, NotConfigured, NotPermitted, TransitionRejected
from engine.guards import SYSTEM_ACTOR, Actor, CaseView
from engine.policy import Policy, get_pack
from engine.service import Engine
from engine.text import join_list, t
from storage.appointment_flags import appointment_flags, set_appointment_flags
from storage.repository import Store
from storage.unit_of_work import Database
from workflows.citations import S001_ART27_3, S001_ART27_4
from workflows.guards import assessment as ga

GRADES_TABLE = "annual_grades"
PROBATION_RULE = "HS-PROB"
EXIT_RULE = "HS-EXIT"
NEXT_FINAL_GRADE = "next_final_grade"

# seed 001 第二十七条(四): the category-specific exit and who carries it out (kind, role).
EXIT_TASKS: dict[str, tuple[str, str]] = {
    "RESIDENTS_COMMITTEE_MEMBER": ("ADJUST_OR_DISCHARGE", "STREET_OFFICE"),
    "PUBLIC_SERVICE_OFFICER": ("TERMINATE_CONTRACT", "STREET_OFFICE"),
    "ELDERLY_CARE_STAFF": ("TERMINATE_CONTRACT", "STREET_OFFICE"),
    "PARTY_COMMITTEE_MEMBER": ("ADJUST_BY_ORGANISATION_RULES", "STREET_PARTY_COMMITTEE"),
}
OTHER_CATEGORY = ("CATEGORY_NOT_COVERED", "STREET_OFFICE")  # a category 第二十七条(四) does not name

# seed 001 第二十七条(四): the outcomes each exit can have (DECISIONS 31). 居委会 member: 调整 or 予以辞退;
# 公共服务干事/elderly-care staff: 依据用工合同予以解聘; party-organisation member: 调整; a category the
# article does not name: whichever of the three the street decides.
ADJUSTED, DISCHARGED, CONTRACT_TERMINATED = "ADJUSTED", "DISCHARGED", "CONTRACT_TERMINATED"
EXIT_OUTCOMES: dict[str, tuple[str, ...]] = {
    "ADJUST_OR_DISCHARGE": (ADJUSTED, DISCHARGED),
    "TERMINATE_CONTRACT": (CONTRACT_TERMINATED,),
    "ADJUST_BY_ORGANISATION_RULES": (ADJUSTED,),
    "CATEGORY_NOT_COVERED": (ADJUSTED, DISCHARGED, CONTRACT_TERMINATED),
}
OPEN, CLOSED = "OPEN", "CLOSED"
# Keys `record_exit_outcome` adds to the task; the task itself (kind, year, role, …) is what the grades say.
OUTCOME_KEYS = ("status", "outcome", "outcome_on", "outcome_source", "outcome_note", "closed_by",
                "closed_at", "outcome_audit_seq")


@dataclass(frozen=True)
class FinalGrade:
    """A worker's current grade of one year and the day it became FINAL."""

    year: int
    grade: str
    final_on: date
    record_id: int


@dataclass(frozen=True)
class Probation:
    year: int
    start: date
    end: date | None  # None: until the next year's FINAL grade

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def to_json(self) -> dict[str, Any]:
        return {"year": self.year, "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None}


def final_grades(rows: Sequence[Mapping[str, Any]]) -> dict[int, FinalGrade]:
    """The current grade of each year (corrections applied, withdrawals removed) with the day it became FINAL:
    the recorded day of the earliest row of its correction chain holding the same grade (a correction that
    keeps the grade, e.g. a new source reference, does not move the date)."""
    by_id = {int(r["id"]): r for r in rows}
    superseded = {int(r["supersedes_id"]) for r in rows if r["supersedes_id"] is not None}
    out: dict[int, FinalGrade] = {}
    for row in rows:
        if int(row["id"]) in superseded or row["withdrawn"]:
            continue
        first = row
        while first["supersedes_id"] is not None:
            older = by_id[int(first["supersedes_id"])]
            if older["withdrawn"] or older["grade"] != row["grade"] or int(older["year"]) != int(row["year"]):
                break
            first = older
        year = int(row["year"])
        out[year] = FinalGrade(year, str(row["grade"]), local_date(first["recorded_at"]), int(row["id"]))
    return out


def _tier_code(policy: Policy, key: str, rule: str) -> str | None:
    """The grade code of the tier a setting names; None where the setting is false (no such consequence)."""
    value = policy.get(key, rule)
    if value is False:
        return None
    code = ga.grade_code(policy, value)
    if code is None:
        raise DefinitionError(t("definition.pack_unknown_tier", pack=policy.code, key=key, tier=str(value)))
    return code


def _latest_in_tier(grades: Mapping[int, FinalGrade], tier: str | None,
                    since: date) -> tuple[int, date] | None:
    """The latest year graded `tier` and the day that grade became FINAL, unless it predates `since` (a
    consequence of a grade from before the appointment began is not carried into it)."""
    years = [y for y, g in grades.items() if tier is not None and g.grade == tier]
    if not years:
        return None
    year = max(years)
    final_on = grades[year].final_on
    return None if final_on < since else (year, final_on)


def desired_probation(policy: Policy, grades: Mapping[int, FinalGrade], since: date) -> Probation | None:
    """HS-PROB: the probation the latest grade in the probation tier imposes on an appointment begun on
    `since`, or None. Raises NotConfigured where the pack leaves a needed value UNSPECIFIED."""
    latest = _latest_in_tier(grades, _tier_code(policy, "assessment.probation_tier", PROBATION_RULE), since)
    if latest is None:
        return None
    year, start = latest
    until = policy.get("assessment.probation_until", PROBATION_RULE)
    if until == NEXT_FINAL_GRADE:
        later = [y for y in grades if y > year]
        end = max(grades[min(later)].final_on, start) if later else None
    elif isinstance(until, int) and not isinstance(until, bool) and until > 0:
        end = add_months_clamped(start, until)
    else:
        raise DefinitionError(t("definition.pack_bad_probation_until", pack=policy.code, value=str(until)))
    return Probation(year, start, end)


def desired_exit_task(policy: Policy, grades: Mapping[int, FinalGrade], since: date,
                      category: str | None) -> dict[str, Any] | None:
    """HS-EXIT: the open task the latest grade in the exit tier records, or None."""
    latest = _latest_in_tier(grades, _tier_code(policy, "assessment.exit_task_tier", EXIT_RULE), since)
    if latest is None:
        return None
    year, created = latest
    kind, role = EXIT_TASKS.get(category or "", OTHER_CATEGORY)
    return {"kind": kind, "to_role": role, "year": year, "category": category,
            "created_on": created.isoformat(), "status": "OPEN", "rule_id": EXIT_RULE,
            "citation": str(S001_ART27_4)}


def _stored_probation(flags: Mapping[str, Any]) -> Probation | None:
    if flags.get("probation_start") is None:
        return None
    return Probation(int(flags["probation_year"]), flags["probation_start"], flags["probation_end"])


def _task_identity(task: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in task.items() if k not in OUTCOME_KEYS}


def _closed_same_task(stored: Mapping[str, Any] | None, desired: Mapping[str, Any] | None) -> bool:
    """A CLOSED task the grades still call for (same year, kind, handler): its recorded outcome stands."""
    return (stored is not None and desired is not None and stored.get("status") == CLOSED
            and _task_identity(stored) == _task_identity(desired))


def _change(before: Any, after: Any) -> str:
    if before is None:
        return "set"
    if after is None:
        return "lifted"
    if isinstance(before, Probation) and isinstance(after, Probation) and before.end is None \
            and (before.year, before.start) == (after.year, after.start):
        return "ended"
    return "changed"


def apply_in(store: Store, worker_id: int, *, cause: str, now: Any) -> tuple[list[dict[str, Any]],
                                                                              list[dict[str, Any]]]:
    """Recompute the flags of the worker's current appointment from the current grades and write and audit any
    difference, in the caller's transaction. Returns (changes, not evaluated)."""
    apps = store.appointments(worker_id=worker_id)
    if not apps:
        return [], []
    appointment = apps[0]
    policy = get_pack(store.district_pack(store.community(appointment.community_id).district_id))
    grades = final_grades(store.facts(GRADES_TABLE, worker_id, current_only=False))
    flags = appointment_flags(store, [appointment.id]).get(appointment.id, {})
    changes: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []

    def audit(flag: str, change: str, before: Any, after: Any, rule: str, citation: str) -> None:
        seq = store.append_audit(
            case_id=None, procedure=None, action=f"appointment.{flag}", from_state=None, to_state=None,
            actor_login=SYSTEM_ACTOR.login, actor_name=SYSTEM_ACTOR.name, role=SYSTEM_ACTOR.role, at=now,
            body={"appointment_id": appointment.id, "worker_id": worker_id, "change": change,
                  "before": before, "after": after, "cause": cause, "rule_ids": [rule],
                  "citations": [citation], "pack": f"{policy.code}@{policy.version}",
                  "effective_date": local_date(now).isoformat()})
        changes.append({"flag": flag, "change": change, "appointment_id": appointment.id, "before": before,
                        "after": after, "audit_seq": seq})

    try:
        want = desired_probation(policy, grades, appointment.start_date)
    except NotConfigured as exc:
        skipped.append({"ground": PROBATION_RULE, "reason": "NOT_CONFIGURED", "key": exc.details.get("key")})
    else:
        have = _stored_probation(flags)
        if want != have:
            set_appointment_flags(store, appointment.id, {
                "probation_start": want.start if want else None, "probation_end": want.end if want else None,
                "probation_year": want.year if want else None})
            audit("probation", _change(have, want), have.to_json() if have else None,
                  want.to_json() if want else None, PROBATION_RULE, str(S001_ART27_3))
    try:
        task = desired_exit_task(policy, grades, appointment.start_date, appointment.category)
    except NotConfigured as exc:
        skipped.append({"ground": EXIT_RULE, "reason": "NOT_CONFIGURED", "key": exc.details.get("key")})
    else:
        stored = flags.get("exit_task") or None
        if task != stored and not _closed_same_task(stored, task):
            set_appointment_flags(store, appointment.id, {"exit_task": task})
            audit("exit_task", _change(stored, task), stored, task, EXIT_RULE, str(S001_ART27_4))
    return changes, skipped


# ---------------------------------------------------------------- the exit task's outcome (DECISIONS 31)


def outcome_code(value: str) -> str | None:
    """The outcome code for a code, its label (调整, 予以辞退, 依据用工合同予以解聘) or short form (辞退,
    解聘), else None."""
    text = str(value or "").strip()
    for code in (ADJUSTED, DISCHARGED, CONTRACT_TERMINATED):
        labels = (t(f"appointment_flags.outcome.{code}"), t(f"appointment_flags.outcome_short.{code}"))
        if text == code or text in labels:
            return code
    return None


def record_exit_outcome(engine: Engine, login: str, worker_id: int, outcome: str, source_ref: str, *,
                        on: date | None = None, note: str | None = None) -> dict[str, Any]:
    """HS-EXIT closed: the handler of the worker's open exit task (its `to_role`, within the worker's
    street) records the outcome of the external procedure — one the task's kind allows (EXIT_OUTCOMES) —
    its date (default today; not before the task, not in the future) and source. One transaction: the
    appointment's task becomes CLOSED with the outcome and the change is audited (`appointment.exit_task`,
    change closed, rule HS-EXIT). The appointment itself is not ended here (DECISIONS 31)."""
    now = engine.clock.now()
    today = local_date(now)
    day = on or today
    ref = str(source_ref or "").strip()
    with engine.db.transaction() as store:
        store.lock_worker(worker_id)
        store.worker(worker_id)
        apps = store.appointments(worker_id=worker_id)
        flags = appointment_flags(store, [a.id for a in apps])
        open_tasks = [(a, flags[a.id]["exit_task"]) for a in apps
                      if (flags.get(a.id, {}).get("exit_task") or {}).get("status") == OPEN]
        if not open_tasks:
            raise TransitionRejected("EXIT_TASK_NOT_OPEN", rule_id=EXIT_RULE, citation=str(S001_ART27_4),
                                     details={"worker": worker_id})
        appointment, task = open_tasks[0]
        role = str(task["to_role"])
        community = store.community(appointment.community_id)
        if login == SYSTEM_ACTOR.login:  # the local operator, as for `record grade` without --as
            actor = SYSTEM_ACTOR
        else:
            user = store.user_by_login(login)
            if role not in user.roles:
                raise NotPermitted("ROLE_NOT_PERMITTED", details={
                    "trigger": t("appointment_flags.record_action"), "roles": t(f"roles.{role}")})
            actor = Actor(user.id, user.login, user.name, role, frozenset(user.roles), user.district_id,
                          user.street_id, user.community_id, user.worker_id)
        engine._check_scope(actor, CaseView(None, "records", "", 0, {}, worker_id, community.id,
                                            community.street_id, community.district_id, None, None),
                            owner_user_id=None)
        kind = str(task["kind"])
        allowed = EXIT_OUTCOMES.get(kind, ())
        code = outcome_code(outcome)
        if code not in allowed:
            raise InvalidInput("EXIT_TASK_OUTCOME_NOT_ALLOWED", rule_id=EXIT_RULE, citation=str(S001_ART27_4),
                               details={"outcome": outcome, "kind": t(f"appointment_flags.exit_kind.{kind}"),
                                        "allowed": join_list(t("appointment_flags.outcome_choice", code=c,
                                                               label=t(f"appointment_flags.outcome.{c}"))
                                                             for c in allowed)})
        if not ref:
            raise InvalidInput("EXIT_TASK_SOURCE_REQUIRED", rule_id=EXIT_RULE)
        created = date.fromisoformat(str(task["created_on"]))
        if not created <= day <= today:
            raise InvalidInput("EXIT_TASK_DATE_OUT_OF_RANGE", rule_id=EXIT_RULE, details={
                "day": day.isoformat(), "created": created.isoformat(), "today": today.isoformat()})
        policy = get_pack(store.district_pack(community.district_id))
        after = {**task, "status": CLOSED, "outcome": code, "outcome_on": day.isoformat(),
                 "outcome_source": ref, "outcome_note": (note or "").strip() or None, "closed_by": login,
                 "closed_at": now.isoformat()}
        seq = store.append_audit(
            case_id=None, procedure=None, action="appointment.exit_task", from_state=None, to_state=None,
            actor_login=actor.login, actor_name=actor.name, role=actor.role, at=now,
            body={"appointment_id": appointment.id, "worker_id": worker_id, "change": "closed",
                  "before": task, "after": after, "cause": f"exit_task_outcome:{ref}",
                  "rule_ids": [EXIT_RULE], "citations": [str(S001_ART27_4)],
                  "pack": f"{policy.code}@{policy.version}", "effective_date": day.isoformat()})
        after["outcome_audit_seq"] = seq
        set_appointment_flags(store, appointment.id, {"exit_task": after})
    return {"worker_id": worker_id, "appointment_id": appointment.id, "before": task, "after": after,
            "audit_seq": seq}


# ---------------------------------------------------------------- read model (`shequ worker show`)


def flags_view(db: Database, worker_id: int, today: date) -> list[dict[str, Any]]:
    """Each appointment of the worker that carries a flag, with labels: the probation (dates, the year and
    tier that imposed it, whether it runs on `today`) and the exit task."""
    out: list[dict[str, Any]] = []
    with db.read() as store:
        apps = store.appointments(worker_id=worker_id, statuses=("ACTIVE", "HOLDOVER", "ENDED"))
        flags = appointment_flags(store, [a.id for a in apps])
        for appointment in apps:
            row = flags.get(appointment.id, {})
            probation = _stored_probation(row)
            task = row.get("exit_task") or None
            if probation is None and task is None:
                continue
            policy = get_pack(store.district_pack(store.community(appointment.community_id).district_id))
            item: dict[str, Any] = {"appointment_id": appointment.id, "probation": None, "exit_task": None}
            if probation is not None:
                tier = _label(policy, "assessment.probation_tier")
                item["probation"] = {**probation.to_json(), "active": probation.active_on(today),
                                     "tier": tier, "rule_id": PROBATION_RULE, "citation": str(S001_ART27_3)}
            if task is not None:
                outcome = task.get("outcome")
                item["exit_task"] = {**task, "tier": _label(policy, "assessment.exit_task_tier"),
                                     "kind_label": t(f"appointment_flags.exit_kind.{task['kind']}"),
                                     "to_role_label": t(f"roles.{task['to_role']}"),
                                     "outcome_label": t(f"appointment_flags.outcome.{outcome}") if outcome
                                     else None}
            out.append(item)
    return out


def _label(policy: Policy, key: str) -> str:
    value = policy.settings.get(key)
    return str(value) if isinstance(value, str) and policy.is_set(key) else ""


def flag_lines(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """`shequ worker show` lines for `flags_view` items."""
    lines: list[str] = []
    for item in items:
        probation = item.get("probation")
        if probation:
            end = (t("appointment_flags.until_date", end=probation["end"]) if probation["end"]
                   else t("appointment_flags.until_next_grade"))
            status = t("appointment_flags.running" if probation["active"] else "appointment_flags.over")
            lines.append(t("appointment_flags.probation_line", id=item["appointment_id"],
                           year=probation["year"], tier=probation["tier"], start=probation["start"], end=end,
                           status=status, citation=probation["citation"]))
        task = item.get("exit_task")
        if task and task.get("status") == CLOSED:
            lines.append(t("appointment_flags.exit_closed_line", id=item["appointment_id"], year=task["year"],
                           tier=task["tier"], outcome=task["outcome_label"], on=task["outcome_on"],
                           role=task["to_role_label"], source=task["outcome_source"],
                           citation=task["citation"]))
        elif task:
            lines.append(t("appointment_flags.exit_line", id=item["appointment_id"], year=task["year"],
                           tier=task["tier"], kind=task["kind_label"], role=task["to_role_label"],
                           created=task["created_on"], citation=task["citation"]))
    return lines
