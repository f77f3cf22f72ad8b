"""Guards and effects of 考试聘用 (seed 000 第七条, 第八条; spec §4.2 with §3.6 CAL-5, §3.8 SOFT-1 and
§4.1 TERM-5).

Two procedures share them: the recruitment (招聘批次, EX-1…EX-4) and the candidate (报名, C-1…C-9), a child
case of a recruitment. Everything here is pure: the facts a guard needs are loaded beforehand by
`workflows.exam_hiring` and arrive in `ctx.facts`:

Recruitment facts (`recruitment_facts`)
  - ``terms``: ``{term_id: {id, ordinal, status, start_date, end_date}}`` of the district (opening only);
  - ``communities``: ``{code: staffing}`` for every community of the district (opening only), where
    ``staffing = {id, code, name, limit, active, holdover, reserved: [{case_id, line_no, open}]}`` and
    ``reserved`` lists the places still open on lines of OPEN recruitments (pending appointments, EXH-1);
  - ``children``: ``{"by_state": {state: n}, "appointed_by_line": {line_no: n}}`` of this recruitment.

Candidate facts (`candidate_facts`)
  - ``recruitment``: ``{id, state, data}`` of the parent recruitment;
  - ``siblings``: ``[{id, state, community_id, data}]``, every candidate case of the recruitment (this one
    included once it exists);
  - ``staffing``: the staffing record of the case's community, ``term``: the recruitment's term and
    ``existing_worker``: ``{id, active}`` for a personnel record with the candidate's ID number (all three
    only where the appointment may be taken).

Ranking (EXH-2, A-37). Scores are exact (`Fraction`, CMP-2). A rank is 1 + the number of competitors with
a strictly higher score. Without 递补 (`allow_backfill` false, the default) everyone who obtained a score
keeps their place even after withdrawing or failing a later step, so nobody moves up; with 递补 the
candidates who dropped out (withdrew, failed 考察/体检, were eliminated as absent) leave the ranking and the
next-ranked move up.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from fractions import Fraction
from typing import Any

from engine import idcard, text
from engine.calendar import DAY, END, Period, age_on, deadline
from engine.errors import DefinitionError, InvalidInput
from engine.guards import GuardContext, Verdict
from engine.spec import CloseChildCases, CreateAppointment, DeadlineDue, Effect, Rule
from engine.text import join_clauses, join_list, t
from workflows.citations import ART2, ART4, ART5, ART7, ART7_1, ART7_2, ART7_3, ART7_4, ART7_5, ART7_6, ART8
from workflows.citations import assumption as a
from workflows.guards import publicity as pub
from workflows.guards.common import as_date

Guard = Callable[[GuardContext], Verdict]

# ---------------------------------------------------------------- states

# recruitment (招聘批次)
DRAFT = "DRAFT"
PUBLISHED = "PUBLISHED"
REGISTRATION_CLOSED = "REGISTRATION_CLOSED"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"

# candidate (报名)
APPLIED = "APPLIED"
QUALIFIED = "QUALIFIED"
DISQUALIFIED = "DISQUALIFIED"
WRITTEN_DONE = "WRITTEN_DONE"
INTERVIEW_DONE = "INTERVIEW_DONE"
ELIMINATED = "ELIMINATED"
INSPECTION_PASSED = "INSPECTION_PASSED"
INSPECTION_FAILED = "INSPECTION_FAILED"
MEDICAL_PASSED = "MEDICAL_PASSED"
MEDICAL_FAILED = "MEDICAL_FAILED"
IN_PUBLICITY = "IN_PUBLICITY"
PUBLICITY_ENDED = "PUBLICITY_ENDED"
APPOINTED = "APPOINTED"
WITHDRAWN = "WITHDRAWN"
# CANCELLED (the recruitment was cancelled) is shared with the recruitment's state name.

CANDIDATE_OPEN = (
    APPLIED,
    QUALIFIED,
    WRITTEN_DONE,
    INTERVIEW_DONE,
    INSPECTION_PASSED,
    MEDICAL_PASSED,
    IN_PUBLICITY,
    PUBLICITY_ENDED,
)
CANDIDATE_FINAL = (
    DISQUALIFIED,
    ELIMINATED,
    INSPECTION_FAILED,
    MEDICAL_FAILED,
    APPOINTED,
    WITHDRAWN,
    CANCELLED,
)
DROPPED = frozenset({WITHDRAWN, CANCELLED, INSPECTION_FAILED, MEDICAL_FAILED})  # left after obtaining a score
TERM_OPEN_STATUSES = ("ACTIVE", "RENEWAL_OPEN")

# elimination reasons (C-4 / C-5)
NOT_SHORTLISTED = "NOT_SHORTLISTED"  # 笔试成绩未进入面试
NOT_SELECTED = "NOT_SELECTED"  # 综合成绩未进入考察/聘用名额
ABSENT = "ABSENT"  # 缺考 / 放弃下一环节
ELIMINATION_REASONS = (NOT_SHORTLISTED, NOT_SELECTED, ABSENT)

# Stored data: the education levels a candidate records (the same values as engine.admin.EDUCATION_LEVELS).
EDUCATION_LEVELS = ("初中及以下", "高中", "中专", "职高", "技校", "大专", "本科", "硕士", "博士")
# Ordinal of each level: 高中, 中专, 职高 and 技校 are parallel (all below 大专, seed 000 第七条5).
EDUCATION_RANK = dict(zip(EDUCATION_LEVELS, (0, 1, 1, 1, 1, 2, 3, 4, 5), strict=True))
CATEGORIES = (
    "PARTY_COMMITTEE_MEMBER",
    "RESIDENTS_COMMITTEE_MEMBER",
    "PROFESSIONAL_SOCIAL_WORKER",
    "PUBLIC_SERVICE_OFFICER",
    "ELDERLY_CARE_STAFF",
)
# Stored data: appointments.method of an appointment made by examination hiring.
HIRING_METHOD = "考试聘用"

# ---------------------------------------------------------------- rules

EXH_1 = Rule("EXH-1", "EXH_NO_VACANCY", (ART5, ART8))
EXH_TERM = Rule("EXH-TERM", "EXH_TERM_NOT_OPEN", (ART4, ART5))
EXH_LINES = Rule("EXH-LINES", "EXH_LINES_INVALID", (ART5, ART8))
EXH_SETTINGS = Rule("EXH-SET", "EXH_SETTINGS_INVALID", (a(37),))
EXH_ANNOUNCEMENT = Rule("EX-2", "EXH_ANNOUNCEMENT_INCOMPLETE", (ART8, a(8)))
EXH_DATES = Rule("EXH-DATES", "DATE_ORDER", (ART8,))
EXH_REGISTRATION = Rule("C-1", "EXH_REGISTRATION_CLOSED", (ART8, a(8)))
EXH_ID = Rule("EXH-ID", "ID_NUMBER_INVALID", (ART7_4,))
EXH_LINE = Rule("EXH-LINE", "EXH_LINE_UNKNOWN", (ART8,))
EXH_DUPLICATE = Rule("EXH-DUP", "EXH_DUPLICATE_REGISTRATION", (ART8,))
EXH_DECLARATION = Rule("EXH-DECL", "EXH_DECLARATION_MISSING", (ART7,))
EXH_E1 = Rule("EXH-E1", "EXH_NOT_ATTESTED", (ART7_1,))
EXH_E2 = Rule("EXH-E2", "EXH_NOT_ATTESTED", (ART7_2,))
EXH_E3 = Rule("EXH-E3", "EXH_NOT_ATTESTED", (ART7_3,))
EXH_E4 = Rule("EXH-E4", "EXH_AGE_LIMIT", (ART7_4, a(7), a(8), a(10)))
EXH_E5 = Rule("EXH-E5", "EXH_EDUCATION", (ART7_5, a(37)))
EXH_E6 = Rule("EXH-E6", "EXH_HUKOU", (ART7_6, a(10)))
EXH_RUNNING = Rule("EX-4", "EXH_RECRUITMENT_NOT_RUNNING", (ART8,))
EXH_2 = Rule("EXH-2", "EXH_NOT_SELECTED", (ART8, a(37)))
EXH_PUBLICITY = Rule("EXH-PUB", "EXH_PUBLICITY_REQUIRED", (a(13),))
EXH_TERM_5 = Rule("TERM-5", "EXH_START_OUTSIDE_TERM", (ART4, a(11)))
EXH_EMPLOYED = Rule("EXH-EMP", "EXH_ALREADY_EMPLOYED", (ART2,))
EXH_COMPLETE = Rule("EX-4", "EXH_LINES_OPEN", (ART8,))
EXH_CANCEL = Rule("EX-4", "EXH_CANCEL_AFTER_APPOINTMENT", (ART8,))

ATTESTATIONS = ((EXH_E1, "attest_e1"), (EXH_E2, "attest_e2"), (EXH_E3, "attest_e3"))
DECLARATIONS = (("declare_e1", "EXH-E1"), ("declare_e2", "EXH-E2"), ("declare_e3", "EXH-E3"))


# ---------------------------------------------------------------- small helpers


def _label(key: str, fallback: str) -> str:
    return t(key) if text.has(key) else fallback


def recruitment_state_label(state: str) -> str:
    return _label(f"procedures.exam_recruitment.states.{state}", state)


def category_label(category: str) -> str:
    return _label(f"cli.categories.{category}", category)


def fraction(value: Any) -> Fraction | None:
    """An exact number from a recorded decimal or fraction string ("78.5", "1/2"); None when absent or bad."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        return None


