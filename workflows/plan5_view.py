"""Read model for `shequ worker show`: the worker's standing PLAN-5 不予续聘 flags (spec §4.3 Interplay,
seed 000 第五篇 §八(三); DECISIONS 25).

Read-only and computed exactly as the guard RH_PLAN5_NOT_RENEW computes them at 考核聘用: for each
appointment in service whose district's pack enables `assessment.plan5_enabled`, the 考核聘用 facts
(`workflows.assessment_rehiring.rehire_facts`: the district's FINAL round consequences and the worker's
current grades) are read for a case view of that appointment and its term, and
`workflows.guards.rehiring.flags_in_term` says which flags count. Nothing is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.clock import local_date
from engine.guards import SYSTEM_ACTOR, CaseView, GuardContext
from engine.policy import get_pack
from storage.unit_of_work import Database
from workflows.assessment_rehiring import CODE, rehire_facts
from workflows.guards import rehiring as g
from workflows.guards.assessment import tier_label

ENABLED = "assessment.plan5_enabled"


def plan5_view(db: Database, worker_id: int, now: datetime) -> list[dict[str, Any]]:
    """The PLAN-5 flags that would count if the worker's appointment in service went through 考核聘用
    now: one item per flag (appointment, term, year, grade and its pack label, the round, rule id,
    citation and the flag in words). Empty where the pack does not enable PLAN5."""
    out: list[dict[str, Any]] = []
    with db.read() as store:
        for appointment in store.appointments(worker_id=worker_id):
            community = store.community(appointment.community_id)
            policy = get_pack(store.district_pack(community.district_id))
            if not policy.enabled(ENABLED) or appointment.term_id is None:
                continue
            case = CaseView(None, CODE, "", 0, {"appointment_id": appointment.id,
                                                 "term_id": appointment.term_id},
                            worker_id, appointment.community_id, community.street_id, community.district_id,
                            None, None)
            ctx = GuardContext(case=case, payload={}, actor=SYSTEM_ACTOR, now=now, today=local_date(now),
                               policy=policy, facts=rehire_facts(store, case))
            term = g.term(ctx)
            for flag in g.flags_in_term(ctx):
                out.append({
                    "appointment_id": appointment.id, "term_id": appointment.term_id,
                    "term_ordinal": term.ordinal if term is not None else None,
                    "year": flag.year, "grade": flag.grade, "grade_label": tier_label(policy, flag.grade),
                    "prior_grade": flag.prior_grade, "round_case_id": flag.round_id,
                    "consequence_id": flag.consequence_id, "rule_id": g.RH_PLAN5.id,
                    "code": g.RH_PLAN5.code, "citation": g.RH_PLAN5.citation,
                    "text": g.flag_text(ctx, flag)})
    return out
