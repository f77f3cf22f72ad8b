"""Click plumbing shared by every command: the per-invocation state, the `--json` flag on every
command, and the one place where errors become exit codes and messages.

Exit codes (engine.errors.EXIT_CODES): 0 ok, 2 usage/invalid input, 3 rule rejected, 4 not permitted,
5 not found, 6 conflict, 70 definition error, 1 anything unexpected (traceback only with --debug).
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import click

from engine import logging as shequ_logging
from engine.app import App, build
from engine.cli.output import dumps
from engine.clock import Clock, FrozenClock, SystemClock
from engine.errors import EXIT_CODES, InvalidInput, ShequFlowError
from engine.text import join_list, t
from storage.db import resolve_url, sqlite_path
from storage.migrate import current_revision

F = TypeVar("F", bound=Callable[..., Any])

ENV_DEBUG = "SHEQU_DEBUG"
_NO_ARGS: tuple[type[Exception], ...] = tuple(
    cls for cls in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if cls is not None)


@dataclass
class State:
    """Global options of one invocation and the lazily built application."""

    db: str | None = None
    login: str | None = None
    now: datetime | None = None
    json: bool = False
    debug: bool = False
    verbose: bool = False
    _app: App | None = field(default=None, repr=False)
    _clock: Clock | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return resolve_url(self.db)

    @property
    def clock(self) -> Clock:
        """A FrozenClock at `--now` (simulated time), else the real clock."""
        if self._clock is None:
            self._clock = FrozenClock(self.now) if self.now is not None else SystemClock()
        return self._clock

    def frozen_clock(self) -> FrozenClock:
        """A FrozenClock for simulations: at `--now`, or at the real current instant."""
        clock = self.clock
        if not isinstance(clock, FrozenClock):
            if self._app is not None:
                raise RuntimeError("frozen_clock() must be called before app()")
            clock = FrozenClock(clock.now())
            self._clock = clock
        return clock

    def app(self) -> App:
        if self._app is None:
            path = sqlite_path(self.url)
            if path is not None and str(path) not in ("", ":memory:") and not path.exists():
                # Do not let SQLite create an empty file as a side effect of a typo in --db.
                message = t("cli.errors.db_not_migrated", url=self.shown_url)
                raise ShequFlowError("CLI_DB_NOT_MIGRATED", message)
            app = build(self.url, self.clock)
            self._app = app
            if current_revision(app.db.engine) is None:
                message = t("cli.errors.db_not_migrated", url=self.shown_url)
                raise ShequFlowError("CLI_DB_NOT_MIGRATED", message)
        return self._app

    @property
    def shown_url(self) -> str:
        path = sqlite_path(self.url)
        if path is not None:
            return str(path)
        return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", self.url)

    def acting(self) -> str:
        """The `--as` login, required for case commands."""
        if not self.login:
            raise InvalidInput("CLI_USER_REQUIRED", t("cli.errors.user_required"))
        return self.login

    def close(self) -> None:
        if self._app is not None:
            self._app.db.engine.dispose()
            self._app = None
        shequ_logging.restore()


pass_state = click.make_pass_decorator(State, ensure=True)


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        state = ctx.ensure_object(State)
        state.json = True
        shequ_logging.configure(json=True, verbose=state.verbose)


def json_option() -> click.Option:
    return click.Option(["--json"], is_flag=True, expose_value=False, is_eager=True, callback=_set_json,
                        help=t("cli.help.opt_json"))


_SECTIONS = {"Options": "cli.help.section_options", "Commands": "cli.help.section_commands"}


class _HelpFormatter(click.HelpFormatter):
    """Click's help layout with the headings from the catalog (click itself only speaks English)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix=t("cli.help.usage_prefix") if prefix is None else prefix)

    def section(self, name: str) -> Any:
        return super().section(t(_SECTIONS[name]) if name in _SECTIONS else name)


class _Context(click.Context):
    formatter_class = _HelpFormatter


class _ChineseHelp:
    """Chinese help: headings, and the `--help` option's own text, from the catalog."""

    context_class: type[click.Context] = _Context

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option: click.Option | None = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = t("cli.help.opt_help")
        return option


