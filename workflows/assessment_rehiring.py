"""考核聘用 — assessment re-hiring at term change (seed 000 第六条; spec §4.3 RH-T1…RH-T13).

"考核聘用一般按下列程序和办法进行：1、提出考核聘用申请 … 2、民主推荐和民主测评 … 3、决定考核聘用对象 …
4、公示 … 5、办理聘用手续" — five ordered steps, one case per appointment of the expiring term (TM-3).

Decisions where the spec is silent (see also the guard modules):
- An objection may also be recorded by the street office that received it, not only by an OBJECTOR user.
- A case cannot be opened after its application window has closed (it could only end NOT_APPLIED).
- `close_moot` (SYSTEM) ends an open case NOT_REHIRED(`NO_LONGER_IN_OFFICE`) when a dismissal or
  resignation takes effect first (§4.3 Interplay), via `CloseRelatedCases`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from engine.guards import CaseView
from engine.reminders import awaiting, bureau_pending, decision_pending
from engine.spec import DeadlineSpec, Field, Notice, OutOfOrder, PolicyRole, Procedure, Roles, Step
from engine.spec import FieldType as F
from workflows.citations import ART4, ART5, ART6_1, ART6_2, ART6_3, ART6_4, ART6_5, assumption
from workflows.facts import DeferredFacts
from workflows.guards import publicity as pub
from workflows.guards import rehiring as g
from workflows.guards.common import as_date, date_not_before, date_not_in_future

CODE = "assessment_rehiring"

OPEN = "OPEN"
APPLIED = "APPLIED"
STREET_APPROVED = "STREET_APPROVED"
APPLICATION_APPROVED = "APPLICATION_APPROVED"
VOTED = "VOTED"
THRESHOLDS_MET = "THRESHOLDS_MET"
DECIDED_TO_HIRE = "DECIDED_TO_HIRE"
IN_PUBLICITY = "IN_PUBLICITY"
PUBLICITY_ENDED = "PUBLICITY_ENDED"
REPORTED = "REPORTED"
REHIRED = "REHIRED"
NOT_REHIRED = "NOT_REHIRED"
NOT_APPLIED = "NOT_APPLIED"
WITHDRAWN = "WITHDRAWN"

STATES = (OPEN, APPLIED, STREET_APPROVED, APPLICATION_APPROVED, VOTED, THRESHOLDS_MET, DECIDED_TO_HIRE,
          IN_PUBLICITY, PUBLICITY_ENDED, REPORTED, REHIRED, NOT_REHIRED, NOT_APPLIED, WITHDRAWN)
FINAL = frozenset({REHIRED, NOT_REHIRED, NOT_APPLIED, WITHDRAWN})
NON_TERMINAL = tuple(s for s in STATES if s not in FINAL)

STREET_REVIEWER = PolicyRole("rehire.street_review_role")  # 街道办事处 (or 党工委)
A14, A21, A24 = assumption(14), assumption(21), assumption(24)

NOT_REHIRED_NOTICE = Notice("rehire.not_rehired", ("worker",))


def rehire_facts(store: Any, case: CaseView) -> Mapping[str, Any]:
    """What the guards read beyond the case: the worker's appointments in service (by id), the district's
    terms (by id), the case's community, the worker's open re-hiring cases (id, appointment id), the
    worker's PLAN-5 不予续聘 flags from FINAL annual-assessment rounds of the district and their current
    grade records (year → grade code). Each is queried only when a guard first reads it."""
    worker_id, district_id, community_id = case.worker_id, case.district_id, case.community_id
    return DeferredFacts({
        "appointments": lambda: {} if worker_id is None else {
            a.id: a for a in store.appointments(worker_id=worker_id)},
        "open_rehire_cases": lambda: [] if worker_id is None else [
            (c.id, c.data.get("appointment_id"))
            for c in store.list_cases(procedure=CODE, worker_id=worker_id, open_only=True)],
        "terms": lambda: {} if district_id is None else {x.id: x for x in store.terms(district_id)},
        "community": lambda: None if community_id is None else store.community(community_id),
        "plan5_flags": lambda: plan5_flags(store, worker_id, district_id),
        "recorded_grades": lambda: recorded_grades(store, worker_id),
    })


def plan5_flags(store: Any, worker_id: int | None, district_id: int | None) -> tuple[g.NotRenewFlag, ...]:
    """The worker's NOT_RENEW_FLAG consequences (PLAN-5) recorded by the FINAL annual-assessment rounds of
    every street of the district (a worker may have moved street within the term)."""
    from workflows.annual_assessment import CODE as ASSESSMENT
    from workflows.annual_assessment import FINAL as ROUND_FINAL

    if worker_id is None or district_id is None:
        return ()
    streets = sorted({c.street_id for c in store.communities_in_district(district_id)})
    flags: list[g.NotRenewFlag] = []
    for street_id in streets:
        for round_case in store.list_cases(procedure=ASSESSMENT, state=ROUND_FINAL, street_id=street_id):
            for item in round_case.data.get("consequences") or ():
                if item.get("kind") == g.NOT_RENEW_FLAG and int(item.get("worker_id", 0)) == worker_id:
                    flags.append(g.NotRenewFlag(int(item["year"]), str(item["grade"]),
                                                item.get("prior_grade"), round_case.id, str(item.get("id"))))
    return tuple(flags)


def recorded_grades(store: Any, worker_id: int | None) -> dict[int, str]:
    """The worker's current FINAL annual grades (corrections applied, withdrawals removed), year → code."""
    from workflows.records import GRADES_TABLE

    if worker_id is None:
        return {}
    return {int(r["year"]): str(r["grade"]) for r in store.facts(GRADES_TABLE, worker_id)}


