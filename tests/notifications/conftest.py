"""Fixtures of the notification tests: the seeded world with contact data, a file-channel configuration in a
temporary folder, and the session's scan of logs and rendered notifications for identifiers in clear
(tests/support/leaks.py; it runs for every test of the suite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications.config import FileConfig, NotifyConfig
from notifications.recipients import set_contact
from tests.conftest import World
from tests.support.leaks import SCAN, LeakScan


@pytest.fixture(name="scan")
def _scan() -> LeakScan:
    """The session's scan (tests/support/leaks.py): `scan.test_log()` is what this test has logged (JSON)."""
    return SCAN


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
