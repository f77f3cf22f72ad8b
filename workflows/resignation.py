"""辞职 — resignation on one month's written notice (seed 000 第二十二条; spec §4.6).

"社区工作者辞职,需提前一个月向街道(镇)党(工)委、办事处提出书面申请,由街道(镇)党(工)委审批后报区民政局备案"
"""

from __future__ import annotations

from engine.reminders import awaiting, decision_pending
from engine.spec import DeadlineSpec, Field, Notice, PolicyRole, Procedure, Roles, Step
from engine.spec import FieldType as F
from workflows.citations import ART22, assumption
from workflows.facts import worker_facts
from workflows.guards import resignation as g
from workflows.guards.common import date_not_before, date_not_in_future

SUBMITTED = "SUBMITTED"
APPROVED = "APPROVED"
RETURNED = "RETURNED"
WITHDRAWN = "WITHDRAWN"
EFFECTIVE = "EFFECTIVE"
CLOSED = "CLOSED"
CLOSED_MOOT = "CLOSED_MOOT"

APPROVER = PolicyRole("resignation.approver")  # RES-3: 街道党工委
FILING = PolicyRole("resignation.filing")  # RES-3: 区民政局 (备案, no veto)

RESIGNATION = Procedure(
    code="resignation",
    version=1,
    states=(SUBMITTED, APPROVED, RETURNED, WITHDRAWN, EFFECTIVE, CLOSED, CLOSED_MOOT),
    final=frozenset({RETURNED, WITHDRAWN, CLOSED, CLOSED_MOOT}),
    cites=(ART22,),
    load_facts=worker_facts,
    steps=(
        Step(  # RS-1
            "submit",
            (),
            SUBMITTED,
            (Roles.WORKER,),
            (ART22,),
            fields=(
                Field("submitted_on", F.DATE),
                Field("written", F.BOOL),
                Field("document_ref"),
                Field("separation_date", F.DATE, required=False),
                Field("reason", required=False),
            ),
            guards=(
                g.is_written,
                g.has_active_appointment,
                g.no_other_open_resignation,
                date_not_in_future("submitted_on", g.RES_DATES),
                g.notice_long_enough,
            ),
            effect=g.on_submit,
            starts=(DeadlineSpec("decision_due", "mark_overdue", g.decision_due, g.RES_5),
                    decision_pending(awaiting("RS-2", (ART22,)), (APPROVER,))),
            notices=(Notice("resignation.submitted", (APPROVER, Roles.STREET_OFFICE)),),
            rule_ids=("RES-1", "RES-2"),
        ),
        Step(  # RS-2
            "approve",
            (SUBMITTED,),
            APPROVED,
            (APPROVER,),
            (ART22,),
            fields=(
                Field("decided_on", F.DATE),
                Field("minutes_ref"),
                Field("approved_separation_date", F.DATE, required=False),
            ),
            guards=(
                date_not_before("decided_on", "submitted_on", g.RES_DATES),
                date_not_in_future("decided_on", g.RES_DATES),
                g.notice_long_enough,
            ),
            effect=g.on_approve,
            starts=(DeadlineSpec("separation", "separate", g.separation_due, g.RES_6),),
            notices=(Notice("resignation.approved", ("worker", FILING)),),
            rule_ids=("RES-2", "RES-3"),
        ),
        Step(  # RS-3 (RES-4: return with reasons, never a permanent refusal)
            "return_application",
            (SUBMITTED,),
            RETURNED,
            (APPROVER,),
            (ART22, assumption(29)),
            fields=(Field("decided_on", F.DATE), Field("return_reason")),
            guards=(date_not_before("decided_on", "submitted_on", g.RES_DATES),),
            notices=(Notice("resignation.returned", ("worker",)),),
            rule_ids=("RES-4",),
        ),
        Step(  # RS-4 (RES-6: only before approval)
            "withdraw",
            (SUBMITTED,),
            WITHDRAWN,
            (Roles.WORKER,),
            (assumption(29),),
            fields=(Field("withdrawn_on", F.DATE),),
            guards=(date_not_before("withdrawn_on", "submitted_on", g.RES_DATES),),
            rule_ids=("RES-6",),
        ),
        Step(  # RES-5: flag only, no auto-approval, appointment stays ACTIVE
            "mark_overdue",
            (SUBMITTED,),
            "=",
            (Roles.SYSTEM,),
            (assumption(29),),
            effect=g.on_overdue,
            notices=(Notice("resignation.overdue", (APPROVER,)),),
            rule_ids=("RES-5",),
        ),
        Step(  # RS-5
            "record_filing",
            (APPROVED, EFFECTIVE),
            "=",
            (FILING,),
            (ART22,),
            fields=(Field("filed_on", F.DATE), Field("filing_no")),
            guards=(g.not_yet_filed, date_not_before("filed_on", "decided_on", g.RES_DATES)),
            effect=g.on_filing,
            rule_ids=("RES-3",),
        ),
        Step(  # RS-6
            "separate",
            (APPROVED,),
            EFFECTIVE,
            (Roles.SYSTEM,),
            (ART22,),
            effect=g.on_separation,
            notices=(Notice("resignation.effective", ("worker", Roles.STREET_OFFICE)),),
        ),
        Step(  # RS-7
            "close",
            (EFFECTIVE,),
            CLOSED,
            (Roles.SYSTEM,),
            (ART22,),
            guards=(g.is_filed,),
            automatic=True,
        ),
        Step(  # a dismissal took effect first
            "close_moot",
            (SUBMITTED, APPROVED),
            CLOSED_MOOT,
            (Roles.SYSTEM,),
            (assumption(31),),
            fields=(Field("moot_reason"),),
        ),
    ),
)
