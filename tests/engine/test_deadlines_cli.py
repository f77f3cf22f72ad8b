"""`shequ deadlines list/explain/run`, `shequ calendar show/import` and `shequ scheduler run`'s refusal of a
simulated clock, run through the real command line (click's CliRunner) against a temporary SQLite file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import cli
from tests.cli.conftest import CLEAN_ENV, Shequ, open_resignation, seed_world
from tests.engine.test_working_calendar import FILE_2027


@pytest.fixture(scope="module", name="seeded_db")
def _seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("deadlines-cli") / "world.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "db", "upgrade"], env=CLEAN_ENV)
    assert result.exit_code == 0, result.output
    seed_world(Shequ(path))
    return path


@pytest.fixture(name="sh")
def _sh(seeded_db: Path, tmp_path: Path) -> Shequ:
    path = tmp_path / "world.db"
    shutil.copy(seeded_db, path)
    return Shequ(path)


@pytest.fixture(name="file_2027")
def _file_2027(tmp_path: Path) -> Path:
    path = tmp_path / "2027.toml"
    path.write_text(FILE_2027, encoding="utf-8")
    return path


def test_list_shows_deadlines_by_default_and_reminders_on_request(sh: Shequ) -> None:
    """`deadlines list` lists 期限 (transition deadlines); `--kind reminder`/`all` add the reminders."""
    open_resignation(sh)
    assert [d["fires"] for d in sh.ok("deadlines", "list")["deadlines"]] == ["mark_overdue"]
    reminders = sh.ok("deadlines", "list", "--kind", "reminder")["deadlines"]
    assert [(d["fires"], d["fires_label"], d["period"]) for d in reminders] == [
        ("decision_pending", "待办提醒", "P5WD")]
    assert len(sh.ok("deadlines", "list", "--kind", "all")["deadlines"]) == 2
    human = sh.human("deadlines", "list", "--kind", "all").stdout
    assert "提醒" in human
    assert "P0D" in human


def test_explain_re_derives_and_says_it_matches(sh: Shequ) -> None:
    """`deadlines explain ID` states the rule, the period from the start date, the calendar version and that
    re-deriving gives the recorded instant."""
    open_resignation(sh)
    (row,) = sh.ok("deadlines", "list")["deadlines"]
    data = sh.ok("deadlines", "explain", str(row["id"]))
    assert (data["reproduced"], data["current_matches"]) == (True, True)
    assert data["period"]["method"] == "day"
    assert data["period"]["start"] == "2025-02-06"
    text = sh.human("deadlines", "explain", str(row["id"])).stdout
    assert "RES-5" in text
    assert "2025-02-06 当日" in text
    assert "与记录一致" in text
    assert sh.fails(5, "deadlines", "explain", "999")["code"] == "DEADLINE_NOT_FOUND"


def test_run_fires_in_due_order_listing_reminders_separately(sh: Shequ) -> None:
    """`deadlines run --until` fires the reminder (01-13 09:00) before RES-5 (02-07 00:00), each at its due
    instant; the JSON keeps transitions in `fired` and reminders in `reminders`."""
    open_resignation(sh)
    run = sh.ok("deadlines", "run", "--until", "2025-03-01", now="2025-01-06")
    assert [(f["fires"], f["fired_at"]) for f in run["reminders"]] == [
        ("decision_pending", "2025-01-13T09:00:00+08:00")]
    assert [(f["fires"], f["fired_at"]) for f in run["fired"]] == [
        ("mark_overdue", "2025-02-07T00:00:00+08:00")]
    again = sh.human("deadlines", "run", "--until", "2025-03-01", now="2025-03-01").stdout
    assert "共处理 0 个期限，发出 0 个提醒" in again


def test_calendar_show_2026_lists_the_arrangement(sh: Shequ) -> None:
    """`calendar show 2026`: the Spring Festival 02-15…02-23 with its make-up Saturdays, 248 working days."""
    data = sh.ok("calendar", "show", "2026")["calendar"]
    spring = next(h for h in data["holidays"] if h["from"] == "2026-02-15")
    assert (spring["to"], spring["workdays"]) == ("2026-02-23", ["2026-02-14", "2026-02-28"])
    assert (data["working_days"], data["rest_days"], len(data["days"])) == (248, 117, 365)
    assert data["source"].startswith("chinesecalendar-")
    human = sh.human("calendar", "show", "2026").stdout
    assert "春节" in human
    assert "全年工作日 248 天" in human


def test_calendar_show_refuses_a_year_without_data(sh: Shequ) -> None:
    """No 2027 data: exit 5 with CAL_NO_DATA, never a Monday–Friday guess."""
    assert sh.fails(5, "calendar", "show", "2027")["code"] == "CAL_NO_DATA"


def test_calendar_import_makes_a_provisional_deadline_final(sh: Shequ, file_2027: Path) -> None:
    """A reminder over the 2027 New Year is provisional until `calendar import`, which re-derives it (audited)
    and reports old → new; the year then shows, and a second import of the same file changes nothing."""
    sh.ok("case", "open", "resignation", "--worker", "1", "--set", "submitted_on=2026-12-28", "--set",
          "written=是", "--set", "document_ref=D1", user="zhang", now="2026-12-28T10:00")
    (held,) = sh.ok("deadlines", "list", "--kind", "reminder", "--provisional")["deadlines"]
    assert held["due_at"] == "2027-01-04T09:00:00+08:00"
    assert "暂定" in sh.human("deadlines", "list", "--kind", "reminder").stdout
    assert sh.ok("deadlines", "run", "--until", "2027-01-05", now="2026-12-28T10:00")["held_provisional"] == 1
    result = sh.ok("calendar", "import", str(file_2027), user="bureau")
    assert result["years"] == [2027]
    (change,) = result["recomputed"]
    assert change["deadline_id"] == held["id"]
    assert (change["old_provisional"], change["new_provisional"]) == (True, False)
    assert sh.ok("deadlines", "list", "--kind", "reminder", "--provisional")["deadlines"] == []
    assert sh.ok("calendar", "show", "2027")["calendar"]["source"] == "import-1"
    timeline = sh.ok("audit", "show", "--case", "1")["entries"]
    assert "deadline.recompute" in [e["action"] for e in timeline]
    assert sh.ok("calendar", "import", str(file_2027), user="bureau")["unchanged"] is True


def test_calendar_import_of_a_bad_file_and_by_the_wrong_role(sh: Shequ, tmp_path: Path,
                                                              file_2027: Path) -> None:
    """A malformed file is exit 2 naming the problem; a street office may not import (exit 4)."""
    bad = tmp_path / "bad.toml"
    bad.write_text(FILE_2027.replace("workdays = [2027-01-09]", "workdays = [2027-01-08]"), encoding="utf-8")
    error = sh.fails(2, "calendar", "import", str(bad), user="bureau")
    assert error["code"] == "CAL_IMPORT_INVALID"
    assert "2027-01-08" in error["message"]
    assert sh.fails(4, "calendar", "import", str(file_2027), user="s1_office")["code"] == "ROLE_NOT_PERMITTED"


def test_scheduler_refuses_a_simulated_clock(sh: Shequ) -> None:
    """`scheduler run --now …` would never see a deadline fall due: refused, pointing to `deadlines run`."""
    error = sh.fails(2, "scheduler", "run", now="2025-01-06")
    assert error["code"] == "SCHEDULER_SIMULATED_CLOCK"
    assert "deadlines run" in error["message"]
