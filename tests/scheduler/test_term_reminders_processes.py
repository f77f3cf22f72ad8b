"""Two real `shequ scheduler run --tick 0.2` processes on one SQLite file write each term reminder once.

The processes run on the real clock, so the terms are registered relative to it: each ends 20 days after
today (China time), so its 30-day rung has passed and its 7-day rung is still ahead — both processes find
the 30-day rung to write (engine.reminders.catch_up) at their first sweep, and one of them writes it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from engine.app import build
from engine.audit import verify
from engine.calendar import add_months_clamped, term_end
from engine.clock import FrozenClock, SystemClock, local_date
from tests.scheduler.test_scheduler_processes import START, scheduler, stop, wait_until
from workflows.terms import TERM_REMINDER_KIND, term_reminder_key

DISTRICTS = 20

pytestmark = pytest.mark.slow


def seed(path: Path) -> tuple[list[int], date]:
    """DISTRICTS districts, each with one bureau user and a term ending 20 days from today."""
    # TERM-1: a DONGQU term lasts 3 years (an explicit end must be the computed one, DECISIONS 24)
    start = add_months_clamped(local_date(SystemClock().now()) + timedelta(days=21), -36)
    end = term_end(start, 3)
    app = build(f"sqlite:///{path}", FrozenClock(START), migrate=True)
    try:
        terms = []
        for i in range(DISTRICTS):
            app.admin.add_district(f"D{i}", f"第{i}区")
            app.admin.add_user(f"bureau{i}", f"第{i}区民政局", ["DISTRICT_CIVIL_AFFAIRS"], district=f"D{i}")
            terms.append(app.admin.add_term(f"D{i}", 1, start, end=end))
        return terms, end
    finally:
        app.db.engine.dispose()


def term_rows(path: Path) -> list[dict[str, object]]:
    app = build(f"sqlite:///{path}", FrozenClock(START))
    try:
        with app.db.read() as s:
            return s.outbox_rows(kinds=[TERM_REMINDER_KIND], limit=10_000)
    finally:
        app.db.engine.dispose()


def test_two_schedulers_write_each_term_reminder_once(tmp_path: Path) -> None:
    """Both processes sweep the same terms at once: one row and one audit entry per term and rung, every
    row delivered once to its district's bureau, and the audit chain intact."""
    path = tmp_path / "terms.db"
    terms, _ = seed(path)
    procs = [scheduler(path, "a"), scheduler(path, "b")]
    try:
        wait_until(lambda: sum(1 for r in term_rows(path) if r["status"] == "DELIVERED") >= DISTRICTS, procs)
    finally:
        codes = [stop(p) for p in procs]
    assert codes == [0, 0]
    rows = term_rows(path)
    assert Counter(str(r["idempotency_key"]) for r in rows) == Counter(
        {term_reminder_key(t, 30, "DISTRICT_CIVIL_AFFAIRS"): 1 for t in terms})
    app = build(f"sqlite:///{path}", FrozenClock(START))
    try:
        with app.db.read() as s:
            entries = [e for e in s.audit_entries() if e.action == "term.remind_term_ending"]
            assert Counter(e.body["term_id"] for e in entries) == Counter(dict.fromkeys(terms, 1))
            assert {e.body["computed"]["days_left"] for e in entries} == {20}
            for row in rows:
                term_id = row["payload"]["reminder"]["term_id"]  # type: ignore[index]
                assert [d["recipient_key"] for d in s.deliveries(int(str(row["id"])))] == [
                    f"bureau{terms.index(term_id)}"]
            assert verify(s.audit_entries(), *s.audit_head()).ok
    finally:
        app.db.engine.dispose()
