"""Boundary tables of the 考试聘用 guards (pure functions of a GuardContext; no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from fractions import Fraction
from typing import Any

import pytest

from engine.clock import LOCAL_TZ
from engine.evaluate import evaluate
from engine.guards import Actor, CaseView, GuardContext
from engine.policy import Policy, get_pack
from tests.conftest import make_id
from workflows.exam_hiring import EXAM_CANDIDATE
from workflows.guards import exam_hiring as g

POLICY = get_pack("DONGQU")
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=LOCAL_TZ)
BUREAU = Actor(1, "bureau", "东区民政局", "DISTRICT_CIVIL_AFFAIRS", frozenset({"DISTRICT_CIVIL_AFFAIRS"}), 1)
HR = Actor(2, "hr", "区人社局", "DISTRICT_HR", frozenset({"DISTRICT_HR"}), 1)
CITY = "东区所在市"
RECRUITMENT_ID = 5


def with_settings(**settings: Any) -> Policy:
    return replace(
        POLICY, settings={**POLICY.settings, **{k.replace("__", "."): v for k, v in settings.items()}}
    )


def recruitment(count: int = 1, **data: Any) -> dict[str, Any]:
    line = {
        "line_no": 1,
        "community": "C1",
        "community_id": 1,
        "community_name": "东华社区",
        "category": "PROFESSIONAL_SOCIAL_WORKER",
        "count": count,
    }
    base = {
        "lines": [line],
        "registration_deadline": "2025-01-20",
        "shortlist_ratio": "3",
        "written_weight": "1/2",
        "allow_backfill": False,
        "closed_lines": {},
        "term_id": 1,
    }
    return {"id": RECRUITMENT_ID, "state": "IN_PROGRESS", "data": {**base, **data}}


def context(
    *,
    data: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    facts: dict[str, Any] | None = None,
    state: str = "APPLIED",
    case_id: int | None = 10,
    policy: Policy = POLICY,
    actor: Actor = BUREAU,
) -> GuardContext:
    case = CaseView(case_id, "exam_candidate", state, 1, data or {}, None, 1, 1, 1, RECRUITMENT_ID, NOW)
    return GuardContext(
        case,
        payload or {},
        actor,
        NOW,
        NOW.date(),
        policy,
        facts if facts is not None else {"recruitment": recruitment(), "siblings": []},
    )


# ---------------------------------------------------------------- EXH-1


def staffing(limit: int, active: int, holdover: int, reserved: list[tuple[int, int, int]]) -> dict[str, Any]:
    return {
        "id": 1,
        "code": "C1",
        "name": "东华社区",
        "limit": limit,
        "active": active,
        "holdover": holdover,
        "reserved": [{"case_id": c, "line_no": n, "open": o} for c, n, o in reserved],
    }


@pytest.mark.parametrize(
    ("limit", "active", "holdover", "pending", "requested", "ok"),
    [
        pytest.param(10, 6, 0, 0, 4, True, id="EXH-1-exactly-at-limit-passes"),
        pytest.param(10, 6, 0, 0, 5, False, id="EXH-1-one-over-fails"),
        pytest.param(10, 4, 2, 0, 4, True, id="EXH-1-holdover-counted-at-limit-passes"),
        pytest.param(10, 4, 2, 0, 5, False, id="EXH-1-holdover-counted-one-over-fails"),
        pytest.param(10, 4, 0, 2, 4, True, id="EXH-1-pending-counted-at-limit-passes"),
        pytest.param(10, 4, 0, 2, 5, False, id="EXH-1-pending-counted-one-over-fails"),
        pytest.param(3, 3, 0, 0, 1, False, id="EXH-1-full-community-fails"),
    ],
)
def test_plan_fits_the_staffing_limit(
    limit: int, active: int, holdover: int, pending: int, requested: int, ok: bool
) -> None:
    """EXH-1: count ≤ staffing limit − active − holdover − pending (places held by other open lines)."""
    communities = {"C1": staffing(limit, active, holdover, [(99, 1, pending)] if pending else [])}
    ctx = context(
        payload={
            "vacancy_lines": [
                {"community": "C1", "category": "PROFESSIONAL_SOCIAL_WORKER", "count": requested}
            ]
        },
        facts={"communities": communities},
        case_id=None,
    )
    verdict = g.lines_within_staffing(ctx)
    assert verdict.ok is ok
    if not ok:
        assert verdict.error_code == "EXH_NO_VACANCY"
        assert f"空缺 {limit - active - holdover - pending} 人" in verdict.params["detail"]


@pytest.mark.parametrize(
    ("others", "ok"),
    [
        pytest.param([], True, id="EXH-1-appointment-own-line-reservation-not-counted-passes"),
        pytest.param(
            [(RECRUITMENT_ID, 2, 1)], False, id="EXH-1-appointment-other-line-same-recruitment-fails"
        ),
        pytest.param([(77, 1, 1)], False, id="EXH-1-appointment-other-recruitment-fails"),
    ],
)
def test_appointment_rechecks_vacancy_for_the_place(others: list[tuple[int, int, int]], ok: bool) -> None:
    """C-8: filling a place of line 1 needs room after the OTHER lines' reserved places."""
    facts = {
        "recruitment": recruitment(),
        "siblings": [],
        "staffing": staffing(10, 9, 0, [(RECRUITMENT_ID, 1, 1), *others]),
    }
    ctx = context(data={"line_no": 1}, facts=facts, state="MEDICAL_PASSED")
    assert g.vacancy_still_free(ctx).ok is ok


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        pytest.param([], "至少", id="EXH-LINES-empty"),
        pytest.param(
            [{"community": "CX", "category": "PROFESSIONAL_SOCIAL_WORKER", "count": 1}],
            "CX",
            id="EXH-LINES-unknown-community",
        ),
        pytest.param(
            [{"community": "C1", "category": "CLERK", "count": 1}], "CLERK", id="EXH-LINES-bad-category"
        ),
        pytest.param(
            [{"community": "C1", "category": "PROFESSIONAL_SOCIAL_WORKER", "count": 0}],
            "正整数",
            id="EXH-LINES-zero-count",
        ),
        pytest.param(
            [{"community": "C1", "category": "PROFESSIONAL_SOCIAL_WORKER", "count": True}],
            "正整数",
            id="EXH-LINES-bool-count",
        ),
        pytest.param(
            [{"community": "C1", "category": "PROFESSIONAL_SOCIAL_WORKER", "count": 1}] * 2,
            "重复",
            id="EXH-LINES-duplicate-line",
        ),
    ],
)
def test_malformed_vacancy_lines_are_named(lines: list[Any], fragment: str) -> None:
    """EX-1: each defect of the vacancy lines is reported in Chinese."""
    ctx = context(
        payload={"vacancy_lines": lines}, facts={"communities": {"C1": staffing(10, 0, 0, [])}}, case_id=None
    )
    verdict = g.lines_valid(ctx)
    assert verdict.error_code == "EXH_LINES_INVALID"
    assert fragment in verdict.params["problems"]


