"""The schema, as SQLAlchemy 2 typed models. Migrations (storage/migrations) create it; the engine
writes through `storage.repository` with Core statements. Nothing outside `storage/` imports this.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.records import DEFAULT_STREET_KIND
from storage.types import UTCDateTime


class Base(DeclarativeBase):
    # Every model here is mapped to a Table (declarative), which Core insert/update/delete need; the
    # base class declares the wider FromClause.
    __table__: ClassVar[Table]

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime,
    }


class District(Base):
    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    pack: Mapped[str] = mapped_column(String(40), default="DONGQU")


class Street(Base):
    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default=DEFAULT_STREET_KIND)  # one of STREET_KINDS


class Community(Base):
    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    staffing_limit: Mapped[int] = mapped_column(Integer, default=0)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[Any]] = mapped_column(JSON)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))


class Worker(Base):
    """Personnel record (spec §6). Fields without a column of their own live in `record`."""

    __tablename__ = "workers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(30))
    education: Mapped[str | None] = mapped_column(String(20))
    hukou_city: Mapped[str | None] = mapped_column(String(60))
    hukou_urban: Mapped[bool | None] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[str | None] = mapped_column(String(40))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Term(Base):
    __tablename__ = "terms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    ordinal: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # PLANNED ACTIVE RENEWAL_OPEN ENDED CLOSED
    pay_standard: Mapped[int | None] = mapped_column(BigInteger)  # yuan per year
    wage_ref: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    window_from: Mapped[date | None] = mapped_column(Date)
    window_to: Mapped[date | None] = mapped_column(Date)


class Appointment(Base):
    __tablename__ = "appointments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    position: Mapped[str | None] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(30))
    decision_no: Mapped[str | None] = mapped_column(String(60))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("terms.id"))
    status: Mapped[str] = mapped_column(String(20))  # ACTIVE HOLDOVER ENDED
    end_reason: Mapped[str | None] = mapped_column(String(40))
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    successor_id: Mapped[int | None] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(Integer)
    # HONGSHAN consequences of an annual grade (seed 001 第二十七条(三)(四); workflows.appointment_flags):
    # 留用察看 with its dates and the assessment year that imposed it, and the category-specific exit task.
    probation_start: Mapped[date | None] = mapped_column(Date)
    probation_end: Mapped[date | None] = mapped_column(Date)
    probation_year: Mapped[int | None] = mapped_column(Integer)
    exit_task: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure: Mapped[str] = mapped_column(String(40))
    procedure_version: Mapped[int] = mapped_column(Integer)
    pack: Mapped[str] = mapped_column(String(40))
    pack_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    parent_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_cases_worker_procedure", "worker_id", "procedure"),
        Index("ix_cases_street_state", "street_id", "state"),
        Index("ix_cases_parent", "parent_case_id"),
    )


class AuditEntry(Base):
    """Append-only, hash-chained. `seq` is gap-free across the whole database."""

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    procedure: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    actor_login: Mapped[str] = mapped_column(String(60))
    actor_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # payload, rules, citations, overrides, warnings
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the chain's last seq and hash. Locking it serialises appends (one chain, no gaps)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class Deadline(Base):
    __tablename__ = "deadlines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    key: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))  # transition | reminder
    fires: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(40))  # the case state the deadline belongs to
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))  # PENDING FIRED CANCELLED FAILED
    rule_id: Mapped[str] = mapped_column(String(30))
    basis: Mapped[dict[str, Any]] = mapped_column(JSON)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # provenance (issue 3): how `due_at` was derived, so that it can be re-derived (`deadlines explain`)
    start_date: Mapped[date | None] = mapped_column(Date)
    period: Mapped[str | None] = mapped_column(String(20))  # engine.calendar.Period.code: P7D, P1M, P5WD…
    calendar_version: Mapped[str | None] = mapped_column(String(60))

    __table_args__ = (
        Index("ix_deadlines_status_due", "status", "due_at"),
        Index("ix_deadlines_case", "case_id", "status"),
    )


class Outbox(Base):
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    audit_seq: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))  # PENDING DELIVERED DEAD
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


# ---- worker facts read by computed rules (spec §6; DIS-G7, DIS-G8, DIS-G9) ----
# History is append-only (spec §3.10 AUD, A-39): a fact is never UPDATEd. A correction is a new row whose
# `supersedes_id` names the row it replaces (unique: a row is superseded at most once, so corrections form
# a chain); `withdrawn` marks a correction that removes the fact. The current facts are the rows that no
# other row supersedes and that are not withdrawn. `reason`/`authority` are set on corrections.


class AnnualGrade(Base):
    """A FINAL annual assessment grade of a worker for a calendar year (seed 000 第十二条)."""

    __tablename__ = "annual_grades"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    year: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(20))  # EXCELLENT COMPETENT BASIC INCOMPETENT
    source_ref: Mapped[str] = mapped_column(String(200))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("annual_grades.id"))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    authority: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(60))
    recorded_role: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_annual_grades_supersedes", "supersedes_id", unique=True),
        Index("ix_annual_grades_worker_year", "worker_id", "year"),
    )


class AbsenceDay(Base):
    """A working day of absence (spec §4.4.2): 旷工 or 无正当理由逾期不归, a whole or a half day."""

    __tablename__ = "absence_days"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    day: Mapped[date] = mapped_column(Date)
    half_days: Mapped[int] = mapped_column(Integer)  # 2 = a whole day, 1 = half a day (exact, CMP-2)
    kind: Mapped[str] = mapped_column(String(20))  # ABSENTEEISM OVERSTAY
    source_ref: Mapped[str] = mapped_column(String(200))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("absence_days.id"))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    authority: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(60))
    recorded_role: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_absence_days_supersedes", "supersedes_id", unique=True),
        Index("ix_absence_days_worker_day", "worker_id", "day"),
    )


class ElectedOffice(Base):
    """Whether a 两委 worker still holds the elected office after a 换届 (seed 000 第二十三条9)."""

    __tablename__ = "elected_offices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    body: Mapped[str] = mapped_column(String(40))  # PARTY_COMMITTEE RESIDENTS_COMMITTEE
    election_date: Mapped[date] = mapped_column(Date)
    in_office: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[str | None] = mapped_column(String(40))
    term_id: Mapped[int | None] = mapped_column(ForeignKey("terms.id"))
    source_ref: Mapped[str] = mapped_column(String(200))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("elected_offices.id"))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    authority: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(60))
    recorded_role: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_elected_offices_supersedes", "supersedes_id", unique=True),
        Index("ix_elected_offices_worker", "worker_id", "election_date"),
    )


# ---- notifications (issue 4): contact data of users, and per-recipient deliveries of outbox rows ----


class UserContact(Base):
    """How a user is reached by the notification channels (e-mail, webhook); the phone is kept for people
    to read (shown masked) — no channel sends text messages."""

    __tablename__ = "user_contacts"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationDelivery(Base):
    """One recipient × channel of an outbox row, resolved at its first dispatch attempt and then frozen.
    A target already DELIVERED is never sent again when the row is retried."""

    __tablename__ = "notification_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    recipient_key: Mapped[str] = mapped_column(String(120))  # a login, or ROLE@scope when nobody holds it
    recipient_name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))  # smtp webhook file console
    address: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))  # PENDING DELIVERED FAILED (FAILED = permanent)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_notification_deliveries_target", "outbox_id", "recipient_key", "channel", unique=True),
    )


# ---- statutory working-day calendar (issue 3; spec §3.2 CAL-1, A-02): imported State Council data ----


class CalendarImport(Base):
    """One imported calendar file (docs/CALENDAR.md). Its id is the calendar version: an import replaces the
    whole of each year it declares (`years`), on top of the data bundled with chinese_calendar."""

    __tablename__ = "calendar_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))  # the notice, e.g. 国办发明电〔2026〕X号
    title: Mapped[str | None] = mapped_column(String(300))
    file_name: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    years: Mapped[list[Any]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(60))


class CalendarDay(Base):
    """A day of an imported arrangement: a rest day (HOLIDAY) or a make-up working day (MAKEUP)."""

    __tablename__ = "calendar_days"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("calendar_imports.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # HOLIDAY MAKEUP
    name: Mapped[str] = mapped_column(String(60))

    __table_args__ = (Index("uq_calendar_days_import_day", "import_id", "day", unique=True),)
