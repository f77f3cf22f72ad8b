"""Resident ID numbers (GB 11643-1999): check digit, birth date, gender, masking."""

from __future__ import annotations

from datetime import date

import pytest

from engine.errors import InvalidInput
from engine.idcard import check_digit, mask, parse
from tests.conftest import make_id


@pytest.mark.parametrize(("number", "birth", "gender"), [
    pytest.param("11010519491231002X", date(1949, 12, 31), "F", id="GB11643-X-check-digit"),
    pytest.param("11010519491231002x", date(1949, 12, 31), "F", id="GB11643-lowercase-x-accepted"),
    pytest.param("110105198001010016", date(1980, 1, 1), "M", id="GB11643-digit-check-digit"),
    pytest.param("440308199003071235", date(1990, 3, 7), "M", id="GB11643-another-valid"),
    pytest.param(" 110105198001010016 ", date(1980, 1, 1), "M", id="GB11643-surrounding-spaces"),
    pytest.param(make_id("11010520000229002"), date(2000, 2, 29), "F", id="GB11643-feb29-leap-birth"),
])
def test_valid_numbers_parse(number: str, birth: date, gender: str) -> None:
    """A valid number yields its birth date and gender (17th digit odd = male), normalised upper-case."""
    parsed = parse(number)
    assert (parsed.birth_date, parsed.gender) == (birth, gender)
    assert parsed.value == number.strip().upper()
    assert len(parsed.value) == 18


def test_check_digit_is_iso7064_mod_11_2() -> None:
    """The check digit of the standard's example 11010519491231002 is X (remainder 2)."""
    assert check_digit("11010519491231002") == "X"
    assert check_digit("11010519800101001") == "6"


@pytest.mark.parametrize(("number", "why"), [
    pytest.param("110105194912310021", "校验码应为 X", id="ID-wrong-check-digit"),
    pytest.param("110105198001010017", "校验码应为 6", id="ID-wrong-check-digit-digit"),
    pytest.param(make_id("11010519800230001"), "出生日期无效", id="ID-feb30-birth-date"),
    pytest.param(make_id("11010519801301001"), "出生日期无效", id="ID-month-13"),
    pytest.param(make_id("11010520010229001"), "出生日期无效", id="ID-feb29-common-year"),
    pytest.param("11010519800101001", "应为17位数字加1位校验码", id="ID-17-characters"),
    pytest.param("1101051980010100166", "应为17位数字加1位校验码", id="ID-19-characters"),
    pytest.param("110105800101001", "应为17位数字加1位校验码", id="ID-old-15-digit-format"),
    pytest.param("1101051980A1010016", "应为17位数字加1位校验码", id="ID-letter-in-body"),
    pytest.param("11010519800101001Y", "应为17位数字加1位校验码", id="ID-check-letter-not-x"),
    pytest.param("", "应为17位数字加1位校验码", id="ID-empty"),
])
def test_invalid_numbers_are_rejected_with_a_reason(number: str, why: str) -> None:
    """An invalid number raises ID_NUMBER_INVALID naming the defect, with the number masked."""
    with pytest.raises(InvalidInput) as info:
        parse(number)
    err = info.value
    assert err.code == "ID_NUMBER_INVALID"
    assert err.details["why"] == why
    assert why in err.message_zh
    if len(number) > 8:
        assert number not in err.message_zh  # never echo a full ID number


@pytest.mark.parametrize(("value", "masked"), [
    pytest.param("110101199003071234", "1101**********1234", id="mask-18"),
    pytest.param("11010519491231002X", "1101**********002X", id="mask-x"),
    pytest.param("123456789", "1234*6789", id="mask-9"),
    pytest.param("12345678", "********", id="mask-short-all-hidden"),
    pytest.param("", "", id="mask-empty"),
])
def test_mask_shows_only_first_and_last_four(value: str, masked: str) -> None:
    """mask keeps the first 4 and last 4 characters; 8 or fewer are hidden entirely."""
    assert mask(value) == masked


def test_parsed_number_masks_itself() -> None:
    """IdNumber.masked is the masked form of its value."""
    assert parse("11010519491231002X").masked == "1101**********002X"
