"""`shequ deadlines run` simulates the term-ending reminder ladder (spec §4.1 timers) like the scheduler runs
it; `shequ notify list/show/dispatch` show and deliver the rows (no case) to the district's bureau."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Shequ

KIND = "reminder.term_ending"


def test_deadlines_run_writes_the_three_rungs_and_notify_delivers_them(world: Shequ, tmp_path: Path) -> None:
    """On a CLI-made district with term 1 (2024–2026), `deadlines run --until 2026-12-25T12:00` stops at
    each rung (09:00 on 10-02, 12-01, 12-24): three rows for 区民政局 in `notify list`; a second run writes
    none; dispatch to the console prints the Chinese text with the term, last day and days left."""
    world.ok("term", "add", "DQ", "1", "2024-01-01")
    run = world.ok("deadlines", "run", "--until", "2026-12-25T12:00", now="2025-01-06")
    assert [(r["rung"], r["days_left"], r["due_at"], r["sent_at"]) for r in run["term_reminders"]] == [
        (90, 90, "2026-10-02T09:00:00+08:00", "2026-10-02T09:00:00+08:00"),
        (30, 30, "2026-12-01T09:00:00+08:00", "2026-12-01T09:00:00+08:00"),
        (7, 7, "2026-12-24T09:00:00+08:00", "2026-12-24T09:00:00+08:00")]
    listed = world.ok("notify", "list", "--kind", KIND)["notifications"]
    assert [(n["case_id"], n["recipient"], n["status"]) for n in listed] == [
        (None, "DISTRICT_CIVIL_AFFAIRS", "PENDING")] * 3
    assert [n["idempotency_key"] for n in listed] == [
        f"term1:te{n}d:{KIND}:DISTRICT_CIVIL_AFFAIRS" for n in (90, 30, 7)]
    again = world.ok("deadlines", "run", "--until", "2026-12-25T12:00", now="2026-12-25T12:00")
    assert again["term_reminders"] == []
    assert len(world.ok("notify", "list", "--kind", KIND)["notifications"]) == 3

    config = tmp_path / "notify.toml"
    config.write_text("[file]\nenabled = false\n[console]\nenabled = true\n", encoding="utf-8")
    result = world.run("notify", "dispatch", "--config", str(config), now="2026-12-25T12:00")
    assert result.exit_code == 0, result.output
    assert "东区第1届社区工作者聘期将于2026年12月31日届满（还有7天）。请及时组织换届" in result.stderr
    assert result.stderr.count("聘期即将届满提醒") >= 3
    shown = world.ok("notify", "show", str(listed[0]["id"]))["notification"]
    assert shown["status"] == "DELIVERED"
    assert [d["recipient_key"] for d in shown["deliveries"]] == ["bureau"]
    assert "还有90天" in shown["text"]


def test_deadlines_run_human_output_names_each_reminder(world: Shequ) -> None:
    """The human output of `deadlines run` has one line per term reminder and counts them in its summary."""
    world.ok("term", "add", "DQ", "1", "2024-01-01")
    out = world.human("deadlines", "run", "--until", "2026-12-25T12:00", now="2026-12-10T09:00").stdout
    assert "已提醒 届期 #1：区 DQ 第 1 届将于 2026-12-31 届满，还有 21 天（提前 30 天的提醒" in out
    assert "还有 7 天（提前 7 天的提醒" in out
    assert "发出 2 个提醒" in out


def test_a_hongshan_district_gets_no_term_reminder(world: Shequ) -> None:
    """HONGSHAN leaves the ladder UNSPECIFIED: the run writes none and does not fail."""
    world.ok("org", "district", "add", "HS", "洪山区", "--pack", "HONGSHAN")
    world.ok("term", "add", "HS", "1", "2024-01-01")
    run = world.ok("deadlines", "run", "--until", "2026-12-31T23:00", now="2025-01-06")
    assert run["term_reminders"] == []
    assert world.ok("notify", "list", "--kind", KIND)["notifications"] == []
