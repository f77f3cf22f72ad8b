"""`shequ demo`: the guided demonstration behind `make run`.

It sets up a district on a fresh SQLite file and runs one case of each procedure to its end through the real
`shequ` commands (invoked in-process, printed as a user would type them): a resignation (with a rejected
early date), two re-hiring cases at the term change (one passing with an objection during the 7-day
publicity, which runs out on the simulated clock, and one failing the vote), an examination hiring, and a
dismissal. It prints each case's timeline and ends with `audit verify`.

Narration comes from the text catalog (`cli.demo.*`). The Chinese literals left in this module are sample
records that the demo's users type (names, document numbers, meeting places), i.e. data, not interface text.
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
from engine.text import t
from storage.db import sqlite_path


def _id(first17: str) -> str:
    return first17 + check_digit(first17)


ROSTER = [  # login, name, ID number, community, category, position
    ("zhang", "张三", _id("11010519800101001"), "C1", "PROFESSIONAL_SOCIAL_WORKER", "干事"),
    ("li", "李四", _id("11010519850202002"), "C1", "RESIDENTS_COMMITTEE_MEMBER", "委员"),
    ("wang", "王五", _id("11010519820303003"), "C1", "PROFESSIONAL_SOCIAL_WORKER", "干事"),
    ("zhao", "赵六", _id("11010519790404004"), "C2", "PROFESSIONAL_SOCIAL_WORKER", "干事"),
    ("qian", "钱七", _id("11010519880505005"), "C2", "PARTY_COMMITTEE_MEMBER", "委员"),
]


def _roster(n: int = 40, reps: int = 8) -> list[dict[str, str]]:
    people = []
    for i in range(n):
        if i < reps:
            people.append(
                {
                    "name": f"代表{i + 1}",
                    "category": "RESIDENT_REP" if i % 2 else "UNIT_REP",
                    "selection": "DESIGNATED" if i % 3 else "SELF_APPLIED",
                }
            )
        else:
            category = "STREET_MIDDLE_CADRE" if i % 4 == 0 else "COMMUNITY_WORKER"
            people.append({"name": f"参会人员{i + 1}", "category": category})
    return people


def _vote(recommend: int, excellent: int, competent: int, basic: int, incompetent: int) -> dict[str, Any]:
    returned = 40
    return {
        "vote_meeting_date": "2026-11-09",
        "vote_meeting_place": "东华街道会议室",
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
        self.run("org", "district", "add", "DQ", "东区")
        self.run("org", "street", "add", "DQ", "S1", "东华街道")
        self.run("org", "street", "add", "DQ", "S2", "西园街道")
        self.run("org", "community", "add", "S1", "C1", "东华社区", "--staffing", "6")
        self.run("org", "community", "add", "S2", "C2", "西园社区", "--staffing", "5")
        self.note("terms")
        self.run("term", "add", "DQ", "1", "2024-01-01")
        self.run("term", "add", "DQ", "2", "2027-01-01", "--status", "PLANNED")
        roster = self.workdir / "roster.csv"
        lines = ["id_number,name,community,category,position,education,appointment_start"]
        lines += [f"{r[2]},{r[1]},{r[3]},{r[4]},{r[5]},大专,2024-01-01" for r in ROSTER]
        roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.note("roster_atomic")
        self.run("worker", "import", str(roster))
        users = [
            ("bureau", "东区民政局", "DISTRICT_CIVIL_AFFAIRS", "--district", "DQ"),
            ("s1_office", "东华街道办事处", "STREET_OFFICE", "--street", "S1"),
            ("s1_party", "东华街道党工委", "STREET_PARTY_COMMITTEE", "--street", "S1"),
            ("s2_office", "西园街道办事处", "STREET_OFFICE", "--street", "S2"),
            ("s2_party", "西园街道党工委", "STREET_PARTY_COMMITTEE", "--street", "S2"),
            ("resident", "居民甲", "OBJECTOR", None, None),
            ("cand", "孙八", "CANDIDATE", None, None),
        ]
        for login, name, role, scope, where in users:
            args = ["user", "add", login, name, "--role", role]
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
            "written=是",
            "--set",
            "document_ref=辞字1号",
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
            "written=是",
            "--set",
            "document_ref=辞字1号",
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
            ["decided_on=2025-02-05", "minutes_ref=党工委纪要2025-03"],
        )
        self.fire(
            case,
            "record_filing",
            "bureau",
            "2025-02-10",
            ["filed_on=2025-02-10", "filing_no=东民备〔2025〕7号"],
        )
        self.note("separation_runs_out")
        self.run("deadlines", "run", "--until", "2025-03-01T00:00", now="2025-02-10")
        self.run("case", "show", str(case))

    def rehiring(self) -> None:
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
                ["applied_on=2026-11-03", "application_doc_ref=考核聘用申请书"],
            )
        for case in cases.values():
            self.fire(
                case,
                "street_approve",
                "s1_office",
                "2026-11-04",
                ["reviewed_on=2026-11-04", "review_opinion=同意"],
            )
        for case in cases.values():
            self.fire(
                case,
                "bureau_approve_application",
                "bureau",
                "2026-11-05",
                ["application_approval_no=东民批〔2026〕21号", "application_decided_on=2026-11-05"],
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
            ["party_meeting_date=2026-11-12", "party_members_present=7", "minutes_ref=党工委纪要2026-41"],
        )
        self.note("publicity_period")
        self.fire(
            case,
            "post_publicity",
            "s1_office",
            "2026-11-16",
            [
                "posted_on=2026-11-16",
                "publicity_community=C1",
                "publicity_place=东华社区党务居务公开栏",
                "publicity_doc_ref=公示〔2026〕5号",
            ],
        )
        self.fire(
            case,
            "lodge_objection",
            "resident",
            "2026-11-18",
            [
                "objection_received_on=2026-11-18",
                "objection_receiver=街道组织办",
                "objection_content=反映考勤问题",
                "objection_anonymous=否",
            ],
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
            ["rehire_approval_no=东民聘〔2026〕88号", "rehire_decided_on=2026-11-25"],
        )
        self.run("case", "show", str(case))

    def exam_hiring(self) -> None:
        self.heading("exam_hiring")
        plan = {
            "vacancy_lines": [{"community": "C2", "category": "PROFESSIONAL_SOCIAL_WORKER", "count": 1}],
            "term_id": 1,
            "conditions": "符合第七条规定的条件",
            "duties": "社区管理和服务",
            "pay": "按本届报酬标准",
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
            recruitment, "publish", "bureau", "2025-03-03", ["published_on=2025-03-03", "channels=区政府网站"]
        )
        registration = {
            "line_no": 1,
            "id_number": _id("11010519930615008"),
            "candidate_name": "孙八",
            "phone": "13800000008",
            "education": "本科",
            "graduated_from": "东区大学",
            "diploma_no": "BK-2015-08",
            "diploma_recognised": True,
            "hukou_city": "东区所在市",
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
            ["reviewed_on=2025-03-12", "attest_e1=是", "attest_e2=是", "attest_e3=是"],
        )
        self.note("registration_closes")
        self.run("deadlines", "run", "--until", "2025-03-21T00:00", now="2025-03-12")
        self.fire(recruitment, "start", "bureau", "2025-03-24")
        self.fire(
            candidate,
            "record_interview",
            "bureau",
            "2025-03-24",
            ["interview_score=88", "interview_on=2025-03-24", "interview_panel=考官组"],
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
            ["interview_score=88", "interview_on=2025-04-08", "interview_panel=考官组"],
        )
        self.fire(
            candidate,
            "pass_inspection",
            "bureau",
            "2025-04-15",
            ["inspected_on=2025-04-15", "inspectors=考察组", "inspection_findings=表现良好"],
        )
        self.fire(
            candidate,
            "pass_medical",
            "bureau",
            "2025-04-22",
            ["medical_institution=区人民医院", "medical_on=2025-04-22", "medical_conclusion=合格"],
        )
        self.fire(
            candidate,
            "appoint",
            "bureau",
            "2025-04-28",
            [
                "appointment_decision_no=东民聘〔2025〕3号",
                "decided_on=2025-04-28",
                "appointed_from=2025-05-01",
            ],
        )
        self.fire(recruitment, "complete", "bureau", "2025-04-28")
        self.run("case", "show", str(candidate))

    def dismissal(self) -> None:
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
            "allegation=利用职务之便为他人谋取私利",
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
            data=self.data_file("evidence.json", {"evidence_refs": ["纪检调查报告〔2025〕12号"]}),
        )
        self.fire(
            case,
            "confirm_ground",
            "s2_party",
            "2025-06-10",
            ["meeting_date=2025-06-10", "minutes_ref=党工委纪要2025-19"],
        )
        self.fire(
            case,
            "approve",
            "bureau",
            "2025-06-13",
            ["decision_no=东民解〔2025〕1号", "decision_date=2025-06-13", "effective_date=2025-06-16"],
        )
        self.fire(
            case,
            "record_notice",
            "s2_office",
            "2025-06-14",
            ["notice_delivered_on=2025-06-14", "notice_ref=送达回执"],
        )
        self.run("deadlines", "run", "--until", "2025-06-16T00:00", now="2025-06-14")
        self.run("case", "show", str(case))

    def finish(self) -> None:
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
        click.echo(t("cli.demo.unexpected", steps="；".join(story.failures)), err=True)
        raise SystemExit(1)
    click.echo("")
    click.echo(t("cli.demo.done", path=str(path)))
