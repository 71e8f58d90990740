"""The email channel over TLS against a real aiosmtpd server: implicit TLS (``ssl``) and STARTTLS, with login.

A throwaway certificate for 127.0.0.1 is made with the ``openssl`` command; the client trusts it through
OpenSSL's ``SSL_CERT_FILE`` (what an operator with a private CA would set), so verification stays on.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from servers import SmtpSink, free_port, text_body

from monitor.channels.email import EmailChannel
from monitor.config import EmailChannelConfig
from monitor.errors import DeliveryError
from monitor.models import RenderedAlert
from monitor.render import Renderer, sample_alert

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
PASSWORD = "tls-Pa55word-not-in-logs"


@dataclass(frozen=True)
class Cert:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Cert(cert, key)


@pytest.fixture(scope="module")
def rendered() -> RenderedAlert:
    return Renderer(TEMPLATES).render(sample_alert())


def authenticator(
    server: object, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == b"monitor" and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def server(cert: Cert, request: pytest.FixtureRequest) -> Iterator[tuple[SmtpSink, int]]:
    """An SMTP server on 127.0.0.1: implicit TLS (param "ssl") or STARTTLS required (param "starttls")."""
    sink, port = SmtpSink(), free_port()
    tls: dict[str, Any] = (
        # aiosmtpd only counts STARTTLS as TLS for AUTH; this connection is TLS from the first byte.
        {"ssl_context": cert.server_context(), "auth_require_tls": False}
        if request.param == "ssl"
        else {"tls_context": cert.server_context(), "require_starttls": True}
    )
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator, **tls)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def channel(port: int, **settings: Any) -> EmailChannel:
    config = EmailChannelConfig.model_validate(
        {
            "name": "mail",
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "from": "monitor@example.org",
            "to": ["desk@example.org"],
            "timeout": 10.0,
            **settings,
        }
    )
    return EmailChannel(config)


@pytest.mark.parametrize(
    ("server", "setting"), [("ssl", "ssl"), ("starttls", "starttls")], indirect=["server"]
)
def test_tls_with_login_delivers(
    server: tuple[SmtpSink, int],
    setting: str,
    cert: Cert,
    rendered: RenderedAlert,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(cert.cert))
    sink, port = server
    channel(port, **{setting: True}, username="monitor", password=PASSWORD).send(rendered)
    [message] = sink.messages
    assert message["Message-ID"] == f"<{rendered.alert.alert_id}@stance-monitor>"
    assert rendered.alert.baseline_quote in text_body(message)


@pytest.mark.parametrize("server", ["starttls"], indirect=True)
def test_a_server_requiring_starttls_refuses_plain_text_permanently(
    server: tuple[SmtpSink, int], rendered: RenderedAlert
) -> None:
    sink, port = server
    with pytest.raises(DeliveryError) as info:
        channel(port).send(rendered)
    assert not info.value.retryable and "530" in info.value.reason
    assert sink.messages == []


@pytest.mark.parametrize(
    ("server", "setting"), [("ssl", "ssl"), ("starttls", "starttls")], indirect=["server"]
)
def test_an_untrusted_certificate_is_a_permanent_error_and_nothing_is_sent(
    server: tuple[SmtpSink, int],
    setting: str,
    rendered: RenderedAlert,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    empty = tmp_path / "no-cas.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    sink, port = server
    with pytest.raises(DeliveryError) as info:
        channel(port, **{setting: True}, username="monitor", password=PASSWORD).send(rendered)
    assert not info.value.retryable and "certificate" in info.value.reason
    assert PASSWORD not in str(info.value)
    assert sink.messages == []
