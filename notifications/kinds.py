"""What each notification kind renders with. A kind is the `Notice.kind` a step declares (or a reminder kind
written by the deadline sweep); it maps to a template pair `templates/<template>.txt.j2` / `.html.j2`.

Printable kinds are documents (公示公告, 聘用通知, 不予聘用通知, 辞职审批/退回通知, 解除聘用决定书):
their HTML is a printable A4 page. The others are messages (reminders, case news). A kind not listed
here renders with the generic template (`reminder.*` with the generic reminder), so a new declaration
never blocks delivery; the tests check that every kind the procedures declare is listed.

`document` names the kind for `shequ notice render CASE --kind <document>`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindSpec:
    template: str
    printable: bool = False
    document: str | None = None


KINDS: dict[str, KindSpec] = {
    # 辞职 (seed 000 第二十二条)
    "resignation.submitted": KindSpec("decision_pending"),
    "resignation.approved": KindSpec("resignation_approved", True, "resignation"),
    "resignation.returned": KindSpec("resignation_returned", True, "resignation"),
    "resignation.overdue": KindSpec("overdue"),
    "resignation.effective": KindSpec("resignation_effective"),
    # 考核聘用 (seed 000 第六条)
    "rehire.publicity_posted": KindSpec("publicity", True, "publicity"),
    "rehire.rehired": KindSpec("appointment", True, "appointment"),
    "rehire.not_rehired": KindSpec("not_rehired", True, "not_rehired"),
    # 考试聘用 (seed 000 第八条; publicity only where configured, A-13)
    "exam.publicity_posted": KindSpec("publicity", True, "publicity"),
    "exam.appointed": KindSpec("appointment", True, "appointment"),
    # 解除聘用 (seed 000 第二十三条, A-30)
    "dismissal.opened": KindSpec("dismissal_opened"),
    "dismissal.evidence_ready": KindSpec("decision_pending"),
    "dismissal.party_decided": KindSpec("decision_pending"),
    "dismissal.unfounded": KindSpec("dismissal_closed"),
    "dismissal.approved": KindSpec("dismissal_decision", True, "dismissal"),
    "dismissal.effective": KindSpec("dismissal_decision", True, "dismissal"),
    "dismissal.data_corrected": KindSpec("dismissal_closed"),
    # reminders written by the deadline sweep (see notifications.outbox.enqueue_reminder)
    "reminder.publicity_ending": KindSpec("reminder_publicity_ending"),
    "reminder.term_ending": KindSpec("reminder_term_ending"),
    "reminder.decision_pending": KindSpec("decision_pending"),
    "reminder.overdue": KindSpec("overdue"),
}

GENERIC = KindSpec("generic")
GENERIC_REMINDER = KindSpec("reminder_generic")

DOCUMENTS: dict[str, tuple[str, ...]] = {}
for _kind, _spec in KINDS.items():
    if _spec.document:
        DOCUMENTS.setdefault(_spec.document, ())
        DOCUMENTS[_spec.document] += (_kind,)


def spec_for(kind: str) -> KindSpec:
    if kind in KINDS:
        return KINDS[kind]
    return GENERIC_REMINDER if kind.startswith("reminder.") else GENERIC


def templates() -> set[str]:
    """Every template base name in use."""
    return {s.template for s in KINDS.values()} | {GENERIC.template, GENERIC_REMINDER.template}
