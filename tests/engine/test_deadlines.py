"""Deadlines end to end on the engine (issue 3): provenance on every row, the sweep firing each due row
exactly once through the one write path, reminders into the outbox, cancellation when the case moves on,
provisional deadlines over a year without calendar data, and the calendar import that makes them final."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from engine.app import App
from engine.audit import verify
from engine.calendar import BUNDLED, WorkingCalendar, calendar_for
from engine.clock import LOCAL_TZ, FrozenClock
from engine.deadlines import explain, fire_due, import_calendar, start_deadline
from engine.errors import InvalidInput, NotPermitted, ShequFlowError
from engine.guards import SYSTEM_ACTOR, CaseView, GuardContext
from engine.policy import get_pack
from engine.reminders import DECISION_LADDER, awaiting, decision_pending
from tests.conftest import World
from tests.engine.test_working_calendar import FILE_2027, imported
from workflows.citations import ART22
from workflows.guards import publicity as pub
from workflows.guards.rehiring import CAL_2, RH_4_TIME
from workflows.records import Records

SUBMIT = {"submitted_on": "2025-01-06", "written": True, "document_ref": "D1"}
APPROVE = {"decided_on": "2025-01-06", "minutes_ref": "M1"}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def rows(app: App, case_id: int | None = None, **filters: Any) -> list[dict[str, Any]]:
    with app.db.read() as s:
        return s.deadline_rows(case_id=case_id, **filters)


def submit(world: World, **payload: Any) -> int:
    return world.app.engine.open_case("resignation", "zhang", {**SUBMIT, **payload},
                                      worker_id=world.worker_id).case_id


# ---------------------------------------------------------------- provenance


def test_each_row_keeps_rule_start_period_and_calendar_version(world: World) -> None:
    """RES-5 and the decision reminder: case, what fires, aware due instant and how it was computed."""
    case_id = submit(world)
    by_key = {r["key"]: r for r in rows(world.app, case_id, kind=None)}
    overdue, remind = by_key["decision_due"], by_key["decision_pending"]
    assert (overdue["kind"], overdue["fires"], overdue["rule_id"], overdue["period"]) == (
        "transition", "mark_overdue", "RES-5", "P0D")
    assert overdue["start_date"] == date(2025, 2, 6)  # the requested separation date (one month)
    assert overdue["due_at"] == local("2025-02-07T00:00")  # at the end of that day
    assert overdue["calendar_version"] == BUNDLED.version
    assert overdue["basis"]["citation"] == "A-29"
    # 5 working days after Monday 2025-01-06, at 09:00: Monday 2025-01-13 (CAL-1)
    assert (remind["kind"], remind["fires"], remind["rule_id"], remind["period"]) == (
        "reminder", "decision_pending", "RS-2", "P5WD")
    assert remind["due_at"] == local("2025-01-13T09:00")
    assert remind["basis"]["recipients"] == ["STREET_PARTY_COMMITTEE"]
    assert not overdue["provisional"]
    assert not remind["provisional"]


def test_explain_re_derives_the_recorded_instant(world: World) -> None:
    """`deadlines explain` rebuilds the period from the row and gets the same instant."""
    case_id = submit(world)
    (row,) = rows(world.app, case_id, kind="reminder")
    x = explain(world.app.db, row["id"])
    assert x.period is not None
    assert x.reproduced
    assert x.current_matches
    assert x.recorded is not None
    assert x.recorded.day == date(2025, 1, 13)


def test_explain_says_when_a_row_cannot_be_re_derived(world: World) -> None:
    """A row without a recorded period (older data) is reported as such, not guessed."""
    case_id = submit(world)
    (row,) = rows(world.app, case_id, kind="transition")
    with world.app.db.transaction() as s:
        s.update_deadline_due(row["id"], due_at=row["due_at"], provisional=False, basis={"rule": "RES-5"},
                              calendar_version="x")
    x = explain(world.app.db, row["id"])
    assert (x.period, x.recorded, x.reproduced) == (None, None, False)


# ---------------------------------------------------------------- firing


def test_due_deadlines_fire_once_in_due_order_with_due_and_fired_times(world: World,
                                                                       clock: FrozenClock) -> None:
    """A catch-up after a long stop fires the reminder, then RES-5, each once, recording both instants."""
    case_id = submit(world)
    clock.set(local("2025-03-01T12:00"))
    result = fire_due(world.app.engine)
    assert [(f.kind, f.fires) for f in result.processed] == [
        ("reminder", "decision_pending"), ("transition", "mark_overdue")]
    assert [f.fires for f in result] == ["mark_overdue"]  # the list holds the transitions
    assert fire_due(world.app.engine).processed == []  # nothing fires twice
    fired = rows(world.app, case_id, kind=None, status="FIRED")
    assert [(r["due_at"], r["fired_at"]) for r in fired] == [
        (local("2025-01-13T09:00"), local("2025-03-01T12:00")),
        (local("2025-02-07T00:00"), local("2025-03-01T12:00"))]
    with world.app.db.read() as s:
        case = s.get_case(case_id)
        assert (case.state, case.data["overdue"]) == ("SUBMITTED", True)  # RES-5: flagged, not approved
        assert [e.actor_login for e in s.audit_entries(case_id=case_id)] == ["zhang", "system"]
        assert verify(s.audit_entries(), *s.audit_head()).ok


def test_nothing_fires_before_its_instant(world: World, clock: FrozenClock) -> None:
    """One minute before the reminder's instant the sweep does nothing."""
    submit(world)
    clock.set(local("2025-01-13T08:59"))
    assert fire_due(world.app.engine).processed == []