def show(value: Fraction) -> str:
    """A score for display (two decimals). Display only: decisions compare the exact fractions (CMP-2)."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.2f}"


def recruitment(ctx: GuardContext) -> Mapping[str, Any]:
    rec = ctx.facts.get("recruitment")
    if not isinstance(rec, Mapping):
        raise AssertionError("a candidate case is always a child of a recruitment")
    return rec


def lines_of(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(line) for line in data.get("lines") or []]


def find_line(data: Mapping[str, Any], line_no: Any) -> dict[str, Any] | None:
    try:
        wanted = int(line_no)
    except (TypeError, ValueError):
        return None
    return next((line for line in lines_of(data) if int(line["line_no"]) == wanted), None)


def closed_lines(data: Mapping[str, Any]) -> dict[str, Any]:
    return dict(data.get("closed_lines") or {})


def free_places(staffing: Mapping[str, Any], exclude: tuple[int | None, int | None] = (None, None)) -> int:
    """EXH-1: staffing limit − active − holdover − places reserved by open recruitments' lines (except
    `exclude` = (recruitment case id, line no), the line being filled)."""
    return (
        int(staffing["limit"])
        - int(staffing["active"])
        - int(staffing["holdover"])
        - pending(staffing, exclude)
    )


def pending(staffing: Mapping[str, Any], exclude: tuple[int | None, int | None] = (None, None)) -> int:
    return sum(
        int(r["open"]) for r in staffing.get("reserved") or () if (r["case_id"], int(r["line_no"])) != exclude
    )


def vacancy_detail(
    staffing: Mapping[str, Any], requested: int, exclude: tuple[int | None, int | None] = (None, None)
) -> str:
    return t(
        "exam_hiring.vacancy_detail",
        community=staffing["code"],
        name=staffing["name"],
        requested=requested,
        free=free_places(staffing, exclude),
        limit=staffing["limit"],
        active=staffing["active"],
        holdover=staffing["holdover"],
        pending=pending(staffing, exclude),
    )


# ---------------------------------------------------------------- EX-1: the recruitment plan


def normalise_lines(
    raw: Any, communities: Mapping[str, Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The vacancy lines as recorded (numbered from 1) and the problems found, each in Chinese."""
    if not isinstance(raw, list) or not raw:
        return [], [t("exam_hiring.lines.empty")]
    lines: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            problems.append(t("exam_hiring.lines.not_object", line_no=number))
            continue
        code = str(item.get("community") or "").strip()
        category = str(item.get("category") or "").strip()
        count = item.get("count")
        if code not in communities:
            problems.append(t("exam_hiring.lines.community", line_no=number, community=code or "—"))
        if category not in CATEGORIES:
            problems.append(
                t(
                    "exam_hiring.lines.category",
                    line_no=number,
                    category=category or "—",
                    known=join_list(CATEGORIES),
                )
            )
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            problems.append(t("exam_hiring.lines.count", line_no=number, count=count))
        if (code, category) in seen:
            problems.append(
                t("exam_hiring.lines.duplicate", line_no=number, community=code, category=category)
            )
        seen.add((code, category))
        if code in communities and category in CATEGORIES and isinstance(count, int):
            c = communities[code]
            lines.append(
                {
                    "line_no": number,
                    "community": code,
                    "community_id": c["id"],
                    "community_name": c["name"],
                    "category": category,
                    "count": int(count),
                }
            )
    return lines, problems


