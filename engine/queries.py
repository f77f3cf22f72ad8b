"""Read models for front ends: case summaries and lists, timelines from the audit chain, deadlines,
workers, users, org units and terms. Reads only (`Database.read`); nothing here writes.

Every model carries the Chinese labels from the text catalog next to the codes, so JSON consumers and
the human output show the same words. ID numbers and phone numbers are masked here (engine.idcard.mask),
so no front end can print them in clear by accident.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from engine import idcard, text
from engine.audit import VerifyReport, verify
from engine.errors import NotFound
from engine.grading import GRADES
from engine.guards import SYSTEM_ACTOR
from engine.policy import Policy, get_pack
from engine.spec import CITATION_SEPARATOR, Procedure
from storage.records import AppointmentRecord, AuditRecord, CaseRecord, DeadlineRecord, WorkerRecord
from storage.repository import Store
from storage.unit_of_work import Database

SENSITIVE_KEYS = ("id_number", "phone")
ALL_APPOINTMENT_STATUSES = ("ACTIVE", "HOLDOVER", "ENDED")


# ---------------------------------------------------------------- labels and masking


def label(key: str, fallback: str) -> str:
    """The catalog text for `key`, or `fallback` when the catalog has none."""
    return text.t(key) if text.has(key) else fallback


def procedure_title(code: str | None) -> str:
    return label(f"procedures.{code}.title", code or "") if code else ""


def state_label(procedure: str | None, state: str | None) -> str:
    if not state:
        return ""
    return label(f"procedures.{procedure}.states.{state}", state) if procedure else state


def action_label(procedure: str | None, action: str) -> str:
    """A trigger's label, or for reference-data entries (no procedure) the admin action's label."""
    if procedure:
        return label(f"procedures.{procedure}.triggers.{action}", action)
    return label(f"cli.actions.{action}", action)


def role_label(role: str | None) -> str:
    return label(f"roles.{role}", role) if role else ""


def field_label(name: str) -> str:
    return label(f"fields.{name}", name)


def category_label(category: str | None) -> str:
    return label(f"cli.categories.{category}", category) if category else ""


def grade_labels(pack: str | Policy | None) -> dict[str, str]:
    """Each grade code's label in the words of `pack`: its `assessment.tiers` mapped onto the four ordinal
    codes by position (A-36; HONGSHAN 优秀/合格/诫勉/不合格, CHUZHOU 优秀/合格/基本合格/不合格), seed 000's
    (records.grade.*, DONGQU) for a pack without its own tiers. Never another pack's words."""
    seed000 = {code: label(f"records.grade.{code}", code) for code in GRADES}
    if not pack:
        return seed000
    policy = pack if isinstance(pack, Policy) else get_pack(pack)
    if not policy.is_set("assessment.tiers"):
        return seed000
    tiers = [str(tier) for tier in policy.get("assessment.tiers")]
    return dict(zip(GRADES, tiers, strict=True)) if len(tiers) == len(GRADES) else seed000


def grade_label(grade: str | None, pack: str | Policy | None) -> str:
    """A grade code's label in the pack's words (`grade_labels`); the code itself for an unknown code."""
    if not grade:
        return ""
    return grade_labels(pack).get(grade, grade)


# Keys of case data mapping something (a year, a worker id) to a grade code, and keys holding one code.
GRADE_MAP_KEYS = ("grades", "final_grades", "proposed_grades")
GRADE_KEYS = ("grade", "previous_grade", "final_grade")


def label_grades(value: Any, pack: str | None) -> Any:
    """A copy of case data with a `<key>_labels` / `<key>_label` next to each grade map and grade code, in the
    case's pack's words (e.g. DIS-CHZ-3 trigger facts `grades` {"2024": "INCOMPETENT"} → 不合格)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out[key] = label_grades(item, pack)
            if key in GRADE_MAP_KEYS and isinstance(item, Mapping) and item and all(
                    isinstance(v, str) and v in GRADES for v in item.values()):
                out[f"{key}_labels"] = {k: grade_label(v, pack) for k, v in item.items()}
            elif key in GRADE_KEYS and isinstance(item, str) and item in GRADES:
                out[f"{key}_label"] = grade_label(item, pack)
        return out
    if isinstance(value, list | tuple):
        return [label_grades(v, pack) for v in value]
    return value


def worker_pack(store: Store, worker_id: int) -> str | None:
    """The pack of the worker's district: current appointment's community, else the personnel record's."""
    apps = store.appointments(worker_id=worker_id, statuses=ALL_APPOINTMENT_STATUSES)
    community_id = apps[0].community_id if apps else store.worker(worker_id).community_id
    if community_id is None:
        return None
    return store.district_pack(store.community(community_id).district_id)


