"""The outbox against real receivers: retries, Retry-After, dead letters and the fallback notice, logging once.

Every test runs ``deliver_due`` in-process on a real SQLite store with real channels (pytest-httpserver,
aiosmtpd); the runtime's clock is a ``Clock`` the test moves past ``next_attempt_at`` instead of sleeping.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from alerting import World, world
from pytest_httpserver import HTTPServer
from servers import Recorder, free_port

from monitor.errors import DeliveryError
from monitor.outbox import deliver_due, plan, retry_at


@pytest.fixture
def made(tmp_path: Path) -> Iterator[list[World]]:
    worlds: list[World] = []
    yield worlds
    for w in worlds:
        w.close()


def hook(url: str, **extra: object) -> dict[str, object]:
    return {"name": "webhook", "type": "webhook", "url": url, "timeout": "5s", **extra}


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and text in r.getMessage()]


def test_receiver_down_for_the_first_attempts_then_up_gets_every_alert_exactly_once(
    tmp_path: Path, made: list[World], caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nothing listens here until the receiver starts below
    w = world(tmp_path, [hook(f"http://127.0.0.1:{port}/hook")])
    made.append(w)
    alerts = [w.alert(n) for n in range(3)]
    for alert in alerts:
        w.add(alert)

    with caplog.at_level(logging.DEBUG, logger="monitor"):
        assert deliver_due(w.rt) == (0, 3)
        w.clock.advance(minutes=2)  # past the first backoff (15 s ± 20 %)
        assert deliver_due(w.rt) == (0, 3)
    for alert in alerts:
        assert w.status(alert.alert_id) == {"webhook": ("failed", 2)}
        # The same "connection refused" twice: one warning, the repeat at debug level.
        assert len(warnings_about(caplog, alert.alert_id)) == 1

    receiver = Recorder()
    with HTTPServer(host="127.0.0.1", port=port) as server:
        server.expect_request("/hook", method="POST").respond_with_handler(receiver)
        assert deliver_due(w.rt) == (0, 0)  # the next retry is not due yet: nothing is sent early
        w.clock.advance(hours=1)
        assert deliver_due(w.rt) == (3, 0)
        w.clock.advance(hours=2)
        assert deliver_due(w.rt) == (0, 0)

    keys = sorted(r.headers["Idempotency-Key"] for r in receiver.requests)
    assert keys == sorted(a.alert_id for a in alerts)
    for alert in alerts:
        assert w.status(alert.alert_id) == {"webhook": ("sent", 3)}


def test_500_then_200_is_retried_once_and_delivered(
    tmp_path: Path, httpserver: HTTPServer, made: list[World]
) -> None:
    httpserver.expect_oneshot_request("/hook").respond_with_data("database down", status=500)
    receiver = Recorder()
    httpserver.expect_request("/hook").respond_with_handler(receiver)
    w = world(tmp_path, [hook(httpserver.url_for("/hook"))])
    made.append(w)
    alert = w.alert(1)
    w.add(alert)

    assert deliver_due(w.rt) == (0, 1)
    [state] = w.store.deliveries(alert.alert_id)
    assert (state.status, state.attempts) == ("failed", 1)
    assert state.last_error is not None and "HTTP 500: database down" in state.last_error
    assert state.next_attempt_at is not None
    assert timedelta(seconds=11) <= state.next_attempt_at - w.clock() <= timedelta(seconds=19)

    w.clock.advance(seconds=20)
    assert deliver_due(w.rt) == (1, 0)
    assert len(receiver.requests) == 1 and receiver.requests[0].json()["alert_id"] == alert.alert_id
    assert w.status(alert.alert_id) == {"webhook": ("sent", 2)}


def test_429_waits_at_least_retry_after(tmp_path: Path, httpserver: HTTPServer, made: list[World]) -> None:
    httpserver.expect_oneshot_request("/hook").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"}
    )
    receiver = Recorder()
    httpserver.expect_request("/hook").respond_with_handler(receiver)
    w = world(tmp_path, [hook(httpserver.url_for("/hook"))])
    made.append(w)
    alert = w.alert(1)
    w.add(alert)

    assert deliver_due(w.rt) == (0, 1)
    [state] = w.store.deliveries(alert.alert_id)
    assert state.next_attempt_at is not None
    assert state.next_attempt_at - w.clock() >= timedelta(seconds=120)  # not the 15 s backoff
    w.clock.advance(seconds=60)
    assert deliver_due(w.rt) == (0, 0)
    assert receiver.requests == []
    w.clock.advance(seconds=61)
    assert deliver_due(w.rt) == (1, 0)
    assert len(receiver.requests) == 1


def test_permanent_400_is_dead_at_once_and_the_fallback_channel_is_told(
    tmp_path: Path, httpserver: HTTPServer, made: list[World], caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/hook").respond_with_data("unknown field 'grade'", status=400)
    channels = [hook(httpserver.url_for("/hook")), {"name": "console", "type": "console"}]
    w = world(tmp_path, channels, alerts={"fallback": "console"})
    made.append(w)
    alert = w.alert(1)
    w.add(alert, ["webhook"])

    with caplog.at_level(logging.INFO, logger="monitor"):
        sent, failed = deliver_due(w.rt)
    assert (sent, failed) == (1, 1)  # the webhook failed; the notice reached the console in the same call
    assert len(httpserver.log) == 1  # never retried
    [state] = w.store.deliveries(alert.alert_id)
    assert (state.status, state.attempts) == ("dead", 1)
    notice = w.console.getvalue()
    assert "UNDELIVERED to webhook" in notice
    assert alert.alert_id in notice and "HTTP 400: unknown field 'grade'" in notice
    assert f"stance-monitor alerts retry {alert.alert_id} --channel webhook" in notice
    assert alert.sentence in " ".join(notice.split())  # the undelivered alert itself, for the reader
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "gave up after 1 attempt (dead letter)" in errors[0].getMessage()

    # Nothing more happens on later runs: no second notice, no retry.
    w.clock.advance(days=2)
    assert deliver_due(w.rt) == (0, 0)
    assert w.console.getvalue() == notice
    assert len(httpserver.log) == 1

    # Re-queued by hand (``stance-monitor alerts retry``) once the receiver is fixed: delivered once.
    httpserver.clear_all_handlers()
    receiver = Recorder()
    httpserver.expect_request("/hook").respond_with_handler(receiver)
    assert w.store.retry_deliveries(alert.alert_id, w.clock()) == ["webhook"]
    assert w.store.retry_deliveries(alert.alert_id, w.clock()) == []  # pending now, not dead
    assert deliver_due(w.rt) == (1, 0)
    assert [r.json()["alert_id"] for r in receiver.requests] == [alert.alert_id]
    assert w.status(alert.alert_id) == {"webhook": ("sent", 1)}


def test_retries_stop_at_the_maximum_age_then_the_fallback_is_told(
    tmp_path: Path, made: list[World], caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    channels = [hook(f"http://127.0.0.1:{port}/hook"), {"name": "console", "type": "console"}]
    w = world(tmp_path, channels, alerts={"fallback": "console", "max_age": "1h"})
    made.append(w)
    alert = w.alert(1)
    w.add(alert, ["webhook"])
    assert deliver_due(w.rt) == (0, 1)
    assert w.status(alert.alert_id)["webhook"][0] == "failed"
    w.clock.advance(minutes=61)
    with caplog.at_level(logging.INFO, logger="monitor"):
        deliver_due(w.rt)
    assert w.status(alert.alert_id)["webhook"] == ("dead", 2)
    assert "UNDELIVERED to webhook" in w.console.getvalue()
    assert "ConnectError" in w.console.getvalue()


class Switchable:
    """An SMTP handler answering DATA with ``reply`` (change it to let mail through), keeping what it accepts."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.accepted: list[Envelope] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        with self._lock:
            if self.reply.startswith("250"):
                self.accepted.append(envelope)
            return self.reply


