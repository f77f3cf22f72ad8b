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
from notifications.masking import mask_text, redact

ENV_JSON = "SHEQU_LOG_JSON"
_CLOCK = SystemClock()


def env_wants_json() -> bool:
    return os.environ.get(ENV_JSON, "").strip().lower() in ("1", "true", "yes")


def mask_sensitive(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Mask ID numbers and phone numbers in every value of the event (by key and by pattern), so that no log
    line shows one in clear, whatever a caller bound or a user typed (notifications.masking)."""
    return redact(event)  # type: ignore[no-any-return]


def _timestamp(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event["timestamp"] = _CLOCK.now().isoformat(timespec="milliseconds")
    return event


class _StderrLoggerFactory:
    """Resolve `sys.stderr` at each logger creation, so a redirected stderr (tests) is honoured."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def __call__(self, *_args: Any) -> structlog.PrintLogger:
        return structlog.PrintLogger(self._stream or sys.stderr)


# Stdlib loggers we set, and what they were before (restored by `restore`).
_QUIET = {"transitions": logging.ERROR, "sqlalchemy": logging.WARNING}
_saved: dict[str, Any] = {}


def configure(*, json: bool = False, verbose: bool = False, stream: TextIO | None = None,
              baseline: bool = False) -> None:
    """Route structlog (and stdlib logging, e.g. Alembic) to stderr at warning level unless verbose.

    Verbose shows structlog events from debug up and stdlib records from info up. Two stdlib loggers
    stay quiet even then: `transitions` warns "Skip binding of ... due to model override policy" on
    every case it loads (expected: machines are compiled with model_override=True, docs/DECISIONS.md 1),
    and SQLAlchemy would echo every statement. Call `restore` to undo (the CLI does at exit).

    `baseline=True` makes this configuration the one `restore` returns to, whatever was configured before
    (the test session's: every CLI invocation inside it restores the session's logging at exit).
    """
    if not _saved:
        _saved["structlog"] = structlog.get_config()
        _saved["root_level"] = logging.getLogger().level
        _saved["levels"] = {name: logging.getLogger(name).level for name in _QUIET}
        _saved["handlers"] = [h for h in logging.getLogger().handlers if isinstance(h, _StderrHandler)]
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
            mask_sensitive,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_StderrLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    _remove_handlers(root)
    handler = _StderrHandler(stream)
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    if baseline:
        _saved.clear()


def restore() -> None:
    """Undo `configure`: the previous structlog configuration, stdlib levels and handlers."""
    if not _saved:
        return
    config = _saved.pop("structlog")
    structlog.configure(**config)
    root = logging.getLogger()
    _remove_handlers(root)
    for handler in _saved.pop("handlers"):
        root.addHandler(handler)
    root.setLevel(_saved.pop("root_level"))
    for name, level in _saved.pop("levels").items():
        logging.getLogger(name).setLevel(level)
    _saved.clear()


def _remove_handlers(root: logging.Logger) -> None:
    for old in list(root.handlers):
        if isinstance(old, _StderrHandler):
            root.removeHandler(old)


class _StderrHandler(logging.Handler):
    """A stdlib handler writing to the current `sys.stderr` (not the one of configure time)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            target = self._stream or sys.stderr
            target.write(mask_text(self.format(record)) + "\n")
            target.flush()
        except Exception:  # pragma: no cover - logging must never break the command
            self.handleError(record)
