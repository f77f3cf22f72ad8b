"""解除聘用 — dismissal on the grounds of seed 000 第二十三条 (spec §4.7 DS-1…DS-8; procedure: A-30).

"有下列情形之一的,应解除聘用" — mandatory once a ground is established. The street office
establishes the facts, the street party working committee decides collectively, 区民政局 (the
appointing authority, seed 000 第二条) approves; the dismissal takes effect at 00:00 of the approved
effective date once the written notice to the worker is recorded.

Grounds G1–G6 and G10 are alleged by the street office; G7a, G7b, G8 and G9 are computed from recorded
data (`workflows.records`) and opened and, after a correction, closed by SYSTEM (DIS-1: never closed as
unfounded). Which grounds exist is the pack's `dismissal.grounds` (DS-1 refuses others): CHUZHOU
adopts this A-30 procedure for its exit situations (seed 002 滁州·建立职业退出机制; DIS-CHZ-3 is
computed like G7), and a case on them ends the appointment ELIMINATED instead of DISMISSED.

Decisions where the spec is silent:
- DS-7 may also close a case in APPROVED: a dismissal whose computed ground a correction has withdrawn
  must not take effect; DS-6 re-checks the ground as well.
- `take_effect` is automatic as well as fired by the effective-date deadline: if the notice is recorded
  after the effective date (the deadline then fails, naming the missing notice), the dismissal takes
  effect as soon as the notice is recorded, from the delivery date.
"""

from __future__ import annotations

from typing import Any

from engine.guards import CaseView
from engine.reminders import awaiting, bureau_pending, decision_pending
from engine.spec import DeadlineSpec, Field, Notice, Procedure, Roles, Step
from engine.spec import FieldType as F
from workflows.citations import ART23, S002_CHZ_EXIT, assumption
from workflows.guards import dismissal as g
from workflows.guards.common import date_not_before, date_not_in_future
from workflows.records import ground_facts

OPEN = "OPEN"
EVIDENCE_READY = "EVIDENCE_READY"
PARTY_DECIDED = "PARTY_DECIDED"
APPROVED = "APPROVED"
TERMINATED = "TERMINATED"
CLOSED_UNFOUNDED = "CLOSED_UNFOUNDED"
CLOSED_DATA_CORRECTED = "CLOSED_DATA_CORRECTED"
CLOSED_MOOT = "CLOSED_MOOT"

IN_PROGRESS = (OPEN, EVIDENCE_READY, PARTY_DECIDED, APPROVED)
A30 = assumption(30)


def dismissal_facts(store: Any, case: CaseView) -> dict[str, Any]:
    """The worker's service, recorded grades/absences/office, the district's terms and the worker's other
    open dismissal cases."""
    if case.worker_id is None:
        return {"worker": None, "appointment": None, "grades": {}, "absences": (), "offices": (), "terms": (),
                "open_cases": ()}
    return ground_facts(store, case.worker_id, case.district_id, exclude_case_id=case.id)


