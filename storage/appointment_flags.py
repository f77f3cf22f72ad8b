"""Reads and writes of the flags an annual grade sets on an appointment (HONGSHAN 留用察看 and the
category-specific exit task; spec §4.1 Appointment "probation flag", §6). Columns of `appointments` added by
migration 0005; the rules live in `workflows.appointment_flags`, which audits every change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, update

from storage import models as m
from storage.repository import Store

P = m.Appointment.__table__
FLAG_COLUMNS = ("probation_start", "probation_end", "probation_year", "exit_task")


def appointment_flags(store: Store, appointment_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The flag columns of each appointment, by id (appointments without a row are absent)."""
    if not appointment_ids:
        return {}
    rows = store.conn.execute(
        select(P.c.id, *(P.c[name] for name in FLAG_COLUMNS)).where(P.c.id.in_(list(appointment_ids))))
    return {int(r.id): {name: getattr(r, name) for name in FLAG_COLUMNS} for r in rows}


def set_appointment_flags(store: Store, appointment_id: int, values: Mapping[str, Any]) -> None:
    """Overwrite some of the flag columns of one appointment (the caller audits the change)."""
    unknown = set(values) - set(FLAG_COLUMNS)
    if unknown:
        raise ValueError(f"not a flag column: {sorted(unknown)}")
    store.conn.execute(update(P).where(P.c.id == appointment_id).values(**values))
