"""The audit chain: every entry's hash covers its content and the previous entry's hash.

`seq` is gap-free from 1 and part of the hashed content, so an edited, deleted, reordered or
inserted entry breaks the chain at a point `verify` names. The head row (last seq and hash) catches
deletion of the newest entries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SCHEMA_VERSION = 1
GENESIS_HASH = "0" * 64


def normalise(value: Any) -> Any:
    """Make a body JSON-native and stable (dates → ISO strings, tuples → lists, sets → sorted)."""
    return normalise_with_text(value)[0]


def normalise_with_text(value: Any) -> tuple[Any, str]:
    """`normalise(value)` and the JSON text it was read back from (for a caller that searches the text)."""
    text = json.dumps(value, ensure_ascii=False, default=_default, sort_keys=True)
    return json.loads(text), text


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {k: _canonical_value(v) for k, v in fields.items()},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return value


def hashed_fields(
    *,
    seq: int,
    case_id: int | None,
    procedure: str | None,
    action: str,
    from_state: str | None,
    to_state: str | None,
    actor_login: str,
    actor_name: str,
    role: str,
    at: datetime,
    body: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "seq": seq,
        "case_id": case_id,
        "procedure": procedure,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "actor_login": actor_login,
        "actor_name": actor_name,
        "role": role,
        "at": at,
        "body": body,
    }


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None  # text-catalog key suffix under audit.problem.*


def verify(entries: Iterable[Any], head_seq: int, head_hash: str) -> VerifyReport:
    """Walk entries in stored order (ascending seq). Each must follow its predecessor exactly."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in entries:
        if entry.seq != expected_seq:
            kind = "gap" if entry.seq > expected_seq else "order"
            return VerifyReport(False, checked, expected_seq if kind == "gap" else entry.seq, kind)
        if entry.prev_hash != prev_hash:
            return VerifyReport(False, checked, entry.seq, "link")
        body = entry.body
        if not isinstance(body, dict) or body.get("schema_version") != SCHEMA_VERSION:
            return VerifyReport(False, checked, entry.seq, "schema")
        fields = hashed_fields(
            seq=entry.seq,
            case_id=entry.case_id,
            procedure=entry.procedure,
            action=entry.action,
            from_state=entry.from_state,
            to_state=entry.to_state,
            actor_login=entry.actor_login,
            actor_name=entry.actor_name,
            role=entry.role,
            at=entry.at,
            body=body,
        )
        if entry_hash(prev_hash, fields) != entry.hash:
            return VerifyReport(False, checked, entry.seq, "content")
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1
    if head_seq != checked or head_hash != prev_hash:
        # head ahead: the newest entries were deleted; head behind: entries were appended past it;
        # same length, other hash: the last entry was replaced.
        first_bad = checked + 1 if head_seq > checked else head_seq + 1 if head_seq < checked else head_seq
        return VerifyReport(False, checked, first_bad, "head")
    return VerifyReport(True, checked)