def _sensitive(key: str) -> bool:
    return any(key == k or key.endswith("_" + k) for k in SENSITIVE_KEYS)


def redact(value: Any) -> Any:
    """A copy of `value` with ID numbers and phone numbers masked (keys `id_number`, `phone`, `*_phone`)."""
    if isinstance(value, Mapping):
        return {k: (idcard.mask(str(v)) if _sensitive(str(k)) and v else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


# ---------------------------------------------------------------- org units


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str


@dataclass
class OrgIndex:
    """Org units by id (the records carry ids; people read codes and names)."""

    districts: dict[int, Unit] = field(default_factory=dict)
    streets: dict[int, Unit] = field(default_factory=dict)
    communities: dict[int, Unit] = field(default_factory=dict)

    def district(self, unit_id: int | None) -> Unit | None:
        return self.districts.get(unit_id) if unit_id is not None else None

    def street(self, unit_id: int | None) -> Unit | None:
        return self.streets.get(unit_id) if unit_id is not None else None

    def community(self, unit_id: int | None) -> Unit | None:
        return self.communities.get(unit_id) if unit_id is not None else None


def org_index(store: Store) -> OrgIndex:
    index = OrgIndex()
    seen: set[tuple[str, str]] = set()
    for row in store.org_tree():
        if ("d", row.district) not in seen:
            seen.add(("d", row.district))
            d = store.district_by_code(row.district)
            index.districts[d.id] = Unit(d.id, d.code, d.name)
        if row.street and ("s", row.street) not in seen:
            seen.add(("s", row.street))
            s = store.street_by_code(row.street)
            index.streets[s.id] = Unit(s.id, s.code, s.name)
        if row.community:
            c = store.community_by_code(row.community)
            index.communities[c.id] = Unit(c.id, c.code, c.name)
    return index


@dataclass(frozen=True)
class CommunityNode:
    code: str
    name: str
    staffing_limit: int
    in_service: int


@dataclass(frozen=True)
class StreetNode:
    code: str
    name: str
    kind: str
    communities: list[CommunityNode]


@dataclass(frozen=True)
class DistrictNode:
    code: str
    name: str
    pack: str
    streets: list[StreetNode]


def org_tree(db: Database) -> list[DistrictNode]:
    """Districts → streets → communities, with each community's staffing limit and headcount in service."""
    with db.read() as store:
        rows = store.org_tree()
        districts: dict[str, DistrictNode] = {}
        streets: dict[str, StreetNode] = {}
        for row in rows:
            district = districts.get(row.district)
            if district is None:
                district = DistrictNode(row.district, row.district_name, row.pack, [])
                districts[row.district] = district
            if row.street is None:
                continue
            street = streets.get(row.street)
            if street is None:
                kind = store.street_by_code(row.street).kind
                street = StreetNode(row.street, row.street_name, kind, [])
                streets[row.street] = street
                district.streets.append(street)
            if row.community is not None:
                community = store.community_by_code(row.community)
                in_service = len(store.appointments(community_id=community.id))
                street.communities.append(CommunityNode(row.community, row.community_name,
                                                        int(row.staffing_limit), in_service))
        return list(districts.values())


def community_id(db: Database, code: str) -> int:
    with db.read() as store:
        return store.community_by_code(code).id


# ---------------------------------------------------------------- users


@dataclass(frozen=True)
class UserView:
    id: int
    login: str
    name: str
    roles: list[str]
    role_labels: list[str]
    scope: str | None  # district | street | community | None
    scope_code: str | None
    scope_name: str | None
    worker_id: int | None


def users(db: Database) -> list[UserView]:
    with db.read() as store:
        index = org_index(store)
        out: list[UserView] = []
        for u in store.users():
            scope, unit = None, None
            if u.community_id is not None:
                scope, unit = "community", index.community(u.community_id)
            elif u.street_id is not None:
                scope, unit = "street", index.street(u.street_id)
            elif u.district_id is not None:
                scope, unit = "district", index.district(u.district_id)
            out.append(UserView(u.id, u.login, u.name, list(u.roles), [role_label(r) for r in u.roles], scope,
                                unit.code if unit else None, unit.name if unit else None, u.worker_id))
        return out


# ---------------------------------------------------------------- workers


@dataclass(frozen=True)
class WorkerView:
    id: int
    name: str
    id_number: str  # masked
    gender: str
    birth_date: date
    phone: str | None  # masked
    education: str | None
    hukou_city: str | None
    hukou_urban: bool | None
    category: str | None
    category_label: str
    position: str | None
    community: str | None
    community_name: str | None


@dataclass(frozen=True)
class AppointmentView:
    id: int
    community: str | None
    category: str
    category_label: str
    position: str | None
    method: str
    decision_no: str | None
    start_date: date
    end_date: date | None
    term_id: int | None
    status: str
    status_label: str
    end_reason: str | None
    end_reason_label: str
    predecessor_id: int | None
    successor_id: int | None


@dataclass(frozen=True)
class CaseRow:
    id: int
    procedure: str
    procedure_title: str
    state: str
    state_label: str
    version: int
    closed: bool
    worker_id: int | None
    worker_name: str | None
    community: str | None
    opened_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class WorkerProfile:
    worker: WorkerView
    record: dict[str, Any]
    appointments: list[AppointmentView]
    cases: list[CaseRow]


def _worker_view(w: WorkerRecord, index: OrgIndex) -> WorkerView:
    community = index.community(w.community_id)
    return WorkerView(w.id, w.name, idcard.mask(w.id_number), w.gender, w.birth_date,
                      idcard.mask(w.phone) if w.phone else None, w.education, w.hukou_city, w.hukou_urban,
                      w.category, category_label(w.category), w.position,
                      community.code if community else None, community.name if community else None)


def _appointment_view(a: AppointmentRecord, index: OrgIndex) -> AppointmentView:
    community = index.community(a.community_id)
    return AppointmentView(
        a.id, community.code if community else None, a.category, category_label(a.category), a.position,
        a.method, a.decision_no, a.start_date, a.end_date, a.term_id, a.status,
        label(f"cli.status.appointment.{a.status}", a.status), a.end_reason,
        end_reason_label(a.end_reason), a.predecessor_id, a.successor_id)


def end_reason_label(reason: str | None) -> str:
    """`RESIGNED` → 辞职; a reason carrying its ground, `DISMISSED(DIS-G3)` → 解除聘用（DIS-G3）."""
    if not reason:
        return ""
    code, sep, rest = reason.partition("(")
    base = label(f"cli.end_reasons.{code}", code)
    return text.t("cli.records.end_reason_ground", reason=base, ground=rest.rstrip(")")) if sep else base


def workers(db: Database, *, community: str | None = None) -> list[WorkerView]:
    with db.read() as store:
        index = org_index(store)
        cid = store.community_by_code(community).id if community else None
        return [_worker_view(w, index) for w in store.workers(community_id=cid)]


def worker_profile(db: Database, worker_id: int) -> WorkerProfile:
    """The personnel record with appointments (all statuses) and the worker's cases."""
    with db.read() as store:
        index = org_index(store)
        w = store.worker(worker_id)
        apps = store.appointments(worker_id=worker_id, statuses=ALL_APPOINTMENT_STATUSES)
        cases = store.list_cases(worker_id=worker_id)
        names = {w.id: w.name}
        return WorkerProfile(_worker_view(w, index), redact(dict(w.record or {})),
                             [_appointment_view(a, index) for a in apps],
                             [_case_row(c, index, names) for c in cases])


# ---------------------------------------------------------------- recorded worker facts (workflows.records)

# The fact tables of workflows.records (annual FINAL grades, absence days, elected office after 换届).
RECORD_TABLES = ("annual_grades", "absence_days", "elected_offices")


@dataclass(frozen=True)
class RecordView:
    """One stored row of a worker's recorded facts, as written: an original record, a correction (it
    supersedes an earlier row) or a withdrawal (a correction that removes the fact). `current` is true
    for a row that is neither superseded nor a withdrawal, i.e. a fact the computed grounds read."""

    table: str
    table_label: str
    id: int
    worker_id: int
    worker_name: str
    kind: str  # RECORD | CORRECTION | WITHDRAWAL
    kind_label: str
    current: bool
    supersedes_id: int | None
    superseded_by_id: int | None
    values: dict[str, Any]
    value_text: str
    source_ref: str
    reason: str | None
    authority: str | None
    recorded_by: str
    recorded_by_name: str
    recorded_role: str
    recorded_role_label: str
    recorded_at: datetime


def _record_values(table: str, row: Mapping[str, Any], pack: str | None) -> tuple[dict[str, Any], str]:
    """The row's own values with their labels (a grade in the words of the worker's pack), and one line for
    people."""
    if table == "annual_grades":
        grade = str(row["grade"])
        values: dict[str, Any] = {"year": int(row["year"]), "grade": grade,
                                  "grade_label": grade_label(grade, pack)}
        return values, text.t("cli.records.value.annual_grades", year=values["year"],
                              grade=values["grade_label"])
    if table == "absence_days":
        half_days = int(row["half_days"])
        kind = str(row["kind"])
        values = {"day": row["day"], "half_days": half_days, "days": "1" if half_days == 2 else "0.5",
                  "kind": kind, "kind_label": label(f"records.absence_kind.{kind}", kind)}
        amount = text.t("cli.records.whole_day" if half_days == 2 else "cli.records.half_day")
        return values, text.t("cli.records.value.absence_days", day=row["day"].isoformat(), amount=amount,
                              kind=values["kind_label"])
    body = str(row["body"])
    values = {"election_date": row["election_date"], "in_office": bool(row["in_office"]), "body": body,
              "body_label": label(f"cli.records.body.{body}", body), "position": row["position"],
              "term_id": row["term_id"]}
    outcome = text.t("cli.records.in_office" if values["in_office"] else "cli.records.not_in_office",
                     body=values["body_label"])
    position = text.t("cli.records.position", position=row["position"]) if row["position"] else ""
    return values, text.t("cli.records.value.elected_offices", election=row["election_date"].isoformat(),
                          outcome=outcome, position=position)


def _record_view(table: str, row: Mapping[str, Any], superseded_by: int | None, worker_name: str,
                 user_names: Mapping[str, str], pack: str | None) -> RecordView:
    withdrawn = bool(row["withdrawn"])
    kind = "WITHDRAWAL" if withdrawn else ("CORRECTION" if row["supersedes_id"] is not None else "RECORD")
    values, value_text = _record_values(table, row, pack)
    login = str(row["recorded_by"])
    return RecordView(
        table, label(f"records.table.{table}", table), int(row["id"]), int(row["worker_id"]), worker_name,
        kind, text.t(f"cli.records.kind.{kind}"), not withdrawn and superseded_by is None,
        row["supersedes_id"], superseded_by, values, value_text, str(row["source_ref"]), row["reason"],
        row["authority"], login, user_names.get(login, login), str(row["recorded_role"]),
        role_label(str(row["recorded_role"])), row["recorded_at"])


def _user_names(store: Store, logins: Iterable[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for login in set(logins):
        try:
            names[login] = store.user_by_login(login).name
        except NotFound:  # `system` (SYSTEM has no user row), or a login since removed
            names[login] = SYSTEM_ACTOR.name if login == SYSTEM_ACTOR.login else login
    return names


def record_history(db: Database, worker_id: int, tables: Iterable[str] = RECORD_TABLES) -> list[RecordView]:
    """Every stored row of the worker's recorded facts (originals, corrections, withdrawals), table by
    table in the order recorded. An unknown worker is NotFound (WORKER_NOT_FOUND)."""
    with db.read() as store:
        worker = store.worker(worker_id)
        rows = [(table, row) for table in tables for row in store.facts(table, worker_id, current_only=False)]
        newer = {(table, row["supersedes_id"]): int(row["id"]) for table, row in rows
                 if row["supersedes_id"] is not None}
        names = _user_names(store, (str(row["recorded_by"]) for _, row in rows))
        pack = worker_pack(store, worker_id)
        return [_record_view(table, row, newer.get((table, int(row["id"]))), worker.name, names, pack)
                for table, row in rows]


def record_pack(db: Database, worker_id: int) -> str | None:
    """The pack of the worker's district (`worker_pack`), for labels in its words."""
    with db.read() as store:
        return worker_pack(store, worker_id)


def record_view(db: Database, table: str, record_id: int) -> RecordView:
    """One stored row of a fact table (RECORD_NOT_FOUND when there is none)."""
    with db.read() as store:
        row = store.fact(table, record_id) if table in RECORD_TABLES else None
        if row is None:
            raise NotFound("RECORD_NOT_FOUND", details={"what": label(f"records.table.{table}", table),
                                                        "id": record_id})
        newer = store.superseded_by(table, record_id)
        worker = store.worker(int(row["worker_id"]))
        names = _user_names(store, [str(row["recorded_by"])])
        return _record_view(table, row, int(newer["id"]) if newer else None, worker.name, names,
                            worker_pack(store, worker.id))


# ---------------------------------------------------------------- cases


def _case_row(c: CaseRecord, index: OrgIndex, names: Mapping[int, str]) -> CaseRow:
    community = index.community(c.community_id)
    worker_name = names.get(c.worker_id) if c.worker_id is not None else None
    return CaseRow(c.id, c.procedure, procedure_title(c.procedure), c.state,
                   state_label(c.procedure, c.state), c.version, c.closed, c.worker_id, worker_name,
                   community.code if community else None, c.opened_at, c.updated_at)


def _worker_names(store: Store, ids: Iterable[int | None]) -> dict[int, str]:
    return {i: store.worker(i).name for i in {i for i in ids if i is not None}}


def list_cases(db: Database, *, procedure: str | None = None, state: str | None = None,
               worker_id: int | None = None, open_only: bool = False, limit: int = 500) -> list[CaseRow]:
    with db.read() as store:
        index = org_index(store)
        cases = store.list_cases(procedure=procedure, state=state, worker_id=worker_id, open_only=open_only,
                                 limit=limit)
        names = _worker_names(store, (c.worker_id for c in cases))
        return [_case_row(c, index, names) for c in cases]


def case_row(db: Database, case_id: int) -> CaseRow:
    with db.read() as store:
        c = store.get_case(case_id)
        return _case_row(c, org_index(store), _worker_names(store, [c.worker_id]))


@dataclass(frozen=True)
class DataItem:
    name: str
    label: str
    value: Any


@dataclass(frozen=True)
class TriggerInfo:
    trigger: str
    label: str
    dest: str
    dest_label: str


@dataclass(frozen=True)
class CaseSummary:
    case: CaseRow
    procedure_version: int
    pack: str
    pack_version: int
    street: str | None
    district: str | None
    parent_case_id: int | None
    data: list[DataItem]
    open_triggers: list[TriggerInfo]
    deadlines: list[DeadlineView]
    timeline: list[TimelineEntry]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def case_summary(db: Database, procedures: Mapping[str, Procedure], case_id: int) -> CaseSummary:
    """Summary, state, recorded data (labelled, masked), pending deadlines and the case's timeline."""
    with db.read() as store:
        index = org_index(store)
        c = store.get_case(case_id)
        row = _case_row(c, index, _worker_names(store, [c.worker_id]))
        data = label_grades(redact(dict(c.data)), c.pack)
        items = [DataItem(k, field_label(k), v) for k, v in data.items()]
        proc = procedures.get(c.procedure)
        open_now: list[TriggerInfo] = []
        if proc is not None and not c.closed:
            for step in proc.steps_from(c.state):
                if step.automatic:
                    continue
                dest = c.state if step.dest == "=" else step.dest
                open_now.append(TriggerInfo(step.trigger, action_label(c.procedure, step.trigger), dest,
                                            state_label(c.procedure, dest)))
        pending = [_deadline_view(d, {c.id: c.procedure})
                   for d in store.deadlines(case_id=case_id, status="PENDING")]
        entries = [_timeline_entry(e) for e in store.audit_entries(case_id=case_id)]
        street, district = index.street(c.street_id), index.district(c.district_id)
        return CaseSummary(row, c.procedure_version, c.pack, c.pack_version, street.code if street else None,
                           district.code if district else None, c.parent_case_id, items, open_now, pending,
                           entries)


# ---------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class DeadlineView:
    id: int
    case_id: int
    procedure: str
    key: str
    kind: str
    fires: str
    fires_label: str
    state: str
    state_label: str
    due_at: datetime
    status: str
    status_label: str
    rule_id: str
    basis: dict[str, Any]
    provisional: bool
    fired_at: datetime | None
    last_error: str | None


def _deadline_view(d: DeadlineRecord, procedures_by_case: Mapping[int, str]) -> DeadlineView:
    proc = procedures_by_case.get(d.case_id, "")
    return DeadlineView(d.id, d.case_id, proc, d.key, d.kind, d.fires, action_label(proc, d.fires), d.state,
                        state_label(proc, d.state), d.due_at, d.status,
                        label(f"cli.status.deadline.{d.status}", d.status), d.rule_id, dict(d.basis),
                        d.provisional, d.fired_at, d.last_error)


def deadlines(db: Database, *, status: str | None = None, due_before: datetime | None = None,
              case_id: int | None = None) -> list[DeadlineView]:
    """Deadlines in due order (all statuses unless `status` is given)."""
    with db.read() as store:
        rows = store.deadlines(case_id=case_id, status=status, due_before=due_before)
        procs = {cid: store.get_case(cid).procedure for cid in {d.case_id for d in rows}}
        return [_deadline_view(d, procs) for d in rows]


def next_pending_due(db: Database, until: datetime) -> datetime | None:
    """The due instant of the earliest PENDING deadline due at or before `until`, if any."""
    with db.read() as store:
        rows = store.deadlines(status="PENDING", due_before=until, limit=1)
        return rows[0].due_at if rows else None


# ---------------------------------------------------------------- audit


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime
    effective_date: str | None
    case_id: int | None
    procedure: str | None
    action: str
    action_label: str
    from_state: str | None
    from_label: str
    to_state: str | None
    to_label: str
    actor_login: str
    actor_name: str
    role: str
    role_label: str
    rule_ids: list[str]
    citations: list[str]
    payload: dict[str, Any]
    computed: dict[str, Any]
    overrides: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


def split_citations(citations: Iterable[str]) -> list[str]:
    """Each cited place once, in first-cited order (a rule's citation may name several: `a、b`)."""
    out: list[str] = []
    for item in citations:
        for part in str(item).split(CITATION_SEPARATOR):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


def _timeline_entry(e: AuditRecord) -> TimelineEntry:
    body = e.body if isinstance(e.body, dict) else {}
    payload = body.get("payload")
    if payload is None:  # reference-data entries keep their fields at the top of the body
        payload = {k: v for k, v in body.items() if k != "schema_version"}
    return TimelineEntry(
        e.seq, e.at, body.get("effective_date"), e.case_id, e.procedure, e.action,
        action_label(e.procedure, e.action), e.from_state, state_label(e.procedure, e.from_state), e.to_state,
        state_label(e.procedure, e.to_state), e.actor_login, e.actor_name, e.role, role_label(e.role),
        list(body.get("rule_ids", [])), split_citations(body.get("citations", [])), redact(dict(payload)),
        redact(dict(body.get("computed", {}))), list(body.get("overrides", [])),
        list(body.get("warnings", [])))


def timeline(db: Database, *, case_id: int | None = None, limit: int | None = None) -> list[TimelineEntry]:
    """Audit entries in seq order; with `limit`, the most recent `limit` of them."""
    with db.read() as store:
        entries: Iterable[AuditRecord] = store.audit_entries(case_id=case_id)
        if limit is not None:
            entries = deque(entries, maxlen=max(limit, 0))
        return [_timeline_entry(e) for e in entries]


def transaction_entries(db: Database, first_seq: int, last_seq: int) -> list[TimelineEntry]:
    """The audit entries first_seq … last_seq (one transaction's when the caller kept both ends), labelled."""
    with db.read() as store:
        out: list[TimelineEntry] = []
        for entry in store.audit_entries(after_seq=first_seq - 1):
            if entry.seq > last_seq:
                break
            out.append(_timeline_entry(entry))
        return out


@dataclass(frozen=True)
class AuditCheck:
    report: VerifyReport
    head_seq: int
    problem_text: str | None


def verify_audit(db: Database) -> AuditCheck:
    """engine.audit.verify over the whole stored chain, with the problem in words (audit.problem.*)."""
    with db.read() as store:
        head_seq, head_hash = store.audit_head()
        report = verify(store.audit_entries(), head_seq, head_hash)
    problem = text.t(f"audit.problem.{report.problem}") if report.problem else None
    return AuditCheck(report, head_seq, problem)


# ---------------------------------------------------------------- terms


@dataclass(frozen=True)
class TermView:
    id: int
    district: str
    ordinal: int
    start_date: date
    end_date: date
    status: str
    status_label: str
    window_from: date | None
    window_to: date | None
    pay_standard: int | None


def terms(db: Database, district: str) -> list[TermView]:
    with db.read() as store:
        d = store.district_by_code(district)
        return [TermView(tm.id, d.code, tm.ordinal, tm.start_date, tm.end_date, tm.status,
                         label(f"cli.status.term.{tm.status}", tm.status), tm.window_from, tm.window_to,
                         tm.pay_standard) for tm in store.terms(d.id)]
