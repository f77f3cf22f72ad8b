"""`shequ db`, `org`, `user`, `worker` and `term`: happy paths, JSON shapes, masking and failures."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import CLEAN_ENV, WORKER_ID_NUMBER, WORKER_PHONE, Shequ
from tests.conftest import make_id

CATEGORY = "PROFESSIONAL_SOCIAL_WORKER"
MASKED_ID = WORKER_ID_NUMBER[:4] + "*" * 10 + WORKER_ID_NUMBER[-4:]


def test_db_upgrade_then_status_is_up_to_date(tmp_path: Path) -> None:
    """`db upgrade` on a new file reaches the head revision, and `db status` says so."""
    sh = Shequ(tmp_path / "new.db")
    upgraded = sh.ok("db", "upgrade")
    assert upgraded["from_revision"] is None
    assert upgraded["revision"]
    status = sh.ok("db", "status")
    assert (status["revision"], status["up_to_date"]) == (upgraded["revision"], True)
    assert "已是最新版本" in sh.human("db", "status").stdout


def test_commands_on_a_missing_database_do_not_create_it(tmp_path: Path) -> None:
    """A command on a database file that does not exist says to run `db upgrade` and creates no file."""
    sh = Shequ(tmp_path / "typo.db")
    error = sh.fails(1, "case", "list")
    assert error["code"] == "CLI_DB_NOT_MIGRATED"
    assert "shequ db upgrade" in error["message"]
    assert not (tmp_path / "typo.db").exists()


def test_org_commands_build_a_tree(sh: Shequ) -> None:
    """District, street, community and staffing commands show up in `org list`."""
    assert sh.ok("org", "district", "add", "DQ", "东区")["district"]["pack"] == "DONGQU"
    assert sh.ok("org", "street", "add", "DQ", "Z1", "某镇", "--kind", "镇")["street"]["kind"] == "镇"
    community = sh.ok("org", "community", "add", "Z1", "C9", "某社区", "--staffing", "5")["community"]
    assert (community["code"], community["staffing_limit"]) == ("C9", 5)
    assert sh.ok("org", "staffing", "set", "C9", "7") == {"ok": True, "community": "C9", "staffing_limit": 7}
    tree = sh.ok("org", "list")["districts"]
    assert tree == [{"code": "DQ", "name": "东区", "pack": "DONGQU", "streets": [
        {"code": "Z1", "name": "某镇", "kind": "镇", "communities": [
            {"code": "C9", "name": "某社区", "staffing_limit": 7, "in_service": 0}]}]}]
    assert "C9 某社区：编制 7 人，在聘 0 人" in sh.human("org", "list").stdout


def test_unknown_street_is_exit_5(sh: Shequ) -> None:
    """Adding a community to a street that does not exist is NOT FOUND (exit 5)."""
    assert sh.fails(5, "org", "community", "add", "NOPE", "C1", "社区", "--staffing", "1")["code"] == \
        "STREET_NOT_FOUND"


def test_duplicate_code_is_exit_2(sh: Shequ) -> None:
    """A district code used twice is invalid input (exit 2, DUPLICATE)."""
    sh.ok("org", "district", "add", "DQ", "东区")
    assert sh.fails(2, "org", "district", "add", "DQ", "东区")["code"] == "DUPLICATE"


def test_user_add_and_list(world: Shequ) -> None:
    """Users are listed with roles, Chinese role labels and scope codes."""
    users = {u["login"]: u for u in world.ok("user", "list")["users"]}
    assert users["s1_party"]["role_labels"] == ["街道党工委"]
    assert (users["s1_party"]["scope"], users["s1_party"]["scope_code"]) == ("street", "S1")
    assert (users["bureau"]["scope"], users["bureau"]["scope_code"]) == ("district", "DQ")
    assert (users["zhang"]["scope_code"], users["zhang"]["worker_id"]) == ("C1", 1)
    added = world.ok("user", "add", "admin", "管理员", "--role", "ADMIN", "--role", "DISTRICT_CIVIL_AFFAIRS",
                     "--district", "DQ")["user"]
    assert added["roles"] == ["ADMIN", "DISTRICT_CIVIL_AFFAIRS"]


def test_user_add_with_unknown_role_is_usage_error(world: Shequ) -> None:
    """A role outside the known set is rejected by the option parser (exit 2)."""
    assert world.fails(2, "user", "add", "x", "某人", "--role", "KING")["code"] == "USAGE"


def test_admin_command_as_a_user_without_admin_role_is_exit_4(world: Shequ) -> None:
    """With --as, reference-data changes need ADMIN or 区民政局: a worker gets exit 4."""
    error = world.fails(4, "org", "district", "add", "XQ", "西区", user="zhang")
    assert error["code"] == "ROLE_NOT_PERMITTED"
    world.ok("org", "district", "add", "XQ", "西区", user="bureau")
    entry = world.ok("audit", "show", "--limit", "1")["entries"][0]
    assert (entry["action"], entry["actor_login"], entry["action_label"]) == (
        "org.add_district", "bureau", "新增区")


def test_worker_add_list_show_mask_id_and_phone(world: Shequ) -> None:
    """ID numbers and phone numbers never appear in clear in worker output, JSON or human."""
    listed = world.ok("worker", "list")["workers"]
    assert [(w["id"], w["name"], w["id_number"]) for w in listed] == [(1, "张三", MASKED_ID)]
    shown = world.ok("worker", "show", "1")
    assert shown["worker"]["id_number"] == MASKED_ID
    assert shown["worker"]["phone"] == "1381***5678"
    assert [(a["status"], a["community"], a["start_date"]) for a in shown["appointments"]] == [
        ("ACTIVE", "C1", "2024-01-01")]
    outputs = [world.run("worker", "show", "1").stdout, world.run("worker", "list").stdout,
               world.run("--json", "worker", "show", "1").stdout, world.run("--json", "audit", "show").stdout,
               world.run("audit", "show").stdout]
    for out in outputs:
        assert WORKER_ID_NUMBER not in out
        assert WORKER_PHONE not in out
    assert MASKED_ID in outputs[0]


def test_worker_show_lists_cases(world: Shequ) -> None:
    """`worker show` lists the worker's cases with Chinese procedure and state labels."""
    world.ok("case", "open", "resignation", "--worker", "1", "--set", "submitted_on=2025-01-06",
             "--set", "written=true", "--set", "document_ref=D1", user="zhang", now="2025-01-06")
    cases = world.ok("worker", "show", "1")["cases"]
    assert [(c["id"], c["procedure_title"], c["state_label"]) for c in cases] == [
        (1, "辞职", "已提交书面申请")]


