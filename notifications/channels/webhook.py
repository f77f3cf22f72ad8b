"""HTTP webhook: a JSON body POSTed to the recipient's URL, signed with HMAC-SHA256.

Headers: `Idempotency-Key` (the notification's key), `X-Shequ-Timestamp` (Unix seconds, from the injected
clock) and the signature header (default `X-Shequ-Signature`) = `sha256=` + hex HMAC-SHA256 over
`<timestamp>.<body>` with the shared secret. A receiver recomputes it (`signature`) and rejects a mismatch or
a stale timestamp; it drops a second delivery with a key it has seen.

2xx is delivered; 408, 429 and 5xx, refused connections and timeouts are retried; other answers are
permanent (the receiver will not take it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

from notifications.channels import DeliveryError, Message
from notifications.config import WebhookConfig

RETRYABLE = {408, 425, 429}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def body_of(message: Message) -> dict[str, Any]:
    return {
        "idempotency_key": message.idempotency_key,
        "kind": message.kind,
        "case_id": message.case_id,
        "procedure": message.procedure,
        "trigger": message.trigger,
        "event_at": message.event_at,
        "recipient": {"key": message.recipient_key, "name": message.recipient_name,
                      "role": message.recipient_role},
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "printable": message.printable,
        "sent_at": message.sent_at.isoformat(),
    }


class WebhookChannel:
    name = "webhook"

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        handlers: list[Any] = [] if config.use_env_proxy else [urllib.request.ProxyHandler({})]
        self._opener = urllib.request.build_opener(*handlers)

    def send(self, message: Message) -> None:
        if not message.address:
            raise DeliveryError("webhook: no URL", permanent=True)
        body = json.dumps(body_of(message), ensure_ascii=False, sort_keys=True).encode("utf-8")
        timestamp = str(int(message.sent_at.timestamp()))
        request = urllib.request.Request(message.address, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.idempotency_key,
            "X-Shequ-Timestamp": timestamp,
            self.config.signature_header: signature(self.config.secret, timestamp, body),
            "User-Agent": "shequ-flow-notify/1",
        })
        try:
            with self._opener.open(request, timeout=self.config.timeout_seconds) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"webhook: {message.address}: {reason}") from exc
        if 200 <= status < 300:
            return
        retry = status >= 500 or status in RETRYABLE
        raise DeliveryError(f"webhook: HTTP {status} from {message.address}", permanent=not retry)
