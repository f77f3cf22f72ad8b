"""Benchmark helpers: a fresh migrated SQLite file, quiet logs, timing."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import structlog


def quiet_logs() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def fresh_sqlite(path: Path) -> str:
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(f"{path}{suffix}")
        if p.exists():
            p.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def bench_dir() -> Path:
    return Path(os.environ.get("SHEQU_BENCH_DIR", "/tmp/shequ-bench"))
