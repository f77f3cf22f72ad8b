"""Fact loaders: what guards may read beyond the case itself, loaded before they run (guards stay pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from engine.guards import CaseView


class DeferredFacts(Mapping[str, Any]):
    """Facts loaded key by key on first access, each loader at most once: a step whose guards read only the
    terms does not pay for the queries behind the other keys. Loaders run inside the caller's transaction."""

    def __init__(self, loaders: Mapping[str, Callable[[], Any]]) -> None:
        self._loaders = loaders
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            self._values[key] = self._loaders[key]()  # KeyError for an undeclared fact, as a dict would
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


def worker_facts(store: Any, case: CaseView) -> Mapping[str, Any]:
    """The worker, their current appointment (ACTIVE or HOLDOVER) if any, and their open cases
    as (case id, procedure) pairs."""
    worker_id = case.worker_id
    if worker_id is None:
        return {"worker": None, "appointment": None, "open_cases": ()}

    def appointment() -> Any:
        apps = store.appointments(worker_id=worker_id)
        return apps[0] if apps else None

    return DeferredFacts({
        "worker": lambda: store.worker(worker_id),
        "appointment": appointment,
        "open_cases": lambda: tuple(
            (c.id, c.procedure) for c in store.list_cases(worker_id=worker_id, open_only=True)),
    })
