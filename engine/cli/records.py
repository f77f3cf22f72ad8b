"""`shequ record`: record and correct the worker facts behind the computed dismissal grounds (annual FINAL
grades, absence days, elected office after 换届; spec §4.7 DIS-G7a/G7b/G8/G9, §4.4.2) through
`workflows.records.Records`, as the `--as` user. Each write is one transaction that also re-evaluates the
grounds; the output shows what was recorded and every dismissal case it opened or closed.

Decisions (the spec names no command line):
- `--kind` accepts the code, the full label (无正当理由逾期不归) or the short form (逾期不归,
  cli.records.kind_short).
- `record correct` takes the table as grades/absences/office or its table name; an option that the table
  has no field for, or new values together with `--withdraw`, is refused (exit 2) rather than ignored.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import click

from engine import queries
from engine.app import App
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, fmt, labelled, when
from engine.cli.params import DATE
from engine.errors import InvalidInput
from engine.policy import get_pack
from engine.text import join_list, t
from workflows import appointment_flags as af
from workflows.records import ABSENCE_TABLE, GRADES_TABLE, OFFICE_TABLE, RecordResult

TABLES: dict[str, str] = {"grades": GRADES_TABLE, "absences": ABSENCE_TABLE, "office": OFFICE_TABLE}
KIND_CODES = ("ABSENTEEISM", "OVERSTAY")

# `record correct` options → (table the field belongs to, field name in Records.correct `changes`).
CORRECTION_OPTIONS: dict[str, tuple[str, str]] = {
    "year": (GRADES_TABLE, "year"), "grade": (GRADES_TABLE, "grade"),
    "day": (ABSENCE_TABLE, "day"), "half": (ABSENCE_TABLE, "fraction"), "kind": (ABSENCE_TABLE, "kind"),
    "election_date": (OFFICE_TABLE, "election_date"), "in_office": (OFFICE_TABLE, "in_office"),
    "position": (OFFICE_TABLE, "position"), "term_id": (OFFICE_TABLE, "term_id"),
}
OPTION_NAMES = {"year": "--year", "grade": "--grade", "day": "--date", "half": "--half/--whole",
                "kind": "--kind", "election_date": "--election-date",
                "in_office": "--in-office/--not-in-office", "position": "--position", "term_id": "--term",
                "source": "--source"}


@click.group("record", cls=ShequGroup, help=t("cli.records.help.group"))
def group() -> None:
    pass


def _kind(value: str) -> str:
    """The absence kind code for a short form (旷工/逾期不归); anything else goes to Records unchanged,
    which accepts the code or the full label and refuses the rest naming the choices."""
    text = value.strip()
    for code in KIND_CODES:
        if text == t(f"cli.records.kind_short.{code}"):
            return code
    return text


def _table(value: str) -> str:
    text = value.strip()
    if text in TABLES:
        return TABLES[text]
    if text in TABLES.values():
        return text
    raise InvalidInput("CLI_RECORD_TABLE_UNKNOWN", t("cli.records.errors.unknown_table", table=value))


def _change_dict(app: App, change: Any) -> dict[str, Any]:
    row = queries.case_row(app.db, change.case_id)
    return {"case_id": change.case_id, "procedure": row.procedure, "ground": change.ground,
            "ground_label": queries.label(f"dismissal.grounds.{change.ground}", change.ground),
            "action": change.action, "action_label": t(f"cli.records.change.{change.action}"),
            "state": row.state, "state_label": row.state_label}


CASE_ACTIONS = {"open": "opened", "close_data_corrected": "closed_data_corrected"}


def _consequences(app: App, result: RecordResult) -> list[dict[str, Any]]:
    """What the recording transaction did besides the record itself, read from the audit entries it wrote
    after the record's own (dismissal cases opened or closed, appointment flags set, ended, lifted or
    changed), each with its audit seq, rule ids and citations."""
    if result.last_audit_seq <= result.audit_seq:
        return []
    grounds = {c.case_id: c.ground for c in result.changes}
    out: list[dict[str, Any]] = []
    for e in queries.transaction_entries(app.db, result.audit_seq + 1, result.last_audit_seq):
        item: dict[str, Any] = {"seq": e.seq, "action": e.action, "action_label": e.action_label,
                                "rule_ids": e.rule_ids, "citations": e.citations}
        if e.case_id is not None:
            ground = grounds.get(e.case_id) or e.payload.get("ground")
            row = queries.case_row(app.db, e.case_id)
            item.update({
                "kind": "case", "case_id": e.case_id, "procedure": e.procedure,
                "procedure_title": row.procedure_title, "change": CASE_ACTIONS.get(e.action, e.action),
                "ground": ground,
                "ground_label": queries.label(f"dismissal.grounds.{ground}", str(ground)) if ground else "",
                "from_state": e.from_state, "from_label": e.from_label, "to_state": e.to_state,
                "to_label": e.to_label, "state": row.state, "state_label": row.state_label})
        elif e.action.startswith(FLAG_ACTION_PREFIX):
            item.update({"kind": "appointment_flag", "flag": e.action.removeprefix(FLAG_ACTION_PREFIX),
                         "change": e.payload.get("change"), "appointment_id": e.payload.get("appointment_id"),
                         "before": e.payload.get("before"), "after": e.payload.get("after")})
        else:
            item["kind"] = "other"
        out.append(item)
    return out


FLAG_ACTION_PREFIX = "appointment."


def _consequence_line(item: dict[str, Any], pack: str | None) -> str:
    rules = join_list(item["rule_ids"]) or "—"
    cited = join_list(item["citations"]) or "—"
    if item["kind"] == "case":
        action = (t(f"cli.records.change.{item['change']}") if item["change"] in CASE_ACTIONS.values()
                  else item["action_label"])
        return t("cli.records.consequence.case", action=action, title=item["procedure_title"],
                 case=item["case_id"], ground=labelled(item["ground_label"], fmt(item["ground"])),
                 state=labelled(item["state_label"], item["state"]), source=item["from_label"] or "—",
                 dest=item["to_label"] or "—", rules=rules, citations=cited, seq=item["seq"])
    if item["kind"] == "appointment_flag":
        value = item["after"] if item["after"] is not None else item["before"]
        return t("cli.records.consequence.flag", appointment=item["appointment_id"],
                 flag=t(f"cli.records.consequence.flags.{item['flag']}"),
                 change=t(f"cli.records.consequence.changes.{item['change']}"),
                 detail=_flag_detail(item["flag"], value, pack), rules=rules, citations=cited,
                 seq=item["seq"])
    return t("cli.records.consequence.other", action=labelled(item["action_label"], item["action"]),
             rules=rules, citations=cited, seq=item["seq"])


def _flag_detail(flag: str, value: Any, pack: str | None) -> str:
    """The probation's year, tier and dates, or the exit task's year, tier, kind and role."""
    if not isinstance(value, dict):
        return "—"
    if flag == "probation":
        until = (t("appointment_flags.until_date", end=value["end"]) if value.get("end")
                 else t("appointment_flags.until_next_grade"))
        return t("cli.records.consequence.probation", year=value.get("year"), start=value.get("start"),
                 until=until, tier=_tier(pack, "assessment.probation_tier"))
    return t("cli.records.consequence.exit_task", year=value.get("year"),
             tier=_tier(pack, "assessment.exit_task_tier"),
             kind=queries.label(f"appointment_flags.exit_kind.{value.get('kind')}", str(value.get("kind"))),
             role=queries.role_label(value.get("to_role")))


def _tier(pack: str | None, key: str) -> str:
    """The pack's tier label named by a setting (e.g. HONGSHAN assessment.probation_tier 诫勉), else ""."""
    if not pack:
        return ""
    policy = get_pack(pack)
    value = policy.settings.get(key)
    return str(value) if isinstance(value, str) and policy.is_set(key) else ""


