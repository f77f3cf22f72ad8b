"""Fact loaders: what guards may read beyond the case itself, loaded before they run (guards stay pure)."""

from __future__ import annotations

from typing import Any

from engine.guards import CaseView


def worker_facts(store: Any, case: CaseView) -> dict[str, Any]:
    """The worker and their current appointment (ACTIVE or HOLDOVER), if any."""
    if case.worker_id is None:
        return {"worker": None, "appointment": None}
    apps = store.appointments(worker_id=case.worker_id)
    return {"worker": store.worker(case.worker_id), "appointment": apps[0] if apps else None}
