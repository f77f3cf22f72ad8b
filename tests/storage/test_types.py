"""JSON and time-zone-aware timestamps behave the same on SQLite and PostgreSQL (issue 6): an aware instant
comes back as the same instant in UTC whatever offset it was written with, SQL compares instants (not wall
clock times), a naive datetime is refused, and JSON documents come back equal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.exc import StatementError

from engine.clock import LOCAL_TZ
from storage.db import make_engine
from storage.repository import Store
from storage.unit_of_work import Database

DOCUMENT: dict[str, Any] = {
    "名称": "东华社区 · 辞职",
    "emoji": "✅",
    "nested": {"list": [1, -2, 0.1, True, False, None, "三"], "empty": {}, "none": None},
    "big": 2**53 + 1,
    "z_first_in_text": 1,
    "a_last_in_text": 2,
}


@pytest.fixture(name="db")
def _db(db_url: str) -> Iterator[Database]:
    engine = make_engine(db_url)
    yield Database(engine)
    engine.dispose()


def _outbox(store: Store, key: str, at: datetime, payload: dict[str, Any] | None = None) -> int:
    return store.insert_outbox({"case_id": None, "audit_seq": None, "kind": "test", "recipient": "r",
                                "idempotency_key": key, "payload": payload or {}, "status": "PENDING",
                                "attempts": 0, "next_attempt_at": at, "created_at": at})


@pytest.mark.parametrize("written", [
    pytest.param(datetime(2025, 1, 6, 9, 0, 0, 123456, tzinfo=LOCAL_TZ), id="Asia-Shanghai"),
    pytest.param(datetime(2025, 1, 6, 1, 0, 0, 123456, tzinfo=UTC), id="UTC"),
    pytest.param(datetime(2025, 1, 5, 20, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-5))), id="minus-5"),
    pytest.param(datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=LOCAL_TZ), id="leap-day-last-microsecond"),
])
def test_an_aware_instant_comes_back_as_the_same_instant_in_utc(db: Database, written: datetime) -> None:
    """Whatever the offset written, the value read is equal, aware, in UTC, to the microsecond."""
    with db.transaction() as s:
        row_id = _outbox(s, "k", written)
    with db.read() as s:
        read = s.outbox_row(row_id)["next_attempt_at"]
    assert read == written
    assert read.utcoffset() == timedelta(0)
    assert read.microsecond == written.microsecond


def test_sql_compares_instants_not_wall_clock_times(db: Database) -> None:
    """08:30 in Shanghai (00:30Z) is due before 01:00Z, although its wall-clock time is later."""
    shanghai = datetime(2025, 1, 6, 8, 30, tzinfo=LOCAL_TZ)
    utc = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
    with db.transaction() as s:
        later = _outbox(s, "utc", utc)
        earlier = _outbox(s, "shanghai", shanghai)
    with db.transaction() as s:
        claimed = s.claim_next_outbox(datetime(2025, 1, 6, 0, 45, tzinfo=UTC), utc + timedelta(hours=1))
        assert claimed is not None
        assert claimed["id"] == earlier
        assert s.claim_next_outbox(datetime(2025, 1, 6, 0, 45, tzinfo=UTC), utc) is None  # 01:00Z not due yet
    with db.read() as s:
        assert s.outbox_row(later)["attempts"] == 0


def test_a_naive_datetime_is_refused(db: Database) -> None:
    """No backend guesses a time zone: writing a naive datetime fails and writes nothing."""
    with pytest.raises(StatementError, match="naive datetime refused"), db.transaction() as s:
        _outbox(s, "naive", datetime(2025, 1, 6, 9, 0))
    with db.read() as s:
        assert s.outbox() == []


def test_a_json_document_comes_back_equal(db: Database) -> None:
    """Chinese text, nested lists and objects, null, booleans, a float and an integer beyond 2**53."""
    with db.transaction() as s:
        row_id = _outbox(s, "json", datetime(2025, 1, 6, tzinfo=UTC), DOCUMENT)
    with db.read() as s:
        payload = s.outbox_row(row_id)["payload"]
    assert payload == DOCUMENT
    assert type(payload["big"]) is int
    assert type(payload["nested"]["list"][2]) is float
