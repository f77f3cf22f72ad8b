"""Boundary tables of the 考核聘用 guards (spec §4.3 RH-1…RH-5, RH-W1; §3.7 VOTE-1/VOTE-2; §3.3 CAL-2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from engine.clock import LOCAL_TZ
from engine.guards import Actor, CaseView, GuardContext
from engine.policy import Policy, get_pack
from workflows.guards import publicity as pub
from workflows.guards import rehiring as g

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=LOCAL_TZ)
ACTOR = Actor(1, "s1_office", "东华街道办事处", "STREET_OFFICE", frozenset({"STREET_OFFICE"}), street_id=1)


def policy(**overrides: Any) -> Policy:
    """The DONGQU pack with some settings replaced (e.g. the VOTE-2 denominator)."""
    pack = get_pack("DONGQU")
    return replace(pack, settings={**pack.settings, **overrides})


def ctx(data: dict[str, Any] | None = None, payload: dict[str, Any] | None = None, *,
        pol: Policy | None = None, facts: dict[str, Any] | None = None, state: str = "VOTED",
        now: datetime = NOW) -> GuardContext:
    case = CaseView(7, "assessment_rehiring", state, 3, data or {}, 1, 1, 1, 1, None, NOW)
    return GuardContext(case, payload or {}, ACTOR, now, now.astimezone(LOCAL_TZ).date(), pol or policy(),
                        facts or {})


def roster(n: int, reps: int) -> list[dict[str, Any]]:
    """`n` participants present, `reps` of them resident or unit representatives."""
    people: list[dict[str, Any]] = []
    for i in range(n):
        if i < reps:
            category = "RESIDENT_REP" if i % 2 == 0 else "UNIT_REP"
            people.append({"name": f"代表{i}", "category": category, "selection": "SELF_APPLIED"})
        else:
            people.append({"name": f"人员{i}", "category": "COMMUNITY_WORKER"})
    return people


def rec(yes: int, returned: int, *, abstain: int = 0, invalid: int = 0, issued: int | None = None
        ) -> dict[str, int]:
    return {"issued": issued if issued is not None else returned, "returned": returned, "recommend": yes,
            "not_recommend": returned - yes - abstain - invalid, "abstain": abstain, "invalid": invalid}


def ev(positive: int, negative: int, returned: int, *, blank: int = 0, invalid: int = 0) -> dict[str, int]:
    """An evaluation tally; `returned` − positive − negative − invalid is put in `blank` unless given."""
    blank = blank or returned - positive - negative - invalid
    return {"issued": returned, "returned": returned, "excellent": positive // 2,
            "competent": positive - positive // 2, "basic": negative // 2,
            "incompetent": negative - negative // 2,
            "blank": blank, "invalid": invalid}


# ---------------------------------------------------------------- RH-1, RH-2, RH-3


@pytest.mark.parametrize(("yes", "n", "passes"), [
    pytest.param(20, 40, False, id="RH-1-exactly-half-fails"),
    pytest.param(21, 40, True, id="RH-1-21-of-40-passes"),
    pytest.param(20, 41, False, id="RH-1-20-of-41-fails"),
    pytest.param(0, 0, False, id="RH-1-no-ballots-fails"),
])
def test_rh1_recommendation_must_exceed_half(yes: int, n: int, passes: bool) -> None:
    """RH-1: 推荐 must be strictly more than half of the ballots returned (不过半 fails)."""
    verdict = g.recommendation_over_half(ctx({"recommendation_tally": rec(yes, n)}))
    assert verdict.ok is passes
    if not passes:
        assert verdict.error_code == "RH_RECOMMENDATION_NOT_OVER_HALF"


def test_rh1_message_shows_exact_count_and_display_percentage() -> None:
    """RH-1: the rejection names the count, the denominator, the display rate and the article."""
    verdict = g.recommendation_over_half(ctx({"recommendation_tally": rec(20, 40)}))
    message = verdict.to_error().message_zh
    assert "民主推荐得票率 20/40 = 50.0%，未过半" in message
    assert "seed 000 第六条2" in message


@pytest.mark.parametrize(("positive", "n", "passes"), [
    pytest.param(24, 40, True, id="RH-2-exactly-60-percent-passes"),
    pytest.param(25, 42, False, id="RH-2-25-of-42-fails-though-displayed-60"),
    pytest.param(23, 40, False, id="RH-2-23-of-40-fails"),
])
def test_rh2_positive_share_at_least_sixty_percent(positive: int, n: int, passes: bool) -> None:
    """RH-2: 优秀+称职 must be ≥ 60% of the evaluation ballots, decided exactly (59.52% fails)."""
    verdict = g.evaluation_positive_enough(ctx({"evaluation_tally": ev(positive, 0, n)}))
    assert verdict.ok is passes
    if not passes:
        assert verdict.error_code == "RH_EVALUATION_POSITIVE_BELOW_60"


def test_rh2_display_rounding_does_not_decide() -> None:
    """CMP-2: 25/42 shows as 59.5% and fails, although it rounds to 60%."""
    verdict = g.evaluation_positive_enough(ctx({"evaluation_tally": ev(25, 0, 42)}))
    assert "25/42 = 59.5%" in verdict.to_error().message_zh


@pytest.mark.parametrize(("negative", "n", "passes"), [
    pytest.param(12, 40, True, id="RH-3-exactly-30-percent-passes"),
    pytest.param(301, 1000, False, id="RH-3-301-of-1000-fails"),
    pytest.param(13, 43, False, id="RH-3-13-of-43-fails"),
])
def test_rh3_negative_share_at_most_thirty_percent(negative: int, n: int, passes: bool) -> None:
    """RH-3: 基本称职+不称职 must be ≤ 30% of the evaluation ballots."""
    tally = ev(n - negative, negative, n)
    verdict = g.evaluation_negative_not_too_high(ctx({"evaluation_tally": tally}))
    assert verdict.ok is passes
    if not passes:
        assert verdict.error_code == "RH_EVALUATION_NEGATIVE_OVER_30"


@pytest.mark.parametrize(("positive", "negative", "rh2", "rh3"), [
    pytest.param(24, 13, True, False, id="RH-2-RH-3-independent-positive-ok-negative-over"),
    pytest.param(23, 10, False, True, id="RH-2-RH-3-independent-positive-low-negative-ok"),
])
def test_rh2_and_rh3_are_independent(positive: int, negative: int, rh2: bool, rh3: bool) -> None:
    """RH-2/RH-3: with blank ballots in the denominator one can pass while the other fails."""
    c = ctx({"evaluation_tally": ev(positive, negative, 40)})
    assert (g.positive_rate(c).passed, g.negative_rate(c).passed) == (rh2, rh3)


@pytest.mark.parametrize(("mode", "n", "passes"), [
    pytest.param("ballots_returned", 40, False, id="VOTE-2-returned-includes-blank-and-invalid"),
    pytest.param("valid_ballots", 35, True, id="VOTE-2-valid-ballots-excludes-blank-and-invalid"),
])
def test_vote2_denominator_follows_the_pack(mode: str, n: int, passes: bool) -> None:
    """VOTE-2 / A-09: 20 推荐 of 40 returned (3 abstain, 2 invalid) fails, of 35 valid passes."""
    c = ctx({"recommendation_tally": rec(20, 40, abstain=3, invalid=2)},
            pol=policy(**{"votes.denominator": mode}))
    rate = g.recommendation_rate(c)
    assert (rate.n, rate.passed) == (n, passes)


def test_thresholds_effect_records_every_failure_exactly() -> None:
    """RH-T6: all failing rules are recorded with exact rates and the not-rehired reasons."""
    c = ctx({"recommendation_tally": rec(20, 40), "evaluation_tally": ev(23, 13, 40)})
    effect = g.on_thresholds(c)
    assert effect.data["not_rehired_reasons"] == ["RH_RECOMMENDATION_NOT_OVER_HALF",
                                                  "RH_EVALUATION_POSITIVE_BELOW_60",
                                                  "RH_EVALUATION_NEGATIVE_OVER_30"]
    assert effect.data["vote_rates"]["RH-1"]["rate"] == "20/40"
    assert effect.data["vote_rates"]["RH-3"]["threshold"] == "3/10"
    assert [f["rule_id"] for f in effect.data["vote_failures"]] == ["RH-1", "RH-2", "RH-3"]
    assert g.some_threshold_failed(c).ok


def test_thresholds_effect_when_all_pass_has_no_reasons() -> None:
    """RH-T6: when all three pass, nothing is recorded as a reason and the failure branch is closed."""
    c = ctx({"recommendation_tally": rec(21, 40), "evaluation_tally": ev(28, 12, 40)})
    assert "not_rehired_reasons" not in g.on_thresholds(c).data
    assert g.some_threshold_failed(c).error_code == "RH_THRESHOLDS_ALL_MET"


def test_unspecified_threshold_refuses_to_evaluate() -> None:
    """A-41: a pack without the RH-1 threshold raises NOT_CONFIGURED instead of using DONGQU's."""
    from engine.errors import NotConfigured

    c = ctx({"recommendation_tally": rec(21, 40)},
            pol=policy(**{"rehire.recommendation_pass_gt": "UNSPECIFIED"}))
    with pytest.raises(NotConfigured):
        g.recommendation_over_half(c)


