"""Validate and normalise a step's payload against its declared fields, before anything changes.

Values are normalised to JSON-native types (dates as ISO strings) so that what the guards see, what
the case records and what the audit entry hashes are the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.errors import InvalidInput
from engine.evaluate import OVERRIDES_FIELD
from engine.spec import Field, FieldType
from engine.text import join_clauses, join_list, t

# Input vocabulary (data, not messages): the words a BOOL field accepts for yes and for no.
BOOL_TRUE_WORDS = frozenset({"true", "1", "yes", "y", "是", "有"})
BOOL_FALSE_WORDS = frozenset({"false", "0", "no", "n", "否", "无"})


def coerce(f: Field, raw: Any) -> Any:
    """One value of field `f`, or raise ValueError with a Chinese reason."""
    convert = _COERCERS.get(f.type)
    if convert is None:
        raise ValueError(f"unknown field type {f.type}")
    return convert(f, raw)


def _text(f: Field, raw: Any) -> str:
    text = str(raw).strip()
    if not text:
        raise ValueError(t("payload.empty"))
    return text


def _int(f: Field, raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(t("payload.not_int"))
    try:
        value = int(str(raw).strip())
    except ValueError as exc:
        raise ValueError(t("payload.not_int")) from exc
    if f.minimum is not None and value < f.minimum:
        raise ValueError(t("payload.below_min", minimum=f.minimum))
    return value


def _decimal(f: Field, raw: Any) -> str:
    try:
        dec = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise ValueError(t("payload.not_number")) from exc
    if not dec.is_finite():
        raise ValueError(t("payload.not_number"))
    if f.minimum is not None and dec < f.minimum:
        raise ValueError(t("payload.below_min", minimum=f.minimum))
    return str(dec)


def _date(f: Field, raw: Any) -> str:
    if isinstance(raw, date):
        return raw.isoformat()
    try:
        return date.fromisoformat(str(raw).strip()).isoformat()
    except ValueError as exc:
        raise ValueError(t("payload.not_date")) from exc


def _bool(f: Field, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in BOOL_TRUE_WORDS:
        return True
    if word in BOOL_FALSE_WORDS:
        return False
    raise ValueError(t("payload.not_bool"))


def _choice(f: Field, raw: Any) -> str:
    choice = str(raw).strip()
    if choice not in f.choices:
        raise ValueError(t("payload.not_choice", choices=join_list(f.choices)))
    return choice


def _json(f: Field, raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(t("payload.not_json")) from exc
    if not isinstance(raw, dict | list):
        raise ValueError(t("payload.not_json"))
    return json.loads(json.dumps(raw, ensure_ascii=False))


_COERCERS: dict[FieldType, Callable[[Field, Any], Any]] = {
    FieldType.TEXT: _text,
    FieldType.INT: _int,
    FieldType.DECIMAL: _decimal,
    FieldType.DATE: _date,
    FieldType.BOOL: _bool,
    FieldType.CHOICE: _choice,
    FieldType.JSON: _json,
}


def validate(fields: tuple[Field, ...], raw: Mapping[str, Any] | None, *, trigger: str) -> dict[str, Any]:
    """The normalised payload; every problem is reported at once in one InvalidInput."""
    raw = dict(raw or {})
    known = {f.name: f for f in fields}
    problems: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    overrides = raw.pop(OVERRIDES_FIELD, None)
    for name in sorted(set(raw) - set(known)):
        problems.append({"field": name, "label": name, "reason": t("payload.unknown_field")})
    for f in fields:
        value = raw.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if f.required:
                problems.append({"field": f.name, "label": t(f"fields.{f.name}"),
                                 "reason": t("payload.missing")})
            continue
        try:
            out[f.name] = coerce(f, value)
        except ValueError as exc:
            problems.append({"field": f.name, "label": t(f"fields.{f.name}"), "reason": str(exc)})
    if overrides is not None:
        if isinstance(overrides, str):
            try:
                overrides = json.loads(overrides)
            except json.JSONDecodeError:
                overrides = None
        if not isinstance(overrides, dict):
            problems.append({"field": OVERRIDES_FIELD, "label": t("fields.overrides"),
                             "reason": t("payload.not_json")})
        else:
            out[OVERRIDES_FIELD] = {str(k): str(v) for k, v in overrides.items()}
    if problems:
        listing = join_clauses(t("text.field_reason", **p) for p in problems)
        raise InvalidInput("PAYLOAD_INVALID", details={"trigger": trigger, "problems": listing,
                                                       "fields": [p["field"] for p in problems]})
    return out
