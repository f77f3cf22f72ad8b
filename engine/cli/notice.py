"""`shequ notice render CASE --kind publicity [--format html|txt] [--out FILE]`: a case's printable document.

The document is rendered from the snapshot of the event that produced it (the latest outbox row of that
kind for the case), so the printout is word for word what was sent. `--kind` is a document name
(publicity 公示公告, appointment 聘用通知, not_rehired 不予聘用通知, resignation 辞职审批/退回通知,
dismissal 解除聘用决定书) or a notification kind (`rehire.rehired`).
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit
from engine.errors import InvalidInput, NotFound
from engine.text import join_list, t
from notifications.config import load
from notifications.kinds import DOCUMENTS, KINDS
from notifications.render import render

FORMATS = ("html", "txt")


@click.group("notice", cls=ShequGroup, help=t("cli.help.notice"))
def group() -> None:
    pass


def _kinds(kind: str) -> tuple[str, ...]:
    if kind in DOCUMENTS:
        return DOCUMENTS[kind]
    if kind in KINDS:
        return (kind,)
    known = join_list(sorted(DOCUMENTS))
    raise InvalidInput("NOTICE_KIND_UNKNOWN", details={"kind": kind, "known": known})


@group.command("render", help=t("cli.help.notice_render"))
@click.argument("case_id", type=int)
@click.option("--kind", required=True, metavar="|".join(sorted(DOCUMENTS)),
              help=t("cli.help.opt_notice_kind"))
@click.option("--format", "fmt_", type=click.Choice(FORMATS), default="html", show_default=True,
              help=t("cli.help.opt_notify_format"))
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True),
              help=t("cli.help.opt_notice_out"))
@pass_state
def render_cmd(state: State, case_id: int, kind: str, fmt_: str, out: str | None) -> None:
    kinds = _kinds(kind)
    with state.app().db.read() as store:
        store.get_case(case_id)
        rows = [r for r in store.outbox_rows(case_id=case_id, kinds=list(kinds), limit=1000)
                if (r["payload"] or {}).get("context")]
        known = sorted({r["kind"] for r in store.outbox_rows(case_id=case_id, limit=1000)})
    if not rows:
        raise NotFound("NOTICE_NOT_AVAILABLE", details={"case": case_id, "kind": kind,
                                                       "known": join_list(known) or t("text.none")})
    row = rows[-1]
    rendered = render(row["kind"], row["payload"], contact=load(db_url=state.url).objection_contact)
    body = rendered.html if fmt_ == "html" else rendered.text
    data = {"case_id": case_id, "kind": row["kind"], "notification_id": row["id"], "format": fmt_,
            "subject": rendered.subject, "printable": rendered.printable}
    if out:
        Path(out).write_text(body, encoding="utf-8")
        emit(state.json, {**data, "path": out},
             [t("cli.notice.written", path=out, kind=row["kind"], case=case_id, format=fmt_)])
        return
    if state.json:
        emit(True, {**data, "body": body}, [])
        return
    click.echo(body, nl=not body.endswith("\n"))
