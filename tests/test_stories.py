"""Stories, cooldowns and silences end to end: the command against real feeds, receivers and SMTP.

Three feeds carry the same shift (one wire story, a syndicated copy, a rewrite): one alert naming three
sources. Silences and cooldowns record alerts as suppressed, visible in ``stance-monitor alerts``, sent
nowhere. The in-process tests use the ``alerting`` world (real SQLite, injected clock).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from alerting import World, world
from pytest_httpserver import HTTPServer
from servers import FeedSource, Recorder, text_body
from test_e2e import E2E, STANCE, e2e, ok  # noqa: F401  (e2e is a fixture)

from monitor.cli import main
from monitor.outbox import deliver_due

ENVOY = "The EU's special envoy for the talks said on Monday that the bloc could accept Russian control over Crimea if it were part of a final settlement endorsed by Kyiv."
REWRITE = "The bloc could accept Russian control over Crimea as part of a final settlement endorsed by Kyiv, the EU's special envoy for the talks said on Monday."


def rss(guid: str, link: str, title: str, text: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{guid}</title><link>https://example.org/</link><description>d</description>
<item><guid isPermaLink="false">{guid}</guid><title>{title}</title><link>{link}</link>
<pubDate>Mon, 03 Nov 2025 09:15:00 GMT</pubDate><description>{text}</description></item>
</channel></rss>""".encode()


FEEDS = {
    "wire": rss(
        "wire-1",
        "https://wire.example/eu-envoy",
        "EU envoy: bloc could accept Russian control over Crimea",
        ENVOY,
    ),
    "paper": rss(
        "paper-77",
        "https://paper.example/world/envoy",
        "EU envoy: bloc could accept Russian control over Crimea",
        ENVOY,
    ),
    "daily": rss(
        "daily-5",
        "https://daily.example/crimea",
        "Bloc could accept Russian control of Crimea, envoy says",
        REWRITE,
    ),
}


def table_count(db: Path, table: str) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@dataclass(frozen=True)
class Output:
    returncode: int
    stdout: str
    stderr: str


def cli(world_: E2E, capsys: pytest.CaptureFixture[str], *args: str) -> Output:
    """The command in this process (as fast as a function call), on the test's configuration."""
    code = main([*args, "--config", str(world_.config)])
    out, err = capsys.readouterr()
    return Output(code, out, err)


def serve_three_feeds(httpserver: HTTPServer) -> list[dict[str, str]]:
    feeds = []
    for name, body in FEEDS.items():
        httpserver.expect_request(f"/{name}.xml").respond_with_handler(FeedSource(body))
        feeds.append({"name": f"{name} feed", "url": httpserver.url_for(f"/{name}.xml")})
    return feeds


