"""Channels against real local servers: an SMTP server (aiosmtpd) and an HTTP server (http.server) on
127.0.0.1 — delivery, refused connections, temporary and permanent refusals, retries on the injected clock,
STARTTLS with login, and the webhook's HMAC signature."""

from __future__ import annotations

import email
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications import dispatch as D
from notifications.channels.smtp import message_id
from notifications.channels.webhook import signature
from notifications.config import NotifyConfig, SmtpConfig, WebhookConfig, load
from notifications.masking import find_unmasked_ids
from tests.conftest import World
from tests.notifications.scenarios import PLAIN, clock, dismissal, resignation

SECRET = "s3cret-for-tests"


def only(world: World, kind: str) -> None:
    """Leave only `kind` pending (the earlier steps' notices are taken as delivered)."""
    with world.app.db.transaction() as s:
        for row in s.outbox_rows(status="PENDING"):
            if row["kind"] != kind:
                s.update_outbox(row["id"], status="DELIVERED")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- SMTP


class Mailbox:
    """An aiosmtpd handler: records accepted messages; `replies` scripts DATA answers (e.g. a 451 first)."""

    def __init__(self, replies: list[str] | None = None, reject_rcpt: bool = False) -> None:
        self.messages: list[email.message.Message] = []
        self.attempts: list[str] = []
        self.replies = list(replies or [])
        self.reject_rcpt = reject_rcpt

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if self.reject_rcpt:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        self.attempts.append(str(message["X-Shequ-Idempotency-Key"]))
        if self.replies:
            return self.replies.pop(0)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def smtp_server(handler: Mailbox, port: int, **kwargs: Any) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture(name="smtp_port")
def _smtp_port() -> int:
    return free_port()


def smtp_config(port: int, **kw: Any) -> NotifyConfig:
    smtp = SmtpConfig(host="127.0.0.1", port=port, security="none", timeout_seconds=5, **kw)
    return NotifyConfig(max_attempts=4, backoff_base_seconds=30, smtp=smtp)


def subject_of(message: email.message.Message) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


def body_of(message: email.message.Message, subtype: str) -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            return str(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"))
    raise AssertionError(f"no text/{subtype} part")


def test_smtp_delivers_text_and_html_with_the_key(nworld: World, smtp_port: int) -> None:
    """The approval notice reaches the worker's mailbox as text + HTML, with the idempotency key and a
    Message-ID derived from it; nothing in it shows an ID number in clear."""
    mailbox = Mailbox()
    server = smtp_server(mailbox, smtp_port)
    try:
        resignation(nworld, PLAIN, "approve")
        report = D.dispatch_due(nworld.app, config=smtp_config(smtp_port))
    finally:
        server.stop()
    to_worker = [m for m in mailbox.messages if "zhang@example.org" in str(m["To"])]
    assert len(to_worker) == 1
    mail = to_worker[0]
    assert subject_of(mail) == "【辞职审批通知】张三"
    key = str(mail["X-Shequ-Idempotency-Key"])
    assert key.endswith(":resignation.approved:worker:zhang")
    assert mail["Message-ID"] == message_id(key)
    assert "张三同志" in body_of(mail, "plain")
    assert "size: A4" in body_of(mail, "html")
    assert not find_unmasked_ids(body_of(mail, "plain") + body_of(mail, "html"))
    # the bureau (备案) has no e-mail address: that row is dead-lettered, the others delivered
    assert sorted(o.status for o in report.outcomes) == ["DEAD", "DELIVERED", "DELIVERED", "DELIVERED"]


def test_smtp_refused_connection_is_retried_until_the_server_is_up(nworld: World, smtp_port: int) -> None:
    """Nothing listens: the row is retried after the backoff; once the server runs, the retry delivers."""
    dismissal(nworld, PLAIN, "open")  # to the street office and the party committee, both with e-mail
    config = smtp_config(smtp_port)
    first = D.dispatch_due(nworld.app, config=config)
    assert {o.status for o in first.outcomes} == {"RETRY"}
    assert "cannot connect" in (first.outcomes[0].error or "")
    mailbox = Mailbox()
    server = smtp_server(mailbox, smtp_port)
    try:
        assert D.dispatch_due(nworld.app, config=config).outcomes == []  # not due yet
        clock(nworld).advance(timedelta(seconds=30))
        second = D.dispatch_due(nworld.app, config=config)
    finally:
        server.stop()
    assert [(o.status, o.attempts) for o in second.outcomes] == [("DELIVERED", 2), ("DELIVERED", 2)]
    assert sorted(str(m["To"]).split("<")[1].rstrip(">") for m in mailbox.messages) == [
        "s1-office@example.org", "s1-party@example.org"]


def test_smtp_temporary_refusal_is_retried_with_the_same_key(nworld: World, smtp_port: int) -> None:
    """A 451 reply is temporary: the same message (same key) is offered again after the backoff."""
    mailbox = Mailbox(replies=["451 4.3.0 try again later"])
    server = smtp_server(mailbox, smtp_port)
    try:
        resignation(nworld, PLAIN, "return_application")
        only(nworld, "resignation.returned")
        config = smtp_config(smtp_port)
        first = D.dispatch_due(nworld.app, config=config)
        clock(nworld).advance(timedelta(seconds=30))
        second = D.dispatch_due(nworld.app, config=config)
    finally:
        server.stop()
    assert [o.status for o in first.outcomes] == ["RETRY"]
    assert "451" in (first.outcomes[0].error or "")
    assert [o.status for o in second.outcomes] == ["DELIVERED"]
    assert len(mailbox.attempts) == 2
    assert mailbox.attempts[0] == mailbox.attempts[1]


def test_smtp_permanent_refusal_is_dead_lettered_at_once(nworld: World, smtp_port: int) -> None:
    """A 550 for the recipient is permanent: no retry, the row is DEAD with the reply in its error."""
    server = smtp_server(Mailbox(reject_rcpt=True), smtp_port)
    try:
        resignation(nworld, PLAIN, "return_application")
        only(nworld, "resignation.returned")
        report = D.dispatch_due(nworld.app, config=smtp_config(smtp_port))
    finally:
        server.stop()
    assert [(o.status, o.attempts) for o in report.outcomes] == [("DEAD", 1)]
    assert "550" in (report.outcomes[0].error or "")


@pytest.fixture(name="tls_files")
def _tls_files(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def test_smtp_starttls_with_login_from_the_environment(nworld: World, smtp_port: int,
                                                       tls_files: tuple[Path, Path], tmp_path: Path) -> None:
    """STARTTLS against a server that requires it, trusting a private CA, logging in with the password from
    the environment (SHEQU_SMTP_PASSWORD), configured through a TOML file."""
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    logins: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"pw-from-env")

    mailbox = Mailbox()
    server = smtp_server(mailbox, smtp_port, tls_context=context, require_starttls=True,
                         authenticator=authenticator, auth_require_tls=True)
    path = tmp_path / "notify.toml"
    path.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "starttls"\n'
                    f'username = "shequ"\nca_file = "{cert}"\n', encoding="utf-8")
    config = load(path, env={"SHEQU_SMTP_PASSWORD": "pw-from-env"})
    try:
        resignation(nworld, PLAIN, "return_application")
        only(nworld, "resignation.returned")
        report = D.dispatch_due(nworld.app, config=config)
    finally:
        server.stop()
    assert [o.status for o in report.outcomes] == ["DELIVERED"]
    assert logins == [("shequ", "pw-from-env")]
    assert len(mailbox.messages) == 1


