"""Policy packs: the jurisdiction's settings, including every ASSUMPTION of spec §7 as a setting.

A pack is a TOML file (`workflows/packs/<code>.toml`) with a `[pack]` header (code, version, name,
sources) and nested settings. A value the sources do not give is written `"UNSPECIFIED"`: reading it
raises `NotConfigured` (A-41). A pack never inherits from another: every pack must declare every key
that the reference pack (DONGQU) declares, as a value or as UNSPECIFIED; a missing key is a
definition error at load time.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

from engine.errors import DefinitionError, NotConfigured, NotFound

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
            raise DefinitionError(f"策略包 {self.code} 没有设置项 {key}")
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

    def bool(self, key: str, rule: str | None = None) -> bool:
        value = self.get(key, rule)
        if not isinstance(value, bool):
            raise DefinitionError(f"策略包 {self.code} 的 {key} 应为 true/false")
        return value

    def enabled(self, key: str) -> bool:
        """A feature flag: true only when set and true (UNSPECIFIED reads as not enabled)."""
        return self.is_set(key) and self.settings[key] is True


def _parse(code_hint: str, text: str) -> Policy:
    raw = tomllib.loads(text)
    header = raw.pop("pack", None)
    if not isinstance(header, Mapping) or "code" not in header or "version" not in header:
        raise DefinitionError(f"策略包文件 {code_hint} 缺少 [pack] 段或其 code、version")
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
        raise DefinitionError(f"缺少参照策略包 {REFERENCE_PACK}")
    for pack in packs.values():
        missing = sorted(set(reference.settings) - set(pack.settings))
        extra = sorted(set(pack.settings) - set(reference.settings))
        if missing:
            raise DefinitionError(
                f"策略包 {pack.code} 缺少设置项（不得继承 {REFERENCE_PACK}）：{', '.join(missing)}")
        if extra:
            raise DefinitionError(f"策略包 {pack.code} 有未知设置项：{', '.join(extra)}")


def get_pack(code: str) -> Policy:
    packs = load_packs()
    if code not in packs:
        raise NotFound("PACK_NOT_FOUND", details={"pack": code, "known": "、".join(packs)})
    return packs[code]
