"""Recorded worker facts that computed rules read: annual FINAL grades (DIS-G7), absence days (ABS, DIS-G8)
and elected office after 换届 (DIS-G9, TERM-4). Spec §3.10 AUD, §4.4.2, §6.

History is append-only: recording inserts a row; a correction inserts a new row superseding the old one,
with a reason and the authority that ordered it (A-39); a withdrawal is a correction that removes the fact.
Nothing is ever UPDATEd. Each record or correction is ONE transaction that also

  (a) writes an audit entry (case_id null, like reference data in `engine.admin`), and
  (b) re-evaluates the computed dismissal grounds of that worker: a ground that has become true with no
      case open on it opens a dismissal case as SYSTEM (DS-1) with the trigger facts; an open computed
      case whose ground has become false is closed by SYSTEM as CLOSED_DATA_CORRECTED (DS-7).

Who may record (a decision: the spec names no recorder): annual grades — the street office (which
runs the assessment, seed 000 第十条) or 区民政局; absence days — the community (which keeps
attendance), the street office or 区民政局; elected office — the street office, the street party
committee or 区民政局.
Street and community roles reach only their own workers. `system` may record (e.g. a procedure writing a
FINAL grade from inside its own transaction through the `*_in` methods).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from engine.absence import KINDS, Absence, parse_fraction
from engine.calendar import calendar_for
from engine.clock import local_date
from engine.errors import InvalidInput, NotConfigured, NotFound, NotPermitted, ShequFlowError
from engine.guards import SYSTEM_ACTOR, Actor, CaseView
from engine.policy import Policy, get_pack
from engine.service import Engine
from engine.spec import Roles
from engine.text import join_list, t
from storage.repository import Store
from workflows import appointment_flags
from workflows.citations import (
    ART12,
    ART23_7,
    ART23_8,
    ART23_9,
    S001_ART27_3,
    S001_ART27_4,
    S002_CHZ_EXIT,
    S002_CHZ_REWARD,
    assumption,
)
from workflows.guards import dismissal as g

GRADES_TABLE = "annual_grades"
ABSENCE_TABLE = "absence_days"
OFFICE_TABLE = "elected_offices"

RECORDER_ROLES: dict[str, tuple[Roles, ...]] = {
    GRADES_TABLE: (Roles.STREET_OFFICE, Roles.DISTRICT_CIVIL_AFFAIRS),
    ABSENCE_TABLE: (Roles.COMMUNITY, Roles.STREET_OFFICE, Roles.DISTRICT_CIVIL_AFFAIRS),
    OFFICE_TABLE: (Roles.STREET_OFFICE, Roles.STREET_PARTY_COMMITTEE, Roles.DISTRICT_CIVIL_AFFAIRS),
}
VALUE_FIELDS: dict[str, tuple[str, ...]] = {
    GRADES_TABLE: ("year", "grade", "source_ref"),
    ABSENCE_TABLE: ("day", "half_days", "kind", "source_ref"),
    OFFICE_TABLE: ("election_date", "in_office", "body", "position", "term_id", "source_ref"),
}
RULES: dict[str, tuple[list[str], list[str]]] = {  # rule ids and citations named in the audit entry
    GRADES_TABLE: (["DIS-G7a", "DIS-G7b"], [str(ART12), str(ART23_7), str(assumption(39))]),
    ABSENCE_TABLE: (["CAL-1", "ABS-3"], [str(ART23_8), str(assumption(2)), str(assumption(17)),
                                         str(assumption(39))]),
    OFFICE_TABLE: (["TERM-4", "DIS-G9"], [str(ART23_9), str(assumption(39))]),
}
# A pack with its own grade rules cites them in the grade's audit entry, never DONGQU's seed 000 articles:
# CHUZHOU's 年度考核评议 (seed 002 滁州·奖惩并举) and DIS-CHZ-3, HONGSHAN's 第二十七条(三)(四).
PACK_RULES: dict[tuple[str, str], tuple[list[str], list[str]]] = {
    ("CHUZHOU", GRADES_TABLE): (["DIS-CHZ-3"], [str(S002_CHZ_REWARD), str(S002_CHZ_EXIT),
                                               str(assumption(39))]),
    ("HONGSHAN", GRADES_TABLE): (["HS-PROB", "HS-EXIT"], [str(S001_ART27_3), str(S001_ART27_4),
                                                         str(assumption(39))]),
}
DISMISSAL = "dismissal"
DS7_TRIGGER = "close_data_corrected"


# ---------------------------------------------------------------- facts as guards see them


@dataclass(frozen=True)
class GradeFact:
    id: int
    worker_id: int
    year: int
    grade: str
    source_ref: str


@dataclass(frozen=True)
class OfficeFact:
    id: int
    worker_id: int
    body: str
    election_date: date
    in_office: bool
    position: str | None
    term_id: int | None
    source_ref: str


def worker_record_facts(store: Store, worker_id: int) -> dict[str, Any]:
    """The worker's current facts (corrections applied, withdrawals removed)."""
    grades = {int(r["year"]): GradeFact(r["id"], r["worker_id"], int(r["year"]), r["grade"], r["source_ref"])
              for r in store.facts(GRADES_TABLE, worker_id)}
    absences = tuple(Absence(r["day"], Fraction(int(r["half_days"]), 2), r["kind"], r["id"])
                     for r in store.facts(ABSENCE_TABLE, worker_id))
    offices = tuple(OfficeFact(r["id"], r["worker_id"], r["body"], r["election_date"], bool(r["in_office"]),
                               r["position"], r["term_id"], r["source_ref"])
                    for r in store.facts(OFFICE_TABLE, worker_id))
    return {"grades": grades, "absences": absences, "offices": offices}


