"""The audit hash chain: every kind of tampering with the stored rows is caught at the right seq.

Tampering is done the way an intruder with file access would: raw SQL on the SQLite file through
the `sqlite3` module, bypassing the engine. Known limit (inherent to an unkeyed chain): someone who
rewrites a row, every later row AND the head row consistently is not detectable from the file alone;
that needs the head hash exported elsewhere (not tested here).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.audit import GENESIS_HASH, entry_hash, hashed_fields, verify
from engine.text import has
from storage.records import AuditRecord
from tests.conftest import World
from tests.engine.snapshot import verify_db


@dataclass
class Chain:
    world: World
    path: Path
    k: int  # a middle entry: the approval of the resignation
    n: int  # the last entry
    records: dict[int, AuditRecord]


@pytest.fixture(name="chain")
def _chain(world: World, db_url: str) -> Chain:
    e = world.app.engine
    r = e.open_case("resignation", "zhang", {"submitted_on": "2025-01-06", "written": True,
                                             "document_ref": "D1"}, worker_id=world.worker_id)
    e.fire(r.case_id, "approve", "s1_party", {"decided_on": "2025-01-06", "minutes_ref": "M1"})
    e.fire(r.case_id, "record_filing", "bureau", {"filed_on": "2025-01-07", "filing_no": "B1"})
    with world.app.db.read() as s:
        records = {a.seq: a for a in s.audit_entries()}
        head_seq, _ = s.audit_head()
    (k,) = [a.seq for a in records.values() if a.action == "approve"]
    assert 2 < k < head_seq
    world.app.db.engine.dispose()  # release pooled connections before writing behind the engine's back
    return Chain(world, Path(db_url.removeprefix("sqlite:///")), k, head_seq, records)


@pytest.fixture(name="raw")
def _raw(chain: Chain) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(chain.path, isolation_level=None)) as con:
        yield con


def _forge_at(con: sqlite3.Connection, c: Chain, seq: int, *, prev_hash: str, rehash: bool) -> None:
    """Insert a row at `seq` copying row k's stored columns with a forged payload."""
    src = c.records[c.k]
    body = {**src.body, "payload": {**src.body["payload"], "minutes_ref": "FORGED"}}
    digest = "f" * 64
    if rehash:
        fields = hashed_fields(seq=seq, case_id=src.case_id, procedure=src.procedure, action=src.action,
                               from_state=src.from_state, to_state=src.to_state, actor_login=src.actor_login,
                               actor_name=src.actor_name, role=src.role, at=src.at, body=body)
        digest = entry_hash(prev_hash, fields)
    (at_raw,) = con.execute("SELECT at FROM audit_entries WHERE hash = ?", (src.hash,)).fetchone()
    con.execute(
        "INSERT INTO audit_entries (seq, case_id, procedure, action, from_state, to_state, actor_login,"
        " actor_name, role, at, body, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (seq, src.case_id, src.procedure, src.action, src.from_state, src.to_state, src.actor_login,
         src.actor_name, src.role, at_raw, json.dumps(body, ensure_ascii=False), prev_hash, digest))


def _shift_up_from(con: sqlite3.Connection, seq: int) -> None:
    con.execute("UPDATE audit_entries SET seq = -seq - 1 WHERE seq >= ?", (seq,))
    con.execute("UPDATE audit_entries SET seq = -seq WHERE seq < 0")


def _swap(con: sqlite3.Connection, a: int, b: int) -> None:
    con.execute("UPDATE audit_entries SET seq = -1 WHERE seq = ?", (a,))
    con.execute("UPDATE audit_entries SET seq = ? WHERE seq = ?", (a, b))
    con.execute("UPDATE audit_entries SET seq = ? WHERE seq = -1", (b,))


def _edit_body(con: sqlite3.Connection, c: Chain) -> None:
    (text,) = con.execute("SELECT body FROM audit_entries WHERE seq = ?", (c.k,)).fetchone()
    body = json.loads(text)
    body["payload"]["decided_on"] = "2025-01-01"
    text = json.dumps(body, ensure_ascii=False)
    con.execute("UPDATE audit_entries SET body = ? WHERE seq = ?", (text, c.k))


Tamper = Callable[[sqlite3.Connection, Chain], object]


def _sql(statement: str) -> Tamper:
    """Raw SQL with :k (a middle seq), :n (the last seq) and :bad (a made-up hash)."""
    return lambda con, c: con.execute(statement, {"k": c.k, "n": c.n, "bad": "e" * 64})


