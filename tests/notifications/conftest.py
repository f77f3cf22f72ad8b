"""Fixtures of the notification tests: the seeded world with contact data, a file-channel configuration in a
temporary folder, and — for every test here — a scan of everything logged and every notification rendered
for an unmasked 18-digit ID number (the issue's "no unmasked ID in logs and notifications")."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from engine import logging as shequ_logging
from notifications import render as render_module
from notifications.config import FileConfig, NotifyConfig
from notifications.masking import find_unmasked_ids
from notifications.recipients import set_contact
from tests.conftest import World


class Scan:
    """Everything one test logged and rendered."""

    def __init__(self) -> None:
        self.log = io.StringIO()
        self.rendered: list[str] = []

    def texts(self) -> list[str]:
        return [self.log.getvalue(), *self.rendered]


@pytest.fixture(autouse=True, name="scan")
def _scan(monkeypatch: pytest.MonkeyPatch) -> Iterator[Scan]:
    """JSON logs of the test go to a buffer; every rendering is recorded; both are scanned at teardown."""
    scan = Scan()
    shequ_logging.configure(json=True, verbose=True, stream=scan.log)
    original = render_module.render

    def recording(*args: Any, **kwargs: Any) -> render_module.Rendered:
        out = original(*args, **kwargs)
        scan.rendered += [out.subject, out.text, out.html]
        return out

    modules = ("notifications.render", "notifications.dispatch", "engine.cli.notify", "engine.cli.notice")
    for target in modules:
        monkeypatch.setattr(f"{target}.render", recording)
    yield scan
    shequ_logging.restore()
    leaks = [found for text in scan.texts() for found in find_unmasked_ids(text)]
    assert leaks == [], f"unmasked ID numbers in logs or notifications: {leaks}"
    structlog.reset_defaults()


@pytest.fixture(name="files")
def _files(tmp_path: Path) -> Path:
    return tmp_path / "notices"


@pytest.fixture(name="config")
def _config(files: Path) -> NotifyConfig:
    """The demo configuration: the file channel only, fast backoff numbers that are easy to check."""
    return NotifyConfig(max_attempts=3, backoff_base_seconds=60, backoff_max_seconds=3600, lease_seconds=300,
                        file=FileConfig(files))


@pytest.fixture(name="nworld")
def _nworld(world: World) -> World:
    """The seeded world; the worker, the street office and the party committee have e-mail addresses."""
    admin = world.app.admin
    set_contact(admin, "zhang", email="zhang@example.org", phone="13800001111")
    set_contact(admin, "s1_office", email="s1-office@example.org", webhook="http://127.0.0.1:9/none")
    set_contact(admin, "s1_party", email="s1-party@example.org")
    return world
