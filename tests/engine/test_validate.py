"""Load-time validation of procedure declarations (engine.validate): each defect is named."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.errors import DefinitionError
from engine.spec import DeadlineDue, DeadlineSpec, Field, Procedure, Roles, Step
from engine.validate import validate
from workflows import ALL_PROCEDURES, registry
from workflows.citations import ART22
from workflows.guards.resignation import RES_5

# The toy procedures below borrow the code, states, triggers and field names of `resignation` so that
# their Chinese labels exist in the catalog: each test then introduces exactly one defect, and the
# error must name it (validation stops short of the graph checks while other problems exist).
SUBMITTED, APPROVED, WITHDRAWN = "SUBMITTED", "APPROVED", "WITHDRAWN"
EFFECTIVE, CLOSED, RETURNED = "EFFECTIVE", "CLOSED", "RETURNED"


def _due(_ctx: object) -> DeadlineDue:
    raise AssertionError("never computed at validation time")


def step(trigger: str, source: tuple[str, ...], dest: str, **kw: object) -> Step:
    kw.setdefault("roles", (Roles.WORKER,))
    kw.setdefault("cites", (ART22,))
    return Step(trigger, source, dest, **kw)  # type: ignore[arg-type]


def toy(*extra: Step, states: tuple[str, ...] = (), drop: tuple[str, ...] = (), code: str = "resignation",
        **kw: object) -> Procedure:
    """A small valid procedure; `extra` steps are appended, `drop` removes steps by trigger."""
    base = (
        step("submit", (), SUBMITTED),
        step("approve", (SUBMITTED,), APPROVED, roles=(Roles.STREET_PARTY_COMMITTEE,)),
        step("withdraw", (SUBMITTED,), WITHDRAWN),
        step("separate", (APPROVED,), EFFECTIVE, roles=(Roles.SYSTEM,)),
        step("close", (EFFECTIVE,), CLOSED, roles=(Roles.SYSTEM,), automatic=True),
    )
    steps = tuple(s for s in base if s.trigger not in drop) + extra
    all_states = (SUBMITTED, APPROVED, WITHDRAWN, EFFECTIVE, CLOSED, *states)
    fields = {"code": code, "version": 1, "states": all_states,
              "final": frozenset({WITHDRAWN, CLOSED}), "steps": steps, "cites": (ART22,)}
    fields.update(kw)
    return Procedure(**fields)  # type: ignore[arg-type]


def _replace_step(proc: Procedure, trigger: str, **changes: object) -> Procedure:
    return replace(proc, steps=tuple(replace(s, **changes) if s.trigger == trigger else s  # type: ignore[arg-type]
                                     for s in proc.steps))


def test_toy_procedure_is_valid() -> None:
    """The baseline toy declaration passes validation, so each defect below is the only one."""
    validate(toy())


BAD = [
    pytest.param(toy(step("return_application", (RETURNED,), CLOSED), states=(RETURNED,)),
                 ["不可达状态", "RETURNED"], id="unreachable-state"),
    pytest.param(toy(step("return_application", (SUBMITTED,), RETURNED), states=(RETURNED,)),
                 ["死路状态", "RETURNED"], id="dead-end-state"),
    pytest.param(toy(step("record_filing", (APPROVED,), EFFECTIVE),
                     step("close_moot", (EFFECTIVE,), APPROVED), drop=("close",)),
                 ["死路状态", "APPROVED", "EFFECTIVE"], id="trap-cycle-without-final"),
    pytest.param(toy(step("close_moot", (WITHDRAWN,), CLOSED)),
                 ["close_moot", "不得从终态 WITHDRAWN 出发"], id="step-out-of-final-state"),
    pytest.param(toy(drop=("submit",)), ["应有且只有一个开案步骤，实有 0 个"], id="no-opening-step"),
    pytest.param(toy(step("return_application", (), SUBMITTED)),
                 ["应有且只有一个开案步骤，实有 2 个"], id="two-opening-steps"),
    pytest.param(toy(step("approve", (SUBMITTED,), WITHDRAWN)), ["触发器名称重复"], id="duplicate-trigger"),
    pytest.param(_replace_step(toy(), "approve", cites=()), ["步骤 approve", "没有引用依据"],
                 id="uncited-step"),
    pytest.param(_replace_step(toy(), "withdraw", roles=()), ["步骤 withdraw", "没有指定角色"],
                 id="step-without-role"),
    pytest.param(_replace_step(toy(), "close", roles=(Roles.WORKER,)),
                 ["步骤 close", "自动步骤只能由系统执行"], id="automatic-step-not-system"),
    pytest.param(_replace_step(toy(), "close", roles=(Roles.SYSTEM, Roles.WORKER)),
                 ["步骤 close", "自动步骤只能由系统执行"], id="automatic-step-shared-with-a-user"),
    pytest.param(_replace_step(toy(), "approve", starts=(DeadlineSpec("late", "close", _due, RES_5),)),
                 ["步骤 approve", "期限 late", "close", "在该状态不可用"],
                 id="deadline-fires-step-unavailable-in-state"),
    pytest.param(_replace_step(toy(), "approve", starts=(DeadlineSpec("late", "no_such_step", _due, RES_5),)),
                 ["期限 late", "no_such_step", "在该状态不可用"], id="deadline-fires-unknown-step"),
    pytest.param(_replace_step(toy(), "withdraw", fields=(Field("no_such_field_label"),)),
                 ["缺少中文文字", "fields.no_such_field_label"], id="missing-field-label"),
    pytest.param(toy(step("return_application", (SUBMITTED,), "LIMBO"),
                     step("close_moot", ("LIMBO",), CLOSED), states=("LIMBO",)),
                 ["缺少中文文字", "procedures.resignation.states.LIMBO"], id="missing-state-label"),
    pytest.param(toy(step("teleport", (SUBMITTED,), CLOSED)),
                 ["缺少中文文字", "procedures.resignation.triggers.teleport"], id="missing-trigger-label"),
    pytest.param(toy(code="no_such_procedure"),
                 ["缺少中文文字", "procedures.no_such_procedure.title"], id="missing-procedure-title"),
    pytest.param(toy(step("teleport", (SUBMITTED,), "NOWHERE")), ["未声明的目标状态 NOWHERE"],
                 id="undeclared-destination"),
    pytest.param(toy(step("teleport", ("NOWHERE",), CLOSED)), ["未声明的起始状态 NOWHERE"],
                 id="undeclared-source"),
    pytest.param(toy(final=frozenset({CLOSED, "GONE"})), ["终态未声明", "GONE"], id="undeclared-final-state"),
    pytest.param(toy(states=(SUBMITTED,)), ["状态重复"], id="duplicate-state"),
    pytest.param(toy(cites=()), ["流程没有依据"], id="procedure-without-citation"),
    pytest.param(_replace_step(toy(), "submit", dest="="), ["开案步骤必须进入一个状态"],
                 id="opening-step-stays"),
]


@pytest.mark.parametrize(("proc", "expected"), BAD)
def test_defective_declaration_is_rejected_naming_the_defect(proc: Procedure, expected: list[str]) -> None:
    """A declaration with one defect raises DefinitionError whose message names that defect."""
    with pytest.raises(DefinitionError) as info:
        validate(proc)
    assert info.value.code == "DEFINITION_INVALID"
    for fragment in expected:
        assert fragment in info.value.message_zh, info.value.message_zh


def test_several_defects_are_all_reported() -> None:
    """Validation lists every structural problem at once, not only the first."""
    proc = _replace_step(_replace_step(toy(), "approve", cites=()), "withdraw", roles=())
    with pytest.raises(DefinitionError) as info:
        validate(proc)
    assert "没有引用依据" in info.value.message_zh
    assert "没有指定角色" in info.value.message_zh


@pytest.mark.parametrize("proc", ALL_PROCEDURES, ids=lambda p: p.code)
def test_every_shipped_procedure_validates(proc: Procedure) -> None:
    """Each procedure registered in ALL_PROCEDURES passes every load-time check."""
    validate(proc)
    assert proc.initial in proc.states


def test_registry_holds_every_procedure_once() -> None:
    """The registry maps each procedure code to its declaration, without duplicates."""
    reg = registry()
    assert sorted(reg) == sorted(p.code for p in ALL_PROCEDURES)
    assert len(reg) == len(ALL_PROCEDURES)
