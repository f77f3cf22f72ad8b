"""Policy packs: the jurisdiction's settings, including every ASSUMPTION of spec §7 as a setting.

A pack is a TOML file (`workflows/packs/<code>.toml`) with a `[pack]` header (code, version, name,
sources) and nested settings. A value the sources do not give is written `"UNSPECIFIED"`: reading it
raises `NotConfigured` (A-41). A pack never inherits from another: every pack must declare every key
that the reference pack (DONGQU) declares, as a value or as UNSPECIFIED; a missing key is a
definition error at load time.
"""

from __future__ import annotations

import builtins
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

from engine.errors import DefinitionError, NotConfigured, NotFound
from engine.text import join_list, t

UNSPECIFIED = "UNSPECIFIED"
REFERENCE_PACK = "DONGQU"


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and not value.get("__leaf__"):
            yield from _flatten(value, path + ".")
        else:
            yield path, value


@dataclass(frozen=True)
class Policy:
    code: str
    version: int
    name_zh: str
    settings: Mapping[str, Any]  # flattened: "rehire.publicity_days" -> 7

    def is_set(self, key: str) -> bool:
        return key in self.settings and self.settings[key] != UNSPECIFIED

    def get(self, key: str, rule: str | None = None) -> Any:
        if key not in self.settings:
            raise DefinitionError(t("definition.pack_no_setting", pack=self.code, key=key))
        value = self.settings[key]
        if value == UNSPECIFIED:
            raise NotConfigured(
                "NOT_CONFIGURED",
                rule_id=rule,
                citation="A-41",
                details={"pack": self.code, "key": key, "rule": rule or key},
            )
        return value

    def fraction(self, key: str, rule: str | None = None) -> Fraction:
        value = self.get(key, rule)
        return Fraction(str(value))

    def int(self, key: str, rule: str | None = None) -> int:
        return int(self.get(key, rule))

    def bool(self, key: str, rule: str | None = None) -> builtins.bool:
        value = self.get(key, rule)
        if not isinstance(value, bool):
            raise DefinitionError(t("definition.pack_not_bool", pack=self.code, key=key))
        return value

    def enabled(self, key: str) -> builtins.bool:
        """A feature flag: true only when set and true (UNSPECIFIED reads as not enabled)."""
        return self.is_set(key) and self.settings[key] is True


def _parse(code_hint: str, text: str) -> Policy:
    raw = tomllib.loads(text)
    header = raw.pop("pack", None)
    if not isinstance(header, Mapping) or "code" not in header or "version" not in header:
        raise DefinitionError(t("definition.pack_header", file=code_hint))
    settings = dict(_flatten(raw))
    return Policy(
        code=str(header["code"]),
        version=int(header["version"]),
        name_zh=str(header.get("name", header["code"])),
        settings=settings,
    )


@cache
def load_packs() -> dict[str, Policy]:
    """Every shipped pack, keyed by code, checked for completeness against the reference pack."""
    packs: dict[str, Policy] = {}
    folder = resources.files("workflows") / "packs"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            pack = _parse(entry.name, entry.read_text(encoding="utf-8"))
            packs[pack.code] = pack
    check_complete(packs)
    return packs


def check_complete(packs: Mapping[str, Policy]) -> None:
    """Every pack declares exactly the reference pack's keys (no inheritance, no unknown keys)."""
    reference = packs.get(REFERENCE_PACK)
    if reference is None:
        raise DefinitionError(t("definition.pack_reference_missing", pack=REFERENCE_PACK))
    for pack in packs.values():
        missing = sorted(set(reference.settings) - set(pack.settings))
        extra = sorted(set(pack.settings) - set(reference.settings))
        if missing:
            raise DefinitionError(t("definition.pack_missing_keys", pack=pack.code, reference=REFERENCE_PACK,
                                    keys=", ".join(missing)))
        if extra:
            raise DefinitionError(t("definition.pack_unknown_keys", pack=pack.code, keys=", ".join(extra)))


def get_pack(code: str) -> Policy:
    packs = load_packs()
    if code not in packs:
        raise NotFound("PACK_NOT_FOUND", details={"pack": code, "known": join_list(packs)})
    return packs[code]