# ---------------------------------------------------------------- VOTE-1


GOOD = rec(30, 48, abstain=1, invalid=1, issued=50)


@pytest.mark.parametrize(("tally", "code"), [
    pytest.param({**GOOD, "recommend": -1, "not_recommend": 47}, "VOTE_TALLY_INVALID",
                 id="VOTE-1-negative-count"),
    pytest.param({**GOOD, "recommend": "30"}, "VOTE_TALLY_INVALID", id="VOTE-1-count-not-an-integer"),
    pytest.param({k: v for k, v in GOOD.items() if k != "invalid"}, "VOTE_TALLY_INVALID",
                 id="VOTE-1-missing-item"),
    pytest.param({**GOOD, "yes": 1}, "VOTE_TALLY_UNKNOWN_ITEM", id="VOTE-1-unknown-item"),
    pytest.param([30, 18], "VOTE_TALLY_MALFORMED", id="VOTE-1-not-a-tally"),
    pytest.param({**GOOD, "recommend": 31}, "VOTE_TALLY_NOT_RECONCILED", id="VOTE-1-options-do-not-add-up"),
    pytest.param({**GOOD, "issued": 47}, "VOTE_RETURNED_EXCEEDS_ISSUED", id="VOTE-1-returned-exceeds-issued"),
    pytest.param({**GOOD, "issued": 51}, "VOTE_ISSUED_EXCEEDS_PRESENT",
                 id="VOTE-1-more-ballots-than-present"),
])
def test_vote1_tally_must_reconcile(tally: Any, code: str) -> None:
    """VOTE-1: options + blank + invalid = returned ≤ issued ≤ participants present, all non-negative."""
    c = ctx(payload={"vote_roster": roster(50, 10), "recommendation_tally": tally})
    verdict = g.tally_valid(g.RECOMMENDATION)(c)
    assert (verdict.ok, verdict.error_code) == (False, code)
    assert "民主推荐票" in verdict.to_error().message_zh


