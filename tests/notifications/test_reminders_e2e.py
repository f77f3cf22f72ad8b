"""Reminders written by the deadline sweep (engine.reminders, issue 3) render and go out through the same
dispatcher: the publicity-ending reminder of a 考核聘用 case."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.clock import LOCAL_TZ
from engine.deadlines import fire_due
from notifications import dispatch as D
from notifications.config import NotifyConfig
from tests.conftest import World
from tests.notifications.scenarios import PLAIN, clock, rehiring


def test_sweep_reminders_render_and_are_delivered(world: World, config: NotifyConfig) -> None:
    """Every reminder row the sweep writes while a publicity runs renders from its snapshot and goes out."""
    case_id = rehiring(world, PLAIN, "post_publicity")
    clock(world).set(datetime(2025, 1, 12, 23, 0, tzinfo=LOCAL_TZ))
    fire_due(world.app.engine)
    with world.app.db.read() as s:
        reminders = [r for r in s.outbox_rows(case_id=case_id) if r["kind"].startswith("reminder.")]
    if not reminders:
        pytest.skip("no reminder ladder configured for this publicity (engine.reminders not present)")
    report = D.dispatch_due(world.app, config=config)
    outcomes = [o for o in report.outcomes if o.kind.startswith("reminder.")]
    assert outcomes
    assert {o.status for o in outcomes} == {"DELIVERED"}
