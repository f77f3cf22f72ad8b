"""Declarative building blocks of a procedure. Nothing here executes a rule: a `Procedure` is data
that `engine.validate` checks, `engine.machine` compiles and `engine.service` runs.

A procedure reads like the article it encodes: each `Step` names who may take it, from which
states to which, what must be recorded (`fields`), which guards apply (each citing its rule) and
which deadlines it starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.guards import CaseView, GuardContext, Verdict


@dataclass(frozen=True)
class Citation:
    """A place in a source document, cited as the spec does: `seed 000 第六条2`."""

    source: str  # "seed 000"
    article: str  # "第六条2", "第五篇 §七", "A-29"

    def __str__(self) -> str:
        if self.source:
            return f"{self.source} {self.article}"
        return self.article


def cite(text: str) -> Citation:
    """Parse `seed 000 第六条2` or an assumption id like `A-29` into a Citation."""
    parts = text.split(" ", 2)
    if len(parts) >= 3 and parts[0] == "seed":
        return Citation(f"{parts[0]} {parts[1]}", parts[2])
    return Citation("", text)


# Stored data: joins the places a rule cites in its `citation` (audit entries, error details; split by
# engine.queries.split_citations), the way the spec writes them (`seed 000 第六条2、A-14`).
CITATION_SEPARATOR = "、"


@dataclass(frozen=True)
class Rule:
    """A rule of the spec: stable id (`RH-1`), stable error code, and where it comes from."""

    id: str
    code: str
    cites: tuple[Citation, ...]

    @property
    def citation(self) -> str:
        return CITATION_SEPARATOR.join(str(c) for c in self.cites)

    def citing(self, swap: Mapping[Citation, Citation]) -> Rule:
        """The rule citing `swap[c]` instead of each `c` it maps (each place once); itself when none."""
        if not swap or not any(c in swap for c in self.cites):
            return self
        cites: list[Citation] = []
        for c in self.cites:
            if swap.get(c, c) not in cites:
                cites.append(swap.get(c, c))
        return replace(self, cites=tuple(cites))


class FieldType(StrEnum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"
    BOOL = "bool"
    CHOICE = "choice"
    JSON = "json"  # structured value (object or list), validated by the step's guards


@dataclass(frozen=True)
class Field:
    """One recorded item of a step. `label` is a text-catalog key suffix (fields.<name>)."""

    name: str
    type: FieldType = FieldType.TEXT
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    default_from: str | None = None  # name of a case-data or fact key used when omitted


class Roles(StrEnum):
    WORKER = "WORKER"
    CANDIDATE = "CANDIDATE"
    COMMUNITY = "COMMUNITY"
    STREET_OFFICE = "STREET_OFFICE"
    STREET_PARTY_COMMITTEE = "STREET_PARTY_COMMITTEE"
    STREET_ASSESSMENT_GROUP = "STREET_ASSESSMENT_GROUP"
    COMMUNITY_ASSESSMENT_GROUP = "COMMUNITY_ASSESSMENT_GROUP"
    DISTRICT_CIVIL_AFFAIRS = "DISTRICT_CIVIL_AFFAIRS"
    DISTRICT_HR = "DISTRICT_HR"
    OBJECTOR = "OBJECTOR"
    ADMIN = "ADMIN"
    SYSTEM = "SYSTEM"


@dataclass(frozen=True)
class PolicyRole:
    """A role chosen by a policy setting (e.g. A-21 `rehire.street_review_role`)."""

    key: str


RoleRef = Roles | PolicyRole

SAME = "="  # a step that records data without leaving its state (transitions' reflexive dest)


@dataclass(frozen=True)
class DeadlineSpec:
    """A deadline started when a step enters its destination state.

    `due` is a pure function of the step's context giving the aware instant at which `fires` is
    triggered by SYSTEM; `basis` explains how it was computed (rule, start date, period) so anyone
    can re-derive it (build it with `engine.calendar.deadline`). Leaving the state cancels the deadline.

    A reminder (`kind="reminder"`) never changes the case: when due, the sweep writes an outbox row of kind
    `reminder.<fires>` to each of `to` (roles, or "worker"). Its `due` may return several instants (a
    configurable ladder, e.g. 90/30/7 days before) or none (not configured, or already past).
    """

    key: str
    fires: str
    due: Callable[[GuardContext], DeadlineDue | Sequence[DeadlineDue] | None]
    rule: Rule
    kind: str = "transition"  # or "reminder" (emits a notification instead of a transition)
    to: tuple[RoleRef | str, ...] = ()  # reminder recipients


@dataclass(frozen=True)
class DeadlineDue:
    at: datetime
    basis: Mapping[str, Any]
    provisional: bool = False  # computed over days of a year without calendar data (CAL-1): an estimate
    start: date | None = None  # the start date of the period
    period: str | None = None  # the period's code (engine.calendar.Period.code), e.g. P7D, P1M, P5WD
    calendar_version: str | None = None  # the working-day calendar the instant was computed with


@dataclass(frozen=True)
class Notice:
    """An outgoing notification written to the outbox in the step's own transaction."""

    kind: str  # template id, e.g. "publicity", "decision.rehired"
    to: tuple[RoleRef | str, ...]  # roles, or "worker" for the person concerned