def test_a_reminder_writes_outbox_rows_and_never_changes_the_case(world: World, clock: FrozenClock) -> None:
    """reminder.decision_pending goes to the approver role with an idempotency key; the case is untouched."""
    case_id = submit(world)
    with world.app.db.read() as s:
        before = s.get_case(case_id)
        seq = s.audit_head()[0]
    clock.set(local("2025-01-13T09:00"))
    (sent,) = fire_due(world.app.engine).reminders
    with world.app.db.read() as s:
        after = s.get_case(case_id)
        outbox = [o for o in s.outbox(case_id=case_id) if o.kind.startswith("reminder.")]
        assert s.audit_head()[0] == seq
    assert (after.state, after.version, after.data) == (before.state, before.version, before.data)
    assert [(o.kind, o.recipient) for o in outbox] == [
        ("reminder.decision_pending", "STREET_PARTY_COMMITTEE")]
    assert f"dl{sent.deadline_id}" in outbox[0].idempotency_key
    assert datetime.fromisoformat(outbox[0].payload["reminder"]["due_at"]) == local("2025-01-13T09:00")


def test_leaving_the_state_cancels_its_deadlines_which_then_never_fire(world: World,
                                                                       clock: FrozenClock) -> None:
    """Approval leaves SUBMITTED: RES-5 and the reminder are cancelled in that transaction and never fire."""
    case_id = submit(world)
    world.app.engine.fire(case_id, "approve", "s1_party", APPROVE)
    assert {r["key"]: r["status"] for r in rows(world.app, case_id, kind=None)} == {
        "decision_due": "CANCELLED", "decision_pending": "CANCELLED", "separation": "PENDING"}
    clock.set(local("2025-02-06T12:00"))
    assert fire_due(world.app.engine).processed == []


def test_a_row_whose_case_moved_on_is_cancelled_not_fired(world: World, clock: FrozenClock) -> None:
    """Belt and braces: a PENDING row of a state the case has left is cancelled by the sweep with a reason."""
    case_id = submit(world)
    world.app.engine.fire(case_id, "approve", "s1_party", APPROVE)
    with world.app.db.transaction() as s:
        stale = s.insert_deadline({
            "case_id": case_id, "key": "stale", "kind": "transition", "fires": "mark_overdue",
            "state": "SUBMITTED", "due_at": local("2025-01-07T00:00"), "status": "PENDING",
            "rule_id": "RES-5", "basis": {}, "provisional": False, "created_at": clock.now(), "attempts": 0})
    clock.set(local("2025-01-08T00:00"))
    (outcome,) = fire_due(world.app.engine)
    assert (outcome.deadline_id, outcome.outcome) == (stale, "CANCELLED")
    with world.app.db.read() as s:
        assert s.get_case(case_id).state == "APPROVED"
        assert "APPROVED" in (s.deadline_row(stale)["last_error"] or "")