def lines_valid(ctx: GuardContext) -> Verdict:
    """EX-1: every vacancy line names a community of the district, a category and a positive count."""
    _, problems = normalise_lines(ctx.value("vacancy_lines"), ctx.facts.get("communities") or {})
    if problems:
        return Verdict.fail(EXH_LINES, problems=join_clauses(problems))
    return Verdict.passed(EXH_LINES)


def lines_within_staffing(ctx: GuardContext) -> Verdict:
    """EXH-1: per community, the places of this plan ≤ limit − active − holdover − pending (other open
    recruitments' unfilled places). Lines of one plan for the same community are added up."""
    communities = ctx.facts.get("communities") or {}
    lines, problems = normalise_lines(ctx.value("vacancy_lines"), communities)
    if problems:
        return Verdict.passed(EXH_1)  # lines_valid reports the malformed plan
    requested: Counter[str] = Counter()
    for line in lines:
        requested[line["community"]] += line["count"]
    short = [
        vacancy_detail(communities[code], n)
        for code, n in sorted(requested.items())
        if n > free_places(communities[code])
    ]
    if short:
        return Verdict.fail(EXH_1, detail=join_clauses(short))
    return Verdict.passed(EXH_1)


def term_open(ctx: GuardContext) -> Verdict:
    """EX-1: examination hiring adds workers during a term (seed 000 第五条): the term is ACTIVE or
    RENEWAL_OPEN."""
    term_id = ctx.value("term_id")
    term = (ctx.facts.get("terms") or {}).get(term_id)
    if term is None:
        return Verdict.fail(EXH_TERM, term=term_id, status=t("exam_hiring.term_missing"))
    if term["status"] not in TERM_OPEN_STATUSES:
        return Verdict.fail(EXH_TERM, term=term_id, status=term["status"])
    return Verdict.passed(EXH_TERM, term=term_id)


def resolved_settings(ctx: GuardContext) -> tuple[dict[str, Any], list[str]]:
    """Shortlist ratio, written weight and 递补 of this recruitment (A-37): the payload's value, else the
    pack's default. An UNSPECIFIED default without a per-recruitment value raises NotConfigured (A-41)."""
    problems: list[str] = []
    raw_ratio = ctx.value("shortlist_ratio")
    ratio = (
        fraction(raw_ratio)
        if raw_ratio is not None
        else ctx.policy.fraction("exam_hiring.shortlist_ratio", EXH_2.id)
    )
    if ratio is None or ratio < 1:
        problems.append(t("exam_hiring.settings.ratio", value=raw_ratio))
    raw_weight = ctx.value("written_weight")
    weight = (
        fraction(raw_weight)
        if raw_weight is not None
        else ctx.policy.fraction("exam_hiring.written_weight", EXH_2.id)
    )
    if weight is None or not 0 <= weight <= 1:
        problems.append(t("exam_hiring.settings.weight", value=raw_weight))
    backfill = ctx.value("allow_backfill")
    if backfill is None:
        backfill = ctx.policy.bool("exam_hiring.allow_backfill", EXH_2.id)
    return {
        "shortlist_ratio": str(ratio) if ratio is not None else None,
        "written_weight": str(weight) if weight is not None else None,
        "allow_backfill": bool(backfill),
    }, problems


def settings_valid(ctx: GuardContext) -> Verdict:
    """A-37: shortlist ratio ≥ 1 (at least as many interviewees as places) and 0 ≤ written weight ≤ 1."""
    _, problems = resolved_settings(ctx)
    if problems:
        return Verdict.fail(EXH_SETTINGS, problems=join_clauses(problems))
    return Verdict.passed(EXH_SETTINGS)


def registration_window_ordered(ctx: GuardContext) -> Verdict:
    """The registration window opens no later than it closes."""
    start, deadline = as_date(ctx.value("registration_start")), as_date(ctx.value("registration_deadline"))
    if start is None or deadline is None or start <= deadline:
        return Verdict.passed(EXH_DATES)
    return Verdict.fail(
        EXH_DATES,
        "DATE_ORDER",
        later=t("fields.registration_deadline"),
        later_date=deadline.isoformat(),
        earlier=t("fields.registration_start"),
        earlier_date=start.isoformat(),
    )


def on_create(ctx: GuardContext) -> Effect:
    """EX-1 records: the numbered lines, the term, the resolved settings and a staffing snapshot."""
    communities = ctx.facts.get("communities") or {}
    lines, _ = normalise_lines(ctx.value("vacancy_lines"), communities)
    settings, _ = resolved_settings(ctx)
    term = ctx.facts["terms"][ctx.value("term_id")]
    snapshot = {}
    for code in sorted({line["community"] for line in lines}):
        c = communities[code]
        snapshot[code] = {
            "limit": c["limit"],
            "active": c["active"],
            "holdover": c["holdover"],
            "pending": pending(c),
            "free": free_places(c),
        }
    return Effect(
        data={
            **settings,
            "lines": lines,
            "places": sum(line["count"] for line in lines),
            "term_ordinal": term["ordinal"],
            "term_start": term["start_date"],
            "term_end": term["end_date"],
            "staffing_snapshot": snapshot,
            "closed_lines": {},
        }
    )


# ---------------------------------------------------------------- EX-2 / EX-3: publication and registration


ANNOUNCEMENT_ITEMS = ("conditions", "duties", "pay", "registration_deadline")


def announcement_complete(ctx: GuardContext) -> Verdict:
    """EX-2: the announcement states the conditions, duties, pay and the registration deadline (A-08)."""
    missing = [t(f"fields.{name}") for name in ANNOUNCEMENT_ITEMS if ctx.value(name) in (None, "")]
    if missing:
        return Verdict.fail(EXH_ANNOUNCEMENT, missing=join_list(missing))
    return Verdict.passed(EXH_ANNOUNCEMENT)


def deadline_not_passed(ctx: GuardContext) -> Verdict:
    """EX-2: an announcement cannot be published with a registration deadline already past."""
    deadline, published = as_date(ctx.value("registration_deadline")), as_date(ctx.value("published_on"))
    floor = max(d for d in (published, ctx.today) if d is not None)
    if deadline is None or deadline >= floor:
        return Verdict.passed(EXH_DATES)
    return Verdict.fail(
        EXH_DATES,
        "DATE_ORDER",
        later=t("fields.registration_deadline"),
        later_date=deadline.isoformat(),
        earlier=t("fields.published_on"),
        earlier_date=floor.isoformat(),
    )


