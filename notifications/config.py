"""Channel configuration: a TOML file and environment variables (the environment wins).

The file is `SHEQU_NOTIFY_CONFIG` (or the path given to `load`); every key is optional:

```toml
[dispatch]
max_attempts = 6            # a row is dead-lettered after this many attempts
backoff_base_seconds = 60   # wait after attempt n: base · 2^(n−1), at most backoff_max_seconds
backoff_max_seconds = 21600
lease_seconds = 300         # a claimed row is left alone this long (a dispatcher that dies mid-send)
batch_size = 200            # rows per dispatch run

[documents]
objection_contact = "东华街道办事处组织科，电话 010-12345678"   # shown on publicity notices

[smtp]                      # enabled when a host is set
host = "smtp.example.org"
port = 587
security = "starttls"       # none | starttls | tls
username = "shequ"
password_env = "SHEQU_SMTP_PASSWORD"   # or password = "..." (prefer the environment)
sender = "社区工作者管理 <shequ@example.org>"
timeout_seconds = 10
ca_file = "/etc/ssl/private-ca.pem"    # optional: trust a private CA

[webhook]                   # enabled when a secret is set; users' webhook URLs come from their contacts
secret_env = "SHEQU_WEBHOOK_SECRET"    # HMAC-SHA256 key (or secret = "...")
default_url = "https://oa.example.org/hooks/shequ"   # for users without a webhook URL of their own
signature_header = "X-Shequ-Signature"
timeout_seconds = 10
use_env_proxy = true

[file]                      # the demo channel: one file per notification and recipient
directory = "shequ-notices"

[console]
enabled = true              # print each notification to standard error
```

Environment: `SHEQU_SMTP_HOST`, `SHEQU_SMTP_PORT`, `SHEQU_SMTP_SECURITY`, `SHEQU_SMTP_USER`,
`SHEQU_SMTP_PASSWORD`, `SHEQU_SMTP_SENDER`, `SHEQU_WEBHOOK_SECRET`, `SHEQU_WEBHOOK_URL`, `SHEQU_NOTIFY_DIR`,
`SHEQU_NOTIFY_CONSOLE=1`, `SHEQU_NOTIFY_MAX_ATTEMPTS`.

Without any configuration the file channel is on, writing next to the SQLite database (or into
`./shequ-notices` for a server database), so the demo shows every notification and nothing is lost.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.errors import InvalidInput
from engine.text import join_list, t

ENV_CONFIG = "SHEQU_NOTIFY_CONFIG"
DEFAULT_DIR = "shequ-notices"
SECURITY_MODES = ("none", "starttls", "tls")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str = "shequ-flow <noreply@localhost>"
    timeout_seconds: float = 10.0
    ca_file: str | None = None


@dataclass(frozen=True)
class WebhookConfig:
    secret: str
    default_url: str | None = None
    signature_header: str = "X-Shequ-Signature"
    timeout_seconds: float = 10.0
    use_env_proxy: bool = True


@dataclass(frozen=True)
class FileConfig:
    directory: Path


@dataclass(frozen=True)
class NotifyConfig:
    max_attempts: int = 6
    backoff_base_seconds: int = 60
    backoff_max_seconds: int = 6 * 3600
    lease_seconds: int = 300
    batch_size: int = 200
    objection_contact: str | None = None
    smtp: SmtpConfig | None = None
    webhook: WebhookConfig | None = None
    file: FileConfig | None = None
    console: bool = False
    source: str = field(default="defaults", compare=False)

    def backoff_seconds(self, attempts: int) -> int:
        """Wait after the `attempts`-th failed attempt: base · 2^(attempts−1), capped."""
        exponent = max(attempts - 1, 0)
        if exponent > 30:
            return self.backoff_max_seconds
        return int(min(self.backoff_base_seconds * (2**exponent), self.backoff_max_seconds))

    @property
    def channel_names(self) -> tuple[str, ...]:
        names = []
        if self.smtp is not None:
            names.append("smtp")
        if self.webhook is not None:
            names.append("webhook")
        if self.file is not None:
            names.append("file")
        if self.console:
            names.append("console")
        return tuple(names)


def _bad(problem: str) -> InvalidInput:
    return InvalidInput("NOTIFY_CONFIG_INVALID", t("notifications.config.invalid", problem=problem))


def _int(value: Any, key: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad(t("notifications.config.not_int", key=key, value=value)) from None
    if number < minimum:
        raise _bad(t("notifications.config.below_min", key=key, value=number, minimum=minimum))
    return number


def _secret(section: Mapping[str, Any], key: str, env: Mapping[str, str]) -> str | None:
    """A secret given in clear (`key`) or through a variable named by `key_env`."""
    name = section.get(f"{key}_env")
    if name:
        return env.get(str(name)) or None
    value = section.get(key)
    return str(value) if value else None


def _section(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise _bad(t("notifications.config.not_table", key=name))
    return dict(value)


def default_directory(db_url: str | None) -> Path:
    """Next to a SQLite database file, else `./shequ-notices`."""
    if db_url and db_url.startswith("sqlite:///"):
        path = Path(db_url.removeprefix("sqlite:///"))
        if str(path) not in ("", ":memory:"):
            return path.parent / DEFAULT_DIR
    return Path(DEFAULT_DIR)


def load(
    path: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    db_url: str | None = None,
) -> NotifyConfig:
    """The configuration from `path` (else `SHEQU_NOTIFY_CONFIG`), then the environment on top."""
    env = os.environ if env is None else env
    path = path or env.get(ENV_CONFIG) or None
    data: dict[str, Any] = {}
    source = "defaults"
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise _bad(t("notifications.config.unreadable", path=path, reason=exc.strerror or exc)) from exc
        except tomllib.TOMLDecodeError as exc:
            raise _bad(t("notifications.config.not_toml", path=path, reason=exc)) from exc
        source = str(path)
    dispatch = _section(data, "dispatch")
    documents = _section(data, "documents")
    smtp = _section(data, "smtp")
    webhook = _section(data, "webhook")
    file = _section(data, "file")
    console = _section(data, "console")

    for key, var in (("host", "SHEQU_SMTP_HOST"), ("port", "SHEQU_SMTP_PORT"),
                     ("security", "SHEQU_SMTP_SECURITY"), ("username", "SHEQU_SMTP_USER"),
                     ("sender", "SHEQU_SMTP_SENDER")):
        if env.get(var):
            smtp[key] = env[var]
    if env.get("SHEQU_SMTP_PASSWORD"):
        smtp.pop("password_env", None)
        smtp["password"] = env["SHEQU_SMTP_PASSWORD"]
    if env.get("SHEQU_WEBHOOK_SECRET"):
        webhook.pop("secret_env", None)
        webhook["secret"] = env["SHEQU_WEBHOOK_SECRET"]
    if env.get("SHEQU_WEBHOOK_URL"):
        webhook["default_url"] = env["SHEQU_WEBHOOK_URL"]
    if env.get("SHEQU_NOTIFY_DIR"):
        file["directory"] = env["SHEQU_NOTIFY_DIR"]
    if env.get("SHEQU_NOTIFY_CONSOLE", "").strip().lower() in ("1", "true", "yes"):
        console["enabled"] = True
    if env.get("SHEQU_NOTIFY_MAX_ATTEMPTS"):
        dispatch["max_attempts"] = env["SHEQU_NOTIFY_MAX_ATTEMPTS"]

    config = NotifyConfig(
        max_attempts=_int(dispatch.get("max_attempts", 6), "dispatch.max_attempts", 1),
        backoff_base_seconds=_int(dispatch.get("backoff_base_seconds", 60), "dispatch.backoff_base_seconds",
                                  1),
        backoff_max_seconds=_int(dispatch.get("backoff_max_seconds", 21600), "dispatch.backoff_max_seconds",
                                 1),
        lease_seconds=_int(dispatch.get("lease_seconds", 300), "dispatch.lease_seconds", 1),
        batch_size=_int(dispatch.get("batch_size", 200), "dispatch.batch_size", 1),
        objection_contact=str(documents["objection_contact"]) if documents.get("objection_contact") else None,
        smtp=_smtp(smtp, env),
        webhook=_webhook(webhook, env),
        console=bool(console.get("enabled", False)),
        source=source,
    )
    directory = file.get("directory")
    if file.get("enabled", True) is False:
        return config
    if directory or not (config.smtp or config.webhook or config.console):
        folder = Path(str(directory)) if directory else default_directory(db_url)
        config = replace(config, file=FileConfig(folder))
    return config


def _smtp(section: Mapping[str, Any], env: Mapping[str, str]) -> SmtpConfig | None:
    host = section.get("host")
    if not host:
        return None
    security = str(section.get("security", "starttls")).lower()
    if security not in SECURITY_MODES:
        raise _bad(t("notifications.config.bad_choice", key="smtp.security", value=security,
                     choices=join_list(SECURITY_MODES)))
    default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
    return SmtpConfig(
        host=str(host),
        port=_int(section.get("port", default_port), "smtp.port", 1),
        security=security,
        username=str(section["username"]) if section.get("username") else None,
        password=_secret(section, "password", env),
        sender=str(section.get("sender") or SmtpConfig.sender),
        timeout_seconds=float(section.get("timeout_seconds", 10)),
        ca_file=str(section["ca_file"]) if section.get("ca_file") else None,
    )


def _webhook(section: Mapping[str, Any], env: Mapping[str, str]) -> WebhookConfig | None:
    secret = _secret(section, "secret", env)
    url = section.get("default_url")
    if not secret:
        if url or section.get("enabled"):
            raise _bad(t("notifications.config.webhook_secret"))
        return None
    if url and not str(url).startswith(("http://", "https://")):
        raise _bad(t("notifications.config.bad_url", key="webhook.default_url", value=url))
    return WebhookConfig(
        secret=secret,
        default_url=str(url) if url else None,
        signature_header=str(section.get("signature_header", "X-Shequ-Signature")),
        timeout_seconds=float(section.get("timeout_seconds", 10)),
        use_env_proxy=bool(section.get("use_env_proxy", True)),
    )
