"""Plain records handed out by the repository: the engine never sees ORM objects or rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

STREET_KINDS = ("街道", "镇")  # stored data: the values of streets.kind (a street office or a town)
DEFAULT_STREET_KIND = STREET_KINDS[0]


@dataclass(frozen=True)
class CaseRecord:
    id: int
    procedure: str
    procedure_version: int
    pack: str
    pack_version: int
    state: str
    version: int
    closed: bool
    worker_id: int | None
    district_id: int | None
    street_id: int | None
    community_id: int | None
    parent_case_id: int | None
    owner_user_id: int | None
    data: dict[str, Any]
    opened_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class UserRecord:
    id: int
    login: str
    name: str
    roles: tuple[str, ...]
    district_id: int | None
    street_id: int | None
    community_id: int | None
    worker_id: int | None


@dataclass(frozen=True)
class WorkerRecord:
    id: int
    id_number: str
    name: str
    gender: str
    birth_date: date
    phone: str | None
    education: str | None
    hukou_city: str | None
    hukou_urban: bool | None
    category: str | None
    position: str | None
    community_id: int | None
    record: dict[str, Any]


@dataclass(frozen=True)
class AppointmentRecord:
    id: int
    worker_id: int
    community_id: int
    category: str
    position: str | None
    method: str
    decision_no: str | None
    start_date: date
    end_date: date | None
    term_id: int | None
    status: str
    end_reason: str | None
    predecessor_id: int | None
    successor_id: int | None


@dataclass(frozen=True)
class CommunityRecord:
    id: int
    code: str
    name: str
    street_id: int
    district_id: int
    staffing_limit: int


@dataclass(frozen=True)
class TermRecord:
    id: int
    district_id: int
    ordinal: int
    start_date: date
    end_date: date
    status: str
    pay_standard: int | None
    window_from: date | None
    window_to: date | None


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    case_id: int | None
    procedure: str | None
    action: str
    from_state: str | None
    to_state: str | None
    actor_login: str
    actor_name: str
    role: str
    at: datetime
    body: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class DeadlineRecord:
    id: int
    case_id: int
    key: str
    kind: str
    fires: str
    state: str
    due_at: datetime
    status: str
    rule_id: str
    basis: dict[str, Any]
    provisional: bool
    created_at: datetime
    fired_at: datetime | None
    attempts: int
    last_error: str | None
