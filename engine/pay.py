"""Performance pay (绩效补贴) of one community and year — spec §4.5 PAY-2…PAY-7, seed 000 第十九—二十条.

Pure computation: no I/O, no clock. `workflows.pay` loads the inputs (FINAL grades, each worker's annual
remuneration standard R, the pack) and calls `compute`.

- PAY-2: base = base_share·R (70 %), nominal performance allowance = performance_share·R (30 %).
- PAY-3: the pool P = Σ performance_share·R over every worker graded FINAL that year, 不称职 included (A-25).
- PAY-4/5: D = Σ k_i with the pack's coefficients (DONGQU 1.4 / 1.0 / 0.6 / 0); pay_i = P·k_i / D.
  D = 0 (everyone 不称职): nobody is paid and P is not paid out.
- PAY-6: exact arithmetic (Fraction); each person is paid floor(pay_i, 0.01 yuan); the residue P − Σ paid
  is kept, never distributed (A-26), so the sum paid never exceeds the pool.

Money is exact throughout: R comes in as a Decimal of yuan; every derived amount is a Fraction of yuan;
`fen` gives the amount paid as a Decimal with two places.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from engine.errors import DefinitionError, NotConfigured, TransitionRejected
from engine.policy import Policy
from engine.text import t

# FINAL grades (seed 000 第十二条) in the order the table lists them, and the pack key of each coefficient.
GRADES = ("EXCELLENT", "COMPETENT", "BASIC", "INCOMPETENT")
COEFFICIENT_KEYS = {
    "EXCELLENT": "pay.coefficient_excellent",
    "COMPETENT": "pay.coefficient_competent",
    "BASIC": "pay.coefficient_basic",
    "INCOMPETENT": "pay.coefficient_incompetent",
}
SHARE_KEYS = ("pay.base_share", "pay.performance_share")
ROUNDING_FLOOR_FEN = "floor_fen"  # the only rounding the sources allow (never exceed the pool)
FEN = Fraction(1, 100)
MONTHS = 12


@dataclass(frozen=True)
class PayRules:
    """The pack's pay settings as exact fractions."""

    base_share: Fraction
    performance_share: Fraction
    coefficients: Mapping[str, Fraction]

    @staticmethod
    def from_policy(policy: Policy) -> PayRules:
        """Read the pack; a setting left UNSPECIFIED refuses with PAY_NOT_CONFIGURED (A-41: the DONGQU
        coefficients are never inherited). Pro-rating of part-year service is UNSPECIFIED in every source
        (A-27), so a pack that switches it on is refused too rather than computed without it."""
        try:
            shares = [policy.fraction(key, "PAY-2") for key in SHARE_KEYS]
            coefficients = {g: policy.fraction(key, "PAY-4") for g, key in COEFFICIENT_KEYS.items()}
            rounding = policy.get("pay.rounding", "PAY-6")
            prorate = policy.bool("pay.prorate", "PAY-7")
        except NotConfigured as exc:
            raise NotConfigured("PAY_NOT_CONFIGURED", rule_id="PAY-4", citation="A-41",
                                details={"pack": policy.code, "key": exc.details.get("key", "")}) from exc
        if rounding != ROUNDING_FLOOR_FEN:
            raise DefinitionError(t("pay.problem.rounding", pack=policy.code, value=rounding))
        if prorate:
            raise NotConfigured("PAY_PRORATE_UNSPECIFIED", rule_id="PAY-7", citation="A-27",
                                details={"pack": policy.code})
        base, performance = shares
        if base < 0 or performance < 0 or base + performance != 1:
            raise DefinitionError(t("pay.problem.shares", pack=policy.code, base=base,
                                    performance=performance))
        if any(k < 0 for k in coefficients.values()):
            raise DefinitionError(t("pay.problem.coefficients", pack=policy.code))
        return PayRules(base, performance, coefficients)


@dataclass(frozen=True)
class PayInput:
    """One worker graded FINAL for the year: grade code and annual remuneration standard R (yuan)."""

    worker_id: int
    name: str
    grade: str
    standard: Decimal
    standard_source: str = "worker"  # "worker" (own R in the personnel record) | "term" (per-capita default)


