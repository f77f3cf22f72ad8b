"""The one write path. Every front end (CLI, scheduler, future web API) changes a case only through
`Engine.open_case`, `Engine.fire` and the deadline sweep, all of which end in `_apply`.

Order of checks for `fire`: the case exists → the expected version matches (a stale caller gets a
conflict, not a misleading "not available") → the trigger exists and is open from the case's state →
the actor holds a permitted role and the case is in that role's scope → the payload is complete and
typed → the guards pass (inside the `transitions` machine). Then state,
audit entry, deadlines, outbox rows and actions are written in the same transaction; on any failure
nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import structlog

from engine import payload as payloads
from engine import queries, text
from engine.calendar import lazy_calendar_for
from engine.clock import Clock, local_date
from engine.deadlines import start_deadline
from engine.errors import (
    ConcurrentModification,
    GuardRejected,
    InvalidInput,
    NotFound,
    NotPermitted,
    ShequFlowError,
    TriggerNotAvailable,
)
from engine.evaluate import OVERRIDES_FIELD, Evaluation, evaluate
from engine.guards import SYSTEM_ACTOR, Actor, CaseView, GuardContext
from engine.machine import compiled
from engine.policy import Policy, get_pack
from engine.spec import (
    SAME,
    CloseChildCases,
    CloseRelatedCases,
    CreateAppointment,
    EndAppointment,
    Procedure,
    Roles,
    RunInTransaction,
    Step,
)
from engine.text import join_clauses, join_list, t
from notifications.outbox import recipient_names
from notifications.outbox import snapshot as notice_snapshot
from storage.records import CaseRecord, UserRecord
from storage.repository import Store
from storage.unit_of_work import Database

log = structlog.get_logger("shequ.engine")

DISTRICT_ROLES = {Roles.DISTRICT_CIVIL_AFFAIRS, Roles.DISTRICT_HR}
STREET_ROLES = {Roles.STREET_OFFICE, Roles.STREET_PARTY_COMMITTEE, Roles.STREET_ASSESSMENT_GROUP}
COMMUNITY_ROLES = {Roles.COMMUNITY, Roles.COMMUNITY_ASSESSMENT_GROUP}
MAX_AUTOMATIC_CHAIN = 20


@dataclass(frozen=True)
class StepOutcome:
    trigger: str
    from_state: str | None
    to_state: str
    actor: str
    role: str
    audit_seq: int
    warnings: tuple[str, ...] = ()
    overridden: tuple[dict[str, Any], ...] = ()


@dataclass
class TransitionResult:
    case_id: int
    procedure: str
    state: str
    version: int
    steps: list[StepOutcome] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "procedure": self.procedure,
            "state": self.state,
            "version": self.version,
            "steps": [s.__dict__ for s in self.steps],
        }


@dataclass(frozen=True)
class _Ctx:
    """What the machine's guard condition receives (see engine.machine)."""

    step: Step
    guard_context: GuardContext


@dataclass(frozen=True)
class TriggerPreview:
    trigger: str
    dest: str
    roles: tuple[str, ...]
    permitted: bool
    automatic: bool
    missing_fields: tuple[str, ...]
    failures: tuple[dict[str, Any], ...]
    warnings: tuple[dict[str, Any], ...]
    passes: tuple[dict[str, Any], ...] = ()  # the guards that pass: rule id, code, citation, message
    then: tuple[TriggerPreview, ...] = ()  # SYSTEM's automatic steps from the state this step reaches

    @property
    def would_pass(self) -> bool:
        return self.permitted and not self.missing_fields and not self.failures


def passed_guards(evaluation: Evaluation) -> tuple[dict[str, Any], ...]:
    """The passing guards of an evaluation that name a rule, each once: rule id, code, citation and a
    message (`passes.<CODE>` with the verdict's figures where the catalog has one, else a generic one)."""
    out: list[dict[str, Any]] = []
    for v in evaluation.verdicts:
        if not v.ok or v.warning or v.rule is None:
            continue
        code = v.error_code
        key = f"passes.{code}"
        message = t(key, **v.params) if text.has(key) else t("passes.generic", rule=v.rule.id)
        item = {"rule_id": v.rule.id, "code": code, "citation": v.rule.citation, "message": message}
        if item not in out:
            out.append(item)
    return tuple(out)