# ---- effects: what a step changes besides the case's own state and data ----


@dataclass(frozen=True)
class CreateAppointment:
    """A new appointment. `worker_id=None` with `new_worker` (column values of a personnel record) hires a
    person who has no record yet (考试聘用): the engine reuses the record with that ID number if one
    exists, else creates it, in the step's transaction."""

    worker_id: int | None
    community_id: int
    category: str
    position: str | None
    method: str
    start_date: date
    end_date: date | None
    term_id: int | None
    decision_no: str | None
    predecessor_id: int | None = None
    new_worker: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class EndAppointment:
    appointment_id: int
    end_date: date
    end_reason: str


@dataclass(frozen=True)
class CloseRelatedCases:
    """Fire `trigger` as SYSTEM on the worker's other open cases of `procedure` (A-31 moot)."""

    worker_id: int
    procedure: str
    trigger: str
    reason: str


@dataclass(frozen=True)
class CloseChildCases:
    """Fire `trigger` as SYSTEM on the case's open child cases of `procedure` (a cancelled recruitment
    ends its candidates' cases)."""

    procedure: str
    trigger: str
    reason: str


@dataclass(frozen=True)
class RunInTransaction:
    """A procedure's own write in the step's transaction, run by the engine after the case is updated:
    `run(engine, store, case_id)`. For writes that go through a workflow service with its own rules, e.g. the
    annual assessment's FINAL grades written through `workflows.records.Records` (which re-evaluates the
    computed dismissal grounds and may open cases). The effect stays pure: it only returns this action."""

    run: Callable[[Any, Any, int], None]
    label: str


Action = CreateAppointment | EndAppointment | CloseRelatedCases | CloseChildCases | RunInTransaction


@dataclass(frozen=True)
class Effect:
    """What a step's effect function returns: case-data updates and actions on other records."""

    data: Mapping[str, Any] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()


Guard = Callable[["GuardContext"], "Verdict"]
EffectFn = Callable[["GuardContext"], Effect]


@dataclass(frozen=True)
class Step:
    """One documented step: trigger name, states, roles, records, guards, citations, deadlines.

    A step with `source=()` opens a case (exactly one per procedure); `automatic=True` steps are
    taken by SYSTEM as soon as the case rests in a source state and their guards pass, in
    declaration order (e.g. RH-T6 evaluating the vote thresholds).
    """

    trigger: str
    source: tuple[str, ...]
    dest: str
    roles: tuple[RoleRef, ...]
    cites: tuple[Citation, ...]
    fields: tuple[Field, ...] = ()
    guards: tuple[Guard, ...] = ()
    effect: EffectFn | None = None
    starts: tuple[DeadlineSpec, ...] = ()
    notices: tuple[Notice, ...] = ()
    automatic: bool = False
    rule_ids: tuple[str, ...] = ()

    @property
    def opens_case(self) -> bool:
        return not self.source


