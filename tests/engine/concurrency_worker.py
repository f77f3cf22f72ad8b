"""Child-process side of tests/engine/test_concurrency.py (imported by multiprocessing 'spawn').

Each worker builds its own App on the shared SQLite file, then for every task waits at the shared
barrier and fires the trigger with the expected version, reporting the outcome on the result queue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.app import App, build
from engine.clock import FrozenClock
from engine.errors import ShequFlowError


def run(name: str, barrier: Any, tasks: Any, results: Any) -> None:
    apps: dict[str, App] = {}
    try:
        while True:
            task = tasks.get()
            if task is None:
                return
            url, now_iso, case_id, trigger, login, payload, expected = task
            app = apps.get(url)
            if app is None:
                app = apps[url] = build(url, FrozenClock(datetime.fromisoformat(now_iso)))
            app.clock.set(datetime.fromisoformat(now_iso))  # type: ignore[attr-defined]
            barrier.wait(timeout=60)
            try:
                result = app.engine.fire(case_id, trigger, login, payload, expected_version=expected)
                results.put((name, "ok", result.version, result.state, {}))
            except ShequFlowError as exc:
                results.put((name, type(exc).__name__, exc.code, None, exc.to_dict().get("details", {})))
            except Exception as exc:  # reported, so the parent fails with the reason instead of hanging
                results.put((name, "crash", repr(exc), None, {}))
    finally:
        for app in apps.values():
            app.db.engine.dispose()
