"""Guards of the term machine (届期): spec §4.1 TM-1…TM-5, TERM-1, TERM-3, TERM-6 (seed 000 第三—五条,
第十九条).

Pure functions of the GuardContext. `workflows.terms` loads the facts before they run:

- `term`: the term acted on (TermRecord; None when creating one),
- `terms`: every term of the district (TermRecord),
- `wage_ref`: the wage reference recorded with the term ({year, amount, source}),
- `open_rehire_cases`: number of re-hiring cases of the term that are not terminal (TM-5).

Payload fields (TM-1, set-pay): `ordinal`, `start_date`, `pay_standard` (yuan per year, per capita),
`wage_ref_year`, `wage_ref_amount`, `wage_ref_source` (the latest published city average wage, A-28);
TM-3: `window_from`, `window_to` (their order is checked as input before the guards run).

`expiry_plan` (TM-4) is the pure decision of what happens to each appointment of an expiring term.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.guards import GuardContext, Verdict
from engine.spec import Rule
from engine.text import join_list, t
from workflows.citations import ART3, ART4, ART5, ART19, assumption
from workflows.guards.common import as_date

if TYPE_CHECKING:
    from storage.records import AppointmentRecord, CaseRecord, TermRecord

# Term states (spec §4.1 term machine).
PLANNED = "PLANNED"
ACTIVE = "ACTIVE"
RENEWAL_OPEN = "RENEWAL_OPEN"
ENDED = "ENDED"
CLOSED = "CLOSED"
STATES = (PLANNED, ACTIVE, RENEWAL_OPEN, ENDED, CLOSED)
IN_FORCE = (ACTIVE, RENEWAL_OPEN)  # the term is running: its pay standard is frozen (TERM-3)

A06, A10, A11, A12, A28 = assumption(6), assumption(10), assumption(11), assumption(12), assumption(28)

TM_1_ORDINAL = Rule("TM-1", "TERM_ORDINAL_TAKEN", (ART4,))
TERM_1 = Rule("TERM-1", "TERM_OVERLAP", (ART4, A06))
TERM_3_WAGE = Rule("TERM-3", "TERM_WAGE_REF_MISSING", (ART19, A28))
TERM_3_FLOOR = Rule("TERM-3", "TERM_PAY_BELOW_CITY_AVERAGE", (ART19, A10, A28))
TERM_3_FROZEN = Rule("TERM-3", "TERM_PAY_FROZEN", (ART19,))
TM_STATUS = Rule("TM-STATUS", "TERM_STATUS", (ART4,))
TM_2_DATE = Rule("TM-2", "TERM_NOT_STARTED_YET", (ART4,))
TM_2 = Rule("TM-2", "TERM_PREVIOUS_NOT_ENDED", (ART4,))
TM_3 = Rule("TM-3", "TERM_NO_SUCCESSOR", (ART3, ART5))
TM_3_ENABLED = Rule("TM-3", "TERM_REHIRE_DISABLED", (ART3, ART5, assumption(41)))
TM_4 = Rule("TM-4", "TERM_NOT_EXPIRED_YET", (A11, A12))
TM_5 = Rule("TM-5", "TERM_REHIRE_CASES_OPEN", (A12,))

# What TM-4 does to an appointment of the expiring term (stored in the audit entry of the expiry).
SUCCESSOR = "SUCCESSOR"  # re-hired: ends EXPIRED on the last day of the term; the successor takes over
HOLDOVER = "HOLDOVER"  # its 考核聘用 case is still open: stays in service (TERM-6, A-12)
EXPIRED = "EXPIRED"  # not re-hired (no case, not applied, withdrawn, not re-hired): ends with the term
KEPT = "KEPT"  # the pack does not end appointments with the term (A-11 off): left alone
REHIRED_STATE = "REHIRED"


def status_label(status: str) -> str:
    return t(f"cli.status.term.{status}")


def _term(ctx: GuardContext) -> TermRecord | None:
    term: TermRecord | None = ctx.facts.get("term")
    return term


def _terms(ctx: GuardContext) -> Sequence[TermRecord]:
    terms: Sequence[TermRecord] = ctx.facts.get("terms") or ()
    return terms


def _neighbour(ctx: GuardContext, ordinal: int) -> TermRecord | None:
    return next((x for x in _terms(ctx) if x.ordinal == ordinal), None)


def status_in(*allowed: str) -> Any:
    """A guard: the term is in one of `allowed` states (the source states of the step)."""

    def guard(ctx: GuardContext) -> Verdict:
        term = _term(ctx)
        if term is None or term.status in allowed:
            return Verdict.passed(TM_STATUS)
        return Verdict.fail(TM_STATUS, term=term.ordinal, status=status_label(term.status),
                            expected=join_list(status_label(s) for s in allowed))

    guard.__name__ = f"status_in_{'_'.join(s.lower() for s in allowed)}"
    return guard


# ---------------------------------------------------------------- TM-1 create, set-pay (TERM-1, TERM-3)


def ordinal_free(ctx: GuardContext) -> Verdict:
    """TM-1: one term per ordinal in a district."""
    ordinal = int(ctx.payload["ordinal"])
    taken = _neighbour(ctx, ordinal)
    if taken is None:
        return Verdict.passed(TM_1_ORDINAL)
    return Verdict.fail(TM_1_ORDINAL, ordinal=ordinal, term=taken.id)


def follows_previous(ctx: GuardContext) -> Verdict:
    """TERM-1: a term starts after the previous one has ended (no two terms overlap). A district whose
    earlier terms were never entered may start with any ordinal."""
    ordinal = int(ctx.payload["ordinal"])
    start = as_date(ctx.payload["start_date"])
    previous = _neighbour(ctx, ordinal - 1)
    assert start is not None
    if previous is None or start > previous.end_date:
        return Verdict.passed(TERM_1)
    return Verdict.fail(TERM_1, ordinal=ordinal, start=start.isoformat(), previous=previous.ordinal,
                        previous_end=previous.end_date.isoformat(),
                        earliest=(previous.end_date + timedelta(days=1)).isoformat())


def wage_ref_complete(ctx: GuardContext) -> Verdict:
    """TERM-3 / A-28: a pay standard is set together with the wage reference it is compared with (the latest
    officially published city average social wage: year, amount, source)."""
    if ctx.payload.get("pay_standard") is None:
        return Verdict.passed(TERM_3_WAGE)
    missing = [t(f"fields.{k}") for k in ("wage_ref_year", "wage_ref_amount", "wage_ref_source")
               if ctx.payload.get(k) in (None, "")]
    if not missing:
        return Verdict.passed(TERM_3_WAGE)
    return Verdict.fail(TERM_3_WAGE, missing=join_list(missing))


def pay_not_below_city_average(ctx: GuardContext) -> Verdict:
    """TERM-3 / PAY-1 (SOFT-1): the annual per-capita pay standard is 原则上 not below the city's average
    social wage of the 换届 year (第十九条). Soft: 区民政局 may override with a reason (A-10). Applies only
    where the pack adopts the 第十九条 floor (`term.pay_floor_city_average_wage`)."""
    pay, wage = ctx.payload.get("pay_standard"), ctx.payload.get("wage_ref_amount")
    if pay is None or wage in (None, "") or not ctx.policy.enabled("term.pay_floor_city_average_wage"):
        return Verdict.passed(TERM_3_FLOOR)
    if Decimal(str(pay)) >= Decimal(str(wage)):
        return Verdict.passed(TERM_3_FLOOR)
    return Verdict.fail(TERM_3_FLOOR, soft=True, pay=pay, wage=wage, year=ctx.payload.get("wage_ref_year"))


def pay_not_frozen(ctx: GuardContext) -> Verdict:
    """TERM-3: the pay standard stays unchanged during the term (第十九条 "届期内保持不变"). It may be set
    while the term is PLANNED; in force (ACTIVE, 换届中) it is frozen where the pack says so; an ended term's
    standard is history (performance pay was computed from it) and is never changed."""
    term = _term(ctx)
    if term is None or term.status == PLANNED:
        return Verdict.passed(TERM_3_FROZEN)
    if term.status in IN_FORCE and not ctx.policy.bool("term.pay_frozen_in_term", TERM_3_FROZEN.id):
        return Verdict.passed(TERM_3_FROZEN)
    return Verdict.fail(TERM_3_FROZEN, term=term.ordinal, status=status_label(term.status))


# ---------------------------------------------------------------- TM-2 start


def start_date_reached(ctx: GuardContext) -> Verdict:
    """TM-2: SYSTEM starts the term on its start date, not before."""
    term = _term(ctx)
    if term is None or ctx.today >= term.start_date:
        return Verdict.passed(TM_2_DATE)
    return Verdict.fail(TM_2_DATE, start=term.start_date.isoformat(), today=ctx.today.isoformat())


def previous_ended(ctx: GuardContext) -> Verdict:
    """TM-2: the previous term of the district is ENDED (or already CLOSED), or there is none."""
    term = _term(ctx)
    previous = _neighbour(ctx, term.ordinal - 1) if term is not None else None
    if previous is None or previous.status in (ENDED, CLOSED):
        return Verdict.passed(TM_2)
    return Verdict.fail(TM_2, ordinal=previous.ordinal, status=status_label(previous.status))


# ---------------------------------------------------------------- TM-3 open 换届


def successor_planned(ctx: GuardContext) -> Verdict:
    """TM-3: the successor term (next ordinal) exists and is PLANNED — the re-hired are appointed into it."""
    term = _term(ctx)
    if term is None:
        return Verdict.passed(TM_3)
    successor = _neighbour(ctx, term.ordinal + 1)
    if successor is not None and successor.status == PLANNED:
        return Verdict.passed(TM_3, successor=successor.id)
    return Verdict.fail(TM_3, ordinal=term.ordinal + 1,
                        status=status_label(successor.status) if successor else t("text.none"))


def rehiring_enabled(ctx: GuardContext) -> Verdict:
    """TM-3: 换届 opens 考核聘用 cases, so the pack must run that procedure (only DONGQU defines it; a pack
    leaving it UNSPECIFIED raises NOT_CONFIGURED, A-41)."""
    if ctx.policy.get("procedures.assessment_rehiring", TM_3_ENABLED.id) is True:
        return Verdict.passed(TM_3_ENABLED)
    return Verdict.fail(TM_3_ENABLED, pack=ctx.policy.code)


# ---------------------------------------------------------------- TM-4 expire, TM-5 close


def end_date_passed(ctx: GuardContext) -> Verdict:
    """TM-4: the term expires at end_date + 1 day (its last day is end_date)."""
    term = _term(ctx)
    if term is None or ctx.today > term.end_date:
        return Verdict.passed(TM_4)
    return Verdict.fail(TM_4, end=term.end_date.isoformat(),
                        day=(term.end_date + timedelta(days=1)).isoformat(), today=ctx.today.isoformat())


def rehire_cases_terminal(ctx: GuardContext) -> Verdict:
    """TM-5: every re-hiring case of the term is terminal (no appointment is still held over)."""
    count = int(ctx.facts.get("open_rehire_cases") or 0)
    if count == 0:
        return Verdict.passed(TM_5)
    return Verdict.fail(TM_5, count=count)


@dataclass(frozen=True)
class ExpiryItem:
    appointment_id: int
    worker_id: int
    outcome: str  # SUCCESSOR | HOLDOVER | EXPIRED | KEPT
    case_id: int | None
    case_state: str | None


def expiry_plan(appointments: Sequence[AppointmentRecord], cases: Mapping[int, CaseRecord], *,
                ends_with_term: bool, holdover: bool, final_states: frozenset[str]) -> list[ExpiryItem]:
    """TM-4 for each appointment of the expiring term still ACTIVE: REHIRED → the successor takes over (the
    appointment ends EXPIRED, linked to its successor); a 考核聘用 case still open → HOLDOVER (TERM-6, A-12,
    where the pack holds over); otherwise → EXPIRED (A-11, A-24). `cases` maps an appointment id to its
    latest re-hiring case. With `ends_with_term` off (A-11) appointments are left alone."""
    plan: list[ExpiryItem] = []
    for a in appointments:
        case = cases.get(a.id)
        state = case.state if case is not None else None
        if not ends_with_term:
            outcome = KEPT
        elif state == REHIRED_STATE or a.successor_id is not None:
            outcome = SUCCESSOR
        elif case is not None and state not in final_states and holdover:
            outcome = HOLDOVER
        else:
            outcome = EXPIRED
        plan.append(ExpiryItem(a.id, a.worker_id, outcome, case.id if case else None, state))
    return plan