# ---------------------------------------------------------------- EXH-E4 (age, CAL-5)


def age_ctx(gender: str, birth: str, reference: str, policy: Policy = POLICY) -> GuardContext:
    facts = {"recruitment": recruitment(registration_deadline=reference), "siblings": []}
    return context(data={"gender": gender, "birth_date": birth}, facts=facts, policy=policy)


@pytest.mark.parametrize(
    ("gender", "birth", "reference", "policy", "age", "ok"),
    [
        pytest.param(
            "M", "1970-01-20", "2025-01-20", POLICY, 55, True, id="EXH-E4-male-55th-birthday-eligible"
        ),
        pytest.param(
            "M", "1969-01-21", "2025-01-20", POLICY, 55, True, id="EXH-E4-male-eve-of-56th-eligible"
        ),
        pytest.param(
            "M", "1969-01-20", "2025-01-20", POLICY, 56, False, id="EXH-E4-male-56th-birthday-fails"
        ),
        pytest.param(
            "F", "1975-01-20", "2025-01-20", POLICY, 50, True, id="EXH-E4-female-50th-birthday-eligible"
        ),
        pytest.param(
            "F", "1974-01-21", "2025-01-20", POLICY, 50, True, id="EXH-E4-female-eve-of-51st-eligible"
        ),
        pytest.param(
            "F", "1974-01-20", "2025-01-20", POLICY, 51, False, id="EXH-E4-female-51st-birthday-fails"
        ),
        pytest.param(
            "F",
            "1976-02-29",
            "2027-02-28",
            POLICY,
            51,
            False,
            id="EXH-E4-A-07-feb29-birthday-reached-on-feb28-fails",
        ),
        pytest.param(
            "F", "1976-02-29", "2027-02-27", POLICY, 50, True, id="EXH-E4-A-07-feb29-day-before-eligible"
        ),
        pytest.param(
            "F",
            "1976-02-29",
            "2027-02-28",
            with_settings(calendar__feb29_birthday_in_common_year="mar1"),
            50,
            True,
            id="EXH-E4-A-07-mar1-setting-eligible-on-feb28",
        ),
        pytest.param("F", "1976-02-29", "2028-02-29", POLICY, 52, False, id="EXH-E4-A-07-feb29-in-leap-year"),
        pytest.param(
            "M",
            "1969-01-20",
            "2025-01-20",
            with_settings(calendar__age_increment="on_day_after_birthday"),
            55,
            True,
            id="EXH-E4-A-07-day-after-birthday-setting-eligible",
        ),
    ],
)
def test_age_on_the_reference_date(
    gender: str, birth: str, reference: str, policy: Policy, age: int, ok: bool
) -> None:
    """EXH-E4: 周岁 on the registration deadline (A-08) counted per CAL-5 / A-07, ≤ 55 male, ≤ 50 female."""
    verdict = g.age_within_limit(age_ctx(gender, birth, reference, policy))
    assert (verdict.ok, verdict.params["age"]) == (ok, age)
    if not ok:
        assert (verdict.error_code, verdict.soft) == ("EXH_AGE_LIMIT", True)