def test_vote1_absent_participants_do_not_count() -> None:
    """VOTE-1: a roster member marked absent cannot have been issued a ballot."""
    people = roster(50, 10)
    people[0]["present"] = False
    c = ctx(payload={"vote_roster": people, "recommendation_tally": GOOD})
    assert g.tally_valid(g.RECOMMENDATION)(c).error_code == "VOTE_ISSUED_EXCEEDS_PRESENT"


def test_vote1_good_tally_passes() -> None:
    """VOTE-1: a reconciled tally with 50 present passes."""
    c = ctx(payload={"vote_roster": roster(50, 10), "recommendation_tally": GOOD})
    assert g.tally_valid(g.RECOMMENDATION)(c).ok


@pytest.mark.parametrize(("people", "code"), [
    pytest.param([], "RH_ROSTER_EMPTY", id="RH-T5-roster-empty"),
    pytest.param([{"name": "甲", "category": "STREET_LEADER", "present": False}], "RH_ROSTER_EMPTY",
                 id="RH-T5-nobody-present"),
    pytest.param([{"name": "甲", "category": "BOSS"}], "RH_ROSTER_INVALID", id="RH-T5-unknown-category"),
    pytest.param([{"name": "甲", "category": "RESIDENT_REP"}], "RH_ROSTER_INVALID",
                 id="RH-T5-rep-without-selection"),
    pytest.param([{"name": " ", "category": "STREET_LEADER"}], "RH_ROSTER_INVALID", id="RH-T5-no-name"),
    pytest.param({"name": "甲"}, "RH_ROSTER_INVALID", id="RH-T5-roster-not-a-list"),
])
def test_roster_must_list_valid_participants(people: Any, code: str) -> None:
    """RH-T5: the roster is non-empty and each participant has a name, a 第六条2 category and, for reps,
    how they were selected."""
    verdict = g.roster_valid(ctx(payload={"vote_roster": people}))
    assert (verdict.ok, verdict.error_code) == (False, code)


