"""Fact loaders: what guards may read beyond the case itself, loaded before they run (guards stay pure)."""

from __future__ import annotations

from typing import Any

from engine.guards import CaseView


def worker_facts(store: Any, case: CaseView) -> dict[str, Any]:
    """The worker, their current appointment (ACTIVE or HOLDOVER) if any, and their open cases
    as (case id, procedure) pairs."""
    if case.worker_id is None:
        return {"worker": None, "appointment": None, "open_cases": ()}
    apps = store.appointments(worker_id=case.worker_id)
    open_cases = tuple(
        (c.id, c.procedure) for c in store.list_cases(worker_id=case.worker_id, open_only=True)
    )
    return {
        "worker": store.worker(case.worker_id),
        "appointment": apps[0] if apps else None,
        "open_cases": open_cases,
    }