def test_worker_add_with_bad_id_number_is_exit_2(world: Shequ) -> None:
    """A wrong check digit is invalid input (exit 2, ID_NUMBER_INVALID); no worker is added."""
    bad = WORKER_ID_NUMBER[:17] + ("0" if WORKER_ID_NUMBER[17] != "0" else "1")
    error = world.fails(2, "worker", "add", "--id-number", bad, "--name", "李四", "--community", "C1",
                        "--category", "PROFESSIONAL_SOCIAL_WORKER")
    assert error["code"] == "ID_NUMBER_INVALID"
    assert bad not in error["message"]
    assert len(world.ok("worker", "list")["workers"]) == 1


def test_worker_list_filters_by_community(world: Shequ) -> None:
    """`worker list --community` returns only that community's workers."""
    world.ok("worker", "add", "--id-number", make_id("11010519900101002"), "--name", "李四",
             "--community", "C2", "--category", "PROFESSIONAL_SOCIAL_WORKER")
    assert [w["name"] for w in world.ok("worker", "list", "--community", "C2")["workers"]] == ["李四"]


def _roster(path: Path, rows: list[str]) -> Path:
    path.write_text("id_number,name,community,category\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_roster_import(sh: Shequ, tmp_path: Path) -> None:
    """A clean roster imports every row in one go."""
    sh.ok("org", "district", "add", "DQ", "东区")
    sh.ok("org", "street", "add", "DQ", "S1", "东华街道")
    sh.ok("org", "community", "add", "S1", "C1", "东华社区", "--staffing", "10")
    path = _roster(tmp_path / "roster.csv", [f"{make_id('11010519800101011')},王五,C1,{CATEGORY}",
                                             f"{make_id('11010519800101022')},赵六,C1,{CATEGORY}"])
    imported = sh.ok("worker", "import", str(path))
    assert (imported["imported"], imported["worker_ids"]) == (2, [1, 2])


def test_roster_with_a_broken_row_keeps_nothing(world: Shequ, tmp_path: Path) -> None:
    """A broken row (bad ID number on line 3) exits 2, names the row, and no worker of the file is kept."""
    path = _roster(tmp_path / "roster.csv", [f"{make_id('11010519800101011')},王五,C1,{CATEGORY}",
                                             f"110105198001010220,赵六,C1,{CATEGORY}"])
    error = world.fails(2, "worker", "import", str(path))
    assert (error["code"], error["details"]["row"]) == ("ROSTER_ROW_INVALID", 3)
    assert "第 3 行" in error["message"]
    assert [w["id"] for w in world.ok("worker", "list")["workers"]] == [1]
    human = world.run("worker", "import", str(path))
    assert human.exit_code == 2
    assert "第 3 行" in human.stderr


def test_roster_file_missing_is_exit_2(world: Shequ, tmp_path: Path) -> None:
    """A roster path that does not exist is invalid input (exit 2)."""
    assert world.fails(2, "worker", "import", str(tmp_path / "none.csv"))["code"] == "CLI_FILE_UNREADABLE"


def test_term_add_open_renewal_and_list(world: Shequ) -> None:
    """A term gets its end from the pack's term length; opening renewal (TM-3: successor term PLANNED)
    records the window."""
    term = world.ok("term", "add", "DQ", "1", "2024-01-01")["term"]
    assert (term["start_date"], term["end_date"], term["status"]) == ("2024-01-01", "2026-12-31", "ACTIVE")
    world.ok("term", "add", "DQ", "2", "2027-01-01", "--status", "PLANNED")
    world.ok("term", "open-renewal", str(term["id"]), "--from", "2026-11-01", "--to", "2026-11-15")
    listed = world.ok("term", "list", "DQ")["terms"]
    assert [(v["status"], v["status_label"], v["window_from"], v["window_to"]) for v in listed] == [
        ("RENEWAL_OPEN", "换届申请中", "2026-11-01", "2026-11-15"), ("PLANNED", "计划中", None, None)]


def test_term_window_in_wrong_order_is_exit_2(world: Shequ) -> None:
    """A renewal window that ends before it starts is invalid input (exit 2)."""
    term = world.ok("term", "add", "DQ", "1", "2024-01-01")["term"]
    assert world.fails(2, "term", "open-renewal", str(term["id"]), "--from", "2026-11-15",
                       "--to", "2026-11-01")["code"] == "DATE_ORDER"


def test_environment_supplies_db_and_user(world: Shequ) -> None:
    """SHEQU_DB and SHEQU_USER stand in for --db and --as."""
    from click.testing import CliRunner

    from engine.cli.main import cli

    env = {**CLEAN_ENV, "SHEQU_DB": str(world.db), "SHEQU_USER": "zhang"}
    result = CliRunner().invoke(cli, ["--json", "org", "district", "add", "XQ", "西区"], env=env)
    assert result.exit_code == 4  # acting as zhang (a worker) through SHEQU_USER
