"""Durable transitions per second on a SQLite file, beside a raw `sqlite3` baseline in the same run.

The engine drives re-hiring cases (考核聘用) through the CLI's write path (`Engine.open_case`/`fire`): every
call is one committed transaction with its version check, audit entry (hash-chained), deadline and
outbox rows.
The baseline then replays *the same rows* with the standard-library `sqlite3` module into a second fresh,
migrated file with the same pragmas (WAL, synchronous=FULL, BEGIN IMMEDIATE): per transaction it reads the
case row, updates it with the version check, appends each audit entry (reading the head, hashing canonical
JSON, inserting, moving the head), cancels and inserts deadlines, inserts outbox rows, and commits.

    python -m bench.transitions_sqlite [--cases N] [--scenario rehiring|resignation]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench import scenarios
from bench.common import Timer, bench_dir, fresh_sqlite, quiet_logs
from storage.db import make_engine
from storage.migrate import upgrade


@dataclass
class Run:
    calls: int
    entries: int
    seconds: float

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def replay_raw(source_url: str, target: Path, groups: list[list[int]]) -> Run:
    """Write the engine's rows again with plain sqlite3, one transaction per engine call."""
    src = sqlite3.connect(source_url.removeprefix("sqlite:///"))
    src.row_factory = sqlite3.Row
    audit = {r["seq"]: dict(r) for r in src.execute("SELECT * FROM audit_entries WHERE case_id IS NOT NULL")}
    cases = {r["id"]: dict(r) for r in src.execute("SELECT * FROM cases")}
    deadlines = [dict(r) for r in src.execute("SELECT * FROM deadlines ORDER BY id")]
    outbox = [dict(r) for r in src.execute("SELECT * FROM outbox ORDER BY id")]
    src.close()
    deadlines_by_entry: dict[int, list[dict[str, Any]]] = {}
    pending = list(deadlines)
    for seq in sorted(audit):
        e = audit[seq]
        if e["from_state"] == e["to_state"]:
            continue
        hit = [d for d in pending if d["case_id"] == e["case_id"] and d["state"] == e["to_state"]]
        for d in hit:
            pending.remove(d)
        deadlines_by_entry[seq] = hit
    outbox_by_entry: dict[int, list[dict[str, Any]]] = {}
    for o in outbox:
        outbox_by_entry.setdefault(o["audit_seq"], []).append(o)

    url = fresh_sqlite(target)
    upgrade(make_engine(url))
    db = sqlite3.connect(str(target), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    # Reference rows the cases point at (workers etc.) are copied once, outside the timed part.
    db.execute("ATTACH DATABASE ? AS src", (source_url.removeprefix("sqlite:///"),))
    for table in ("districts", "streets", "communities", "workers", "users", "terms", "appointments"):
        db.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table}")
    db.execute("DETACH DATABASE src")

    data_now: dict[int, dict[str, Any]] = {}
    version_now: dict[int, int] = {}
    entries = 0
    with Timer() as timer:
        for group in groups:
            first = audit[group[0]]
            case_id = first["case_id"]
            db.execute("BEGIN IMMEDIATE")
            if first["from_state"] is None:
                row = cases[case_id]
                body = json.loads(first["body"])
                data_now[case_id] = {**body.get("payload", {}), **body.get("computed", {})}
                version_now[case_id] = 1
                db.execute(
                    "INSERT INTO cases (id, procedure, procedure_version, pack, pack_version, state, version,"
                    " closed, worker_id, district_id, street_id, community_id, parent_case_id, owner_user_id,"
                    " data, opened_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        case_id,
                        row["procedure"],
                        row["procedure_version"],
                        row["pack"],
                        row["pack_version"],
                        first["to_state"],
                        1,
                        0,
                        row["worker_id"],
                        row["district_id"],
                        row["street_id"],
                        row["community_id"],
                        row["parent_case_id"],
                        row["owner_user_id"],
                        json.dumps(data_now[case_id], ensure_ascii=False),
                        first["at"],
                        first["at"],
                    ),
                )
                rest = group[1:]
            else:
                rest = group
            for seq in rest:
                e = audit[seq]
                db.execute("SELECT state, version, data FROM cases WHERE id = ?", (case_id,)).fetchone()
                body = json.loads(e["body"])
                data_now[case_id] = {
                    **data_now[case_id],
                    **body.get("payload", {}),
                    **body.get("computed", {}),
                }
                cur = db.execute(
                    "UPDATE cases SET state = ?, data = ?, version = ?, updated_at = ?"
                    " WHERE id = ? AND version = ?",
                    (
                        e["to_state"],
                        json.dumps(data_now[case_id], ensure_ascii=False),
                        version_now[case_id] + 1,
                        e["at"],
                        case_id,
                        version_now[case_id],
                    ),
                )
                assert cur.rowcount == 1
                version_now[case_id] += 1
            for seq in group:
                e = audit[seq]
                head_seq, head_hash = db.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
                fields = {
                    k: e[k]
                    for k in (
                        "case_id",
                        "procedure",
                        "action",
                        "from_state",
                        "to_state",
                        "actor_login",
                        "actor_name",
                        "role",
                        "at",
                    )
                }
                fields["seq"] = head_seq + 1
                fields["body"] = json.loads(e["body"])
                canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                digest = hashlib.sha256((head_hash + canonical).encode()).hexdigest()
                db.execute(
                    "INSERT INTO audit_entries (seq, case_id, procedure, action, from_state, to_state,"
                    " actor_login,"
                    " actor_name, role, at, body, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        head_seq + 1,
                        e["case_id"],
                        e["procedure"],
                        e["action"],
                        e["from_state"],
                        e["to_state"],
                        e["actor_login"],
                        e["actor_name"],
                        e["role"],
                        e["at"],
                        e["body"],
                        head_hash,
                        digest,
                    ),
                )
                db.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (head_seq + 1, digest))
                if e["from_state"] is not None and e["from_state"] != e["to_state"]:
                    db.execute(
                        "UPDATE deadlines SET status = 'CANCELLED' WHERE case_id = ? AND state = ?"
                        " AND status = 'PENDING'",
                        (case_id, e["from_state"]),
                    )
                for d in deadlines_by_entry.get(seq, []):
                    db.execute(
                        "INSERT INTO deadlines (case_id, key, kind, fires, state, due_at, status, rule_id,"
                        " basis,"
                        " provisional, created_at, attempts) VALUES (?,?,?,?,?,?,'PENDING',?,?,?,?,0)",
                        (
                            d["case_id"],
                            d["key"],
                            d["kind"],
                            d["fires"],
                            d["state"],
                            d["due_at"],
                            d["rule_id"],
                            d["basis"],
                            d["provisional"],
                            d["created_at"],
                        ),
                    )
                for o in outbox_by_entry.get(seq, []):
                    db.execute(
                        "INSERT INTO outbox (case_id, audit_seq, kind, recipient, idempotency_key, payload,"
                        " status,"
                        " attempts, next_attempt_at, created_at) VALUES (?,?,?,?,?,?,'PENDING',0,?,?)",
                        (
                            o["case_id"],
                            seq,
                            o["kind"],
                            o["recipient"],
                            o["idempotency_key"],
                            o["payload"],
                            o["next_attempt_at"],
                            o["created_at"],
                        ),
                    )
                entries += 1
            db.execute("COMMIT")
    db.close()
    return Run(len(groups), entries, timer.seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--scenario", default="rehiring", choices=sorted(scenarios.SCENARIOS))
    args = parser.parse_args()
    quiet_logs()
    folder = bench_dir()
    url = fresh_sqlite(folder / "engine.db")
    scenario = scenarios.SCENARIOS[args.scenario](url, args.cases)
    with Timer() as timer:
        groups = scenario.drive()
    engine_run = Run(len(groups), sum(len(g) for g in groups), timer.seconds)
    raw_run = replay_raw(url, folder / "raw.db", groups)
    ratio = engine_run.calls_per_second / raw_run.calls_per_second
    print(
        f"scenario: {args.scenario}, cases: {args.cases}, transactions: {engine_run.calls}, "
        f"audit entries: {engine_run.entries}"
    )
    print(f"engine   : {engine_run.calls_per_second:8.0f} durable transitions/s ({engine_run.seconds:.2f} s)")
    print(f"raw      : {raw_run.calls_per_second:8.0f} durable transitions/s ({raw_run.seconds:.2f} s)")
    print(f"ratio    : {ratio:.2f}x of raw sqlite3")


if __name__ == "__main__":
    main()
