"""Term-ending reminders (workflows.terms.TermMachine.remind) are rows without a case: they render from the
term's snapshot (golden files) and reach the bureau users of the term's district, and only them."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.clock import LOCAL_TZ
from notifications import dispatch as D
from notifications import render as R
from notifications.config import NotifyConfig
from tests.conftest import World
from workflows.terms import TERM_REMINDER_KIND, TermMachine

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SHEQU_UPDATE_GOLDEN") == "1"


def remind_at(world: World, when: datetime) -> list[dict[str, Any]]:
    world.app.clock.set(when)  # type: ignore[attr-defined]
    TermMachine(world.app.engine).remind()
    with world.app.db.read() as s:
        return s.outbox_rows(kinds=[TERM_REMINDER_KIND])


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {name} was missing and has been written: review and commit it")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_the_term_reminder_renders_against_golden_files(world: World) -> None:
    """The 90-day rung of 东区 term 1 renders, as text and HTML, exactly as the golden files say: term
    number, last day in Chinese and days left, addressed to 东区民政局, footed with the term (no case)."""
    world.app.admin.add_term("DQ", 1, date(2024, 1, 1))
    [row] = remind_at(world, datetime(2026, 10, 2, 9, 0, tzinfo=LOCAL_TZ))
    out = R.render(row["kind"], row["payload"])
    assert "东区第1届社区工作者聘期将于2026年12月31日届满（还有90天）" in out.text
    assert "案件" not in out.text + out.html
    check("reminder.term_ending__term-dq-1-90d.txt", f"{out.subject}\n\n{out.text}")
    check("reminder.term_ending__term-dq-1-90d.html", out.html)


@pytest.mark.parametrize(("when", "expected"), [
    pytest.param(datetime(2026, 12, 31, 8, 0, tzinfo=LOCAL_TZ), "届满（即今天）", id="TM-3-reminder-0d"),
    pytest.param(datetime(2026, 12, 24, 9, 0, tzinfo=LOCAL_TZ), "（还有7天）", id="TM-3-reminder-7d"),
])
def test_days_left_wording(world: World, when: datetime, expected: str) -> None:
    """A rung caught up on the last day says so instead of "0 days left"; an on-time rung counts the days."""
    world.app.admin.add_term("DQ", 1, date(2024, 1, 1))
    [row] = remind_at(world, when)
    assert expected in R.render(row["kind"], row["payload"]).text  # type: ignore[arg-type]


def test_renewal_open_wording(world: World) -> None:
    """换届中: the text asks to finish the 考核聘用 before the term ends rather than to open 换届."""
    term = world.app.admin.add_term("DQ", 1, date(2024, 1, 1))
    world.app.admin.add_term("DQ", 2, date(2027, 1, 1), status="PLANNED")
    world.app.clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL_TZ))  # type: ignore[attr-defined]
    world.app.admin.open_renewal(term, date(2026, 11, 2), date(2026, 11, 30), by="bureau")
    [row] = remind_at(world, datetime(2026, 12, 1, 9, 0, tzinfo=LOCAL_TZ))
    text = R.render(row["kind"], row["payload"]).text  # type: ignore[arg-type]
    assert "换届已开启，请督促在届满前办结考核聘用。" in text
    assert "请及时组织换届" not in text


def test_dispatch_reaches_the_district_bureau_users_only(world: World, config: NotifyConfig,
                                                         files: Path) -> None:
    """Both 东区民政局 users get the reminder; another district's bureau and the street offices do not."""
    admin = world.app.admin
    admin.add_user("bureau2", "东区民政局二科", ["DISTRICT_CIVIL_AFFAIRS"], district="DQ")
    admin.add_district("XQ", "西区")
    admin.add_user("xq_bureau", "西区民政局", ["DISTRICT_CIVIL_AFFAIRS"], district="XQ")
    admin.add_term("DQ", 1, date(2024, 1, 1))
    [row] = remind_at(world, datetime(2026, 10, 2, 9, 0, tzinfo=LOCAL_TZ))
    report = D.dispatch_due(world.app, config=config)
    assert [(o.kind, o.status) for o in report.outcomes] == [(TERM_REMINDER_KIND, "DELIVERED")]
    with world.app.db.read() as s:
        assert sorted(d["recipient_key"] for d in s.deliveries(row["id"])) == ["bureau", "bureau2"]
    assert sorted(p.name for p in files.iterdir()) == ["bureau", "bureau2"]
    [sent] = list((files / "bureau").glob("*.txt"))
    assert "还有90天" in sent.read_text(encoding="utf-8")


def test_a_district_without_bureau_users_keeps_the_row_under_its_scope(world: World, config: NotifyConfig,
                                                                        files: Path) -> None:
    """Nobody holds the role in the district: the file channel keeps it under ROLE@district, nothing lost."""
    world.app.admin.add_district("XQ", "西区")
    world.app.admin.add_term("XQ", 1, date(2024, 1, 1))
    remind_at(world, datetime(2026, 10, 2, 9, 0, tzinfo=LOCAL_TZ))
    report = D.dispatch_due(world.app, config=config)
    assert [o.status for o in report.outcomes] == ["DELIVERED"]
    assert [p.name for p in files.iterdir()] == ["DISTRICT_CIVIL_AFFAIRS@XQ"]
