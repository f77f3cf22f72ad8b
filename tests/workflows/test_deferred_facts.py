"""workflows.facts.DeferredFacts: each fact is queried only when a guard first reads it, and only once."""

from __future__ import annotations

import pytest

from workflows.facts import DeferredFacts


def test_a_fact_loads_on_first_read_only_and_once() -> None:
    """Reading one key runs only its loader, once, however often it is read."""
    calls: list[str] = []
    facts = DeferredFacts({"terms": lambda: calls.append("terms") or {1: "t"},
                           "community": lambda: calls.append("community") or "c"})
    assert calls == []
    assert facts["terms"] == {1: "t"}
    assert facts.get("terms") == {1: "t"}
    assert calls == ["terms"]
    assert sorted(facts) == ["community", "terms"]


def test_an_undeclared_fact_reads_as_missing() -> None:
    """`get` of an undeclared key gives the default and indexing raises KeyError, as a dict does."""
    facts = DeferredFacts({"terms": dict})
    assert facts.get("appointments") is None
    with pytest.raises(KeyError):
        facts["appointments"]
