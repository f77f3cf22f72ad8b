"""`shequ demo`: the guided demonstration behind `make run`.

It sets up a district on a fresh SQLite file and runs one case of each procedure to its end through the real
`shequ` commands (invoked in-process, printed as a user would type them): a resignation (with a rejected
early date), two re-hiring cases at the term change (one passing with an objection during the 7-day
publicity, which runs out on the simulated clock, and one failing the vote), an examination hiring, and a
dismissal. It prints each case's timeline and ends with `audit verify`.

Narration comes from the text catalog (`cli.demo.*`); the sample records the demo's users type (names,
document numbers, meeting places) from `engine/locale/<lang>/samples/demo.toml` via `engine.text.sample_data`.
"""

from __future__ import annotations

import json
import shlex
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner

from engine.cli.base import ShequCommand, State, pass_state
from engine.idcard import check_digit
from engine.text import join_clauses, sample_data, t
from storage.db import sqlite_path


def _id(first17: str) -> str:
    return first17 + check_digit(first17)


SAMPLE = sample_data("demo")
YES, NO = SAMPLE["yes"], SAMPLE["no"]
ROSTER = [  # login, name, ID number, community, category, position
    (w["login"], w["name"], _id(w["id17"]), w["community"], w["category"], w["position"])
    for w in SAMPLE["roster"]
]


def _sets(**values: Any) -> list[str]:
    """`key=value` arguments of `--set`, in the order given."""
    return [f"{key}={value}" for key, value in values.items()]


def _roster(n: int = 40, reps: int = 8) -> list[dict[str, str]]:
    people = []
    for i in range(n):
        if i < reps:
            people.append(
                {
                    "name": SAMPLE["vote"]["representative"].format(n=i + 1),
                    "category": "RESIDENT_REP" if i % 2 else "UNIT_REP",
                    "selection": "DESIGNATED" if i % 3 else "SELF_APPLIED",
                }
            )
        else:
            category = "STREET_MIDDLE_CADRE" if i % 4 == 0 else "COMMUNITY_WORKER"
            people.append({"name": SAMPLE["vote"]["participant"].format(n=i + 1), "category": category})
    return people


def _vote(recommend: int, excellent: int, competent: int, basic: int, incompetent: int) -> dict[str, Any]:
    returned = 40
    return {
        "vote_meeting_date": "2026-11-09",
        "vote_meeting_place": SAMPLE["vote"]["meeting_place"],
        "vote_roster": _roster(),
        "recommendation_tally": {
            "issued": 40,
            "returned": returned,
            "recommend": recommend,
            "not_recommend": returned - recommend - 1,
            "abstain": 1,
            "invalid": 0,
        },
        "evaluation_tally": {
            "issued": 40,
            "returned": returned,
            "excellent": excellent,
            "competent": competent,
            "basic": basic,
            "incompetent": incompetent,
            "blank": returned - excellent - competent - basic - incompetent,
            "invalid": 0,
        },
    }


@dataclass(frozen=True)
class Step:
    """One command of the demo: its arguments, who runs it and when, and whether it is expected to fail."""

    args: tuple[str, ...]
    as_user: str | None = None
    now: str | None = None
    expect_failure: bool = False


