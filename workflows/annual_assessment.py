"""年度考核 — the annual assessment round of a street (seed 000 第十—十八条; PLAN5 = seed 000 第五篇;
spec §4.4 AR-1…AR-8, ANA-1…ANA-9, ABS, ANA-G, PLAN-1…PLAN-5).

"社区工作者的考核由街道(镇)负责组织实施" (第十条) — one case per street and year (subject = the street); each
community of the street is an ANA-4 quota group and, with PLAN5, posts its own 实绩 and results, has its own
roster and its own evaluation meeting. The round's records live in the case data (keys in
`workflows.guards.assessment`); FINAL grades are written to the workers' annual-grade records through
`workflows.records.Records` in the FINAL step's own transaction, which re-evaluates dismissal grounds
DIS-G7a/G7b (and opens their cases) at once.

Per community the steps are taken once each; the round moves on when every community has taken them:
PERFORMANCE_PUBLICITY on the first 实绩 posting, MEETING_HELD (SYSTEM) when every community's meeting is
held, RESULTS_PUBLICITY on the first results posting, RESULTS_PUBLICITY_ENDED (SYSTEM) when every
community's period is over (the PUB sub-machine's ENDED, spec §3.9). FINAL needs every period over whether
or not the sweep has run (the guard reads the dates, not the sweep).

Decisions where the spec is silent: see `workflows.guards.assessment`; in addition a round opened by mistake
can be cancelled by the street office before FINAL (a cancelled round does not count as the year's round).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.guards import SYSTEM_ACTOR, CaseView, GuardContext
from engine.spec import DeadlineSpec, Effect, Field, Procedure, Roles, RunInTransaction, Step
from engine.spec import FieldType as F
from engine.text import t
from workflows.citations import (
    ART10,
    ART11,
    ART12,
    ART13,
    ART15,
    ART17,
    ART18,
    P5_4,
    P5_5,
    P5_6_1,
    P5_6_2,
    P5_7,
    P5_8_1,
    P5_8_2,
    P5_8_3,
    assumption,
)
from workflows.guards import assessment as g
from workflows.guards import publicity as pub
from workflows.guards.common import date_not_before, date_not_in_future

CODE = "annual_assessment"

SETUP = "SETUP"
PERFORMANCE_PUBLICITY = "PERFORMANCE_PUBLICITY"
MEETING_HELD = "MEETING_HELD"
GRADES_PROPOSED = "GRADES_PROPOSED"
RESULTS_PUBLICITY = "RESULTS_PUBLICITY"
RESULTS_PUBLICITY_ENDED = "RESULTS_PUBLICITY_ENDED"
FINAL = "FINAL"
CANCELLED = "CANCELLED"

STATES = (SETUP, PERFORMANCE_PUBLICITY, MEETING_HELD, GRADES_PROPOSED, RESULTS_PUBLICITY,
          RESULTS_PUBLICITY_ENDED, FINAL, CANCELLED)
TERMINAL = frozenset({FINAL, CANCELLED})
NON_TERMINAL = tuple(s for s in STATES if s not in TERMINAL)
RESULTS_STATES = (RESULTS_PUBLICITY, RESULTS_PUBLICITY_ENDED)
OBJECTION_STATES = (PERFORMANCE_PUBLICITY, MEETING_HELD, *RESULTS_STATES)
RUNNING = {g.PHASE_PERFORMANCE: PERFORMANCE_PUBLICITY, g.PHASE_RESULTS: RESULTS_PUBLICITY}

A14, A15, A16, A32 = assumption(14), assumption(15), assumption(16), assumption(32)


# ---------------------------------------------------------------- facts


def round_facts(store: Any, case: CaseView) -> dict[str, Any]:
    """The street's communities (by code), the workers in service there with their recorded FINAL grades and
    absence days (by worker id), and the street's rounds as (case id, year, state)."""
    from workflows.records import worker_record_facts

    facts: dict[str, Any] = {"communities": {}, "workers": {}, "rounds": ()}
    if case.street_id is None or case.district_id is None:
        return facts
    communities = [c for c in store.communities_in_district(case.district_id)
                   if c.street_id == case.street_id]
    for community in communities:
        facts["communities"][community.code] = community
        for appointment in store.appointments(community_id=community.id):
            if appointment.worker_id in facts["workers"]:
                continue
            recorded = worker_record_facts(store, appointment.worker_id)
            facts["workers"][appointment.worker_id] = {
                "worker": store.worker(appointment.worker_id), "appointment": appointment,
                "community": community.code, "grades": recorded["grades"], "absences": recorded["absences"]}
    # workers of the round whose appointment has ended since it opened are still graded (their records count)
    for key in (case.data.get(g.WORKERS) or {}):
        worker_id = int(key)
        if worker_id not in facts["workers"]:
            recorded = worker_record_facts(store, worker_id)
            facts["workers"][worker_id] = {"worker": store.worker(worker_id), "appointment": None,
                                           "community": case.data[g.WORKERS][key]["community"],
                                           "grades": recorded["grades"], "absences": recorded["absences"]}
    facts["rounds"] = tuple((c.id, c.data.get("assessment_year"), c.state)
                            for c in store.list_cases(procedure=CODE, street_id=case.street_id))
    return facts


