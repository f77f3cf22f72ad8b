"""Policy packs: loading, completeness (no inheritance), UNSPECIFIED → NotConfigured (A-41)."""

from __future__ import annotations

from fractions import Fraction
from importlib import resources

import pytest

from engine.errors import DefinitionError, NotConfigured
from engine.policy import REFERENCE_PACK, UNSPECIFIED, Policy, _parse, check_complete, get_pack, load_packs
from tests.conftest import World, make_id
from tests.engine.snapshot import snapshot


def _pack_text(name: str) -> str:
    return (resources.files("workflows") / "packs" / name).read_text(encoding="utf-8")


def _without_line(text: str, startswith: str) -> str:
    lines = text.splitlines()
    kept = [ln for ln in lines if not ln.startswith(startswith)]
    assert len(kept) == len(lines) - 1, f"exactly one line starts with {startswith!r}"
    return "\n".join(kept)


def test_shipped_packs_load_with_their_headers() -> None:
    """DONGQU and HONGSHAN load from workflows/packs with code, version and a Chinese name."""
    packs = load_packs()
    assert {"DONGQU", "HONGSHAN"} <= set(packs)
    dongqu, hongshan = get_pack("DONGQU"), get_pack("HONGSHAN")
    assert (dongqu.code, dongqu.version, hongshan.code, hongshan.version) == ("DONGQU", 1, "HONGSHAN", 1)
    assert "东区" in dongqu.name_zh
    assert "洪山" in hongshan.name_zh


def test_every_shipped_pack_declares_exactly_the_reference_keys() -> None:
    """No pack inherits from DONGQU: each declares the same keys, as a value or UNSPECIFIED."""
    reference = set(get_pack(REFERENCE_PACK).settings)
    for pack in load_packs().values():
        assert set(pack.settings) == reference, pack.code


def test_dongqu_values_are_typed() -> None:
    """DONGQU's settings read with their types: int, exact fraction, bool, role name."""
    p = get_pack("DONGQU")
    assert p.int("resignation.notice_months") == 1
    assert p.fraction("rehire.recommendation_pass_gt") == Fraction(1, 2)
    assert p.bool("resignation.written_required") is True
    assert p.get("resignation.approver") == "STREET_PARTY_COMMITTEE"
    assert p.enabled("procedures.resignation") is True


def test_a_pack_missing_a_key_is_rejected_at_load() -> None:
    """A pack without one of the reference keys is a definition error naming the key (A-41)."""
    reference = _parse("dongqu.toml", _pack_text("dongqu.toml"))
    text = _without_line(_pack_text("hongshan.toml"), "notice_months")
    partial = _parse("hongshan.toml", text)
    assert "resignation.notice_months" not in partial.settings
    with pytest.raises(DefinitionError) as info:
        check_complete({reference.code: reference, partial.code: partial})
    assert "HONGSHAN" in info.value.message_zh
    assert "resignation.notice_months" in info.value.message_zh
    assert "不得继承" in info.value.message_zh


def test_a_pack_with_an_unknown_key_is_rejected_at_load() -> None:
    """A key the reference pack does not declare (a typo) is a definition error naming it."""
    reference = _parse("dongqu.toml", _pack_text("dongqu.toml"))
    typo = _parse("x.toml", _pack_text("hongshan.toml").replace("notice_months =", "notice_month ="))
    with pytest.raises(DefinitionError) as info:
        check_complete({reference.code: reference, typo.code: typo})
    assert "resignation.notice_month" in info.value.message_zh


def test_complete_packs_pass_the_check() -> None:
    """The shipped packs, parsed in memory, pass the completeness check."""
    packs = [_parse(n, _pack_text(n)) for n in ("dongqu.toml", "hongshan.toml")]
    check_complete({p.code: p for p in packs})


def test_reference_pack_is_required() -> None:
    """Without the DONGQU reference pack there is nothing to check completeness against."""
    hongshan = _parse("hongshan.toml", _pack_text("hongshan.toml"))
    with pytest.raises(DefinitionError, match="DONGQU"):
        check_complete({hongshan.code: hongshan})


