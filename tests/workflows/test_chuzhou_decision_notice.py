"""The decision notice of a CHUZHOU dismissal case speaks of the pack's outcome, 淘汰出社区工作者队伍
(seed 002 滁州·建立职业退出机制, DECISIONS 14), in its subject, text, HTML and printable page; DONGQU's
wording is pinned by the golden files (tests/notifications/golden/dismissal.*)."""

from __future__ import annotations

from datetime import datetime

from engine.clock import LOCAL_TZ
from engine.deadlines import fire_due
from tests.workflows.test_chuzhou_citations_procedure import notices
from tests.workflows.test_pack_variants_procedure import (  # noqa: F401 - the cz fixture
    Chuzhou,
    _cz,
    clock_of,
    dismissal_cases,
    grade,
)

ELIMINATES = "决定将你淘汰出社区工作者队伍"
DISMISSES = "解除与你的聘用关系"


def test_chz3_decision_and_effective_notices_say_eliminated_not_dismissed(cz: Chuzhou) -> None:
    """DIS-CHZ-3 approved and taken effect: both notices (text, HTML, A4 printable) say the worker is
    eliminated from the community workforce, titled so, and never that the appointment is 解除."""
    grade(cz, 2024, "不合格")
    grade(cz, 2025, "不合格")
    [case] = dismissal_cases(cz.world, cz.worker_id)
    e = cz.world.app.engine
    e.fire(case.id, "compile_evidence", "cz_office", {})
    e.fire(case.id, "confirm_ground", "cz_party", {"meeting_date": "2025-01-06", "minutes_ref": "纪要 2"})
    e.fire(case.id, "approve", "cz_bureau", {"decision_no": "琅民〔2025〕1号", "decision_date": "2025-01-06",
                                             "effective_date": "2025-02-01"})
    e.fire(case.id, "record_notice", "cz_office", {"notice_delivered_on": "2025-01-06"})
    clock_of(cz.world).set(datetime(2025, 2, 1, 0, 0, tzinfo=LOCAL_TZ))
    assert [f.outcome for f in fire_due(e)] == ["FIRED"]
    rendered = {r.kind: r for r in notices(cz, case.id)}
    titles = {"dismissal.approved": "淘汰出社区工作者队伍决定书",
              "dismissal.effective": "淘汰出社区工作者队伍生效通知"}
    for kind, title in titles.items():
        r = rendered[kind]
        assert r.printable, kind
        assert "size: A4" in r.html, kind
        assert r.subject.startswith(f"【{title}】"), (kind, r.subject)
        for body in (r.text, r.html):
            assert ELIMINATES in body, kind
            assert DISMISSES not in body, kind
            assert title in body, kind
