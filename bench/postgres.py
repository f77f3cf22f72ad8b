"""PostgreSQL benchmarks (issue 6), on a durable server: fsync, synchronous_commit and full_page_writes on.

1. transitions: durable transitions per second through the engine's write path (re-hiring cases, as in
   bench/transitions_sqlite.py: each call one committed transaction with its version check, hash-chained
   audit entry, deadline and outbox rows), beside raw psycopg writing *the same rows* in the same run into a
   second database: per engine call one transaction that locks the audit head, reads the case and updates it
   with the version check, appends each audit entry (reading the head, hashing canonical JSON, inserting,
   moving the head), cancels and inserts deadlines, inserts outbox rows, and commits. The raw rows get the
   same seq and hash as the engine's (checked: its chain verifies and its head equals the engine's).
2. sweep: due RES-5 deadlines fired by 1, 2 and 4 processes at once (`engine.deadlines.fire_due` in each,
   started together by a barrier), each on a fresh copy of one seeded database (tests/support/seed.py);
   deadlines per second from the barrier to the last process done, with a check that each fired once.

The server is a throwaway cluster on disk (initdb in a temporary directory, removed afterwards), or the one
`SHEQU_BENCH_PG_URL` names (a role that may create databases).

    python -m bench.postgres [--cases N] [--scenario rehiring|resignation] [--sweep N] [--processes 1,2,4]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Json

from bench import scenarios
from bench.common import Timer, quiet_logs
from engine.app import build
from engine.audit import verify
from engine.deadlines import fire_due
from storage.db import make_engine
from storage.migrate import upgrade
from tests.support.postgres import Server, conninfo
from tests.support.seed import seed_due_resignations

REFERENCE = ("districts", "streets", "communities", "workers", "users", "terms", "appointments")
INSERT_CASE = (
    "INSERT INTO cases (id, procedure, procedure_version, pack, pack_version, state, version, closed,"
    " worker_id, district_id, street_id, community_id, parent_case_id, owner_user_id, data, opened_at,"
    " updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
)
INSERT_AUDIT = (
    "INSERT INTO audit_entries (seq, case_id, procedure, action, from_state, to_state, actor_login,"
    " actor_name, role, at, body, prev_hash, hash) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
)
INSERT_DEADLINE = (
    "INSERT INTO deadlines (case_id, key, kind, fires, state, due_at, status, rule_id, basis, provisional,"
    " created_at, attempts, start_date, period, calendar_version)"
    " VALUES (%s,%s,%s,%s,%s,%s,'PENDING',%s,%s,%s,%s,0,%s,%s,%s)"
)
INSERT_OUTBOX = (
    "INSERT INTO outbox (case_id, audit_seq, kind, recipient, idempotency_key, payload, status, attempts,"
    " next_attempt_at, created_at) VALUES (%s,%s,%s,%s,%s,%s,'PENDING',0,%s,%s)"
)
ENTRY_FIELDS = (
    "case_id",
    "procedure",
    "action",
    "from_state",
    "to_state",
    "actor_login",
    "actor_name",
    "role",
)


@dataclass
class Run:
    calls: int
    entries: int
    seconds: float

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds


def _canonical(value: Any) -> Any:
    return value.isoformat(timespec="microseconds") if isinstance(value, datetime) else value


def _copy_table(
    src: psycopg.Connection[Any], dst: psycopg.Connection[Any], table: str, where: str = ""
) -> None:
    rows = src.execute(f"SELECT * FROM {table} {where} ORDER BY 1").fetchall()  # referenced rows first
    if not rows:
        return
    cols = list(rows[0])
    dst.cursor().executemany(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",
        [[Json(v) if isinstance(v, dict | list) else v for v in r.values()] for r in rows],
    )
    if "id" in cols:  # the engine inserts later rows through the sequence
        dst.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def replay_raw(source_url: str, target_url: str, groups: list[list[int]]) -> Run:
    """Write the engine's rows again with plain psycopg, one transaction per engine call."""
    first_seq = min(seq for g in groups for seq in g)
    with psycopg.connect(conninfo(source_url), row_factory=dict_row) as src:
        audit = {
            r["seq"]: r for r in src.execute("SELECT * FROM audit_entries WHERE seq >= %s", (first_seq,))
        }
        cases = {r["id"]: r for r in src.execute("SELECT * FROM cases")}
        deadlines = src.execute("SELECT * FROM deadlines ORDER BY id").fetchall()
        outbox = src.execute("SELECT * FROM outbox ORDER BY id").fetchall()
        engine_head = src.execute("SELECT seq, hash FROM audit_head").fetchone()
        # Reference rows and the audit entries written before the timed calls are copied once, untimed.
        upgrade(make_engine(target_url))
        with psycopg.connect(conninfo(target_url), row_factory=dict_row) as dst:
            for table in REFERENCE:
                _copy_table(src, dst, table)
            _copy_table(src, dst, "audit_entries", f"WHERE seq < {first_seq}")
            prior = src.execute(
                "SELECT seq, hash FROM audit_entries WHERE seq = %s", (first_seq - 1,)
            ).fetchone()
            if prior:
                dst.execute(
                    "UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", (prior["seq"], prior["hash"])
                )
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

    data_now: dict[int, dict[str, Any]] = {}
    version_now: dict[int, int] = {}
    entries = 0
    with psycopg.connect(conninfo(target_url)) as db, Timer() as timer:
        for group in groups:
            first = audit[group[0]]
            case_id = first["case_id"]
            with db.transaction():
                db.execute("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
                if first["from_state"] is None:
                    row = cases[case_id]
                    data_now[case_id] = {
                        **first["body"].get("payload", {}),
                        **first["body"].get("computed", {}),
                    }
                    version_now[case_id] = 1
                    db.execute(
                        INSERT_CASE,
                        (
                            case_id,
                            row["procedure"],
                            row["procedure_version"],
                            row["pack"],
                            row["pack_version"],
                            first["to_state"],
                            1,
                            False,
                            row["worker_id"],
                            row["district_id"],
                            row["street_id"],
                            row["community_id"],
                            row["parent_case_id"],
                            row["owner_user_id"],
                            Json(data_now[case_id]),
                            first["at"],
                            first["at"],
                        ),
                    )
                    rest = group[1:]
                else:
                    rest = group
                for seq in rest:
                    e = audit[seq]
                    db.execute("SELECT state, version, data FROM cases WHERE id = %s", (case_id,)).fetchone()
                    data_now[case_id] = {
                        **data_now[case_id],
                        **e["body"].get("payload", {}),
                        **e["body"].get("computed", {}),
                    }
                    cur = db.execute(
                        "UPDATE cases SET state = %s, data = %s, version = %s, updated_at = %s"
                        " WHERE id = %s AND version = %s",
                        (
                            e["to_state"],
                            Json(data_now[case_id]),
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
                    head = db.execute("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE").fetchone()
                    assert head is not None
                    head_seq, head_hash = head
                    fields = {k: e[k] for k in ENTRY_FIELDS}
                    fields.update(seq=head_seq + 1, at=e["at"], body=e["body"])
                    canonical = json.dumps(
                        {k: _canonical(v) for k, v in fields.items()},
                        ensure_ascii=False,
                        sort_keys=True,
                        separators=(",", ":"),
                    )
                    digest = hashlib.sha256((head_hash + canonical).encode("utf-8")).hexdigest()
                    db.execute(
                        INSERT_AUDIT,
                        (
                            head_seq + 1,
                            *(e[k] for k in ENTRY_FIELDS),
                            e["at"],
                            Json(e["body"]),
                            head_hash,
                            digest,
                        ),
                    )
                    db.execute(
                        "UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", (head_seq + 1, digest)
                    )
                    if e["from_state"] is not None and e["from_state"] != e["to_state"]:
                        db.execute(
                            "UPDATE deadlines SET status = 'CANCELLED' WHERE case_id = %s AND state = %s"
                            " AND status = 'PENDING'",
                            (case_id, e["from_state"]),
                        )
                    for d in deadlines_by_entry.get(seq, []):
                        db.execute(
                            INSERT_DEADLINE,
                            (
                                d["case_id"],
                                d["key"],
                                d["kind"],
                                d["fires"],
                                d["state"],
                                d["due_at"],
                                d["rule_id"],
                                Json(d["basis"]),
                                d["provisional"],
                                d["created_at"],
                                d["start_date"],
                                d["period"],
                                d["calendar_version"],
                            ),
                        )
                    for o in outbox_by_entry.get(seq, []):
                        db.execute(
                            INSERT_OUTBOX,
                            (
                                o["case_id"],
                                seq,
                                o["kind"],
                                o["recipient"],
                                o["idempotency_key"],
                                Json(o["payload"]),
                                o["next_attempt_at"],
                                o["created_at"],
                            ),
                        )
                    entries += 1
        raw_head = db.execute("SELECT seq, hash FROM audit_head").fetchone()
    assert raw_head == (engine_head["seq"], engine_head["hash"]), "the raw rows are not the engine's rows"
    return Run(len(groups), entries, timer.seconds)


def transitions(server: Server, scenario_name: str, cases: int) -> None:
    engine_url = server.create("bench_engine")
    scenario = scenarios.SCENARIOS[scenario_name](engine_url, cases)
    with Timer() as timer:
        groups = scenario.drive()
    scenario.app.db.engine.dispose()
    engine_run = Run(len(groups), sum(len(g) for g in groups), timer.seconds)
    raw_url = server.create("bench_raw")
    raw_run = replay_raw(engine_url, raw_url, groups)
    check = build(raw_url)
    with check.db.read() as s:
        assert verify(s.audit_entries(), *s.audit_head()).ok
    check.db.engine.dispose()
    print(
        f"transitions — scenario: {scenario_name}, cases: {cases}, transactions: {engine_run.calls}, "
        f"audit entries: {engine_run.entries}"
    )
    print(
        f"  engine   : {engine_run.calls_per_second:8.0f} durable transitions/s ({engine_run.seconds:.2f} s)"
    )
    print(f"  raw      : {raw_run.calls_per_second:8.0f} durable transitions/s ({raw_run.seconds:.2f} s)")
    print(f"  ratio    : {engine_run.calls_per_second / raw_run.calls_per_second:.2f}x of raw psycopg")


def _sweeper(url: str, barrier: Any, results: Any) -> None:
    quiet_logs()
    app = build(url)
    with app.db.read() as s:  # connect and warm up before the start
        s.audit_head()
    barrier.wait(timeout=120)
    fired = Counter(f.outcome for f in fire_due(app.engine).processed)
    results.put((dict(fired), time.monotonic()))
    app.db.engine.dispose()


def sweep(server: Server, deadlines: int, counts: list[int]) -> None:
    template = server.create("bench_sweep_tpl")
    seed_due_resignations(template, deadlines, migrate=True)
    template_name = template.rsplit("/", 1)[1]
    ctx = multiprocessing.get_context("spawn")
    print(
        f"sweep — {deadlines} due RES-5 deadlines (claim FOR UPDATE SKIP LOCKED, mark FIRED, the "
        f"mark_overdue transition with its audit entry and notice; one transaction each)"
    )
    for n in counts:
        url = server.create(f"bench_sweep{n}", template=template_name)
        barrier, results = ctx.Barrier(n + 1), ctx.Queue()
        procs = [ctx.Process(target=_sweeper, args=(url, barrier, results)) for _ in range(n)]
        for p in procs:
            p.start()
        barrier.wait(timeout=120)
        began = time.monotonic()
        outcomes = [results.get(timeout=3600) for _ in procs]
        for p in procs:
            p.join()
        seconds = max(end for _, end in outcomes) - began
        fired = [o.get("FIRED", 0) for o, _ in outcomes]
        app = build(url)
        with app.db.read() as s:
            assert verify(s.audit_entries(), *s.audit_head()).ok
            left = s.deadline_rows(status="PENDING", limit=1)
        app.db.engine.dispose()
        assert sum(fired) == deadlines, fired
        assert not left, left
        print(
            f"  {n} process{'es' if n > 1 else '  '}: {deadlines / seconds:7.0f} deadlines/s "
            f"({seconds:.2f} s; fired per process {fired})"
        )
        server.drop(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--scenario", default="rehiring", choices=sorted(scenarios.SCENARIOS))
    parser.add_argument("--sweep", type=int, default=3000, help="due deadlines for the sweep (0: skip)")
    parser.add_argument("--processes", default="1,2,4")
    args = parser.parse_args()
    quiet_logs()
    server = Server.start(env="SHEQU_BENCH_PG_URL", durable=True)
    try:
        with psycopg.connect(conninfo(server.url)) as conn:
            settings = {
                k: conn.execute(f"SHOW {k}").fetchone()[0]  # type: ignore[index]
                for k in ("server_version", "fsync", "synchronous_commit", "full_page_writes")
            }
        print(
            "PostgreSQL "
            + ", ".join(f"{k}={v}" for k, v in settings.items())
            + f" ({'throwaway cluster on disk' if server.cluster else 'SHEQU_BENCH_PG_URL'}; "
            f"{datetime.now(UTC):%Y-%m-%d})"
        )
        if args.cases:
            transitions(server, args.scenario, args.cases)
        if args.sweep:
            sweep(server, args.sweep, [int(n) for n in args.processes.split(",")])
    finally:
        server.close()


if __name__ == "__main__":
    main()
