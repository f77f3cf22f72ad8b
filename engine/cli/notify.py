"""`shequ notify`: the notification outbox — list, show, dispatch now, retry dead-lettered rows.

`dispatch` runs `notifications.dispatch.dispatch_due`, the same function the scheduler calls after every
deadline sweep, with the channels of `--config` / `SHEQU_NOTIFY_CONFIG` and the environment (see
`notifications.config`); retries wait on the (simulated, with `--now`) clock, never by sleeping.
"""

from __future__ import annotations

from typing import Any

import click

from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, fmt, table, when
from engine.errors import ShequFlowError
from engine.text import join_list, t
from notifications import dispatch as dispatcher
from notifications.config import load
from notifications.kinds import spec_for
from notifications.masking import mask_text
from notifications.render import render

STATUSES = ("PENDING", "DELIVERED", "DEAD")
FORMATS = ("txt", "html")


@click.group("notify", cls=ShequGroup, help=t("cli.help.notify"))
def group() -> None:
    pass


def _status(status: str) -> str:
    return t(f"notifications.status.{status}")


def _recipient(name: str) -> str:
    return t("notifications.recipient_worker") if name == "worker" else t(f"roles.{name}")


def _kind_label(kind: str) -> str:
    """The title of what the recipient receives (the kind's template), e.g. 公示公告, 待办提醒."""
    return t(f"notifications.titles.{spec_for(kind).template}")


def _row_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "case_id": row["case_id"], "audit_seq": row["audit_seq"], "kind": row["kind"],
            "kind_label": _kind_label(row["kind"]),
            "recipient": row["recipient"], "recipient_label": _recipient(row["recipient"]),
            "idempotency_key": row["idempotency_key"], "status": row["status"],
            "status_label": _status(row["status"]), "attempts": row["attempts"],
            "next_attempt_at": row["next_attempt_at"], "created_at": row["created_at"],
            "delivered_at": row["delivered_at"], "last_error": row["last_error"]}


@group.command("list", help=t("cli.help.notify_list"))
@click.option("--status", type=click.Choice(STATUSES), help=t("cli.help.opt_notify_status"))
@click.option("--case", "case_id", type=int, help=t("cli.help.opt_audit_case"))
@click.option("--kind", "kinds", multiple=True, help=t("cli.help.opt_notify_kind"))
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help=t("cli.help.opt_notify_limit"))
@pass_state
def list_cmd(state: State, status: str | None, case_id: int | None, kinds: tuple[str, ...],
             limit: int) -> None:
    with state.app().db.read() as store:
        rows = store.outbox_rows(case_id=case_id, status=status, kinds=list(kinds) or None, limit=limit)
    items = [_row_dict(r) for r in rows]
    headers = [t("cli.notify.col_id"), t("cli.notify.col_case"), t("cli.notify.col_kind"),
               t("cli.notify.col_recipient"), t("cli.notify.col_status"), t("cli.notify.col_attempts"),
               t("cli.notify.col_next"), t("cli.notify.col_error")]
    lines = table(headers, [(i["id"], fmt(i["case_id"]), i["kind_label"], i["recipient_label"],
                             i["status_label"], i["attempts"],
                             when(i["next_attempt_at"]) if i["status"] == "PENDING" else "—",
                             (i["last_error"] or "")[:60]) for i in items])
    emit(state.json, {"notifications": items}, lines)


@group.command("show", help=t("cli.help.notify_show"))
@click.argument("notification_id", type=int)
@click.option("--format", "fmt_", type=click.Choice(FORMATS), default="txt", show_default=True,
              help=t("cli.help.opt_notify_format"))
