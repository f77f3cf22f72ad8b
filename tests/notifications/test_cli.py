"""`shequ notify list/show/dispatch/retry`, `shequ notice render`, and contact data on `shequ user`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Shequ, seed_world
from tests.conftest import make_id

SUBMIT = ["--set", "submitted_on=2025-01-06", "--set", "written=true", "--set", "document_ref=D1"]


@pytest.fixture(name="sh")
def _sh(tmp_path: Path) -> Shequ:
    sh = Shequ(tmp_path / "shequ.db")
    result = sh.run("db", "upgrade")
    assert result.exit_code == 0, result.output
    seed_world(sh)
    return sh


def _submit(sh: Shequ) -> int:
    data = sh.ok("case", "open", "resignation", "--worker", "1", *SUBMIT, user="zhang", now="2025-01-06")
    return int(data["case"]["case_id"] if "case" in data else data["case_id"])


def test_notify_list_dispatch_show_and_files(sh: Shequ, tmp_path: Path) -> None:
    """Pending rows are listed; dispatch delivers them to the file channel next to the database; show
    prints the rendered text."""
    _submit(sh)
    listed = sh.ok("notify", "list", "--status", "PENDING")["notifications"]
    assert [(n["kind"], n["recipient"]) for n in listed] == [
        ("resignation.submitted", "STREET_PARTY_COMMITTEE"), ("resignation.submitted", "STREET_OFFICE")]
    report = sh.ok("notify", "dispatch", now="2025-01-06T10:00")["dispatch"]
    assert (report["delivered"], report["retried"], report["dead"]) == (2, 0, 0)
    assert list((tmp_path / "shequ-notices" / "s1_party").glob("*.txt"))
    shown = sh.ok("notify", "show", str(listed[0]["id"]))["notification"]
    assert shown["status"] == "DELIVERED"
    assert "待办提醒" in shown["text"]
    assert [d["recipient_key"] for d in shown["deliveries"]] == ["s1_party"]
    human = sh.human("notify", "show", str(listed[0]["id"]))
    assert "幂等键" in human.output


def test_notify_retry_requeues_dead_rows(sh: Shequ, tmp_path: Path) -> None:
    """A row dead-lettered (no channel reaches anyone) is put back by `notify retry --dead`."""
    _submit(sh)
    config = tmp_path / "notify.toml"
    config.write_text('[file]\nenabled = false\n[console]\nenabled = false\n', encoding="utf-8")
    report = sh.ok("notify", "dispatch", "--config", str(config), now="2025-01-06T10:00")["dispatch"]
    assert report["dead"] == 2
    requeued = sh.ok("notify", "retry", "--dead")["requeued"]
    assert len(requeued) == 2
    assert {n["status"] for n in sh.ok("notify", "list")["notifications"]} == {"PENDING"}


def test_notice_render_writes_a_printable_document(sh: Shequ, tmp_path: Path) -> None:
    """`notice render CASE --kind resignation --out FILE` writes the A4 HTML approval notice; txt on stdout;
    a document the case does not have is refused (exit 5)."""
    case_id = _submit(sh)
    sh.ok("case", "fire", str(case_id), "approve", "--set", "decided_on=2025-01-06",
          "--set", "minutes_ref=M1", user="s1_party", now="2025-01-06T11:00")
    out = tmp_path / "approval.html"
    sh.ok("notice", "render", str(case_id), "--kind", "resignation", "--out", str(out))
    html = out.read_text(encoding="utf-8")
    assert "size: A4" in html
    assert "辞职审批通知" in html
    text = sh.human("notice", "render", str(case_id), "--kind", "resignation", "--format", "txt").output
    assert "张三同志" in text
    error = sh.fails(5, "notice", "render", str(case_id), "--kind", "publicity")
    assert error["code"] == "NOTICE_NOT_AVAILABLE"


def test_user_contact_is_set_validated_and_masked(sh: Shequ) -> None:
    """`user add --email --phone` stores the contact (phone masked in output); a bad e-mail is refused before
    the user is created; `user contact` changes it."""
    data = sh.ok("user", "add", "wang", "王五", "--role", "STREET_OFFICE", "--street", "S1",
                 "--email", "wang@example.org", "--phone", "13900001111")
    assert data["user"]["login"] == "wang"
    error = sh.fails(2, "user", "add", "zhao", "赵六", "--role", "STREET_OFFICE", "--street", "S1",
                     "--email", "not-an-address")
    assert error["code"] == "CONTACT_INVALID"
    assert all(u["login"] != "zhao" for u in sh.ok("user", "list")["users"])
    changed = sh.ok("user", "contact", "wang", "--webhook", "https://oa.example.org/hook")
    assert changed["contact"] == {"email": "wang@example.org", "phone": "1390***1111",
                                  "webhook_url": "https://oa.example.org/hook"}
    assert make_id("11010519800101001") not in json.dumps(changed)
