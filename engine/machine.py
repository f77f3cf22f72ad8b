"""Compile a `Procedure` into a `transitions` machine and run one trigger on a case snapshot.

The machine is the authority on which trigger leads where. It is built with no back doors:
`auto_transitions=False` (no `to_<state>()`), invalid triggers raise, and `model_override=True` so
the model's surface is exactly `CaseModel`'s. Guards run as a condition that raises
`GuardRejected` on a blocking failure, never returning a silent False.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from transitions import EventData, Machine, MachineError

from engine.errors import GuardRejected, TriggerNotAvailable
from engine.evaluate import Evaluation, evaluate
from engine.spec import SAME, Procedure

logging.getLogger("transitions").setLevel(logging.WARNING)


class CaseModel:
    """The model `transitions` drives: the case's state and nothing else."""

    state: str

    def __init__(self) -> None:
        self.state = ""
        self.evaluation: Evaluation | None = None

    def trigger(self, name: str, *args: Any, **kwargs: Any) -> bool:  # replaced by transitions
        raise NotImplementedError

    def may_trigger(self, name: str, *args: Any, **kwargs: Any) -> bool:  # replaced by transitions
        raise NotImplementedError


class CompiledProcedure:
    def __init__(self, procedure: Procedure) -> None:
        self.procedure = procedure
        self._lock = threading.Lock()
        transitions = []
        for step in procedure.steps:
            if step.opens_case:
                continue
            transitions.append(
                {
                    "trigger": step.trigger,
                    "source": list(step.source),
                    "dest": step.dest if step.dest != SAME else "=",
                    "conditions": [_guard_condition(step.trigger)],
                }
            )
        self.machine = Machine(
            model=None,
            states=list(procedure.states),
            transitions=transitions,
            initial=procedure.initial,
            auto_transitions=False,
            send_event=True,
            model_override=True,
            ignore_invalid_triggers=False,
        )
        # One resident model per compiled machine, re-pointed at the stored state under the lock before
        # every trigger. Binding a fresh model per call (add_model/remove_model) costs a trigger binding per
        # event each time; a resident model costs nothing and can never leak more models.
        self._model = CaseModel()
        self.machine.add_model(self._model, initial=procedure.initial)

    def run(self, state: str, trigger: str, ctx: Any) -> tuple[str, Evaluation]:
        """Fire `trigger` from `state` with the guard context; return the new state and verdicts."""
        if trigger not in self.machine.events:  # transitions raises a bare AttributeError for these
            raise TriggerNotAvailable("TRIGGER_NOT_AVAILABLE", details={"trigger": trigger, "state": state})
        model = self._model
        with self._lock:
            self.machine.set_state(state, model=model)
            model.evaluation = None
            try:
                moved = model.trigger(trigger, ctx=ctx)
            except MachineError as exc:
                raise TriggerNotAvailable(
                    "TRIGGER_NOT_AVAILABLE", details={"trigger": trigger, "state": state}
                ) from exc
            if not moved:  # unreachable: the condition raises instead of returning False
                raise TriggerNotAvailable("TRIGGER_NOT_AVAILABLE",
                                          details={"trigger": trigger, "state": state})
            assert model.evaluation is not None
            return model.state, model.evaluation

    def triggers_from(self, state: str) -> list[str]:
        return [t for t in self.machine.get_triggers(state) if not t.startswith("to_")]


def _guard_condition(trigger: str) -> Callable[[EventData], bool]:
    def condition(event: EventData) -> bool:
        ctx = event.kwargs["ctx"]
        step = ctx.step
        evaluation = evaluate(step, ctx.guard_context)
        if evaluation.blocking:
            raise GuardRejected([v.to_error() for v in evaluation.blocking])
        model = event.model
        assert isinstance(model, CaseModel)
        model.evaluation = evaluation
        return True

    condition.__name__ = f"guards_of_{trigger}"
    return condition


_COMPILED: dict[tuple[str, int], CompiledProcedure] = {}
_COMPILE_LOCK = threading.Lock()


def compiled(procedure: Procedure) -> CompiledProcedure:
    """The machine of a procedure version, built once per process."""
    key = (procedure.code, procedure.version)
    with _COMPILE_LOCK:
        if key not in _COMPILED or _COMPILED[key].procedure is not procedure:
            _COMPILED[key] = CompiledProcedure(procedure)
        return _COMPILED[key]