def test_webhook_succeeds_while_email_fails_webhook_once_email_keeps_retrying(
    tmp_path: Path, httpserver: HTTPServer, made: list[World], caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Recorder()
    httpserver.expect_request("/hook").respond_with_handler(receiver)
    smtp = Switchable("451 4.3.0 Mailbox busy, try again later")
    port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        email = {
            "name": "email",
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "from": "monitor@example.org",
            "to": "desk@example.org",
            "timeout": "5s",
        }
        w = world(tmp_path, [hook(httpserver.url_for("/hook")), email])
        made.append(w)
        alert = w.alert(1)
        w.add(alert)

        with caplog.at_level(logging.DEBUG, logger="monitor"):
            assert deliver_due(w.rt) == (1, 1)
            for _ in range(3):  # email keeps failing the same way; the webhook is never sent again
                w.clock.advance(hours=1)
                assert deliver_due(w.rt) == (0, 1)
        assert w.status(alert.alert_id) == {"webhook": ("sent", 1), "email": ("failed", 4)}
        assert len(receiver.requests) == 1
        assert len(warnings_about(caplog, "451")) == 1  # one distinct failure, one warning

        smtp.reply = "250 OK"
        w.clock.advance(hours=1)
        assert deliver_due(w.rt) == (1, 0)
        w.clock.advance(hours=1)
        assert deliver_due(w.rt) == (0, 0)
    finally:
        controller.stop()
    assert len(smtp.accepted) == 1
    assert len(receiver.requests) == 1
    assert w.status(alert.alert_id) == {"webhook": ("sent", 1), "email": ("sent", 5)}


def test_a_new_error_is_logged_again(
    tmp_path: Path, httpserver: HTTPServer, made: list[World], caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_oneshot_request("/hook").respond_with_data("one", status=503)
    httpserver.expect_oneshot_request("/hook").respond_with_data("one", status=503)
    httpserver.expect_oneshot_request("/hook").respond_with_data("two", status=502)
    w = world(tmp_path, [hook(httpserver.url_for("/hook"))])
    made.append(w)
    alert = w.alert(1)
    w.add(alert)
    with caplog.at_level(logging.DEBUG, logger="monitor"):
        for _ in range(3):
            deliver_due(w.rt)
            w.clock.advance(hours=1)
    warned = warnings_about(caplog, alert.alert_id)
    assert len(warned) == 2
    assert "HTTP 503: one" in warned[0] and "HTTP 502: two" in warned[1]


# -- the pure parts ----------------------------------------------------------------------------------------


def test_retry_at_backs_off_honours_retry_after_and_gives_up() -> None:
    from alerting import START

    retryable = DeliveryError("c", "HTTP 503", retryable=True)
    permanent = DeliveryError("c", "HTTP 400", retryable=False)
    day = timedelta(hours=24)
    first = retry_at(retryable, attempts=1, queued_at=START, now=START, max_age=day)
    fifth = retry_at(retryable, attempts=5, queued_at=START, now=START, max_age=day)
    assert first is not None and fifth is not None
    assert timedelta(seconds=12) <= first - START <= timedelta(seconds=18)
    assert timedelta(seconds=192) <= fifth - START <= timedelta(seconds=288)  # 15 s × 2⁴ ± 20 %
    capped = retry_at(retryable, attempts=30, queued_at=START, now=START, max_age=day)
    assert capped is not None and capped - START <= timedelta(hours=1, minutes=12)
    slow = DeliveryError("c", "HTTP 429", retryable=True, retry_after=600)
    later = retry_at(slow, attempts=1, queued_at=START, now=START, max_age=day)
    assert later is not None and later - START >= timedelta(seconds=600)
    assert retry_at(permanent, attempts=1, queued_at=START, now=START, max_age=day) is None
    assert retry_at(retryable, attempts=2, queued_at=START, now=START + day, max_age=day) is None


def test_plan_sends_digest_channels_together_and_notices_alone(tmp_path: Path, made: list[World]) -> None:
    w = world(
        tmp_path,
        [
            {"name": "console", "type": "console"},
            {"name": "file", "type": "file", "path": str(tmp_path / "a.jsonl")},
        ],
    )
    made.append(w)
    for n in range(3):
        w.add(w.alert(n))
    due = w.store.due_deliveries(w.clock())
    batches = plan(due, {"file"})
    assert [(b.channel, len(b.deliveries), b.digest) for b in batches] == [
        ("console", 1, False),
        ("console", 1, False),
        ("console", 1, False),
        ("file", 3, True),
    ]
