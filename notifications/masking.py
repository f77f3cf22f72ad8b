"""Masking of personal identifiers in free text and in structured data, for logs and notifications.

Structured data is masked by key (`id_number`, `phone`, `*_phone`, as `engine.queries.redact` does);
free text — names, reasons and objections people type, and everything a template or a log line
renders — is masked by pattern, because an ID number typed into a reason has no key to recognise it by:

- resident ID numbers: 18 characters (17 digits and a digit or X) not part of a longer alphanumeric run,
  and the old 15-digit form → `1101**********123X` (first 4 and last 4 shown, `engine.idcard.mask`);
- mainland mobile numbers: 11 digits starting 13–19 not part of a longer digit run → `1380***0000`.

Over-masking a number that only looks like an identifier is preferred to leaking one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from engine.idcard import mask

SENSITIVE_KEYS = ("id_number", "phone")

_ID18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# An ID number left in clear: what the log and notification scans look for.
UNMASKED_ID = _ID18
# A mobile number left in clear, for the same scans: not part of a longer run of letters or digits, so that
# the digits inside a hash or a key are not taken for one (masking itself uses the wider _MOBILE).
UNMASKED_MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


_CANDIDATE = re.compile(r"\d{11}")  # every pattern above contains a run of at least 11 digits
_SENSITIVE_SUFFIXES = tuple("_" + k for k in SENSITIVE_KEYS)


def mask_text(text: str) -> str:
    """`text` with every ID number and mobile number in it masked."""
    if not text or _CANDIDATE.search(text) is None:  # the common case (no long digit run), in one C call
        return text
    text = _ID18.sub(lambda m: mask(m.group(0)), text)
    text = _ID15.sub(lambda m: mask(m.group(0)), text)
    return _MOBILE.sub(lambda m: mask(m.group(0)), text)


def sensitive_key(key: str) -> bool:
    return key in SENSITIVE_KEYS or key.endswith(_SENSITIVE_SUFFIXES)


def redact(value: Any) -> Any:
    """A JSON-like copy of `value` with sensitive keys masked and every string masked by pattern."""
    if isinstance(value, Mapping):
        return {
            k: (mask(str(v)) if sensitive_key(str(k)) and v else redact(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


_SENSITIVE_KEY_IN_JSON = re.compile(r'"(?:[^"\\]*_)?(?:' + "|".join(SENSITIVE_KEYS) + r')"\s*:')


def redact_document(value: Any, text: str | None = None) -> Any:
    """`redact(value)` for a JSON-native document, skipping the walk when its JSON text shows nothing to mask
    (no sensitive key, no run of 11 digits) — the common case for a large case record, where the walk would
    copy hundreds of values to change none. The document is returned as is in that case. `text`: the
    document's JSON text when the caller has it already."""
    if text is None:
        text = json.dumps(value, ensure_ascii=False)
    if _CANDIDATE.search(text) is None and _SENSITIVE_KEY_IN_JSON.search(text) is None:
        return value
    return redact(value)


def find_unmasked_ids(text: str) -> list[str]:
    """Every ID number in `text` left in clear (used by the tests that scan logs and notifications)."""
    return _ID18.findall(text)


def find_unmasked_phones(text: str) -> list[str]:
    """Every mobile number in `text` left in clear (the same scans)."""
    return UNMASKED_MOBILE.findall(text)
