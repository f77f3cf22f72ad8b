"""Rendering: one sandboxed Jinja2 environment, `StrictUndefined`, autoescaping for HTML.

A notification is rendered at dispatch time from the context snapshot its outbox row carries (written in the
transition's own transaction, see `notifications.outbox.snapshot`), never from the live case: what people
receive describes the event as it happened.

Safety:
- `SandboxedEnvironment`: templates cannot reach Python internals; user-supplied values (names, reasons,
  objections) are only ever *values*, never compiled as templates, so `{{ ... }}` typed by a user is inert.
- HTML templates (`*.html.j2`) are autoescaped; plain text needs no escaping.
- Every value printed passes `finalize`, which masks ID numbers and mobile numbers (notifications.masking);
  the whole output is masked once more as a safety net.
- `StrictUndefined`: a template that names a value the event does not carry fails loudly
  (`NOTIFICATION_RENDER_FAILED`), and the dispatcher dead-letters that row instead of sending a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from engine import queries
from engine.clock import LOCAL_TZ
from engine.errors import ShequFlowError
from engine.text import has, join_list, t
from notifications.kinds import KindSpec, spec_for
from notifications.masking import mask_text
from storage.records import STREET_KINDS


class RenderError(ShequFlowError):
    """A notification cannot be rendered from its snapshot (a permanent failure: retrying cannot help)."""

    exit_code = 2


@dataclass(frozen=True)
class Rendered:
    kind: str
    template: str
    printable: bool
    subject: str
    text: str
    html: str


# ---------------------------------------------------------------- environment and filters


def cn_date(value: Any) -> str:
    """`2025-01-06` (a date, an aware datetime in China time, or an ISO string) → `2025年1月6日`."""
    day = as_date(value)
    return t("notifications.date", y=day.year, m=day.month, d=day.day)


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    if "T" in text:
        return as_date(datetime.fromisoformat(text))
    return date.fromisoformat(text)


def cn_datetime(value: Any) -> str:
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    local = instant.astimezone(LOCAL_TZ)
    return t("notifications.datetime", y=local.year, m=local.month, d=local.day, hm=f"{local:%H:%M}")


def _finalize(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if value is None:
        return ""
    return value


def _loader() -> jinja2.BaseLoader:
    folder = resources.files("notifications") / "templates"
    return jinja2.FileSystemLoader(str(folder))


@cache
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=_loader(),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        finalize=_finalize,
        trim_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["d"] = cn_date
    env.filters["dt"] = cn_datetime
    env.globals["t"] = t
    return env


# ---------------------------------------------------------------- labels and org names


def _role_label(role: str | None) -> str:
    if role == "worker":
        return t("notifications.recipient_worker")
    return queries.role_label(role)


def issuer(role: str | None, org: Mapping[str, Any]) -> str:
    """The body that issues a document, named from the org units: `东华街道办事处`, `东区民政局`."""
    street = org.get("street") or {}
    district = org.get("district") or {}
    community = org.get("community") or {}
    town = street.get("kind") == STREET_KINDS[1]  # 镇: a town government rather than a street office
    key = f"notifications.issuer.{role}{'_town' if town else ''}"
    if not has(key):
        key = f"notifications.issuer.{role}"
    if not has(key):
        return queries.role_label(role) or t("notifications.issuer.SYSTEM")
    return t(key, street=street.get("name", ""), district=district.get("name", ""),
             community=community.get("name", ""))


def _regulation(pack: str | None) -> str:
    code = (pack or "").split("@")[0]
    key = f"notifications.regulation.{code}"
    return t(key) if has(key) else ""


# ---------------------------------------------------------------- the template context


def template_context(kind: str, payload: Mapping[str, Any], *, contact: str | None = None,
                     recipient: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything a template may use, from the row's payload (`context` snapshot, `notice_to`, `reminder`)."""
    spec = spec_for(kind)
    about_term = payload.get("context")
    if isinstance(about_term, Mapping) and about_term.get("case") is None and about_term.get("term"):
        return _term_context(kind, payload, about_term, contact=contact, recipient=recipient)
    try:
        snap = payload["context"]
        case = dict(snap["case"])
        event = dict(snap["event"])
        org = dict(snap.get("org") or {})
        procedure = case["procedure"]
        data = case["data"]
    except (KeyError, TypeError) as exc:
        problem = f"snapshot {exc}"
        raise RenderError("NOTIFICATION_RENDER_FAILED", details={"kind": kind, "problem": problem}) from exc
    actor = event.get("actor") or {}
    case.update(
        procedure_title=queries.procedure_title(procedure),
        state_label=queries.state_label(procedure, case.get("state")),
        from_state_label=queries.state_label(procedure, case.get("from_state")),
    )
    event.update(
        trigger_label=queries.action_label(procedure, event.get("trigger", "")),
        actor_name=actor.get("name", ""),
        actor_role=actor.get("role", ""),
        actor_role_label=queries.role_label(actor.get("role")),
        at_local=cn_datetime(event["at"]) if event.get("at") else "",
        citations=list(dict.fromkeys(queries.split_citations(event.get("citations") or []))),
    )
    person = _person(snap, data)
    to = [(person["name"] or _role_label(r)) if r == "worker" else issuer(r, org)
          for r in payload.get("notice_to") or []]
    parts = [case["procedure_title"], person["name"], (org.get("community") or {}).get("name")]
    about = t("notifications.comma").join(p for p in parts if p)
    case_line = t("notifications.case_line", case=case["id"], about=about)
    ctx: dict[str, Any] = {
        "kind": kind,
        "printable": spec.printable,
        "case": case,
        "data": data,
        "event": event,
        "person": person,
        "community": org.get("community"),
        "street": org.get("street"),
        "district": org.get("district"),
        "org": org,
        "to": to,
        "recipient": dict(recipient or {}),
        "regulation": _regulation(snap.get("pack")),
        "contact": contact,
        "reminder": payload.get("reminder") or {},
        "next_steps": [
            {"label": queries.action_label(procedure, s["trigger"]),
             "roles": join_list(queries.role_label(r) for r in s.get("roles") or [])}
            for s in snap.get("next") or []
        ],
        "system_name": t("notifications.system_name"),
        "case_line": case_line,
    }
    return _with_document(ctx, spec, kind)