# ---------------------------------------------------------------- webhook


class Hook:
    """A local HTTP receiver: records requests; `statuses` scripts the answers (default 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses or [])
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/shequ"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def hook_config(url: str) -> NotifyConfig:
    return NotifyConfig(max_attempts=3, backoff_base_seconds=10,
                        webhook=WebhookConfig(secret=SECRET, default_url=url, timeout_seconds=5,
                                              use_env_proxy=False))


@pytest.fixture(name="hook")
def _hook() -> Iterator[Hook]:
    with Hook() as hook:
        yield hook


def test_webhook_posts_signed_json_with_the_key(world: World, hook: Hook) -> None:
    """Each person gets a JSON POST; the HMAC-SHA256 signature over timestamp and body verifies with the
    shared secret; the key is in the header and the body."""
    resignation(world, PLAIN, "submit")
    report = D.dispatch_due(world.app, config=hook_config(hook.url))
    assert report.delivered == 2
    for headers, body in hook.requests:
        assert headers["x-shequ-signature"] == signature(SECRET, headers["x-shequ-timestamp"], body)
        data = json.loads(body)
        assert data["idempotency_key"] == headers["idempotency-key"]
        assert data["kind"] == "resignation.submitted"
        assert "待办提醒" in data["text"]
        assert headers["x-shequ-timestamp"] == str(int(clock(world).now().timestamp()))
    assert sorted(json.loads(b)["recipient"]["key"] for _, b in hook.requests) == ["s1_office", "s1_party"]
    assert signature("wrong", "1", b"{}") != signature(SECRET, "1", b"{}")


def test_webhook_server_error_is_retried_and_then_delivered(world: World) -> None:
    """503 is temporary: retried after the backoff with the same key, then delivered."""
    with Hook(statuses=[503]) as hook:
        resignation(world, PLAIN, "return_application")
        only(world, "resignation.returned")
        config = hook_config(hook.url)
        first = D.dispatch_due(world.app, config=config)
        clock(world).advance(timedelta(seconds=10))
        second = D.dispatch_due(world.app, config=config)
    assert [o.status for o in first.outcomes] == ["RETRY"]
    assert "HTTP 503" in (first.outcomes[0].error or "")
    assert [o.status for o in second.outcomes] == ["DELIVERED"]
    keys = [h["idempotency-key"] for h, _ in hook.requests]
    assert len(keys) == 2
    assert keys[0] == keys[1]


def test_webhook_refused_connection_is_retried(world: World) -> None:
    """Nothing listening on the port: a temporary failure, scheduled for retry."""
    resignation(world, PLAIN, "return_application")
    only(world, "resignation.returned")
    report = D.dispatch_due(world.app, config=hook_config(f"http://127.0.0.1:{free_port()}/x"))
    assert [o.status for o in report.outcomes] == ["RETRY"]
    assert "refused" in (report.outcomes[0].error or "").lower()


def test_webhook_client_error_is_permanent(world: World) -> None:
    """A 400 answer will not change on retry: the row is dead-lettered at once."""
    with Hook(statuses=[400]) as hook:
        resignation(world, PLAIN, "return_application")
        only(world, "resignation.returned")
        report = D.dispatch_due(world.app, config=hook_config(hook.url))
    assert [(o.status, o.attempts) for o in report.outcomes] == [("DEAD", 1)]