class Demo:
    def __init__(self, url: str, workdir: Path, echo: Callable[[str], None]) -> None:
        self.url = url
        self.workdir = workdir
        self.echo = echo
        self.runner = CliRunner()
        self.failures: list[str] = []
        self.now = "2025-01-02"  # the district is set up before the first case of the story

    # ------------------------------------------------------------------ plumbing
    def heading(self, key: str) -> None:
        text = t(f"cli.demo.story.{key}")
        self.echo("")
        self.echo(click.style(f"━━ {text} ", bold=True) + "━" * max(0, 60 - len(text) * 2))

    def note(self, key: str) -> None:
        self.echo(click.style("# " + t(f"cli.demo.story.{key}"), fg="cyan"))

    def run(
        self,
        *args: str,
        as_user: str | None = None,
        now: str | None = None,
        fail: bool = False,
        quiet: bool = False,
    ) -> str:
        from engine.cli.main import cli

        argv = ["--db", self.url]
        if as_user:
            argv += ["--as", as_user]
        # The story's clock only moves forward: a step without its own time runs at the latest time told.
        self.now = now or self.now
        argv += ["--now", self.now]
        argv += list(args)
        shown = [a if len(a) < 60 else a[:57] + "…" for a in argv[2:]]
        if not quiet:
            self.echo(click.style("$ shequ " + " ".join(shlex.quote(a) for a in shown), fg="green"))
        result = self.runner.invoke(cli, argv, catch_exceptions=False)
        if not quiet:
            self.echo(result.output.rstrip("\n"))
        failed = result.exit_code != 0
        if failed != fail:
            self.failures.append(f"{' '.join(shown)} → exit {result.exit_code}")
        return result.output

    def query(self, *args: str) -> Any:
        """A silent --json query whose answer the next steps need (case ids, appointment ids)."""
        return json.loads(self.run("--json", *args, quiet=True))

    def data_file(self, name: str, payload: Any) -> str:
        path = self.workdir / name
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        return f"@{path}"

    def newest_case(self, procedure: str) -> int:
        cases = self.query("case", "list", "--procedure", procedure)["cases"]
        return int(cases[-1]["id"])

    def worker_id(self, login: str) -> int:
        users = self.query("user", "list")["users"]
        return int(next(u for u in users if u["login"] == login)["worker_id"])

    def appointment_id(self, worker: int) -> int:
        shown = self.query("worker", "show", str(worker))
        return int(next(a for a in shown["appointments"] if a["status"] == "ACTIVE")["id"])

    def fire(
        self,
        case: int,
        trigger: str,
        as_user: str,
        now: str,
        sets: Sequence[str] = (),
        data: str | None = None,
        fail: bool = False,
    ) -> str:
        args = ["case", "fire", str(case), trigger]
        for s in sets:
            args += ["--set", s]
        if data:
            args += ["--data", data]
        return self.run(*args, as_user=as_user, now=now, fail=fail)

    # ------------------------------------------------------------------ the story
    def setup(self) -> None:
        self.heading("setup")
        self.run("db", "upgrade")
        org = SAMPLE["org"]
        self.run("org", "district", "add", "DQ", org["district"])
        self.run("org", "street", "add", "DQ", "S1", org["streets"]["S1"])
        self.run("org", "street", "add", "DQ", "S2", org["streets"]["S2"])
        self.run("org", "community", "add", "S1", "C1", org["communities"]["C1"], "--staffing", "6")
        self.run("org", "community", "add", "S2", "C2", org["communities"]["C2"], "--staffing", "5")
        self.note("terms")
        self.run("term", "add", "DQ", "1", "2024-01-01")
        self.run("term", "add", "DQ", "2", "2027-01-01", "--status", "PLANNED")
        roster = self.workdir / "roster.csv"
        lines = ["id_number,name,community,category,position,education,appointment_start"]
        education = SAMPLE["roster_file"]["education"]
        lines += [",".join((r[2], r[1], r[3], r[4], r[5], education, "2024-01-01")) for r in ROSTER]
        roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.note("roster_atomic")
        self.run("worker", "import", str(roster))
        users = [
            ("bureau", "DISTRICT_CIVIL_AFFAIRS", "--district", "DQ"),
            ("s1_office", "STREET_OFFICE", "--street", "S1"),
            ("s1_party", "STREET_PARTY_COMMITTEE", "--street", "S1"),
            ("s2_office", "STREET_OFFICE", "--street", "S2"),
            ("s2_party", "STREET_PARTY_COMMITTEE", "--street", "S2"),
            ("resident", "OBJECTOR", None, None),
            ("cand", "CANDIDATE", None, None),
        ]
        for login, role, scope, where in users:
            args = ["user", "add", login, SAMPLE["users"][login], "--role", role]
            if scope and where:
                args += [scope, where]
            self.run(*args)
        workers = {w["name"]: w["id"] for w in self.query("worker", "list")["workers"]}
        for login, name, _id_number, community, _category, _position in ROSTER:
            self.run(
                "user",
                "add",
                login,
                name,
                "--role",
                "WORKER",
                "--community",
                community,
                "--worker",
                str(workers[name]),
                quiet=True,
            )
        self.run("user", "list")

    def resignation(self) -> None:
        self.heading("resignation")
        worker = self.worker_id("wang")
        self.note("early_date_rejected")
        self.run(
            "case",
            "open",
            "resignation",
            "--worker",
            str(worker),
            "--set",
            "submitted_on=2025-01-31",
            "--set",
            f"written={YES}",
            "--set",
            f"document_ref={SAMPLE['resignation']['document_ref']}",
            "--set",
            "separation_date=2025-02-27",
            as_user="wang",
            now="2025-01-31",
            fail=True,
        )
        self.note("earliest_date")
        self.run(
            "case",
            "open",
            "resignation",
            "--worker",
            str(worker),
            "--set",
            "submitted_on=2025-01-31",
            "--set",
            f"written={YES}",
            "--set",
            f"document_ref={SAMPLE['resignation']['document_ref']}",
            as_user="wang",
            now="2025-01-31",
        )
        case = self.newest_case("resignation")
        self.run("case", "preview", str(case), as_user="s1_party", now="2025-02-05")
        self.fire(
            case,
            "approve",
            "s1_party",
            "2025-02-05",
            _sets(decided_on="2025-02-05", minutes_ref=SAMPLE["resignation"]["minutes_ref"]),
        )
        self.fire(
            case,
            "record_filing",
            "bureau",
            "2025-02-10",
            _sets(filed_on="2025-02-10", filing_no=SAMPLE["resignation"]["filing_no"]),
        )
        self.note("separation_runs_out")
        self.run("deadlines", "run", "--until", "2025-03-01T00:00", now="2025-02-10")
        self.run("case", "show", str(case))

    def rehiring(self) -> None:
        sample = SAMPLE["rehiring"]
        self.heading("rehiring")
        self.note("renewal_opens")
        # TM-3 opens one re-hiring case per appointment of term 1 (one transaction per community).
        self.run("term", "open-renewal", "1", "--from", "2026-11-02", "--to", "2026-11-30", as_user="bureau",
                 now="2026-11-02")
        cases = {}
        for login in ("zhang", "li"):
            worker = self.worker_id(login)
            found = self.query("case", "list", "--procedure", "assessment_rehiring", "--worker", str(worker))
            cases[login] = int(found["cases"][-1]["id"])
        for login, case in cases.items():
            self.fire(
                case,
                "apply",
                login,
                "2026-11-03",
                _sets(applied_on="2026-11-03", application_doc_ref=sample["application_doc_ref"]),
            )
        for case in cases.values():
            self.fire(
                case,
                "street_approve",
                "s1_office",
                "2026-11-04",
                _sets(reviewed_on="2026-11-04", review_opinion=sample["review_opinion"]),
            )
        for case in cases.values():
            self.fire(
                case,
                "bureau_approve_application",
                "bureau",
                "2026-11-05",
                _sets(application_approval_no=sample["application_approval_no"],
                     application_decided_on="2026-11-05"),
            )
        self.note("vote_passes")
        self.fire(
            cases["zhang"],
            "record_vote",
            "s1_office",
            "2026-11-09",
            data=self.data_file("vote_zhang.json", _vote(31, 12, 18, 5, 1)),
        )
        self.note("vote_fails")
        self.fire(
            cases["li"],
            "record_vote",
            "s1_office",
            "2026-11-09",
            data=self.data_file("vote_li.json", _vote(20, 8, 16, 9, 4)),
        )
        self.run("case", "show", str(cases["li"]))
        case = cases["zhang"]
        self.fire(
            case,
            "party_decide_hire",
            "s1_party",
            "2026-11-12",
            _sets(party_meeting_date="2026-11-12", party_members_present=7,
                  minutes_ref=sample["minutes_ref"]),
        )
        self.note("publicity_period")
        self.fire(
            case,
            "post_publicity",
            "s1_office",
            "2026-11-16",
            _sets(
                posted_on="2026-11-16",
                publicity_community="C1",
                publicity_place=sample["publicity_place"],
                publicity_doc_ref=sample["publicity_doc_ref"],
            ),
        )
        self.note("publicity_notice")
        self.run("notice", "render", str(case), "--kind", "publicity", "--format", "txt")
        self.fire(
            case,
            "lodge_objection",
            "resident",
            "2026-11-18",
            _sets(
                objection_received_on="2026-11-18",
                objection_receiver=sample["objection_receiver"],
                objection_content=sample["objection_content"],
                objection_anonymous=NO,
            ),
        )
        self.note("report_blocked")
        self.fire(case, "report", "s1_office", "2026-11-20", ["reported_on=2026-11-20"], fail=True)
        self.fire(
            case,
            "record_finding",
            "s1_party",
            "2026-11-20",
            ["objection_id=OBJ-1", "objection_finding=NOT_SUBSTANTIATED", "finding_on=2026-11-20"],
        )
        self.note("publicity_runs_out")
        self.run("deadlines", "run", "--until", "2026-11-23T00:00", now="2026-11-20")
        self.fire(case, "report", "s1_office", "2026-11-23", ["reported_on=2026-11-23"])
        self.fire(
            case,
            "bureau_approve_rehire",
            "bureau",
            "2026-11-25",
            _sets(rehire_approval_no=sample["rehire_approval_no"], rehire_decided_on="2026-11-25"),
        )
        self.run("case", "show", str(case))

    def exam_hiring(self) -> None:
        sample = SAMPLE["exam_hiring"]
        self.heading("exam_hiring")
        plan = {
            "vacancy_lines": [{"community": "C2", "category": "PROFESSIONAL_SOCIAL_WORKER", "count": 1}],
            "term_id": 1,
            "conditions": sample["conditions"],
            "duties": sample["duties"],
            "pay": sample["pay"],
            "registration_deadline": "2025-03-20",
            "shortlist_ratio": "3",
        }
        self.note("within_staffing")
        self.run(
            "case",
            "open",
            "exam_recruitment",
            "--data",
            self.data_file("plan.json", plan),
            as_user="bureau",
            now="2025-03-03",
        )
        recruitment = self.newest_case("exam_recruitment")
        self.fire(
            recruitment, "publish", "bureau", "2025-03-03",
            _sets(published_on="2025-03-03", channels=sample["channels"]),
        )
        registration = {
            "line_no": 1,
            "id_number": _id("11010519930615008"),
            "candidate_name": sample["candidate_name"],
            "phone": "13800000008",
            "education": sample["education"],
            "graduated_from": sample["graduated_from"],
            "diploma_no": "BK-2015-08",
            "diploma_recognised": True,
            "hukou_city": sample["hukou_city"],
            "hukou_urban": True,
            "declare_e1": True,
            "declare_e2": True,
            "declare_e3": True,
        }
        self.run(
            "case",
            "open",
            "exam_candidate",
            "--parent",
            str(recruitment),
            "--community",
            "C2",
            "--data",
            self.data_file("registration.json", registration),
            as_user="cand",
            now="2025-03-10",
        )
        candidate = self.newest_case("exam_candidate")
        self.fire(
            candidate,
            "qualify",
            "bureau",
            "2025-03-12",
            _sets(reviewed_on="2025-03-12", attest_e1=YES, attest_e2=YES, attest_e3=YES),
        )
        self.note("registration_closes")
        self.run("deadlines", "run", "--until", "2025-03-21T00:00", now="2025-03-12")
        self.fire(recruitment, "start", "bureau", "2025-03-24")
        self.fire(
            candidate,
            "record_interview",
            "bureau",
            "2025-03-24",
            _sets(interview_score=88, interview_on="2025-03-24", interview_panel=sample["interview_panel"]),
            fail=True,
        )
        self.fire(
            candidate,
            "record_written",
            "bureau",
            "2025-03-29",
            ["written_score=86.5", "written_on=2025-03-29"],
        )
        self.fire(
            candidate,
            "record_interview",
            "bureau",
            "2025-04-08",
            _sets(interview_score=88, interview_on="2025-04-08", interview_panel=sample["interview_panel"]),
        )
        self.fire(
            candidate,
            "pass_inspection",
            "bureau",
            "2025-04-15",
            _sets(inspected_on="2025-04-15", inspectors=sample["inspectors"],
                 inspection_findings=sample["inspection_findings"]),
        )
        self.fire(
            candidate,
            "pass_medical",
            "bureau",
            "2025-04-22",
            _sets(medical_institution=sample["medical_institution"], medical_on="2025-04-22",
                 medical_conclusion=sample["medical_conclusion"]),
        )
        self.fire(
            candidate,
            "appoint",
            "bureau",
            "2025-04-28",
            _sets(
                appointment_decision_no=sample["appointment_decision_no"],
                decided_on="2025-04-28",
                appointed_from="2025-05-01",
            ),
        )
        self.fire(recruitment, "complete", "bureau", "2025-04-28")
        self.run("case", "show", str(candidate))

    def dismissal(self) -> None:
        sample = SAMPLE["dismissal"]
        self.heading("dismissal")
        worker = self.worker_id("zhao")
        self.run(
            "case",
            "open",
            "dismissal",
            "--worker",
            str(worker),
            "--set",
            "ground=DIS-G4",
            "--set",
            f"allegation={sample['allegation']}",
            as_user="s2_office",
            now="2025-06-02",
        )
        case = self.newest_case("dismissal")
        self.note("evidence_required")
        self.fire(
            case,
            "compile_evidence",
            "s2_office",
            "2025-06-03",
            data=self.data_file("none.json", {}),
            fail=True,
        )
        self.fire(
            case,
            "compile_evidence",
            "s2_office",
            "2025-06-06",
            data=self.data_file("evidence.json", {"evidence_refs": [sample["evidence_ref"]]}),
        )
        self.fire(
            case,
            "confirm_ground",
            "s2_party",
            "2025-06-10",
            _sets(meeting_date="2025-06-10", minutes_ref=sample["minutes_ref"]),
        )
        self.fire(
            case,
            "approve",
            "bureau",
            "2025-06-13",
            _sets(decision_no=sample["decision_no"], decision_date="2025-06-13", effective_date="2025-06-16"),
        )
        self.fire(
            case,
            "record_notice",
            "s2_office",
            "2025-06-14",
            _sets(notice_delivered_on="2025-06-14", notice_ref=sample["notice_ref"]),
        )
        self.run("deadlines", "run", "--until", "2025-06-16T00:00", now="2025-06-14")
        self.run("case", "show", str(case))

    def finish(self) -> None:
        self.heading("notices")
        self.note("dispatch")
        self.run("notify", "dispatch")
        self.heading("audit")
        self.run("case", "list")
        self.run("audit", "verify")


@click.command("demo", cls=ShequCommand, help=t("cli.demo.help"))
@click.option("--fresh", is_flag=True, help=t("cli.demo.opt_fresh"))
@pass_state
def demo(state: State, fresh: bool) -> None:
    path = sqlite_path(state.url)
    if path is None:
        raise click.UsageError(t("cli.demo.sqlite_only"))
    if fresh:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif path.exists():
        raise click.UsageError(t("cli.demo.exists", path=str(path)))
    with tempfile.TemporaryDirectory(prefix="shequ-demo-") as tmp:
        story = Demo(state.url, Path(tmp), click.echo)
        story.setup()
        # In calendar order, so the simulated clock only moves forward (the audit chain reads as a timeline).
        story.resignation()
        story.exam_hiring()
        story.dismissal()
        story.rehiring()
        story.finish()
    if story.failures:
        click.echo(t("cli.demo.unexpected", steps=join_clauses(story.failures)), err=True)
        raise SystemExit(1)
    click.echo("")
    click.echo(t("cli.demo.done", path=str(path)))
