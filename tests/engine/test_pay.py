"""Performance pay (spec §4.5 PAY-2…PAY-7): the worked examples reproduced exactly, the boundaries, the
pack reading and the refusal of a pack without coefficients; pure computation (engine.pay)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import DefinitionError, NotConfigured
from engine.pay import PayInput, PayRules, compute, exact_text, fen, floor_fen, show
from engine.policy import Policy, get_pack

DONGQU = PayRules.from_policy(get_pack("DONGQU"))


def workers(grades: list[str], standard: int | str = 60000) -> list[PayInput]:
    return [PayInput(i + 1, f"w{i + 1}", g, Decimal(str(standard))) for i, g in enumerate(grades)]


def paid(grades: list[str], standard: int | str = 60000) -> list[Decimal]:
    return [fen(line.paid) for line in compute(workers(grades, standard), DONGQU).lines]


def test_dongqu_pack_gives_the_article_shares_and_coefficients() -> None:
    """PAY-2/PAY-4: DONGQU reads as 70 % / 30 % and 1.4 / 1.0 / 0.6 / 0, as exact fractions."""
    assert (DONGQU.base_share, DONGQU.performance_share) == (Fraction(7, 10), Fraction(3, 10))
    assert dict(DONGQU.coefficients) == {"EXCELLENT": Fraction(7, 5), "COMPETENT": Fraction(1),
                                         "BASIC": Fraction(3, 5), "INCOMPETENT": Fraction(0)}


def test_worked_example_six_workers() -> None:
    """PAY-5 worked example: R 60,000 × 6, grades 1/3/1/1 → 30,240 / 21,600 ×3 / 12,960 / 0."""
    table = compute(workers(["EXCELLENT", "COMPETENT", "COMPETENT", "COMPETENT", "BASIC", "INCOMPETENT"]),
                    DONGQU)
    assert table.pool == 108000
    assert table.divisor == 5
    assert table.unit == 21600
    assert [fen(x.paid) for x in table.lines] == [Decimal("30240.00"), Decimal("21600.00"),
                                                   Decimal("21600.00"), Decimal("21600.00"),
                                                   Decimal("12960.00"), Decimal("0.00")]
    assert table.paid_total == 108000
    assert table.residue == 0


def test_worked_example_base_and_nominal_share() -> None:
    """PAY-2: R = 72,000 → base 50,400 (4,200 a month) and nominal performance allowance 21,600."""
    (line,) = compute(workers(["COMPETENT"], 72000), DONGQU).lines
    assert (line.base, line.monthly_base, line.nominal) == (50400, 4200, 21600)


def test_rounding_example_leaves_three_fen() -> None:
    """PAY-6 rounding example: R 80,000 × 5, 1 优秀 3 称职 1 不称职 → 38,181.81 and 3 × 27,272.72."""
    table = compute(workers(["EXCELLENT", "COMPETENT", "COMPETENT", "COMPETENT", "INCOMPETENT"], 80000),
                    DONGQU)
    assert table.pool == 120000
    assert table.divisor == Fraction(22, 5)
    assert table.lines[0].exact == Fraction(420000, 11)  # 38,181.8181…
    assert [fen(x.paid) for x in table.lines] == [Decimal("38181.81"), Decimal("27272.72"),
                                                   Decimal("27272.72"), Decimal("27272.72"), Decimal("0.00")]
    assert fen(table.paid_total) == Decimal("119999.97")
    assert table.residue == Fraction(3, 100)


def test_competent_worker_can_get_more_than_his_nominal_share() -> None:
    """PAY-5 consequence: colleagues graded lower raise a 称职 worker's allowance above his own 30 %."""
    table = compute(workers(["EXCELLENT", "COMPETENT", "COMPETENT", "COMPETENT", "BASIC", "INCOMPETENT"]),
                    DONGQU)
    competent = table.lines[1]
    assert competent.nominal == 18000
    assert competent.paid == 21600
    assert competent.above_nominal


def test_all_competent_get_exactly_their_nominal_share() -> None:
    """PAY-5: with everyone 称职 the pool is shared back exactly (D = N, unit = 0.3·R)."""
    assert paid(["COMPETENT"] * 4) == [Decimal("18000.00")] * 4


@pytest.mark.parametrize("grades", [
    pytest.param(["INCOMPETENT"] * 3, id="PAY-5-all-incompetent-nobody-paid"),
    pytest.param(["INCOMPETENT"], id="PAY-5-single-incompetent-nobody-paid"),
])
def test_zero_divisor_pays_nobody_and_keeps_the_pool(grades: list[str]) -> None:
    """PAY-5: D = 0 → no performance allowance for anyone; the pool is not paid out."""
    table = compute(workers(grades), DONGQU)
    assert table.divisor == 0
    assert table.unit is None
    assert table.paid_total == 0
    assert table.residue == table.pool == 18000 * len(grades)


