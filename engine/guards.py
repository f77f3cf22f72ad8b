"""Guard types. A guard is a pure function `GuardContext -> Verdict`: no I/O, no clock, no
side effects. Everything it may look at is in the context, loaded before it runs.

A failing verdict carries the rule (id, code, citation) and the parameters of its Chinese message,
so a rejection always says which rule, which article and why: never a bare `False`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from engine.calendar import BUNDLED, WorkingCalendar
from engine.errors import ShequFlowError
from engine.policy import Policy
from engine.spec import Citation, Rule
from engine.text import t


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user with the role they act in, and the scope that role reaches."""

    user_id: int | None
    login: str
    name: str
    role: str
    roles: frozenset[str]
    district_id: int | None = None
    street_id: int | None = None
    community_id: int | None = None
    worker_id: int | None = None

    @property
    def is_system(self) -> bool:
        return self.role == "SYSTEM"


SYSTEM_ACTOR = Actor(None, "system", t("roles.SYSTEM"), "SYSTEM", frozenset({"SYSTEM"}))


@dataclass(frozen=True)
class CaseView:
    """A read-only snapshot of a case for guards and effects."""

    id: int | None
    procedure: str
    state: str
    version: int
    data: Mapping[str, Any]
    worker_id: int | None
    community_id: int | None
    street_id: int | None
    district_id: int | None
    parent_case_id: int | None
    opened_at: datetime | None


@dataclass(frozen=True)
class GuardContext:
    case: CaseView
    payload: Mapping[str, Any]
    actor: Actor
    now: datetime
    today: date
    policy: Policy
    facts: Mapping[str, Any] = field(default_factory=dict)
    # CAL-1: the working-day calendar the transaction sees (bundled data + imports; the engine passes it).
    calendar: WorkingCalendar = BUNDLED
    # Procedure.pack_citations for this case's pack: verdicts are reported citing the pack's own source.
    citation_swap: Mapping[Citation, Citation] = field(default_factory=dict)

    def value(self, name: str, default: Any = None) -> Any:
        """A payload value, else the case's recorded value of that name, else `default`."""
        if name in self.payload and self.payload[name] is not None:
            return self.payload[name]
        return self.case.data.get(name, default)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rule: Rule | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    soft: bool = False  # a 原则上 rule (SOFT-1): the district bureau may override with a reason
    warning: bool = False  # a SHOULD rule: recorded, never blocks
    code: str | None = None  # overrides rule.code (one rule, several messages)

    @staticmethod
    def passed(rule: Rule | None = None, **params: Any) -> Verdict:
        return Verdict(True, rule, params)

    @staticmethod
    def fail(rule: Rule, code: str | None = None, *, soft: bool = False, **params: Any) -> Verdict:
        return Verdict(False, rule, params, soft=soft, code=code)

    @staticmethod
    def warn(rule: Rule, code: str | None = None, **params: Any) -> Verdict:
        return Verdict(True, rule, params, warning=True, code=code)

    @property
    def error_code(self) -> str:
        return self.code or (self.rule.code if self.rule else "RULE_FAILED")

    def to_error(self) -> ShequFlowError:
        return ShequFlowError(
            self.error_code,
            rule_id=self.rule.id if self.rule else None,
            citation=self.rule.citation if self.rule else None,
            details=dict(self.params),
        )


def pct(numerator: int, denominator: int) -> str:
    """A display percentage with one decimal. Display only: decisions use exact fractions (CMP-2)."""
    if denominator == 0:
        return "—"
    value = Fraction(numerator * 100, denominator)
    return f"{float(value):.1f}%"