@dataclass(frozen=True)
class OutOfOrder:
    """An ordering rule of the source: `triggers` tried while the case rests in one of `states` (where they
    are not open) are refused citing `rule` (e.g. EXH_STEP_ORDER: 面试 before 笔试) instead of the generic
    TRIGGER_NOT_AVAILABLE. `params` fills the rule's message from the case."""

    triggers: tuple[str, ...]
    states: tuple[str, ...]
    rule: Rule
    params: Callable[[CaseView], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class Procedure:
    """A declared procedure: compiled into a `transitions` machine by `engine.machine`."""

    code: str
    version: int
    states: tuple[str, ...]
    final: frozenset[str]
    steps: tuple[Step, ...]
    cites: tuple[Citation, ...]
    subject: str = "worker"  # "worker" (case about a worker) or "community" or "candidate"
    policy_flag: str | None = None  # policy key that must be true for the pack to run it
    load_facts: Callable[[Any, Any], Mapping[str, Any]] | None = None
    parent: str | None = None  # procedure code of the parent case (candidate → recruitment)
    out_of_order: tuple[OutOfOrder, ...] = ()  # ordering rules cited when a trigger is tried too early/late
    # (pack, cited in general, cited instead in that pack): a pack adopting the procedure for its own source
    # is recorded citing that source (CHUZHOU: seed 002 滁州·建立职业退出机制, not seed 000 第二十三条)
    pack_citations: tuple[tuple[str, Citation, Citation], ...] = ()

    @property
    def opening_step(self) -> Step:
        opening = [s for s in self.steps if s.opens_case]
        if len(opening) != 1:
            raise ValueError(f"{self.code}: exactly one opening step expected")
        return opening[0]

    @property
    def initial(self) -> str:
        return self.opening_step.dest

    def step(self, trigger: str) -> Step | None:
        for s in self.steps:
            if s.trigger == trigger:
                return s
        return None

    def out_of_order_rule(self, trigger: str, state: str) -> OutOfOrder | None:
        """The ordering rule explaining why `trigger` is not open from `state`, if the procedure has one."""
        return next((o for o in self.out_of_order if trigger in o.triggers and state in o.states), None)

    def citation_swap(self, pack: str) -> dict[Citation, Citation]:
        """The places `pack_citations` replaces in a case of `pack` (general → the pack's own source)."""
        return {general: own for code, general, own in self.pack_citations if code == pack}

    def citations_in(self, pack: str, citations: Iterable[str]) -> list[str]:
        """`citations` as recorded in a case of `pack`: each place `pack_citations` replaces for the pack is
        cited as the pack's own source (inside joined rule citations `a、b` too), each joined item once."""
        swap = {str(general): str(own) for code, general, own in self.pack_citations if code == pack}
        if not swap:
            return list(citations)
        out: list[str] = []
        for item in citations:
            parts: list[str] = []
            for part in str(item).split(CITATION_SEPARATOR):
                cited = swap.get(part.strip(), part.strip())
                if cited not in parts:
                    parts.append(cited)
            out.append(CITATION_SEPARATOR.join(parts))
        return out

    def steps_from(self, state: str) -> list[Step]:
        return [s for s in self.steps if state in s.source]

    @property
    def deadline_states(self) -> frozenset[str]:
        """States in which a deadline of this procedure can be pending: the states its deadline-starting
        steps leave the case in. Leaving any other state has nothing to cancel."""
        cached = self.__dict__.get("_deadline_states")
        if cached is None:
            states: set[str] = set()
            for step in self.steps:
                if step.starts:
                    states |= set(step.source) if step.dest == SAME else {step.dest}
            cached = frozenset(states)
            object.__setattr__(self, "_deadline_states", cached)
        return cached