def ground_facts(store: Store, worker_id: int, district_id: int | None,
                 exclude_case_id: int | None = None) -> dict[str, Any]:
    """Everything the dismissal guards read about a worker: service, recorded facts, terms, open cases."""
    apps = store.appointments(worker_id=worker_id)
    facts: dict[str, Any] = {"worker": store.worker(worker_id), "appointment": apps[0] if apps else None}
    facts.update(worker_record_facts(store, worker_id))
    facts["terms"] = tuple(store.terms(district_id)) if district_id is not None else ()
    facts["calendar"] = calendar_for(store)  # CAL-1: working days (DIS-G8 runs) with the imported data
    facts["open_cases"] = tuple(
        (c.id, c.data.get("ground")) for c in store.list_cases(procedure=DISMISSAL, worker_id=worker_id,
                                                               open_only=True)
        if c.id != exclude_case_id)
    return facts


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class GroundChange:
    ground: str
    action: str  # "opened" (DS-1) | "closed_data_corrected" (DS-7)
    case_id: int


@dataclass
class RecordResult:
    table: str
    record_id: int
    audit_seq: int
    supersedes_id: int | None = None
    withdrawn: bool = False
    findings: dict[str, bool] = field(default_factory=dict)
    changes: list[GroundChange] = field(default_factory=list)
    not_evaluated: list[dict[str, Any]] = field(default_factory=list)
    # flags a grade set, ended or lifted on the current appointment (HONGSHAN 留用察看, exit task)
    appointment_flags: list[dict[str, Any]] = field(default_factory=list)
    # the last audit entry of the transaction: entries audit_seq+1 … last_audit_seq are its consequences
    # (dismissal cases opened/closed, appointment flags), written in the same transaction
    last_audit_seq: int = 0


# ---------------------------------------------------------------- the service