# ---------------------------------------------------------------- RH-W1


@pytest.mark.parametrize(("n", "reps", "warns"), [
    pytest.param(50, 10, False, id="RH-W1-10-of-50-ok"),
    pytest.param(50, 6, True, id="RH-W1-6-of-50-warns"),
    pytest.param(23, 4, False, id="RH-W1-floor-of-4.6-ok"),
    pytest.param(23, 5, False, id="RH-W1-ceil-of-4.6-ok"),
    pytest.param(23, 3, True, id="RH-W1-3-of-23-warns"),
])
def test_rhw1_rep_share_is_a_warning_only(n: int, reps: int, warns: bool) -> None:
    """RH-W1: reps should be ⌊0.2·N⌋ or ⌈0.2·N⌉ of those present; otherwise a warning that never blocks."""
    verdict = g.rep_share(ctx(payload={"vote_roster": roster(n, reps)}))
    assert verdict.ok
    assert verdict.warning is warns
    if warns:
        assert verdict.error_code == "RH_REP_SHARE"


# ---------------------------------------------------------------- RH-5 and PUB


COMMUNITY = SimpleNamespace(code="C1", name="东华社区")


@pytest.mark.parametrize(("given", "passes"), [
    pytest.param("C1", True, id="RH-5-own-community"),
    pytest.param("C2", False, id="RH-5-other-community-rejected"),
])
def test_rh5_publicity_in_own_community(given: str, passes: bool) -> None:
    """RH-5: the publicity is posted within the candidate's own community."""
    verdict = pub.posted_in_community(g.RH_5)(ctx(payload={"publicity_community": given},
                                                  facts={"community": COMMUNITY}))
    assert verdict.ok is passes
    if not passes:
        assert verdict.error_code == "RH_PUBLICITY_SCOPE"
        assert "东华社区" in verdict.to_error().message_zh