@pass_state
def show(state: State, notification_id: int, fmt_: str) -> None:
    with state.app().db.read() as store:
        row = store.outbox_row(notification_id)
        deliveries = store.deliveries(notification_id)
    item = _row_dict(row)
    keys = ("recipient_key", "recipient_name", "channel", "address", "status", "attempts", "last_error",
            "delivered_at")
    item["deliveries"] = [{k: d[k] for k in keys} for d in deliveries]
    spec = spec_for(row["kind"])
    lines = [t("cli.notify.show_head", id=row["id"], kind=row["kind"], template=spec.template,
               case=fmt(row["case_id"]), recipient=item["recipient_label"], status=item["status_label"]),
             t("cli.notify.show_key", key=row["idempotency_key"]),
             t("cli.notify.show_attempts", attempts=row["attempts"], next=when(row["next_attempt_at"]),
               delivered=when(row["delivered_at"]))]
    if row["last_error"]:
        lines.append(t("cli.notify.show_error", error=row["last_error"]))
    if deliveries:
        lines.append(t("cli.notify.show_targets"))
        lines += ["  " + line for line in table(
            [t("cli.notify.col_recipient"), t("cli.notify.col_channel"), t("cli.notify.col_address"),
             t("cli.notify.col_status"), t("cli.notify.col_attempts"), t("cli.notify.col_delivered")],
            [(t("text.labelled", label=d["recipient_name"], code=d["recipient_key"]), d["channel"],
              fmt(d["address"]), _status(d["status"]), d["attempts"], when(d["delivered_at"]))
             for d in deliveries])]
    try:
        payload = row["payload"] or {}
        if not payload.get("context"):
            raise ShequFlowError("NOTIFICATION_RENDER_FAILED", details={"kind": row["kind"],
                                                                        "problem": "no snapshot yet"})
        rendered = render(row["kind"], payload, contact=load(db_url=state.url).objection_contact)
        item.update(subject=rendered.subject, text=rendered.text, html=rendered.html,
                    printable=rendered.printable)
        lines += ["", t("cli.notify.show_subject", subject=rendered.subject), "",
                  rendered.html if fmt_ == "html" else rendered.text]
    except ShequFlowError as exc:
        item["render_error"] = exc.message_zh
        lines.append(t("cli.notify.show_render_failed", error=exc.message_zh))
    emit(state.json, {"notification": item}, [mask_text(line) for line in lines])


@group.command("dispatch", help=t("cli.help.notify_dispatch"))
@click.option("--config", "config_path", metavar="FILE", envvar="SHEQU_NOTIFY_CONFIG",
              help=t("cli.help.opt_notify_config"))
@click.option("--limit", type=click.IntRange(min=1), help=t("cli.help.opt_notify_limit"))
@pass_state
def dispatch_cmd(state: State, config_path: str | None, limit: int | None) -> None:
    config = load(config_path, db_url=state.url)
    report = dispatcher.dispatch_due(state.app(), config=config, limit=limit)
    lines = [t("cli.notify.dispatch_line", status=_outcome(o.status), id=o.outbox_id,
               kind=_kind_label(o.kind), recipient=_recipient(o.recipient), attempts=o.attempts,
               error=t("cli.notify.dispatch_error", error=o.error) if o.error else "")
             for o in report.outcomes]
    lines.append(t("cli.notify.dispatch_done", delivered=report.delivered, retried=report.retried,
                   dead=report.dead, channels=join_list(config.channel_names) or "—"))
    emit(state.json, {"dispatch": report.to_dict(), "channels": list(config.channel_names)}, lines)


def _outcome(status: str) -> str:
    return t("cli.notify.status_retry") if status == "RETRY" else _status(status)


@group.command("retry", help=t("cli.help.notify_retry"))
@click.argument("notification_ids", type=int, nargs=-1)
@click.option("--dead", "all_dead", is_flag=True, help=t("cli.help.opt_notify_dead"))
@pass_state
def retry_cmd(state: State, notification_ids: tuple[int, ...], all_dead: bool) -> None:
    if not notification_ids and not all_dead:
        raise click.UsageError(t("cli.help.notify_retry"))
    done = dispatcher.retry(state.app(), list(notification_ids), all_dead=all_dead)
    line = t("cli.notify.retry_done", count=len(done), ids=join_list(done)) if done \
        else t("cli.notify.retry_none")
    emit(state.json, {"requeued": done}, [line])
