"""Channels against real local servers: webhook (pytest-httpserver), email (aiosmtpd), file, console."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from pytest_httpserver import HTTPServer

from monitor.channels import build_channel, build_channels
from monitor.channels.console import ConsoleChannel
from monitor.channels.email import EmailChannel
from monitor.channels.file import FileChannel
from monitor.channels.webhook import WebhookChannel, parse_retry_after, redact_url
from monitor.config import (
    ChannelConfig,
    ConsoleChannelConfig,
    EmailChannelConfig,
    FileChannelConfig,
    WebhookChannelConfig,
)
from monitor.errors import DeliveryError
from monitor.models import RenderedAlert
from monitor.render import Renderer, sample_alert

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
UA = "stance-monitor-test/1"


@pytest.fixture(scope="module")
def rendered() -> RenderedAlert:
    return Renderer(TEMPLATES).render(sample_alert())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- webhook -----------------------------------------------------------------------------------


def webhook(url: str, **kwargs: Any) -> WebhookChannel:
    config = WebhookChannelConfig(name="hook", type="webhook", url=url, timeout=kwargs.pop("timeout", 5.0))
    return WebhookChannel(config, user_agent=UA, **kwargs)


def send_and_fail(channel: WebhookChannel | EmailChannel, rendered: RenderedAlert) -> DeliveryError:
    with pytest.raises(DeliveryError) as info:
        channel.send(rendered)
    return info.value


def test_webhook_posts_payload_with_idempotency_key(httpserver: HTTPServer, rendered: RenderedAlert) -> None:
    httpserver.expect_oneshot_request(
        "/hook", method="POST", headers={"Idempotency-Key": rendered.alert.alert_id}, json=rendered.payload
    ).respond_with_data("ok", status=202)
    config = WebhookChannelConfig(
        name="hook",
        type="webhook",
        url=httpserver.url_for("/hook"),
        headers={"Authorization": "Bearer t0k3n"},
    )
    channel = WebhookChannel(config, user_agent=UA)
    channel.send(rendered)
    channel.close()
    httpserver.check_assertions()
    request, _ = httpserver.log[0]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == UA
    assert request.headers["Authorization"] == "Bearer t0k3n"
    assert json.loads(request.get_data())["evidence"]["sentence"] == rendered.alert.sentence


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (502, True), (408, True), (400, False), (401, False), (422, False)]
)
def test_webhook_status_classification(
    httpserver: HTTPServer, rendered: RenderedAlert, status: int, retryable: bool
) -> None:
    httpserver.expect_request("/hook").respond_with_data("database down", status=status)
    error = send_and_fail(webhook(httpserver.url_for("/hook")), rendered)
    assert error.retryable is retryable and error.retry_after is None
    assert f"HTTP {status}: database down" in str(error)


def test_webhook_429_retry_after_seconds(httpserver: HTTPServer, rendered: RenderedAlert) -> None:
    httpserver.expect_request("/hook").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    error = send_and_fail(webhook(httpserver.url_for("/hook")), rendered)
    assert error.retryable
    assert error.retry_after == 7


def test_webhook_503_retry_after_http_date(httpserver: HTTPServer, rendered: RenderedAlert) -> None:
    httpserver.expect_request("/hook").respond_with_data(
        "", status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    now = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)
    error = send_and_fail(webhook(httpserver.url_for("/hook"), clock=lambda: now), rendered)
    assert error.retryable and error.retry_after == 60


def test_webhook_redirect_is_not_followed(httpserver: HTTPServer, rendered: RenderedAlert) -> None:
    httpserver.expect_request("/hook").respond_with_data("", status=302, headers={"Location": "/elsewhere"})
    error = send_and_fail(webhook(httpserver.url_for("/hook")), rendered)
    assert not error.retryable and "redirect" in error.reason
    assert len(httpserver.log) == 1


def test_webhook_connection_refused_is_retryable(rendered: RenderedAlert) -> None:
    error = send_and_fail(webhook(f"http://127.0.0.1:{free_port()}/hook"), rendered)
    assert error.retryable
    assert "ConnectError" in error.reason


def test_webhook_timeout_is_retryable(rendered: RenderedAlert) -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        error = send_and_fail(webhook(f"http://127.0.0.1:{port}/hook", timeout=0.2), rendered)
    assert error.retryable and "timed out" in error.reason


def test_webhook_errors_never_show_url_secrets(httpserver: HTTPServer, rendered: RenderedAlert) -> None:
    secret_url = httpserver.url_for("/hook").replace("http://", "http://robot:pa55word@") + "?token=t0psecret"
    httpserver.expect_request("/hook").respond_with_data("bad token t0psecret for robot", status=403)
    error = send_and_fail(webhook(secret_url), rendered)
    refused = send_and_fail(
        webhook(f"http://robot:pa55word@127.0.0.1:{free_port()}/hook?token=t0psecret"), rendered
    )
    for message in (str(error), str(refused)):
        assert "pa55word" not in message and "t0psecret" not in message and "robot:" not in message
        assert "/hook" in message


def test_redact_url_and_retry_after_parsing() -> None:
    assert redact_url("https://u:p@example.org:8443/a/b?key=1#frag") == "https://example.org:8443/a/b"
    now = datetime(2015, 10, 21, 7, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:30 GMT", now) == 30
    assert parse_retry_after("Wed, 21 Oct 2015 06:00:00 GMT", now) == 0  # in the past: now
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


# --- email -------------------------------------------------------------------------------------


class Collector:
    """An aiosmtpd handler that keeps every message, or answers DATA/RCPT with a fixed reply."""

    def __init__(self, data_reply: str = "250 OK", rcpt_reply: dict[str, str] | None = None) -> None:
        self.data_reply = data_reply
        self.rcpt_reply = rcpt_reply or {}
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(
        self, server: object, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.rcpt_reply:
            return self.rcpt_reply[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            self.envelopes.append(envelope)
        return self.data_reply


def serve(handler: Collector, **kwargs: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    handler = Collector()
    for port in serve(handler):
        yield handler, port


def email_channel(port: int, **kwargs: Any) -> EmailChannel:
    fields: dict[str, Any] = {"to": ["desk@example.org"], "from": "monitor@example.org", **kwargs}
    return EmailChannel(EmailChannelConfig(name="mail", type="email", host="127.0.0.1", port=port, **fields))


def received(handler: Collector) -> EmailMessage:
    content = handler.envelopes[0].original_content
    assert isinstance(content, bytes)
    message = message_from_bytes(content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_email_arrives_with_text_html_and_threading_headers(
    smtp: tuple[Collector, int], rendered: RenderedAlert
) -> None:
    handler, port = smtp
    email_channel(port).send(rendered)
    assert len(handler.envelopes) == 1
    assert handler.envelopes[0].rcpt_tos == ["desk@example.org"]
    message = received(handler)
    assert message["Subject"] == rendered.subject
    assert message["From"] == "monitor@example.org"
    assert message["Message-ID"] == f"<{rendered.alert.alert_id}@stance-monitor>"
    assert message["References"] == f"<stance-{rendered.alert.stance_id}@stance-monitor>"
    assert message["In-Reply-To"] == message["References"]
    assert message["Date"] is not None
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert rendered.alert.baseline_quote in " ".join(text.get_content().split())
    assert "<blockquote" in html.get_content()


def test_email_subject_cannot_inject_headers(smtp: tuple[Collector, int], rendered: RenderedAlert) -> None:
    handler, port = smtp
    email_channel(port).send(replace(rendered, subject="Alert\r\nBcc: evil@x.example"))
    message = received(handler)
    assert message["Bcc"] is None
    assert message["Subject"] == "Alert Bcc: evil@x.example"
    assert handler.envelopes[0].rcpt_tos == ["desk@example.org"]


def test_email_logs_in_when_username_is_set(rendered: RenderedAlert) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: object, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    handler = Collector()
    for port in serve(handler, authenticator=authenticator, auth_require_tls=False):
        email_channel(port, username="monitor", password="s3cret").send(rendered)
        bad = send_and_fail(email_channel(port, username="monitor", password="wr0ngpass"), rendered)
    assert logins[0] == (b"monitor", b"s3cret")
    assert len(handler.envelopes) == 1
    assert not bad.retryable and "535" in bad.reason and "wr0ngpass" not in str(bad)


def test_email_451_is_retryable(rendered: RenderedAlert) -> None:
    for port in serve(Collector(data_reply="451 4.3.0 Try again later")):
        error = send_and_fail(email_channel(port), rendered)
    assert error.retryable and "451" in error.reason


def test_email_550_is_permanent(rendered: RenderedAlert) -> None:
    for port in serve(Collector(data_reply="550 5.7.1 Message rejected")):
        error = send_and_fail(email_channel(port), rendered)
    assert not error.retryable and "550" in error.reason


def test_email_all_recipients_refused(rendered: RenderedAlert) -> None:
    for port in serve(Collector(rcpt_reply={"desk@example.org": "550 5.1.1 No such user"})):
        error = send_and_fail(email_channel(port), rendered)
    assert not error.retryable and "desk@example.org: 550" in error.reason


def test_email_some_recipients_refused_is_permanent_after_delivery(rendered: RenderedAlert) -> None:
    handler = Collector(rcpt_reply={"gone@example.org": "550 5.1.1 No such user"})
    for port in serve(handler):
        error = send_and_fail(email_channel(port, to=["desk@example.org", "gone@example.org"]), rendered)
    assert len(handler.envelopes) == 1  # the desk got it: retrying would duplicate
    assert not error.retryable and "gone@example.org" in error.reason


def test_email_connection_refused_is_retryable(rendered: RenderedAlert) -> None:
    error = send_and_fail(email_channel(free_port(), timeout=2.0), rendered)
    assert error.retryable


# --- file and console --------------------------------------------------------------------------


def test_file_channel_appends_one_json_line_per_alert(tmp_path: Path, rendered: RenderedAlert) -> None:
    path = tmp_path / "var" / "deep" / "alerts.jsonl"
    channel = FileChannel("file", path)
    channel.send(rendered)
    channel.send(replace(rendered, payload={**rendered.payload, "alert_id": "second\nline"}))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == rendered.payload
    assert json.loads(lines[1])["alert_id"] == "second\nline"


def test_file_channel_error_is_retryable(tmp_path: Path, rendered: RenderedAlert) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder")
    with pytest.raises(DeliveryError) as info:
        FileChannel("file", tmp_path / "blocker" / "alerts.jsonl").send(rendered)
    assert info.value.retryable


def test_console_channel_writes_the_framed_text(rendered: RenderedAlert) -> None:
    stream = io.StringIO()
    ConsoleChannel("console", stream).send(rendered)
    out = stream.getvalue()
    assert rendered.subject in out
    assert rendered.alert.sentence in " ".join(out.split())
    assert out.endswith("\n")


def test_console_channel_defaults_to_stdout(
    capsys: pytest.CaptureFixture[str], rendered: RenderedAlert
) -> None:
    ConsoleChannel("console").send(rendered)
    assert rendered.subject in capsys.readouterr().out


def test_build_channels_makes_one_channel_per_config(tmp_path: Path) -> None:
    stream = io.StringIO()
    configs: list[ChannelConfig] = [
        ConsoleChannelConfig(name="c", type="console"),
        FileChannelConfig(name="f", type="file", path=str(tmp_path / "a.jsonl")),
        WebhookChannelConfig(name="w", type="webhook", url="http://127.0.0.1:9/x"),
        EmailChannelConfig.model_validate(
            {"name": "e", "type": "email", "host": "h", "from": "m@x", "to": "d@x"}
        ),
    ]
    channels = build_channels(configs, user_agent=UA, stream=stream)
    try:
        assert {n: type(c) for n, c in channels.items()} == {
            "c": ConsoleChannel,
            "f": FileChannel,
            "w": WebhookChannel,
            "e": EmailChannel,
        }
        assert all(c.name == n for n, c in channels.items())
        single = build_channel(configs[0], user_agent=UA, stream=stream)
        assert isinstance(single, ConsoleChannel)
    finally:
        for channel in channels.values():
            channel.close()
