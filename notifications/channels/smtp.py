"""E-mail over SMTP: plain, STARTTLS or implicit TLS, with optional login (credentials from configuration
or the environment, see notifications.config).

Each message is multipart/alternative (text and HTML). Its `Message-ID` is derived from the idempotency
key, and the key travels in `X-Shequ-Idempotency-Key`, so a mailbox or gateway can drop a re-sent copy.
A 5xx reply is permanent; 4xx replies, refused connections, timeouts and dropped connections are retried.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from notifications.channels import DeliveryError, Message
from notifications.config import SmtpConfig


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@shequ-flow>"


def build_email(config: SmtpConfig, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = config.sender
    mail["To"] = formataddr((message.recipient_name, message.address or ""))
    mail["Date"] = format_datetime(message.sent_at)
    mail["Message-ID"] = message_id(message.idempotency_key)
    mail["X-Shequ-Idempotency-Key"] = message.idempotency_key
    mail["X-Shequ-Kind"] = message.kind
    if message.case_id is not None:
        mail["X-Shequ-Case"] = str(message.case_id)
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


class SmtpChannel:
    name = "smtp"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file)

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security == "tls":
            return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout_seconds, context=self._context())
        client = smtplib.SMTP(c.host, c.port, timeout=c.timeout_seconds)
        if c.security == "starttls":
            client.ehlo()
            client.starttls(context=self._context())
            client.ehlo()
        return client

    def send(self, message: Message) -> None:
        if not message.address:
            raise DeliveryError("smtp: no address", permanent=True)
        mail = build_email(self.config, message)
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            where = f"{self.config.host}:{self.config.port}"
            raise DeliveryError(f"smtp: cannot connect to {where}: {exc}") from exc
        try:
            if self.config.username:
                client.login(self.config.username, self.config.password or "")
            refused = client.send_message(mail)
            if refused:
                codes = [code for code, _ in refused.values()]
                permanent = all(c >= 500 for c in codes)
                raise DeliveryError(f"smtp: recipient refused {codes}", permanent=permanent)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"smtp: recipient refused {codes}", permanent=all(c >= 500 for c in codes)) \
                from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"smtp: authentication failed ({exc.smtp_code})") from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"smtp: {exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) \
                from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"smtp: {type(exc).__name__}: {exc}") from exc
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
