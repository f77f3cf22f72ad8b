"""The whole-suite scan for personal identifiers left in clear (issue 4: "a scan of all logs and rendered
notifications produced by the test suite finds no unmasked 18-digit ID number").

`LeakScan.install()` (tests/conftest.py, at session start) routes three kinds of output through
`notifications.masking.find_unmasked_ids` and `find_unmasked_phones`:

- **logs**: structlog and stdlib logging are configured for the whole session as the front ends configure
  them (`engine.logging.configure`, masking processor included; JSON, verbose: debug events too) into one
  buffer, scanned and emptied after each test; a test that configures logging itself gets the session's
  configuration back at `restore()` (it is the baseline) and again after the test;
- **rendered notifications**: the subject, text and HTML of every `notifications.render.render` call (the
  function is wrapped where it is defined and in every module that imported it by name);
- **CLI output**: stdout and stderr (the CLI's own logs included) of every `click.testing.CliRunner.invoke`.

What a test passes *in* (rosters, `--id-number` arguments, payloads) is not scanned: only what the product
logs, renders or prints. A leak is charged to the test during which it happened: that test's teardown
report turns into an error naming the identifier, where it appeared and a snippet around it; leaks outside
any test (session fixtures) fail the session. `pytest_terminal_summary` lists every leak either way.

Processes a test starts (scheduler and outbox workers) log to their own pipes and are not scanned here.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any

import pytest
import structlog
from click.testing import CliRunner, Result

from engine import logging as shequ_logging
from notifications import render as render_module
from notifications.masking import UNMASKED_MOBILE, find_unmasked_ids

_CANDIDATE = re.compile(r"\d{11}")  # IDs and mobile numbers have 11 digits in a row: skips most texts
_SNIPPET = 40


@dataclass(frozen=True)
class Leak:
    """An identifier found in clear: in which test, in what output, and the text around it."""

    test: str
    source: str
    value: str
    context: str

    def __str__(self) -> str:
        return f"{self.value} in {self.source} ({self.test}): …{self.context}…"


def _leaks_in(text: str) -> list[tuple[str, int]]:
    if not text or _CANDIDATE.search(text) is None:
        return []
    found = [(m.group(0), m.start()) for m in UNMASKED_MOBILE.finditer(text)]
    for value in find_unmasked_ids(text):
        found.append((value, text.find(value)))
    return found


class LeakScan:
    """Records what the suite logs, renders and prints, and the identifiers found in clear in it."""

    OUTSIDE = "<outside any test>"

    def __init__(self) -> None:
        self.log = io.StringIO()
        self.leaks: list[Leak] = []
        self.test = self.OUTSIDE
        self.scanned = {"log lines": 0, "notification parts": 0, "CLI outputs": 0}  # what was looked at
        self._undo: list[Callable[[], None]] = []

    # ------------------------------------------------------------ scanning

    def check(self, source: str, text: str, count: str, n: int = 1) -> None:
        """Record the identifiers in clear in `text` (`source`: where it came from; `count`: its tally)."""
        self.scanned[count] += n
        for value, at in _leaks_in(text):
            context = text[max(0, at - _SNIPPET):at + len(value) + _SNIPPET].replace("\n", " ")
            self.leaks.append(Leak(self.test, source, value, context))

    def begin(self, test: str) -> None:
        self.flush_log()
        self.test = test

    def end(self) -> list[Leak]:
        """Scan the test's logs, put the session's logging back, and return the test's leaks."""
        self.flush_log()
        self.configure_logging()
        test, self.test = self.test, self.OUTSIDE
        return [leak for leak in self.leaks if leak.test == test]

    def flush_log(self) -> None:
        if not self.log.tell():
            return
        text = self.log.getvalue()
        self.check("log", text, "log lines", text.count("\n"))
        self.log.seek(0)
        self.log.truncate()

    def test_log(self) -> str:
        """What the current test has logged so far (JSON lines)."""
        return self.log.getvalue()

    # ------------------------------------------------------------ hooks into the product

    def configure_logging(self) -> None:
        shequ_logging.configure(json=True, verbose=True, stream=self.log, baseline=True)

    def install(self) -> None:
        self.configure_logging()
        self._undo.append(structlog.reset_defaults)
        self._wrap_render()
        self._wrap_cli_runner()

    def uninstall(self) -> None:
        self.flush_log()
        while self._undo:
            self._undo.pop()()

    def _wrap_render(self) -> None:
        original = render_module.render

        @wraps(original)
        def render(*args: Any, **kwargs: Any) -> render_module.Rendered:
            out = original(*args, **kwargs)
            for part, text in (("subject", out.subject), ("text", out.text), ("html", out.html)):
                self.check(f"notification {out.kind} ({part})", text, "notification parts")
            return out

        # The defining module first (modules imported later bind the wrapper), then those bound already.
        holders = [render_module, *(m for name, m in list(sys.modules.items())
                                    if m is not None and m is not render_module
                                    and (name.startswith(("engine", "notifications", "workflows")))
                                    and getattr(m, "render", None) is original)]
        for module in holders:
            module.render = render  # type: ignore[attr-defined]
            self._undo.append(lambda module=module: setattr(module, "render", original))

    def _wrap_cli_runner(self) -> None:
        original = CliRunner.invoke

        @wraps(original)
        def invoke(runner: CliRunner, *args: Any, **kwargs: Any) -> Result:
            result = original(runner, *args, **kwargs)
            self.check("CLI output", result.output, "CLI outputs")
            return result

        CliRunner.invoke = invoke  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(CliRunner, "invoke", original))


# ---------------------------------------------------------------- the plugin (tests/conftest.py loads it)

SCAN = LeakScan()


def pytest_sessionstart(session: pytest.Session) -> None:
    SCAN.install()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    SCAN.begin(item.nodeid)
    try:
        return (yield)
    finally:
        SCAN.test = SCAN.OUTSIDE


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test shows what it logged; a test during which an identifier leaked errors at teardown."""
    report: pytest.TestReport = yield  # type: ignore[assignment]
    if call.when == "call" and report.failed and SCAN.test_log():
        report.sections.append(("Captured shequ log (JSON)", SCAN.test_log()))
    if call.when == "teardown":
        leaks = SCAN.end()
        if leaks:
            listing = "\n".join(f"  {leak}" for leak in dict.fromkeys(leaks))
            message = f"unmasked identifiers in logs, rendered notifications or CLI output:\n{listing}"
            report.outcome = "failed"
            report.longrepr = message if report.longrepr is None else f"{report.longrepr}\n{message}"
    return report  # type: ignore[return-value]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """After the session's fixtures are gone: any leak at all fails the session."""
    SCAN.uninstall()
    if SCAN.leaks and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = ", ".join(f"{n} {kind}" for kind, n in SCAN.scanned.items())
    if not SCAN.leaks:
        terminalreporter.write_line(f"identifier scan (issue 4): nothing in clear in {counts}")
        return
    terminalreporter.section("unmasked identifiers (issue 4)", red=True, bold=True)
    for leak in dict.fromkeys(SCAN.leaks):
        terminalreporter.write_line(str(leak), red=True)