class Records:
    """Record and correct worker facts; each call is one transaction (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------ public API (one transaction each)
    def record_grade(self, login: str, worker_id: int, year: int, grade: str,
                     source_ref: str) -> RecordResult:
        """A FINAL annual grade (优秀/称职/基本称职/不称职 or its code) for a calendar year."""
        return self._record(login, GRADES_TABLE, worker_id,
                            {"year": year, "grade": grade, "source_ref": source_ref})

    def record_absence(self, login: str, worker_id: int, day: date | str, fraction: Any, kind: str,
                       source_ref: str) -> RecordResult:
        """An absence day: a working day (CAL-1), a whole (1) or half (0.5) day, 旷工 or 逾期不归."""
        return self._record(login, ABSENCE_TABLE, worker_id,
                            {"day": day, "fraction": fraction, "kind": kind, "source_ref": source_ref})

    def record_office(self, login: str, worker_id: int, election_date: date | str, in_office: bool,
                      source_ref: str, *, position: str | None = None, term_id: int | None = None
                      ) -> RecordResult:
        """The 换届 result for a 两委 worker: still in office or not (DIS-G9)."""
        return self._record(login, OFFICE_TABLE, worker_id,
                            {"election_date": election_date, "in_office": in_office, "source_ref": source_ref,
                             "position": position, "term_id": term_id})

    def correct(self, login: str, table: str, record_id: int, *, reason: str, authority: str,
                changes: Mapping[str, Any] | None = None, withdraw: bool = False) -> RecordResult:
        """Supersede a recorded fact: new values (`changes`, e.g. {"grade": "称职"} or {"fraction": "0.5"})
        or, with `withdraw=True`, remove it. Reason and authority are required (AUD, A-39)."""
        if table not in VALUE_FIELDS:
            raise NotFound("RECORD_NOT_FOUND", details={"what": table, "id": record_id})
        with self.engine.db.transaction() as store:
            actor = self._actor(store, login, table)
            return self.correct_in(store, actor, table, record_id, reason=reason, authority=authority,
                                   changes=changes, withdraw=withdraw)

    def history(self, table: str, worker_id: int) -> list[dict[str, Any]]:
        """Every row of a worker's facts, superseded ones included, in the order recorded."""
        with self.engine.db.read() as store:
            return store.facts(table, worker_id, current_only=False)

    # ------------------------------------------------------------ inside a caller's transaction
    def record_in(self, store: Store, actor: Actor, table: str, worker_id: int,
                  raw: Mapping[str, Any]) -> RecordResult:
        store.lock_worker(worker_id)
        self._authorise(store, actor, table, worker_id)
        values = self._validate(store, table, worker_id, raw, replacing=None)
        return self._write(store, actor, table, worker_id, values, supersedes=None)

    def correct_in(self, store: Store, actor: Actor, table: str, record_id: int, *, reason: str,
                   authority: str, changes: Mapping[str, Any] | None = None, withdraw: bool = False
                   ) -> RecordResult:
        old = store.fact(table, record_id) if table in VALUE_FIELDS else None
        if old is None:
            raise NotFound("RECORD_NOT_FOUND", details={"what": _what(table), "id": record_id})
        worker_id = int(old["worker_id"])
        store.lock_worker(worker_id)
        self._authorise(store, actor, table, worker_id)
        newer = store.superseded_by(table, record_id)
        if newer is not None:
            raise InvalidInput("RECORD_ALREADY_CORRECTED", rule_id="AUD", details={
                "what": _what(table), "id": record_id, "newer": newer["id"]})
        problems = [t("records.fields.correction_reason")] if not str(reason or "").strip() else []
        problems += [t("records.fields.correction_authority")] if not str(authority or "").strip() else []
        if problems:
            raise InvalidInput("RECORD_CORRECTION_INCOMPLETE", rule_id="AUD", citation="A-39",
                               details={"missing": join_list(problems)})
        if not withdraw and not changes:
            raise InvalidInput("RECORD_CORRECTION_EMPTY", details={"what": _what(table), "id": record_id})
        if withdraw:
            values = {k: old[k] for k in VALUE_FIELDS[table]}
        else:
            raw = _raw_from_row(table, old)
            raw.update(changes or {})
            values = self._validate(store, table, worker_id, raw, replacing=record_id)
        return self._write(store, actor, table, worker_id, values, supersedes=record_id, withdrawn=withdraw,
                           reason=str(reason).strip(), authority=str(authority).strip())

    def reevaluate_in(self, store: Store, worker_id: int, *, cause: str,
                      reason: str | None = None) -> RecordResult:
        """Re-evaluate the computed grounds of one worker and open/close cases (usable after any change
        the grounds depend on, e.g. a new appointment category). Returns findings and changes only."""
        result = RecordResult(table="", record_id=0, audit_seq=0)
        district_id, policy = self._policy(store, worker_id, result)
        if policy is not None:
            facts = ground_facts(store, worker_id, district_id)
            self._findings(facts, policy, result)
            self._apply(store, worker_id, facts, policy, result, cause=cause, reason=reason)
        return result

    # ------------------------------------------------------------ internals
    def _record(self, login: str, table: str, worker_id: int, raw: Mapping[str, Any]) -> RecordResult:
        with self.engine.db.transaction() as store:
            actor = self._actor(store, login, table)
            return self.record_in(store, actor, table, worker_id, raw)

    def _actor(self, store: Store, login: str, table: str) -> Actor:
        if login == SYSTEM_ACTOR.login:
            return SYSTEM_ACTOR
        user = store.user_by_login(login)
        for role in RECORDER_ROLES[table]:
            if role.value in user.roles:
                return Actor(user.id, user.login, user.name, role.value, frozenset(user.roles),
                             user.district_id, user.street_id, user.community_id, user.worker_id)
        raise NotPermitted("ROLE_NOT_PERMITTED", details={
            "trigger": t(f"records.action.{table}"),
            "roles": join_list(t(f"roles.{r.value}") for r in RECORDER_ROLES[table])})

    def _subject(self, store: Store, worker_id: int) -> tuple[int | None, int | None, int | None]:
        """(community, street, district) of the worker: current appointment, else personnel record."""
        apps = store.appointments(worker_id=worker_id)
        community_id = apps[0].community_id if apps else store.worker(worker_id).community_id
        if community_id is None:
            return None, None, None
        community = store.community(community_id)
        return community_id, community.street_id, community.district_id

    def _authorise(self, store: Store, actor: Actor, table: str, worker_id: int) -> None:
        if not actor.is_system and actor.role not in {r.value for r in RECORDER_ROLES[table]}:
            raise NotPermitted("ROLE_NOT_PERMITTED", details={
                "trigger": t(f"records.action.{table}"),
                "roles": join_list(t(f"roles.{r.value}") for r in RECORDER_ROLES[table])})
        community_id, street_id, district_id = self._subject(store, worker_id)
        view = CaseView(None, "records", "", 0, {}, worker_id, community_id, street_id, district_id, None,
                        None)
        self.engine._check_scope(actor, view, owner_user_id=None)

    def _policy(self, store: Store, worker_id: int, result: RecordResult) -> tuple[int | None, Policy | None]:
        _, _, district_id = self._subject(store, worker_id)
        if district_id is None:
            result.not_evaluated.append({"ground": "*", "reason": "NO_DISTRICT"})
            return None, None
        policy = get_pack(store.district_pack(district_id))
        if not policy.enabled(f"procedures.{DISMISSAL}"):
            result.not_evaluated.append({"ground": "*", "reason": "PROCEDURE_DISABLED", "pack": policy.code})
            return district_id, None
        return district_id, policy

    def _tiers(self, store: Store, worker_id: int) -> list[str]:
        """The tier labels of the worker's district pack (A-36: by position onto the four grade codes), so a
        HONGSHAN grade can be recorded as 诫勉 and a CHUZHOU one as 不合格; [] where the pack sets none."""
        _, _, district_id = self._subject(store, worker_id)
        if district_id is None:
            return []
        policy = get_pack(store.district_pack(district_id))
        if not policy.is_set("assessment.tiers"):
            return []
        tiers = [str(label) for label in policy.get("assessment.tiers")]
        return tiers if len(tiers) == len(g.GRADES) else []

    def _validate(self, store: Store, table: str, worker_id: int, raw: Mapping[str, Any],
                  replacing: int | None) -> dict[str, Any]:
        today = local_date(self.engine.clock.now())
        source_ref = str(raw.get("source_ref") or "").strip()
        if not source_ref:
            raise _invalid(table, "source_ref", t("payload.missing"))
        current = [r for r in store.facts(table, worker_id) if r["id"] != replacing]
        if table == GRADES_TABLE:
            year = _int(raw.get("year"), table, "year")
            if year > today.year:
                raise _invalid(table, "year", t("records.problem.future_year", year=today.year))
            tiers = self._tiers(store, worker_id)
            grade = _grade_code(raw.get("grade"), tiers)
            if grade is None:
                raise _invalid(table, "grade", t("payload.not_choice", choices=join_list(
                    tiers or [t(f"records.grade.{code}") for code in g.GRADES])))
            _no_duplicate(current, "year", year, table)
            return {"year": year, "grade": grade, "source_ref": source_ref}
        if table == ABSENCE_TABLE:
            day = _date(raw.get("day"), table, "day")
            if day > today:
                raise _invalid(table, "day", t("records.problem.future_date", today=today.isoformat()))
            # CAL-1 on the imported calendar; raises CAL_NO_DATA for a year without calendar data
            if not calendar_for(store).is_working_day(day):
                raise InvalidInput("ABS_NOT_WORKING_DAY", rule_id="CAL-1", citation="A-02",
                                   details={"date": day.isoformat()})
            fraction = _fraction(raw, table)
            kind = _kind_code(str(raw.get("kind") or "").strip())
            if kind is None:
                raise _invalid(table, "kind", t("payload.not_choice", choices=join_list(
                    t(f"records.absence_kind.{k}") for k in KINDS)))
            _no_duplicate(current, "day", day, table)
            return {"day": day, "half_days": int(fraction * 2), "kind": kind, "source_ref": source_ref}
        # elected office (DIS-G9): only 两委 workers hold an elected office
        apps = store.appointments(worker_id=worker_id)
        category = g.worker_category({"appointment": apps[0] if apps else None,
                                      "worker": store.worker(worker_id)})
        if category not in g.ELECTED_BODIES:
            raise InvalidInput("RECORD_OFFICE_NOT_APPLICABLE", rule_id="DIS-G9",
                               citation=str(ART23_9), details={"category": category or "—"})
        election = _date(raw.get("election_date"), table, "election_date")
        if election > today:
            raise _invalid(table, "election_date", t("records.problem.future_date", today=today.isoformat()))
        in_office = raw.get("in_office")
        if not isinstance(in_office, bool):
            raise _invalid(table, "in_office", t("payload.not_bool"))
        term_id = raw.get("term_id")
        if term_id is not None:
            store.term(int(term_id))
        _no_duplicate(current, "election_date", election, table)
        position = str(raw.get("position") or "").strip() or None
        return {"election_date": election, "in_office": in_office, "body": g.ELECTED_BODIES[category],
                "position": position, "term_id": int(term_id) if term_id is not None else None,
                "source_ref": source_ref}

    def _write(self, store: Store, actor: Actor, table: str, worker_id: int, values: Mapping[str, Any], *,
               supersedes: int | None, withdrawn: bool = False, reason: str | None = None,
               authority: str | None = None) -> RecordResult:
        now = self.engine.clock.now()
        record_id = store.insert_fact(table, {
            **values, "worker_id": worker_id, "supersedes_id": supersedes, "withdrawn": withdrawn,
            "reason": reason, "authority": authority, "recorded_by": actor.login,
            "recorded_role": actor.role, "recorded_at": now})
        result = RecordResult(table, record_id, 0, supersedes, withdrawn)
        district_id, policy = self._policy(store, worker_id, result)
        facts = ground_facts(store, worker_id, district_id) if policy is not None else {}
        if policy is not None:
            self._findings(facts, policy, result)
        kind = "withdraw" if withdrawn else ("correct" if supersedes is not None else "record")
        _, _, district_id_of_worker = self._subject(store, worker_id)
        pack = store.district_pack(district_id_of_worker) if district_id_of_worker is not None else ""
        rule_ids, citations = PACK_RULES.get((pack, table), RULES[table])
        result.audit_seq = store.append_audit(
            case_id=None, procedure=None, action=f"{table}.{kind}", from_state=None, to_state=None,
            actor_login=actor.login, actor_name=actor.name, role=actor.role, at=now,
            body={"table": table, "record_id": record_id, "worker_id": worker_id, "values": dict(values),
                  "supersedes_id": supersedes, "withdrawn": withdrawn, "reason": reason,
                  "authority": authority,
                  "rule_ids": rule_ids, "citations": citations, "findings": result.findings,
                  "not_evaluated": result.not_evaluated, "effective_date": local_date(now).isoformat()})
        if policy is not None:
            cause = f"{table}#{record_id}"
            self._apply(store, worker_id, facts, policy, result, cause=cause, reason=reason)
        if table == GRADES_TABLE:  # HONGSHAN 留用察看 / exit task, whatever the dismissal procedure
            cause = f"{table}#{record_id}"
            flags, skipped = appointment_flags.apply_in(store, worker_id, cause=cause, now=now)
            result.appointment_flags.extend(flags)
            result.not_evaluated.extend(skipped)
        result.last_audit_seq = store.audit_head()[0]
        return result

    def _findings(self, facts: Mapping[str, Any], policy: Policy, result: RecordResult) -> None:
        """Evaluate the computed grounds the pack lists (`dismissal.grounds`): a ground the pack does not list
        is not evaluated at all (e.g. DIS-CHZ-3 in DONGQU, DIS-G7a in CHUZHOU)."""
        try:
            grounds = g.pack_computed_grounds(policy)
        except NotConfigured as exc:  # the pack leaves its grounds UNSPECIFIED
            result.not_evaluated.append({"ground": "*", "reason": "NOT_CONFIGURED",
                                         "key": exc.details.get("key")})
            return
        for ground in grounds:
            try:
                result.findings[ground] = g.finding(ground, facts, policy).holds
            except NotConfigured as exc:  # report the rule as not configured, keep the record
                if exc.code == "NOT_CONFIGURED":
                    result.not_evaluated.append({"ground": ground, "reason": "NOT_CONFIGURED",
                                                 "key": exc.details.get("key")})
                else:  # data the rule needs is missing (DIS_TERM_NOT_RECORDED: a year outside every term)
                    result.not_evaluated.append({"ground": ground, "reason": exc.code,
                                                 "years": exc.details.get("years")})

    def _apply(self, store: Store, worker_id: int, facts: Mapping[str, Any], policy: Policy,
               result: RecordResult, *, cause: str, reason: str | None) -> None:
        """Open a case for each computed ground that holds with none open (and the worker in service);
        close the open case of each computed ground that no longer holds (DS-7)."""
        open_cases = {c.data.get("ground"): c
                      for c in store.list_cases(procedure=DISMISSAL, worker_id=worker_id, open_only=True)}
        for ground, holds in result.findings.items():
            case = open_cases.get(ground)
            if holds and case is None and facts.get("appointment") is not None:
                found = g.finding(ground, facts, policy)
                opened = self.engine.open_case_in(store, DISMISSAL, SYSTEM_ACTOR, {
                    "ground": ground, "trigger_facts": {**found.facts, "cause": cause}}, worker_id=worker_id)
                result.changes.append(GroundChange(ground, "opened", opened.case_id))
            elif not holds and case is not None:
                proc = self.engine.procedure(case.procedure, case.procedure_version)
                step = proc.step(DS7_TRIGGER)
                if step is not None and case.state in step.source:
                    payload = {"correction_ref": cause}
                    if reason:
                        payload["correction_reason"] = reason
                    self.engine.fire_in(store, case, DS7_TRIGGER, SYSTEM_ACTOR, payload)
                    result.changes.append(GroundChange(ground, "closed_data_corrected", case.id))