def test_age_limit_is_hard_where_the_pack_says_so() -> None:
    """EXH-E4 is soft only because DONGQU sets age_limit_soft; a pack may make it hard."""
    verdict = g.age_within_limit(
        age_ctx("M", "1969-01-20", "2025-01-20", with_settings(exam_hiring__age_limit_soft=False))
    )
    assert (verdict.ok, verdict.soft) == (False, False)


# ---------------------------------------------------------------- SOFT-1 overrides through evaluate()


QUALIFY = EXAM_CANDIDATE.step("qualify")
REVIEW = {"reviewed_on": "2025-01-06", "attest_e1": True, "attest_e2": True, "attest_e3": True}
GOOD = {
    "gender": "M",
    "birth_date": "1990-01-01",
    "education": "本科",
    "diploma_recognised": True,
    "hukou_city": CITY,
    "hukou_urban": True,
    "line_no": 1,
}


def review(data: dict[str, Any], overrides: dict[str, str] | None, actor: Actor = BUREAU) -> Any:
    payload: dict[str, Any] = dict(REVIEW)
    if overrides is not None:
        payload["overrides"] = overrides
    facts = {"recruitment": {**recruitment(), "state": "PUBLISHED"}, "siblings": []}
    assert QUALIFY is not None
    return evaluate(QUALIFY, context(data={**GOOD, **data}, payload=payload, facts=facts, actor=actor))


