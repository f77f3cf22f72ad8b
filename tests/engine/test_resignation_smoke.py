"""A first end-to-end check of the core through the resignation procedure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.audit import verify
from engine.deadlines import fire_due
from engine.errors import ConcurrentModification, GuardRejected, NotPermitted
from tests.conftest import World


def test_resignation_runs_to_closed_with_audit_chain_intact(world: World) -> None:
    """A resignation approved, filed and separated closes the case and ends the appointment."""
    e = world.app.engine
    r = e.open_case(
        "resignation",
        "zhang",
        {"submitted_on": "2025-01-06", "written": True, "document_ref": "D1"},
        worker_id=world.worker_id,
    )
    e.fire(
        r.case_id,
        "approve",
        "s1_party",
        {"decided_on": "2025-01-06", "minutes_ref": "M1"},
        expected_version=1,
    )
    e.fire(r.case_id, "record_filing", "bureau", {"filed_on": "2025-01-07", "filing_no": "B1"})
    world.app.clock.advance(timedelta(days=40))  # type: ignore[attr-defined]
    assert [f.outcome for f in fire_due(e)] == ["FIRED"]
    with world.app.db.read() as s:
        assert s.get_case(r.case_id).state == "CLOSED"
        ended = s.appointments(worker_id=world.worker_id, statuses=("ENDED",))
        assert [(a.end_reason, a.end_date.isoformat()) for a in ended] == [("RESIGNED", "2025-02-06")]
        assert verify(s.audit_entries(), *s.audit_head()).ok


def test_other_street_cannot_approve_and_nothing_is_written(world: World) -> None:
    """A street party committee of another street is out of scope; the case is unchanged."""
    e = world.app.engine
    r = e.open_case(
        "resignation",
        "zhang",
        {"submitted_on": "2025-01-06", "written": True, "document_ref": "D1"},
        worker_id=world.worker_id,
    )
    with pytest.raises(NotPermitted) as info:
        e.fire(r.case_id, "approve", "s2_party", {"decided_on": "2025-01-06", "minutes_ref": "M1"})
    assert info.value.code == "OUT_OF_SCOPE"
    with world.app.db.read() as s:
        assert (s.get_case(r.case_id).state, s.get_case(r.case_id).version) == ("SUBMITTED", 1)


def test_stale_version_is_a_conflict(world: World) -> None:
    """Firing with an out-of-date expected version raises a conflict instead of merging."""
    e = world.app.engine
    r = e.open_case(
        "resignation",
        "zhang",
        {"submitted_on": "2025-01-06", "written": True, "document_ref": "D1"},
        worker_id=world.worker_id,
    )
    e.fire(
        r.case_id,
        "approve",
        "s1_party",
        {"decided_on": "2025-01-06", "minutes_ref": "M1"},
        expected_version=1,
    )
    with pytest.raises(ConcurrentModification):
        e.fire(
            r.case_id,
            "record_filing",
            "bureau",
            {"filed_on": "2025-01-07", "filing_no": "B1"},
            expected_version=1,
        )


def test_notice_too_short_is_rejected_with_citation(world: World) -> None:
    """RES-2: a last day before submission + one month is refused, citing 第二十二条."""
    e = world.app.engine
    with pytest.raises(GuardRejected) as info:
        e.open_case(
            "resignation",
            "zhang",
            {
                "submitted_on": "2025-01-06",
                "written": True,
                "document_ref": "D1",
                "separation_date": "2025-02-05",
            },
            worker_id=world.worker_id,
        )
    assert info.value.code == "RES_NOTICE_TOO_SHORT"
    assert "seed 000 第二十二条" in info.value.message_zh
    with world.app.db.read() as s:
        assert s.list_cases() == []


def test_second_resignation_while_one_is_open_is_refused(world: World) -> None:
    """Only one resignation per worker is open at a time; the second is refused and nothing is written."""
    e = world.app.engine
    payload = {"submitted_on": "2025-01-06", "written": True, "document_ref": "D1"}
    first = e.open_case("resignation", "zhang", payload, worker_id=world.worker_id)
    with pytest.raises(GuardRejected) as info:
        e.open_case("resignation", "zhang", payload, worker_id=world.worker_id)
    assert info.value.code == "RES_ALREADY_OPEN"
    e.fire(first.case_id, "withdraw", "zhang", {"withdrawn_on": "2025-01-06"})
    assert e.open_case("resignation", "zhang", payload, worker_id=world.worker_id).state == "SUBMITTED"
