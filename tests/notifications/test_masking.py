"""notifications.masking.redact_document: the fast path never skips something `redact` would mask."""

from __future__ import annotations

from typing import Any

import pytest

from notifications.masking import find_unmasked_ids, redact, redact_document
from tests.conftest import make_id

ID = make_id("11010519800101001")


def _case_like(extra: dict[str, Any]) -> dict[str, Any]:
    roster = [{"name": f"代表{i}", "role": "居民代表", "present": True} for i in range(50)]
    return {"case": {"id": 7, "data": {"vote_roster": roster, "posted_on": "2026-11-16", **extra}}}


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"reason": f"身份证号 {ID} 有误"}, id="id-number-in-free-text"),
        pytest.param({"contact": {"mobile_phone": "010-1234"}}, id="short-value-under-a-phone-key"),
        pytest.param({"notes": ["见 13812345678"]}, id="mobile-number-in-a-list"),
        pytest.param({"id_number": "X"}, id="bare-id-number-key"),
    ],
)
def test_redact_document_masks_what_redact_masks(extra: dict[str, Any]) -> None:
    """Whatever the full walk would mask, the document path masks identically."""
    doc = _case_like(extra)
    assert redact_document(doc) == redact(doc)
    assert redact_document(doc) != doc


def test_redact_document_returns_a_clean_document_untouched() -> None:
    """A document with no sensitive key and no 11-digit run comes back as the same object, unchanged."""
    doc = _case_like({"reason": "会议 2026-11-16 决定", "votes": 31})
    assert redact_document(doc) is doc
    assert not find_unmasked_ids(str(doc))
