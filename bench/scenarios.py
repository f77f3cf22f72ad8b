"""Workloads the benchmarks drive through the engine's one write path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from engine.app import App, build
from engine.clock import LOCAL_TZ, FrozenClock
from engine.idcard import check_digit
from workflows.terms import TermMachine


def _id_number(i: int) -> str:
    first17 = f"110105198{i % 10}{(i // 10) % 12 + 1:02d}{(i // 120) % 28 + 1:02d}{i % 1000:03d}"
    return first17 + check_digit(first17)


def _world(url: str, n: int, clock: FrozenClock) -> tuple[App, list[int], int]:
    app = build(url, clock, migrate=True)
    a = app.admin
    a.add_district("DQ", "东区")
    a.add_street("DQ", "S1", "东华街道")
    a.add_community("S1", "C1", "东华社区", n + 10)
    term = a.add_term("DQ", 1, date(2024, 1, 1))
    a.add_term("DQ", 2, date(2027, 1, 1), status="PLANNED")
    for login, role in (("office", "STREET_OFFICE"), ("party", "STREET_PARTY_COMMITTEE")):
        a.add_user(login, login, [role], street="S1")
    a.add_user("bureau", "东区民政局", ["DISTRICT_CIVIL_AFFAIRS"], district="DQ")
    workers = []
    for i in range(n):
        w = a.add_worker(
            {
                "id_number": _id_number(i),
                "name": f"工作者{i}",
                "community": "C1",
                "category": "PROFESSIONAL_SOCIAL_WORKER",
                "appointment_start": "2024-01-01",
                "appointment_end": "2026-12-31",
                "term_id": term,
            }
        )
        a.add_user(f"w{i}", f"工作者{i}", ["WORKER"], community="C1", worker_id=w)
        workers.append(w)
    return app, workers, term


class Resignation:
    def __init__(self, url: str, n: int) -> None:
        self.clock = FrozenClock(datetime(2025, 1, 6, 9, tzinfo=LOCAL_TZ))
        self.app, self.workers, _ = _world(url, n, self.clock)

    def drive(self) -> list[list[int]]:
        e = self.app.engine
        groups: list[list[int]] = []
        for i, w in enumerate(self.workers):
            r = e.open_case(
                "resignation",
                f"w{i}",
                {"submitted_on": "2025-01-06", "written": True, "document_ref": "D"},
                worker_id=w,
            )
            groups.append([s.audit_seq for s in r.steps])
            r = e.fire(
                r.case_id,
                "approve",
                "party",
                {"decided_on": "2025-01-06", "minutes_ref": "M"},
                expected_version=r.version,
            )
            groups.append([s.audit_seq for s in r.steps])
            r = e.fire(
                r.case_id,
                "record_filing",
                "bureau",
                {"filed_on": "2025-01-06", "filing_no": "F"},
                expected_version=r.version,
            )
            groups.append([s.audit_seq for s in r.steps])
        return groups


def _roster(n: int = 50, reps: int = 10) -> list[dict[str, str]]:
    people = []
    for i in range(n):
        if i < reps:
            people.append(
                {
                    "name": f"代表{i}",
                    "category": "RESIDENT_REP" if i % 2 else "UNIT_REP",
                    "selection": "DESIGNATED",
                }
            )
        else:
            people.append({"name": f"人员{i}", "category": "COMMUNITY_WORKER"})
    return people


class Rehiring:
    """考核聘用 from OPEN to REHIRED: 11 committed transactions per case (RH-T6 runs inside record_vote)."""

    DAY = "2025-01-06"

    def __init__(self, url: str, n: int) -> None:
        self.clock = FrozenClock(datetime(2025, 1, 6, 9, tzinfo=LOCAL_TZ))
        self.app, self.workers, term = _world(url, n, self.clock)
        # TM-3's status step only (workflows.terms): the benchmark opens and times each case itself, so the
        # changeover fan-out (engine.changeover, which would open them all here) is not run.
        TermMachine(self.app.engine).open_renewal("system", term, date(2025, 1, 6), date(2025, 1, 31),
                                                  setup=True)
        with self.app.db.read() as store:
            self.appointments = {w: store.appointments(worker_id=w)[0].id for w in self.workers}
        self.vote = {
            "vote_meeting_date": self.DAY,
            "vote_meeting_place": "街道会议室",
            "vote_roster": _roster(),
            "recommendation_tally": {
                "issued": 50,
                "returned": 48,
                "recommend": 40,
                "not_recommend": 6,
                "abstain": 1,
                "invalid": 1,
            },
            "evaluation_tally": {
                "issued": 50,
                "returned": 48,
                "excellent": 20,
                "competent": 20,
                "basic": 5,
                "incompetent": 1,
                "blank": 1,
                "invalid": 1,
            },
        }

    def drive(self) -> list[list[int]]:
        e = self.app.engine
        day = self.DAY
        groups: list[list[int]] = []
        cases: list[tuple[int, int]] = []

        def step(case_id: int, trigger: str, login: str, payload: dict[str, object], version: int) -> int:
            r = e.fire(case_id, trigger, login, payload, expected_version=version)
            groups.append([s.audit_seq for s in r.steps])
            return r.version

        for i, w in enumerate(self.workers):
            r = e.open_case(
                "assessment_rehiring", "bureau", {"appointment_id": self.appointments[w]}, worker_id=w
            )
            groups.append([s.audit_seq for s in r.steps])
            v = step(r.case_id, "apply", f"w{i}", {"applied_on": day, "application_doc_ref": "申"}, r.version)
            v = step(r.case_id, "street_approve", "office", {"reviewed_on": day, "review_opinion": "同意"}, v)
            v = step(
                r.case_id,
                "bureau_approve_application",
                "bureau",
                {"application_approval_no": "批", "application_decided_on": day},
                v,
            )
            v = step(r.case_id, "record_vote", "office", self.vote, v)
            v = step(
                r.case_id,
                "party_decide_hire",
                "party",
                {"party_meeting_date": day, "party_members_present": 7, "minutes_ref": "纪"},
                v,
            )
            v = step(
                r.case_id,
                "post_publicity",
                "office",
                {
                    "posted_on": day,
                    "publicity_community": "C1",
                    "publicity_place": "社区公开栏",
                    "publicity_doc_ref": "公",
                },
                v,
            )
            cases.append((r.case_id, v))
        self.clock.set(datetime(2025, 1, 13, 9, tzinfo=LOCAL_TZ))
        for case_id, v in cases:
            v = step(case_id, "end_publicity", "system", {}, v)
            v = step(case_id, "report", "office", {"reported_on": "2025-01-13"}, v)
            step(
                case_id,
                "bureau_approve_rehire",
                "bureau",
                {"rehire_approval_no": "东民聘〔2025〕8号", "rehire_decided_on": "2025-01-13"},
                v,
            )
        return groups


SCENARIOS: dict[str, Callable[[str, int], Resignation | Rehiring]] = {
    "resignation": Resignation,
    "rehiring": Rehiring,
}
