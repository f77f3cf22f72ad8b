"""Resident ID numbers (GB 11643-1999): structure, check digit, birth date and gender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.errors import InvalidInput
from engine.text import t

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    gender: str  # "M" or "F"

    @property
    def masked(self) -> str:
        return mask(self.value)


def mask(value: str) -> str:
    """`110101199003071234` → `1101**********1234` (first 4 and last 4 shown)."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def parse(raw: str) -> IdNumber:
    """Validate an 18-character ID number; raise `InvalidInput(ID_NUMBER_INVALID)` naming the defect."""
    value = raw.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidInput("ID_NUMBER_INVALID", details={"id": mask(value), "why": t("idcard.format")})
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidInput(
            "ID_NUMBER_INVALID", details={"id": mask(value), "why": t("idcard.birth_date")}
        ) from exc
    expected = check_digit(value[:17])
    if value[17] != expected:
        why = t("idcard.check_digit", expected=expected)
        raise InvalidInput("ID_NUMBER_INVALID", details={"id": mask(value), "why": why})
    gender = "M" if int(value[16]) % 2 == 1 else "F"
    return IdNumber(value, birth, gender)