def on_publish(ctx: GuardContext) -> Effect:
    """The registration window opens on the publication day unless the announcement says otherwise."""
    start = ctx.value("registration_start") or ctx.value("published_on")
    return Effect(data={"registration_start": start})


def registration_close_due(ctx: GuardContext) -> DeadlineDue:
    """EX-3: registration closes at the end of the deadline day (00:00 of the next day, Asia/Shanghai)."""
    last = as_date(ctx.case.data["registration_deadline"])
    assert last is not None
    return deadline(Period(DAY, last, at=END), ctx.calendar,
                    rule_text=t("exam_hiring.basis.registration", deadline=last.isoformat()))


def on_registration_closed(ctx: GuardContext) -> Effect:
    by_state = dict((ctx.facts.get("children") or {}).get("by_state") or {})
    return Effect(data={"applicants": sum(by_state.values()), "applicants_by_state": by_state})


# ---------------------------------------------------------------- EX-4: lines, completion, cancellation


def _appointed_by_line(ctx: GuardContext) -> Mapping[int, int]:
    return (ctx.facts.get("children") or {}).get("appointed_by_line") or {}


def line_closable(ctx: GuardContext) -> Verdict:
    """EX-4: a line is closed unfilled once, while it still has open places."""
    line = find_line(ctx.case.data, ctx.value("line_no"))
    if line is None:
        known = join_list(x["line_no"] for x in lines_of(ctx.case.data))
        return Verdict.fail(EXH_LINE, line_no=ctx.value("line_no"), known=known)
    closed = closed_lines(ctx.case.data).get(str(line["line_no"]))
    if closed:
        return Verdict.fail(
            EXH_LINE,
            "EXH_LINE_CLOSED",
            line_no=line["line_no"],
            closed_on=closed["closed_on"],
            reason=closed["reason"],
        )
    filled = int(_appointed_by_line(ctx).get(int(line["line_no"]), 0))
    if filled >= int(line["count"]):
        return Verdict.fail(
            EXH_1, "EXH_LINE_FILLED", line_no=line["line_no"], count=line["count"], filled=filled
        )
    return Verdict.passed(EXH_LINE)


def on_close_line(ctx: GuardContext) -> Effect:
    line_no = int(ctx.value("line_no"))
    closed = closed_lines(ctx.case.data)
    closed[str(line_no)] = {
        "reason": ctx.value("close_reason"),
        "closed_on": ctx.today.isoformat(),
        "filled": int(_appointed_by_line(ctx).get(line_no, 0)),
    }
    return Effect(data={"closed_lines": closed})


def every_line_settled(ctx: GuardContext) -> Verdict:
    """EX-4: COMPLETED only when every line is filled or closed unfilled."""
    closed = closed_lines(ctx.case.data)
    appointed = _appointed_by_line(ctx)
    open_lines = [
        t(
            "exam_hiring.line_status",
            line_no=line["line_no"],
            community=line["community"],
            filled=int(appointed.get(int(line["line_no"]), 0)),
            count=line["count"],
        )
        for line in lines_of(ctx.case.data)
        if str(line["line_no"]) not in closed and int(appointed.get(int(line["line_no"]), 0)) < line["count"]
    ]
    if open_lines:
        return Verdict.fail(EXH_COMPLETE, lines=join_clauses(open_lines))
    return Verdict.passed(EXH_COMPLETE)


def on_complete(ctx: GuardContext) -> Effect:
    appointed = _appointed_by_line(ctx)
    closed = closed_lines(ctx.case.data)
    results = {
        str(line["line_no"]): {
            "count": line["count"],
            "filled": int(appointed.get(int(line["line_no"]), 0)),
            "closed_unfilled": str(line["line_no"]) in closed,
        }
        for line in lines_of(ctx.case.data)
    }
    return Effect(data={"fill_results": results, "completed_on": ctx.today.isoformat()})


def nobody_appointed(ctx: GuardContext) -> Verdict:
    """A recruitment that has appointed someone is finished by closing its lines, not cancelled: the
    appointments it made stand (decision: cancelling would leave them without their recruitment)."""
    count = sum(int(n) for n in _appointed_by_line(ctx).values())
    if count:
        return Verdict.fail(EXH_CANCEL, count=count)
    return Verdict.passed(EXH_CANCEL)


def on_cancel(ctx: GuardContext) -> Effect:
    """Cancelling the recruitment ends every open candidate case of it (SYSTEM, `close_cancelled`)."""
    reason = str(ctx.value("cancel_reason"))
    return Effect(
        data={"cancelled_on": ctx.today.isoformat()},
        actions=(CloseChildCases("exam_candidate", "close_cancelled", reason),),
    )


# ---------------------------------------------------------------- C-1: registration


def registration_open(ctx: GuardContext) -> Verdict:
    """C-1: registration while the recruitment is PUBLISHED, within the announced window (deadline day
    included, A-08)."""
    rec = recruitment(ctx)
    start = as_date(rec["data"].get("registration_start"))
    deadline = as_date(rec["data"].get("registration_deadline"))
    in_window = deadline is not None and ctx.today <= deadline and (start is None or ctx.today >= start)
    if rec["state"] == PUBLISHED and in_window:
        return Verdict.passed(EXH_REGISTRATION)
    return Verdict.fail(
        EXH_REGISTRATION,
        state=recruitment_state_label(rec["state"]),
        start=start.isoformat() if start else "—",
        deadline=deadline.isoformat() if deadline else "—",
        today=ctx.today.isoformat(),
    )


def id_number_valid(ctx: GuardContext) -> Verdict:
    """The ID number is a valid GB 11643 number (length, birth date, check digit): birth date and gender
    are taken from it (EXH-E4)."""
    try:
        idcard.parse(str(ctx.value("id_number") or ""))
    except InvalidInput as exc:
        return Verdict.fail(EXH_ID, id=exc.details.get("id", ""), why=exc.details.get("why", ""))
    return Verdict.passed(EXH_ID)


