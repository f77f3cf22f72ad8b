"""The catalog of user-facing text. Every Chinese string the product shows lives under
`engine/locale/<lang>/*.toml`; code refers to it by key (house rule 5, one place per language).

Files are merged into one tree; the same key in two files is a definition error, not an override.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANG = "zh_CN"


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _merge(into: dict[str, Any], other: dict[str, Any], where: str, prefix: str = "") -> None:
    for key, value in other.items():
        path = f"{prefix}{key}"
        if key in into:
            if isinstance(into[key], dict) and isinstance(value, dict):
                _merge(into[key], value, where, path + ".")
                continue
            raise ValueError(f"text key {path!r} defined twice (second time in {where})")
        into[key] = value


@cache
def catalog(lang: str = DEFAULT_LANG) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    folder = resources.files("engine") / "locale" / lang
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            _merge(tree, tomllib.loads(entry.read_text(encoding="utf-8")), entry.name)
    return tree


def lookup(key: str, lang: str = DEFAULT_LANG) -> str | None:
    node: Any = catalog(lang)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    return lookup(key, lang) is not None


def t(key: str, lang: str = DEFAULT_LANG, /, **params: Any) -> str:
    """The text for `key` with `params` filled in. A missing key returns the key itself, so a
    gap shows up in output and in the catalog-completeness test instead of crashing a transition."""
    template = lookup(key, lang)
    if template is None:
        return key
    return template.format_map(_SafeDict(params))


def join_list(items: Iterable[object], lang: str = DEFAULT_LANG) -> str:
    """Items of a list in running text, joined with the language's list separator (`甲、乙、丙`)."""
    return t("text.list_separator", lang).join(str(item) for item in items)


def join_clauses(items: Iterable[object], lang: str = DEFAULT_LANG) -> str:
    """Independent messages in one line, joined with the language's clause separator (`甲；乙`)."""
    return t("text.clause_separator", lang).join(str(item) for item in items)


@cache
def sample_data(name: str, lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """Sample records in the language (`engine/locale/<lang>/samples/<name>.toml`), e.g. the names, document
    numbers and places the demo's users type. Data, not interface text: never formatted as a message."""
    entry = resources.files("engine") / "locale" / lang / "samples" / f"{name}.toml"
    return tomllib.loads(entry.read_text(encoding="utf-8"))
