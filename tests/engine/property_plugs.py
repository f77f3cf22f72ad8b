"""The table that plugs procedures into the stateful property test (tests/engine/test_property.py).

To cover a new procedure, add one `Plug`: who opens a case in the `world` fixture and with which
subject, a payload strategy per trigger (dates relative to the clock's "today"), and the logins that
plausibly take each trigger. Every other login of the world (and SYSTEM) is tried as well, so the
hints only make progress likely; they never limit what is tested.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tests.conftest import World

PayloadFactory = Callable[[date], SearchStrategy[dict[str, Any]]]


@dataclass(frozen=True)
class Plug:
    code: str
    openers: tuple[str, ...]
    open_kwargs: Callable[[World], dict[str, Any]]
    payloads: Mapping[str, PayloadFactory] = field(default_factory=dict)  # trigger -> factory(today)
    actors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # trigger -> likely logins


def day(lo: int, hi: int) -> Callable[[date], SearchStrategy[str]]:
    """An ISO date between today+lo and today+hi (inclusive)."""
    return lambda today: st.integers(lo, hi).map(lambda n: (today + timedelta(days=n)).isoformat())


def ref() -> SearchStrategy[str]:
    return st.sampled_from(["D-1", "M-2", "B-3", "文号〔2025〕1号", "  x  "])


NOISE = ("none",) * 6 + ("unknown_field", "drop_first", "bad_value")


def _noisy(pair: tuple[dict[str, Any], str]) -> dict[str, Any]:
    """Mostly well-formed payloads; sometimes one defect, so rejections are exercised too."""
    payload, noise = pair
    keys = sorted(payload)
    if noise == "unknown_field":
        payload["bogus_field"] = "x"
    elif noise == "drop_first" and keys:
        payload.pop(keys[0])
    elif noise == "bad_value" and keys:
        payload[keys[0]] = "??"
    return payload


def payload(required: Mapping[str, Callable[[date], SearchStrategy[Any]]],
            optional: Mapping[str, Callable[[date], SearchStrategy[Any]]] | None = None) -> PayloadFactory:
    def factory(today: date) -> SearchStrategy[dict[str, Any]]:
        base = st.fixed_dictionaries({k: f(today) for k, f in required.items()},
                                     optional={k: f(today) for k, f in (optional or {}).items()})
        return st.tuples(base, st.sampled_from(NOISE)).map(_noisy)
    return factory


def _const(strategy: SearchStrategy[Any]) -> Callable[[date], SearchStrategy[Any]]:
    return lambda _today: strategy


RESIGNATION_PLUG = Plug(
    code="resignation",
    openers=("zhang",),
    open_kwargs=lambda w: {"worker_id": w.worker_id},
    payloads={
        "submit": payload({"submitted_on": day(-40, 2),
                           "written": _const(st.sampled_from([True, True, "是", False])),
                           "document_ref": _const(ref())},
                          {"separation_date": day(0, 70), "reason": _const(ref())}),
        "approve": payload({"decided_on": day(-5, 1), "minutes_ref": _const(ref())},
                           {"approved_separation_date": day(0, 70)}),
        "return_application": payload({"decided_on": day(-5, 1), "return_reason": _const(ref())}),
        "withdraw": payload({"withdrawn_on": day(-5, 1)}),
        "record_filing": payload({"filed_on": day(-5, 1), "filing_no": _const(ref())}),
        "close_moot": payload({"moot_reason": _const(ref())}),
    },
    actors={
        "submit": ("zhang",), "withdraw": ("zhang",),
        "approve": ("s1_party",), "return_application": ("s1_party",),
        "record_filing": ("bureau",),
        "mark_overdue": ("system",), "separate": ("system",), "close_moot": ("system",), "close": ("system",),
    },
)

PLUGS: dict[str, Plug] = {p.code: p for p in (RESIGNATION_PLUG,)}
