"""Parameter types and payload assembly shared by the commands.

Instants: ISO datetime or bare date; a naive value is China time (Asia/Shanghai) and a bare date means
09:00 that day (office hours: a deadline due at the midnight that starts the day has passed by then).

Payloads: `--data` (a JSON object, or `@file.json`) first, then each `--set key=value` on top of it,
then each `--override CODE=理由` into the `overrides` field. `--set` values stay strings: the engine
coerces them by the step's declared field types. `--set key=@file` reads the value from a file
(e.g. a JSON roster); `@@text` stands for the literal `@text`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import click

from engine.clock import LOCAL_TZ
from engine.errors import InvalidInput
from engine.evaluate import OVERRIDES_FIELD
from engine.text import t

DEFAULT_HOUR = time(9, 0)


def parse_instant(raw: str) -> datetime:
    """`2025-01-06` → 09:00 China time; `2025-01-06T10:30` (naive) → China time; offsets are kept."""
    value = raw.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        return datetime.combine(day, DEFAULT_HOUR, tzinfo=LOCAL_TZ)
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=LOCAL_TZ) if parsed.tzinfo is None else parsed


class InstantType(click.ParamType):
    name = "DATETIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_instant(str(value))
        except ValueError:
            self.fail(t("cli.errors.bad_datetime", value=value), param, ctx)


class DateType(click.ParamType):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(t("cli.errors.bad_date", value=value), param, ctx)


INSTANT = InstantType()
DATE = DateType()


def _read_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput("CLI_FILE_UNREADABLE", t("cli.errors.file_unreadable", path=path,
                                                     reason=exc.strerror or str(exc))) from exc


def _value(raw: str) -> str:
    if raw.startswith("@@"):
        return raw[1:]
    if raw.startswith("@") and len(raw) > 1:
        return _read_file(raw[1:])
    return raw


def _pairs(items: Sequence[str], option: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput("CLI_BAD_SET", t("cli.errors.bad_set", option=option, item=item))
        out.append((key.strip(), value))
    return out


def build_payload(data: str | None, sets: Sequence[str], overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The raw payload for the engine (validated and coerced there, against the step's fields)."""
    payload: dict[str, Any] = {}
    if data:
        source = _read_file(data[1:]) if data.startswith("@") else data
        try:
            loaded = json.loads(source)
        except json.JSONDecodeError as exc:
            raise InvalidInput("CLI_BAD_DATA", t("cli.errors.bad_data", reason=exc.msg)) from exc
        if not isinstance(loaded, dict):
            raise InvalidInput("CLI_BAD_DATA", t("cli.errors.bad_data", reason=t("cli.errors.not_object")))
        payload.update(loaded)
    for key, value in _pairs(sets, "--set"):
        payload[key] = _value(value)
    if overrides:
        merged = payload.get(OVERRIDES_FIELD) or {}
        if isinstance(merged, str):
            try:
                merged = json.loads(merged)
            except json.JSONDecodeError:
                merged = {}
        merged = dict(merged) if isinstance(merged, dict) else {}
        for code, reason in _pairs(overrides, "--override"):
            merged[code] = reason
        payload[OVERRIDES_FIELD] = merged
    return payload


def payload_options(func: Any) -> Any:
    """`--set key=value` (repeatable), `--data JSON|@file.json`, `--override CODE=理由` (repeatable)."""
    func = click.option("--override", "overrides", multiple=True, metavar=t("cli.metavar.override"),
                        help=t("cli.help.opt_override"))(func)
    func = click.option("--data", "data", metavar="JSON|@FILE", help=t("cli.help.opt_data"))(func)
    func = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=t("cli.help.opt_set"))(func)
    return func