def _term_context(kind: str, payload: Mapping[str, Any], snap: Mapping[str, Any], *, contact: str | None,
                  recipient: Mapping[str, Any] | None) -> dict[str, Any]:
    """The context of a row about a term, not a case (term-ending reminders, workflows.terms): `term` and
    `district` instead of a case and a person; `case.id` is None (the templates then show the term)."""
    spec = spec_for(kind)
    try:
        term = dict(snap["term"])
        event = dict(snap["event"])
        org = dict(snap.get("org") or {})
    except (KeyError, TypeError) as exc:
        raise RenderError("NOTIFICATION_RENDER_FAILED",
                          details={"kind": kind, "problem": f"snapshot {exc}"}) from exc
    actor = event.get("actor") or {}
    trigger = str(event.get("trigger") or "")
    event.update(
        trigger_label=queries.label(f"terms.triggers.{trigger}", trigger),
        actor_name=actor.get("name", ""),
        actor_role=actor.get("role", ""),
        actor_role_label=queries.role_label(actor.get("role")),
        at_local=cn_datetime(event["at"]) if event.get("at") else "",
        citations=list(dict.fromkeys(queries.split_citations(event.get("citations") or []))),
    )
    ctx: dict[str, Any] = {
        "kind": kind,
        "printable": spec.printable,
        "case": {"id": None, "procedure": None, "procedure_title": "", "state_label": "",
                 "from_state_label": "", "data": {}},
        "data": {"term_ordinal": term.get("ordinal")},
        "term": term,
        "event": event,
        "person": {"name": "", "gender": "", "id_number": "", "category": "", "position": ""},
        "community": None,
        "street": None,
        "district": org.get("district"),
        "org": org,
        "to": [issuer(r, org) for r in payload.get("notice_to") or []],
        "recipient": dict(recipient or {}),
        "regulation": _regulation(snap.get("pack")),
        "contact": contact,
        "reminder": payload.get("reminder") or {},
        "next_steps": [],
        "system_name": t("notifications.system_name"),
        "case_line": "",
    }
    return _with_document(ctx, spec, kind)


