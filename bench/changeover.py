"""换届 at the scale of 淮南's whole force (seed 002: 2,409 社区工作者, 2,212 of them 两委): open every
考核聘用 case and record every vote, all through the engine's one write path, on a SQLite file.

Setup (not timed): one district (DONGQU pack — the only one that defines 考核聘用), streets and communities,
the roster imported in one transaction, a WORKER login per worker, term 1 ACTIVE and term 2 PLANNED.

Timed, in this order:
1. `engine.changeover.open_renewal`: TM-3 plus one case per appointment, one transaction per community;
2. the steps that lead to the vote for every case (apply, street review, bureau approval), one
   transaction each;
3. `record_vote` for every case (RH-T5; RH-T6 runs inside the same transaction: THRESHOLDS_MET).

    python -m bench.changeover [--workers 2409] [--per-community 10] [--communities-per-street 10]
"""

from __future__ import annotations

import argparse
import csv
import io
from collections import Counter
from datetime import date, datetime
from typing import Any

from bench.common import Timer, bench_dir, fresh_sqlite, quiet_logs
from engine import changeover
from engine.app import App, build
from engine.audit import verify
from engine.clock import LOCAL_TZ, FrozenClock
from engine.idcard import check_digit

DAY = "2025-01-06"
ELECTED = ("PARTY_COMMITTEE_MEMBER", "RESIDENTS_COMMITTEE_MEMBER")
HUAINAN_FORCE, HUAINAN_TWO_COMMITTEES = 2409, 2212  # seed 002 淮南


def _id_number(i: int) -> str:
    first17 = f"340402{1970 + i % 30}{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 1000:03d}"
    return first17 + check_digit(first17)


def _roster(n: int = 50, reps: int = 10) -> list[dict[str, str]]:
    people = []
    for i in range(n):
        if i < reps:
            people.append({"name": f"代表{i}", "category": "RESIDENT_REP" if i % 2 else "UNIT_REP",
                           "selection": "DESIGNATED"})
        else:
            people.append({"name": f"人员{i}", "category": "COMMUNITY_WORKER"})
    return people


VOTE: dict[str, Any] = {
    "vote_meeting_date": DAY, "vote_meeting_place": "街道会议室", "vote_roster": _roster(),
    "recommendation_tally": {"issued": 50, "returned": 48, "recommend": 40, "not_recommend": 6, "abstain": 1,
                             "invalid": 1},
    "evaluation_tally": {"issued": 50, "returned": 48, "excellent": 20, "competent": 20, "basic": 5,
                         "incompetent": 1, "blank": 1, "invalid": 1},
}


def setup(url: str, workers: int, per_community: int, per_street: int) -> tuple[App, FrozenClock, int]:
    clock = FrozenClock(datetime(2025, 1, 6, 9, tzinfo=LOCAL_TZ))
    app = build(url, clock, migrate=True)
    a = app.admin
    a.add_district("HN", "淮南（演练）")
    a.add_user("bureau", "区民政局", ["DISTRICT_CIVIL_AFFAIRS"], district="HN")
    communities = -(-workers // per_community)
    streets = -(-communities // per_street)
    for s in range(streets):
        a.add_street("HN", f"S{s:03d}", f"街道{s}")
        a.add_user(f"office{s}", f"街道{s}办事处", ["STREET_OFFICE"], street=f"S{s:03d}")
    for c in range(communities):
        a.add_community(f"S{c // per_street:03d}", f"C{c:04d}", f"社区{c}", per_community + 2)
    term = a.add_term("HN", 1, date(2024, 1, 1))
    a.add_term("HN", 2, date(2027, 1, 1), status="PLANNED")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id_number", "name", "community", "category", "appointment_start"])
    for i in range(workers):
        category = ELECTED[i % 2] if i < workers * HUAINAN_TWO_COMMITTEES // HUAINAN_FORCE else \
            "PROFESSIONAL_SOCIAL_WORKER"
        writer.writerow([_id_number(i), f"工作者{i}", f"C{i // per_community:04d}", category, "2024-01-01"])
    ids = a.import_roster(out.getvalue())
    for i, worker in enumerate(ids):
        a.add_user(f"w{worker}", f"工作者{i}", ["WORKER"], community=f"C{i // per_community:04d}",
                   worker_id=worker)
    return app, clock, term


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, default=HUAINAN_FORCE)
    parser.add_argument("--per-community", type=int, default=10)
    parser.add_argument("--communities-per-street", type=int, default=10)
    args = parser.parse_args()
    quiet_logs()
    url = fresh_sqlite(bench_dir() / "changeover.db")
    with Timer() as t_setup:
        app, _, term = setup(url, args.workers, args.per_community, args.communities_per_street)
    e = app.engine

    communities: Counter[str] = Counter()
    with Timer() as t_open:
        report = changeover.open_renewal(e, "bureau", term, date(2025, 1, 6), date(2025, 1, 31),
                                         progress=lambda ev: communities.update([ev.kind]))
    assert report.ok, report.failed[:1]
    assert report.opened == args.workers
    with app.db.read() as store:
        cases = [(c.id, c.worker_id, c.street_id) for c in store.cases_of("assessment_rehiring",
                                                                          district_id=1)]
        streets = {s.id: s.code for s in (store.street(sid) for sid in {c[2] for c in cases if c[2]})}

    versions: dict[int, int] = {}
    with Timer() as t_steps:
        for case_id, worker, street in cases:
            office = f"office{int(streets[street][1:])}"
            r = e.fire(case_id, "apply", f"w{worker}", {"applied_on": DAY, "application_doc_ref": "申"},
                       expected_version=1)
            r = e.fire(case_id, "street_approve", office, {"reviewed_on": DAY, "review_opinion": "同意"},
                       expected_version=r.version)
            r = e.fire(case_id, "bureau_approve_application", "bureau",
                       {"application_approval_no": "批", "application_decided_on": DAY},
                       expected_version=r.version)
            versions[case_id] = r.version
    with Timer() as t_votes:
        states: Counter[str] = Counter()
        for case_id, _, street in cases:
            office = f"office{int(streets[street][1:])}"
            r = e.fire(case_id, "record_vote", office, VOTE, expected_version=versions[case_id])
            states[r.state] += 1
    with Timer() as t_verify, app.db.read() as store:
        chain = verify(store.audit_entries(), *store.audit_head())
    n = len(cases)
    print(f"换届 benchmark — {n} workers ({args.workers * HUAINAN_TWO_COMMITTEES // HUAINAN_FORCE} 两委), "
          f"{len(report.communities)} communities, SQLite file {url.removeprefix('sqlite:///')}")
    print(f"setup (not timed)         : {t_setup.seconds:8.2f} s")
    print(f"open 换届 (TM-3 + cases)   : {t_open.seconds:8.2f} s  {n / t_open.seconds:8.0f} cases/s  "
          f"({len(report.communities) + 1} transactions: TM-3 + one per community)")
    print(f"apply + 2 approvals       : {t_steps.seconds:8.2f} s  {3 * n / t_steps.seconds:8.0f} "
          f"transitions/s  ({3 * n} transactions)")
    print(f"record every vote (RH-T5+6): {t_votes.seconds:8.2f} s  {n / t_votes.seconds:8.0f} votes/s  "
          f"(states: {dict(states)})")
    total = t_open.seconds + t_steps.seconds + t_votes.seconds
    print(f"total (open + to vote)    : {total:8.2f} s  {n / total:8.0f} workers/s end to end")
    print(f"audit chain               : {'intact' if chain.ok else 'BROKEN'}, "
          f"checked in {t_verify.seconds:.2f} s")


if __name__ == "__main__":
    main()
