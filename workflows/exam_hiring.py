"""考试聘用 — examination hiring during a term (seed 000 第七条, 第八条; spec §4.2).

"考试聘用社区工作者必须坚持公开考试、严格考察、平等竞争、择优录取的原则,在编制空缺的情况下,经过笔试、面试、
考察、体检等程序面向社会公开聘用" (seed 000 第八条).

Two procedures:

- `exam_recruitment` (招聘批次, EX-1…EX-4): a district-level case (no worker, no community) opened by the
  organiser (DONGQU: 区民政局). DRAFT → PUBLISHED → REGISTRATION_CLOSED (SYSTEM at the end of the deadline
  day) → IN_PROGRESS → COMPLETED / CANCELLED.
- `exam_candidate` (报名, C-1…C-9): a child case of a recruitment, opened by the CANDIDATE for one
  vacancy line (the case's community is the line's community). The four steps 笔试 → 面试 → 考察 →
  体检 follow one another by construction (EXH_STEP_ORDER): each is a trigger available only from the
  state the previous one leads to; a step out of order is refused citing EXH_STEP_ORDER (seed 000 第八条,
  see `_step_order`).

Facts are loaded here (I/O), the rules are pure functions in `workflows.guards.exam_hiring`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from typing import Any

from engine.guards import CaseView
from engine.spec import DeadlineSpec, Field, Notice, OutOfOrder, PolicyRole, Procedure, Roles, Rule, Step
from engine.spec import FieldType as F
from storage.records import CommunityRecord, TermRecord
from workflows.citations import ART2, ART4, ART5, ART7, ART7_3, ART8, assumption
from workflows.guards import exam_hiring as g
from workflows.guards import publicity as pub
from workflows.guards.common import date_not_before, date_not_in_future

ORGANISER = PolicyRole("exam_hiring.organiser")  # DONGQU: 区民政局 (seed 000 第二条, 第三条)

RECRUITMENT_CODE = "exam_recruitment"
CANDIDATE_CODE = "exam_candidate"


# ---------------------------------------------------------------- facts (reads only)


def _term(term: TermRecord) -> dict[str, Any]:
    return {
        "id": term.id,
        "ordinal": term.ordinal,
        "status": term.status,
        "start_date": term.start_date.isoformat(),
        "end_date": term.end_date.isoformat(),
    }


def _reservations(store: Any, district_id: int) -> dict[int, list[dict[str, Any]]]:
    """Places still open on the lines of the district's open recruitments, by community id (EXH-1
    "pending appointments"). A line closed unfilled reserves nothing; a filled place is an appointment."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for rec in store.open_cases(RECRUITMENT_CODE, district_id=district_id):
        closed = rec.data.get("closed_lines") or {}
        filled = Counter(int(c.data["line_no"]) for c in store.child_cases(rec.id, state=g.APPOINTED))
        for line in rec.data.get("lines") or ():
            number = int(line["line_no"])
            still_open = int(line["count"]) - filled[number]
            if str(number) not in closed and still_open > 0:
                out[int(line["community_id"])].append(
                    {"case_id": rec.id, "line_no": number, "open": still_open}
                )
    return out


def _staffing(store: Any, communities: list[CommunityRecord], district_id: int) -> dict[str, dict[str, Any]]:
    counts = store.appointment_counts([c.id for c in communities])
    reserved = _reservations(store, district_id)
    return {
        c.code: {
            "id": c.id,
            "code": c.code,
            "name": c.name,
            "limit": c.staffing_limit,
            "active": counts.get((c.id, "ACTIVE"), 0),
            "holdover": counts.get((c.id, "HOLDOVER"), 0),
            "reserved": reserved.get(c.id, []),
        }
        for c in communities
    }


def recruitment_facts(store: Any, case: CaseView) -> dict[str, Any]:
    """Terms and staffing of the district (when the plan is made) and this recruitment's candidates."""
    facts: dict[str, Any] = {}
    if case.id is None:
        assert case.district_id is not None
        facts["terms"] = {t.id: _term(t) for t in store.terms(case.district_id)}
        facts["communities"] = _staffing(
            store, store.communities_in_district(case.district_id), case.district_id
        )
        facts["children"] = {"by_state": {}, "appointed_by_line": {}}
        return facts
    appointed = Counter(int(c.data["line_no"]) for c in store.child_cases(case.id, state=g.APPOINTED))
    facts["children"] = {"by_state": store.child_case_counts(case.id), "appointed_by_line": dict(appointed)}
    return facts


