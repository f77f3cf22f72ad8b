"""`shequ worker`: personnel records. ID numbers and phone numbers are masked in every output."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from engine import queries
from engine.admin import CATEGORIES, EDUCATION_LEVELS
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, fmt, labelled, table, when
from engine.cli.params import DATE
from engine.clock import local_date
from engine.errors import InvalidInput
from engine.text import t
from workflows import appointment_flags
from workflows.plan5_view import plan5_view


@click.group("worker", cls=ShequGroup, help=t("cli.help.worker"))
def group() -> None:
    pass


@group.command("add", help=t("cli.help.worker_add"))
@click.option("--id-number", required=True, help=t("cli.help.opt_id_number"))
@click.option("--name", required=True, help=t("cli.help.opt_name"))
@click.option("--community", required=True, help=t("cli.help.opt_worker_community"))
@click.option("--category", required=True, type=click.Choice(CATEGORIES), help=t("cli.help.opt_category"))
@click.option("--education", type=click.Choice(EDUCATION_LEVELS), help=t("cli.help.opt_education"))
@click.option("--hukou-city", help=t("cli.help.opt_hukou_city"))
@click.option("--hukou-urban", type=bool, default=None, help=t("cli.help.opt_hukou_urban"))
@click.option("--phone", help=t("cli.help.opt_phone"))
@click.option("--position", help=t("cli.help.opt_position"))
@click.option("--appointment-start", type=DATE, help=t("cli.help.opt_appointment_start"))
@click.option("--appointment-end", type=DATE, help=t("cli.help.opt_appointment_end"))
@click.option("--decision-no", help=t("cli.help.opt_decision_no"))
@pass_state
def add(state: State, **fields: Any) -> None:
    values = {k: v for k, v in fields.items() if v is not None}
    worker_id = state.app().admin.add_worker(values, by=state.login)
    view = queries.worker_profile(state.app().db, worker_id).worker
    emit(state.json, {"worker": asdict(view)},
         [t("cli.worker.added", id=worker_id, name=view.name, id_number=view.id_number,
            community=view.community or "—")])


def _rows(views: list[queries.WorkerView]) -> list[str]:
    headers = [t("cli.worker.col_id"), t("cli.worker.col_name"), t("cli.worker.col_id_number"),
               t("cli.worker.col_gender"), t("cli.worker.col_birth"), t("cli.worker.col_community"),
               t("cli.worker.col_category"), t("cli.worker.col_position")]
    return table(headers, [(w.id, w.name, w.id_number, t(f"cli.gender.{w.gender}"), w.birth_date, w.community,
                            w.category_label, w.position) for w in views])


@group.command("list", help=t("cli.help.worker_list"))
@click.option("--community", help=t("cli.help.opt_filter_community"))
@pass_state
def list_cmd(state: State, community: str | None) -> None:
    views = queries.workers(state.app().db, community=community)
    emit(state.json, {"workers": [asdict(w) for w in views]}, _rows(views))


@group.command("show", help=t("cli.help.worker_show"))
@click.argument("worker_id", type=int, metavar="ID")
@pass_state
def show(state: State, worker_id: int) -> None:
    p = queries.worker_profile(state.app().db, worker_id)
    w = p.worker
    lines = [
        t("cli.worker.title", id=w.id, name=w.name),
        t("cli.worker.line_id", id_number=w.id_number, gender=t(f"cli.gender.{w.gender}"),
          birth=fmt(w.birth_date)),
        t("cli.worker.line_contact", phone=fmt(w.phone), education=fmt(w.education)),
        t("cli.worker.line_hukou", city=fmt(w.hukou_city), urban=fmt(w.hukou_urban)),
        t("cli.worker.line_placement", community=labelled(w.community_name or "", w.community),
          category=labelled(w.category_label, w.category), position=fmt(w.position)),
    ]
    for key, value in p.record.items():
        lines.append(t("cli.fmt.item", label=queries.field_label(key), value=fmt(value)))
    lines.append(t("cli.worker.appointments"))
    lines += ["  " + line for line in table(
        [t("cli.worker.col_id"), t("cli.worker.col_community"), t("cli.worker.col_category"),
         t("cli.worker.col_method"), t("cli.worker.col_start"), t("cli.worker.col_end"),
         t("cli.worker.col_status"), t("cli.worker.col_end_reason"), t("cli.worker.col_decision")],
        [(a.id, a.community, a.category_label, a.method, a.start_date, a.end_date, a.status_label,
          a.end_reason_label, a.decision_no) for a in p.appointments])]
    # HONGSHAN 留用察看 and exit tasks set by annual grades (workflows.appointment_flags)
    flags = appointment_flags.flags_view(state.app().db, worker_id, local_date(state.app().clock.now()))
    if flags:
        lines.append(t("appointment_flags.title"))
        lines += appointment_flags.flag_lines(flags)
    # PLAN-5 不予续聘 flags that would count at 考核聘用 now (packs enabling PLAN5; workflows.plan5_view)
    plan5 = plan5_view(state.app().db, worker_id, state.app().clock.now())
    if plan5:
        lines.append(t("rehire.plan5_view.title", rule=plan5[0]["rule_id"], citation=plan5[0]["citation"]))
        lines += [t("rehire.plan5_view.line", id=f["appointment_id"], ordinal=fmt(f["term_ordinal"]),
                    flag=f["text"]) for f in plan5]
        lines.append(t("rehire.plan5_view.note", code=plan5[0]["code"]))
    lines.append(t("cli.worker.cases"))
    case_headers = [t("cli.case.col_id"), t("cli.case.col_procedure"), t("cli.case.col_state"),
                    t("cli.case.col_opened")]
    lines += ["  " + line for line in table(
        case_headers, [(c.id, c.procedure_title, c.state_label, c.opened_at) for c in p.cases])]
    # Recorded grades, absences and elected office (workflows.records): the current facts here, every
    # original, correction and withdrawal in `shequ record history`.
    history = queries.record_history(state.app().db, worker_id)
    facts = [r for r in history if r.current]
    lines.append(t("cli.records.facts_title"))
    lines += ["  " + line for line in table(
        [t("cli.records.col_table"), t("cli.records.col_id"), t("cli.records.col_value"),
         t("cli.records.col_source"), t("cli.records.col_by"), t("cli.records.col_at")],
        [(r.table_label, r.id, r.value_text, r.source_ref, r.recorded_by_name, when(r.recorded_at))
         for r in facts])]
    if len(history) > len(facts):
        lines.append(t("cli.records.facts_hidden", count=len(history) - len(facts), id=worker_id))
    emit(state.json, {"worker": asdict(w), "record": p.record,
                      "appointments": [asdict(a) for a in p.appointments],
                      "appointment_flags": flags,
                      "plan5_flags": plan5,
                      "cases": [asdict(c) for c in p.cases],
                      "recorded_facts": [asdict(r) for r in facts]}, lines)


@group.command("import", help=t("cli.help.worker_import"))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.csv")
@pass_state
def import_cmd(state: State, path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidInput("CLI_FILE_UNREADABLE",
                           t("cli.errors.file_unreadable", path=str(path), reason=reason)) from exc
    ids = state.app().admin.import_roster(text, by=state.login)
    emit(state.json, {"imported": len(ids), "worker_ids": ids},
         [t("cli.worker.imported", count=len(ids), path=str(path))])
