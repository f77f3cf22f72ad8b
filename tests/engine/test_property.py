"""Stateful property test of the one write path: random triggers by random actors with plausible payloads.

After every step: each stored state is a declared state of its procedure; a rejected call changed
nothing (cases, audit head, deadlines, outbox, appointments identical); pending deadlines belong to
the state their case is in; the audit chain verifies. A rule tampers with one random audit row inside
a rolled-back transaction and checks `verify` names it; at the end every row written in the run is
edited, deleted and swapped with its successor in turn, and each is detected.

Procedures are plugged in through `tests/engine/property_plugs.py`.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Connection

from engine.app import App, build
from engine.audit import VerifyReport, verify
from engine.clock import FrozenClock, local_date
from engine.deadlines import fire_due
from engine.errors import ShequFlowError
from engine.guards import SYSTEM_ACTOR
from storage.repository import Store
from tests.conftest import World
from tests.engine.property_plugs import PLUGS, Plug
from tests.engine.snapshot import snapshot
from workflows import ALL_PROCEDURES

SETTINGS = settings(max_examples=40, stateful_step_count=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
VERSION_MODES = ("none", "current", "current", "stale")


def _tampered_verify(conn: Connection, sql: list[tuple[str, tuple[Any, ...]]]) -> VerifyReport:
    """Apply raw SQL inside a savepoint, verify through the Store, roll the savepoint back."""
    savepoint = conn.begin_nested()
    try:
        for statement, params in sql:
            conn.exec_driver_sql(statement, params)
        store = Store(conn)
        return verify(store.audit_entries(), *store.audit_head())
    finally:
        savepoint.rollback()


def _tampering(seq: int, last: int) -> list[tuple[str, list[tuple[str, tuple[Any, ...]]], str, int]]:
    """(kind, SQL, expected problem, expected first bad seq) for editing, deleting and reordering `seq`."""
    out: list[tuple[str, list[tuple[str, tuple[Any, ...]]], str, int]] = [
        ("edit", [("UPDATE audit_entries SET actor_name = actor_name || '·' WHERE seq = ?", (seq,))],
         "content", seq),
        ("delete", [("DELETE FROM audit_entries WHERE seq = ?", (seq,))],
         "head" if seq == last else "gap", seq),
    ]
    if seq < last:
        out.append(("swap", [("UPDATE audit_entries SET seq = -1 WHERE seq = ?", (seq,)),
                             ("UPDATE audit_entries SET seq = ? WHERE seq = ?", (seq, seq + 1)),
                             ("UPDATE audit_entries SET seq = ? WHERE seq = -1", (seq + 1,))],
                    "link", seq))
    return out


class EngineMachine(RuleBasedStateMachine):
    """One fresh copy of the seeded world per example; cases opened and driven at random."""

    seeded: Path
    workdir: Path
    world: World
    plugs: tuple[Plug, ...]
    logins: tuple[str, ...]
    start: Any
    _ids = count()

    def __init__(self) -> None:
        super().__init__()
        path = self.workdir / f"example-{next(self._ids)}.db"
        shutil.copy(self.seeded, path)
        self.clock = FrozenClock(self.start)
        self.app: App = build(f"sqlite:///{path}", self.clock)
        self.procs = {p.code: p for p in ALL_PROCEDURES}
        self.cases: list[int] = []
        with self.app.db.read() as s:
            self.seed_head = s.audit_head()[0]
            # Cases opened by the plugs' setups: fired on too, after the example's own (drawn less often).
            self.seeded_cases = [c.id for c in s.list_cases(limit=100_000)]
        self.clean = True

    # ------------------------------------------------------------ helpers
    def _today(self) -> Any:
        return local_date(self.clock.now())

    def _assert_unchanged(self, before: Any, exc: ShequFlowError) -> None:
        after = snapshot(self.app.db)
        assert after == before, f"rejected with {exc.code} but something was written"

    # ------------------------------------------------------------ rules
    @rule(data=st.data())
    def open_case(self, data: st.DataObject) -> None:
        self.clean = False
        plug = PLUGS[data.draw(st.sampled_from([p.code for p in self.plugs]), label="procedure")]
        proc = self.procs[plug.code]
        login = data.draw(st.one_of(st.sampled_from(plug.openers), st.sampled_from(self.logins)),
                          label="opener")
        factory = plug.payloads.get(proc.opening_step.trigger)
        body = data.draw(factory(self._today()), label="payload") if factory else {}
        before = snapshot(self.app.db)
        try:
            result = self.app.engine.open_case(plug.code, login, body, **plug.open_kwargs(self.world))
        except ShequFlowError as exc:
            event(f"open rejected: {exc.code}")
            self._assert_unchanged(before, exc)
        else:
            event("open ok")
            self.cases.append(result.case_id)
            self._check_result(result, before)
        self.clean = True

    @precondition(lambda self: bool(self.cases or self.seeded_cases))
    @rule(data=st.data())
    def fire(self, data: st.DataObject) -> None:
        self.clean = False
        case_id = data.draw(st.sampled_from(self.cases + self.seeded_cases), label="case")
        with self.app.db.read() as s:
            case = s.get_case(case_id)
        proc = self.procs[case.procedure]
        plug = PLUGS[case.procedure]
        everything = [s.trigger for s in proc.steps]
        available = [s.trigger for s in proc.steps_from(case.state)]
        trigger = data.draw(st.one_of(st.sampled_from(available or everything), st.sampled_from(everything)),
                            label="trigger")
        hints = plug.actors.get(trigger, ())
        login = data.draw(st.one_of(st.sampled_from(hints), st.sampled_from(self.logins)) if hints
                          else st.sampled_from(self.logins), label="actor")
        mode = data.draw(st.sampled_from(VERSION_MODES), label="expected_version")
        expected = {"none": None, "current": case.version, "stale": case.version - 1}[mode]
        factory = plug.payloads.get(trigger)
        body = data.draw(factory(self._today()), label="payload") if factory else {}
        before = snapshot(self.app.db)
        refused: str | None = None
        try:
            result = self.app.engine.fire(case_id, trigger, login, body, expected_version=expected)
        except ShequFlowError as exc:
            event(f"fire rejected: {exc.code}")
            self._assert_unchanged(before, exc)
            refused = exc.code
        if refused is not None:
            # A stale caller is always told about the conflict first, whatever else is wrong.
            assert mode != "stale" or refused == "CASE_VERSION_CONFLICT", refused
        else:
            event(f"fire ok: {trigger} -> {result.state}")
            assert mode != "stale", "a stale expected version was accepted"
            assert result.version > case.version
            self._check_result(result, before)
        self.clean = True

    @rule(days=st.integers(1, 45))
    def time_passes(self, days: int) -> None:
        """The clock moves on and the deadline sweep runs (as the scheduler would)."""
        self.clean = False
        self.clock.advance(timedelta(days=days))
        for fired in fire_due(self.app.engine):
            event(f"deadline {fired.fires}: {fired.outcome}")
        with self.app.db.read() as s:
            overdue = s.deadlines(status="PENDING", due_before=self.clock.now())
        assert overdue == [], "the sweep left a due deadline pending"
        self.clean = True

    @precondition(lambda self: bool(self.cases))
    @rule(data=st.data())
    def tamper_one_row(self, data: st.DataObject) -> None:
        """Editing, deleting or reordering one stored row (then rolled back) is named by verify."""
        self.clean = False
        with self.app.db.read() as s:
            last = s.audit_head()[0]
        seq = data.draw(st.integers(1, last), label="seq")
        kind, sql, problem, first_bad = data.draw(st.sampled_from(_tampering(seq, last)), label="tampering")
        with self.app.db.engine.connect() as conn, conn.begin() as tx:
            report = _tampered_verify(conn, sql)
            tx.rollback()
        assert (report.ok, report.problem, report.first_bad_seq) == (False, problem, first_bad), kind
        self.clean = True

    # ------------------------------------------------------------ checks
    def _check_result(self, result: Any, before: Any) -> None:
        """A success wrote exactly the result's audit entries for this case, in order, after the old head."""
        with self.app.db.read() as s:
            new = [a for a in s.audit_entries(case_id=result.case_id, after_seq=before.audit_head[0])]
            stored = s.get_case(result.case_id)
        assert [a.seq for a in new] == [step.audit_seq for step in result.steps]
        assert [(a.action, a.to_state) for a in new] == [(st_.trigger, st_.to_state) for st_ in result.steps]
        assert (stored.state, stored.version) == (result.state, result.version)

    @invariant()
    def states_are_declared_and_closed_flag_matches(self) -> None:
        with self.app.db.read() as s:
            for case in s.list_cases(limit=100_000):
                proc = self.procs[case.procedure]
                assert case.state in proc.states, (case.procedure, case.state)
                assert case.closed == (case.state in proc.final), (case.id, case.state, case.closed)

    @invariant()
    def pending_deadlines_belong_to_the_current_state(self) -> None:
        with self.app.db.read() as s:
            for d in s.deadlines(status="PENDING", limit=100_000):
                assert s.get_case(d.case_id).state == d.state, (d.key, d.state)

    @invariant()
    def audit_chain_verifies(self) -> None:
        with self.app.db.read() as s:
            report = verify(s.audit_entries(), *s.audit_head())
        assert report.ok, report

    def teardown(self) -> None:
        try:
            if self.clean:
                self._every_row_tampering_is_detected()
        finally:
            self.app.db.engine.dispose()

    def _every_row_tampering_is_detected(self) -> None:
        with self.app.db.read() as s:
            last = s.audit_head()[0]
        rows = [1, *range(self.seed_head + 1, last + 1)]
        with self.app.db.engine.connect() as conn, conn.begin() as tx:
            for seq in rows:
                for kind, sql, problem, first_bad in _tampering(seq, last):
                    report = _tampered_verify(conn, sql)
                    assert (report.ok, report.problem, report.first_bad_seq) == (False, problem, first_bad), (
                        kind, seq)
            tx.rollback()