def candidate_facts(store: Any, case: CaseView) -> dict[str, Any]:
    """The recruitment, every candidate of it (for ranking and duplicates) and, where the appointment may
    be taken, the community's staffing, the term and an existing personnel record of the person."""
    if case.parent_case_id is None:
        return {"recruitment": None, "siblings": []}
    parent = store.get_case(case.parent_case_id)
    facts: dict[str, Any] = {
        "recruitment": {"id": parent.id, "state": parent.state, "data": parent.data},
        "siblings": [
            {"id": c.id, "state": c.state, "community_id": c.community_id, "data": c.data}
            for c in store.child_cases(parent.id)
        ],
    }
    if case.state in (g.MEDICAL_PASSED, g.PUBLICITY_ENDED) and case.community_id is not None:
        community = store.community(case.community_id)
        facts["staffing"] = _staffing(store, [community], community.district_id)[community.code]
        facts["term"] = _term(store.term(int(parent.data["term_id"])))
        worker = store.worker_by_id_number(str(case.data.get("id_number")))
        facts["existing_worker"] = (
            None
            if worker is None
            else {"id": worker.id, "active": len(store.appointments(worker_id=worker.id))}
        )
    return facts


# ---------------------------------------------------------------- 招聘批次 (EX-1…EX-4)

ANNOUNCEMENT_FIELDS = (
    Field("conditions", required=False),
    Field("duties", required=False),
    Field("pay", required=False),
    Field("registration_start", F.DATE, required=False),
    Field("registration_deadline", F.DATE, required=False),
)

EXAM_RECRUITMENT = Procedure(
    code=RECRUITMENT_CODE,
    version=1,
    states=(g.DRAFT, g.PUBLISHED, g.REGISTRATION_CLOSED, g.IN_PROGRESS, g.COMPLETED, g.CANCELLED),
    final=frozenset({g.COMPLETED, g.CANCELLED}),
    cites=(ART5, ART8),
    subject="district",
    load_facts=recruitment_facts,
    steps=(
        Step(  # EX-1
            "create",
            (),
            g.DRAFT,
            (ORGANISER,),
            (ART5, ART8, assumption(37)),
            fields=(
                Field("vacancy_lines", F.JSON),
                Field("term_id", F.INT, minimum=1),
                *ANNOUNCEMENT_FIELDS,
                Field("shortlist_ratio", required=False),
                Field("written_weight", required=False),
                Field("allow_backfill", F.BOOL, required=False),
            ),
            guards=(
                g.lines_valid,
                g.term_open,
                g.lines_within_staffing,
                g.settings_valid,
                g.registration_window_ordered,
            ),
            effect=g.on_create,
            rule_ids=("EXH-1",),
        ),
        Step(  # EX-2
            "publish",
            (g.DRAFT,),
            g.PUBLISHED,
            (ORGANISER,),
            (ART8, assumption(8)),
            fields=(
                Field("published_on", F.DATE),
                Field("channels"),
                Field("announcement_ref", required=False),
                *ANNOUNCEMENT_FIELDS,
            ),
            guards=(
                g.announcement_complete,
                date_not_in_future("published_on", g.EXH_DATES),
                g.deadline_not_passed,
                g.registration_window_ordered,
            ),
            effect=g.on_publish,
            starts=(
                DeadlineSpec(
                    "registration_close", "close_registration", g.registration_close_due, g.EXH_REGISTRATION
                ),
            ),
        ),
        Step(  # EX-3
            "close_registration",
            (g.PUBLISHED,),
            g.REGISTRATION_CLOSED,
            (Roles.SYSTEM,),
            (assumption(8),),
            effect=g.on_registration_closed,
        ),
        Step(  # EX-4
            "start",
            (g.REGISTRATION_CLOSED,),
            g.IN_PROGRESS,
            (ORGANISER,),
            (ART8,),
        ),
        Step(  # EX-4: a line closed unfilled (or with its remaining places given up)
            "close_line",
            (g.IN_PROGRESS,),
            "=",
            (ORGANISER,),
            (ART8, assumption(37)),
            fields=(Field("line_no", F.INT, minimum=1), Field("close_reason")),
            guards=(g.line_closable,),
            effect=g.on_close_line,
        ),
        Step(  # EX-4
            "complete",
            (g.IN_PROGRESS,),
            g.COMPLETED,
            (ORGANISER,),
            (ART8,),
            guards=(g.every_line_settled,),
            effect=g.on_complete,
        ),
        Step(  # EX-4
            "cancel",
            (g.DRAFT, g.PUBLISHED, g.REGISTRATION_CLOSED, g.IN_PROGRESS),
            g.CANCELLED,
            (ORGANISER,),
            (ART8,),
            fields=(Field("cancel_reason"),),
            guards=(g.nobody_appointed,),
            effect=g.on_cancel,
        ),
    ),
)


