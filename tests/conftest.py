"""Shared fixtures: a frozen clock, a migrated SQLite database per test (copied from a template that is
migrated once per session), and a small district with users for every role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import structlog

from engine.app import App, build
from engine.clock import LOCAL_TZ, FrozenClock
from engine.idcard import check_digit
from storage.db import make_engine
from storage.migrate import upgrade


def make_id(prefix17: str) -> str:
    """A valid GB 11643 ID number from its first 17 digits."""
    return prefix17 + check_digit(prefix17)


@pytest.fixture(scope="session", name="template_db")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(name="db_url")
def _db_url(template_db: Path, tmp_path: Path) -> str:
    path = tmp_path / "shequ.db"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture(name="clock")
def _clock() -> FrozenClock:
    return FrozenClock(datetime(2025, 1, 6, 9, 0, tzinfo=LOCAL_TZ))


@pytest.fixture(name="app")
def _app(db_url: str, clock: FrozenClock) -> Iterator[App]:
    app = build(db_url, clock)
    yield app
    app.db.engine.dispose()


@dataclass
class World:
    """Handles of the seeded district: user logins by role and a worker in service."""

    app: App
    worker_id: int
    worker_login: str
    community: str
    street: str


@pytest.fixture(name="world")
def _world(app: App) -> World:
    a = app.admin
    a.add_district("DQ", "东区")
    a.add_street("DQ", "S1", "东华街道")
    a.add_street("DQ", "S2", "西园街道")
    a.add_community("S1", "C1", "东华社区", 10)
    a.add_community("S2", "C2", "西园社区", 8)
    worker = a.add_worker({"id_number": make_id("11010519800101001"), "name": "张三", "community": "C1",
                           "category": "PROFESSIONAL_SOCIAL_WORKER", "education": "本科",
                           "appointment_start": "2024-01-01", "appointment_end": "2026-12-31"})
    a.add_user("zhang", "张三", ["WORKER"], community="C1", worker_id=worker)
    a.add_user("s1_office", "东华街道办事处", ["STREET_OFFICE"], street="S1")
    a.add_user("s1_party", "东华街道党工委", ["STREET_PARTY_COMMITTEE"], street="S1")
    a.add_user("s2_office", "西园街道办事处", ["STREET_OFFICE"], street="S2")
    a.add_user("s2_party", "西园街道党工委", ["STREET_PARTY_COMMITTEE"], street="S2")
    a.add_user("bureau", "东区民政局", ["DISTRICT_CIVIL_AFFAIRS"], district="DQ")
    a.add_user("c1", "东华社区", ["COMMUNITY"], community="C1")
    a.add_user("objector", "居民", ["OBJECTOR"])
    return World(app, worker, "zhang", "C1", "S1")


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()