def test_incompetent_worker_counts_in_the_pool() -> None:
    """PAY-3 (A-25): the pool includes the 30 % of a 不称职 worker, redistributed to the others."""
    with_incompetent = compute(workers(["COMPETENT", "INCOMPETENT"]), DONGQU)
    assert with_incompetent.pool == 36000
    assert fen(with_incompetent.lines[0].paid) == Decimal("36000.00")


def test_individual_standards_are_pooled() -> None:
    """PAY-3: each worker's own R feeds the pool (Σ 0.3·R_i), then P is split by coefficient only."""
    inputs = [PayInput(1, "a", "COMPETENT", Decimal("60000")),
              PayInput(2, "b", "COMPETENT", Decimal("90000"))]
    table = compute(inputs, DONGQU)
    assert table.pool == 45000
    assert [fen(x.paid) for x in table.lines] == [Decimal("22500.00"), Decimal("22500.00")]


@pytest.mark.parametrize(("amount", "floored"), [
    pytest.param(Fraction(420000, 11), Decimal("38181.81"), id="PAY-6-floor-not-round-up"),
    pytest.param(Fraction(2727272, 100), Decimal("27272.72"), id="PAY-6-whole-fen-unchanged"),
    pytest.param(Fraction(1, 1000), Decimal("0.00"), id="PAY-6-below-one-fen-is-zero"),
    pytest.param(Fraction(999, 1000), Decimal("0.99"), id="PAY-6-0.999-is-0.99"),
])
def test_floor_to_the_fen(amount: Fraction, floored: Decimal) -> None:
    """PAY-6 (A-26): amounts are rounded down to the fen, never up."""
    assert fen(floor_fen(amount)) == floored


@given(st.lists(st.sampled_from(["EXCELLENT", "COMPETENT", "BASIC", "INCOMPETENT"]), min_size=1, max_size=30),
       st.lists(st.integers(min_value=0, max_value=20_000_000), min_size=30, max_size=30))
def test_never_pays_more_than_the_pool(grades: list[str], fen_amounts: list[int]) -> None:
    """PAY-6: for any grades and standards, 0 ≤ residue < one fen per paid worker, and nothing is negative."""
    inputs = [PayInput(i, str(i), g, Decimal(fen_amounts[i]).scaleb(-2)) for i, g in enumerate(grades)]
    table = compute(inputs, DONGQU)
    assert table.residue >= 0
    assert table.residue < Fraction(len(grades), 100) or table.divisor == 0
    assert all(x.paid >= 0 and x.exact - x.paid < Fraction(1, 100) for x in table.lines)


def test_pack_without_coefficients_is_not_configured() -> None:
    """A-41: HONGSHAN leaves the coefficients UNSPECIFIED → PAY_NOT_CONFIGURED (never DONGQU's)."""
    with pytest.raises(NotConfigured) as info:
        PayRules.from_policy(get_pack("HONGSHAN"))
    assert info.value.code == "PAY_NOT_CONFIGURED"
    assert info.value.details["pack"] == "HONGSHAN"
    assert info.value.details["key"].startswith("pay.")


def test_pack_with_one_coefficient_missing_is_not_configured() -> None:
    """A-41: a single UNSPECIFIED coefficient is enough to refuse the whole computation."""
    settings = {**get_pack("DONGQU").settings, "pay.coefficient_basic": "UNSPECIFIED"}
    with pytest.raises(NotConfigured) as info:
        PayRules.from_policy(Policy("TEST", 1, "test", settings))
    assert (info.value.code, info.value.details["key"]) == ("PAY_NOT_CONFIGURED", "pay.coefficient_basic")


def test_prorating_switched_on_is_refused() -> None:
    """A-27: pro-rating of part-year service is UNSPECIFIED, so a pack asking for it cannot compute."""
    settings = {**get_pack("DONGQU").settings, "pay.prorate": True}
    with pytest.raises(NotConfigured) as info:
        PayRules.from_policy(Policy("TEST", 1, "test", settings))
    assert info.value.code == "PAY_PRORATE_UNSPECIFIED"


def test_shares_must_add_up_to_the_whole() -> None:
    """PAY-2: base and performance shares that do not add up to 1 are a malformed pack."""
    settings = {**get_pack("DONGQU").settings, "pay.base_share": "3/5"}
    with pytest.raises(DefinitionError):
        PayRules.from_policy(Policy("TEST", 1, "test", settings))


def test_display_helpers_are_exact_or_marked() -> None:
    """Display: whole-fen amounts print exactly; a non-terminating share is truncated and marked with …."""
    assert show(Fraction(420000, 11)) == "38,181.81…"
    assert show(Fraction(108000)) == "108,000.00"
    assert exact_text(Fraction(420000, 11)) == "420000/11"
    assert exact_text(Fraction(3, 100)) == "0.03"
