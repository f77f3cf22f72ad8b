"""`shequ audit`: read the audit trail and verify its hash chain."""

from __future__ import annotations

from dataclasses import asdict

import click

from engine import queries
from engine.cli.base import ShequGroup, State, pass_state
from engine.cli.output import emit, timeline_lines
from engine.errors import EXIT_CODES, ShequFlowError
from engine.text import t

# A broken chain means stored history disagrees with its own hashes: reported like a conflict (exit 6),
# distinct from "unexpected error" (1) so scripts can tell tampering from a crash.
CHAIN_BROKEN_EXIT = EXIT_CODES["conflict"]


class AuditChainBroken(ShequFlowError):
    exit_code = CHAIN_BROKEN_EXIT


@click.group("audit", cls=ShequGroup, help=t("cli.help.audit"))
def group() -> None:
    pass


@group.command("show", help=t("cli.help.audit_show"))
@click.option("--case", "case_id", type=int, help=t("cli.help.opt_audit_case"))
@click.option("--limit", type=click.IntRange(min=1), help=t("cli.help.opt_limit"))
@pass_state
def show(state: State, case_id: int | None, limit: int | None) -> None:
    entries = queries.timeline(state.app().db, case_id=case_id, limit=limit)
    lines = timeline_lines(entries) or [t("cli.common.empty")]
    emit(state.json, {"entries": [asdict(e) for e in entries]}, lines)


@group.command("verify", help=t("cli.help.audit_verify"))
@pass_state
def verify_cmd(state: State) -> None:
    check = queries.verify_audit(state.app().db)
    report = check.report
    if not report.ok:
        message = t("cli.audit.broken", seq=report.first_bad_seq, problem=check.problem_text,
                    checked=report.checked)
        raise AuditChainBroken("AUDIT_CHAIN_BROKEN", message, details={
            "first_bad_seq": report.first_bad_seq, "problem": report.problem,
            "problem_text": check.problem_text, "checked": report.checked, "head_seq": check.head_seq})
    emit(state.json, {"verified": True, "checked": report.checked, "head_seq": check.head_seq},
         [t("cli.audit.intact", checked=report.checked)])