@pytest.mark.parametrize(
    ("data", "overrides", "actor", "blocking", "overridden"),
    [
        pytest.param(
            {"birth_date": "1969-01-20"},
            {"EXH_AGE_LIMIT": "东民〔2025〕3号"},
            BUREAU,
            [],
            ["EXH_AGE_LIMIT"],
            id="SOFT-1-EXH-E4-bureau-with-reason-overrides",
        ),
        pytest.param(
            {"birth_date": "1969-01-20"},
            {"EXH_AGE_LIMIT": " "},
            BUREAU,
            ["EXH_AGE_LIMIT"],
            [],
            id="SOFT-1-EXH-E4-blank-reason-blocks",
        ),
        pytest.param(
            {"birth_date": "1969-01-20"},
            None,
            BUREAU,
            ["EXH_AGE_LIMIT"],
            [],
            id="SOFT-1-EXH-E4-no-override-blocks",
        ),
        pytest.param(
            {"birth_date": "1969-01-20"},
            {"EXH_AGE_LIMIT": "东民〔2025〕3号"},
            HR,
            ["EXH_AGE_LIMIT"],
            [],
            id="SOFT-1-EXH-E4-without-override-role-blocks",
        ),
        pytest.param(
            {"hukou_urban": False},
            {"EXH_HUKOU": "东民〔2025〕5号"},
            BUREAU,
            [],
            ["EXH_HUKOU"],
            id="SOFT-1-EXH-E6-bureau-with-reason-overrides",
        ),
        pytest.param(
            {"education": "中专"},
            {"EXH_EDUCATION": "东民〔2025〕4号"},
            BUREAU,
            ["EXH_EDUCATION"],
            [],
            id="SOFT-1-EXH-E5-hard-override-refused",
        ),
        pytest.param(
            {"birth_date": "1969-01-20", "education": "高中"},
            {"EXH_AGE_LIMIT": "理由"},
            BUREAU,
            ["EXH_EDUCATION"],
            ["EXH_AGE_LIMIT"],
            id="SOFT-1-soft-overridden-hard-still-blocks",
        ),
    ],
)
def test_only_the_override_role_passes_soft_rules_with_a_reason(
    data: dict[str, Any],
    overrides: dict[str, str] | None,
    actor: Actor,
    blocking: list[str],
    overridden: list[str],
) -> None:
    """SOFT-1 (A-10): 原则上 rules pass only with a reason from the pack's override role; hard ones never."""
    evaluation = review(data, overrides, actor)
    assert [v.error_code for v in evaluation.blocking] == blocking
    assert [o["code"] for o in evaluation.overridden] == overridden


# ---------------------------------------------------------------- EXH-E5 / EXH-E6


@pytest.mark.parametrize(
    ("level", "recognised", "ok"),
    [
        pytest.param("大专", True, True, id="EXH-E5-dazhuan-passes"),
        pytest.param("本科", True, True, id="EXH-E5-benke-passes"),
        pytest.param("硕士", True, True, id="EXH-E5-master-passes"),
        pytest.param("博士", True, True, id="EXH-E5-doctorate-passes"),
        pytest.param("高中", True, False, id="EXH-E5-gaozhong-fails"),
        pytest.param("中专", True, False, id="EXH-E5-zhongzhuan-fails"),
        pytest.param("职高", True, False, id="EXH-E5-zhigao-fails"),
        pytest.param("技校", True, False, id="EXH-E5-jixiao-fails"),
        pytest.param("初中及以下", True, False, id="EXH-E5-below-fails"),
        pytest.param("本科", False, False, id="EXH-E5-not-state-recognised-fails"),
        pytest.param("大专", False, False, id="EXH-E5-dazhuan-not-recognised-fails"),
    ],
)
def test_education_level_and_recognition(level: str, recognised: bool, ok: bool) -> None:
    """EXH-E5: 大专 or higher AND a state-recognised diploma; a failure is hard (not soft)."""
    verdict = g.education_sufficient(context(data={"education": level, "diploma_recognised": recognised}))
    assert verdict.ok is ok
    if not ok:
        assert (verdict.error_code, verdict.soft) == ("EXH_EDUCATION", False)


