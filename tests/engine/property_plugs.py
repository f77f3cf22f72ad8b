"""The table that plugs procedures into the stateful property test (tests/engine/test_property.py).

To cover a new procedure, add one `Plug`: who opens a case in the `world` fixture and with which
subject, a payload strategy per trigger (dates relative to the clock's "today"), and the logins that
plausibly take each trigger. Every other login of the world (and SYSTEM) is tried as well, so the
hints only make progress likely; they never limit what is tested.

A plug's `setup` runs once on the seeded world before the examples (every example starts from a copy
of it): it creates the reference data the procedure needs beyond the `world` fixture (terms, a 换届
window, a worker in a term, candidate accounts, a published recruitment) and records the ids it made in
`SEEDED`, where `open_kwargs` reads them. Cases a setup opens are in play like the ones the test opens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from engine.clock import LOCAL_TZ, FrozenClock, local_date
from engine.deadlines import fire_due
from tests.conftest import World, make_id

PayloadFactory = Callable[[date], SearchStrategy[dict[str, Any]]]


@dataclass(frozen=True)
class Plug:
    code: str
    openers: tuple[str, ...]
    open_kwargs: Callable[[World], dict[str, Any]]
    payloads: Mapping[str, PayloadFactory] = field(default_factory=dict)  # trigger -> factory(today)
    actors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # trigger -> likely logins
    setup: Callable[[World], None] | None = None  # once, on the seeded world (see the module docstring)


SEEDED: dict[str, int] = {}  # ids created by the setups, read by open_kwargs


def day(lo: int, hi: int) -> Callable[[date], SearchStrategy[str]]:
    """An ISO date between today+lo and today+hi (inclusive)."""
    return lambda today: st.integers(lo, hi).map(lambda n: (today + timedelta(days=n)).isoformat())


def ref() -> SearchStrategy[str]:
    return st.sampled_from(["D-1", "M-2", "B-3", "文号〔2025〕1号", "  x  "])


NOISE = ("none",) * 6 + ("unknown_field", "drop_first", "bad_value")


def _noisy(pair: tuple[dict[str, Any], str]) -> dict[str, Any]:
    """Mostly well-formed payloads; sometimes one defect, so rejections are exercised too."""
    payload, noise = pair
    keys = sorted(payload)
    if noise == "unknown_field":
        payload["bogus_field"] = "x"
    elif noise == "drop_first" and keys:
        payload.pop(keys[0])
    elif noise == "bad_value" and keys:
        payload[keys[0]] = "??"
    return payload


def payload(
    required: Mapping[str, Callable[[date], SearchStrategy[Any]]],
    optional: Mapping[str, Callable[[date], SearchStrategy[Any]]] | None = None,
) -> PayloadFactory:
    def factory(today: date) -> SearchStrategy[dict[str, Any]]:
        base = st.fixed_dictionaries(
            {k: f(today) for k, f in required.items()},
            optional={k: f(today) for k, f in (optional or {}).items()},
        )
        return st.tuples(base, st.sampled_from(NOISE)).map(_noisy)

    return factory


def _const(strategy: SearchStrategy[Any]) -> Callable[[date], SearchStrategy[Any]]:
    return lambda _today: strategy


# ---------------------------------------------------------------- shared reference data of the setups

LI_ID_NUMBER = make_id("11010519850202002")
PSW = "PROFESSIONAL_SOCIAL_WORKER"
CITY = "东区所在市"  # DONGQU exam_hiring.hukou_city


def person(birth: str, seq: str) -> str:
    """A valid ID number born on `birth` (YYYYMMDD); an odd last digit of `seq` is male, even female."""
    return make_id("110105" + birth + seq)


def seed_reference(world: World) -> None:
    """Once per seeded world (idempotent): term 1 (2024–2026) in 换届 with the application window from
    today to 2025-02-28 and term 2 planned; 李四 (login `li`) in service at C1 in term 1, the subject of
    resignation, dismissal and re-hiring so their interplay (A-31, §4.3) is exercised; candidate accounts;
    a recruitment already running (IN_PROGRESS) with a qualified candidate, so the exam steps can be
    reached, and a published one (registration until 2025-03-15) that the examples register with. The
    world's clock ends at 2025-01-21 09:00, after the first recruitment's registration closed."""
    app = world.app
    a = app.admin
    if "li" in {u.login for u in a.users()}:
        return
    term = a.add_term("DQ", 1, date(2024, 1, 1))
    a.add_term("DQ", 2, date(2027, 1, 1), status="PLANNED")
    today = local_date(app.clock.now())
    a.open_renewal(term, today, date(2025, 6, 30))
    li = a.add_worker(
        {
            "id_number": LI_ID_NUMBER,
            "name": "李四",
            "community": "C1",
            "category": PSW,
            "position": "干事",
            "appointment_start": "2024-01-01",
        }
    )
    a.add_user("li", "李四", ["WORKER"], community="C1", worker_id=li)
    for n, name in enumerate(("王五", "赵六", "钱七"), start=1):
        a.add_user(f"cand{n}", name, ["CANDIDATE"])
    a.add_user("c1_group", "东华社区考核领导小组", ["COMMUNITY_ASSESSMENT_GROUP"], community="C1")
    a.add_user("s1_group", "东华街道考评领导小组", ["STREET_ASSESSMENT_GROUP"], street="S1")
    with app.db.read() as store:
        [appointment] = store.appointments(worker_id=li)
        c1 = store.community_by_code("C1").id
    assert appointment.term_id == term
    e = app.engine

    def recruitment(deadline: str) -> int:
        case_id = e.open_case(
            "exam_recruitment",
            "bureau",
            {
                "vacancy_lines": [{"community": "C1", "category": PSW, "count": 2}],
                "term_id": term,
                "conditions": "第七条所列条件",
                "duties": "社区服务",
                "pay": "按本届标准",
                "registration_deadline": deadline,
                "shortlist_ratio": "3",
            },
        ).case_id
        e.fire(case_id, "publish", "bureau", {"published_on": today.isoformat(), "channels": "区政府网站"})
        return case_id

    running = recruitment("2025-01-20")
    for n, birth in enumerate(("19900315",), start=1):
        candidate = e.open_case(
            "exam_candidate",
            f"cand{n}",
            {
                "line_no": 1,
                "id_number": person(birth, f"00{n}"),
                "candidate_name": f"报考人{n}",
                "education": "本科",
                "graduated_from": "东区大学",
                "diploma_no": f"D-{n}",
                "diploma_recognised": True,
                "hukou_city": CITY,
                "hukou_urban": True,
                "declare_e1": True,
                "declare_e2": True,
                "declare_e3": True,
            },
            parent_case_id=running,
            community_id=c1,
        ).case_id
        e.fire(
            candidate,
            "qualify",
            "bureau",
            {"reviewed_on": today.isoformat(), "attest_e1": True, "attest_e2": True, "attest_e3": True},
        )
    registering = recruitment("2025-03-15")
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    clock.set(datetime(2025, 1, 21, 9, 0, tzinfo=LOCAL_TZ))  # the examples start here
    assert [f.outcome for f in fire_due(e)] == ["FIRED"]
    e.fire(running, "start", "bureau")
    SEEDED.update(term=term, li=li, li_appointment=appointment.id, c1=c1, recruitment=registering)


def _li(_world: World) -> dict[str, Any]:
    return {"worker_id": SEEDED["li"]}


RESIGNATION_PLUG = Plug(
    code="resignation",
    openers=("li",),
    open_kwargs=_li,
    setup=seed_reference,
    payloads={
        "submit": payload(
            {
                "submitted_on": day(-40, 2),
                "written": _const(st.sampled_from([True, True, "是", False])),
                "document_ref": _const(ref()),
            },
            {"separation_date": day(0, 70), "reason": _const(ref())},
        ),
        "approve": payload(
            {"decided_on": day(-5, 1), "minutes_ref": _const(ref())}, {"approved_separation_date": day(0, 70)}
        ),
        "return_application": payload({"decided_on": day(-5, 1), "return_reason": _const(ref())}),
        "withdraw": payload({"withdrawn_on": day(-5, 1)}),
        "record_filing": payload({"filed_on": day(-5, 1), "filing_no": _const(ref())}),
        "close_moot": payload({"moot_reason": _const(ref())}),
    },
    actors={
        "submit": ("li",),
        "withdraw": ("li",),
        "approve": ("s1_party",),
        "return_application": ("s1_party",),
        "record_filing": ("bureau",),
        "mark_overdue": ("system",),
        "separate": ("system",),
        "close_moot": ("system",),
        "close": ("system",),
    },
)


# ---------------------------------------------------------------- 考核聘用

ROSTER = [{"name": f"代表{i}", "category": "RESIDENT_REP", "selection": "DESIGNATED"} for i in range(4)] + [
    {"name": f"人员{i}", "category": "COMMUNITY_WORKER"} for i in range(16)
]
REC_PASS = {"issued": 20, "returned": 20, "recommend": 15, "not_recommend": 4, "abstain": 1, "invalid": 0}
EVAL_PASS = {
    "issued": 20,
    "returned": 20,
    "excellent": 8,
    "competent": 6,
    "basic": 3,
    "incompetent": 2,
    "blank": 1,
    "invalid": 0,
}
RECOMMENDATIONS = [
    REC_PASS,
    REC_PASS,
    {**REC_PASS, "recommend": 10, "not_recommend": 9},  # RH-1 exactly half
    {**REC_PASS, "recommend": 16},
    {**REC_PASS, "issued": 25},
]  # VOTE-1 failures
EVALUATIONS = [
    EVAL_PASS,
    EVAL_PASS,
    {**EVAL_PASS, "excellent": 4, "basic": 5, "incompetent": 3, "blank": 2},
    {**EVAL_PASS, "invalid": -1},
]


def _choice(*values: Any) -> Callable[[date], SearchStrategy[Any]]:
    return _const(st.sampled_from(values))


REHIRING_PLUG = Plug(
    code="assessment_rehiring",
    openers=("bureau",),
    open_kwargs=_li,
    setup=seed_reference,
    payloads={
        "open": payload({"appointment_id": lambda _t: st.sampled_from([SEEDED["li_appointment"]] * 3 + [1])}),
        "apply": payload({"applied_on": day(-3, 1), "application_doc_ref": _const(ref())}),
        "street_approve": payload({"reviewed_on": day(-3, 1), "review_opinion": _const(ref())}),
        "street_reject": payload({"reviewed_on": day(-3, 1), "review_opinion": _const(ref())}),
        "bureau_approve_application": payload(
            {"application_approval_no": _const(ref()), "application_decided_on": day(-3, 1)}
        ),
        "bureau_deny_application": payload(
            {"application_decided_on": day(-3, 1), "application_denial_reason": _const(ref())}
        ),
        "record_vote": payload(
            {
                "vote_meeting_date": day(-3, 1),
                "vote_meeting_place": _const(ref()),
                "vote_roster": _choice(ROSTER, ROSTER, ROSTER[:3], []),
                "recommendation_tally": _choice(*RECOMMENDATIONS),
                "evaluation_tally": _choice(*EVALUATIONS),
            }
        ),
        "party_decide_hire": payload(
            {
                "party_meeting_date": day(-3, 1),
                "party_members_present": _choice(7, 0),
                "minutes_ref": _const(ref()),
            },
            {"party_decision_note": _const(ref())},
        ),
        "party_decide_not_hire": payload(
            {
                "party_meeting_date": day(-3, 1),
                "party_members_present": _choice(7),
                "minutes_ref": _const(ref()),
                "party_decision_note": _const(ref()),
            }
        ),
        "post_publicity": payload(
            {
                "posted_on": day(-3, 1),
                "publicity_community": _choice("C1", "C1", "C2"),
                "publicity_place": _const(ref()),
                "publicity_doc_ref": _const(ref()),
            }
        ),
        "lodge_objection": payload(
            {
                "objection_received_on": day(-8, 1),
                "objection_receiver": _const(ref()),
                "objection_content": _const(ref()),
            },
            {"objection_anonymous": _choice(True, False)},
        ),
        "record_finding": payload(
            {
                "objection_id": _choice("OBJ-1", "OBJ-1", "OBJ-2"),
                "objection_finding": _choice(
                    "NOT_SUBSTANTIATED", "SUBSTANTIATED_NOT_AFFECTING", "SUBSTANTIATED_AFFECTING"
                ),
                "finding_on": day(-3, 1),
            },
            {"finding_note": _const(ref())},
        ),
        "report": payload({"reported_on": day(-3, 1)}, {"report_note": _const(ref())}),
        "conclude_objection_affects": payload({"concluded_on": day(-3, 1), "conclusion_note": _const(ref())}),
        "bureau_approve_rehire": payload(
            {"rehire_approval_no": _const(ref()), "rehire_decided_on": day(-3, 1)}
        ),
        "bureau_reject_rehire": payload(
            {"rehire_decided_on": day(-3, 1), "rehire_rejection_reason": _const(ref())}
        ),
        "withdraw": payload({"withdrawn_on": day(-3, 1)}),
        "close_moot": payload({"moot_reason": _const(ref())}),
    },
    actors={
        "open": ("bureau",),
        "apply": ("li",),
        "withdraw": ("li",),
        "street_approve": ("s1_office",),
        "street_reject": ("s1_office",),
        "bureau_approve_application": ("bureau",),
        "bureau_deny_application": ("bureau",),
        "record_vote": ("s1_office",),
        "party_decide_hire": ("s1_party",),
        "party_decide_not_hire": ("s1_party",),
        "post_publicity": ("s1_office",),
        "lodge_objection": ("objector", "s1_office"),
        "record_finding": ("s1_party",),
        "report": ("s1_office",),
        "conclude_objection_affects": ("s1_party",),
        "bureau_approve_rehire": ("bureau",),
        "bureau_reject_rehire": ("bureau",),
        "close_window": ("system",),
        "thresholds_met": ("system",),
        "thresholds_failed": ("system",),
        "end_publicity": ("system",),
        "close_moot": ("system",),
    },
)


# ---------------------------------------------------------------- 考试聘用: 招聘批次 and 报名

RECRUITMENT_PLUG = Plug(
    code="exam_recruitment",
    openers=("bureau",),
    open_kwargs=lambda _w: {},
    setup=seed_reference,
    payloads={
        "create": payload(
            {
                "vacancy_lines": _choice(
                    [{"community": "C1", "category": PSW, "count": 1}],
                    [
                        {"community": "C2", "category": PSW, "count": 2},
                        {"community": "C1", "category": "RESIDENTS_COMMITTEE_MEMBER", "count": 1},
                    ],
                    [{"community": "C1", "category": PSW, "count": 9}],  # EXH-1: over
                    [],
                ),
                "term_id": lambda _t: st.sampled_from([SEEDED["term"]] * 3 + [SEEDED["term"] + 1]),
                "conditions": _const(ref()),
                "duties": _const(ref()),
                "pay": _const(ref()),
                "registration_deadline": day(2, 20),
                "shortlist_ratio": _choice("3", "1", "0"),
            },
            {"written_weight": _choice("1/2", "3/5"), "allow_backfill": _choice(True, False)},
        ),
        "publish": payload(
            {"published_on": day(-2, 1), "channels": _const(ref())}, {"registration_start": day(-2, 0)}
        ),
        "close_line": payload({"line_no": _choice(1, 2, 3), "close_reason": _const(ref())}),
        "cancel": payload({"cancel_reason": _const(ref())}),
    },
    actors={
        "create": ("bureau",),
        "publish": ("bureau",),
        "start": ("bureau",),
        "close_line": ("bureau",),
        "complete": ("bureau",),
        "cancel": ("bureau",),
        "close_registration": ("system",),
    },
)


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


CANDIDATE_IDS = (
    person("19900315", "001"),
    person("19920101", "002"),
    person("19880808", "003"),
    person("19950505", "004"),
    person("19930303", "006"),
    person("19600101", "005"),  # EXH-E4: 65 on the reference date (soft rule)
    wrong_check_digit(person("19910101", "007")),  # GB 11643 check digit
    LI_ID_NUMBER,  # already employed (C-8)
)
EXAM_DATE = day(-20, 0)


INSPECTION = {"inspected_on": EXAM_DATE, "inspectors": _const(ref()), "inspection_findings": _const(ref())}
MEDICAL = {"medical_institution": _const(ref()), "medical_on": EXAM_DATE, "medical_conclusion": _const(ref())}

CANDIDATE_PLUG = Plug(
    code="exam_candidate",
    openers=("cand1", "cand2", "cand3"),
    open_kwargs=lambda _w: {"parent_case_id": SEEDED["recruitment"], "community_id": SEEDED["c1"]},
    setup=seed_reference,
    payloads={
        "register": payload(
            {
                "line_no": _choice(1, 1, 1, 2),
                "id_number": _choice(*CANDIDATE_IDS),
                "candidate_name": _choice("王五", "赵六"),
                "education": _choice("本科", "大专", "中专", "硕士"),
                "graduated_from": _const(ref()),
                "diploma_no": _const(ref()),
                "diploma_recognised": _choice(True, True, False),
                "hukou_city": _choice(CITY, CITY, "外市"),
                "hukou_urban": _choice(True, True, False),
                "declare_e1": _choice(True),
                "declare_e2": _choice(True),
                "declare_e3": _choice(True, True, False),
            },
            {"phone": _choice("13800000000")},
        ),
        "qualify": payload(
            {"reviewed_on": day(-3, 0)},
            {
                "attest_e1": _choice(True),
                "attest_e2": _choice(True, False),
                "attest_e3": _choice(True),
                "overrides": _choice(
                    {"EXH_AGE_LIMIT": "紧缺人才"}, {"EXH_HUKOU": "批准"}, {"EXH_EDUCATION": "不可例外"}
                ),
                "review_note": _const(ref()),
            },
        ),
        "disqualify": payload({"reviewed_on": day(-3, 0), "disqualify_reason": _const(ref())}),
        "record_written": payload(
            {"written_score": _choice("85.5", "80", "60", "-1"), "written_on": EXAM_DATE}
        ),
        "record_interview": payload(
            {
                "interview_score": _choice("90", "75", "88"),
                "interview_on": EXAM_DATE,
                "interview_panel": _const(ref()),
            }
        ),
        "eliminate": payload(
            {"elimination_reason": _choice("NOT_SHORTLISTED", "NOT_SELECTED", "ABSENT")},
            {"elimination_note": _const(ref())},
        ),
        "pass_inspection": payload(INSPECTION, {"tie_break_reason": _const(ref())}),
        "fail_inspection": payload(INSPECTION, {"tie_break_reason": _const(ref())}),
        "pass_medical": payload(MEDICAL),
        "fail_medical": payload(MEDICAL),
        "post_publicity": payload(
            {"exam_publicity_posted_on": day(-1, 0), "exam_publicity_place": _const(ref())}
        ),
        "appoint": payload(
            {"appointment_decision_no": _const(ref()), "decided_on": day(-2, 0), "appointed_from": day(0, 10)}
        ),
        "withdraw": payload({"withdrawn_on": day(-2, 0)}),
        "close_cancelled": payload({"moot_reason": _const(ref())}),
    },
    actors={
        "register": ("cand1", "cand2", "cand3"),
        "withdraw": ("cand1", "cand2", "cand3"),
        **{
            t: ("bureau",)
            for t in (
                "qualify",
                "disqualify",
                "record_written",
                "record_interview",
                "eliminate",
                "pass_inspection",
                "fail_inspection",
                "pass_medical",
                "fail_medical",
                "post_publicity",
                "appoint",
            )
        },
        "end_publicity": ("system",),
        "close_cancelled": ("system",),
    },
)


# ---------------------------------------------------------------- 解除聘用

DISMISSAL_PLUG = Plug(
    code="dismissal",
    openers=("s1_office",),
    open_kwargs=_li,
    setup=seed_reference,
    payloads={
        "open": payload(
            {
                "ground": _choice(
                    "DIS-G3", "DIS-G3", "DIS-G4", "DIS-G5", "DIS-G10", "DIS-G3", "DIS-G4", "DIS-G8"
                ),
                "allegation": _const(ref()),
            },
            {"trigger_facts": _choice({"run": None})},
        ),
        "compile_evidence": payload(
            {"evidence_refs": _choice(["调查报告"], ["调查报告", "笔录"], ["调查报告"], [], ["  "])},
            {"evidence_summary": _const(ref())},
        ),
        "confirm_ground": payload({"meeting_date": day(-3, 1), "minutes_ref": _const(ref())}),
        "close_unfounded": payload(
            {"meeting_date": day(-3, 1), "minutes_ref": _const(ref()), "unfounded_reason": _const(ref())}
        ),
        "approve": payload(
            {"decision_no": _const(ref()), "decision_date": day(-3, 1), "effective_date": day(-2, 30)}
        ),
        "record_notice": payload({"notice_delivered_on": day(-3, 1)}, {"notice_ref": _const(ref())}),
        "close_data_corrected": payload(
            {"correction_ref": _const(ref())}, {"correction_reason": _const(ref())}
        ),
        "close_moot": payload({"moot_reason": _const(ref())}),
    },
    actors={
        "open": ("s1_office",),
        "compile_evidence": ("s1_office",),
        "confirm_ground": ("s1_party",),
        "close_unfounded": ("s1_party",),
        "approve": ("bureau",),
        "record_notice": ("s1_office", "bureau"),
        "take_effect": ("system",),
        "close_data_corrected": ("system",),
        "close_moot": ("system",),
    },
)


# ---------------------------------------------------------------- 年度考核 (a street-wide round)

ANNUAL_ROSTER = [{"name": f"社区工作者{i}", "category": "COMMUNITY_WORKER"} for i in range(5)] + [
    {"name": f"居民代表{i}", "category": "RESIDENT_REP"} for i in range(20)
]
POSTING = {"posted_on": day(-3, 0), "publicity_place": _const(ref()), "publicity_doc_ref": _const(ref())}

ANNUAL_PLUG = Plug(
    code="annual_assessment",
    openers=("s1_office",),
    open_kwargs=lambda _w: {},
    setup=seed_reference,
    payloads={
        "open": payload(
            {
                "assessment_year": _choice(2024, 2025, 2023),
                "rules_doc_ref": _const(ref()),
                "rules_filed_on": day(-30, 0),
            }
        ),
        "post_performance": payload(POSTING),
        "approve_roster": payload(
            {
                "assessment_roster": _choice(ANNUAL_ROSTER, ANNUAL_ROSTER[:10]),
                "roster_approved_on": day(-3, 0),
            }
        ),
        "post_roster": payload({"roster_posted_on": day(-3, 0)}, {"publicity_place": _const(ref())}),
        "hold_meeting": payload(
            {
                "assessment_community": _choice("C1", "C2"),
                "assessment_meeting_date": day(-3, 0),
                "attendance_present": _choice(25, 0),
            },
        ),
        "propose_grades": payload({"proposed_on": day(-3, 0)}),
        "post_results": payload(POSTING),
        "lodge_objection": payload(
            {
                "objection_received_on": day(-3, 0),
                "objection_receiver": _const(ref()),
                "objection_content": _const(ref()),
                "assessment_community": _choice("C1", "C2"),
            },
        ),
        "record_finding": payload(
            {
                "objection_id": _choice("OBJ-1", "OBJ-2"),
                "objection_finding": _choice("NOT_SUBSTANTIATED"),
                "finding_on": day(-3, 0),
            },
        ),
        "finalise": payload({"reported_on": day(-3, 0), "feedback_on": day(-3, 0)}),
        "finalise_without_plan5": payload({"reported_on": day(-3, 0), "feedback_on": day(-3, 0)}),
        "cancel": payload({"cancel_reason": _const(ref())}),
    },
    actors={
        "open": ("s1_office",),
        "post_performance": ("c1",),
        "approve_roster": ("c1_group",),
        "post_roster": ("c1",),
        "hold_meeting": ("s1_office",),
        "record_findings": ("s1_group",),
        "propose_grades": ("s1_group",),
        "select_excellent": ("s1_group",),
        "post_results": ("c1",),
        "lodge_objection": ("objector", "c1"),
        "record_finding": ("s1_group",),
        "finalise": ("s1_group",),
        "finalise_without_plan5": ("s1_office",),
        "cancel": ("s1_office",),
        "end_results_publicity": ("system",),
    },
)

PLUGS: dict[str, Plug] = {
    p.code: p
    for p in (RESIGNATION_PLUG, REHIRING_PLUG, RECRUITMENT_PLUG, CANDIDATE_PLUG, DISMISSAL_PLUG, ANNUAL_PLUG)
}
