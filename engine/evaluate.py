"""Evaluate a step's guards into blocking failures, overridden soft failures and warnings.

SOFT-1 (A-10): a failure of a 原则上 rule blocks unless the payload carries an override for its code
with a reason, given by a user holding the pack's override role (DONGQU: 区民政局). The override is
kept in the audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from engine.guards import GuardContext, Verdict
from engine.spec import Step

OVERRIDES_FIELD = "overrides"


@dataclass(frozen=True)
class Evaluation:
    verdicts: tuple[Verdict, ...]
    blocking: tuple[Verdict, ...]
    overridden: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    warnings: tuple[Verdict, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.blocking

    def rule_ids(self) -> list[str]:
        return sorted({v.rule.id for v in self.verdicts if v.rule is not None})

    def citations(self) -> list[str]:
        return sorted({v.rule.citation for v in self.verdicts if v.rule is not None})


def evaluate(step: Step, ctx: GuardContext) -> Evaluation:
    verdicts = tuple(guard(ctx) for guard in step.guards)
    if ctx.citation_swap:  # a pack citing its own source for this procedure (Procedure.pack_citations)
        verdicts = tuple(replace(v, rule=v.rule.citing(ctx.citation_swap)) if v.rule is not None else v
                         for v in verdicts)
    overrides = ctx.payload.get(OVERRIDES_FIELD) or {}
    override_role = ctx.policy.settings.get("soft_rules.override_role")
    may_override = override_role in ctx.actor.roles
    blocking: list[Verdict] = []
    overridden: list[dict[str, Any]] = []
    for v in verdicts:
        if v.ok:
            continue
        reason = overrides.get(v.error_code) if isinstance(overrides, dict) else None
        if v.soft and may_override and isinstance(reason, str) and reason.strip():
            overridden.append({"code": v.error_code, "rule_id": v.rule.id if v.rule else None,
                               "citation": v.rule.citation if v.rule else None, "reason": reason.strip(),
                               "by_role": override_role})
            continue
        blocking.append(v)
    warnings = tuple(v for v in verdicts if v.warning)
    return Evaluation(verdicts, tuple(blocking), tuple(overridden), warnings)