def _show_result(state: State, app: App, result: RecordResult) -> None:
    """What was recorded, the ground findings and every consequence of the transaction (dismissal cases
    opened or closed, appointment flags), in words or JSON."""
    view = queries.record_view(app.db, result.table, result.record_id)
    consequences = _consequences(app, result)
    seqs = {c["case_id"]: c for c in consequences if c["kind"] == "case"}
    cases = [{**_change_dict(app, c), **{k: seqs[c.case_id][k] for k in ("seq", "rule_ids", "citations")
                                        if c.case_id in seqs}} for c in result.changes]
    common = {"what": view.table_label, "id": view.id, "old": result.supersedes_id, "worker": view.worker_id,
              "name": view.worker_name, "value": view.value_text, "source": view.source_ref,
              "seq": result.audit_seq}
    if result.withdrawn:
        lines = [t("cli.records.withdrawn", **common)]
    elif result.supersedes_id is not None:
        lines = [t("cli.records.corrected", **common)]
    else:
        lines = [t("cli.records.recorded", **common)]
    if result.supersedes_id is not None:
        lines.append(t("cli.records.correction_basis", reason=view.reason, authority=view.authority))
    if result.findings:
        lines.append(t("cli.records.findings", findings=join_list(
            t("cli.records.finding", ground=ground,
              outcome=t("cli.records.holds") if holds else t("cli.records.not_holds"))
            for ground, holds in result.findings.items())))
    for item in result.not_evaluated:
        lines.append(t(f"cli.records.not_evaluated.{item['reason']}", **item))
    pack = queries.record_pack(app.db, view.worker_id)
    lines += [_consequence_line(item, pack) for item in consequences]
    if not any(item["kind"] == "case" for item in consequences):
        lines.append(t("cli.records.no_case_change"))
    emit(state.json, {"record": asdict(view), "audit_seq": result.audit_seq,
                      "last_audit_seq": result.last_audit_seq, "supersedes_id": result.supersedes_id,
                      "withdrawn": result.withdrawn, "findings": result.findings,
                      "not_evaluated": result.not_evaluated, "cases": cases, "consequences": consequences},
         lines)


