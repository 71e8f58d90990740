"""Real local servers for the end-to-end tests. Does network I/O (threads serving on 127.0.0.1).

* ``free_port()``: a port nothing listens on (aiosmtpd's ``Controller`` does not accept ``port=0``);
* ``FeedSource``: a pytest-httpserver handler serving a feed whose bytes a test can change between runs;
* ``Recorder``: a pytest-httpserver handler keeping every request it answers (a webhook receiver);
* ``smtp_sink()``: an aiosmtpd ``Controller`` whose handler keeps every message it accepts.

Handlers copy what they need (headers, body) while the request is live, so tests read plain values later.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from werkzeug import Request, Response

RSS = "application/rss+xml; charset=utf-8"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FeedSource:
    """Serves ``body`` as an RSS document; assign a new ``body`` to change the feed."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.hits = 0

    def __call__(self, request: Request) -> Response:
        self.hits += 1
        return Response(self.body, status=200, content_type=RSS)


@dataclass(frozen=True)
class Received:
    """One request a ``Recorder`` answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Recorder:
    """Answers every request with ``status`` and keeps a copy of it."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self._lock = threading.Lock()
        self._requests: list[Received] = []

    def __call__(self, request: Request) -> Response:
        received = Received(request.method, request.path, dict(request.headers), request.get_data())
        with self._lock:
            self._requests.append(received)
        return Response("ok", status=self.status, content_type="text/plain")

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)


class SmtpSink:
    """An aiosmtpd handler that accepts and keeps every message."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content
        assert isinstance(content, bytes)
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._messages.append(message)
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)


@contextmanager
def smtp_sink(**kwargs: Any) -> Iterator[tuple[SmtpSink, int]]:
    """Run an SMTP server on a free port for the duration of the block; yields (sink, port).

    ``kwargs`` go to aiosmtpd's ``SMTP`` (e.g. ``authenticator=...``, ``auth_require_tls=False``).
    """
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def text_body(message: EmailMessage) -> str:
    """The plain-text part of an alert email with its whitespace (wrapping, indents) collapsed."""
    part = message.get_body(("plain",))
    assert part is not None, "the email has no text/plain part"
    assert isinstance(part, EmailMessage)
    return " ".join(part.get_content().split())
