"""换届 (term change): opening it creates one 考核聘用 case per appointment of the expiring term (spec §4.1
TM-3, §4.3 "OPEN: created at TM-3 for each appointment of the expiring term"; seed 000 第三条, 第五条).

`open_renewal` takes TM-3 on the term (ACTIVE → RENEWAL_OPEN with the application window, one transaction,
`workflows.terms`) and then `fan_out` opens the cases through the engine's one write path
(`Engine.open_case_in`), in ONE transaction per community:

- a community either gets all its missing cases or none (a failure rolls that community back, reports it and
  goes on with the next one: the communities already done stay committed);
- every run skips appointments that already have a re-hiring case (in any state), so running it again after
  a failure finishes the job without duplicates — `open_renewal` on a term already 换届中 with the same
  window just resumes;
- progress is reported through a callback (`ProgressEvent`): the CLI draws a progress bar per community.

The actor is the 区民政局 user who opens 换届 (the `open` step of 考核聘用 names only that role).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import structlog

from engine.errors import ShequFlowError
from engine.guards import SYSTEM_ACTOR, Actor
from engine.service import Engine

log = structlog.get_logger("shequ.changeover")

REHIRE = "assessment_rehiring"


@dataclass(frozen=True)
class ProgressEvent:
    """`kind`: `community_start` (`total` appointments, `done` already having a case), `case` (one case
    opened; `done` so far), `community_done`, `community_failed` (`error`)."""

    kind: str
    community: str
    community_name: str
    index: int  # 1-based position of the community in this run
    communities: int  # communities in this run
    done: int
    total: int
    error: dict[str, Any] | None = None


Progress = Callable[[ProgressEvent], None]


@dataclass
class CommunityOutcome:
    community: str
    community_name: str
    total: int  # appointments of the term in service in this community
    existing: int = 0  # already had a re-hiring case before this run
    opened: list[int] = field(default_factory=list)  # case ids opened (committed) in this run
    error: dict[str, Any] | None = None  # the failure that rolled this community back
    exception: ShequFlowError | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ChangeoverReport:
    term_id: int
    status_changed: bool  # TM-3 was taken in this run (False: the term was already 换届中)
    communities: list[CommunityOutcome] = field(default_factory=list)

    @property
    def opened(self) -> int:
        return sum(len(c.opened) for c in self.communities)

    @property
    def existing(self) -> int:
        return sum(c.existing for c in self.communities)

    @property
    def failed(self) -> list[CommunityOutcome]:
        return [c for c in self.communities if not c.ok]

    @property
    def ok(self) -> bool:
        return not self.failed


def open_renewal(engine: Engine, login: str, term_id: int, window_from: date, window_to: date, *,
                 progress: Progress | None = None, setup: bool = False) -> ChangeoverReport:
    """TM-3 and the fan-out. `setup` (admin set-up without a login) lets SYSTEM take TM-3; opening cases
    then fails per community (the re-hiring `open` step needs 区民政局)."""
    from workflows.terms import TermMachine  # workflows import the engine: resolved at call time

    outcome = TermMachine(engine).open_renewal(login, term_id, window_from, window_to, setup=setup)
    report = fan_out(engine, login, term_id, progress=progress)
    report.status_changed = outcome is not None and outcome.from_state != outcome.to_state
    return report


def fan_out(engine: Engine, login: str, term_id: int, *,
            progress: Progress | None = None) -> ChangeoverReport:
    """Open the missing re-hiring cases of a term 换届中, one transaction per community."""
    report = ChangeoverReport(term_id, status_changed=False)
    with engine.db.read() as store:
        term = store.term(term_id)
        pending = store.term_appointments(term_id, statuses=("ACTIVE",))
        communities = [c for c in store.communities_in_district(term.district_id)
                       if any(a.community_id == c.id for a in pending)]
    for index, community in enumerate(communities, start=1):
        outcome = CommunityOutcome(community.code, community.name,
                                   sum(1 for a in pending if a.community_id == community.id))
        report.communities.append(outcome)
        opened: list[int] = []

        def event(kind: str, done: int, error: dict[str, Any] | None = None,
                  _outcome: CommunityOutcome = outcome, _index: int = index) -> None:
            nonlocal progress
            if progress is None:
                return
            try:
                progress(ProgressEvent(kind, _outcome.community, _outcome.community_name, _index,
                                       len(communities), done, _outcome.total, error))
            except Exception:  # a failing display must not roll back a community: report, stop reporting
                log.warning("changeover_progress_failed", term_id=term_id, exc_info=True)
                progress = None

        try:
            with engine.db.transaction() as store:
                actor = _actor(engine, store, login)
                apps = store.term_appointments(term_id, statuses=("ACTIVE",), community_id=community.id)
                have = {int(c.data["appointment_id"]) for c in store.cases_of(
                    REHIRE, district_id=term.district_id, community_id=community.id)
                    if c.data.get("appointment_id") is not None}
                outcome.total = len(apps)
                outcome.existing = sum(1 for a in apps if a.id in have)
                event("community_start", outcome.existing)
                for app in apps:
                    if app.id in have:
                        continue
                    result = engine.open_case_in(store, REHIRE, actor, {"appointment_id": app.id},
                                                 worker_id=app.worker_id, community_id=app.community_id)
                    opened.append(result.case_id)
                    event("case", outcome.existing + len(opened))
        except ShequFlowError as exc:
            outcome.error, outcome.exception = exc.to_dict(), exc
            log.warning("changeover_community_failed", term_id=term_id, community=community.code,
                        code=exc.code)
            event("community_failed", outcome.existing, outcome.error)
            continue
        outcome.opened = opened
        log.info("changeover_community_done", term_id=term_id, community=community.code, opened=len(opened),
                 existing=outcome.existing)
        event("community_done", outcome.existing + len(opened))
    return report


def _actor(engine: Engine, store: Any, login: str) -> Actor:
    """The opener of the cases: the login's 区民政局 role (the re-hiring `open` step). SYSTEM may not open
    them; the error is the engine's own ROLE_NOT_PERMITTED."""
    proc = engine.procedure(REHIRE)
    if login == SYSTEM_ACTOR.login:
        return SYSTEM_ACTOR  # open_case_in refuses it with ROLE_NOT_PERMITTED
    return engine._actor(store, login, proc.opening_step, proc)