# ---------------------------------------------------------------- 报名 (C-1…C-9)

RUNNING = g.recruitment_in(g.IN_PROGRESS)
REVIEWING = g.recruitment_in(g.PUBLISHED, g.REGISTRATION_CLOSED, g.IN_PROGRESS)
ATTESTATION_FIELDS = tuple(Field(name, F.BOOL, required=False) for _, name in g.ATTESTATIONS)
INSPECTION_FIELDS = (
    Field("inspected_on", F.DATE),
    Field("inspectors"),
    Field("inspection_findings"),
    Field("tie_break_reason", required=False),
)
MEDICAL_FIELDS = (Field("medical_institution"), Field("medical_on", F.DATE), Field("medical_conclusion"))

EXAM_CANDIDATE = Procedure(
    code=CANDIDATE_CODE,
    version=1,
    states=(
        g.APPLIED,
        g.QUALIFIED,
        g.DISQUALIFIED,
        g.WRITTEN_DONE,
        g.INTERVIEW_DONE,
        g.ELIMINATED,
        g.INSPECTION_PASSED,
        g.INSPECTION_FAILED,
        g.MEDICAL_PASSED,
        g.MEDICAL_FAILED,
        g.IN_PUBLICITY,
        g.PUBLICITY_ENDED,
        g.APPOINTED,
        g.WITHDRAWN,
        g.CANCELLED,
    ),
    final=frozenset(g.CANDIDATE_FINAL),
    cites=(ART7, ART8),
    subject="candidate",
    parent=RECRUITMENT_CODE,
    load_facts=candidate_facts,
    steps=(
        Step(  # C-1
            "register",
            (),
            g.APPLIED,
            (Roles.CANDIDATE,),
            (ART7, ART8),
            fields=(
                Field("line_no", F.INT, minimum=1),
                Field("id_number"),
                Field("candidate_name"),
                Field("phone", required=False),
                Field("education", F.CHOICE, choices=g.EDUCATION_LEVELS),
                Field("graduated_from"),
                Field("diploma_no"),
                Field("diploma_recognised", F.BOOL),
                Field("hukou_city"),
                Field("hukou_urban", F.BOOL),
                *(Field(name, F.BOOL) for name, _ in g.DECLARATIONS),
            ),
            guards=(
                g.registration_open,
                g.id_number_valid,
                g.line_open_for_registration,
                g.not_registered_twice,
                g.declarations_made,
            ),
            effect=g.on_register,
        ),
        Step(  # C-2 qualified
            "qualify",
            (g.APPLIED,),
            g.QUALIFIED,
            (ORGANISER,),
            (ART7,),
            fields=(Field("reviewed_on", F.DATE), *ATTESTATION_FIELDS, Field("review_note", required=False)),
            guards=(REVIEWING, date_not_in_future("reviewed_on", g.EXH_DATES), *g.ELIGIBILITY),
            effect=g.on_qualify,
            rule_ids=("EXH-E1", "EXH-E2", "EXH-E3", "EXH-E4", "EXH-E5", "EXH-E6"),
        ),
        Step(  # C-2 disqualified
            "disqualify",
            (g.APPLIED,),
            g.DISQUALIFIED,
            (ORGANISER,),
            (ART7,),
            fields=(Field("reviewed_on", F.DATE), *ATTESTATION_FIELDS, Field("disqualify_reason")),
            guards=(REVIEWING, date_not_in_future("reviewed_on", g.EXH_DATES)),
            effect=g.on_disqualify,
            rule_ids=("EXH-E1", "EXH-E2", "EXH-E3", "EXH-E4", "EXH-E5", "EXH-E6"),
        ),
        Step(  # C-3 笔试
            "record_written",
            (g.QUALIFIED,),
            g.WRITTEN_DONE,
            (ORGANISER,),
            (ART8,),
            fields=(Field("written_score", F.DECIMAL, minimum=0), Field("written_on", F.DATE)),
            guards=(RUNNING, date_not_in_future("written_on", g.EXH_DATES)),
        ),
        Step(  # C-4 面试 (shortlist by written score, A-37)
            "record_interview",
            (g.WRITTEN_DONE,),
            g.INTERVIEW_DONE,
            (ORGANISER,),
            (ART8, assumption(37)),
            fields=(
                Field("interview_score", F.DECIMAL, minimum=0),
                Field("interview_on", F.DATE),
                Field("interview_panel"),
            ),
            guards=(
                RUNNING,
                g.in_shortlist,
                date_not_in_future("interview_on", g.EXH_DATES),
                date_not_before("interview_on", "written_on", g.EXH_DATES),
            ),
            effect=g.on_interview,
            rule_ids=("EXH-2",),
        ),
        Step(  # C-4 / C-5 淘汰 (not shortlisted, not selected, or absent)
            "eliminate",
            (g.WRITTEN_DONE, g.INTERVIEW_DONE),
            g.ELIMINATED,
            (ORGANISER,),
            (ART8, assumption(37)),
            fields=(
                Field("elimination_reason", F.CHOICE, choices=g.ELIMINATION_REASONS),
                Field("elimination_note", required=False),
            ),
            guards=(RUNNING, g.may_eliminate),
            rule_ids=("EXH-2",),
        ),
        Step(  # C-5 考察 passed (selection by composite rank, EXH-2)
            "pass_inspection",
            (g.INTERVIEW_DONE,),
            g.INSPECTION_PASSED,
            (ORGANISER,),
            (ART8, assumption(37)),
            fields=INSPECTION_FIELDS,
            guards=(
                RUNNING,
                g.selected_for("inspection"),
                date_not_in_future("inspected_on", g.EXH_DATES),
                date_not_before("inspected_on", "interview_on", g.EXH_DATES),
            ),
            effect=g.on_selected,
            rule_ids=("EXH-2",),
        ),
        Step(  # C-5 考察 failed
            "fail_inspection",
            (g.INTERVIEW_DONE,),
            g.INSPECTION_FAILED,
            (ORGANISER,),
            (ART8,),
            fields=INSPECTION_FIELDS,
            guards=(
                RUNNING,
                g.selected_for("inspection"),
                date_not_in_future("inspected_on", g.EXH_DATES),
                date_not_before("inspected_on", "interview_on", g.EXH_DATES),
            ),
            effect=g.on_selected,
            rule_ids=("EXH-2",),
        ),
        Step(  # C-6 体检 passed (EXH-E3 verified)
            "pass_medical",
            (g.INSPECTION_PASSED,),
            g.MEDICAL_PASSED,
            (ORGANISER,),
            (ART7_3, ART8),
            fields=MEDICAL_FIELDS,
            guards=(
                RUNNING,
                date_not_in_future("medical_on", g.EXH_DATES),
                date_not_before("medical_on", "inspected_on", g.EXH_DATES),
            ),
        ),
        Step(  # C-6 体检 failed
            "fail_medical",
            (g.INSPECTION_PASSED,),
            g.MEDICAL_FAILED,
            (ORGANISER,),
            (ART7_3, ART8),
            fields=MEDICAL_FIELDS,
            guards=(
                RUNNING,
                date_not_in_future("medical_on", g.EXH_DATES),
                date_not_before("medical_on", "inspected_on", g.EXH_DATES),
            ),
        ),
        Step(  # C-7 optional publicity: only when exam_hiring.publicity_days > 0
            "post_publicity",
            (g.MEDICAL_PASSED,),
            g.IN_PUBLICITY,
            (ORGANISER,),
            (assumption(13),),
            fields=(
                Field("exam_publicity_posted_on", F.DATE),
                Field("exam_publicity_place"),
                Field("exam_publicity_ref", required=False),
            ),
            guards=(
                RUNNING,
                g.publicity_configured,
                date_not_in_future("exam_publicity_posted_on", g.EXH_DATES),
            ),
            effect=g.on_publicity_posted,
            notices=(Notice("exam.publicity_posted", (Roles.COMMUNITY, "worker")),),  # 公示公告
            starts=(DeadlineSpec("publicity_end", "end_publicity", g.publicity_end_due, g.EXH_PUBLICITY),
                    pub.ending_reminder(g.EXH_PUBLICITY, (ORGANISER,))),
        ),
        Step(  # C-7 end of the period (SYSTEM, CAL-2)
            "end_publicity",
            (g.IN_PUBLICITY,),
            g.PUBLICITY_ENDED,
            (Roles.SYSTEM,),
            (assumption(13),),
            effect=g.on_publicity_ended,
        ),
        Step(  # C-8 聘用: EXH-1 re-checked, appointment ends with the term (TERM-5, A-11)
            "appoint",
            (g.MEDICAL_PASSED, g.PUBLICITY_ENDED),
            g.APPOINTED,
            (ORGANISER,),
            (ART2, ART8, ART4, assumption(11)),
            fields=(
                Field("appointment_decision_no"),
                Field("decided_on", F.DATE),
                Field("appointed_from", F.DATE),
            ),
            guards=(
                RUNNING,
                g.publicity_cleared,
                g.line_has_place,
                g.vacancy_still_free,
                g.selected_for("appointment"),
                g.not_already_employed,
                date_not_in_future("decided_on", g.EXH_DATES),
                date_not_before("decided_on", "medical_on", g.EXH_DATES),
                date_not_before("appointed_from", "decided_on", g.EXH_DATES),
                g.start_within_term,
            ),
            effect=g.on_appoint,
            notices=(Notice("exam.appointed", ("worker",)),),  # 聘用通知 to the candidate
            rule_ids=("EXH-1", "EXH-2", "TERM-5"),
        ),
        Step(  # C-9
            "withdraw",
            g.CANDIDATE_OPEN,
            g.WITHDRAWN,
            (Roles.CANDIDATE,),
            (ART8,),
            fields=(Field("withdrawn_on", F.DATE),),
            guards=(
                date_not_in_future("withdrawn_on", g.EXH_DATES),
                date_not_before("withdrawn_on", "registered_on", g.EXH_DATES),
            ),
            effect=g.on_withdraw,
        ),
        Step(  # the recruitment was cancelled (EX-4)
            "close_cancelled",
            g.CANDIDATE_OPEN,
            g.CANCELLED,
            (Roles.SYSTEM,),
            (ART8,),
            fields=(Field("moot_reason"),),
        ),
    ),
)