DISMISSAL = Procedure(
    code="dismissal",
    version=1,
    states=(OPEN, EVIDENCE_READY, PARTY_DECIDED, APPROVED, TERMINATED, CLOSED_UNFOUNDED,
            CLOSED_DATA_CORRECTED, CLOSED_MOOT),
    final=frozenset({TERMINATED, CLOSED_UNFOUNDED, CLOSED_DATA_CORRECTED, CLOSED_MOOT}),
    cites=(ART23, A30),
    load_facts=dismissal_facts,
    # CHUZHOU adopts these A-30 steps for its exit situations: its cases cite its own source, never seed 000
    # 第二十三条 (the pack names no article; the 滁州 paragraph is the source, spec §0.2)
    pack_citations=(("CHUZHOU", ART23, S002_CHZ_EXIT),),
    steps=(
        Step(  # DS-1
            "open", (), OPEN, (Roles.STREET_OFFICE, Roles.SYSTEM), (ART23, A30),
            fields=(Field("ground", F.CHOICE, choices=g.GROUNDS), Field("allegation", required=False),
                    Field("trigger_facts", F.JSON, required=False)),
            guards=(g.ground_in_pack, g.opener_matches_ground, g.particulars_given, g.appointment_not_ended,
                    g.one_open_case_per_ground, g.computed_ground_holds),
            effect=g.on_open,
            notices=(Notice("dismissal.opened", (Roles.STREET_OFFICE, Roles.STREET_PARTY_COMMITTEE)),),
        ),
        Step(  # DS-2
            "compile_evidence", (OPEN,), EVIDENCE_READY, (Roles.STREET_OFFICE,), (A30,),
            fields=(Field("evidence_refs", F.JSON, required=False),
                    Field("evidence_summary", required=False)),
            guards=(g.evidence_for_manual_ground,),
            starts=(decision_pending(awaiting("DS-3", (ART23, A30)), (Roles.STREET_PARTY_COMMITTEE,)),),
            notices=(Notice("dismissal.evidence_ready", (Roles.STREET_PARTY_COMMITTEE,)),),
            rule_ids=("DIS-2",),
        ),
        Step(  # DS-3 (集体讨论)
            "confirm_ground", (EVIDENCE_READY,), PARTY_DECIDED, (Roles.STREET_PARTY_COMMITTEE,), (ART23, A30),
            fields=(Field("meeting_date", F.DATE), Field("minutes_ref")),
            guards=(date_not_before("meeting_date", "opened_on", g.DIS_DATES),
                    date_not_in_future("meeting_date", g.DIS_DATES)),
            starts=(bureau_pending(awaiting("DS-5", (ART23, A30)), (Roles.DISTRICT_CIVIL_AFFAIRS,)),),
            notices=(Notice("dismissal.party_decided", (Roles.DISTRICT_CIVIL_AFFAIRS,)),),
        ),
        Step(  # DS-4 (DIS-1: manual grounds only)
            "close_unfounded", (EVIDENCE_READY,), CLOSED_UNFOUNDED, (Roles.STREET_PARTY_COMMITTEE,),
            (ART23, A30),
            fields=(Field("meeting_date", F.DATE), Field("minutes_ref"), Field("unfounded_reason")),
            guards=(g.manual_ground_only, date_not_before("meeting_date", "opened_on", g.DIS_DATES),
                    date_not_in_future("meeting_date", g.DIS_DATES)),
            notices=(Notice("dismissal.unfounded", ("worker", Roles.STREET_OFFICE)),),
            rule_ids=("DIS-1",),
        ),
        Step(  # DS-5 (区民政局, the appointing authority)
            "approve", (PARTY_DECIDED,), APPROVED, (Roles.DISTRICT_CIVIL_AFFAIRS,), (ART23, A30),
            fields=(Field("decision_no"), Field("decision_date", F.DATE), Field("effective_date", F.DATE)),
            guards=(date_not_in_future("decision_date", g.DIS_DATES),
                    date_not_before("decision_date", "meeting_date", g.DIS_DATES),
                    date_not_before("effective_date", "decision_date", g.DIS_DATES)),
            starts=(DeadlineSpec("effective", "take_effect", g.effect_due, g.DIS_EFFECT),),
            notices=(Notice("dismissal.approved", (Roles.STREET_OFFICE,)),),
        ),
        Step(  # DS-6 precondition: the written notice to the worker
            "record_notice", (APPROVED,), "=", (Roles.STREET_OFFICE, Roles.DISTRICT_CIVIL_AFFAIRS), (A30,),
            fields=(Field("notice_delivered_on", F.DATE), Field("notice_ref", required=False)),
            guards=(g.notice_not_yet_recorded, date_not_in_future("notice_delivered_on", g.DIS_DATES),
                    date_not_before("notice_delivered_on", "decision_date", g.DIS_DATES)),
        ),
        Step(  # DS-6: at 00:00 of the effective date (deadline), or as soon as a late notice is recorded
            "take_effect", (APPROVED,), TERMINATED, (Roles.SYSTEM,), (ART23, A30, assumption(31)),
            guards=(g.notice_recorded, g.effective_date_reached, g.appointment_not_ended,
                    g.computed_ground_holds),
            effect=g.on_take_effect,
            automatic=True,
            notices=(Notice("dismissal.effective",
                            ("worker", Roles.STREET_OFFICE, Roles.DISTRICT_CIVIL_AFFAIRS)),),
        ),
        Step(  # DS-7 (AUD, A-39): computed grounds only, after recorded data made the ground false
            "close_data_corrected", IN_PROGRESS, CLOSED_DATA_CORRECTED, (Roles.SYSTEM,),
            (ART23, assumption(39)),
            fields=(Field("correction_ref"), Field("correction_reason", required=False)),
            guards=(g.computed_ground_no_longer_holds,),
            notices=(Notice("dismissal.data_corrected", ("worker", Roles.STREET_OFFICE)),),
            rule_ids=("DIS-1",),
        ),
        Step(  # DS-8: the appointment ended otherwise first (e.g. a resignation took effect)
            "close_moot", IN_PROGRESS, CLOSED_MOOT, (Roles.SYSTEM,), (assumption(31),),
            fields=(Field("moot_reason"),),
            guards=(g.appointment_ended,),
        ),
    ),
)