@pytest.mark.parametrize("text", [
    pytest.param("[resignation]\nnotice_months = 1\n", id="no-pack-section"),
    pytest.param("[pack]\nname = 'x'\n[resignation]\nnotice_months = 1\n", id="pack-section-without-code"),
])
def test_a_pack_without_header_is_rejected(text: str) -> None:
    """A pack file must start with a [pack] header giving its code and version."""
    with pytest.raises(DefinitionError, match=r"x\.toml"):
        _parse("x.toml", text)


@pytest.mark.parametrize("read", [
    pytest.param(lambda p: p.get("resignation.notice_months", "RES-2"), id="A-41-get"),
    pytest.param(lambda p: p.int("resignation.notice_months", "RES-2"), id="A-41-int"),
    pytest.param(lambda p: p.bool("resignation.written_required", "RES-2"), id="A-41-bool"),
    pytest.param(lambda p: p.fraction("rehire.recommendation_pass_gt", "RES-2"), id="A-41-fraction"),
])
def test_reading_an_unspecified_value_raises_not_configured(read: object) -> None:
    """A-41: an UNSPECIFIED value is never guessed; reading it raises NOT_CONFIGURED citing A-41."""
    hongshan = get_pack("HONGSHAN")
    with pytest.raises(NotConfigured) as info:
        read(hongshan)  # type: ignore[operator]
    err = info.value
    assert (err.code, err.citation, err.rule_id) == ("NOT_CONFIGURED", "A-41", "RES-2")
    assert "HONGSHAN" in err.message_zh
    assert "A-41" in err.message_zh
    assert err.details["key"] in err.message_zh


def test_unspecified_reads_as_not_set_and_not_enabled() -> None:
    """is_set/enabled report an UNSPECIFIED value as absent without raising."""
    hongshan = get_pack("HONGSHAN")
    assert hongshan.settings["procedures.resignation"] == UNSPECIFIED
    assert not hongshan.is_set("procedures.resignation")
    assert not hongshan.enabled("procedures.resignation")
    assert hongshan.is_set("term.length_years")
    assert hongshan.int("term.length_years") == 3


def test_an_undeclared_key_is_a_definition_error() -> None:
    """Reading a key no pack declares is a programming error, not NOT_CONFIGURED."""
    with pytest.raises(DefinitionError, match=r"no\.such_key"):
        get_pack("DONGQU").get("no.such_key")


def test_a_non_boolean_flag_is_a_definition_error() -> None:
    """bool() on a non-boolean value refuses instead of reading truthiness."""
    pack = Policy("T", 1, "t", {"x.flag": "yes"})
    with pytest.raises(DefinitionError, match=r"x\.flag"):
        pack.bool("x.flag")


def test_resignation_in_a_hongshan_district_is_refused_and_nothing_written(world: World) -> None:
    """A-41: a district on HONGSHAN cannot open a resignation (not configured); nothing is written."""
    a = world.app.admin
    a.add_district("HS", "洪山区", "HONGSHAN")
    a.add_street("HS", "HS1", "洪山街道")
    a.add_community("HS1", "HC1", "洪山社区", 5)
    worker = a.add_worker({"id_number": make_id("42011119850202002"), "name": "李四", "community": "HC1",
                           "category": "PROFESSIONAL_SOCIAL_WORKER", "appointment_start": "2024-01-01"})
    a.add_user("li", "李四", ["WORKER"], community="HC1", worker_id=worker)
    before = snapshot(world.app.db)
    with pytest.raises(NotConfigured) as info:
        world.app.engine.open_case("resignation", "li", {"submitted_on": "2025-01-06", "written": True,
                                                         "document_ref": "D1"}, worker_id=worker)
    assert (info.value.code, info.value.citation) == ("NOT_CONFIGURED", "A-41")
    assert "HONGSHAN" in info.value.message_zh
    assert snapshot(world.app.db) == before
