"""Every template renders, under StrictUndefined, for every event that uses it — checked against golden files
(`SHEQU_UPDATE_GOLDEN=1` rewrites them) — and user-supplied text renders inert."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from markupsafe import escape

from notifications import render as R
from notifications.kinds import KINDS, spec_for, templates
from notifications.masking import find_unmasked_ids, mask_text
from tests.conftest import World
from tests.notifications.scenarios import EVENTS, PLAIN, Event, Texts, rows_of
from workflows import ALL_PROCEDURES

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SHEQU_UPDATE_GOLDEN") == "1"
TEMPLATES = Path(R.__file__).parent / "templates"


def _declared() -> set[tuple[str, str]]:
    return {(n.kind, s.trigger) for p in ALL_PROCEDURES for s in p.steps for n in s.notices}


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {name} was missing and has been written: review and commit it")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_every_declared_notice_has_a_template_and_a_golden_event() -> None:
    """Every (kind, step) the procedures declare is a known kind and is exercised by a golden event."""
    declared = _declared()
    assert {kind for kind, _ in declared} <= set(KINDS)
    assert declared <= {(e.kind, e.trigger) for e in EVENTS if not e.kind.startswith("reminder.")}


def test_every_template_file_is_used_and_every_used_template_exists() -> None:
    """The templates folder holds exactly the templates the kinds use (plus the shared partials)."""
    files = {p.name for p in TEMPLATES.glob("*.j2") if not p.name.startswith("_")}
    expected = {f"{name}.{ext}.j2" for name in templates() for ext in ("txt", "html")}
    assert files == expected


@pytest.mark.parametrize("event", EVENTS, ids=[e.id for e in EVENTS])
def test_event_renders_against_golden_files(event: Event, world: World,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The event's rows render identically for every recipient, as text and as HTML, exactly as the golden
    files say; printable documents are A4 pages."""
    case_id = event.run(world, PLAIN, monkeypatch)
    rows = rows_of(world, case_id, event)
    assert rows, f"{event.id} wrote no notification"
    outputs = {(o.subject, o.text, o.html) for o in (R.render(r["kind"], r["payload"]) for r in rows)}
    assert len(outputs) == 1, "recipients of one notice receive the same document"
    subject, text, html = outputs.pop()
    name = event.id.replace("@", "__")
    _check(f"{name}.txt", f"{subject}\n\n{text}")
    _check(f"{name}.html", html)
    assert ("size: A4" in html) is spec_for(event.kind).printable
    assert not find_unmasked_ids(text + html)


def test_documents_cite_the_failed_rules_and_articles(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """不予聘用通知 after failed votes names every failing rule, its figures and its article."""
    event = next(e for e in EVENTS if e.id == "rehire.not_rehired@thresholds_failed")
    case_id = event.run(world, PLAIN, monkeypatch)
    [row] = rows_of(world, case_id, event)
    text = R.render(row["kind"], row["payload"]).text
    for rule in ("[RH-1]", "[RH-2]", "[RH-3]"):
        assert rule in text
    assert "20/40 = 50.0%" in text
    assert "seed 000 第六条2" in text


def test_dismissal_decision_names_ground_and_article_and_masks_the_id(world: World,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """解除聘用决定书 names the ground (DIS-G3), its article (seed 000 第二十三条3); the ID is masked."""
    event = next(e for e in EVENTS if e.id == "dismissal.approved@approve")
    case_id = event.run(world, PLAIN, monkeypatch)
    [row] = rows_of(world, case_id, event)
    text = R.render(row["kind"], row["payload"]).text
    assert "DIS-G3" in text
    assert "seed 000 第二十三条3" in text
    assert re.search(r"1101\*{10}\d{3}[\dX]", text)


def test_a_snapshot_missing_a_value_fails_loudly(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """StrictUndefined: a snapshot without a value the template needs raises NOTIFICATION_RENDER_FAILED."""
    event = next(e for e in EVENTS if e.id == "resignation.approved@approve")
    case_id = event.run(world, PLAIN, monkeypatch)
    row = rows_of(world, case_id, event)[0]
    payload = dict(row["payload"])
    context = dict(payload["context"])
    context["case"] = {**context["case"], "data": {k: v for k, v in context["case"]["data"].items()
                                                   if k != "minutes_ref"}}
    with pytest.raises(R.RenderError) as info:
        R.render(row["kind"], {**payload, "context": context})
    assert info.value.code == "NOTIFICATION_RENDER_FAILED"
    assert "minutes_ref" in info.value.message_zh


# ---------------------------------------------------------------- injection


HOSTILE = Texts(
    name="{{ 7*7 }}<script>alert(1)</script>",
    reason="{% for x in range(3) %}X{% endfor %} <img src=x onerror=alert(2)> 身份证 110105198001010019",
    opinion="{{ config.items() }} \"'><b>粗</b> 电话 13912345678",
    objection="{{ ''.__class__.__mro__ }} </p><iframe src=//evil></iframe>",
    allegation="{{ self }}<svg onload=alert(3)>",
)
# The event and the hostile fields it prints.
INJECTED = {
    "resignation.returned@return_application": ("reason",),
    "rehire.not_rehired@conclude_objection_affects": ("name", "objection", "opinion"),
    "rehire.not_rehired@street_reject": ("name", "opinion"),
    "dismissal.approved@approve": ("allegation",),
    "rehire.publicity_posted@post_publicity": ("name",),
    "exam.appointed@appoint": ("name",),
}


@pytest.mark.parametrize("event", [e for e in EVENTS if e.id in INJECTED],
                         ids=[e.id for e in EVENTS if e.id in INJECTED])
def test_injected_user_text_renders_inert(event: Event, world: World,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Template syntax in names, reasons and objections is printed literally (never evaluated); HTML in them
    is escaped in the HTML rendering; ID and phone numbers typed into them are masked."""
    case_id = event.run(world, HOSTILE, monkeypatch)
    for row in rows_of(world, case_id, event):
        out = R.render(row["kind"], row["payload"])
        for field in INJECTED[event.id]:
            value = mask_text(getattr(HOSTILE, field))
            assert value in out.text, f"{field} not printed literally"
            assert str(escape(value)) in out.html, f"{field} not escaped in HTML"
        for bad in ("<script", "<img", "<iframe", "<svg", "<b>粗"):
            assert bad not in out.html
        assert "49" not in out.text.replace("2025", "").replace("1049", "")
        assert "110105198001010019" not in out.text + out.html
        assert "13912345678" not in out.text + out.html
        assert "\n" not in out.subject
