"""One exception hierarchy for the whole product. Every error carries a stable machine `code`, a
Simplified-Chinese message for people and, where a rule is behind it, the rule id and citation.

The CLI maps the classes to exit codes (see `EXIT_CODES`); `--json` prints the code and details.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.text import join_clauses, t


class ShequFlowError(Exception):
    """Base of every error the product raises on purpose."""

    exit_code = 1

    def __init__(
        self,
        code: str,
        message_zh: str | None = None,
        *,
        rule_id: str | None = None,
        citation: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.rule_id = rule_id
        self.citation = citation
        self.details = dict(details or {})
        if message_zh is None:
            message_zh = t(f"errors.{code}", **self.details)
        if citation and citation not in message_zh:
            message_zh = f"{message_zh} ({citation})"
        self.message_zh = message_zh
        super().__init__(f"{code}: {message_zh}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message_zh}
        if self.rule_id:
            out["rule_id"] = self.rule_id
        if self.citation:
            out["citation"] = self.citation
        if self.details:
            out["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_jsonable(v) for v in value]
    return str(value)


class DefinitionError(ShequFlowError):
    """A procedure declaration, policy pack or text catalog is malformed (raised at load time)."""

    exit_code = 70

    def __init__(self, message: str) -> None:
        super().__init__("DEFINITION_INVALID", t("definition.invalid", problem=message))


class InvalidInput(ShequFlowError):
    """Input is malformed or incomplete: a missing field, a bad date, a wrong ID number."""

    exit_code = 2


class NotFound(ShequFlowError):
    """A case, worker, user, org unit, procedure or trigger does not exist."""

    exit_code = 5


class NotPermitted(ShequFlowError):
    """The actor lacks the role for the step, or the case is outside the actor's scope."""

    exit_code = 4


class TransitionRejected(ShequFlowError):
    """A rule forbids the step now. Nothing was written."""

    exit_code = 3


class GuardRejected(TransitionRejected):
    """One or more guards of the step failed; `failures` lists each with its rule and citation."""

    def __init__(self, failures: Sequence[ShequFlowError]) -> None:
        first = failures[0]
        self.failures = list(failures)
        message = join_clauses(f.message_zh for f in failures)
        super().__init__(
            first.code,
            message,
            rule_id=first.rule_id,
            citation=None,
            details={"failures": [f.to_dict() for f in failures]},
        )
        self.citation = first.citation


class TriggerNotAvailable(TransitionRejected):
    """The trigger exists but not from the case's current state."""


class NotConfigured(TransitionRejected):
    """The rule depends on a policy value the pack leaves UNSPECIFIED (A-41)."""


class ConcurrentModification(ShequFlowError):
    """Someone else changed the case first (version check). Reload and try again."""

    exit_code = 6


class DeadlineError(ShequFlowError):
    """A deadline could not be computed or fired."""

    exit_code = 3


EXIT_CODES: dict[str, int] = {
    "ok": 0,
    "usage": 2,
    "rejected": 3,
    "not_permitted": 4,
    "not_found": 5,
    "conflict": 6,
    "definition": 70,
}