def test_an_unexpected_error_is_retried_then_failed_without_blocking(world: World, clock: FrozenClock,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug while firing writes nothing and propagates; the third failure marks the row FAILED so the
    rows behind it fire."""
    case_id = submit(world)
    clock.set(local("2025-01-13T09:00"))

    def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("broken writer")

    monkeypatch.setattr("engine.deadlines._remind", broken)
    for attempt in (1, 2, 3):
        with pytest.raises(RuntimeError):
            fire_due(world.app.engine)
        (row,) = rows(world.app, case_id, kind="reminder")
        assert (row["attempts"], row["status"]) == (attempt, "PENDING" if attempt < 3 else "FAILED")
    assert "broken writer" in row["last_error"]


def test_hongshan_without_reminder_settings_writes_no_reminder() -> None:
    """A-41: a ladder the pack leaves UNSPECIFIED writes no reminder row (and does not block the step)."""
    view = CaseView(7, "resignation", "SUBMITTED", 1, {}, None, None, None, None, None, None)
    now = local("2025-01-06T09:00")
    ctx = GuardContext(view, {}, SYSTEM_ACTOR, now, date(2025, 1, 6), get_pack("HONGSHAN"))
    spec = decision_pending(awaiting("RS-2", (ART22,)), ("STREET_PARTY_COMMITTEE",))
    assert start_deadline(None, spec, ctx, 7, "SUBMITTED", ctx.now) == []  # type: ignore[arg-type]
    assert DECISION_LADDER == "reminders.decision_pending_working_days"


# ---------------------------------------------------------------- provisional deadlines and the import


def test_a_reminder_across_2027_is_provisional_held_then_made_final_by_the_import(world: World,
                                                                                 clock: FrozenClock) -> None:
    """Submitted Monday 2026-12-28: 5 working days reach into 2027 (no data) → provisional estimate
    2027-01-04, not fired when that passes; importing 2027 (1–4 January a holiday) re-derives it to
    2027-01-06 09:00, audited old → new, and it then fires."""
    clock.set(local("2026-12-28T10:00"))
    case_id = submit(world, submitted_on="2026-12-28")
    (row,) = rows(world.app, case_id, kind="reminder")
    assert (row["provisional"], row["due_at"], row["basis"]["missing_years"]) == (
        True, local("2027-01-04T09:00"), [2027])
    clock.set(local("2027-01-04T12:00"))
    assert fire_due(world.app.engine).processed == []  # held: never fired on a guess
    with world.app.db.read() as s:
        assert s.count_held_provisional(clock.now()) == 1
    result = import_calendar(world.app.db, clock, FILE_2027.encode(), file_name="2027.toml", login="bureau")
    (change,) = result.recomputed
    assert (change.deadline_id, change.old_due_at, change.new_due_at) == (
        row["id"], local("2027-01-04T09:00"), local("2027-01-06T09:00"))
    assert (change.old_provisional, change.new_provisional) == (True, False)
    (after,) = rows(world.app, case_id, kind="reminder")
    assert (after["provisional"], after["due_at"], after["calendar_version"]) == (
        False, local("2027-01-06T09:00"), result.version)
    assert "missing_years" not in after["basis"]
    with world.app.db.read() as s:
        entry = next(e for e in s.audit_entries(case_id=case_id) if e.action == "deadline.recompute")
        old, new = (datetime.fromisoformat(entry.body[k]) for k in ("old_due_at", "new_due_at"))
        assert (old, new) == (local("2027-01-04T09:00"), local("2027-01-06T09:00"))
        assert entry.actor_login == "bureau"
        calendar_entry = next(e for e in s.audit_entries() if e.action == "calendar.import")
        assert calendar_entry.body["years"] == [2027]
        assert verify(s.audit_entries(), *s.audit_head()).ok
    assert fire_due(world.app.engine).processed == []  # 12:00 on 4 January: not yet due any more
    clock.set(local("2027-01-06T09:00"))
    assert [f.fires for f in fire_due(world.app.engine).reminders] == ["decision_pending"]
    assert explain(world.app.db, row["id"]).reproduced


def test_importing_the_same_file_twice_changes_nothing(world: World, clock: FrozenClock) -> None:
    """A second import of the current file is reported unchanged: no new calendar version."""
    first = import_calendar(world.app.db, clock, FILE_2027.encode(), login="bureau")
    again = import_calendar(world.app.db, clock, FILE_2027.encode(), login="bureau")
    assert (again.unchanged, again.import_id, again.version) == (True, first.import_id, first.version)


def test_only_the_bureau_or_an_administrator_imports(world: World, clock: FrozenClock) -> None:
    """A street office may not change the statutory calendar."""
    with pytest.raises(NotPermitted):
        import_calendar(world.app.db, clock, FILE_2027.encode(), login="s1_office")


def test_a_bad_file_is_refused_with_its_problem(world: World, clock: FrozenClock) -> None:
    """CAL_IMPORT_INVALID names the file and the problem; nothing is stored."""
    with pytest.raises(InvalidInput) as info:
        import_calendar(world.app.db, clock, b"[calendar]\nformat = 1\n", file_name="x.toml", login="bureau")
    assert info.value.code == "CAL_IMPORT_INVALID"
    assert "x.toml" in info.value.message_zh
    with world.app.db.read() as s:
        assert s.calendar_import_heads() == []


def test_absence_on_a_2027_day_is_refused_until_the_calendar_is_imported(world: World,
                                                                        clock: FrozenClock) -> None:
    """ABS/DIS-G8: a working-day decision in 2027 refuses with CAL_NO_DATA; after the import the
    calendar of the database decides (4 January is then a holiday, 5 January a working day)."""
    clock.set(local("2027-02-01T09:00"))
    records = Records(world.app.engine)
    with pytest.raises(ShequFlowError) as info:
        records.record_absence("c1", world.worker_id, "2027-01-05", 1, "ABSENTEEISM", "考勤表")
    assert info.value.code == "CAL_NO_DATA"
    import_calendar(world.app.db, clock, FILE_2027.encode(), login="bureau")
    with pytest.raises(InvalidInput) as holiday:
        records.record_absence("c1", world.worker_id, "2027-01-04", 1, "ABSENTEEISM", "考勤表")
    assert holiday.value.code == "ABS_NOT_WORKING_DAY"
    assert records.record_absence("c1", world.worker_id, "2027-01-05", 1, "ABSENTEEISM", "考勤表").record_id


def test_the_transaction_calendar_sees_imports_from_elsewhere(app: App, clock: FrozenClock) -> None:
    """calendar_for(store) is rebuilt when another import lands (cached by the imports' digests)."""
    with app.db.read() as s:
        assert calendar_for(s) is BUNDLED
    import_calendar(app.db, clock, FILE_2027.encode())
    with app.db.read() as s:
        seen = calendar_for(s)
        assert seen.has_data(date(2027, 3, 1))
        assert seen.version.endswith("+import-1")


# ---------------------------------------------------------------- publicity with the A-04 extension


def _posting_ctx(policy: Any, calendar: WorkingCalendar, now: datetime, data: dict[str, Any] | None = None
                 ) -> GuardContext:
    view = CaseView(3, "assessment_rehiring", "IN_PUBLICITY", 5, data or {}, 1, 1, 1, 1, None, None)
    payload = {"posted_on": "2026-12-28"}
    return GuardContext(view, payload, SYSTEM_ACTOR, now, now.date(), policy, {}, calendar)


def test_publicity_extension_over_2027_is_provisional_and_the_guard_refuses_to_guess() -> None:
    """A-04 on: 7 days from 2026-12-28 end Sunday 2027-01-03; whether to extend needs 2027 data. The
    posting records a provisional last day, the end deadline is provisional, and RH-4's period guard
    raises CAL_NO_DATA until the data exist; with them it decides on the real last day (5 January)."""
    base = get_pack("DONGQU")
    policy = type(base)(base.code, base.version, base.name_zh, {
        **base.settings, "calendar.publicity_extend_if_last_day_rest_day": True})
    now = local("2026-12-28T10:00")
    data = dict(pub.posting_effect("rehire.publicity_days", CAL_2)(_posting_ctx(policy, BUNDLED, now)).data)
    assert (data["publicity_last_day"], data["publicity_provisional"]) == ("2027-01-04", True)
    data["posted_on"] = "2026-12-28"
    due = pub.end_due(_posting_ctx(policy, BUNDLED, now, data))
    assert (due.provisional, due.period, due.at) == (True, "P7DR", local("2027-01-05T00:00"))
    guard = pub.period_over(RH_4_TIME, "RH_PUBLICITY_RUNNING")
    with pytest.raises(ShequFlowError) as info:
        guard(_posting_ctx(policy, BUNDLED, local("2027-01-05T10:00"), data))
    assert info.value.code == "CAL_NO_DATA"
    with_2027 = WorkingCalendar([imported(FILE_2027)])
    assert not guard(_posting_ctx(policy, with_2027, local("2027-01-05T10:00"), data)).ok  # 5 Jan is last day
    assert guard(_posting_ctx(policy, with_2027, local("2027-01-06T00:00"), data)).ok
    final = pub.end_due(_posting_ctx(policy, with_2027, now, data))
    assert (final.provisional, final.at) == (False, local("2027-01-06T00:00"))


def test_publicity_end_golden_example_through_the_declaration() -> None:
    """PUB/CAL-2 as declared: posted Monday 2025-03-03 for 7 days → last day 03-09, due 03-10 00:00."""
    policy = get_pack("DONGQU")
    now = local("2025-03-03T10:00")
    view = CaseView(3, "assessment_rehiring", "IN_PUBLICITY", 5, {}, 1, 1, 1, 1, None, None)
    ctx = GuardContext(view, {"posted_on": "2025-03-03"}, SYSTEM_ACTOR, now, now.date(), policy)
    data = dict(pub.posting_effect("rehire.publicity_days", CAL_2)(ctx).data)
    data["posted_on"] = "2025-03-03"
    posted = GuardContext(CaseView(3, "assessment_rehiring", "IN_PUBLICITY", 6, data, 1, 1, 1, 1, None, None),
                          {}, SYSTEM_ACTOR, now, now.date(), policy)
    due = pub.end_due(posted)
    assert data["publicity_last_day"] == "2025-03-09"
    assert (due.at, due.period, due.start, due.provisional) == (local("2025-03-10T00:00"), "P7D",
                                                                date(2025, 3, 3), False)
    reminders = pub.ending_reminder(CAL_2, ("STREET_OFFICE",)).due(posted)
    assert isinstance(reminders, list)
    assert [r.at for r in reminders] == [local("2025-03-08T09:00")]  # "ends tomorrow" (pack: [1])


def test_deadlines_for_a_later_day_are_unaffected_by_the_import_of_another_year(world: World,
                                                                               clock: FrozenClock) -> None:
    """An import for 2027 recomputes nothing that lies wholly in 2025."""
    submit(world)
    result = import_calendar(world.app.db, clock, FILE_2027.encode(), login="bureau")
    assert result.recomputed == []
    assert {r["due_at"] for r in rows(world.app, kind=None)} == {local("2025-01-13T09:00"),
                                                                  local("2025-02-07T00:00")}