@pytest.mark.parametrize(
    ("city", "urban", "required", "ok"),
    [
        pytest.param(CITY, True, "local_urban", True, id="EXH-E6-local-urban-passes"),
        pytest.param(CITY, False, "local_urban", False, id="EXH-E6-local-rural-fails"),
        pytest.param("外市", True, "local_urban", False, id="EXH-E6-other-city-urban-fails"),
        pytest.param(CITY, False, "local", True, id="EXH-E6-local-setting-rural-passes"),
        pytest.param("外市", False, "none", True, id="EXH-E6-none-setting-passes"),
    ],
)
def test_hukou(city: str, urban: bool, required: str, ok: bool) -> None:
    """EXH-E6: 本市城镇户口 per the pack (hukou_required, hukou_city); a failure is soft (原则上)."""
    policy = with_settings(exam_hiring__hukou_required=required)
    verdict = g.hukou_local(context(data={"hukou_city": city, "hukou_urban": urban}, policy=policy))
    assert verdict.ok is ok
    if not ok:
        assert (verdict.error_code, verdict.soft) == ("EXH_HUKOU", True)


# ---------------------------------------------------------------- ID number


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        pytest.param(make_id("11010519900315001"), True, id="EXH-ID-valid"),
        pytest.param(make_id("11010519900315001")[:17] + "Y", False, id="EXH-ID-bad-last-character"),
        pytest.param(
            "110105199003150011" if make_id("11010519900315001")[17] != "1" else "110105199003150012",
            False,
            id="EXH-ID-wrong-check-digit",
        ),
        pytest.param("11010519900315001", False, id="EXH-ID-17-digits"),
    ],
)
def test_id_number_check(number: str, ok: bool) -> None:
    """C-1: the ID number must be a valid GB 11643 number; a failure carries ID_NUMBER_INVALID."""
    verdict = g.id_number_valid(context(payload={"id_number": number}, case_id=None))
    assert verdict.ok is ok
    if not ok:
        assert verdict.error_code == "ID_NUMBER_INVALID"


# ---------------------------------------------------------------- EXH-2 ranking


def sibling(case_id: int, state: str, written: str | None, interview: str | None = None, **data: Any) -> dict:
    record: dict[str, Any] = {"line_no": 1, **data}
    if written is not None:
        record["written_score"] = written
    if interview is not None:
        record["interview_score"] = interview
    return {"id": case_id, "state": state, "community_id": 1, "data": record}


def rank_ctx(me: dict[str, Any], others: list[dict[str, Any]], count: int = 1, **rec: Any) -> GuardContext:
    facts = {"recruitment": recruitment(count, **rec), "siblings": [me, *others]}
    return context(data=me["data"], facts=facts, state=me["state"], case_id=me["id"])


@pytest.mark.parametrize(
    ("mine", "others", "count", "outcome"),
    [
        pytest.param(("80", "80"), [("70", "70")], 1, g.SELECTED, id="EXH-2-best-selected"),
        pytest.param(("70", "70"), [("80", "80")], 1, g.NOT_IN, id="EXH-2-second-not-selected"),
        pytest.param(("70", "70"), [("80", "80")], 2, g.SELECTED, id="EXH-2-second-of-two-places-selected"),
        pytest.param(("80", "70"), [("70", "80")], 1, g.TIE, id="EXH-2-tie-at-the-last-place"),
        pytest.param(("80", "70"), [("70", "80")], 2, g.SELECTED, id="EXH-2-tie-within-the-places-selected"),
        pytest.param(
            ("80", "80"), [("90", "90"), ("80", "80")], 2, g.TIE, id="EXH-2-tie-for-the-second-place"
        ),
        pytest.param(
            ("80.001", "80"),
            [("80.002", "80")],
            1,
            g.NOT_IN,
            id="EXH-2-CMP-2-exact-scores-decide-not-display",
        ),
    ],
)
def test_selection_by_composite(
    mine: tuple[str, str], others: list[tuple[str, str]], count: int, outcome: str
) -> None:
    """EXH-2: selection by descending composite (w = 1/2, exact fractions); a tie at the last place is TIE."""
    me = sibling(10, "INTERVIEW_DONE", *mine)
    rest = [sibling(20 + n, "INTERVIEW_DONE", w, i) for n, (w, i) in enumerate(others)]
    assert g.selection(rank_ctx(me, rest, count))[0] == outcome