def line_open_for_registration(ctx: GuardContext) -> Verdict:
    """C-1: the chosen line exists, is not closed, and the case's community is the line's community."""
    rec = recruitment(ctx)
    line = find_line(rec["data"], ctx.value("line_no"))
    if line is None:
        known = join_list(x["line_no"] for x in lines_of(rec["data"]))
        return Verdict.fail(EXH_LINE, line_no=ctx.value("line_no"), known=known)
    closed = closed_lines(rec["data"]).get(str(line["line_no"]))
    if closed:
        return Verdict.fail(
            EXH_LINE,
            "EXH_LINE_CLOSED",
            line_no=line["line_no"],
            closed_on=closed["closed_on"],
            reason=closed["reason"],
        )
    if ctx.case.community_id != line["community_id"]:
        return Verdict.fail(
            EXH_LINE,
            "EXH_LINE_COMMUNITY_MISMATCH",
            line_no=line["line_no"],
            expected=t("text.coded", code=line["community"], label=line["community_name"]),
            given=ctx.case.community_id if ctx.case.community_id is not None else t("text.not_given"),
        )
    return Verdict.passed(EXH_LINE)


def _normalised_id(value: Any) -> str:
    return str(value or "").strip().upper()


def not_registered_twice(ctx: GuardContext) -> Verdict:
    """One registration per person and recruitment (decision: 平等竞争 — one line per candidate; a withdrawn
    registration does not count)."""
    wanted = _normalised_id(ctx.value("id_number"))
    for s in ctx.facts.get("siblings") or ():
        if (
            s["id"] != ctx.case.id
            and s["state"] != WITHDRAWN
            and _normalised_id(s["data"].get("id_number")) == wanted
        ):
            return Verdict.fail(EXH_DUPLICATE, id=idcard.mask(wanted), case=s["id"])
    return Verdict.passed(EXH_DUPLICATE)


def declarations_made(ctx: GuardContext) -> Verdict:
    """C-1: the candidate declares E1–E3 (the reviewer attests them at C-2)."""
    missing = [
        t(f"exam_hiring.conditions.{rule_id}")
        for name, rule_id in DECLARATIONS
        if ctx.value(name) is not True
    ]
    if missing:
        return Verdict.fail(EXH_DECLARATION, missing=join_clauses(missing))
    return Verdict.passed(EXH_DECLARATION)


def on_register(ctx: GuardContext) -> Effect:
    """C-1 records: the normalised ID number, birth date and gender taken FROM it, and the line placed."""
    ident = idcard.parse(str(ctx.value("id_number")))
    line = find_line(recruitment(ctx)["data"], ctx.value("line_no"))
    assert line is not None
    return Effect(
        data={
            "id_number": ident.value,
            "birth_date": ident.birth_date.isoformat(),
            "gender": ident.gender,
            "registered_on": ctx.today.isoformat(),
            "community": line["community"],
            "category": line["category"],
        }
    )


# ---------------------------------------------------------------- C-2: qualification review


def recruitment_in(*states: str) -> Guard:
    """The parent recruitment is in one of `states` (candidate steps follow the recruitment's phase)."""

    def guard(ctx: GuardContext) -> Verdict:
        state = recruitment(ctx)["state"]
        if state in states:
            return Verdict.passed(EXH_RUNNING)
        return Verdict.fail(
            EXH_RUNNING,
            state=recruitment_state_label(state),
            expected=join_list(recruitment_state_label(s) for s in states),
        )

    guard.__name__ = "recruitment_in_" + "_".join(s.lower() for s in states)
    return guard


def attested(rule: Rule, name: str) -> Guard:
    """EXH-E1…E3: the reviewer attests the condition (an attestation, not a computed rule)."""

    def guard(ctx: GuardContext) -> Verdict:
        if ctx.value(name) is True:
            return Verdict.passed(rule)
        return Verdict.fail(rule, condition=t(f"exam_hiring.conditions.{rule.id}"))

    guard.__name__ = f"attested_{name}"
    return guard


def reference_date(ctx: GuardContext) -> date:
    """A-08: eligibility is judged on the recruitment's registration deadline."""
    basis = ctx.policy.get("exam_hiring.age_reference", EXH_E4.id)
    if basis != "registration_deadline":
        raise DefinitionError(
            f"exam_hiring.age_reference = {basis!r}: only registration_deadline is implemented"
        )
    deadline = as_date(recruitment(ctx)["data"].get("registration_deadline"))
    assert deadline is not None
    return deadline


def age_within_limit(ctx: GuardContext) -> Verdict:
    """EXH-E4: 周岁 on the reference date (CAL-5, A-07/A-08) ≤ 55 (male) / 50 (female). Soft (原则上, SOFT-1):
    the pack's override role may pass it with a recorded reason."""
    birth = as_date(ctx.case.data.get("birth_date"))
    assert birth is not None
    gender = str(ctx.case.data.get("gender"))
    on = reference_date(ctx)
    age = age_on(
        birth,
        on,
        increment=str(ctx.policy.get("calendar.age_increment", EXH_E4.id)),
        feb29=str(ctx.policy.get("calendar.feb29_birthday_in_common_year", EXH_E4.id)),
    )
    limit = ctx.policy.int(
        "exam_hiring.age_limit_male" if gender == "M" else "exam_hiring.age_limit_female", EXH_E4.id
    )
    params: dict[str, Any] = {
        "age": age,
        "limit": limit,
        "birth": birth.isoformat(),
        "reference": on.isoformat(),
        "gender": t(f"exam_hiring.gender.{gender}"),
    }
    if age <= limit:
        return Verdict.passed(EXH_E4, **params)
    return Verdict.fail(EXH_E4, soft=ctx.policy.bool("exam_hiring.age_limit_soft", EXH_E4.id), **params)


def education_sufficient(ctx: GuardContext) -> Verdict:
    """EXH-E5: 大专 or higher AND a state-recognised diploma (A-37). Hard: no override."""
    level = str(ctx.case.data.get("education"))
    minimum = str(ctx.policy.get("exam_hiring.min_education", EXH_E5.id))
    recognised = ctx.case.data.get("diploma_recognised") is True
    if minimum not in EDUCATION_RANK:
        raise DefinitionError(f"exam_hiring.min_education = {minimum!r} is not an education level")
    if EDUCATION_RANK.get(level, -1) >= EDUCATION_RANK[minimum] and recognised:
        return Verdict.passed(EXH_E5, level=level, minimum=minimum)
    return Verdict.fail(
        EXH_E5, level=level, minimum=minimum, recognised="" if recognised else t("exam_hiring.not_recognised")
    )


