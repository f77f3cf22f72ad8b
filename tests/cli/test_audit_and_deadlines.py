"""`shequ audit` (timeline, chain verification against raw tampering) and `shequ deadlines`."""

from __future__ import annotations

import sqlite3

from tests.cli.conftest import Shequ, open_resignation

APPROVE = ("--set", "decided_on=2025-01-06", "--set", "minutes_ref=M1")


def test_audit_show_labels_actor_role_rules_and_citations(world: Shequ) -> None:
    """A case's timeline shows actor, Chinese role and trigger labels, from→to labels, rule ids, citations."""
    open_resignation(world)
    entries = world.ok("audit", "show", "--case", "1")["entries"]
    assert len(entries) == 1
    e = entries[0]
    assert (e["case_id"], e["action"], e["action_label"], e["to_label"]) == (
        1, "submit", "提交书面辞职申请", "已提交书面申请")
    assert (e["actor_login"], e["role"], e["role_label"]) == ("zhang", "WORKER", "社区工作者本人")
    assert {"RES-1", "RES-2"} <= set(e["rule_ids"])
    assert "seed 000 第二十二条" in e["citations"]
    assert len(e["citations"]) == len(set(e["citations"]))
    assert e["at"] == "2025-01-06T09:00:00+08:00"
    human = world.human("audit", "show", "--case", "1").stdout
    assert "提交书面辞职申请（submit）" in human
    assert "社区工作者本人" in human
    assert "RES-2" in human


def test_audit_show_limit_keeps_the_most_recent(world: Shequ) -> None:
    """--limit N shows the last N entries of the whole chain, oldest first."""
    all_entries = world.ok("audit", "show")["entries"]
    last_two = world.ok("audit", "show", "--limit", "2")["entries"]
    assert [e["seq"] for e in last_two] == [e["seq"] for e in all_entries[-2:]]


def test_audit_verify_passes_on_an_untouched_chain(world: Shequ) -> None:
    """`audit verify` exits 0 and reports how many entries it checked."""
    open_resignation(world)
    result = world.ok("audit", "verify")
    assert result["verified"] is True
    assert result["checked"] == result["head_seq"] > 0
    assert "审计链完整" in world.human("audit", "verify").stdout


def test_audit_verify_detects_a_tampered_row(world: Shequ) -> None:
    """Editing one audit row's body with raw SQL makes `audit verify` fail, naming that seq."""
    opened = open_resignation(world)
    seq = opened["steps"][0]["audit_seq"]
    with sqlite3.connect(world.db) as conn:
        changed = conn.execute("UPDATE audit_entries SET body = json_set(body, '$.payload.document_ref', "
                               "'FORGED') WHERE seq = ?", (seq,)).rowcount
    conn.close()
    assert changed == 1
    human = world.run("audit", "verify")
    assert human.exit_code != 0
    assert f"第 {seq} 条" in human.stderr
    assert "内容与哈希不符" in human.stderr
    error = world.fails(human.exit_code, "audit", "verify")
    assert (error["code"], error["details"]["first_bad_seq"], error["details"]["problem"]) == (
        "AUDIT_CHAIN_BROKEN", seq, "content")


def test_deadlines_run_moves_the_clock_to_each_due_instant(world: Shequ) -> None:
    """The sweep fires at the due instant (not at --until): the audit entry is stamped 2025-02-07 00:00."""
    open_resignation(world)
    world.ok("case", "fire", "1", "approve", *APPROVE, user="s1_party", now="2025-01-06")
    run = world.ok("deadlines", "run", "--until", "2025-06-01", now="2025-01-06")
    assert [(f["fires"], f["fired_at"]) for f in run["fired"]] == [("separate", "2025-02-07T00:00:00+08:00")]
    last = world.ok("audit", "show", "--case", "1", "--limit", "1")["entries"][0]
    assert (last["action"], last["at"], last["actor_login"]) == (
        "separate", "2025-02-07T00:00:00+08:00", "system")
    assert world.ok("case", "show", "1")["case"]["state"] == "EFFECTIVE"  # not filed yet: stays open


def test_deadlines_run_before_due_fires_nothing(world: Shequ) -> None:
    """Nothing is due before the deadline's instant, so nothing fires and the deadline stays pending."""
    open_resignation(world)
    world.ok("case", "fire", "1", "approve", *APPROVE, user="s1_party", now="2025-01-06")
    assert world.ok("deadlines", "run", "--until", "2025-02-06T23:59", now="2025-01-06")["fired"] == []
    pending = world.ok("deadlines", "list", "--status", "PENDING")["deadlines"]
    assert [(d["fires"], d["status_label"], d["rule_id"]) for d in pending] == [
        ("separate", "待到期", "RES-6")]
    out = world.human("deadlines", "run", "--until", "2025-02-06T23:59", now="2025-01-06").stdout
    assert "共处理 0 个期限" in out


def test_deadlines_run_overdue_fires_res5_flag_without_approving(world: Shequ) -> None:
    """RES-5: an undecided resignation is flagged overdue after the requested date; it stays SUBMITTED."""
    open_resignation(world)
    run = world.ok("deadlines", "run", "--until", "2025-02-07", now="2025-01-06")
    assert [(f["fires"], f["outcome"]) for f in run["fired"]] == [("mark_overdue", "FIRED")]
    shown = world.ok("case", "show", "1")
    assert shown["case"]["state"] == "SUBMITTED"
    assert {d["name"]: d["value"] for d in shown["data"]}["overdue"] is True


def test_deadlines_list_due_before_filters(world: Shequ) -> None:
    """--due-before leaves out deadlines due later; bare dates mean 09:00 China time."""
    open_resignation(world)
    assert world.ok("deadlines", "list", "--due-before", "2025-02-06")["deadlines"] == []
    assert len(world.ok("deadlines", "list", "--due-before", "2025-02-07")["deadlines"]) == 1