def test_cal2_golden_example_seven_days() -> None:
    """CAL-2 / A-03: posted Mon 2025-03-03 for 7 days → last day Sun 03-09, over at 03-10 00:00 Shanghai."""
    last, extended = pub.last_day(policy(), date(2025, 3, 3), 7, "CAL-2")
    assert (last, extended) == (date(2025, 3, 9), False)
    assert pub.ends_at(last) == datetime(2025, 3, 10, 0, 0, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(("posted", "last"), [
    pytest.param(date(2025, 3, 3), date(2025, 3, 10), id="CAL-2-sunday-moves-to-monday"),
    pytest.param(date(2025, 9, 26), date(2025, 10, 9), id="CAL-2-national-day-moves-past-holiday"),
    pytest.param(date(2025, 3, 5), date(2025, 3, 11), id="CAL-2-working-last-day-unchanged"),
])
def test_cal2_extension_when_configured(posted: date, last: date) -> None:
    """A-04: with extension on, a last day on a rest day moves to the next working day (调休 aware)."""
    pol = policy(**{"calendar.publicity_extend_if_last_day_rest_day": True})
    assert pub.last_day(pol, posted, 7, "CAL-2")[0] == last


def test_period_over_only_from_the_day_after_the_last_day() -> None:
    """RH-4: the step after the publicity is refused until 00:00 after the last day."""
    guard = pub.period_over(g.RH_4_TIME, "RH_PUBLICITY_RUNNING")
    data = {"publicity_last_day": "2025-03-09"}
    early = guard(ctx(data, now=datetime(2025, 3, 9, 23, 59, tzinfo=LOCAL_TZ)))
    assert early.error_code == "RH_PUBLICITY_RUNNING"
    assert guard(ctx(data, now=datetime(2025, 3, 10, 0, 0, tzinfo=LOCAL_TZ))).ok


def _objection(i: int, *, late: bool = False, finding: str | None = None) -> dict[str, Any]:
    record = {"finding": finding, "on": "2025-03-05"} if finding else None
    return {"id": f"OBJ-{i}", "late": late, "finding": record}


@pytest.mark.parametrize(("objections", "unresolved", "affecting"), [
    pytest.param([], True, True, id="RH-4-no-objections-clear"),
    pytest.param([_objection(1)], False, True, id="RH-4-objection-without-finding-blocks"),
    pytest.param([_objection(1, late=True)], True, True, id="RH-4-late-objection-never-blocks"),
    pytest.param([_objection(1, finding=pub.SUBSTANTIATED_NOT_AFFECTING)], True, True,
                 id="RH-4-not-affecting-clear"),
    pytest.param([_objection(1, finding=pub.SUBSTANTIATED_AFFECTING)], True, False,
                 id="RH-4-affecting-blocks"),
])
def test_rh4_objections_guard_the_report(objections: list[dict[str, Any]], unresolved: bool,
                                          affecting: bool) -> None:
    """RH-4 / A-14: every timely objection needs a finding and none may be affecting."""
    c = ctx({"objections": objections}, state="PUBLICITY_ENDED")
    assert pub.all_timely_objections_found(g.RH_4, "RH_OBJECTION_UNRESOLVED")(c).ok is unresolved
    assert pub.no_affecting_finding(g.RH_4, "RH_OBJECTION_AFFECTING")(c).ok is affecting
    assert pub.affecting_finding_exists(g.RH_T11, "RH_NO_AFFECTING_FINDING")(c).ok is not affecting


def test_objection_received_after_last_day_is_late_even_while_posted() -> None:
    """A-14: an objection received after the last day (sweep not yet run) is logged as late."""
    c = ctx({"publicity_last_day": "2025-03-09", "objections": []},
            {"objection_received_on": "2025-03-10", "objection_receiver": "王", "objection_content": "x"},
            state="IN_PUBLICITY")
    record = pub.objection_effect({"IN_PUBLICITY"})(c).data["objections"][0]
    assert (record["id"], record["late"], record["lodged_by"]) == ("OBJ-1", True, "s1_office")


def test_finding_cannot_be_recorded_twice() -> None:
    """PUB: one finding per objection; a second one names the first."""
    guard = pub.objection_exists_without_finding(g.RH_FINDING)
    data = {"objections": [_objection(1, finding=pub.NOT_SUBSTANTIATED)]}
    assert guard(ctx(data, {"objection_id": "OBJ-1"})).error_code == "PUB_FINDING_EXISTS"
    assert guard(ctx(data, {"objection_id": "OBJ-9"})).error_code == "PUB_OBJECTION_NOT_FOUND"