# ---------------------------------------------------------------- FINAL


def grade_writer(year: int, grades: Mapping[int, str], source_ref: str,
                 reason: str) -> Callable[[Any, Any, int], None]:
    """The FINAL step's write (AR-7/AR-8): each worker's FINAL grade through `Records`, as SYSTEM, in the
    step's transaction — which re-evaluates DIS-G7a/G7b and opens a dismissal case when one becomes true. A
    grade already recorded for the year is superseded (a correction with reason and authority, A-39) unless it
    is the same."""

    def run(engine: Any, store: Any, case_id: int) -> None:
        from workflows.records import GRADES_TABLE, Records

        records = Records(engine)
        for worker_id, grade in sorted(grades.items()):
            current = [r for r in store.facts(GRADES_TABLE, worker_id) if int(r["year"]) == year]
            if current and current[-1]["grade"] == grade:
                continue
            if current:
                records.correct_in(store, SYSTEM_ACTOR, GRADES_TABLE, int(current[-1]["id"]), reason=reason,
                                   authority=source_ref, changes={"grade": grade, "source_ref": source_ref})
            else:
                records.record_in(store, SYSTEM_ACTOR, GRADES_TABLE, worker_id,
                                  {"year": year, "grade": grade, "source_ref": source_ref})

    return run


def on_final(ctx: GuardContext) -> Effect:
    """FINAL: the grades, the PLAN5 consequences (flags and tasks), and the grade records written through
    `Records` in this transaction."""
    grades = g.final_grades(ctx)
    year = g.year_of(ctx)
    source_ref = t("assessment.source_ref", case=ctx.case.id, year=year)
    created = g.consequences(ctx, grades)
    writer = grade_writer(year, grades, source_ref, t("assessment.final_correction_reason", case=ctx.case.id))
    return Effect(
        data={"final_grades": {str(w): grade for w, grade in grades.items()},
              "final_labels": {str(w): g.tier_label(ctx.policy, grade) for w, grade in grades.items()},
              "consequences": created, "finalised_on": ctx.today.isoformat(),
              "finalised_by": ctx.actor.login},
        actions=(RunInTransaction(writer, "annual_grades.record"),))


def on_cancel(ctx: GuardContext) -> Effect:
    return Effect(data={"cancelled_on": ctx.today.isoformat()})


# ---------------------------------------------------------------- the procedure

MEETING_FIELDS = (
    Field("assessment_community"),
    Field("assessment_meeting_date", F.DATE),
    Field("attendance_present", F.INT, minimum=0),
    Field("debriefed_workers", F.JSON, required=False),
    Field("score_sheets", F.JSON, required=False),
    Field("satisfaction_tallies", F.JSON, required=False),
    Field("proposed_grades", F.JSON, required=False),
)
FINAL_FIELDS = (Field("reported_on", F.DATE), Field("feedback_on", F.DATE),
                Field("archive_ref", required=False))
FINAL_DATES = (date_not_in_future("reported_on", g.ANA_DATES), date_not_in_future("feedback_on", g.ANA_DATES),
               date_not_before("feedback_on", "reported_on", g.ANA_DATES))