def test_selection_waits_for_every_score_of_the_line() -> None:
    """EXH-2: while a candidate of the line lacks a written score, nobody can be ranked."""
    me = sibling(10, "INTERVIEW_DONE", "80", "80")
    assert g.selection(rank_ctx(me, [sibling(20, "QUALIFIED", None)]))[0] == g.PENDING


def test_tie_break_reason_selects_while_tied_places_remain() -> None:
    """EXH-2: a tied candidate whose competitor already took the last place with a reason is not selected."""
    me = sibling(10, "INTERVIEW_DONE", "80", "70")
    winner = sibling(20, "INSPECTION_PASSED", "70", "80", tie_break_reason="笔试成绩优先")
    outcome, params = g.selection(rank_ctx(me, [winner]))
    assert (outcome, params["left"], params["taken"]) == (g.NOT_IN, 1, 1)
    verdict = g.selected_for("inspection")(rank_ctx(me, [sibling(20, "INTERVIEW_DONE", "70", "80")]))
    assert (verdict.ok, verdict.error_code) == (False, "EXH_RANK_TIE")


@pytest.mark.parametrize(
    ("backfill", "state", "outcome"),
    [
        pytest.param(False, "WITHDRAWN", g.NOT_IN, id="EXH-2-A-37-no-backfill-withdrawn-keeps-place"),
        pytest.param(True, "WITHDRAWN", g.SELECTED, id="EXH-2-A-37-backfill-withdrawn-frees-place"),
        pytest.param(True, "MEDICAL_FAILED", g.SELECTED, id="EXH-2-A-37-backfill-medical-failed-frees-place"),
        pytest.param(
            True, "INSPECTION_PASSED", g.NOT_IN, id="EXH-2-A-37-backfill-still-competing-keeps-place"
        ),
    ],
)
def test_backfill(backfill: bool, state: str, outcome: str) -> None:
    """A-37 递补: a candidate who dropped out frees the place for the next-ranked only with backfill."""
    me = sibling(10, "INTERVIEW_DONE", "70", "70")
    top = sibling(20, state, "90", "90")
    assert g.selection(rank_ctx(me, [top], allow_backfill=backfill))[0] == outcome


@pytest.mark.parametrize(
    ("ratio", "count", "scores", "mine", "ok"),
    [
        pytest.param("2", 1, ["90", "80"], "80", True, id="EXH-2-shortlist-exactly-at-size-passes"),
        pytest.param("2", 1, ["90", "85"], "80", False, id="EXH-2-shortlist-one-over-fails"),
        pytest.param(
            "2", 1, ["90", "80", "80.0"], "80", True, id="EXH-2-shortlist-tie-at-last-place-included"
        ),
        pytest.param("3/2", 1, ["90"], "80", True, id="EXH-2-shortlist-fractional-size-rounds-up"),
    ],
)
def test_shortlist(ratio: str, count: int, scores: list[str], mine: str, ok: bool) -> None:
    """A-37: ⌈ratio × places⌉ are interviewed by written rank; ties with the last place are included."""
    me = sibling(10, "WRITTEN_DONE", mine)
    rest = [sibling(20 + n, "WRITTEN_DONE", s) for n, s in enumerate(scores)]
    verdict = g.in_shortlist(rank_ctx(me, rest, count, shortlist_ratio=ratio))
    assert verdict.ok is ok
    if not ok:
        assert verdict.error_code == "EXH_NOT_SHORTLISTED"


def test_composite_is_exact() -> None:
    """A-37 / CMP-2: composite = w·written + (1−w)·interview in exact fractions."""
    assert g.composite({"written_score": "85.5", "interview_score": "90"}, Fraction(2, 5)) == Fraction(
        8820, 100
    )


def test_registration_window_uses_the_deadline_day() -> None:
    """C-1: the deadline day is inside the window; the day after is not."""
    rec = {**recruitment(), "state": "PUBLISHED"}
    on_deadline = replace(context(facts={"recruitment": rec, "siblings": []}), today=date(2025, 1, 20))
    after = replace(on_deadline, today=date(2025, 1, 21))
    assert g.registration_open(on_deadline).ok
    assert g.registration_open(after).error_code == "EXH_REGISTRATION_CLOSED"