# EXH_STEP_ORDER (seed 000 第八条; A-37: the listing order is the execution order): 笔试 → 面试 → 考察 → 体检,
# then 聘用. One of these steps tried from another state of that pipeline is refused citing the article, not
# with the generic TRIGGER_NOT_AVAILABLE (terminal states and the publicity keep the generic refusal).
EXH_STEP_ORDER = Rule("EXH-ORDER", "EXH_STEP_ORDER", (ART8, assumption(37)))
ORDERED_STEPS = ("record_written", "record_interview", "pass_inspection", "fail_inspection", "pass_medical",
                 "fail_medical", "appoint")
PIPELINE = (g.APPLIED, g.QUALIFIED, g.WRITTEN_DONE, g.INTERVIEW_DONE, g.INSPECTION_PASSED, g.MEDICAL_PASSED)


def _step_order(proc: Procedure) -> Procedure:
    rules = []
    for trigger in ORDERED_STEPS:
        step = proc.step(trigger)
        assert step is not None
        states = tuple(s for s in PIPELINE if s not in step.source)
        rules.append(OutOfOrder((trigger,), states, EXH_STEP_ORDER))
    return replace(proc, out_of_order=tuple(rules))


EXAM_CANDIDATE = _step_order(EXAM_CANDIDATE)
