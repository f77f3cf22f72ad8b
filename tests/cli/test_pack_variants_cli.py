"""Pack variants from the command line: a CHUZHOU district (`org district add … --pack CHUZHOU`) whose
second 不合格 year in one term opens an exit case (`record grade`, `case list`), `policy show CHUZHOU`,
and HONGSHAN's 留用察看 in `worker show` (text and --json)."""

from __future__ import annotations

from tests.cli.conftest import Shequ
from tests.conftest import make_id

NOW = "2025-03-01"


def add_district(sh: Shequ, code: str, pack: str, street: str, community: str) -> str:
    """District, street, community, a worker in service since 2021 and a street office; the worker's id."""
    sh.ok("org", "district", "add", code, f"{code}区", "--pack", pack)
    sh.ok("org", "street", "add", code, street, f"{street}街道")
    sh.ok("org", "community", "add", street, community, f"{community}社区", "--staffing", "6")
    worker = sh.ok("worker", "add", "--id-number", make_id(f"3411021985030300{len(code)}"), "--name", "赵六",
                   "--community", community, "--category", "PUBLIC_SERVICE_OFFICER", "--appointment-start",
                   "2021-01-01")["worker"]["id"]
    sh.ok("user", "add", f"{code.lower()}_office", f"{street}街道办事处", "--role", "STREET_OFFICE",
          "--street", street)
    return str(worker)


def test_chuzhou_second_failing_year_in_a_term_opens_an_exit_case_in_case_list(world: Shequ) -> None:
    """DIS-CHZ-3 via the CLI: one 不合格 opens nothing; the second in the same term opens a case printed by
    `record grade` and listed by `case list`; `term add` without dates refuses NOT_CONFIGURED (A-41)."""
    worker = add_district(world, "CZ", "CHUZHOU", "CZ1", "CC1")
    refused = world.fails(3, "term", "add", "CZ", "1", "2024-01-01")
    assert (refused["code"], refused["details"]["key"]) == ("TERM_END_REQUIRED", "term.length_years")
    world.ok("term", "add", "CZ", "1", "2024-01-01", "--end", "2026-12-31")
    first = world.ok("record", "grade", worker, "2024", "不合格", "--source", "琅琊街道考评 2024",
                     user="cz_office", now=NOW)
    assert (first["findings"], first["cases"], first["not_evaluated"]) == ({"DIS-CHZ-3": False}, [], [])
    assert first["record"]["values"]["grade"] == "INCOMPETENT"
    second = world.ok("record", "grade", worker, "2025", "不合格", "--source", "琅琊街道考评 2025",
                      user="cz_office", now=NOW)
    [change] = second["cases"]
    assert (change["ground"], change["action"], change["state"]) == ("DIS-CHZ-3", "opened", "OPEN")
    assert change["ground_label"] == "一届任期内两个年度考评不合格"
    [case] = world.ok("case", "list", "--procedure", "dismissal", "--worker", worker)["cases"]
    assert (case["id"], case["state"]) == (change["case_id"], "OPEN")
    out = world.human("record", "grade", worker, "2023", "合格", "--source", "琅琊街道考评 2023",
                      user="cz_office", now=NOW).stdout
    assert "DIS-CHZ-3 成立" in out
    assert "未开立或关闭任何解除聘用案件" in out  # the case is open already: no second one


def test_policy_show_chuzhou(world: Shequ) -> None:
    """`policy show CHUZHOU` lists the pack: its tiers, its grounds and threshold, UNSPECIFIED as 未规定."""
    data = world.ok("policy", "show", "CHUZHOU")
    settings = {s["key"]: s for s in data["settings"]}
    assert data["pack"]["code"] == "CHUZHOU"
    assert settings["assessment.tiers"]["value"] == ["优秀", "合格", "基本合格", "不合格"]
    assert settings["dismissal.grounds"]["value"] == ["DIS-CHZ-1", "DIS-CHZ-2", "DIS-CHZ-3"]
    assert settings["dismissal.incompetent_years_in_term"]["value"] == 2
    assert settings["term.length_years"]["specified"] is False
    text = world.human("policy", "show", "CHUZHOU", "--key", "term.length_years").stdout
    assert "未规定" in text


def test_hongshan_probation_shows_in_worker_show(world: Shequ) -> None:
    """HS-PROB via the CLI: `record grade … 诫勉` in HONGSHAN puts the appointment on 留用察看, shown with its
    dates by `worker show` in words and in --json; a DONGQU worker shows none."""
    worker = add_district(world, "HS", "HONGSHAN", "HS1", "HC1")
    world.ok("record", "grade", worker, "2024", "诫勉", "--source", "珞南街道考评 2024", user="hs_office",
             now=NOW)
    shown = world.ok("worker", "show", worker, now=NOW)
    [item] = shown["appointment_flags"]
    probation = item["probation"]
    assert (probation["year"], probation["start"], probation["end"], probation["active"]) == (
        2024, NOW, None, True)
    assert (probation["tier"], probation["citation"]) == ("诫勉", "seed 001 第二十七条(三)")
    text = world.human("worker", "show", worker, now=NOW).stdout
    assert f"留用察看（2024 年度考评诫勉），{NOW} 起至下一年度考评结果确定，察看中" in text
    assert world.ok("worker", "show", "1", now=NOW)["appointment_flags"] == []