class ShequCommand(_ChineseHelp, click.Command):
    """A command that also accepts `--json` after its own arguments (`shequ case show 1 --json`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(json_option())


class ShequGroup(_ChineseHelp, click.Group):
    """Groups create ShequCommands and ShequGroups; the root's `main` maps errors to exit codes."""

    command_class = ShequCommand
    group_class = type  # click: subgroups are of this same class

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        head = argv[: argv.index("--")] if "--" in argv else argv
        json_mode = "--json" in head
        debug = "--debug" in head or os.environ.get(ENV_DEBUG, "") not in ("", "0")
        code = self._run(argv, prog_name, complete_var, json_mode, debug, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, argv: list[str], prog_name: str | None, complete_var: str | None, json_mode: bool,
             debug: bool, **extra: Any) -> int:
        try:
            rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            return rv if isinstance(rv, int) else EXIT_CODES["ok"]
        except ShequFlowError as exc:
            report_error(exc, json_mode)
            return exc.exit_code
        except click.UsageError as exc:
            if isinstance(exc, _NO_ARGS) and exc.ctx is not None and not json_mode:
                click.echo(exc.ctx.get_help())  # a bare `shequ` or `shequ case`: show the help
                return EXIT_CODES["ok"]
            report_usage(exc, json_mode)
            return EXIT_CODES["usage"]
        except click.ClickException as exc:  # a bad file argument and the like
            report_error(InvalidInput("USAGE", t("cli.errors.usage", message=exc.format_message())),
                         json_mode)
            return EXIT_CODES["usage"]
        except click.Abort:
            click.echo(t("cli.errors.aborted"), err=True)
            return 1
        except Exception as exc:
            if debug:
                traceback.print_exc(file=sys.stderr)
            message = t("cli.errors.internal", kind=type(exc).__name__)
            report_error(ShequFlowError("INTERNAL", message), json_mode)
            return 1


def report_error(exc: ShequFlowError, json_mode: bool) -> None:
    """Human: `错误 [CODE]: message` on stderr (one line per guard failure). JSON: on stdout."""
    if json_mode:
        click.echo(dumps({"ok": False, "error": exc.to_dict()}))
        return
    click.echo(t("cli.errors.line", code=exc.code, message=exc.message_zh), err=True)
    failures = exc.details.get("failures") if isinstance(exc.details, dict) else None
    if isinstance(failures, list) and len(failures) > 1:
        for failure in failures:
            rule = failure.get("rule_id") or failure.get("code")
            click.echo(t("cli.errors.failure", rule=rule, message=failure.get("message", "")), err=True)


def _param_name(param: click.Parameter) -> str:
    if isinstance(param, click.Option) and param.opts:
        return max(param.opts, key=len)
    return param.human_readable_name


def _bad_value_reason(exc: click.BadParameter) -> str:
    kind = exc.param.type if exc.param is not None else None
    if isinstance(kind, click.Choice):
        return t("payload.not_choice", choices=join_list(kind.choices))
    if isinstance(kind, click.types.IntParamType):
        return t("payload.not_int")
    if isinstance(kind, click.types.FloatParamType):
        return t("payload.not_number")
    if isinstance(kind, click.types.BoolParamType):
        return t("payload.not_bool")
    return exc.message  # our own parameter types already fail in Chinese


def usage_text(exc: click.UsageError) -> str:
    """Click words its usage errors in English: the ones users meet (missing or unknown option or argument,
    unknown command, bad value) are said in Chinese from the catalog; anything else keeps click's wording."""
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        kind = "option" if isinstance(exc.param, click.Option) else "argument"
        return t(f"cli.errors.click.missing_{kind}", name=_param_name(exc.param))
    if isinstance(exc, click.BadParameter) and exc.param is not None:
        return t("cli.errors.click.bad_value", name=_param_name(exc.param), reason=_bad_value_reason(exc))
    if isinstance(exc, click.NoSuchOption):
        return t("cli.errors.click.no_such_option", name=exc.option_name)
    if isinstance(exc, click.BadOptionUsage):
        return t("cli.errors.click.bad_option", name=exc.option_name)
    command = getattr(exc, "command_name", None)  # click.NoSuchCommand (click ≥ 8.4)
    if isinstance(command, str):
        return t("cli.errors.click.no_such_command", name=command)
    return exc.format_message()


def report_usage(exc: click.UsageError, json_mode: bool) -> None:
    message = t("cli.errors.usage", message=usage_text(exc))
    if json_mode:
        report_error(InvalidInput("USAGE", message), True)
        return
    click.echo(t("cli.errors.line", code="USAGE", message=message), err=True)
    if exc.ctx is not None:
        click.echo(exc.ctx.get_usage(), err=True)
        click.echo(t("cli.errors.usage_hint", command=exc.ctx.command_path), err=True)
