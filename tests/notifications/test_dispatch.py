"""The transactional outbox and the dispatcher: rows written with the transition or not at all, recipients by
scope, at-least-once delivery with the same key, backoff on the injected clock, dead-lettering that does not
block the rest, and requeueing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.errors import GuardRejected
from notifications import dispatch as D
from notifications.channels import DeliveryError, Message
from notifications.config import NotifyConfig, SmtpConfig
from notifications.outbox import enqueue_reminder
from notifications.recipients import resolve
from storage.repository import Store
from tests.conftest import World
from tests.notifications.scenarios import PLAIN, clock, dismissal, resignation


class Recorder:
    """An in-memory channel standing in for `file`: records messages; `fail(message)` may raise."""

    name = "file"

    def __init__(self, fail: Any = None) -> None:
        self.sent: list[Message] = []
        self.fail = fail

    def send(self, message: Message) -> None:
        if self.fail is not None:
            self.fail(message)
        self.sent.append(message)


class Crash(BaseException):
    """The process dying (not an Exception: nothing in the dispatcher catches it)."""


def rows(world: World, **kw: Any) -> list[dict[str, Any]]:
    with world.app.db.read() as s:
        return s.outbox_rows(**kw)


def test_transition_writes_rows_with_key_and_masked_snapshot(world: World) -> None:
    """A step's notices are outbox rows keyed case:seq:kind:recipient, with a snapshot (ID masked)."""
    cid = resignation(world, PLAIN, "submit")
    written = rows(world, case_id=cid)
    assert [(r["kind"], r["recipient"]) for r in written] == [
        ("resignation.submitted", "STREET_PARTY_COMMITTEE"), ("resignation.submitted", "STREET_OFFICE")]
    seq = written[0]["audit_seq"]
    assert written[0]["idempotency_key"] == f"{cid}:{seq}:resignation.submitted:STREET_PARTY_COMMITTEE"
    context = written[0]["payload"]["context"]
    assert context["worker"]["id_number"].startswith("1101")
    assert "*" * 10 in context["worker"]["id_number"]
    assert context["event"]["trigger"] == "submit"
    assert context["case"]["data"]["submitted_on"] == "2025-01-06"
    assert written[0]["payload"]["notice_to"] == ["STREET_PARTY_COMMITTEE", "STREET_OFFICE"]


