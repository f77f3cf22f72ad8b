"""Reference data: districts, streets, communities (with staffing limits), users, workers,
appointments and terms. Every change is one transaction with its own audit entry, so the audit
trail also shows who set up the data the rules read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError

from engine import changeover, idcard
from engine.calendar import term_end
from engine.clock import Clock
from engine.errors import InvalidInput, NotConfigured, NotPermitted, TransitionRejected
from engine.guards import SYSTEM_ACTOR
from engine.policy import Policy, get_pack
from engine.service import Engine
from engine.spec import Roles
from engine.text import join_list, t
from storage.records import DEFAULT_STREET_KIND, UserRecord, WorkerRecord
from storage.repository import Store
from storage.unit_of_work import Database

# Stored data: the values of workers.education (and of a roster's education column).
EDUCATION_LEVELS = ("初中及以下", "高中", "中专", "职高", "技校", "大专", "本科", "硕士", "博士")
# Stored data: appointments.method of an appointment registered with a worker (roster import, `worker add`).
DEFAULT_HIRING_METHOD = "考核聘用"
# Input vocabulary (data, not a message): roster values of hukou_urban that mean an urban household.
URBAN_WORDS = frozenset({"1", "true", "yes", "是", "城镇"})
CATEGORIES = ("PARTY_COMMITTEE_MEMBER", "RESIDENTS_COMMITTEE_MEMBER", "PROFESSIONAL_SOCIAL_WORKER",
              "PUBLIC_SERVICE_OFFICER", "ELDERLY_CARE_STAFF")
ROSTER_COLUMNS = ("id_number", "name", "community", "category")
ROSTER_OPTIONAL = ("phone", "education", "hukou_city", "hukou_urban", "position", "appointment_start",
                   "appointment_end", "decision_no")


class Admin:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def _who(self, store: Store, login: str | None) -> tuple[str, str, str]:
        if login is None or login == SYSTEM_ACTOR.login:
            return SYSTEM_ACTOR.login, SYSTEM_ACTOR.name, "SYSTEM"
        user = store.user_by_login(login)
        if Roles.ADMIN not in user.roles and Roles.DISTRICT_CIVIL_AFFAIRS not in user.roles:
            roles = join_list(t(f"roles.{r.value}") for r in (Roles.ADMIN, Roles.DISTRICT_CIVIL_AFFAIRS))
            raise NotPermitted("ROLE_NOT_PERMITTED", details={"trigger": t("access.reference_data"),
                                                              "trigger_code": "admin", "roles": roles})
        role = Roles.ADMIN if Roles.ADMIN in user.roles else Roles.DISTRICT_CIVIL_AFFAIRS
        return user.login, user.name, role.value

    def _audit(self, store: Store, login: str | None, action: str, body: Mapping[str, Any]) -> None:
        who, name, role = self._who(store, login)
        store.append_audit(case_id=None, procedure=None, action=action, from_state=None, to_state=None,
                           actor_login=who, actor_name=name, role=role, at=self.clock.now(), body=dict(body))

    def _insert(self, store: Store, table: str, values: Mapping[str, Any], what: str, key: str) -> int:
        try:
            with store.conn.begin_nested():
                return store.insert(table, values)
        except IntegrityError as exc:
            raise InvalidInput("DUPLICATE", details={"what": what, "value": values.get(key)}) from exc

    # ------------------------------------------------------------ org units
    def add_district(self, code: str, name: str, pack: str = "DONGQU", *, by: str | None = None) -> int:
        get_pack(pack)
        with self.db.transaction() as store:
            new_id = self._insert(store, "districts", {"code": code, "name": name, "pack": pack},
                                  t("admin.what.district"), "code")
            self._audit(store, by, "org.add_district", {"code": code, "name": name, "pack": pack})
            return new_id

    def add_street(self, district: str, code: str, name: str, kind: str = DEFAULT_STREET_KIND, *,
                   by: str | None = None) -> int:
        with self.db.transaction() as store:
            d = store.district_by_code(district)
            new_id = self._insert(store, "streets", {"district_id": d.id, "code": code, "name": name,
                                                     "kind": kind}, t("admin.what.street"), "code")
            self._audit(store, by, "org.add_street", {"district": district, "code": code, "name": name})
            return new_id

    def add_community(self, street: str, code: str, name: str, staffing_limit: int, *,
                      by: str | None = None) -> int:
        if staffing_limit < 0:
            raise InvalidInput("PAYLOAD_INVALID", details={"trigger": "org.add_community",
                                                           "problems": t("admin.problem.negative_staffing")})
        with self.db.transaction() as store:
            s = store.street_by_code(street)
            new_id = self._insert(store, "communities", {"street_id": s.id, "code": code, "name": name,
                                                         "staffing_limit": staffing_limit},
                                  t("admin.what.community"), "code")
            self._audit(store, by, "org.add_community", {"street": street, "code": code, "name": name,
                                                         "staffing_limit": staffing_limit})
            return new_id

    def set_staffing_limit(self, community: str, limit: int, *, by: str | None = None) -> None:
        if limit < 0:
            raise InvalidInput("PAYLOAD_INVALID", details={"trigger": "org.set_staffing",
                                                           "problems": t("admin.problem.negative_staffing")})
        with self.db.transaction() as store:
            c = store.community_by_code(community)
            store.set_staffing_limit(c.id, limit)
            self._audit(store, by, "org.set_staffing_limit",
                        {"community": community, "from": c.staffing_limit, "to": limit})

    # ------------------------------------------------------------ users
    def add_user(self, login: str, name: str, roles: Sequence[str], *, district: str | None = None,
                 street: str | None = None, community: str | None = None, worker_id: int | None = None,
                 by: str | None = None) -> int:
        known = {r.value for r in Roles} - {"SYSTEM"}
        bad = [r for r in roles if r not in known]
        if bad or not roles:
            problem = t("admin.problem.unknown_roles", roles=join_list(bad) or t("text.empty"))
            raise InvalidInput("PAYLOAD_INVALID", details={"trigger": "user.add", "problems": problem})
        with self.db.transaction() as store:
            values: dict[str, Any] = {"login": login, "name": name, "roles": list(roles),
                                      "worker_id": worker_id}
            if community:
                c = store.community_by_code(community)
                values.update(community_id=c.id, street_id=c.street_id, district_id=c.district_id)
            elif street:
                s = store.street_by_code(street)
                values.update(street_id=s.id, district_id=s.district_id)
            elif district:
                values["district_id"] = store.district_by_code(district).id
            if worker_id is not None:
                store.worker(worker_id)
            new_id = self._insert(store, "users", values, t("admin.what.user"), "login")
            self._audit(store, by, "user.add", {k: v for k, v in values.items()})
            return new_id

    def users(self) -> list[UserRecord]:
        with self.db.read() as store:
            return store.users()

    # ------------------------------------------------------------ workers
    def add_worker(self, fields: Mapping[str, Any], *, by: str | None = None) -> int:
        with self.db.transaction() as store:
            return self._add_worker(store, fields, by=by)

    def _add_worker(self, store: Store, fields: Mapping[str, Any], *, by: str | None) -> int:
        values = self._worker_values(store, fields)
        now = self.clock.now()
        worker_id = self._insert(store, "workers", {**values, "created_at": now, "record": {}},
                                 t("admin.what.worker"), "id_number")
        start = _opt_date(fields.get("appointment_start"))
        if start is not None and values.get("community_id") is not None:
            end = _opt_date(fields.get("appointment_end"))
            if end is not None and end < start:
                raise InvalidInput("DATE_ORDER", details={
                    "later": t("admin.fields.appointment_end"), "later_date": end.isoformat(),
                    "earlier": t("admin.fields.appointment_start"), "earlier_date": start.isoformat()})
            term_id = _opt_int(fields.get("term_id"))
            if term_id is None:
                # The appointment belongs to the district's term that covers its start (seed 000 第四条);
                # without an end date it ends with that term.
                district_id = store.community(values["community_id"]).district_id
                covering = [t for t in store.terms(district_id) if t.start_date <= start <= t.end_date]
                if covering:
                    term_id = covering[0].id
                    end = end or covering[0].end_date
            store.insert_appointment({
                "worker_id": worker_id, "community_id": values["community_id"],
                "category": values.get("category") or "PROFESSIONAL_SOCIAL_WORKER",
                "position": values.get("position"),
                "method": str(fields.get("method") or DEFAULT_HIRING_METHOD),
                "decision_no": fields.get("decision_no") or None, "start_date": start, "end_date": end,
                "term_id": term_id,
            })
        masked = {**values, "id_number": idcard.mask(values["id_number"])}
        self._audit(store, by, "worker.add", {"worker_id": worker_id, **masked,
                                              "appointment_start": start})
        return worker_id

    def _worker_values(self, store: Store, fields: Mapping[str, Any]) -> dict[str, Any]:
        ident = idcard.parse(str(fields.get("id_number", "")))
        name = str(fields.get("name") or "").strip()
        if not name:
            raise _worker_problem(t("admin.fields.name"), t("payload.missing"))
        education = (str(fields.get("education") or "").strip()) or None
        if education is not None and education not in EDUCATION_LEVELS:
            raise _worker_problem(t("admin.fields.education"),
                                  t("payload.not_choice", choices=join_list(EDUCATION_LEVELS)))
        category = (str(fields.get("category") or "").strip()) or None
        if category is not None and category not in CATEGORIES:
            raise _worker_problem(t("admin.fields.category"),
                                  t("payload.not_choice", choices=join_list(CATEGORIES)))
        community_id = None
        if fields.get("community"):
            community_id = store.community_by_code(str(fields["community"])).id
        urban = fields.get("hukou_urban")
        if isinstance(urban, str):
            urban = urban.strip().lower() in URBAN_WORDS if urban.strip() else None
        return {"id_number": ident.value, "name": name, "gender": ident.gender,
                "birth_date": ident.birth_date, "phone": fields.get("phone") or None, "education": education,
                "hukou_city": fields.get("hukou_city") or None, "hukou_urban": urban, "category": category,
                "position": fields.get("position") or None, "community_id": community_id}

    def import_roster(self, text: str, *, by: str | None = None) -> list[int]:
        """Import a CSV roster in one transaction: a broken row names itself and nothing is kept."""
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        missing = [c for c in ROSTER_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput("ROSTER_HEADER_INVALID", details={"columns": join_list(missing)})
        ids: list[int] = []
        with self.db.transaction() as store:
            for number, row in enumerate(reader, start=2):  # row 1 is the header
                try:
                    ids.append(self._add_worker(store, row, by=by))
                except InvalidInput as exc:
                    raise InvalidInput("ROSTER_ROW_INVALID", details={"row": number,
                                                                      "reason": exc.message_zh}) from exc
                except Exception as exc:  # a NotFound community etc.
                    message = getattr(exc, "message_zh", str(exc))
                    raise InvalidInput("ROSTER_ROW_INVALID",
                                       details={"row": number, "reason": message}) from exc
            self._audit(store, by, "worker.import", {"rows": len(ids), "first_id": ids[0] if ids else None})
        return ids

    def workers(self, *, community: str | None = None) -> list[WorkerRecord]:
        with self.db.read() as store:
            cid = store.community_by_code(community).id if community else None
            return store.workers(community_id=cid)

    # ------------------------------------------------------------ terms
    def add_term(self, district: str, ordinal: int, start: date, *, status: str = "ACTIVE",
                 pay_standard: int | None = None, end: date | None = None, by: str | None = None) -> int:
        """A term of the district. Its end is CAL-4 from the pack's `term.length_years`; `end` is the date a
        district actually decided, required for a pack whose sources give no term length (CHUZHOU's
        "一届任期", spec §4.1 Variants; TERM_END_REQUIRED without it, A-41) and accepted by a pack with a
        length only when it equals the computed end (TERM_END_MISMATCH otherwise; DECISIONS 24)."""
        if end is not None and end < start:
            raise InvalidInput("DATE_ORDER", details={
                "later": t("admin.fields.term_end"), "later_date": end.isoformat(),
                "earlier": t("admin.fields.term_start"), "earlier_date": start.isoformat()})
        with self.db.transaction() as store:
            d = store.district_by_code(district)
            end = _term_end(get_pack(d.pack), start, end)
            new_id = store.insert("terms", {"district_id": d.id, "ordinal": ordinal, "start_date": start,
                                            "end_date": end, "status": status, "pay_standard": pay_standard,
                                            "wage_ref": {}})
            self._audit(store, by, "term.add", {"district": district, "ordinal": ordinal, "start": start,
                                                "end": end, "status": status})
            return new_id

    def open_renewal(self, term_id: int, window_from: date, window_to: date, *,
                     by: str | None = None) -> changeover.ChangeoverReport:
        """TM-3: open 换届 with its application window and one 考核聘用 case per appointment of the term
        (engine.changeover; one transaction per community). Without `by` (set-up by the system) TM-3 is
        taken as SYSTEM and any case to open fails (the re-hiring `open` step needs 区民政局); the first
        failure is raised after every community has been tried."""
        from workflows import registry  # workflows import the engine: resolved at call time

        engine = Engine(self.db, self.clock, registry())
        report = changeover.open_renewal(engine, by or SYSTEM_ACTOR.login, term_id, window_from, window_to,
                                         setup=by is None)
        first = report.failed[0].exception if report.failed else None
        if first is not None:
            raise first
        return report


def _term_end(policy: Policy, start: date, end: date | None) -> date:
    """TERM-1: the end a term of this pack gets. A pack with `term.length_years` computes it (CAL-4) and
    accepts an explicit `end` only when it is that same day (TERM_END_MISMATCH otherwise: a term longer or
    shorter than the pack's length would move every appointment end and reminder that follows from it);
    a pack without a length needs the explicit `end` (TERM_END_REQUIRED, a NotConfigured: A-41)."""
    from workflows.citations import term_length_citation  # workflows import the engine

    citation = str(term_length_citation(policy.code))
    if not policy.is_set("term.length_years"):
        if end is None:
            raise NotConfigured("TERM_END_REQUIRED", rule_id="TERM-1", citation=citation, details={
                "pack": policy.code, "key": "term.length_years", "source": citation, "assumption": "A-41"})
        return end
    years = policy.int("term.length_years", "TERM-1")
    computed = term_end(start, years)
    if end is not None and end != computed:
        raise TransitionRejected("TERM_END_MISMATCH", rule_id="TERM-1", citation=citation, details={
            "pack": policy.code, "key": "term.length_years", "years": years, "end": end.isoformat(),
            "computed": computed.isoformat(), "start": start.isoformat(), "source": citation})
    return computed


def _opt_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise _worker_problem("term_id", t("payload.not_int")) from exc


def _opt_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise _worker_problem(str(value), t("payload.not_date")) from exc


def _worker_problem(label: str, reason: str) -> InvalidInput:
    """PAYLOAD_INVALID of `worker add` / a roster row: `label：reason`."""
    problem = t("text.label_reason", label=label, reason=reason)
    return InvalidInput("PAYLOAD_INVALID", details={"trigger": "worker.add", "problems": problem})