def test_three_feeds_carrying_the_same_shift_make_one_alert_naming_three_sources(
    e2e: E2E,  # noqa: F811
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    e2e.write_config(feeds=serve_three_feeds(httpserver))
    result = ok(e2e.cli("run", "--once"))

    assert e2e.alert_count() == 1, result.stderr
    assert table_count(e2e.db, "alert_source") == 3
    [hook] = e2e.hooks.requests
    [line] = e2e.file_alerts()
    [mail] = e2e.smtp.messages
    payload = hook.json()
    assert payload == line
    assert payload["stance_id"] == STANCE and payload["source_count"] == 3
    assert {s["feed"] for s in payload["sources"]} == {"wire feed", "paper feed", "daily feed"}
    assert {s["link"] for s in payload["sources"]} == {
        "https://wire.example/eu-envoy",
        "https://paper.example/world/envoy",
        "https://daily.example/crimea",
    }
    assert all(s["first_seen"] and s["sentence"] for s in payload["sources"])
    assert "[3 sources]" in mail["Subject"]
    body = text_body(mail)
    assert "REPORTED BY 3 SOURCES" in body
    for feed in ("wire feed", "paper feed", "daily feed"):
        assert feed in body
    assert result.stderr.count("another source of the story") == 2

    listing = cli(e2e, capsys, "alerts")
    assert "[3 sources]" in listing.stdout and "raised: first-shift" in listing.stdout
    shown = cli(e2e, capsys, "alerts", "show", payload["alert_id"]).stdout
    assert "sources:  3" in shown and "https://daily.example/crimea" in shown

    # Polling again changes nothing: the sources are already recorded.
    ok(e2e.cli("run", "--once"))
    assert e2e.alert_count() == 1 and table_count(e2e.db, "alert_source") == 3
    assert len(e2e.hooks.requests) == 1 and len(e2e.smtp.messages) == 1 and len(e2e.file_alerts()) == 1


def test_a_silenced_stance_is_recorded_as_suppressed_and_sent_nowhere(
    e2e: E2E,  # noqa: F811  (the fixture imported from test_e2e)
    capsys: pytest.CaptureFixture[str],
) -> None:
    added = cli(e2e, capsys, "silence", "add", STANCE, "--for", "2d", "--reason", "peace summit week")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith(f"silence 1: {STANCE} until ") and "peace summit week" in added.stdout
    assert "peace summit week" in cli(e2e, capsys, "silence", "list").stdout

    ok(e2e.cli("run", "--once"))  # the daemon's cycle, as a separate process
    assert e2e.alert_count() == 1
    assert e2e.hooks.requests == [] and e2e.smtp.messages == [] and e2e.file_alerts() == []
    assert e2e.deliveries() == {}
    listing = cli(e2e, capsys, "alerts").stdout
    assert "suppressed: silenced (silence 1 until" in listing and "peace summit week" in listing
    assert "not sent to any channel" in listing

    removed = cli(e2e, capsys, "silence", "remove", "1")
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert "no active silences" in cli(e2e, capsys, "silence", "list").stdout
    assert "removed" in cli(e2e, capsys, "silence", "list", "--all").stdout
    again = cli(e2e, capsys, "silence", "remove", "1")
    assert again.returncode == 1 and "no active silence 1" in again.stderr


def test_silence_add_refuses_an_unknown_stance_and_a_bad_duration(
    e2e: E2E,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    unknown = cli(e2e, capsys, "silence", "add", "no-such-stance", "--for", "2d", "--reason", "x")
    assert unknown.returncode == 2 and "no stance 'no-such-stance'" in unknown.stderr
    assert STANCE in unknown.stderr
    bad = cli(e2e, capsys, "silence", "add", STANCE, "--for", "soon", "--reason", "x")
    assert bad.returncode == 2 and "--for" in bad.stderr
    assert not e2e.db.exists() or e2e.alert_count() == 0


# -- in process ----------------------------------------------------------------------------------------


@pytest.fixture
def made() -> Iterator[list[World]]:
    worlds: list[World] = []
    yield worlds
    for w in worlds:
        w.close()


def test_a_source_arriving_after_the_alert_went_out_attaches_without_a_new_message(
    tmp_path: Path, httpserver: HTTPServer, made: list[World]
) -> None:
    receiver = Recorder()
    httpserver.expect_request("/hook").respond_with_handler(receiver)
    w = world(tmp_path, [{"name": "webhook", "type": "webhook", "url": httpserver.url_for("/hook")}])
    made.append(w)
    first = w.alert(1, sentence=ENVOY, stance_id=STANCE)
    assert w.shift(first).reason == "first-shift"
    assert deliver_due(w.rt) == (1, 0)

    w.clock.advance(hours=3)
    later = w.alert(
        2, sentence=REWRITE, stance_id=STANCE, feed_name="Later Daily", item_link="https://daily.example/x"
    )
    decision = w.shift(later)
    assert decision.reason == "same-story" and decision.alert_id == first.alert_id
    w.clock.advance(hours=1)
    assert deliver_due(w.rt) == (0, 0)
    assert len(receiver.requests) == 1
    story = w.store.story(first.alert_id)
    assert story is not None and [s.feed for s in story.sources] == [first.feed_name, "Later Daily"]
    assert story.rendered.payload["source_count"] == 2  # the stored bodies now list both
    assert story.sources[1].first_seen == w.clock() - timedelta(hours=1)


def test_a_second_story_within_the_cooldown_is_suppressed_unless_the_grade_rises(
    tmp_path: Path, made: list[World]
) -> None:
    w = world(tmp_path, [{"name": "console", "type": "console"}])
    made.append(w)
    first = w.alert(1, stance_id=STANCE, sentence=ENVOY, grade="hedge")
    assert w.shift(first).reason == "first-shift"
    w.clock.advance(hours=2)
    other = w.alert(
        2, stance_id=STANCE, sentence="Brussels may drop its objection to the annexation.", grade="hedge"
    )
    held = w.shift(other)
    assert held.reason == "cooldown" and held.alert_id == first.alert_id
    assert w.store.deliveries(other.alert_id) == []
    w.clock.advance(hours=1)
    stronger = w.alert(
        3, stance_id=STANCE, sentence="The EU recognised Crimea as Russian today.", grade="reversal"
    )
    assert w.shift(stronger).reason == "grade-rose"
    assert [d.channel for d in w.store.deliveries(stronger.alert_id)] == ["console"]
    assert deliver_due(w.rt) == (2, 0)
    console = w.console.getvalue()
    assert first.sentence in " ".join(console.split()) and "Why now: the shift grew stronger" in console
    listing = {o.alert.alert_id: (o.status, o.decision) for o in w.store.alert_overview()}
    assert listing == {
        first.alert_id: ("raised", "first-shift"),
        other.alert_id: ("suppressed", "cooldown"),
        stronger.alert_id: ("raised", "grade-rose"),
    }