ANNUAL_ASSESSMENT = Procedure(
    code=CODE,
    version=1,
    states=STATES,
    final=TERMINAL,
    cites=(ART10, ART11, ART12, ART13, ART15, ART17, ART18, P5_4, P5_5, P5_6_1, P5_7, P5_8_1),
    subject="street",
    load_facts=round_facts,
    steps=(
        Step(  # AR-1 (ANA-1)
            "open", (), SETUP, (Roles.STREET_OFFICE,), (ART10, A32),
            fields=(Field("assessment_year", F.INT, minimum=2000), Field("rules_doc_ref", required=False),
                    Field("rules_filed_on", F.DATE, required=False)),
            guards=(g.rules_filed, g.year_not_future, g.one_round_per_year, g.has_workers),
            effect=g.on_open, rule_ids=("ANA-1", "AR-1"),
        ),
        Step(  # AR-2: a community posts its 实绩 (PLAN-2 period starts; a re-post restarts it)
            "post_performance", (SETUP, PERFORMANCE_PUBLICITY), PERFORMANCE_PUBLICITY, (Roles.COMMUNITY,),
            (P5_6_1, P5_5, A32),
            fields=(Field(pub.POSTED_ON, F.DATE), Field(pub.PLACE), Field(pub.DOC_REF)),
            guards=(g.plan5_enabled("performance"), g.own_community_in_round, g.meeting_not_held,
                    g.in_window(pub.POSTED_ON, "phase1", first_only_of=g.PERFORMANCE),
                    date_not_in_future(pub.POSTED_ON, g.ANA_DATES)),
            effect=g.on_performance_posted, rule_ids=("PLAN-2",),
        ),
        Step(  # AR-3 (approve): the community assessment group reviews the meeting roster
            "approve_roster", (SETUP, PERFORMANCE_PUBLICITY), "=", (Roles.COMMUNITY_ASSESSMENT_GROUP,),
            (P5_4, ART13),
            fields=(Field("assessment_roster", F.JSON), Field("roster_approved_on", F.DATE)),
            guards=(g.plan5_enabled("roster"), g.own_community_in_round, g.meeting_not_held, g.roster_valid,
                    g.roster_size, g.roster_composition,
                    date_not_in_future("roster_approved_on", g.ANA_DATES)),
            effect=g.on_roster_approved, rule_ids=("PLAN-1", "ANA-5", "RH-W1"),
        ),
        Step(  # AR-3 (post): the community publicises the approved roster in advance
            "post_roster", (SETUP, PERFORMANCE_PUBLICITY), "=", (Roles.COMMUNITY,), (P5_4, A32),
            fields=(Field("roster_posted_on", F.DATE), Field(pub.PLACE, required=False)),
            guards=(g.plan5_enabled("roster"), g.own_community_in_round, g.meeting_not_held,
                    g.roster_approved, date_not_in_future("roster_posted_on", g.ANA_DATES)),
            effect=g.on_roster_posted,
        ),
        Step(  # AR-4: one community's meeting (述职, scores, satisfaction ballots, attendance)
            "hold_meeting", (SETUP, PERFORMANCE_PUBLICITY), "=", (Roles.STREET_OFFICE,),
            (ART13, P5_6_2, P5_7),
            fields=MEETING_FIELDS,
            guards=(g.named_community_in_round, g.meeting_not_held, g.performance_complete,
                    g.performance_objections_cleared, g.roster_posted_in_time,
                    g.in_window("assessment_meeting_date", "phase2"), g.score_sheets_valid, g.proposals_valid,
                    g.satisfaction_valid, date_not_in_future("assessment_meeting_date", g.ANA_DATES)),
            effect=g.on_meeting, rule_ids=("PLAN-2", "VOTE-1"),
        ),
        Step(  # AR-4 complete: every community has met
            "meetings_complete", (SETUP, PERFORMANCE_PUBLICITY), MEETING_HELD, (Roles.SYSTEM,),
            (ART13, P5_6_2),
            guards=(g.all_meetings_held,), automatic=True,
        ),
        Step(  # AR-5 (findings): 第十五条 attestation, 第十七条 / 第十八条 findings, refusal records
            "record_findings", (MEETING_HELD, GRADES_PROPOSED), "=", (Roles.STREET_ASSESSMENT_GROUP,),
            (ART15, ART17, ART18),
            fields=(Field("worker_findings", F.JSON),),
            guards=(g.findings_valid,), effect=g.on_findings,
            rule_ids=("ANA-7", "ANA-8", "ANA-9"),
        ),
        Step(  # AR-5: ANA-G for every worker, ANA-4 per community
            "propose_grades", (MEETING_HELD,), GRADES_PROPOSED, (Roles.STREET_ASSESSMENT_GROUP,),
            (ART12, ART15, ART17, ART18, A16),
            fields=(Field("worker_findings", F.JSON, required=False), Field("proposed_on", F.DATE)),
            guards=(g.findings_valid, g.every_worker_graded, g.not_configured_rules,
                    date_not_in_future("proposed_on", g.ANA_DATES)),
            effect=g.on_grades_proposed, rule_ids=("ANA-G", "AR-5"),
        ),
        Step(  # ANA-4 resolution: the street assessment group selects who keeps 优秀 (reason recorded)
            "select_excellent", (GRADES_PROPOSED,), "=", (Roles.STREET_ASSESSMENT_GROUP,), (ART12, A15),
            fields=(Field("assessment_community"), Field("excellent_keep", F.JSON), Field("quota_reason")),
            guards=(g.selection_valid,), effect=g.on_selection, rule_ids=("ANA-4",),
        ),
        Step(  # AR-6: a community posts its results (PLAN-3 period starts)
            "post_results", (GRADES_PROPOSED, RESULTS_PUBLICITY), RESULTS_PUBLICITY, (Roles.COMMUNITY,),
            (P5_8_1, ART12),
            fields=(Field(pub.POSTED_ON, F.DATE), Field(pub.PLACE), Field(pub.DOC_REF)),
            guards=(g.plan5_enabled("results"), g.own_community_in_round, g.results_not_yet_posted,
                    g.all_graded, g.quota_satisfied,
                    g.in_window(pub.POSTED_ON, "phase3", first_only_of=g.CYCLE),
                    g.results_after_meetings, date_not_in_future(pub.POSTED_ON, g.ANA_DATES)),
            effect=g.on_results_posted,
            starts=(DeadlineSpec("results_publicity_end", "end_results_publicity", g.results_end_due,
                                 g.PLAN_3),),
            rule_ids=("ANA-4", "PLAN-3"),
        ),
        Step(  # PLAN-3 (SYSTEM at the end of a community's last day): record the end
            "end_results_publicity", (RESULTS_PUBLICITY,), "=", (Roles.SYSTEM,), (P5_8_1, A32),
            guards=(g.some_results_period_over,), effect=g.on_results_ended,
        ),
        Step(  # a finding changed a grade: back to GRADES_PROPOSED, results posted again (tried first)
            "regrade", RESULTS_STATES, GRADES_PROPOSED, (Roles.SYSTEM,), (P5_8_1, A14, A32),
            guards=(g.regrade_pending,), effect=g.on_regrade, automatic=True,
        ),
        Step(  # PUB ENDED: every community's results period is over
            "results_publicity_over", (RESULTS_PUBLICITY,), RESULTS_PUBLICITY_ENDED, (Roles.SYSTEM,),
            (P5_8_1, A32),
            guards=(g.all_results_ended,), automatic=True,
        ),
        Step(  # PUB objection to 实绩 or to results; late ones are logged and never block
            "lodge_objection", OBJECTION_STATES, "=", (Roles.OBJECTOR, Roles.COMMUNITY, Roles.STREET_OFFICE),
            (P5_6_1, P5_8_1, A14),
            fields=(*pub.OBJECTION_FIELDS, Field("assessment_community"),
                    Field("objection_worker_id", F.INT, required=False)),
            guards=(g.objection_target_valid(RESULTS_STATES),
                    date_not_in_future("objection_received_on", g.ANA_DATES)),
            effect=g.objection_effect(RUNNING, RESULTS_STATES),
        ),
        Step(  # PUB finding by the street assessment group; a results finding may correct the inputs
            "record_finding", (*OBJECTION_STATES, GRADES_PROPOSED), "=", (Roles.STREET_ASSESSMENT_GROUP,),
            (P5_8_1, A14, A32),
            fields=(*pub.FINDING_FIELDS, Field("finding_corrections", F.JSON, required=False)),
            guards=(pub.objection_exists_without_finding(g.PLAN_PUB), g.corrections_allowed(RESULTS_STATES),
                    date_not_in_future("finding_on", g.ANA_DATES)),
            effect=g.finding_effect(RESULTS_STATES),
        ),
        Step(  # AR-7: FINAL after ≥ 7 days of results publicity with every objection found
            "finalise", RESULTS_STATES, FINAL, (Roles.STREET_ASSESSMENT_GROUP,),
            (P5_8_1, P5_8_2, P5_8_3, A32),
            fields=FINAL_FIELDS,
            guards=(g.plan5_enabled("final"), g.all_results_posted, g.all_results_periods_over,
                    g.result_objections_cleared, g.no_regrade_pending, g.all_graded, g.quota_satisfied,
                    g.grades_current, *FINAL_DATES),
            effect=on_final, rule_ids=("PLAN-3", "PLAN-4", "PLAN-5", "ANA-4", "DIS-G7a", "DIS-G7b"),
        ),
        Step(  # AR-8: FINAL without PLAN5 (no results publicity stated, A-32)
            "finalise_without_plan5", (GRADES_PROPOSED,), FINAL, (Roles.STREET_OFFICE,), (ART11, ART12, A32),
            fields=FINAL_FIELDS,
            guards=(g.plan5_disabled, g.all_graded, g.quota_satisfied, g.grades_current, *FINAL_DATES),
            effect=on_final, rule_ids=("ANA-4", "DIS-G7a", "DIS-G7b"),
        ),
        Step(  # a round opened by mistake
            "cancel", NON_TERMINAL, CANCELLED, (Roles.STREET_OFFICE,), (ART10,),
            fields=(Field("cancel_reason"),), effect=on_cancel,
        ),
    ),
)