def hukou_local(ctx: GuardContext) -> Verdict:
    """EXH-E6: 本市城镇户口 (`hukou_required = local_urban`; `local` = this city only; `none` = no condition).
    Soft (原则上, SOFT-1)."""
    required = str(ctx.policy.get("exam_hiring.hukou_required", EXH_E6.id))
    if required == "none":
        return Verdict.passed(EXH_E6)
    if required not in ("local", "local_urban"):
        raise DefinitionError(f"exam_hiring.hukou_required = {required!r} is not implemented")
    city = str(ctx.policy.get("exam_hiring.hukou_city", EXH_E6.id)).strip()
    given_city = str(ctx.case.data.get("hukou_city") or "").strip()
    urban = ctx.case.data.get("hukou_urban") is True
    ok = given_city == city and (urban or required == "local")
    if ok:
        return Verdict.passed(EXH_E6, city=city)
    given = t(
        "exam_hiring.hukou_given",
        city=given_city or "—",
        kind=t("exam_hiring.hukou_urban" if urban else "exam_hiring.hukou_rural"),
    )
    return Verdict.fail(
        EXH_E6,
        soft=ctx.policy.bool("exam_hiring.hukou_soft", EXH_E6.id),
        city=city,
        given=given,
        kind=t(f"exam_hiring.hukou_required.{required}"),
    )


ELIGIBILITY: tuple[Guard, ...] = (
    *(attested(rule, name) for rule, name in ATTESTATIONS),
    age_within_limit,
    education_sufficient,
    hukou_local,
)


def review_results(ctx: GuardContext, *, qualified: bool) -> dict[str, Any]:
    """The result per rule of C-2 (EXH-E1…E6). A failed rule of a qualified candidate was overridden
    (the engine let it pass only with an override of the pack's role, SOFT-1)."""
    results: dict[str, Any] = {}
    for guard in ELIGIBILITY:
        verdict = guard(ctx)
        assert verdict.rule is not None
        outcome = "PASS" if verdict.ok else ("OVERRIDDEN" if qualified else "FAIL")
        entry: dict[str, Any] = {"result": outcome}
        if verdict.rule.id == EXH_E4.id:
            entry.update(
                age=verdict.params["age"],
                limit=verdict.params["limit"],
                reference_date=verdict.params["reference"],
            )
        if outcome == "OVERRIDDEN":
            entry["reason"] = (ctx.payload.get("overrides") or {}).get(verdict.error_code)
        results[verdict.rule.id] = entry
    return results


def on_qualify(ctx: GuardContext) -> Effect:
    return Effect(data={"qualification": review_results(ctx, qualified=True)})


def on_disqualify(ctx: GuardContext) -> Effect:
    return Effect(data={"qualification": review_results(ctx, qualified=False)})


# ---------------------------------------------------------------- ranking (EXH-2, A-37)


def _line_no(s: Mapping[str, Any]) -> int | None:
    value = s["data"].get("line_no")
    return int(value) if value is not None else None


def line_siblings(ctx: GuardContext) -> list[Mapping[str, Any]]:
    """Every candidate case of this case's line (this one included)."""
    mine = ctx.case.data.get("line_no")
    return [s for s in ctx.facts.get("siblings") or () if mine is not None and _line_no(s) == int(mine)]


def dropped(s: Mapping[str, Any]) -> bool:
    """Left the competition after obtaining a score: their place is refilled only with 递补."""
    return s["state"] in DROPPED or (
        s["state"] == ELIMINATED and s["data"].get("elimination_reason") == ABSENT
    )


def rank_of(score: Fraction, others: Iterable[Fraction]) -> int:
    return 1 + sum(1 for o in others if o > score)


def _backfill(rec: Mapping[str, Any]) -> bool:
    return bool(rec["data"].get("allow_backfill"))


def _line(ctx: GuardContext) -> dict[str, Any]:
    line = find_line(recruitment(ctx)["data"], ctx.case.data.get("line_no"))
    assert line is not None
    return line


def shortlist_size(ctx: GuardContext) -> int:
    """⌈ratio × places⌉ interviewees for the line (decision: a fractional product rounds up, in favour of
    the candidates)."""
    ratio = fraction(recruitment(ctx)["data"].get("shortlist_ratio"))
    assert ratio is not None
    return math.ceil(ratio * int(_line(ctx)["count"]))


def written_rank(ctx: GuardContext, s: Mapping[str, Any]) -> int:
    backfill = _backfill(recruitment(ctx))
    others = [
        fraction(o["data"].get("written_score"))
        for o in line_siblings(ctx)
        if o["id"] != s["id"] and not (backfill and dropped(o))
    ]
    score = fraction(s["data"].get("written_score"))
    assert score is not None
    return rank_of(score, [o for o in others if o is not None])


def shortlisted(ctx: GuardContext, s: Mapping[str, Any]) -> bool:
    """Within the shortlist by written score. Everyone tied with the last shortlisted place is shortlisted
    too (decision: 末位同分一并入围 — nobody is cut by an arbitrary order)."""
    return written_rank(ctx, s) <= shortlist_size(ctx)


def _written_pending(ctx: GuardContext) -> list[Mapping[str, Any]]:
    return [s for s in line_siblings(ctx) if s["state"] in (APPLIED, QUALIFIED)]


def _self(ctx: GuardContext) -> Mapping[str, Any]:
    return {"id": ctx.case.id, "state": ctx.case.state, "data": ctx.case.data}


def in_shortlist(ctx: GuardContext) -> Verdict:
    """C-4: the 面试 score is recorded only for a shortlisted candidate, once every written score of the
    line is in (no line candidate still under review or waiting for the written exam)."""
    waiting = _written_pending(ctx)
    if waiting:
        return Verdict.fail(
            EXH_2,
            "EXH_SCORES_INCOMPLETE",
            line_no=_line(ctx)["line_no"],
            count=len(waiting),
            stage=t("exam_hiring.stage.before_shortlist"),
        )
    me = _self(ctx)
    rank, size = written_rank(ctx, me), shortlist_size(ctx)
    if rank <= size:
        return Verdict.passed(EXH_2, rank=rank, size=size)
    return Verdict.fail(
        EXH_2,
        "EXH_NOT_SHORTLISTED",
        score=show(fraction(me["data"]["written_score"]) or Fraction(0)),
        rank=rank,
        size=size,
    )


def composite(data: Mapping[str, Any], weight: Fraction) -> Fraction | None:
    """A-37: composite = w·written + (1−w)·interview, exact."""
    written, interview = fraction(data.get("written_score")), fraction(data.get("interview_score"))
    if written is None or interview is None:
        return None
    return weight * written + (1 - weight) * interview