def _person(snap: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The person concerned: the worker of the case, or the candidate of an exam-hiring case."""
    worker = snap.get("worker")
    if worker:
        return {
            "name": worker.get("name", ""),
            "gender": t(f"cli.gender.{worker.get('gender')}") if worker.get("gender") else "",
            "id_number": worker.get("id_number") or "",
            "category": queries.category_label(worker.get("category")),
            "position": worker.get("position") or "",
        }
    return {
        "name": data.get("candidate_name", ""),
        "gender": t(f"cli.gender.{data.get('gender')}") if data.get("gender") else "",
        "id_number": data.get("id_number") or "",
        "category": queries.category_label(data.get("category")),
        "position": "",
    }


# ---------------------------------------------------------------- per-template data (strict: KeyError fails)


def _actor_issuer(ctx: Mapping[str, Any], system_role: str) -> str:
    role = ctx["event"]["actor_role"]
    return issuer(system_role if role in ("SYSTEM", "", None) else role, ctx["org"])


def _publicity(ctx: Mapping[str, Any]) -> dict[str, Any]:
    data, case = ctx["data"], ctx["case"]
    if case["procedure"] == "exam_candidate":
        return {
            "title": t("notifications.titles.publicity_exam"),
            "posted_on": data["exam_publicity_posted_on"],
            "last_day": data["publicity_last_day"],
            "days": data["publicity_days"],
            "place": data["exam_publicity_place"],
            "doc_ref": data.get("exam_publicity_ref") or "",
            "education": data["education"],
            "category": queries.category_label(data["category"]),
            "position": "",
            "receiver": issuer("DISTRICT_CIVIL_AFFAIRS", ctx["org"]),
            "issuer": _actor_issuer(ctx, "DISTRICT_CIVIL_AFFAIRS"),
            "exam": True,
        }
    return {
        "title": t("notifications.titles.publicity_rehire"),
        "posted_on": data["posted_on"],
        "last_day": data["publicity_last_day"],
        "days": data["publicity_days"],
        "place": data["publicity_place"],
        "doc_ref": data.get("publicity_doc_ref") or "",
        "education": "",
        "category": queries.category_label(data["appointment_category"]),
        "position": data.get("appointment_position") or "",
        "receiver": issuer("STREET_OFFICE", ctx["org"]),
        "decider": issuer("STREET_PARTY_COMMITTEE", ctx["org"]),
        "issuer": _actor_issuer(ctx, "STREET_OFFICE"),
        "exam": False,
    }


def _appointment(ctx: Mapping[str, Any]) -> dict[str, Any]:
    data, case = ctx["data"], ctx["case"]
    if case["procedure"] == "exam_candidate":
        return {
            "decision_no": data["appointment_decision_no"],
            "decided_on": data["decided_on"],
            "start": data["appointed_from"],
            "end": data["appointment_end"],
            "category": queries.category_label(data["category"]),
            "position": "",
            "exam": True,
            "issuer": _actor_issuer(ctx, "DISTRICT_CIVIL_AFFAIRS"),
        }
    return {
        "decision_no": data["rehire_approval_no"],
        "decided_on": data["rehire_decided_on"],
        "start": data["successor_start_date"],
        "end": data["successor_end_date"],
        "category": queries.category_label(data["appointment_category"]),
        "position": data.get("appointment_position") or "",
        "exam": False,
        "issuer": _actor_issuer(ctx, "DISTRICT_CIVIL_AFFAIRS"),
    }


# The recorded opinion behind each negative 考核聘用 step (spec §4.3): shown on the 不予聘用通知.
NOT_REHIRED_NOTES = {
    "street_reject": "review_opinion",
    "bureau_deny_application": "application_denial_reason",
    "party_decide_not_hire": "party_decision_note",
    "conclude_objection_affects": "conclusion_note",
    "bureau_reject_rehire": "rehire_rejection_reason",
    "close_moot": "moot_reason",
}


def _not_rehired(ctx: Mapping[str, Any]) -> dict[str, Any]:
    data, event = ctx["data"], ctx["event"]
    trigger = event["trigger"]
    reasons: list[dict[str, str]] = []
    if trigger == "thresholds_failed":
        for failure in data["vote_failures"]:
            reasons.append({"rule": failure["rule_id"], "text": failure["message"]})
    else:
        for code in data["not_rehired_reasons"]:
            reasons.append({"rule": "", "text": t(f"rehire.reasons.{code}")})
    objections = []
    if trigger == "conclude_objection_affects":
        objections = [
            {"id": o["id"], "content": o.get("content") or "",
             "note": (o.get("finding") or {}).get("note") or ""}
            for o in data.get("objections") or []
            if (o.get("finding") or {}).get("finding") == "SUBSTANTIATED_AFFECTING"
        ]
    note_field = NOT_REHIRED_NOTES.get(trigger)
    return {
        "reasons": reasons,
        "objections": objections,
        "note": data.get(note_field) if note_field else "",
        "note_label": queries.field_label(note_field) if note_field else "",
        "citations": event["citations"],
        "issuer": _actor_issuer(ctx, "STREET_OFFICE"),
    }


def _resignation_approved(ctx: Mapping[str, Any]) -> dict[str, Any]:
    data = ctx["data"]
    return {
        "submitted_on": data["submitted_on"],
        "decided_on": data["decided_on"],
        "minutes_ref": data["minutes_ref"],
        "separation_date": data["separation_date"],
        "filing_body": issuer("DISTRICT_CIVIL_AFFAIRS", ctx["org"]),
        "issuer": _actor_issuer(ctx, "STREET_PARTY_COMMITTEE"),
    }


def _resignation_returned(ctx: Mapping[str, Any]) -> dict[str, Any]:
    data = ctx["data"]
    return {
        "submitted_on": data["submitted_on"],
        "decided_on": data["decided_on"],
        "reason": data["return_reason"],
        "issuer": _actor_issuer(ctx, "STREET_PARTY_COMMITTEE"),
    }


def _resignation_effective(ctx: Mapping[str, Any]) -> dict[str, Any]:
    return {"separated_on": ctx["data"]["separated_on"]}


def _overdue(ctx: Mapping[str, Any]) -> dict[str, Any]:
    data, case = ctx["data"], ctx["case"]
    if case["procedure"] == "resignation":
        return {"what": t("notifications.overdue.resignation", submitted=cn_date(data["submitted_on"]),
                          due=cn_date(data["requested_separation_date"]))}
    reminder = ctx["reminder"]
    return {"what": t("notifications.overdue.generic", step=case["state_label"],
                      due=cn_datetime(reminder["due_at"]))}


# Stored data: the prefix of a seed 000 citation (workflows.citations.S000), whose grounds are 第二十三条's.
SEED_000 = "seed 000 "


def _ground(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ground, its label and citation; `seed000`: a ground of seed 000 第二十三条 (a pack's own ground,
    e.g. CHUZHOU DIS-CHZ-3, is cited by its own source only, never as 第二十三条)."""
    ground = data["ground"]
    citation = str(data["ground_citation"])
    return {"id": ground, "label": t(f"dismissal.grounds.{ground}"), "citation": citation,
            "seed000": citation.startswith(SEED_000)}


def _dismissal_opened(ctx: Mapping[str, Any]) -> dict[str, Any]:
    data = ctx["data"]
    return {"ground": _ground(data), "allegation": data.get("allegation") or "",
            "computed": data["ground_kind"] == "computed", "opened_on": data["opened_on"]}


def _dismissal_decision(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """The decision (approve) and its taking effect, in the words of the case's outcome: DISMISSED or,
    for a pack ground that eliminates (CHUZHOU, DECISIONS 14), ELIMINATED."""
    from workflows.guards.dismissal import GROUND_OUTCOME  # workflows import the engine, which sends notices

    data, event = ctx["data"], ctx["event"]
    effective = event["trigger"] == "take_effect"
    outcome = GROUND_OUTCOME.get(str(data["ground"]), "DISMISSED")
    return {
        "title": t(f"notifications.decision_titles.{outcome}.{'effective' if effective else 'decision'}"),
        "outcome": t(f"notifications.decision_outcomes.{outcome}"),
        "effective": effective,
        "ground": _ground(data),
        "allegation": data.get("allegation") or "",
        "meeting_date": data["meeting_date"],
        "minutes_ref": data["minutes_ref"],
        "decision_no": data["decision_no"],
        "decision_date": data["decision_date"],
        "effective_date": data["effective_on"] if effective else data["effective_date"],
        "last_day": data["last_day_of_service"] if effective else "",
        "committee": issuer("STREET_PARTY_COMMITTEE", ctx["org"]),
        "issuer": issuer("DISTRICT_CIVIL_AFFAIRS", ctx["org"]),
    }


def _dismissal_closed(ctx: Mapping[str, Any]) -> dict[str, Any]:
    data, event = ctx["data"], ctx["event"]
    if event["trigger"] == "close_unfounded":
        return {"ground": _ground(data), "why": data["unfounded_reason"], "ref": data["minutes_ref"],
                "corrected": False}
    return {"ground": _ground(data), "why": data.get("correction_reason") or "",
            "ref": data["correction_ref"], "corrected": True}


def _publicity_ending(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Reminder rows of the deadline sweep (engine.reminders): `days_left`, `end_day`, `due_at`."""
    data, reminder = ctx["data"], ctx["reminder"]
    return {"last_day": reminder.get("end_day") or data["publicity_last_day"],
            "days_left": reminder.get("days_left")}


def _term_ending(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """`end_day` (or `term_end`) and `days_left`; the term's ordinal when the reminder or the case has it."""
    reminder, data = ctx["reminder"], ctx["data"]
    ordinal = reminder.get("term_ordinal") or data.get("term_ordinal") or data.get("ordinal")
    return {"ordinal": ordinal, "end_date": reminder.get("end_day") or reminder["term_end"],
            "days_left": reminder["days_left"], "renewal_open": bool(reminder.get("renewal_open"))}


_PREPARE: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "publicity": _publicity,
    "appointment": _appointment,
    "not_rehired": _not_rehired,
    "resignation_approved": _resignation_approved,
    "resignation_returned": _resignation_returned,
    "resignation_effective": _resignation_effective,
    "overdue": _overdue,
    "dismissal_opened": _dismissal_opened,
    "dismissal_decision": _dismissal_decision,
    "dismissal_closed": _dismissal_closed,
    "reminder_publicity_ending": _publicity_ending,
    "reminder_term_ending": _term_ending,
}


# ---------------------------------------------------------------- rendering


def render(kind: str, payload: Mapping[str, Any], *, contact: str | None = None,
           recipient: Mapping[str, Any] | None = None) -> Rendered:
    """Subject, plain text and HTML of one notification. Raises RenderError when the snapshot lacks what
    the template needs (StrictUndefined) or the template is broken."""
    spec: KindSpec = spec_for(kind)
    ctx = template_context(kind, payload, contact=contact, recipient=recipient)
    env = environment()
    try:
        text = env.get_template(f"{spec.template}.txt.j2").render(ctx)
        html = env.get_template(f"{spec.template}.html.j2").render(ctx)
    except jinja2.TemplateError as exc:
        raise RenderError("NOTIFICATION_RENDER_FAILED",
                          details={"kind": kind, "problem": f"{type(exc).__name__}: {exc}"}) from exc
    subject = t(f"notifications.subjects.{spec.template}", title=ctx["title"], case=ctx["case"]["id"],
                name=ctx["person"]["name"], procedure=ctx["case"]["procedure_title"])
    subject = " ".join(mask_text(subject).split())  # one line: no header injection through a name
    return Rendered(kind, spec.template, spec.printable, subject, mask_text(text), mask_text(html))


def _with_document(ctx: dict[str, Any], spec: Any, kind: str) -> dict[str, Any]:
    """Add the template's prepared document part (`doc`) and the title to a rendering context."""
    prepare = _PREPARE.get(spec.template)
    try:
        ctx["doc"] = prepare(ctx) if prepare else {}
    except (KeyError, TypeError, ValueError) as exc:
        raise RenderError("NOTIFICATION_RENDER_FAILED",
                          details={"kind": kind, "problem": f"{type(exc).__name__}: {exc}"}) from exc
    ctx["title"] = ctx["doc"].get("title") or t(f"notifications.titles.{spec.template}")
    return ctx