def _insert_forged_middle(rehash: bool) -> Tamper:
    def tamper(con: sqlite3.Connection, c: Chain) -> None:
        _shift_up_from(con, c.k)
        _forge_at(con, c, c.k, prev_hash=c.records[c.k - 1].hash, rehash=rehash)
    return tamper


def _append_forged(con: sqlite3.Connection, c: Chain) -> None:
    _forge_at(con, c, c.n + 1, prev_hash=c.records[c.n].hash, rehash=True)


def _k(c: Chain) -> int:
    return c.k


def _n(c: Chain) -> int:
    return c.n


UPDATE = "UPDATE audit_entries SET "
TAMPERING: list[object] = [
    pytest.param(_edit_body, "content", _k, id="AUD-edit-body"),
    pytest.param(_sql(UPDATE + "actor_login = 'bureau', actor_name = '东区民政局' WHERE seq = :k"),
                 "content", _k, id="AUD-edit-actor"),
    pytest.param(_sql(UPDATE + "to_state = 'RETURNED' WHERE seq = :k"), "content", _k,
                 id="AUD-edit-to-state"),
    pytest.param(_sql(UPDATE + "at = '2024-12-31 01:00:00.000000' WHERE seq = :k"),
                 "content", _k, id="AUD-edit-timestamp"),
    pytest.param(_sql(UPDATE + "hash = :bad WHERE seq = :k"), "content", _k, id="AUD-edit-own-hash"),
    pytest.param(_sql(UPDATE + "prev_hash = :bad WHERE seq = :k"), "link", _k, id="AUD-edit-prev-hash"),
    pytest.param(_sql(UPDATE + "body = json_set(body, '$.schema_version', 99) WHERE seq = :k"),
                 "schema", _k, id="AUD-unknown-schema-version"),
    pytest.param(_sql("DELETE FROM audit_entries WHERE seq = :k"), "gap", _k, id="AUD-delete-middle-row"),
    pytest.param(_sql("DELETE FROM audit_entries WHERE seq = 1"), "gap", lambda c: 1,
                 id="AUD-delete-first-row"),
    pytest.param(_sql("DELETE FROM audit_entries WHERE seq = :n"), "head", _n,
                 id="AUD-delete-last-row-head-mismatch"),
    pytest.param(_sql("DELETE FROM audit_entries WHERE seq >= :k"), "head", _k, id="AUD-truncate-tail"),
    pytest.param(lambda con, c: _swap(con, c.k, c.k + 1), "link", _k, id="AUD-swap-adjacent-seq"),
    pytest.param(lambda con, c: _swap(con, 2, c.k), "link", lambda c: 2, id="AUD-swap-distant-seq"),
    pytest.param(_insert_forged_middle(rehash=False), "content", _k, id="AUD-insert-forged-row-middle"),
    pytest.param(_insert_forged_middle(rehash=True), "link", lambda c: c.k + 1,
                 id="AUD-insert-rehashed-forged-row-middle"),
    pytest.param(_append_forged, "head", lambda c: c.n + 1, id="AUD-append-rehashed-forged-row-past-head"),
    pytest.param(_sql("UPDATE audit_head SET hash = :bad"), "head", _n, id="AUD-edit-head-hash"),
]


def test_untouched_chain_verifies(chain: Chain) -> None:
    """After the world's set-up and three transitions the whole chain verifies against its head."""
    report = verify_db(chain.world.app.db)
    assert report.ok
    assert report.checked == chain.n
    assert chain.records[1].prev_hash == GENESIS_HASH


@pytest.mark.parametrize(("tamper", "problem", "first_bad"), TAMPERING)
def test_tampering_is_detected_at_the_first_bad_seq(chain: Chain, raw: sqlite3.Connection, tamper: Tamper,
                                                    problem: str, first_bad: Callable[[Chain], int]) -> None:
    """Each kind of raw-SQL tampering makes verify fail, naming the kind and the first bad seq."""
    tamper(raw, chain)
    report = verify_db(chain.world.app.db)
    assert not report.ok
    assert (report.problem, report.first_bad_seq) == (problem, first_bad(chain))
    assert has(f"audit.problem.{problem}")


def test_case_filter_does_not_replace_full_verification(chain: Chain) -> None:
    """verify walks the whole chain: a per-case subset is not a chain and does not verify."""
    with chain.world.app.db.read() as s:
        subset = list(s.audit_entries(case_id=chain.records[chain.k].case_id))
        head = s.audit_head()
    assert not verify(subset, *head).ok