def _source_option(required: bool = True) -> Any:
    key = "cli.records.help.opt_source" if required else "cli.records.help.opt_new_source"
    return click.option("--source", "source", required=required, metavar="REF", help=t(key))


@group.command("grade", help=t("cli.records.help.grade"))
@click.argument("worker_id", type=int, metavar="WORKER_ID")
@click.argument("year", type=int, metavar="YEAR")
@click.argument("grade", metavar="GRADE")
@_source_option()
@pass_state
def grade_cmd(state: State, worker_id: int, year: int, grade: str, source: str) -> None:
    login = state.acting()
    app = state.app()
    _show_result(state, app, app.records.record_grade(login, worker_id, year, grade, source))


@group.command("absence", help=t("cli.records.help.absence"))
@click.argument("worker_id", type=int, metavar="WORKER_ID")
@click.argument("day", type=DATE, metavar="DATE")
@click.option("--half", is_flag=True, help=t("cli.records.help.opt_half"))
@click.option("--kind", required=True, metavar="KIND", help=t("cli.records.help.opt_kind"))
@_source_option()
@pass_state
def absence_cmd(state: State, worker_id: int, day: date, half: bool, kind: str, source: str) -> None:
    login = state.acting()
    app = state.app()
    result = app.records.record_absence(login, worker_id, day, "0.5" if half else 1, _kind(kind), source)
    _show_result(state, app, result)


@group.command("office", help=t("cli.records.help.office"))
@click.argument("worker_id", type=int, metavar="WORKER_ID")
@click.argument("election_date", type=DATE, metavar="ELECTION_DATE")
@click.option("--in-office/--not-in-office", "in_office", default=None,
              help=t("cli.records.help.opt_in_office"))
@click.option("--position", help=t("cli.records.help.opt_position"))
@click.option("--term", "term_id", type=int, help=t("cli.records.help.opt_term"))
@_source_option()
@pass_state
def office_cmd(state: State, worker_id: int, election_date: date, in_office: bool | None,
               position: str | None, term_id: int | None, source: str) -> None:
    login = state.acting()
    if in_office is None:
        raise InvalidInput("CLI_RECORD_IN_OFFICE_REQUIRED", t("cli.records.errors.in_office_required"))
    app = state.app()
    result = app.records.record_office(login, worker_id, election_date, in_office, source, position=position,
                                       term_id=term_id)
    _show_result(state, app, result)


@group.command("correct", help=t("cli.records.help.correct"))
@click.argument("table_name", metavar="TABLE")
@click.argument("record_id", type=int, metavar="RECORD_ID")
@click.option("--reason", required=True, help=t("cli.records.help.opt_reason"))
@click.option("--authority", required=True, help=t("cli.records.help.opt_authority"))
@click.option("--withdraw", is_flag=True, help=t("cli.records.help.opt_withdraw"))
@click.option("--year", type=int, help=t("cli.records.help.opt_year"))
@click.option("--grade", help=t("cli.records.help.opt_grade"))
@click.option("--date", "day", type=DATE, help=t("cli.records.help.opt_day"))
@click.option("--half/--whole", "half", default=None, help=t("cli.records.help.opt_half_whole"))
@click.option("--kind", metavar="KIND", help=t("cli.records.help.opt_new_kind"))
@click.option("--election-date", "election_date", type=DATE, help=t("cli.records.help.opt_election_date"))
@click.option("--in-office/--not-in-office", "in_office", default=None,
              help=t("cli.records.help.opt_new_in_office"))
