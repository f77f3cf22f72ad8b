"""换届 of a whole district (spec §4.1 TM-3, §4.3 OPEN): 3 streets, 40 workers — exactly one re-hiring case
per appointment of the term, one transaction per community, a failing community rolled back alone and
finished by running again without duplicates, progress reported per community."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest

from engine import changeover
from engine.audit import verify
from engine.errors import ConcurrentModification, NotPermitted, ShequFlowError
from engine.idcard import check_digit
from engine.service import Engine
from storage.unit_of_work import Database
from tests.conftest import World

# District DQ after this setup: streets S1, S2 (from the shared world) and S3; communities and their workers.
COMMUNITIES = {"C1": 8, "C2": 6, "C3": 9, "C4": 7, "C5": 5, "C6": 5}  # 40 workers
NEW_COMMUNITIES = (("S1", "C3", "东华三社区"), ("S2", "C4", "西园二社区"), ("S3", "C5", "北苑社区"),
                   ("S3", "C6", "北苑二社区"))


def _id(i: int) -> str:
    first17 = f"1101051986{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i:03d}"
    return first17 + check_digit(first17)


@pytest.fixture(name="district")
def _district(world: World) -> dict[str, Any]:
    """Term 1 (ACTIVE) with 40 appointments over 6 communities in 3 streets; term 2 PLANNED."""
    a = world.app.admin
    a.add_street("DQ", "S3", "北苑街道")
    for street, code, name in NEW_COMMUNITIES:
        a.add_community(street, code, name, 12)
    a.set_staffing_limit("C1", 12)
    first = a.add_term("DQ", 1, date(2024, 1, 1))
    a.add_term("DQ", 2, date(2027, 1, 1), status="PLANNED")
    number = 0
    for community, count in COMMUNITIES.items():
        for _ in range(count):
            number += 1
            a.add_worker({"id_number": _id(number), "name": f"工作者{number}", "community": community,
                          "category": "PROFESSIONAL_SOCIAL_WORKER", "appointment_start": "2024-01-01"})
    with world.app.db.read() as s:
        appointments = s.term_appointments(first)
    assert len(appointments) == 40
    return {"term": first, "appointments": {x.id: x for x in appointments}}


def cases(world: World) -> list[Any]:
    with world.app.db.read() as s:
        return s.cases_of("assessment_rehiring", district_id=1)


def open_renewal(world: World, term: int, **kwargs: Any) -> changeover.ChangeoverReport:
    return changeover.open_renewal(world.app.engine, "bureau", term, date(2025, 1, 6), date(2025, 1, 31),
                                   **kwargs)


def test_every_appointment_gets_exactly_one_case(world: World, district: dict[str, Any]) -> None:
    """TM-3: 40 appointments → 40 OPEN re-hiring cases, one per appointment, each in its community."""
    report = open_renewal(world, district["term"])
    assert report.ok
    assert report.status_changed
    assert (report.opened, report.existing) == (40, 0)
    found = cases(world)
    assert sorted(c.data["appointment_id"] for c in found) == sorted(district["appointments"])
    assert {c.state for c in found} == {"OPEN"}
    for c in found:
        app = district["appointments"][c.data["appointment_id"]]
        assert (c.worker_id, c.community_id, c.data["term_id"]) == (app.worker_id, app.community_id,
                                                                   district["term"])
    with world.app.db.read() as s:
        assert s.term(district["term"]).status == "RENEWAL_OPEN"
        assert verify(s.audit_entries(), *s.audit_head()).ok


def test_one_transaction_per_community(world: World, district: dict[str, Any],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """TM-3: the fan-out commits once per community (plus one for the term's own TM-3 step)."""
    opened: list[str] = []
    original = Database.transaction

    @contextmanager
    def counting(self: Database) -> Iterator[Any]:
        opened.append("tx")
        with original(self) as store:
            yield store

    monkeypatch.setattr(Database, "transaction", counting)
    report = open_renewal(world, district["term"])
    assert len(report.communities) == len(COMMUNITIES)
    assert len(opened) == 1 + len(COMMUNITIES)
    assert Counter(c.community for c in report.communities for _ in c.opened) == Counter(COMMUNITIES)


def test_failing_community_is_rolled_back_alone_and_rerun_finishes_it(
        world: World, district: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure inside C3 (its 4th case) leaves C3 without any case and the other communities committed;
    running 换届 again opens C3's nine cases and nothing else (no duplicates)."""
    original = Engine.open_case_in
    calls = {"C3": 0}

    def flaky(self: Engine, store: Any, procedure: str, actor: Any, payload: Any = None, **kw: Any) -> Any:
        community = store.community(kw["community_id"]).code
        if community == "C3":
            calls["C3"] += 1
            if calls["C3"] == 4:
                raise ConcurrentModification("DB_BUSY", details={"error": "simulated"})
        return original(self, store, procedure, actor, payload, **kw)

    monkeypatch.setattr(Engine, "open_case_in", flaky)
    report = open_renewal(world, district["term"])
    assert [c.community for c in report.failed] == ["C3"]
    assert report.failed[0].error is not None
    assert report.failed[0].error["code"] == "DB_BUSY"
    assert report.opened == 40 - COMMUNITIES["C3"]
    by_community = Counter(c.community_id for c in cases(world))
    with world.app.db.read() as s:
        c3 = s.community_by_code("C3").id
    assert c3 not in by_community
    assert sum(by_community.values()) == 31

    monkeypatch.setattr(Engine, "open_case_in", original)
    again = open_renewal(world, district["term"])
    assert again.ok
    assert not again.status_changed
    assert (again.opened, again.existing) == (COMMUNITIES["C3"], 31)
    assert [c.community for c in again.communities if c.opened] == ["C3"]
    found = cases(world)
    assert len(found) == 40
    assert len({c.data["appointment_id"] for c in found}) == 40


def test_progress_is_reported_per_community(world: World, district: dict[str, Any]) -> None:
    """The callback sees each community start, each case, and each community done, in order."""
    events: list[changeover.ProgressEvent] = []
    open_renewal(world, district["term"], progress=events.append)
    starts = [e for e in events if e.kind == "community_start"]
    assert [(e.community, e.total, e.index, e.communities) for e in starts] == [
        (code, count, i, len(COMMUNITIES)) for i, (code, count) in enumerate(COMMUNITIES.items(), start=1)]
    assert sum(1 for e in events if e.kind == "case") == 40
    done = [e for e in events if e.kind == "community_done"]
    assert [(e.community, e.done) for e in done] == list(COMMUNITIES.items())


def test_window_cannot_change_once_cases_exist(world: World, district: dict[str, Any]) -> None:
    """TM-3 re-run: a different window after cases were opened is refused (TERM_WINDOW_MISMATCH)."""
    open_renewal(world, district["term"])
    with pytest.raises(ShequFlowError) as info:
        changeover.open_renewal(world.app.engine, "bureau", district["term"], date(2025, 1, 6),
                                date(2025, 2, 28))
    assert info.value.code == "TERM_WINDOW_MISMATCH"
    assert len(cases(world)) == 40


def test_admin_setup_without_login_cannot_open_cases(world: World, district: dict[str, Any]) -> None:
    """Admin.open_renewal without `by` takes TM-3 as set-up, but the cases need 区民政局: the first failure is
    raised and nothing is opened; running it as the bureau then finishes the job."""
    with pytest.raises(NotPermitted) as info:
        world.app.admin.open_renewal(district["term"], date(2025, 1, 6), date(2025, 1, 31))
    assert info.value.code == "ROLE_NOT_PERMITTED"
    assert cases(world) == []
    report = world.app.admin.open_renewal(district["term"], date(2025, 1, 6), date(2025, 1, 31), by="bureau")
    assert (report.opened, report.status_changed) == (40, False)


def test_a_failing_progress_display_does_not_roll_back(world: World, district: dict[str, Any]) -> None:
    """The progress callback runs inside a community's transaction; if it raises, the cases are still opened
    (a display problem never undoes data) and reporting stops."""
    calls: list[str] = []

    def broken(event: changeover.ProgressEvent) -> None:
        calls.append(event.kind)
        raise RuntimeError("terminal gone")

    report = open_renewal(world, district["term"], progress=broken)
    assert report.ok
    assert report.opened == 40
    assert calls == ["community_start"]
