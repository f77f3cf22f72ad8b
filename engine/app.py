"""Wiring: build the engine and its services for one database and clock (used by every front end)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.admin import Admin
from engine.clock import Clock, SystemClock
from engine.service import Engine
from storage.db import make_engine
from storage.migrate import upgrade
from storage.unit_of_work import Database


@dataclass
class App:
    db: Database
    engine: Engine
    admin: Admin
    clock: Clock


def build(url: str | None = None, clock: Clock | None = None, *, migrate: bool = False) -> App:
    from workflows import registry

    sa_engine = make_engine(url)
    if migrate:
        upgrade(sa_engine)
    db = Database(sa_engine)
    clock = clock or SystemClock()
    return App(db, Engine(db, clock, registry()), Admin(db, clock), clock)