@dataclass(frozen=True)
class PayLine:
    worker_id: int
    name: str
    grade: str
    coefficient: Fraction
    standard: Fraction  # R
    base: Fraction  # base_share·R (annual)
    monthly_base: Fraction  # base / 12 (PAY-7)
    nominal: Fraction  # performance_share·R
    exact: Fraction  # P·k/D (0 when D = 0)
    paid: Fraction  # floor to the fen
    standard_source: str

    @property
    def above_nominal(self) -> bool:
        """Whether the worker receives more than his own nominal 30 % (colleagues graded lower)."""
        return self.paid > self.nominal


@dataclass(frozen=True)
class PayTable:
    lines: tuple[PayLine, ...]
    pool: Fraction  # P
    divisor: Fraction  # D
    paid_total: Fraction
    residue: Fraction  # P − Σ paid, kept

    @property
    def unit(self) -> Fraction | None:
        """P / D: the amount of one coefficient point (none when D = 0)."""
        return self.pool / self.divisor if self.divisor else None

    def count(self, grade: str) -> int:
        return sum(1 for line in self.lines if line.grade == grade)


def floor_fen(amount: Fraction) -> Fraction:
    """The amount rounded down to a whole fen (0.01 yuan), exactly (PAY-6, A-26)."""
    return Fraction(math.floor(amount * 100), 100)


def compute(inputs: Sequence[PayInput], rules: PayRules) -> PayTable:
    """The community's performance-pay table for one year (PAY-3…PAY-6). Every input is a worker graded
    FINAL that year; the caller decides who that is (PAY-7: workers not graded are outside the pool)."""
    for item in inputs:
        if item.grade not in rules.coefficients:
            raise TransitionRejected("PAY_GRADE_UNKNOWN", rule_id="PAY-4",
                                     details={"worker": item.worker_id, "grade": item.grade})
        if item.standard < 0:
            raise TransitionRejected("PAY_STANDARD_INVALID", rule_id="PAY-2",
                                     details={"worker": item.worker_id, "value": str(item.standard)})
    standards = [Fraction(item.standard) for item in inputs]
    pool = sum((rules.performance_share * r for r in standards), Fraction(0))
    divisor = sum((rules.coefficients[item.grade] for item in inputs), Fraction(0))
    lines: list[PayLine] = []
    for item, r in zip(inputs, standards, strict=True):
        k = rules.coefficients[item.grade]
        exact = pool * k / divisor if divisor else Fraction(0)
        base = rules.base_share * r
        lines.append(PayLine(item.worker_id, item.name, item.grade, k, r, base, base / MONTHS,
                             rules.performance_share * r, exact, floor_fen(exact), item.standard_source))
    paid_total = sum((line.paid for line in lines), Fraction(0))
    residue = pool - paid_total
    if residue < 0:  # impossible by construction; a table that overpays must never be produced
        raise AssertionError("performance pay exceeds the pool")
    return PayTable(tuple(lines), pool, divisor, paid_total, residue)


def fen(amount: Fraction) -> Decimal:
    """A whole-fen amount as a Decimal with two places (exact)."""
    cents = amount * 100
    if cents.denominator != 1:
        raise ValueError(f"{amount} is not a whole number of fen")
    return Decimal(cents.numerator).scaleb(-2)


def show(amount: Fraction, places: int = 2) -> str:
    """An amount for people: exact when it has at most `places` decimals, else truncated with `…`
    (38181.8181…). Display only; decisions use the Fraction."""
    scaled = amount * 10**places
    whole = Decimal(math.floor(scaled)).scaleb(-places)
    text = f"{whole:,.{places}f}"
    return text if scaled.denominator == 1 else f"{text}…"


def exact_text(amount: Fraction) -> str:
    """An exact amount for machines: a decimal when it terminates within 6 places, else `p/q`."""
    scaled = amount * 10**6
    if scaled.denominator == 1:
        return format(Decimal(scaled.numerator).scaleb(-6).normalize(), "f")
    return f"{amount.numerator}/{amount.denominator}"


def coefficient_text(k: Fraction) -> str:
    """A coefficient as the article writes it (1.4, 1.0, 0.6, 0)."""
    value = Decimal(k.numerator) / Decimal(k.denominator)
    return f"{value:.1f}" if k else "0"