def on_interview(ctx: GuardContext) -> Effect:
    weight = fraction(recruitment(ctx)["data"].get("written_weight"))
    assert weight is not None
    score = composite({**ctx.case.data, **ctx.payload}, weight)
    assert score is not None
    return Effect(
        data={
            "written_rank": written_rank(ctx, _self(ctx)),
            "shortlist_size": shortlist_size(ctx),
            "composite_score": str(score),
            "composite_display": show(score),
        }
    )


SELECTED = "SELECTED"
TIE = "TIE"
NOT_IN = "NOT_SELECTED"
PENDING = "PENDING"


def selection(ctx: GuardContext) -> tuple[str, dict[str, Any]]:
    """EXH-2: where this candidate stands for the line's places by composite score.

    PENDING — a candidate of the line still waits for a written score or (shortlisted) an interview score;
    SELECTED — fewer than `places` competitors are ahead and the whole group tied with it fits;
    TIE — tied at the last place(s) with more candidates than places left: a manual choice with a recorded
    reason (`tie_break_reason`) selects it while places are left in the tie (TIE with params.left > taken);
    NOT_SELECTED — `places` or more are ahead, or the tied places were already given to others.
    """
    line = _line(ctx)
    waiting = _written_pending(ctx) + [
        s for s in line_siblings(ctx) if s["state"] == WRITTEN_DONE and shortlisted(ctx, s)
    ]
    params: dict[str, Any] = {"line_no": line["line_no"], "places": int(line["count"])}
    if waiting:
        return PENDING, {**params, "count": len(waiting)}
    rec = recruitment(ctx)
    weight = fraction(rec["data"].get("written_weight"))
    assert weight is not None
    mine = composite(ctx.case.data, weight)
    assert mine is not None
    pool = [
        s
        for s in line_siblings(ctx)
        if s["id"] != ctx.case.id
        and composite(s["data"], weight) is not None
        and not (_backfill(rec) and dropped(s))
    ]
    scores = [(s, composite(s["data"], weight)) for s in pool]
    higher = sum(1 for _, sc in scores if sc is not None and sc > mine)
    tied = [s for s, sc in scores if sc == mine]
    places = int(line["count"])
    params.update(score=show(mine), rank=higher + 1, ties=len(tied))
    if higher >= places:
        return NOT_IN, params
    if higher + len(tied) + 1 <= places:
        return SELECTED, params
    left = places - higher
    taken = sum(1 for s in tied if s["data"].get("tie_break_reason"))
    params.update(left=left, taken=taken)
    return (TIE if taken < left else NOT_IN), params


def selected_for(stage: str) -> Guard:
    """C-5 / C-8 (EXH-2 择优): only a candidate within the line's places by composite rank goes on to
    考察 and to appointment; a tie at the last place needs a recorded reason."""

    def guard(ctx: GuardContext) -> Verdict:
        outcome, params = selection(ctx)
        params = {**params, "stage": t(f"exam_hiring.stage.{stage}")}
        if outcome == SELECTED:
            return Verdict.passed(EXH_2, **params)
        if outcome == PENDING:
            return Verdict.fail(
                EXH_2, "EXH_SCORES_INCOMPLETE", **{**params, "stage": t("exam_hiring.stage.before_selection")}
            )
        if outcome == TIE:
            if str(ctx.value("tie_break_reason") or "").strip():
                return Verdict.passed(EXH_2, **params)
            return Verdict.fail(EXH_2, "EXH_RANK_TIE", **params)
        return Verdict.fail(EXH_2, **params)

    guard.__name__ = f"selected_for_{stage}"
    return guard


def may_eliminate(ctx: GuardContext) -> Verdict:
    """C-4 / C-5: 淘汰 for not being shortlisted or not selected only when the ranking says so; ABSENT (缺考,
    放弃) needs no ranking."""
    reason = ctx.value("elimination_reason")
    if reason == ABSENT:
        return Verdict.passed(EXH_2)
    if reason == NOT_SHORTLISTED and ctx.case.state == WRITTEN_DONE:
        verdict = in_shortlist(ctx)
        if verdict.error_code == "EXH_NOT_SHORTLISTED":
            return Verdict.passed(EXH_2)
        if verdict.ok:
            return Verdict.fail(EXH_2, "EXH_SHORTLISTED", **verdict.params)
        return verdict
    if reason == NOT_SELECTED and ctx.case.state == INTERVIEW_DONE:
        outcome, params = selection(ctx)
        if outcome == NOT_IN:
            return Verdict.passed(EXH_2)
        if outcome == PENDING:
            return Verdict.fail(
                EXH_2, "EXH_SCORES_INCOMPLETE", **{**params, "stage": t("exam_hiring.stage.before_selection")}
            )
        if outcome == TIE:
            return Verdict.fail(
                EXH_2, "EXH_RANK_TIE", **{**params, "stage": t("exam_hiring.stage.inspection")}
            )
        return Verdict.fail(EXH_2, "EXH_SELECTED", **params)
    return Verdict.fail(
        EXH_2,
        "EXH_ELIMINATION_REASON",
        reason=t(f"exam_hiring.elimination.{reason}"),
        state=t(f"procedures.exam_candidate.states.{ctx.case.state}"),
    )


def on_selected(ctx: GuardContext) -> Effect:
    outcome, params = selection(ctx)
    data: dict[str, Any] = {"composite_rank": params.get("rank")}
    if outcome == TIE:
        data["tie_break"] = {
            "reason": ctx.value("tie_break_reason"),
            "by": ctx.actor.login,
            "tied": params.get("ties", 0) + 1,
            "places_left": params.get("left"),
        }
    return Effect(data=data)


# ---------------------------------------------------------------- C-7: optional publicity (PUB, A-13)


def publicity_days(ctx: GuardContext) -> int:
    return ctx.policy.int("exam_hiring.publicity_days", EXH_PUBLICITY.id)


def publicity_configured(ctx: GuardContext) -> Verdict:
    """C-7: a publicity step exists only when the pack sets `exam_hiring.publicity_days` > 0 (A-13)."""
    if publicity_days(ctx) > 0:
        return Verdict.passed(EXH_PUBLICITY)
    return Verdict.fail(EXH_PUBLICITY, "EXH_PUBLICITY_NOT_CONFIGURED")


