"""Payload validation (engine.payload): typed coercion, Chinese reasons, all problems at once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.errors import InvalidInput
from engine.payload import coerce, validate
from engine.spec import Field, FieldType
from engine.text import t

TEXT = Field("document_ref")
INT = Field("count", FieldType.INT, minimum=1)
DECIMAL = Field("amount", FieldType.DECIMAL, minimum=0)
DATE = Field("submitted_on", FieldType.DATE)
BOOL = Field("written", FieldType.BOOL)
CHOICE = Field("grade", FieldType.CHOICE, choices=("优秀", "称职"))
JSON = Field("tally", FieldType.JSON)


@pytest.mark.parametrize(("field", "raw", "expected"), [
    pytest.param(TEXT, "  D-1 ", "D-1", id="text-stripped"),
    pytest.param(TEXT, 42, "42", id="text-from-number"),
    pytest.param(INT, "42", 42, id="int-from-string"),
    pytest.param(INT, " 7 ", 7, id="int-stripped"),
    pytest.param(INT, 1, 1, id="int-at-minimum"),
    pytest.param(DECIMAL, "3.50", "3.50", id="decimal-exact-string"),
    pytest.param(DECIMAL, 0, "0", id="decimal-at-minimum"),
    pytest.param(DATE, "2025-01-06", "2025-01-06", id="date-iso"),
    pytest.param(DATE, date(2025, 1, 6), "2025-01-06", id="date-object"),
    pytest.param(BOOL, True, True, id="bool-true"),
    pytest.param(BOOL, "是", True, id="bool-chinese-yes"),
    pytest.param(BOOL, "否", False, id="bool-chinese-no"),
    pytest.param(BOOL, "FALSE", False, id="bool-word-any-case"),
    pytest.param(BOOL, 1, True, id="bool-one"),
    pytest.param(CHOICE, " 优秀 ", "优秀", id="choice-stripped"),
    pytest.param(JSON, {"yes": 3}, {"yes": 3}, id="json-object"),
    pytest.param(JSON, '[1, "二"]', [1, "二"], id="json-list-from-string"),
])
def test_each_type_coerces_to_a_json_native_value(field: Field, raw: Any, expected: Any) -> None:
    """A well-formed value is normalised to the JSON-native form the case and audit entry store."""
    assert coerce(field, raw) == expected


@pytest.mark.parametrize(("field", "raw", "reason"), [
    pytest.param(TEXT, "   ", t("payload.empty"), id="text-blank"),
    pytest.param(INT, "4.2", t("payload.not_int"), id="int-fraction"),
    pytest.param(INT, "十", t("payload.not_int"), id="int-chinese-numeral"),
    pytest.param(INT, True, t("payload.not_int"), id="int-bool-refused"),
    pytest.param(INT, "0", t("payload.below_min", minimum=1), id="int-below-minimum"),
    pytest.param(DECIMAL, "abc", t("payload.not_number"), id="decimal-word"),
    pytest.param(DECIMAL, "NaN", t("payload.not_number"), id="decimal-nan"),
    pytest.param(DECIMAL, "Infinity", t("payload.not_number"), id="decimal-infinity"),
    pytest.param(DECIMAL, "-0.01", t("payload.below_min", minimum=0), id="decimal-below-minimum"),
    pytest.param(DATE, "2025/01/06", t("payload.not_date"), id="date-slashes"),
    pytest.param(DATE, "2025-02-30", t("payload.not_date"), id="date-impossible"),
    pytest.param(BOOL, "maybe", t("payload.not_bool"), id="bool-unknown-word"),
    pytest.param(CHOICE, "良好", t("payload.not_choice", choices="优秀、称职"), id="choice-not-listed"),
    pytest.param(JSON, "{not json", t("payload.not_json"), id="json-malformed"),
    pytest.param(JSON, 5, t("payload.not_json"), id="json-scalar"),
    pytest.param(JSON, '"text"', t("payload.not_json"), id="json-string-scalar"),
])
def test_a_bad_value_gets_a_chinese_reason(field: Field, raw: Any, reason: str) -> None:
    """A malformed value raises ValueError whose message is the catalog's Chinese reason."""
    with pytest.raises(ValueError) as info:  # noqa: PT011 - the message is checked exactly below
        coerce(field, raw)
    assert str(info.value) == reason


