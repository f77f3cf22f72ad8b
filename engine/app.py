"""Wiring: build the engine and its services for one database and clock (used by every front end)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.admin import Admin
from engine.clock import Clock, SystemClock
from engine.service import Engine
from storage.db import make_engine
from storage.migrate import upgrade
from storage.unit_of_work import Database

if TYPE_CHECKING:  # workflows import the engine: resolved lazily in build()
    from workflows.records import Records


@dataclass
class App:
    db: Database
    engine: Engine
    admin: Admin
    clock: Clock
    records: Records


def build(url: str | None = None, clock: Clock | None = None, *, migrate: bool = False) -> App:
    from workflows import registry
    from workflows.records import Records

    sa_engine = make_engine(url)
    if migrate:
        upgrade(sa_engine)
    db = Database(sa_engine)
    clock = clock or SystemClock()
    engine = Engine(db, clock, registry())
    return App(db, engine, Admin(db, clock), clock, Records(engine))
