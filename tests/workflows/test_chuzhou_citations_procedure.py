"""CHUZHOU dismissal cases cite CHUZHOU's own source (seed 002 滁州·建立职业退出机制), never seed 000: every
audit entry of a DIS-CHZ-3 case from open to effective (or to its data-corrected close), the grade entries
behind it, and the notices rendered from them; DONGQU cases keep citing seed 000 第二十三条."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import GuardRejected
from engine.queries import split_citations
from notifications import render as R
from tests.workflows.test_pack_variants_procedure import (  # noqa: F401 - the cz fixture
    Chuzhou,
    _cz,
    dismissal_cases,
    grade,
    run_chz3_to_effective,
)
from workflows.citations import ART23, S002_CHZ_EXIT
from workflows.dismissal import DISMISSAL
from workflows.records import GRADES_TABLE

CHZ = str(S002_CHZ_EXIT)


def entries(cz: Chuzhou, case_id: int | None = None) -> list[Any]:
    with cz.world.app.db.read() as s:
        return [e for e in s.audit_entries() if case_id is None or e.case_id == case_id]


def cited(entry: Any) -> list[str]:
    return split_citations(entry.body.get("citations") or [])


def notices(cz: Chuzhou, case_id: int) -> list[R.Rendered]:
    with cz.world.app.db.read() as s:
        rows = [r for r in s.outbox_rows(limit=1000) if r["case_id"] == case_id]
    return [R.render(r["kind"], r["payload"]) for r in rows]


def test_chz3_case_from_open_to_effective_cites_no_seed_000(cz: Chuzhou) -> None:
    """DIS-CHZ-3 through A-30 to TERMINATED: no audit entry of the case (nor the grade entries that opened it)
    cites seed 000; the opening, the party decision and the effect cite seed 002 滁州·建立职业退出机制; the
    notices (decision, effective) name that source, not 第二十三条."""
    case = run_chz3_to_effective(cz)
    case_entries = entries(cz, case.id)
    assert [x.action for x in case_entries] == ["open", "compile_evidence", "confirm_ground", "approve",
                                                "record_notice", "take_effect"]
    for entry in case_entries:
        assert not [c for c in cited(entry) if c.startswith("seed 000")], (entry.action, cited(entry))
    by_action = {x.action: cited(x) for x in case_entries}
    for action in ("open", "confirm_ground", "approve", "take_effect"):
        assert CHZ in by_action[action], action
    grade_entries = [x for x in entries(cz) if x.action == f"{GRADES_TABLE}.record"]
    assert len(grade_entries) == 2
    for entry in grade_entries:
        assert not [c for c in cited(entry) if c.startswith("seed 000")]
        assert entry.body["rule_ids"] == ["DIS-CHZ-3"]
    rendered = notices(cz, case.id)
    assert {r.kind for r in rendered} >= {"dismissal.opened", "dismissal.approved", "dismissal.effective"}
    for r in rendered:
        assert "seed 000" not in r.text, r.kind
        assert "第二十三条" not in r.text, r.kind
    decision = next(r for r in rendered if r.kind == "dismissal.approved")
    assert f"依据{CHZ}的规定" in decision.text


def test_chz3_case_closed_by_a_correction_cites_no_seed_000(cz: Chuzhou) -> None:
    """DS-7 in CHUZHOU: the data-corrected close and the correction entry cite no seed 000 article."""
    grade(cz, 2024, "不合格")
    second = grade(cz, 2025, "不合格")
    [case] = dismissal_cases(cz.world, cz.worker_id)
    cz.records.correct("cz_office", GRADES_TABLE, second.record_id, reason="复核更正",
                       authority="琅琊街道考评复核意见", changes={"grade": "合格"})
    case_entries = entries(cz, case.id)
    assert [x.action for x in case_entries] == ["open", "close_data_corrected"]
    assert CHZ in cited(case_entries[-1])
    for entry in [*case_entries, *(x for x in entries(cz) if x.action.startswith(GRADES_TABLE))]:
        assert not [c for c in cited(entry) if c.startswith("seed 000")], (entry.action, cited(entry))


def test_a_dongqu_case_still_cites_seed_000_article_23(cz: Chuzhou) -> None:
    """DONGQU: a DIS-G7a case opened by two 不称职 years still cites seed 000 第二十三条 (no swap)."""
    world = cz.world
    cz.records.record_grade("s1_office", world.worker_id, 2023, "不称职", "东华街道考核结果")
    cz.records.record_grade("s1_office", world.worker_id, 2024, "不称职", "东华街道考核结果")
    [case] = dismissal_cases(world, world.worker_id)
    [opened] = entries(cz, case.id)
    assert str(ART23) in cited(opened)
    assert CHZ not in cited(opened)


@pytest.mark.parametrize(("pack", "given", "expected"), [
    pytest.param("CHUZHOU", ["seed 000 第二十三条", "A-30", "seed 000 第二十三条、A-30"],
                 [CHZ, "A-30", f"{CHZ}、A-30"], id="DIS-CHZ-3-article-23-becomes-the-packs-source"),
    pytest.param("CHUZHOU", [f"seed 000 第二十三条、{CHZ}"], [CHZ], id="DIS-CHZ-3-joined-item-cited-once"),
    pytest.param("DONGQU", ["seed 000 第二十三条", "A-30"], ["seed 000 第二十三条", "A-30"],
                 id="DIS-G-dongqu-unchanged"),
])
def test_citations_in_swaps_only_for_the_pack(pack: str, given: list[str], expected: list[str]) -> None:
    """Procedure.citations_in replaces the cited place only in the pack the procedure declares it for."""
    assert DISMISSAL.citations_in(pack, given) == expected


def test_a_chuzhou_refusal_cites_the_packs_source(cz: Chuzhou) -> None:
    """DIS-1 in CHUZHOU: closing a DIS-CHZ-3 case as unfounded is refused citing seed 002, not seed 000."""
    grade(cz, 2024, "不合格")
    grade(cz, 2025, "不合格")
    [case] = dismissal_cases(cz.world, cz.worker_id)
    e = cz.world.app.engine
    e.fire(case.id, "compile_evidence", "cz_office", {})
    with pytest.raises(GuardRejected) as info:
        e.fire(case.id, "close_unfounded", "cz_party", {"meeting_date": "2025-01-06", "minutes_ref": "纪要 1",
                                                        "unfounded_reason": "不认可"})
    assert (info.value.code, info.value.citation) == ("DIS_COMPUTED_GROUND_NOT_CLOSABLE", CHZ)
    assert CHZ in info.value.message_zh
    assert "seed 000" not in info.value.message_zh
