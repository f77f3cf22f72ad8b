"""Guards shared by several procedures. Pure functions of the GuardContext."""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.guards import GuardContext, Verdict
from engine.spec import Guard, Rule
from engine.text import t


def as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def date_not_before(later_field: str, earlier_field: str, rule: Rule) -> Guard:
    """A guard: the date in `later_field` is not before the one in `earlier_field` (dates in order)."""

    def guard(ctx: GuardContext) -> Verdict:
        later, earlier = as_date(ctx.value(later_field)), as_date(ctx.value(earlier_field))
        if later is None or earlier is None or later >= earlier:
            return Verdict.passed(rule)
        return Verdict.fail(rule, "DATE_ORDER", later=t(f"fields.{later_field}"),
                            later_date=later.isoformat(), earlier=t(f"fields.{earlier_field}"),
                            earlier_date=earlier.isoformat())

    guard.__name__ = f"{later_field}_not_before_{earlier_field}"
    return guard


def date_not_in_future(field_name: str, rule: Rule) -> Guard:
    """A guard: a recorded date of something that happened is not after today."""

    def guard(ctx: GuardContext) -> Verdict:
        value = as_date(ctx.value(field_name))
        if value is None or value <= ctx.today:
            return Verdict.passed(rule)
        return Verdict.fail(rule, "DATE_ORDER", later=t(f"fields.{field_name}"), later_date=value.isoformat(),
                            earlier=t("text.today"), earlier_date=ctx.today.isoformat())

    guard.__name__ = f"{field_name}_not_in_future"
    return guard
