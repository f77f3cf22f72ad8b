"""Structured logs: JSON in production and readable in a terminal, the notification's case, procedure,
trigger and actor bound as context, and ID and phone numbers masked in every line."""

from __future__ import annotations

import io
import json
import logging

import structlog

from engine import logging as shequ_logging
from notifications import dispatch as D
from notifications.config import NotifyConfig
from notifications.masking import find_unmasked_ids, mask_text, redact
from tests.conftest import World, make_id
from tests.notifications.scenarios import PLAIN, resignation
from tests.support.leaks import LeakScan

ID = make_id("11010519800101001")
PHONE = "13912345678"


def test_mask_text_masks_ids_and_mobiles_but_not_other_numbers() -> None:
    """18-digit IDs (with X), old 15-digit IDs and mobile numbers are masked; dates, hashes, keys are not."""
    text = f"身份证{ID}，旧证110105800101001，电话{PHONE}，日期2025-01-06，键 1:23:k:worker，哈希 a{ID}b"
    masked = mask_text(text)
    assert f"1101**********{ID[-4:]}" in masked
    assert "1101*******1001" in masked
    assert "1391***5678" in masked
    assert "2025-01-06" in masked
    assert "1:23:k:worker" in masked
    assert f"a{ID}b" in masked
    assert redact({"id_number": "110105198001010019", "note": [f"tel {PHONE}"]}) == {
        "id_number": "1101**********0019", "note": ["tel 1391***5678"]}


def test_json_and_console_logs_are_masked() -> None:
    """Values bound or passed to a log call, and stdlib log records, never show an ID or phone in clear."""
    for json_mode in (True, False):
        buffer = io.StringIO()
        shequ_logging.configure(json=json_mode, verbose=True, stream=buffer)
        try:
            log = structlog.get_logger("test")
            log.info("worker_added", id_number=ID, note=f"电话 {PHONE}，证件 {ID}")
            logging.getLogger("test.stdlib").warning("imported %s", ID)
        finally:
            shequ_logging.restore()
        out = buffer.getvalue()
        assert "worker_added" in out
        assert find_unmasked_ids(out) == []
        assert PHONE not in out
        if json_mode:
            event = json.loads(out.splitlines()[0])
            assert event["id_number"] == f"1101**********{ID[-4:]}"


def test_dispatch_logs_carry_case_procedure_trigger_and_actor(world: World, config: NotifyConfig,
                                                               scan: LeakScan) -> None:
    """Every dispatcher line names the case, procedure, trigger and actor of the notification (JSON)."""
    resignation(world, PLAIN, "approve")
    D.dispatch_due(world.app, config=config)
    events = [json.loads(line) for line in scan.test_log().splitlines() if line.startswith("{")]
    sent = [e for e in events if e["event"] == "notification_sent"]
    assert len(sent) == 4
    for event in sent:
        assert {"case_id", "procedure", "trigger", "actor", "notification_id", "kind"} <= set(event)
        assert event["procedure"] == "resignation"
    approved = [e for e in sent if e["kind"] == "resignation.approved"]
    assert {(e["trigger"], e["actor"]) for e in approved} == {("approve", "s1_party")}
