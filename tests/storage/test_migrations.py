"""Alembic migrations: an empty database (SQLite and PostgreSQL) upgrades to head, matches the models, and
downgrades."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from storage.db import make_engine
from storage.migrate import alembic_config, current_revision, upgrade
from storage.models import Base


@pytest.fixture(name="empty")
def _empty(empty_db_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_db_url)
    yield engine
    engine.dispose()


def _head(engine: Engine) -> str:
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    assert len(heads) == 1, f"migrations must have one head, found {heads}"
    return heads[0]


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return list(compare_metadata(ctx, Base.metadata))


def test_empty_database_upgrades_to_head(empty: Engine) -> None:
    """From an empty file, upgrade reaches the single head revision and creates every model table."""
    assert current_revision(empty) is None
    upgrade(empty)
    assert current_revision(empty) == _head(empty)
    tables = set(inspect(empty).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrated_schema_matches_the_models(empty: Engine) -> None:
    """Alembic's compare_metadata finds no difference between the migrated schema and the models."""
    upgrade(empty)
    assert _diff(empty) == []


def test_audit_chain_starts_at_genesis(empty: Engine) -> None:
    """The first migration seeds the audit head with seq 0 and the all-zero genesis hash."""
    upgrade(empty)
    with empty.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, seq, hash FROM audit_head").all()
    assert [tuple(r) for r in rows] == [(1, 0, "0" * 64)]


def test_upgrade_is_idempotent(empty: Engine) -> None:
    """Running upgrade on an up-to-date database changes nothing and keeps the revision."""
    upgrade(empty)
    upgrade(empty)
    assert current_revision(empty) == _head(empty)


def test_downgrade_to_base_and_back(empty: Engine) -> None:
    """Every migration's downgrade runs: base leaves no model table; upgrading again restores the schema."""
    upgrade(empty)
    _downgrade(empty, "base")
    assert current_revision(empty) is None
    remaining = set(inspect(empty).get_table_names()) & set(Base.metadata.tables)
    assert remaining == set()
    upgrade(empty)
    assert current_revision(empty) == _head(empty)
    assert _diff(empty) == []


def test_each_revision_downgrades_one_step(empty: Engine) -> None:
    """Stepping down one revision at a time from head reaches base without error."""
    upgrade(empty)
    script = ScriptDirectory.from_config(alembic_config(empty))
    revisions = [r.revision for r in script.walk_revisions()]  # head first
    for expected_after in [*revisions[1:], None]:
        _downgrade(empty, "-1")
        assert current_revision(empty) == expected_after
