"""Digest channels: alerts collected until the digest time, then one message listing them all.

Schedules are pure (``monitor.schedule``); delivery runs in-process against a real webhook receiver and a real
SMTP server, with the runtime's clock moved to the digest time instead of waiting for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alerting import START, World, world
from pytest_httpserver import HTTPServer
from servers import Recorder, smtp_sink, text_body

from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.outbox import deliver_due
from monitor.schedule import next_digest_at


@pytest.fixture
def made() -> Iterator[list[World]]:
    worlds: list[World] = []
    yield worlds
    for w in worlds:
        w.close()


# -- schedules -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "after", "expected"),
    [
        ("1h", datetime(2026, 11, 3, 12, 10, tzinfo=UTC), datetime(2026, 11, 3, 13, 0, tzinfo=UTC)),
        ("1h", datetime(2026, 11, 3, 13, 0, tzinfo=UTC), datetime(2026, 11, 3, 13, 0, tzinfo=UTC)),
        ("30m", datetime(2026, 11, 3, 12, 31, tzinfo=UTC), datetime(2026, 11, 3, 13, 0, tzinfo=UTC)),
        ("1d", datetime(2026, 11, 3, 12, 0, tzinfo=UTC), datetime(2026, 11, 4, 0, 0, tzinfo=UTC)),
        ("0 8 * * *", datetime(2026, 11, 3, 12, 0, tzinfo=UTC), datetime(2026, 11, 4, 8, 0, tzinfo=UTC)),
        ("0 8 * * mon-fri", datetime(2026, 11, 6, 9, 0, tzinfo=UTC), datetime(2026, 11, 9, 8, 0, tzinfo=UTC)),
        ("*/15 * * * *", datetime(2026, 11, 3, 12, 1, tzinfo=UTC), datetime(2026, 11, 3, 12, 15, tzinfo=UTC)),
    ],
)
def test_next_digest_time(spec: str, after: datetime, expected: datetime) -> None:
    assert next_digest_at(spec, after) == expected


@pytest.mark.parametrize("spec", ["10s", "hourly", "61 * * * *", "* * * *"])
def test_bad_schedules_are_configuration_errors_naming_the_key(tmp_path: Path, spec: str) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(f"channels:\n  - name: c\n    type: console\n    digest: {spec!r}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    [problem] = err.value.problems
    assert problem.line == 4 and problem.key == "channels[0].digest"


# -- delivery --------------------------------------------------------------------------------------------


def test_a_digest_channel_gets_one_message_for_several_alerts(
    tmp_path: Path, httpserver: HTTPServer, made: list[World]
) -> None:
    receiver = Recorder()
    httpserver.expect_request("/digest").respond_with_handler(receiver)
    channels = [
        {"name": "console", "type": "console"},
        {"name": "hourly", "type": "webhook", "url": httpserver.url_for("/digest"), "digest": "1h"},
    ]
    w = world(tmp_path, channels)
    made.append(w)
    alerts = []
    for n in range(3):
        w.clock.advance(minutes=10)  # 12:10, 12:20, 12:30
        alerts.append(w.alert(n))
        assert w.shift(alerts[-1]).reason == "first-shift"

    assert deliver_due(w.rt) == (3, 0)  # the console at once ...
    assert receiver.requests == []  # ... the digest channel waits for 13:00
    w.clock.advance(minutes=29)
    assert deliver_due(w.rt) == (0, 0)
    w.clock.advance(minutes=1)  # 13:00
    assert deliver_due(w.rt) == (3, 0)

    [request] = receiver.requests
    digest = request.json()
    assert digest["type"] == "digest" and digest["version"] == 1 and digest["count"] == 3
    assert [a["alert_id"] for a in digest["alerts"]] == [a.alert_id for a in alerts]  # oldest first
    assert all(a["sources"] and a["evidence"]["sentence"] for a in digest["alerts"])
    assert request.headers["Idempotency-Key"] == digest["digest_id"]
    for alert in alerts:
        assert w.status(alert.alert_id) == {"console": ("sent", 1), "hourly": ("sent", 1)}

    # An alert after 13:00 waits for 14:00, alone; nothing already sent is repeated.
    w.clock.advance(minutes=5)
    late = w.alert(9)
    w.shift(late)
    assert deliver_due(w.rt) == (1, 0)
    w.clock.advance(minutes=55)
    assert deliver_due(w.rt) == (1, 0)
    assert [r.json()["count"] for r in receiver.requests] == [3, 1]
    assert receiver.requests[1].json()["alerts"][0]["alert_id"] == late.alert_id


def test_a_failed_digest_is_retried_whole_with_the_same_idempotency_key(
    tmp_path: Path, httpserver: HTTPServer, made: list[World]
) -> None:
    httpserver.expect_oneshot_request("/digest").respond_with_data("busy", status=503)
    receiver = Recorder()
    httpserver.expect_request("/digest").respond_with_handler(receiver)
    w = world(
        tmp_path,
        [{"name": "hourly", "type": "webhook", "url": httpserver.url_for("/digest"), "digest": "1h"}],
    )
    made.append(w)
    alerts = [w.alert(n) for n in range(2)]
    for alert in alerts:
        w.shift(alert)
    w.clock.advance(hours=1)
    assert deliver_due(w.rt) == (0, 2)
    assert {d.status for a in alerts for d in w.store.deliveries(a.alert_id)} == {"failed"}
    w.clock.advance(minutes=1)
    assert deliver_due(w.rt) == (2, 0)
    [failed_request, _] = httpserver.log
    [request] = receiver.requests
    assert failed_request[0].headers["Idempotency-Key"] == request.headers["Idempotency-Key"]
    assert request.json()["count"] == 2


def test_an_email_digest_is_one_email_listing_every_alert(tmp_path: Path, made: list[World]) -> None:
    with smtp_sink() as (sink, port):
        email = {
            "name": "morning",
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "from": "monitor@example.org",
            "to": ["desk@example.org"],
            "digest": "0 8 * * *",
        }
        w = world(tmp_path, [email])
        made.append(w)
        alerts = [w.alert(n) for n in range(3)]
        for alert in alerts:
            w.shift(alert)
        w.clock.now = datetime(2026, 11, 4, 7, 59, tzinfo=UTC)
        assert deliver_due(w.rt) == (0, 0)
        w.clock.now = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)
        assert deliver_due(w.rt) == (3, 0)
        messages = sink.messages
    [mail] = messages
    assert mail["Subject"] == "[Stance digest] 3 shifts: Holder 0, Holder 1, Holder 2"
    assert mail["Message-ID"].startswith("<digest-")
    body = text_body(mail)
    for alert in alerts:
        assert alert.sentence in body and alert.alert_id in body and alert.item_link in body
    html = mail.get_body(("html",))
    assert html is not None and "3 stance shifts" in html.get_content()
    assert datetime(2026, 11, 4, 8, 0, tzinfo=UTC) > START


def test_a_slack_digest_lists_every_alert_in_blocks(
    tmp_path: Path, httpserver: HTTPServer, made: list[World]
) -> None:
    receiver = Recorder()
    httpserver.expect_request("/slack").respond_with_handler(receiver)
    channel = {
        "name": "slack",
        "type": "webhook",
        "url": httpserver.url_for("/slack"),
        "format": "slack",
        "digest": "1h",
    }
    w = world(tmp_path, [channel])
    made.append(w)
    alerts = [w.alert(n, item_title=f"<!channel> item {n} <https://evil.example|click>") for n in range(2)]
    for alert in alerts:
        w.shift(alert)
    w.clock.advance(hours=1)
    assert deliver_due(w.rt) == (2, 0)
    [request] = receiver.requests
    body = request.json()
    assert body["text"].startswith("[Stance digest] 2 shifts")
    texts = [
        b.get("text", {}).get("text", "") if b["type"] != "context" else b["elements"][0]["text"]
        for b in body["blocks"]
    ]
    joined = "\n".join(texts)
    for alert in alerts:
        assert alert.sentence in joined
    assert "<!channel>" not in joined and "&lt;!channel&gt;" in joined
    assert "<https://evil.example|click>" not in joined
    assert sum(1 for b in body["blocks"] if b["type"] == "divider") == 2
