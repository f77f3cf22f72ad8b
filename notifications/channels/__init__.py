"""Delivery channels behind one Protocol: e-mail (SMTP), HTTP webhook (HMAC-signed JSON), file and console.

A channel sends one `Message` to one target address and either returns (delivered) or raises
`DeliveryError`; `permanent=True` means retrying cannot help (a 5xx SMTP reply, a 4xx webhook answer),
otherwise the dispatcher retries with backoff. Every message carries its idempotency key so a receiver can
drop duplicates: delivery is at-least-once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from notifications.config import NotifyConfig


class DeliveryError(Exception):
    """A failed send. `permanent`: the same send will fail again (do not retry)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    idempotency_key: str  # case:seq:kind:recipient:login — stable across retries
    kind: str
    case_id: int | None
    procedure: str | None
    trigger: str | None
    recipient_key: str
    recipient_name: str
    recipient_role: str
    address: str | None
    subject: str
    text: str
    html: str
    printable: bool
    event_at: str | None
    sent_at: datetime
    meta: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> None:
        """Deliver or raise DeliveryError."""
        ...


ChannelFactory = Callable[[NotifyConfig], Channel]


def build(config: NotifyConfig) -> dict[str, Channel]:
    """The channels `config` enables, by name."""
    from notifications.channels.files import ConsoleChannel, FileChannel
    from notifications.channels.smtp import SmtpChannel
    from notifications.channels.webhook import WebhookChannel

    channels: dict[str, Channel] = {}
    if config.smtp is not None:
        channels["smtp"] = SmtpChannel(config.smtp)
    if config.webhook is not None:
        channels["webhook"] = WebhookChannel(config.webhook)
    if config.file is not None:
        channels["file"] = FileChannel(config.file.directory)
    if config.console:
        channels["console"] = ConsoleChannel()
    return channels
