"""The compiled `transitions` machine: no back doors, raising guards, no leaked models."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from engine.clock import LOCAL_TZ
from engine.errors import GuardRejected, TriggerNotAvailable
from engine.guards import SYSTEM_ACTOR, CaseView, GuardContext, Verdict
from engine.machine import CaseModel, compiled
from engine.policy import get_pack
from engine.service import _Ctx
from engine.spec import Procedure, Roles, Rule, Step, cite
from tests.conftest import World
from workflows import ALL_PROCEDURES
from workflows.resignation import RESIGNATION

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=LOCAL_TZ)
TODAY = date(2025, 1, 6)
RULE = Rule("TOY-1", "DATE_ORDER", (cite("seed 000 第二十二条"), cite("A-29")))


def _ctx(proc: Procedure, trigger: str, state: str, payload: dict[str, Any] | None = None,
         data: dict[str, Any] | None = None) -> _Ctx:
    case = CaseView(1, proc.code, state, 1, data or {}, 1, 1, 1, 1, None, NOW)
    step = proc.step(trigger)
    assert step is not None
    return _Ctx(step, GuardContext(case, payload or {}, SYSTEM_ACTOR, NOW, TODAY, get_pack("DONGQU")))


def _no_leak(proc: Procedure) -> None:
    """Runs leave at most one model on the machine: none if each run binds and removes its own,
    one if the compiled machine keeps a single resident model that each run re-points."""
    assert len(compiled(proc).machine.models) <= 1


def _never(ctx: GuardContext) -> Verdict:
    return Verdict.fail(RULE, later="决定日期", later_date="2025-01-01", earlier="收到申请日期",
                        earlier_date="2025-01-06")


def _always(ctx: GuardContext) -> Verdict:
    return Verdict.passed(RULE)


TOY = Procedure(
    code="toy_machine", version=1, states=("A", "B", "C"), final=frozenset({"C"}), cites=(cite("A-29"),),
    steps=(
        Step("open", (), "A", (Roles.WORKER,), (cite("A-29"),)),
        Step("go", ("A",), "B", (Roles.WORKER,), (cite("A-29"),), guards=(_always,)),
        Step("blocked", ("A",), "C", (Roles.WORKER,), (cite("A-29"),), guards=(_always, _never)),
        Step("note", ("A", "B"), "=", (Roles.WORKER,), (cite("A-29"),)),
        Step("finish", ("B",), "C", (Roles.SYSTEM,), (cite("A-29"),)),
    ),
)


@pytest.mark.parametrize("proc", [*ALL_PROCEDURES, TOY], ids=lambda p: p.code)
def test_compiled_machines_have_no_to_state_back_doors(proc: Procedure) -> None:
    """auto_transitions is off: no `to_<state>` trigger exists, on the machine or on a model."""
    machine = compiled(proc).machine
    assert machine.auto_transitions is False
    assert not [e for e in machine.events if e.startswith("to_")]
    for state in proc.states:
        assert not [t for t in machine.get_triggers(state) if t.startswith("to_")]
    model = CaseModel()
    machine.add_model(model, initial=proc.initial)
    try:
        assert not [name for name in dir(model) if name.startswith("to_")]
        with pytest.raises(AttributeError):
            model.trigger(f"to_{proc.states[-1]}")
    finally:
        machine.remove_model(model)
    assert model not in machine.models
    _no_leak(proc)


@pytest.mark.parametrize("proc", [*ALL_PROCEDURES, TOY], ids=lambda p: p.code)
def test_machine_triggers_match_the_declaration(proc: Procedure) -> None:
    """From each state the machine offers exactly the declared non-opening steps, nothing more."""
    c = compiled(proc)
    for state in proc.states:
        declared = {s.trigger for s in proc.steps_from(state)}
        assert set(c.triggers_from(state)) == declared, state


def test_a_passing_step_moves_and_returns_its_verdicts() -> None:
    """A step whose guards pass returns the declared destination and the evaluation."""
    state, evaluation = compiled(TOY).run("A", "go", _ctx(TOY, "go", "A"))
    assert state == "B"
    assert evaluation.ok
    assert evaluation.rule_ids() == ["TOY-1"]


def test_a_same_state_step_stays() -> None:
    """A `=` step records without leaving its state, from each of its sources."""
    assert compiled(TOY).run("A", "note", _ctx(TOY, "note", "A"))[0] == "A"
    assert compiled(TOY).run("B", "note", _ctx(TOY, "note", "B"))[0] == "B"


@pytest.mark.parametrize(("state", "trigger"), [
    pytest.param("B", "go", id="declared-trigger-from-wrong-state"),
    pytest.param("C", "note", id="trigger-from-final-state"),
    pytest.param("A", "finish", id="later-step-early"),
    pytest.param("A", "open", id="opening-step-is-not-a-transition"),
    pytest.param("A", "no_such_trigger", id="unknown-trigger"),
])
def test_an_invalid_trigger_raises_trigger_not_available(state: str, trigger: str) -> None:
    """An invalid or unknown trigger raises TriggerNotAvailable (no silent no-op, no AttributeError)."""
    step = TOY.step(trigger) or TOY.step("go")
    assert step is not None
    ctx = _Ctx(step, _ctx(TOY, "go", state).guard_context)
    with pytest.raises(TriggerNotAvailable) as info:
        compiled(TOY).run(state, trigger, ctx)
    assert info.value.code == "TRIGGER_NOT_AVAILABLE"
    assert info.value.details == {"trigger": trigger, "state": state}
    _no_leak(TOY)


def test_a_failing_guard_raises_with_rule_and_citation() -> None:
    """A blocking verdict raises GuardRejected carrying rule id, code and citation (never a bare False)."""
    with pytest.raises(GuardRejected) as info:
        compiled(TOY).run("A", "blocked", _ctx(TOY, "blocked", "A"))
    err = info.value
    assert (err.code, err.rule_id, err.citation) == ("DATE_ORDER", "TOY-1", "seed 000 第二十二条、A-29")
    assert "seed 000 第二十二条" in err.message_zh
    assert [f.rule_id for f in err.failures] == ["TOY-1"]
    _no_leak(TOY)


def test_a_resignation_guard_failure_names_its_rule() -> None:
    """Approving with a decision date before receipt is refused by RES-DATES citing 第二十二条."""
    ctx = _ctx(RESIGNATION, "approve", "SUBMITTED", payload={"decided_on": "2025-01-05", "minutes_ref": "M"},
               data={"submitted_on": "2025-01-06", "separation_date": "2025-02-06"})
    with pytest.raises(GuardRejected) as info:
        compiled(RESIGNATION).run("SUBMITTED", "approve", ctx)
    assert (info.value.code, info.value.rule_id) == ("DATE_ORDER", "RES-DATES")
    assert info.value.citation == "seed 000 第二十二条"


def test_models_are_removed_after_every_run() -> None:
    """Success, guard failure and invalid trigger never leave a per-run model attached (no leak)."""
    c = compiled(TOY)
    before = list(c.machine.models)
    for _ in range(20):
        c.run("A", "go", _ctx(TOY, "go", "A"))
        with pytest.raises(GuardRejected):
            c.run("A", "blocked", _ctx(TOY, "blocked", "A"))
        with pytest.raises(TriggerNotAvailable):
            c.run("C", "go", _ctx(TOY, "go", "C"))
    assert c.machine.models == before
    _no_leak(TOY)


def test_compiled_machines_are_cached_per_procedure_version() -> None:
    """The same declaration compiles once; a different declaration under the same key recompiles."""
    assert compiled(TOY) is compiled(TOY)
    other = replace(TOY, steps=TOY.steps[:2])
    assert compiled(other) is not compiled(TOY)


def test_engine_refuses_a_trigger_not_open_from_the_state(world: World) -> None:
    """Through the engine, withdrawing an approved resignation is refused, listing what is open."""
    e = world.app.engine
    r = e.open_case("resignation", "zhang", {"submitted_on": "2025-01-06", "written": True,
                                             "document_ref": "D1"}, worker_id=world.worker_id)
    e.fire(r.case_id, "approve", "s1_party", {"decided_on": "2025-01-06", "minutes_ref": "M1"})
    with pytest.raises(TriggerNotAvailable) as info:
        e.fire(r.case_id, "withdraw", "zhang", {"withdrawn_on": "2025-01-06"})
    assert info.value.details["state"] == "APPROVED"
    assert "record_filing" in info.value.details["available"]
    _no_leak(RESIGNATION)
