"""Structured logging for front ends (the CLI configures it once per invocation).

Engine logs always go to **stderr**, so `--json` output on stdout stays machine-readable. By default
only warnings and errors are shown; `verbose=True` shows everything down to debug. Rendering is a
readable console format in a terminal, JSON lines when `json=True` (`--json` or `SHEQU_LOG_JSON=1`).

Log timestamps are operational (when the process ran), so they come from the real clock through
`engine.clock.SystemClock`, never from the simulated `--now` clock.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from engine.clock import SystemClock

ENV_JSON = "SHEQU_LOG_JSON"
_CLOCK = SystemClock()


def env_wants_json() -> bool:
    return os.environ.get(ENV_JSON, "").strip().lower() in ("1", "true", "yes")


def _timestamp(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event["timestamp"] = _CLOCK.now().isoformat(timespec="milliseconds")
    return event


class _StderrLoggerFactory:
    """Resolve `sys.stderr` at each logger creation, so a redirected stderr (tests) is honoured."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def __call__(self, *_args: Any) -> structlog.PrintLogger:
        return structlog.PrintLogger(self._stream or sys.stderr)


def configure(*, json: bool = False, verbose: bool = False, stream: TextIO | None = None) -> None:
    """Route structlog (and stdlib logging, e.g. Alembic) to stderr at warning level unless verbose."""
    level = logging.DEBUG if verbose else logging.WARNING
    target = stream or sys.stderr
    renderer: Any
    if json:
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=bool(getattr(target, "isatty", lambda: False)()))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            _timestamp,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_StderrLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    handler = _StderrHandler(stream)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _StderrHandler):
            root.removeHandler(old)
    root.addHandler(handler)
    if verbose:
        root.setLevel(logging.DEBUG)
    # `transitions` warns "Skip binding of ... due to model override policy" on every case it loads:
    # expected, since the engine compiles machines with model_override=True (docs/DECISIONS.md 1).
    logging.getLogger("transitions").setLevel(logging.DEBUG if verbose else logging.ERROR)


class _StderrHandler(logging.Handler):
    """A stdlib handler writing to the current `sys.stderr` (not the one of configure time)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            target = self._stream or sys.stderr
            target.write(self.format(record) + "\n")
            target.flush()
        except Exception:  # pragma: no cover - logging must never break the command
            self.handleError(record)