@pytest.mark.parametrize("key", ["empty", "not_int", "not_number", "below_min", "not_date", "not_bool",
                                 "not_choice", "not_json", "unknown_field", "missing"])
def test_every_payload_reason_is_in_the_catalog(key: str) -> None:
    """Each reason key resolves to Chinese text (a missing key would show the bare key)."""
    text = t(f"payload.{key}")
    assert text != f"payload.{key}"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


FIELDS = (DATE, BOOL, TEXT, Field("reason", required=False))


def test_a_complete_payload_is_normalised() -> None:
    """Required fields are coerced; an absent optional field is simply left out."""
    out = validate(FIELDS, {"submitted_on": date(2025, 1, 6), "written": "是", "document_ref": " D1 "},
                   trigger="submit")
    assert out == {"submitted_on": "2025-01-06", "written": True, "document_ref": "D1"}


def test_an_unknown_field_is_rejected() -> None:
    """A field the step does not declare is refused, not silently dropped."""
    with pytest.raises(InvalidInput) as info:
        validate(FIELDS, {"submitted_on": "2025-01-06", "written": True, "document_ref": "D1", "salary": 1},
                 trigger="submit")
    assert info.value.code == "PAYLOAD_INVALID"
    assert info.value.details["fields"] == ["salary"]
    assert t("payload.unknown_field") in info.value.message_zh


def test_all_problems_are_reported_at_once() -> None:
    """Missing, malformed and unknown fields are listed together in one error, each with its label."""
    with pytest.raises(InvalidInput) as info:
        validate(FIELDS, {"submitted_on": "2025-13-01", "written": "maybe", "extra": "x", "reason": "  "},
                 trigger="submit")
    err = info.value
    assert err.code == "PAYLOAD_INVALID"
    assert sorted(err.details["fields"]) == ["document_ref", "extra", "submitted_on", "written"]
    for label in (t("fields.submitted_on"), t("fields.written"), t("fields.document_ref")):
        assert label in err.message_zh
    for key in ("not_date", "not_bool", "missing", "unknown_field"):
        assert t(f"payload.{key}") in err.message_zh
    assert "submit" in err.message_zh


def test_blank_text_counts_as_missing() -> None:
    """A whitespace-only required value is reported as missing (必填)."""
    with pytest.raises(InvalidInput) as info:
        validate((TEXT,), {"document_ref": "   "}, trigger="t")
    assert info.value.details["fields"] == ["document_ref"]
    assert t("payload.missing") in info.value.message_zh


def test_no_payload_with_required_fields_lists_them_all() -> None:
    """An empty payload names every required field."""
    with pytest.raises(InvalidInput) as info:
        validate(FIELDS, None, trigger="submit")
    assert info.value.details["fields"] == ["submitted_on", "written", "document_ref"]


@pytest.mark.parametrize(("raw", "expected"), [
    pytest.param({"RH_REP_SHARE": "代表不足"}, {"RH_REP_SHARE": "代表不足"}, id="SOFT-1-overrides-object"),
    pytest.param('{"EXH_AGE_LIMIT": "特殊人才"}', {"EXH_AGE_LIMIT": "特殊人才"},
                 id="SOFT-1-overrides-json-string"),
])
def test_overrides_are_accepted_as_a_code_to_reason_map(raw: Any, expected: dict[str, str]) -> None:
    """SOFT-1: `overrides` passes through validation as {code: reason} even though no step declares it."""
    out = validate((), {"overrides": raw}, trigger="t")
    assert out == {"overrides": expected}


def test_malformed_overrides_are_a_problem() -> None:
    """An `overrides` value that is not a mapping is reported like any other bad field."""
    with pytest.raises(InvalidInput) as info:
        validate((), {"overrides": "not json"}, trigger="t")
    assert info.value.details["fields"] == ["overrides"]
    assert t("fields.overrides") in info.value.message_zh