def publicity_last_day(ctx: GuardContext, posted: date) -> tuple[date, bool]:
    """CAL-2 through the shared PUB pieces: N calendar days, the posting day is day 1 (A-01, A-03), moved
    to the next working day only when the pack says so (A-04)."""
    return pub.last_day(ctx.policy, posted, publicity_days(ctx), EXH_PUBLICITY.id, ctx.calendar)


def on_publicity_posted(ctx: GuardContext) -> Effect:
    posted = as_date(ctx.value("exam_publicity_posted_on"))
    assert posted is not None
    last, extended = publicity_last_day(ctx, posted)
    return Effect(
        data={
            "publicity_days": publicity_days(ctx),
            "publicity_last_day": last.isoformat(),
            "publicity_extended": extended,
        }
    )


def publicity_end_due(ctx: GuardContext) -> DeadlineDue:
    """C-7: at the end of the period's last day (CAL-2 through the shared PUB period, re-derivable)."""
    last = as_date(ctx.case.data["publicity_last_day"])
    posted = as_date(ctx.case.data["exam_publicity_posted_on"])
    assert last is not None
    assert posted is not None
    days = int(ctx.case.data["publicity_days"])
    return deadline(pub.period(ctx.policy, posted, days, EXH_PUBLICITY.id), ctx.calendar,
                    posted_on=posted.isoformat(), last_day=last.isoformat(), days=days,
                    rule_text=t("exam_hiring.basis.publicity", last_day=last.isoformat()))


def on_publicity_ended(ctx: GuardContext) -> Effect:
    return Effect(data={"publicity_ended_at": ctx.now.isoformat()})


def publicity_cleared(ctx: GuardContext) -> Verdict:
    """C-8: where the pack requires publicity, the appointment follows its end (A-13)."""
    days = publicity_days(ctx)
    if days == 0 or ctx.case.state == PUBLICITY_ENDED:
        return Verdict.passed(EXH_PUBLICITY)
    return Verdict.fail(EXH_PUBLICITY, days=days)


# ---------------------------------------------------------------- C-8: appointment


def line_has_place(ctx: GuardContext) -> Verdict:
    """C-8: the line is not closed and not yet filled."""
    rec = recruitment(ctx)
    line = _line(ctx)
    closed = closed_lines(rec["data"]).get(str(line["line_no"]))
    if closed:
        return Verdict.fail(
            EXH_LINE,
            "EXH_LINE_CLOSED",
            line_no=line["line_no"],
            closed_on=closed["closed_on"],
            reason=closed["reason"],
        )
    filled = sum(1 for s in line_siblings(ctx) if s["state"] == APPOINTED)
    if filled >= int(line["count"]):
        return Verdict.fail(
            EXH_1, "EXH_LINE_FILLED", line_no=line["line_no"], count=line["count"], filled=filled
        )
    return Verdict.passed(EXH_1)


def vacancy_still_free(ctx: GuardContext) -> Verdict:
    """C-8 re-checks EXH-1 at the moment of appointment: the place being filled must still fit the limit,
    i.e. limit − active − holdover − places reserved by OTHER lines (of any open recruitment) ≥ 1.
    Decision: the check is per appointment (the place being filled), so a limit lowered after the plan
    still lets the places that fit be filled."""
    staffing = ctx.facts.get("staffing")
    assert staffing is not None
    exclude = (recruitment(ctx)["id"], int(_line(ctx)["line_no"]))
    if free_places(staffing, exclude) >= 1:
        return Verdict.passed(EXH_1)
    return Verdict.fail(EXH_1, detail=vacancy_detail(staffing, 1, exclude))


def not_already_employed(ctx: GuardContext) -> Verdict:
    """A person holds one appointment at a time (decision: someone already in service must leave that post
    first; seed 000 第二条 — one appointing authority)."""
    worker = ctx.facts.get("existing_worker")
    if worker is None or not worker.get("active"):
        return Verdict.passed(EXH_EMPLOYED)
    return Verdict.fail(EXH_EMPLOYED, id=idcard.mask(str(ctx.case.data.get("id_number"))))


def start_within_term(ctx: GuardContext) -> Verdict:
    """TERM-5 (A-11): a mid-term appointment starts within the term it ends with."""
    term = ctx.facts.get("term")
    assert term is not None
    start = as_date(ctx.value("appointed_from"))
    first, last = as_date(term["start_date"]), as_date(term["end_date"])
    if start is not None and first is not None and last is not None and first <= start <= last:
        return Verdict.passed(EXH_TERM_5)
    return Verdict.fail(
        EXH_TERM_5,
        start=start.isoformat() if start else "—",
        term_start=term["start_date"],
        term_end=term["end_date"],
    )


def on_appoint(ctx: GuardContext) -> Effect:
    """C-8: the appointment in the line's community and category, ending with the term (TERM-5, A-11); a
    personnel record is created from the registration unless one exists for the ID number."""
    line = _line(ctx)
    term = ctx.facts["term"]
    start = as_date(ctx.value("appointed_from"))
    assert start is not None
    ends_with_term = ctx.policy.bool("term.appointment_ends_with_term", EXH_TERM_5.id)
    end = as_date(term["end_date"]) if ends_with_term else None
    existing = ctx.facts.get("existing_worker")
    data = ctx.case.data
    new_worker = (
        None
        if existing
        else {
            "id_number": data["id_number"],
            "name": data["candidate_name"],
            "gender": data["gender"],
            "birth_date": as_date(data["birth_date"]),
            "phone": data.get("phone"),
            "education": data.get("education"),
            "hukou_city": data.get("hukou_city"),
            "hukou_urban": data.get("hukou_urban"),
            "category": line["category"],
            "community_id": line["community_id"],
            "record": {
                "diploma": {
                    "institution": data.get("graduated_from"),
                    "no": data.get("diploma_no"),
                    "recognised": data.get("diploma_recognised"),
                },
                "hired_by_case": ctx.case.id,
            },
        }
    )
    action = CreateAppointment(
        worker_id=existing["id"] if existing else None,
        community_id=int(line["community_id"]),
        category=str(line["category"]),
        position=None,
        method=HIRING_METHOD,
        start_date=start,
        end_date=end,
        term_id=int(recruitment(ctx)["data"]["term_id"]),
        decision_no=str(ctx.value("appointment_decision_no")),
        new_worker=new_worker,
    )
    return Effect(
        data={"appointment_end": end.isoformat() if end else None, "appointment_term_id": action.term_id},
        actions=(action,),
    )


def on_withdraw(ctx: GuardContext) -> Effect:
    return Effect(data={"withdrawn_from": ctx.case.state})
