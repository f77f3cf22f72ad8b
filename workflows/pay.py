"""The performance-pay table of a community and year, read from the records (spec §4.5, PAY-3…PAY-7).

`engine.pay` computes; this module decides who is in the pool and with which R:

- Members of a community for a year: workers whose appointment (any status) in force at the latest point of
  the year is in that community — a worker who moved during the year belongs to the community he was in
  last (decision: the spec is silent; the annual assessment grades him where he ended the year).
- Graded: a current FINAL grade for the year (`annual_grades`, written by the annual assessment through
  `workflows.records`). No graded member at all → PAY_GRADES_NOT_FINAL (seed 000 第十一条: the allowance
  rests on the assessment, A-27). Members without a grade are outside the pool (PAY-7) and listed.
- R: the worker's own annual remuneration standard (`workers.record["remuneration_standard"]`, yuan),
  else the per-capita pay standard of the district's term in force on the last day of the year (decision:
  a worker without his own standard is paid the term's standard, seed 000 第十九条), else
  PAY_STANDARD_MISSING.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.clock import Clock
from engine.errors import InvalidInput, NotPermitted, TransitionRejected
from engine.guards import SYSTEM_ACTOR
from engine.pay import PayInput, PayRules, PayTable, compute
from engine.policy import get_pack
from engine.spec import Roles
from engine.text import join_list, t
from storage.records import AppointmentRecord, CommunityRecord, TermRecord, WorkerRecord
from storage.unit_of_work import Database
from workflows.citations import ART11, ART19

STANDARD_KEY = "remuneration_standard"  # workers.record key of a worker's own R (yuan per year)
STANDARD_SETTERS = (Roles.DISTRICT_CIVIL_AFFAIRS, Roles.ADMIN)


@dataclass(frozen=True)
class CommunityPay:
    community: CommunityRecord
    year: int
    pack: str
    table: PayTable
    ungraded: tuple[tuple[int, str], ...]  # (worker id, name) of members without a FINAL grade
    term_id: int | None


def community_pay(db: Database, community_code: str, year: int) -> CommunityPay:
    """The table for one community and year (read-only)."""
    with db.read() as store:
        community = store.community_by_code(community_code)
        policy = get_pack(store.district_pack(community.district_id))
        rules = PayRules.from_policy(policy)  # PAY_NOT_CONFIGURED first: such a pack can never compute
        first, last = date(year, 1, 1), date(year, 12, 31)
        candidates = store.community_worker_ids(community.id, first, last)
        members = _members(store.appointments_overlapping(candidates, first, last), community.id)
        grades = store.current_grades(members, year)
        if not grades:
            raise TransitionRejected("PAY_GRADES_NOT_FINAL", rule_id="PAY-7", citation=str(ART11),
                                     details={"community": community.code, "year": year})
        workers = store.workers_by_id(members)
        term = _term_of_year(store.terms(community.district_id), last)
        inputs = [_input(workers[w], grades[w]["grade"], term) for w in members if w in grades]
        ungraded = tuple((w, workers[w].name) for w in members if w not in grades)
        return CommunityPay(community, year, policy.code, compute(inputs, rules), ungraded,
                            term.id if term else None)


def set_standard(db: Database, clock: Clock, login: str, worker_id: int, amount: str | Decimal) -> Decimal:
    """Record a worker's own annual remuneration standard R (yuan) in the personnel record, audited.
    Set by 区民政局 (the appointing authority that funds it through 区财政, seed 000 第二条, 第十九条)."""
    value = _amount(amount)
    with db.transaction() as store:
        who, name, role = SYSTEM_ACTOR.login, SYSTEM_ACTOR.name, Roles.SYSTEM.value
        if login != SYSTEM_ACTOR.login:
            user = store.user_by_login(login)
            held = [r for r in STANDARD_SETTERS if r.value in user.roles]
            if not held:
                raise NotPermitted("ROLE_NOT_PERMITTED", details={
                    "trigger": t("pay.action.set_standard"),
                    "roles": join_list(t(f"roles.{r.value}") for r in STANDARD_SETTERS)})
            who, name, role = user.login, user.name, held[0].value
        worker = store.worker(worker_id)
        before = worker.record.get(STANDARD_KEY)
        store.set_worker_record(worker_id, {**worker.record, STANDARD_KEY: str(value)})
        store.append_audit(case_id=None, procedure=None, action="pay.set_standard", from_state=None,
                           to_state=None, actor_login=who, actor_name=name, role=role, at=clock.now(),
                           body={"worker_id": worker_id, "from": before, "to": str(value),
                                 "rule_ids": ["PAY-2"], "citations": [str(ART19)]})
    return value


def _members(appointments: list[AppointmentRecord], community_id: int) -> list[int]:
    """Workers whose latest appointment in force during the year is in the community."""
    latest: dict[int, AppointmentRecord] = {}
    for a in appointments:
        held = latest.get(a.worker_id)
        if held is None or (a.start_date, a.id) > (held.start_date, held.id):
            latest[a.worker_id] = a
    return sorted(w for w, a in latest.items() if a.community_id == community_id)


def _term_of_year(terms: list[TermRecord], last_day: date) -> TermRecord | None:
    covering = [x for x in terms if x.start_date <= last_day <= x.end_date]
    return covering[0] if covering else None


def _input(worker: WorkerRecord, grade: str, term: TermRecord | None) -> PayInput:
    own: Any = (worker.record or {}).get(STANDARD_KEY)
    if own not in (None, ""):
        return PayInput(worker.id, worker.name, grade, _amount(own), "worker")
    if term is not None and term.pay_standard is not None:
        return PayInput(worker.id, worker.name, grade, Decimal(term.pay_standard), "term")
    raise TransitionRejected("PAY_STANDARD_MISSING", rule_id="PAY-2", citation=str(ART19),
                             details={"worker": worker.id, "name": worker.name})


def _amount(raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise InvalidInput("PAY_STANDARD_INVALID", details={"worker": "—", "value": str(raw)}) from exc
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput("PAY_STANDARD_INVALID", details={"worker": "—", "value": str(raw)})
    return value