@click.option("--position", help=t("cli.records.help.opt_position"))
@click.option("--term", "term_id", type=int, help=t("cli.records.help.opt_term"))
@_source_option(required=False)
@pass_state
def correct_cmd(state: State, table_name: str, record_id: int, reason: str, authority: str, withdraw: bool,
                source: str | None, **values: Any) -> None:
    login = state.acting()
    table = _table(table_name)
    given = {name: value for name, value in values.items() if value is not None}
    if source is not None:
        given["source"] = source
    if withdraw and given:
        raise InvalidInput("CLI_RECORD_WITHDRAW_WITH_VALUES", t(
            "cli.records.errors.withdraw_with_values", options=join_list(OPTION_NAMES[n] for n in given)))
    foreign = [n for n in given if n != "source" and CORRECTION_OPTIONS[n][0] != table]
    if foreign:
        raise InvalidInput("CLI_RECORD_OPTION_NOT_APPLICABLE", t(
            "cli.records.errors.option_not_applicable", what=queries.label(f"records.table.{table}", table),
            options=join_list(OPTION_NAMES[n] for n in foreign)))
    changes: dict[str, Any] = {}
    for name, value in given.items():
        if name == "source":
            changes["source_ref"] = value
        elif name == "half":
            changes["fraction"] = "0.5" if value else 1
        elif name == "kind":
            changes["kind"] = _kind(value)
        else:
            changes[CORRECTION_OPTIONS[name][1]] = value
    app = state.app()
    result = app.records.correct(login, table, record_id, reason=reason, authority=authority,
                                 changes=changes, withdraw=withdraw)
    _show_result(state, app, result)


def history_lines(views: list[queries.RecordView]) -> list[str]:
    """Each stored row with its kind, value, status (current / corrected by / withdrawn), basis and who."""
    newer_kind = {(v.table, v.supersedes_id): v.kind for v in views if v.supersedes_id is not None}
    lines: list[str] = []
    for table in queries.RECORD_TABLES:
        rows = [v for v in views if v.table == table]
        if not rows:
            continue
        lines.append(t("cli.records.history_section", what=rows[0].table_label))
        for v in rows:
            if v.superseded_by_id is not None:
                key = ("cli.records.status_withdrawn_by" if newer_kind.get((table, v.id)) == "WITHDRAWAL"
                       else "cli.records.status_corrected_by")
                status = t(key, newer=v.superseded_by_id)
            elif v.kind == "WITHDRAWAL":
                status = t("cli.records.status_withdrawn")
            else:
                status = t("cli.records.status_current")
            lines.append(t("cli.records.history_head", id=v.id, value=v.value_text, status=status,
                           kind=t(f"cli.records.kind_ref.{v.kind}", old=v.supersedes_id)))
            if v.kind != "RECORD":
                lines.append(t("cli.records.history_basis", reason=fmt(v.reason), authority=fmt(v.authority)))
            lines.append(t("cli.records.history_meta", source=v.source_ref, name=v.recorded_by_name,
                           login=v.recorded_by, role=v.recorded_role_label or v.recorded_role,
                           at=when(v.recorded_at)))
    return lines


@group.command("history", help=t("cli.records.help.history"))
@click.argument("worker_id", type=int, metavar="WORKER_ID")
@click.option("--kind", "kind", type=click.Choice(tuple(TABLES)), help=t("cli.records.help.opt_history_kind"))
@pass_state
def history_cmd(state: State, worker_id: int, kind: str | None) -> None:
    app = state.app()
    tables = (TABLES[kind],) if kind else queries.RECORD_TABLES
    views = queries.record_history(app.db, worker_id, tables)
    worker = queries.worker_profile(app.db, worker_id).worker
    lines = [t("cli.records.history_title", id=worker_id, name=worker.name)]
    lines += history_lines(views) or ["  " + t("cli.common.empty")]
    emit(state.json, {"worker_id": worker_id, "worker_name": worker.name,
                      "records": [asdict(v) for v in views]}, lines)


@group.command("exit-task", help=t("cli.records.help.exit_task"))
@click.argument("worker_id", type=int, metavar="WORKER_ID")
@click.option("--outcome", required=True, metavar="|".join(af.EXIT_OUTCOMES["CATEGORY_NOT_COVERED"]),
              help=t("cli.records.help.opt_exit_outcome"))
@click.option("--source", "source", required=True, metavar="REF", help=t("cli.records.help.opt_exit_source"))
@click.option("--date", "day", type=DATE, help=t("cli.records.help.opt_exit_date"))
@click.option("--note", help=t("cli.records.help.opt_exit_note"))
@pass_state
def exit_task_cmd(state: State, worker_id: int, outcome: str, source: str, day: date | None,
                  note: str | None) -> None:
    """HONGSHAN 不合格 exit task closed with its outcome (workflows.appointment_flags, DECISIONS 31)."""
    app = state.app()
    done = af.record_exit_outcome(app.engine, state.acting(), worker_id, outcome, source, on=day, note=note)
    after = done["after"]
    lines = [t("cli.records.exit_task_closed", worker=worker_id, appointment=done["appointment_id"],
               year=after["year"], kind=t(f"appointment_flags.exit_kind.{after['kind']}"),
               outcome=t(f"appointment_flags.outcome.{after['outcome']}"), on=after["outcome_on"],
               source=after["outcome_source"], rule=after["rule_id"], citation=after["citation"],
               seq=done["audit_seq"])]
    emit(state.json, done, lines)