def publicity_running(case: CaseView) -> dict[str, Any]:
    """RH_PUBLICITY_RUNNING's message parameters: the publicity's last day and the first day after it."""
    last = as_date(case.data.get(pub.LAST_DAY))
    return {} if last is None else {"last_day": last.isoformat(),
                                    "next_day": (last + timedelta(days=1)).isoformat()}


ASSESSMENT_REHIRING = Procedure(
    code=CODE,
    version=1,
    states=STATES,
    final=FINAL,
    cites=(ART4, ART5, ART6_1, ART6_2, ART6_3, ART6_4, ART6_5),
    load_facts=rehire_facts,
    # RH-4 (seed 000 第六条4): the report waits for the end of the publicity; tried while it runs, the
    # refusal cites the rule and names the last day instead of the generic TRIGGER_NOT_AVAILABLE.
    out_of_order=(OutOfOrder(("report",), (IN_PUBLICITY,), g.RH_4_TIME, publicity_running),),
    steps=(
        Step(  # TM-3: one case per appointment of the expiring term
            "open", (), OPEN, (Roles.DISTRICT_CIVIL_AFFAIRS,), (ART5, ART6_1),
            fields=(Field("appointment_id", F.INT, minimum=1),),
            guards=(g.appointment_in_service, g.one_open_case, g.term_renewal_open, g.window_not_over),
            effect=g.on_open,
            starts=(DeadlineSpec("application_window", "close_window", g.window_due, g.RH_T2),),
        ),
        Step(  # RH-T1
            "apply", (OPEN,), APPLIED, (Roles.WORKER,), (ART6_1,),
            fields=(Field("applied_on", F.DATE), Field("application_doc_ref")),
            guards=(g.term_renewal_open, g.window_open, date_not_in_future("applied_on", g.RH_DATES)),
            starts=(decision_pending(awaiting("RH-T3", (ART6_1, A21)), (STREET_REVIEWER,)),),
        ),
        Step(  # RH-T2: no application by the end of the window
            "close_window", (OPEN,), NOT_APPLIED, (Roles.SYSTEM,), (A24,),
            guards=(g.window_over,), effect=g.ending(end_reason="EXPIRED"),
        ),
        Step(  # RH-T3 approve
            "street_approve", (APPLIED,), STREET_APPROVED, (STREET_REVIEWER,), (ART6_1, A21),
            fields=(Field("reviewed_on", F.DATE), Field("review_opinion")),
            guards=(date_not_before("reviewed_on", "applied_on", g.RH_DATES),
                    date_not_in_future("reviewed_on", g.RH_DATES), g.no_plan5_not_renew_flag),
            effect=g.on_street_review, rule_ids=("PLAN-5",),
            starts=(bureau_pending(awaiting("RH-T4", (ART6_1,)), (Roles.DISTRICT_CIVIL_AFFAIRS,)),),
        ),
        Step(  # RH-T3 reject → NOT_REHIRED(STREET_REJECTED)
            "street_reject", (APPLIED,), NOT_REHIRED, (STREET_REVIEWER,), (ART6_1, A21),
            fields=(Field("reviewed_on", F.DATE), Field("review_opinion")),
            guards=(date_not_before("reviewed_on", "applied_on", g.RH_DATES),
                    date_not_in_future("reviewed_on", g.RH_DATES)),
            effect=g.ending((g.STREET_REJECTED,)),
            notices=(NOT_REHIRED_NOTICE,),
        ),
        Step(  # RH-T4 approve
            "bureau_approve_application", (STREET_APPROVED,), APPLICATION_APPROVED,
            (Roles.DISTRICT_CIVIL_AFFAIRS,), (ART6_1,),
            fields=(Field("application_approval_no"), Field("application_decided_on", F.DATE)),
            guards=(date_not_before("application_decided_on", "reviewed_on", g.RH_DATES),
                    date_not_in_future("application_decided_on", g.RH_DATES)),
        ),
        Step(  # RH-T4 deny → NOT_REHIRED(BUREAU_APPLICATION_DENIED)
            "bureau_deny_application", (STREET_APPROVED,), NOT_REHIRED, (Roles.DISTRICT_CIVIL_AFFAIRS,),
            (ART6_1,),
            fields=(Field("application_decided_on", F.DATE), Field("application_denial_reason")),
            guards=(date_not_before("application_decided_on", "reviewed_on", g.RH_DATES),
                    date_not_in_future("application_decided_on", g.RH_DATES)),
            effect=g.ending((g.BUREAU_APPLICATION_DENIED,)),
            notices=(NOT_REHIRED_NOTICE,),
        ),
        Step(  # RH-T5: one meeting, two tallies (VOTE-3, A-22)
            "record_vote", (APPLICATION_APPROVED,), VOTED, (Roles.STREET_OFFICE,), (ART6_2,),
            fields=(Field("vote_meeting_date", F.DATE), Field("vote_meeting_place"), Field(g.ROSTER, F.JSON),
                    Field(g.RECOMMENDATION.field, F.JSON), Field(g.EVALUATION.field, F.JSON)),
            guards=(g.roster_valid, g.tally_valid(g.RECOMMENDATION), g.tally_valid(g.EVALUATION), g.rep_share,
                    date_not_before("vote_meeting_date", "application_decided_on", g.RH_DATES),
                    date_not_in_future("vote_meeting_date", g.RH_DATES)),
            rule_ids=("VOTE-1", "RH-W1"),
        ),
        Step(  # RH-T6: all three thresholds met (tried first)
            "thresholds_met", (VOTED,), THRESHOLDS_MET, (Roles.SYSTEM,), (ART6_2,),
            guards=(g.recommendation_over_half, g.evaluation_positive_enough,
                    g.evaluation_negative_not_too_high),
            effect=g.on_thresholds, automatic=True, rule_ids=("RH-1", "RH-2", "RH-3", "VOTE-2"),
            starts=(decision_pending(awaiting("RH-T7", (ART6_3,)), (Roles.STREET_PARTY_COMMITTEE,)),),
        ),
        Step(  # RH-T6: at least one failed → NOT_REHIRED with every failing code
            "thresholds_failed", (VOTED,), NOT_REHIRED, (Roles.SYSTEM,), (ART6_2,),
            guards=(g.some_threshold_failed,), effect=g.on_thresholds, automatic=True,
            notices=(NOT_REHIRED_NOTICE,), rule_ids=("RH-1", "RH-2", "RH-3", "VOTE-2"),
        ),
        Step(  # RH-T7 hire (thresholds are necessary, not sufficient)
            "party_decide_hire", (THRESHOLDS_MET,), DECIDED_TO_HIRE, (Roles.STREET_PARTY_COMMITTEE,),
            (ART6_3,),
            fields=(Field("party_meeting_date", F.DATE), Field("party_members_present", F.INT, minimum=1),
                    Field("minutes_ref"), Field("party_decision_note", required=False)),
            guards=(date_not_before("party_meeting_date", "vote_meeting_date", g.RH_DATES),
                    date_not_in_future("party_meeting_date", g.RH_DATES), g.no_plan5_not_renew_flag),
            rule_ids=("PLAN-5",),
        ),
        Step(  # RH-T7 not hire → NOT_REHIRED(PARTY_DECISION)
            "party_decide_not_hire", (THRESHOLDS_MET,), NOT_REHIRED, (Roles.STREET_PARTY_COMMITTEE,),
            (ART6_3,),
            fields=(Field("party_meeting_date", F.DATE), Field("party_members_present", F.INT, minimum=1),
                    Field("minutes_ref"), Field("party_decision_note")),
            guards=(date_not_before("party_meeting_date", "vote_meeting_date", g.RH_DATES),
                    date_not_in_future("party_meeting_date", g.RH_DATES)),
            effect=g.ending((g.PARTY_DECISION,)),
            notices=(NOT_REHIRED_NOTICE,),
        ),
        Step(  # RH-T8: PUB posted in the candidate's community (RH-5), 7 calendar days (CAL-2)
            "post_publicity", (DECIDED_TO_HIRE,), IN_PUBLICITY, (Roles.STREET_OFFICE,), (ART6_4,),
            fields=pub.POSTING_FIELDS,
            guards=(pub.posted_in_community(g.RH_5),
                    date_not_before(pub.POSTED_ON, "party_meeting_date", g.RH_DATES),
                    date_not_in_future(pub.POSTED_ON, g.RH_DATES)),
            effect=pub.posting_effect("rehire.publicity_days", g.CAL_2),
            starts=(DeadlineSpec("publicity_end", "end_publicity", pub.end_due, g.CAL_2),
                    pub.ending_reminder(g.CAL_2, (Roles.STREET_OFFICE, Roles.STREET_PARTY_COMMITTEE))),
            notices=(Notice("rehire.publicity_posted", (Roles.COMMUNITY, "worker")),),
            rule_ids=("RH-5", "CAL-2"),
        ),
        Step(  # RH-T9
            "end_publicity", (IN_PUBLICITY,), PUBLICITY_ENDED, (Roles.SYSTEM,), (ART6_4,),
            guards=(pub.period_over(g.RH_4_TIME, "RH_PUBLICITY_RUNNING"),), effect=pub.on_ended,
            starts=(decision_pending(awaiting("RH-T10", (ART6_5,)), (Roles.STREET_OFFICE,)),),
            rule_ids=("CAL-2",),
        ),
        Step(  # PUB objection: timely while IN_PUBLICITY, logged as late afterwards
            "lodge_objection", (IN_PUBLICITY, PUBLICITY_ENDED, REPORTED), "=",
            (Roles.OBJECTOR, Roles.STREET_OFFICE), (ART6_5, A14),
            fields=pub.OBJECTION_FIELDS,
            guards=(date_not_before("objection_received_on", pub.POSTED_ON, g.RH_DATES),
                    date_not_in_future("objection_received_on", g.RH_DATES)),
            effect=pub.objection_effect({IN_PUBLICITY}),
        ),
        Step(  # PUB finding: by the body that decided (seed 000 第六条3)
            "record_finding", (IN_PUBLICITY, PUBLICITY_ENDED), "=", (Roles.STREET_PARTY_COMMITTEE,),
            (ART6_3, ART6_5, A14),
            fields=pub.FINDING_FIELDS,
            guards=(pub.objection_exists_without_finding(g.RH_FINDING),
                    date_not_in_future("finding_on", g.RH_DATES)),
            effect=pub.on_finding,
        ),
        Step(  # RH-T10 guarded by RH-4
            "report", (PUBLICITY_ENDED,), REPORTED, (Roles.STREET_OFFICE,), (ART6_5,),
            fields=(Field("reported_on", F.DATE), Field("report_note", required=False)),
            guards=(pub.period_over(g.RH_4_TIME, "RH_PUBLICITY_RUNNING"),
                    pub.all_timely_objections_found(g.RH_4, "RH_OBJECTION_UNRESOLVED"),
                    pub.no_affecting_finding(g.RH_4, "RH_OBJECTION_AFFECTING"),
                    date_not_in_future("reported_on", g.RH_DATES)),
            effect=g.on_report, rule_ids=("RH-4",),
            starts=(bureau_pending(awaiting("RH-T12", (ART6_5,)), (Roles.DISTRICT_CIVIL_AFFAIRS,)),),
        ),
        Step(  # RH-T11 → NOT_REHIRED(PUBLICITY_OBJECTION)
            "conclude_objection_affects", (PUBLICITY_ENDED,), NOT_REHIRED, (Roles.STREET_PARTY_COMMITTEE,),
            (ART6_5, A14),
            fields=(Field("concluded_on", F.DATE), Field("conclusion_note")),
            guards=(pub.affecting_finding_exists(g.RH_T11, "RH_NO_AFFECTING_FINDING"),
                    date_not_in_future("concluded_on", g.RH_DATES)),
            effect=g.ending((g.PUBLICITY_OBJECTION,)),
            notices=(NOT_REHIRED_NOTICE,),
        ),
        Step(  # RH-T12 approve → successor appointment (TERM-6, A-12)
            "bureau_approve_rehire", (REPORTED,), REHIRED, (Roles.DISTRICT_CIVIL_AFFAIRS,),
            (ART6_5, assumption(12)),
            fields=(Field("rehire_approval_no"), Field("rehire_decided_on", F.DATE)),
            guards=(g.has_successor_term, date_not_before("rehire_decided_on", "reported_on", g.RH_DATES),
                    date_not_in_future("rehire_decided_on", g.RH_DATES)),
            effect=g.on_rehire,
            notices=(Notice("rehire.rehired", ("worker",)),),
            rule_ids=("TERM-6",),
        ),
        Step(  # RH-T12 reject → NOT_REHIRED(BUREAU_REJECTED)
            "bureau_reject_rehire", (REPORTED,), NOT_REHIRED, (Roles.DISTRICT_CIVIL_AFFAIRS,), (ART6_5,),
            fields=(Field("rehire_decided_on", F.DATE), Field("rehire_rejection_reason")),
            guards=(date_not_before("rehire_decided_on", "reported_on", g.RH_DATES),
                    date_not_in_future("rehire_decided_on", g.RH_DATES)),
            effect=g.ending((g.BUREAU_REJECTED,)),
            notices=(NOT_REHIRED_NOTICE,),
        ),
        Step(  # RH-T13: any time before a terminal state
            "withdraw", NON_TERMINAL, WITHDRAWN, (Roles.WORKER,), (A24,),
            fields=(Field("withdrawn_on", F.DATE),),
            guards=(date_not_in_future("withdrawn_on", g.RH_DATES),),
            effect=g.ending(end_reason="EXPIRED"),
        ),
        Step(  # §4.3 Interplay: a dismissal (or resignation) took effect first
            "close_moot", NON_TERMINAL, NOT_REHIRED, (Roles.SYSTEM,), (ART6_1, assumption(31)),
            fields=(Field("moot_reason"),),
            effect=g.ending((g.NO_LONGER_IN_OFFICE,), end_reason=None),
            notices=(NOT_REHIRED_NOTICE,),
        ),
    ),
)