def test_rolled_back_transition_leaves_no_notification(world: World, config: NotifyConfig,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the outbox rows were written rolls the whole transition back: no row, nothing sent."""
    original = Store.insert_outbox
    calls = []

    def insert_then_fail(self: Store, values: Any) -> int:
        calls.append(values["recipient"])
        new_id = original(self, values)
        if len(calls) == 2:
            raise RuntimeError("disk full after the second outbox row")
        return new_id

    monkeypatch.setattr(Store, "insert_outbox", insert_then_fail)
    with pytest.raises(RuntimeError):
        resignation(world, PLAIN, "submit")
    assert len(calls) == 2
    assert rows(world) == []
    recorder = Recorder()
    assert D.dispatch_due(world.app, config=config, channels={"file": recorder}).outcomes == []
    assert recorder.sent == []


def test_rejected_step_writes_no_notification(world: World) -> None:
    """A step refused by its guards writes no outbox row."""
    cid = resignation(world, PLAIN, "submit")
    before = len(rows(world))
    with pytest.raises(GuardRejected):
        world.app.engine.fire(cid, "approve", "s1_party", {"decided_on": "2025-01-05", "minutes_ref": "M"})
    assert len(rows(world)) == before


def test_file_channel_delivers_each_row_once_per_person(world: World, config: NotifyConfig,
                                                        files: Path) -> None:
    """Dispatch writes one file set per row and person and marks the rows DELIVERED; a rerun sends nothing."""
    resignation(world, PLAIN, "approve")
    report = D.dispatch_due(world.app, config=config)
    assert (report.delivered, report.retried, report.dead) == (4, 0, 0)
    assert {r["status"] for r in rows(world)} == {"DELIVERED"}
    written = sorted(p.relative_to(files).parts[0] for p in files.rglob("*.txt"))
    assert written == ["bureau", "s1_office", "s1_party", "zhang"]
    zhang = next((files / "zhang").glob("*.txt")).read_text(encoding="utf-8")
    assert "辞职审批通知" in zhang
    assert "张三同志" in zhang
    assert D.dispatch_due(world.app, config=config).outcomes == []


def test_a_stop_request_ends_the_batch_between_rows(world: World, config: NotifyConfig) -> None:
    """A dispatcher told to stop (the scheduler got SIGTERM) finishes the row in hand and leaves the others
    PENDING for the next run, which delivers them."""
    resignation(world, PLAIN, "approve")
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1

    first = D.dispatch_due(world.app, config=config, stop=stop)
    assert (len(first.outcomes), first.delivered) == (1, 1)
    statuses = sorted(r["status"] for r in rows(world))
    assert len(statuses) > 1
    assert statuses == ["DELIVERED"] + ["PENDING"] * (len(statuses) - 1)
    rest = D.dispatch_due(world.app, config=config)
    assert rest.delivered == len(statuses) - 1
    assert {r["status"] for r in rows(world)} == {"DELIVERED"}


def test_crash_between_sending_and_marking_resends_with_the_same_key(world: World, config: NotifyConfig,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies after a send, before its mark: after the lease the same message goes out again with
    the same idempotency key (at-least-once), and the row is then DELIVERED."""
    resignation(world, PLAIN, "submit")
    recorder = Recorder()
    original = D.mark_delivered
    crashed: list[int] = []

    def crash_once(*args: Any) -> None:
        if not crashed:
            crashed.append(1)
            raise Crash
        original(*args)

    monkeypatch.setattr(D, "mark_delivered", crash_once)
    with pytest.raises(Crash):
        D.dispatch_due(world.app, config=config, channels={"file": recorder})
    first_key = recorder.sent[0].idempotency_key
    other_row = D.dispatch_due(world.app, config=config, channels={"file": recorder})
    assert other_row.delivered == 1
    clock(world).advance(timedelta(seconds=config.lease_seconds))
    report = D.dispatch_due(world.app, config=config, channels={"file": recorder})
    assert report.delivered == 1
    keys = [m.idempotency_key for m in recorder.sent]
    assert keys.count(first_key) == 2
    assert first_key.endswith(":s1_party")
    assert ":resignation.submitted:STREET_PARTY_COMMITTEE:" in first_key
    assert {r["status"] for r in rows(world)} == {"DELIVERED"}


def test_poison_message_is_dead_lettered_while_the_others_go_out(world: World, config: NotifyConfig) -> None:
    """A row whose snapshot cannot be rendered is dead-lettered at once; the rows around it are delivered in
    the same run."""
    resignation(world, PLAIN, "approve")
    all_rows = rows(world)
    poison = all_rows[1]
    payload = dict(poison["payload"])
    payload["context"] = {**payload["context"], "case": {"procedure": "resignation"}}
    with world.app.db.transaction() as s:
        s.update_outbox(poison["id"], payload=payload)
    recorder = Recorder()
    report = D.dispatch_due(world.app, config=config, channels={"file": recorder})
    assert [o.status for o in report.outcomes] == ["DELIVERED", "DEAD", "DELIVERED", "DELIVERED"]
    dead = next(r for r in rows(world) if r["id"] == poison["id"])
    assert dead["status"] == "DEAD"
    assert "无法生成" in dead["last_error"]
    assert len(recorder.sent) == 3


def test_transient_failures_back_off_exponentially_then_dead_letter(world: World,
                                                                   config: NotifyConfig) -> None:
    """A target that keeps failing is retried after 60 s, then 120 s (times from the clock), and dead-lettered
    at the third attempt; the other row of the same event is delivered meanwhile."""
    resignation(world, PLAIN, "submit")

    def fail_party(message: Message) -> None:
        if message.recipient_key == "s1_party":
            raise DeliveryError("connection refused")

    recorder = Recorder(fail_party)
    first = D.dispatch_due(world.app, config=config, channels={"file": recorder})
    assert sorted(o.status for o in first.outcomes) == ["DELIVERED", "RETRY"]
    retry = next(o for o in first.outcomes if o.status == "RETRY")
    assert retry.next_attempt_at == clock(world).now() + timedelta(seconds=60)
    clock(world).advance(timedelta(seconds=59))
    assert D.dispatch_due(world.app, config=config, channels={"file": recorder}).outcomes == []
    clock(world).advance(timedelta(seconds=1))
    second = D.dispatch_due(world.app, config=config, channels={"file": recorder})
    assert [(o.status, o.attempts) for o in second.outcomes] == [("RETRY", 2)]
    assert second.outcomes[0].next_attempt_at == clock(world).now() + timedelta(seconds=120)
    clock(world).advance(timedelta(seconds=120))
    third = D.dispatch_due(world.app, config=config, channels={"file": recorder})
    assert [(o.status, o.attempts) for o in third.outcomes] == [("DEAD", 3)]
    assert "connection refused" in (third.outcomes[0].error or "")


def test_retry_requeues_a_dead_row_and_it_is_delivered(world: World, config: NotifyConfig) -> None:
    """`retry` puts a dead row back (attempts reset, undelivered targets re-resolved); it then goes out."""
    resignation(world, PLAIN, "submit")

    def always(message: Message) -> None:
        raise DeliveryError("HTTP 400", permanent=True)

    report = D.dispatch_due(world.app, config=config, channels={"file": Recorder(always)})
    assert {o.status for o in report.outcomes} == {"DEAD"}
    dead_ids = [r["id"] for r in rows(world, status="DEAD")]
    assert D.retry(world.app, all_dead=True) == dead_ids
    assert {(r["status"], r["attempts"]) for r in rows(world)} == {("PENDING", 0)}
    recorder = Recorder()
    assert D.dispatch_due(world.app, config=config, channels={"file": recorder}).delivered == 2
    assert len(recorder.sent) == 2


def test_recipients_are_resolved_by_scope(nworld: World) -> None:
    """A street role reaches that street's users only; `worker` reaches the worker's account; e-mail targets
    exist for users with an address."""
    cid = dismissal(nworld, PLAIN, "open")
    config = NotifyConfig(smtp=SmtpConfig(host="127.0.0.1", port=25, security="none"))
    with nworld.app.db.read() as s:
        row = s.outbox_rows(case_id=cid, kinds=["dismissal.opened"])[0]
        assert row["recipient"] == "STREET_OFFICE"
        targets = resolve(s, row, config)
        assert [(t.key, t.channel, t.address) for t in targets] == [
            ("s1_office", "smtp", "s1-office@example.org")]
        worker_row = {**row, "recipient": "worker"}
        assert [t.key for t in resolve(s, worker_row, config)] == ["zhang"]


def test_unreachable_recipient_is_dead_lettered(nworld: World) -> None:
    """With e-mail as the only channel, a role whose users have no address cannot be reached: DEAD."""
    resignation(nworld, PLAIN, "approve")
    config = NotifyConfig(smtp=SmtpConfig(host="127.0.0.1", port=9, security="none"))
    report = D.dispatch_due(nworld.app, config=config, channels={})
    bureau = next(o for o in report.outcomes if o.recipient == "DISTRICT_CIVIL_AFFAIRS")
    assert bureau.status == "DEAD"
    assert "NO_RECIPIENT" in (bureau.error or "")


def test_role_nobody_holds_is_kept_under_role_at_scope(world: World, config: NotifyConfig,
                                                       files: Path) -> None:
    """A reminder to a role nobody holds is still recorded by the file channel, under ROLE@district."""
    cid = resignation(world, PLAIN, "submit")
    with world.app.db.transaction() as s:
        ids = enqueue_reminder(s, case_id=cid, kind="reminder.decision_pending", recipients=["DISTRICT_HR"],
                               key="dl9:r1", now=clock(world).now(), reminder={})
        again = enqueue_reminder(s, case_id=cid, kind="reminder.decision_pending", recipients=["DISTRICT_HR"],
                                 key="dl9:r1", now=clock(world).now(), reminder={})
    assert len(ids) == 1
    assert again == []
    D.dispatch_due(world.app, config=config)
    assert list((files / "DISTRICT_HR@DQ").glob("*.txt"))


def test_a_leased_row_is_not_claimed_twice(world: World, config: NotifyConfig) -> None:
    """Two dispatchers: a row claimed by one is invisible to the other until its lease ends."""
    resignation(world, PLAIN, "submit")
    now = clock(world).now()
    lease = now + timedelta(seconds=config.lease_seconds)
    with world.app.db.transaction() as s:
        first = s.claim_next_outbox(now, lease)
    with world.app.db.transaction() as s:
        second = s.claim_next_outbox(now, lease)
    with world.app.db.transaction() as s:
        third = s.claim_next_outbox(now, lease)
    assert first is not None
    assert second is not None
    assert first["id"] != second["id"]
    assert third is None
    with world.app.db.transaction() as s:
        assert s.claim_next_outbox(lease, lease + timedelta(seconds=1))["id"] == first["id"]  # type: ignore[index]
