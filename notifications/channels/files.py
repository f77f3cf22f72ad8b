"""The demo channels: a file per notification and recipient, and the console (standard error).

Files are named after the idempotency key, so a re-sent notification overwrites its own file: the
directory holds each notification once (`<dir>/<recipient>/<key>.txt`, `.html` and `.json`).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TextIO

from engine.text import t
from notifications.channels import DeliveryError, Message

_UNSAFE = re.compile(r"[^0-9A-Za-z._@-]+")


def safe_name(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._") or "_"


class FileChannel:
    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path_for(self, message: Message) -> Path:
        return self.directory / safe_name(message.recipient_key) / safe_name(message.idempotency_key)

    def send(self, message: Message) -> None:
        base = self.path_for(message)
        meta = {"idempotency_key": message.idempotency_key, "kind": message.kind, "case_id": message.case_id,
                "recipient": message.recipient_key, "recipient_name": message.recipient_name,
                "subject": message.subject, "printable": message.printable, "event_at": message.event_at,
                "sent_at": message.sent_at.isoformat()}
        try:
            base.parent.mkdir(parents=True, exist_ok=True)
            Path(f"{base}.txt").write_text(message.text, encoding="utf-8")
            Path(f"{base}.html").write_text(message.html, encoding="utf-8")
            Path(f"{base}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        except OSError as exc:
            raise DeliveryError(f"file: {exc.strerror or exc}") from exc


class ConsoleChannel:
    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def send(self, message: Message) -> None:
        out = self._stream or sys.stderr
        rule = "=" * 60
        head = t("notifications.console_head", name=message.recipient_name, login=message.recipient_key,
                 key=message.idempotency_key)
        out.write(f"{rule}\n{message.subject}\n{head}\n{rule}\n{message.text}\n")
        out.flush()