# ---------------------------------------------------------------- value parsing


def _what(table: str) -> str:
    return t(f"records.table.{table}")


def _invalid(table: str, name: str, reason: str) -> ShequFlowError:
    return InvalidInput("PAYLOAD_INVALID", details={
        "trigger": t(f"records.action.{table}"), "fields": [name],
        "problems": t("text.field_reason", label=t(f"records.fields.{name}"), field=name, reason=reason)})


def _int(value: Any, table: str, name: str) -> int:
    if isinstance(value, bool):
        raise _invalid(table, name, t("payload.not_int"))
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise _invalid(table, name, t("payload.not_int")) from exc


def _date(value: Any, table: str, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise _invalid(table, name, t("payload.not_date")) from exc


def _fraction(raw: Mapping[str, Any], table: str) -> Fraction:
    if "fraction" in raw and raw["fraction"] is not None:
        try:
            return parse_fraction(raw["fraction"])
        except ValueError as exc:
            raise _invalid(table, "fraction", t("records.problem.fraction")) from exc
    half_days = raw.get("half_days")
    if half_days in (1, 2):
        return Fraction(int(half_days), 2)
    raise _invalid(table, "fraction", t("records.problem.fraction"))


def _grade_code(value: Any, tiers: Sequence[str] = ()) -> str | None:
    """A grade code from its code, the pack's tier label (e.g. HONGSHAN 诫勉 → BASIC, A-36) or the
    seed 000 label (优秀/称职/基本称职/不称职). The packs' label sets do not conflict (合格 and 不合格
    mean the same ordinal in HONGSHAN and CHUZHOU)."""
    text = str(value or "").strip()
    if text in g.GRADES:
        return text
    if text in tiers and len(tiers) == len(g.GRADES):
        return g.GRADES[list(tiers).index(text)]
    for code in g.GRADES:
        if text == t(f"records.grade.{code}"):
            return code
    return None


def _kind_code(value: str) -> str | None:
    if value in KINDS:
        return value
    for code in KINDS:
        if value == t(f"records.absence_kind.{code}"):
            return code
    return None


def _no_duplicate(current: Sequence[Mapping[str, Any]], key: str, value: Any, table: str) -> None:
    for row in current:
        if row[key] == value:
            raise InvalidInput("RECORD_ALREADY_EXISTS", details={
                "what": _what(table), "value": value.isoformat() if isinstance(value, date) else value,
                "id": row["id"]})


def _raw_from_row(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    raw = {k: row[k] for k in VALUE_FIELDS[table]}
    if table == ABSENCE_TABLE:
        raw["fraction"] = str(Fraction(int(row["half_days"]), 2))
    return raw