class Engine:
    def __init__(self, db: Database, clock: Clock, procedures: Mapping[str, Procedure]) -> None:
        self.db = db
        self.clock = clock
        self.procedures = dict(procedures)

    # ------------------------------------------------------------------ lookups
    def procedure(self, code: str, version: int | None = None) -> Procedure:
        proc = self.procedures.get(code)
        if proc is None:
            raise NotFound(
                "PROCEDURE_NOT_FOUND", details={"procedure": code, "known": join_list(self.procedures)}
            )
        if version is not None and version != proc.version:
            raise NotFound("PROCEDURE_VERSION_MISSING", details={"procedure": code, "version": version})
        return proc

    def policy_for_case(self, case: CaseRecord) -> Policy:
        policy = get_pack(case.pack)
        if policy.version != case.pack_version:
            raise NotFound("PACK_VERSION_MISSING", details={"pack": case.pack, "version": case.pack_version})
        return policy

    def user(self, store: Store, login: str) -> UserRecord:
        return store.user_by_login(login)

    # ------------------------------------------------------------------ open
    def open_case(
        self,
        procedure_code: str,
        login: str,
        payload: Mapping[str, Any] | None = None,
        *,
        worker_id: int | None = None,
        community_id: int | None = None,
        parent_case_id: int | None = None,
    ) -> TransitionResult:
        proc = self.procedure(procedure_code)
        with self.db.transaction() as store:
            actor = self._actor(store, login, proc.opening_step, proc)
            return self.open_case_in(
                store,
                procedure_code,
                actor,
                payload,
                worker_id=worker_id,
                community_id=community_id,
                parent_case_id=parent_case_id,
            )

    def open_case_in(
        self,
        store: Store,
        procedure_code: str,
        actor: Actor,
        payload: Mapping[str, Any] | None = None,
        *,
        worker_id: int | None = None,
        community_id: int | None = None,
        parent_case_id: int | None = None,
    ) -> TransitionResult:
        """Open a case inside a caller's transaction (e.g. SYSTEM opening a dismissal case when recorded
        data makes a computed ground true, in the same transaction as the record). The caller has
        resolved the actor; SYSTEM may open only where the opening step names it."""
        proc = self.procedure(procedure_code)
        step = proc.opening_step
        if actor.is_system and Roles.SYSTEM not in step.roles:
            raise _role_not_permitted(proc.code, step.trigger, [r.value for r in step.roles
                                                                 if isinstance(r, Roles)])
        now = self.clock.now()
        subject = self._subject(store, proc, actor, worker_id, community_id, parent_case_id)
        policy = get_pack(store.district_pack(subject["district_id"]))
        self._check_enabled(proc, policy)
        draft = CaseView(
            None,
            proc.code,
            "",
            0,
            {},
            subject["worker_id"],
            subject["community_id"],
            subject["street_id"],
            subject["district_id"],
            parent_case_id,
            now,
        )
        self._check_scope(actor, draft, owner_user_id=None)
        clean = payloads.validate(step.fields, payload, trigger=step.trigger)
        ctx = self._context(store, proc, draft, clean, actor, policy, now)
        evaluation = evaluate(step, ctx)
        if evaluation.blocking:
            raise GuardRejected([v.to_error() for v in evaluation.blocking])
        data, actions = self._merge(draft.data, clean, step, ctx)
        case_id = store.insert_case(
            {
                "procedure": proc.code,
                "procedure_version": proc.version,
                "pack": policy.code,
                "pack_version": policy.version,
                "state": step.dest,
                "version": 1,
                "closed": step.dest in proc.final,
                "worker_id": draft.worker_id,
                "district_id": draft.district_id,
                "street_id": draft.street_id,
                "community_id": draft.community_id,
                "parent_case_id": parent_case_id,
                "owner_user_id": actor.user_id,
                "data": data,
                "opened_at": now,
                "updated_at": now,
            }
        )
        record = store.get_case(case_id)
        result = TransitionResult(case_id, proc.code, record.state, record.version)
        self._record(
            store,
            proc,
            policy,
            record,
            None,
            step,
            actor,
            clean,
            evaluation,
            ctx,
            result,
            now,
            data=data,
            actions=actions,
            new_version=1,
            write_case=False,
        )
        self._run_automatic(store, proc, policy, result, now)
        return result

    # ------------------------------------------------------------------ fire
    def fire(
        self,
        case_id: int,
        trigger: str,
        login: str,
        payload: Mapping[str, Any] | None = None,
        *,
        expected_version: int | None = None,
    ) -> TransitionResult:
        with self.db.transaction() as store:
            now = self.clock.now()
            case = store.get_case(case_id)
            # A stale expected version is a conflict even if the trigger is no longer open: the caller
            # acted on a case that someone else changed, and must reload (not be told "not available").
            if expected_version is not None and expected_version != case.version:
                raise ConcurrentModification(
                    "CASE_VERSION_CONFLICT",
                    details={"case": case_id, "version": expected_version, "current": case.version},
                )
            proc = self.procedure(case.procedure, case.procedure_version)
            step = self._step(proc, case, trigger)
            if step.automatic:
                raise _role_not_permitted(proc.code, trigger, [Roles.SYSTEM.value])
            policy = self.policy_for_case(case)
            actor = (
                SYSTEM_ACTOR if login == SYSTEM_ACTOR.login else self._actor(store, login, step, proc, policy)
            )
            if actor.is_system and Roles.SYSTEM not in step.roles:
                raise _role_not_permitted(proc.code, trigger, self._step_roles(step, policy))
            self._check_scope(actor, _view(case), owner_user_id=case.owner_user_id)
            result = TransitionResult(case.id, proc.code, case.state, case.version)
            self._apply(store, proc, policy, case, step, actor, payload, now, result)
            self._run_automatic(store, proc, policy, result, now)
            return result

    def fire_in(
        self,
        store: Store,
        case: CaseRecord,
        trigger: str,
        actor: Actor,
        payload: Mapping[str, Any] | None,
        result: TransitionResult | None = None,
    ) -> TransitionResult:
        """Fire inside a caller's transaction (deadline sweep, related-case closure). No role lookup:
        the caller is SYSTEM."""
        now = self.clock.now()
        proc = self.procedure(case.procedure, case.procedure_version)
        step = self._step(proc, case, trigger)
        policy = self.policy_for_case(case)
        result = result or TransitionResult(case.id, proc.code, case.state, case.version)
        self._apply(store, proc, policy, case, step, actor, payload, now, result)
        self._run_automatic(store, proc, policy, result, now)
        return result

    # ------------------------------------------------------------------ preview
    def preview(
        self, case_id: int, login: str, payload: Mapping[str, Any] | None = None
    ) -> list[TriggerPreview]:
        """Dry run: every trigger open from the case's state, whether this user may take it, and for
        each guard whether it passes now and why. Writes nothing."""
        with self.db.read() as store:
            now = self.clock.now()
            case = store.get_case(case_id)
            proc = self.procedure(case.procedure, case.procedure_version)
            policy = self.policy_for_case(case)
            user = store.user_by_login(login)
            out: list[TriggerPreview] = []
            for step in proc.steps_from(case.state):
                roles = self._step_roles(step, policy)
                held = [r for r in roles if r in user.roles]
                actor = _actor_from(user, held[0] if held else (roles[0] if roles else ""))
                permitted = bool(held) and self._in_scope(actor, _view(case), case.owner_user_id)
                raw = dict(payload or {})
                known = {f.name for f in step.fields}
                raw = {k: v for k, v in raw.items() if k in known or k == OVERRIDES_FIELD}
                missing = tuple(f.name for f in step.fields if f.required and raw.get(f.name) in (None, ""))
                failures: list[dict[str, Any]] = []
                warnings: list[dict[str, Any]] = []
                passes: tuple[dict[str, Any], ...] = ()
                then: tuple[TriggerPreview, ...] = ()
                if not missing:
                    try:
                        clean = payloads.validate(step.fields, raw, trigger=step.trigger)
                        ctx = self._context(store, proc, _view(case), clean, actor, policy, now)
                        ev = evaluate(step, ctx)
                        failures = [v.to_error().to_dict() for v in ev.blocking]
                        warnings = [v.to_error().to_dict() for v in ev.warnings]
                        passes = passed_guards(ev)
                        if not failures and not step.automatic:
                            then = self._preview_automatic(store, proc, policy, case, step, clean, ctx, now)
                    except ShequFlowError as exc:
                        failures = [exc.to_dict()]
                out.append(
                    TriggerPreview(
                        step.trigger,
                        step.dest,
                        tuple(roles),
                        permitted,
                        step.automatic,
                        missing,
                        tuple(failures),
                        tuple(warnings),
                        passes,
                        then,
                    )
                )
            return out

    def _preview_automatic(
        self,
        store: Store,
        proc: Procedure,
        policy: Policy,
        case: CaseRecord,
        step: Step,
        clean: Mapping[str, Any],
        ctx: GuardContext,
        now: Any,
    ) -> tuple[TriggerPreview, ...]:
        """Dry run of what SYSTEM would try right after `step`: each automatic step from the state it
        reaches, its guards evaluated against the case data the step would leave (payload and effect merged).
        Read-only; the effect is a pure function."""
        data, _ = self._merge(case.data, clean, step, ctx)
        state = case.state if step.dest == SAME else step.dest
        after = replace(_view(case), state=state, data=data)
        out: list[TriggerPreview] = []
        for auto in (s for s in proc.steps_from(state) if s.automatic):
            auto_ctx = self._context(store, proc, after, {}, SYSTEM_ACTOR, policy, now)
            try:
                ev = evaluate(auto, auto_ctx)
                failures = tuple(v.to_error().to_dict() for v in ev.blocking)
                warnings = tuple(v.to_error().to_dict() for v in ev.warnings)
                passes = passed_guards(ev)
            except ShequFlowError as exc:
                failures, warnings, passes = (exc.to_dict(),), (), ()
            roles = tuple(self._step_roles(auto, policy))
            out.append(TriggerPreview(auto.trigger, auto.dest, roles, True, True, (), failures, warnings,
                                      passes))
        return tuple(out)

    # ------------------------------------------------------------------ internals
    def _step(self, proc: Procedure, case: CaseRecord, trigger: str) -> Step:
        step = proc.step(trigger)
        if step is None or step.opens_case:
            raise NotFound("TRIGGER_UNKNOWN", details={"trigger": trigger, "procedure": proc.code})
        if case.state not in step.source:
            details = self._open_steps(proc, case, trigger)
            order = proc.out_of_order_rule(trigger, case.state)
            if order is not None:  # the source's ordering rule, cited (e.g. EXH_STEP_ORDER)
                extra = order.params(_view(case)) if order.params is not None else {}
                rule = order.rule
                raise TriggerNotAvailable(rule.code, rule_id=rule.id, citation=rule.citation,
                                          details={**details, **extra})
            raise TriggerNotAvailable("TRIGGER_NOT_AVAILABLE", details=details)
        return step

    def _open_steps(self, proc: Procedure, case: CaseRecord, trigger: str) -> dict[str, Any]:
        """Details of a refusal because `trigger` is not open from the case's state: the state and trigger
        with their labels, and the steps open now — those a person takes (with the roles that may take
        them) apart from those SYSTEM takes (a deadline, or automatically when its conditions hold)."""
        policy = self.policy_for_case(case)
        deadline_triggers = {getattr(spec, "fires", None) for s in proc.steps for spec in s.starts}
        people: list[str] = []
        system: list[str] = []
        people_codes: list[str] = []
        system_codes: list[str] = []
        for s in proc.steps_from(case.state):
            roles = self._step_roles(s, policy)
            label = queries.action_label(proc.code, s.trigger)
            if s.automatic or roles == [Roles.SYSTEM.value]:
                how = "deadline" if s.trigger in deadline_triggers and not s.automatic else "automatic"
                system.append(t(f"access.{how}_step", label=label, code=s.trigger))
                system_codes.append(s.trigger)
                continue
            who = join_list(queries.role_label(r) for r in roles if r != Roles.SYSTEM.value)
            people.append(t("access.person_step", label=label, code=s.trigger, roles=who))
            people_codes.append(s.trigger)
        parts = [t("access.people", steps=join_clauses(people)) if people else t("access.people_none")]
        if system:
            parts.append(t("access.system", steps=join_clauses(system)))
        return {
            "trigger": trigger, "trigger_label": queries.action_label(proc.code, trigger),
            "state": case.state, "state_label": queries.state_label(proc.code, case.state),
            "case": case.id, "available": people_codes, "automatic": system_codes,
            "open_steps": "".join(parts),
        }

    def _step_roles(self, step: Step, policy: Policy) -> list[str]:
        roles: list[str] = []
        for ref in step.roles:
            if isinstance(ref, Roles):
                roles.append(ref.value)
            else:
                roles.append(str(policy.get(ref.key)))
        return roles

    def _actor(
        self, store: Store, login: str, step: Step, proc: Procedure, policy: Policy | None = None
    ) -> Actor:
        """The user acting in the first of the step's roles they hold. Policy-chosen roles (A-21, RES-3) are
        resolved against the case's pinned pack, or, when opening a case, the user's district pack."""
        user = store.user_by_login(login)
        resolved: list[str] = []
        for ref in step.roles:
            if isinstance(ref, Roles):
                resolved.append(ref.value)
            elif policy is not None:
                resolved.append(str(policy.get(ref.key)))
            else:
                district = user.district_id or (
                    store.street(user.street_id).district_id if user.street_id else None
                )
                pack = get_pack(store.district_pack(district)) if district else None
                if pack is not None:
                    resolved.append(str(pack.get(ref.key)))
        for role in resolved:
            if role in user.roles:
                return _actor_from(user, role)
        raise _role_not_permitted(proc.code, step.trigger, resolved, user)

    def _subject(
        self,
        store: Store,
        proc: Procedure,
        actor: Actor,
        worker_id: int | None,
        community_id: int | None,
        parent_case_id: int | None,
    ) -> dict[str, Any]:
        subject: dict[str, Any] = {
            "worker_id": worker_id,
            "community_id": community_id,
            "street_id": None,
            "district_id": None,
        }
        if parent_case_id is not None:
            parent = store.get_case(parent_case_id)
            if proc.parent and parent.procedure != proc.parent:
                raise InvalidInput(
                    "PARENT_CASE_WRONG", details={"case": parent_case_id, "procedure": proc.parent}
                )
            subject.update(district_id=parent.district_id, street_id=parent.street_id)
            if community_id is None:
                subject["community_id"] = parent.community_id
        elif proc.parent:
            raise InvalidInput("PARENT_CASE_REQUIRED", details={"procedure": proc.parent})
        if worker_id is not None:
            worker = store.worker(worker_id)
            if subject["community_id"] is None:
                apps = store.appointments(worker_id=worker_id)
                subject["community_id"] = apps[0].community_id if apps else worker.community_id
        elif proc.subject == "worker":
            raise InvalidInput("WORKER_REQUIRED", details={"procedure": proc.code})
        if subject["community_id"] is not None:
            community = store.community(subject["community_id"])
            subject.update(street_id=community.street_id, district_id=community.district_id)
        if subject["street_id"] is None and proc.subject == "street" and actor.street_id is not None:
            # a street-wide case (e.g. one annual assessment round per street and year): the opener's street
            subject.update(street_id=actor.street_id, district_id=store.street(actor.street_id).district_id)
        if subject["district_id"] is None:
            subject["district_id"] = actor.district_id
        if subject["district_id"] is None:
            raise InvalidInput("DISTRICT_REQUIRED", details={"procedure": proc.code})
        return subject

    def _check_enabled(self, proc: Procedure, policy: Policy) -> None:
        if not policy.get(f"procedures.{proc.code}", rule=proc.code):
            raise NotPermitted("PROCEDURE_DISABLED", details={"procedure": proc.code, "pack": policy.code})

    def _in_scope(self, actor: Actor, case: CaseView, owner_user_id: int | None) -> bool:
        role = actor.role
        if role in (Roles.SYSTEM, Roles.OBJECTOR):
            return True
        if role in DISTRICT_ROLES:
            return actor.district_id is None or actor.district_id == case.district_id
        if role in STREET_ROLES:
            return actor.street_id is not None and actor.street_id == case.street_id
        if role in COMMUNITY_ROLES and case.community_id is None and case.street_id is not None:
            # a street-wide case: each community of the street acts in it for itself (the procedure's guards
            # hold it to its own community)
            return actor.street_id is not None and actor.street_id == case.street_id
        if role in COMMUNITY_ROLES:
            return actor.community_id is not None and actor.community_id == case.community_id
        if role == Roles.WORKER:
            return actor.worker_id is not None and actor.worker_id == case.worker_id
        if role == Roles.CANDIDATE:
            return owner_user_id is None or owner_user_id == actor.user_id
        return False

    def _check_scope(self, actor: Actor, case: CaseView, owner_user_id: int | None) -> None:
        if not self._in_scope(actor, case, owner_user_id):
            title = queries.procedure_title(case.procedure)
            details = {
                "user": actor.login,
                "role": queries.role_label(actor.role),
                "role_code": actor.role,
                "case": t("access.case", id=case.id, title=title) if case.id is not None
                else t("access.new_case", title=title),
                "case_id": case.id,
            }
            message = t("errors.OUT_OF_SCOPE", **details)
            hint = f"access.scope.{_scope_kind(actor.role)}"
            if text.has(hint):
                message = join_clauses([message, t(hint)])
            raise NotPermitted("OUT_OF_SCOPE", message, details=details)

    def _context(
        self,
        store: Store,
        proc: Procedure,
        case: CaseView,
        clean: Mapping[str, Any],
        actor: Actor,
        policy: Policy,
        now: Any,
    ) -> GuardContext:
        facts: Mapping[str, Any] = LazyFacts(proc.load_facts, store, case) if proc.load_facts else {}
        return GuardContext(case, clean, actor, now, local_date(now), policy, facts, lazy_calendar_for(store),
                            proc.citation_swap(policy.code))

    def _merge(
        self, data: Mapping[str, Any], clean: Mapping[str, Any], step: Step, ctx: GuardContext
    ) -> tuple[dict[str, Any], tuple[Any, ...]]:
        """Case data after the step (recorded fields + effect data) and the effect's actions."""
        merged = dict(data)
        merged.update({k: v for k, v in clean.items() if k != OVERRIDES_FIELD})
        actions: tuple[Any, ...] = ()
        if step.effect is not None:
            effect = step.effect(ctx)
            merged.update(effect.data)
            actions = effect.actions
        return merged, actions

    def _apply(
        self,
        store: Store,
        proc: Procedure,
        policy: Policy,
        case: CaseRecord,
        step: Step,
        actor: Actor,
        payload: Mapping[str, Any] | None,
        now: Any,
        result: TransitionResult,
    ) -> None:
        clean = payloads.validate(step.fields, payload, trigger=step.trigger)
        ctx = self._context(store, proc, _view(case), clean, actor, policy, now)
        new_state, evaluation = compiled(proc).run(case.state, step.trigger, _Ctx(step, ctx))
        if step.dest != SAME and new_state != step.dest:
            raise AssertionError("machine and declaration disagree")
        data, actions = self._merge(case.data, clean, step, ctx)
        self._record(
            store,
            proc,
            policy,
            case,
            case.state,
            step,
            actor,
            clean,
            evaluation,
            ctx,
            result,
            now,
            data=data,
            actions=actions,
            new_state=new_state,
        )

    def _record(
        self,
        store: Store,
        proc: Procedure,
        policy: Policy,
        case: CaseRecord,
        from_state: str | None,
        step: Step,
        actor: Actor,
        clean: Mapping[str, Any],
        evaluation: Evaluation,
        ctx: GuardContext,
        result: TransitionResult,
        now: Any,
        *,
        data: dict[str, Any],
        actions: tuple[Any, ...],
        new_state: str | None = None,
        new_version: int | None = None,
        write_case: bool = True,
    ) -> None:
        to_state = new_state or case.state
        closed = to_state in proc.final
        version = new_version or case.version
        if write_case:
            version = store.update_case(
                case.id, case.version, state=to_state, data=data, closed=closed, now=now
            )
        body = {
            "payload": dict(clean),
            "rule_ids": sorted(set(step.rule_ids) | set(evaluation.rule_ids())),
            "citations": proc.citations_in(policy.code,
                                           [str(c) for c in step.cites] + evaluation.citations()),
            "overrides": list(evaluation.overridden),
            "warnings": [v.to_error().to_dict() for v in evaluation.warnings],
            "effective_date": local_date(now).isoformat(),
            "pack": f"{policy.code}@{policy.version}",
            "procedure_version": proc.version,
            "case_version": version,
        }
        computed = {k: v for k, v in data.items() if k not in clean and case.data.get(k) != v}
        if computed:
            body["computed"] = computed
        seq = store.append_audit(
            case_id=case.id,
            procedure=proc.code,
            action=step.trigger,
            from_state=from_state,
            to_state=to_state,
            actor_login=actor.login,
            actor_name=actor.name,
            role=actor.role,
            at=now,
            body=body,
        )
        if from_state is not None and to_state != from_state and from_state in proc.deadline_states:
            store.cancel_deadlines(case.id, from_state)
        after = replace(ctx, case=replace(ctx.case, id=case.id, state=to_state, data=data, version=version))
        for spec in step.starts:
            start_deadline(store, spec, after, case.id, to_state, now)
        # Rendering happens at dispatch, from this snapshot of the event (notifications.outbox).
        context = notice_snapshot(
            store, proc=proc, policy=policy, case=case, data=data, from_state=from_state, to_state=to_state,
            trigger=step.trigger, audit_seq=seq, at=now, body=body,
            actor={"login": actor.login, "name": actor.name, "role": actor.role},
        ) if step.notices else None
        for notice in step.notices:
            notice_to = recipient_names(notice.to, policy)
            for recipient in notice.to:
                name = (
                    recipient
                    if isinstance(recipient, str)
                    else (recipient.value if isinstance(recipient, Roles) else str(policy.get(recipient.key)))
                )
                store.insert_outbox(
                    {
                        "case_id": case.id,
                        "audit_seq": seq,
                        "kind": notice.kind,
                        "recipient": name,
                        "idempotency_key": f"{case.id}:{seq}:{notice.kind}:{name}",
                        "payload": {
                            "schema_version": 1,
                            "procedure": proc.code,
                            "trigger": step.trigger,
                            "from": from_state,
                            "to": to_state,
                            "worker_id": case.worker_id,
                            "community_id": case.community_id,
                            "street_id": case.street_id,
                            "context": context,
                            "notice_to": notice_to,
                        },
                        "status": "PENDING",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
        for action in actions:
            self._act(store, action, case, now)
        warnings = tuple(v.to_error().message_zh for v in evaluation.warnings)
        result.steps.append(
            StepOutcome(
                step.trigger,
                from_state,
                to_state,
                actor.login,
                actor.role,
                seq,
                warnings,
                evaluation.overridden,
            )
        )
        result.state = to_state
        result.version = version
        log.info(
            "transition_applied",
            case_id=case.id,
            procedure=proc.code,
            trigger=step.trigger,
            source=from_state,
            dest=to_state,
            actor=actor.login,
            role=actor.role,
            audit_seq=seq,
        )

    def _new_worker(self, store: Store, action: CreateAppointment, case: CaseRecord, now: Any) -> int:
        """The record a candidate's appointment makes; the candidate's case names it from now on."""
        worker_id = self._ensure_worker(store, action.new_worker, now)
        if case.worker_id is None:
            store.set_case_worker(case.id, worker_id)
        return worker_id

    def _act(self, store: Store, action: Any, case: CaseRecord, now: Any) -> None:
        if isinstance(action, CreateAppointment):
            worker_id = action.worker_id if action.worker_id is not None else self._new_worker(
                store, action, case, now)
            new_id = store.insert_appointment(
                {
                    "worker_id": worker_id,
                    "community_id": action.community_id,
                    "category": action.category,
                    "position": action.position,
                    "method": action.method,
                    "decision_no": action.decision_no,
                    "start_date": action.start_date,
                    "end_date": action.end_date,
                    "term_id": action.term_id,
                    "predecessor_id": action.predecessor_id,
                    "case_id": case.id,
                }
            )
            if action.predecessor_id is not None:
                store.link_successor(action.predecessor_id, new_id)
        elif isinstance(action, EndAppointment):
            store.end_appointment(action.appointment_id, action.end_date, action.end_reason)
        elif isinstance(action, CloseRelatedCases):
            for other in store.list_cases(
                procedure=action.procedure, worker_id=action.worker_id, open_only=True
            ):
                if other.id == case.id:
                    continue
                proc = self.procedure(other.procedure)
                step = proc.step(action.trigger)
                if step is not None and other.state in step.source:
                    self.fire_in(store, other, action.trigger, SYSTEM_ACTOR, {"moot_reason": action.reason})
        elif isinstance(action, RunInTransaction):
            action.run(self, store, case.id)
        elif isinstance(action, CloseChildCases):
            while True:  # in batches: list_cases is limited; each fired child leaves the open set
                fired = 0
                children = store.list_cases(
                    procedure=action.procedure, parent_case_id=case.id, open_only=True
                )
                for child in children:
                    step = self.procedure(child.procedure).step(action.trigger)
                    if step is not None and child.state in step.source:
                        self.fire_in(
                            store, child, action.trigger, SYSTEM_ACTOR, {"moot_reason": action.reason}
                        )
                        fired += 1
                if not fired:
                    break
        else:
            raise TypeError(f"unknown action {action!r}")

    def _ensure_worker(self, store: Store, values: Mapping[str, Any] | None, now: Any) -> int:
        """The personnel record for `values["id_number"]`: the existing one, else a new one from `values`."""
        if not values or not values.get("id_number"):
            raise AssertionError("CreateAppointment without worker_id needs new_worker with an id_number")
        existing = store.worker_by_id_number(str(values["id_number"]))
        if existing is not None:
            return existing.id
        return store.insert("workers", {"record": {}, **values, "created_at": now})

    def _run_automatic(
        self, store: Store, proc: Procedure, policy: Policy, result: TransitionResult, now: Any
    ) -> None:
        """Take SYSTEM's immediate steps (e.g. RH-T6) while one applies, in declaration order."""
        for _ in range(MAX_AUTOMATIC_CHAIN):
            candidates = [s for s in proc.steps_from(result.state) if s.automatic]
            if not candidates:
                return
            case = store.get_case(result.case_id)
            ctx = self._context(store, proc, _view(case), {}, SYSTEM_ACTOR, policy, now)
            chosen = None
            for step in candidates:
                if evaluate(step, ctx).ok:
                    chosen = step
                    break
            if chosen is None:
                return
            self._apply(store, proc, policy, case, chosen, SYSTEM_ACTOR, {}, now, result)
        raise AssertionError("automatic steps did not settle")


class LazyFacts(Mapping[str, Any]):
    """Facts loaded on first access, inside the caller's transaction: steps whose guards and effects
    never read facts do not pay for the queries."""

    def __init__(self, loader: Any, store: Store, case: CaseView) -> None:
        self._loader = loader
        self._store = store
        self._case = case
        self._facts: Mapping[str, Any] | None = None

    def _load(self) -> Mapping[str, Any]:
        if self._facts is None:
            self._facts = self._loader(self._store, self._case)
        return self._facts

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Any:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def _scope_kind(role: str) -> str:
    if role in DISTRICT_ROLES:
        return "district"
    if role in STREET_ROLES:
        return "street"
    if role in COMMUNITY_ROLES:
        return "community"
    return role.lower()


def _role_not_permitted(procedure: str, trigger: str, roles: list[str],
                        user: UserRecord | None = None) -> NotPermitted:
    """ROLE_NOT_PERMITTED naming the step and the roles by their labels, and the roles the user holds
    (codes kept in `trigger_code` / `role_codes`). A step only SYSTEM takes says so."""
    details: dict[str, Any] = {
        "trigger": queries.action_label(procedure, trigger), "trigger_code": trigger,
        "roles": join_list(queries.role_label(r) for r in roles), "role_codes": list(roles),
    }
    message = t("errors.ROLE_NOT_PERMITTED", **details)
    if roles == [Roles.SYSTEM.value]:
        message = join_clauses([message, t("access.system_only")])
    elif user is not None:
        details["user"] = user.login
        held = join_list(queries.role_label(r) for r in user.roles) if user.roles else t("text.none")
        message = join_clauses([message, t("access.your_roles", user=user.login, roles=held)])
    return NotPermitted("ROLE_NOT_PERMITTED", message, details=details)


def _actor_from(user: UserRecord, role: str) -> Actor:
    return Actor(
        user.id,
        user.login,
        user.name,
        role,
        frozenset(user.roles),
        user.district_id,
        user.street_id,
        user.community_id,
        user.worker_id,
    )


def _view(case: CaseRecord) -> CaseView:
    return CaseView(
        case.id,
        case.procedure,
        case.state,
        case.version,
        case.data,
        case.worker_id,
        case.community_id,
        case.street_id,
        case.district_id,
        case.parent_case_id,
        case.opened_at,
    )


def parse_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