@pytest.fixture(name="seeded")
def _seeded(world: World, db_url: str, tmp_path: Path) -> Path:
    """The world fixture's database with what the plugs' setups add, checkpointed and copied as the template
    of every example."""
    for plug in PLUGS.values():
        if plug.setup is not None:
            plug.setup(world)
    world.app.db.engine.dispose()
    source = Path(db_url.removeprefix("sqlite:///"))
    with closing(sqlite3.connect(source)) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target = tmp_path / "seeded.db"
    shutil.copy(source, target)
    return target


@pytest.mark.slow
def test_random_operations_keep_the_engine_invariants(world: World, seeded: Path, tmp_path: Path) -> None:
    """Random opens, triggers, actors, payloads and clock moves never break state, atomicity or the chain."""
    with world.app.db.read() as s:
        logins = tuple(u.login for u in s.users())
    machine = type("EngineMachineRun", (EngineMachine,), {
        "seeded": seeded, "workdir": tmp_path, "world": world, "plugs": tuple(PLUGS.values()),
        "logins": (*logins, SYSTEM_ACTOR.login), "start": world.app.clock.now(),
    })
    run_state_machine_as_test(machine, settings=SETTINGS)


@pytest.mark.parametrize("code", [p.code for p in ALL_PROCEDURES])
def test_every_procedure_is_plugged_into_the_property_test(code: str) -> None:
    """Each registered procedure has a plug (how to open it and sample payloads), or is skipped visibly."""
    if code not in PLUGS:
        pytest.skip(f"no property-test plug for {code}: add one to tests/engine/property_plugs.py")
    plug = PLUGS[code]
    proc = next(p for p in ALL_PROCEDURES if p.code == code)
    triggers = {s.trigger for s in proc.steps}
    assert set(plug.payloads) <= triggers
    assert set(plug.actors) <= triggers
