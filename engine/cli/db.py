"""`shequ db`: schema migrations (Alembic, through storage.migrate)."""

from __future__ import annotations

from typing import Any

import click

from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit
from engine.text import t
from storage.db import make_engine
from storage.migrate import alembic_config, current_revision, upgrade


@click.group("db", cls=ShequGroup, help=t("cli.help.db"))
def group() -> None:
    pass


def _head(sa_engine: Any) -> str | None:
    """The newest migration shipped with this version (Alembic metadata only, no SQL)."""
    from alembic.script import ScriptDirectory

    head: str | None = ScriptDirectory.from_config(alembic_config(sa_engine)).get_current_head()
    return head


@group.command("upgrade", help=t("cli.help.db_upgrade"))
@pass_state
def upgrade_cmd(state: State) -> None:
    engine = make_engine(state.url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    emit(state.json, {"db": state.shown_url, "from_revision": before, "revision": after},
         [t("cli.db.upgraded", db=state.shown_url, before=before or "—", after=after or "—")])


@group.command("status", help=t("cli.help.db_status"))
@pass_state
def status_cmd(state: State) -> None:
    engine = make_engine(state.url)
    try:
        current = current_revision(engine)
        head = _head(engine)
    finally:
        engine.dispose()
    up_to_date = current is not None and current == head
    emit(state.json, {"db": state.shown_url, "revision": current, "head": head, "up_to_date": up_to_date},
         [t("cli.db.status", db=state.shown_url, revision=current or t("cli.db.none"), head=head or "—"),
          t("cli.db.up_to_date") if up_to_date else t("cli.db.needs_upgrade")])
