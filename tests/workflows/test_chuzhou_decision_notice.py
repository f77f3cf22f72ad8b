"""The decision notice of a CHUZHOU dismissal case speaks of the pack's outcome, 淘汰出社区工作者队伍
(seed 002 滁州·建立职业退出机制, DECISIONS 14), in its subject, text, HTML and printable page; DONGQU's
wording is pinned by the golden files (tests/notifications/golden/dismissal.*)."""

from __future__ import annotations

from tests.workflows.test_chuzhou_citations_procedure import notices
from tests.workflows.test_pack_variants_procedure import (  # noqa: F401 - the cz fixture
    Chuzhou,
    _cz,
    run_chz3_to_effective,
)

ELIMINATES = "决定将你淘汰出社区工作者队伍"
DISMISSES = "解除与你的聘用关系"


def test_chz3_decision_and_effective_notices_say_eliminated_not_dismissed(cz: Chuzhou) -> None:
    """DIS-CHZ-3 approved and taken effect: both notices (text, HTML, A4 printable) say the worker is
    eliminated from the community workforce, titled so, and never that the appointment is 解除."""
    case = run_chz3_to_effective(cz)
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
