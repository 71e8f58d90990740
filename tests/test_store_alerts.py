"""Stories, silences and outbox bookkeeping in the store: real SQLite files, and PostgreSQL when it can start.

Also: concurrent shifts of one story make one alert, ``alerts retry`` through the command line, and a
database made before stories existed opens and reads.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alerting import TEMPLATES
from test_store import db_url, postgres_server  # noqa: F401  (fixtures: SQLite, and PostgreSQL if it starts)

from monitor.cli import main
from monitor.config import Config
from monitor.decide import Reason
from monitor.models import Alert, RenderedAlert, Source
from monitor.render import Renderer, sample_alert
from monitor.store import Store
from monitor.stories import record_shift

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
RENDERER = Renderer(TEMPLATES)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:  # noqa: F811
    with Store(db_url) as s:
        yield s


def alert(n: int, **changes: object) -> Alert:
    return replace(
        sample_alert(), alert_id=f"a{n}", item_link=f"https://example.org/{n}", created_at=NOW, **changes
    )  # type: ignore[arg-type]


def source(alert_: Alert, seen: datetime = NOW) -> Source:
    return Source.from_alert(alert_, first_seen=seen)


def rendered(alert_: Alert, *sources: Source) -> RenderedAlert:
    return RENDERER.render(alert_, sources)


def test_a_story_gains_sources_once_and_its_bodies_follow(store: Store) -> None:
    first = alert(1)
    assert store.add_alert(rendered(first, source(first)), None, ["console"], NOW, source=source(first))
    later = alert(2, feed_name="Second Paper")
    later_source = source(later, NOW + timedelta(minutes=5))
    both = rendered(first, source(first), later_source)
    assert store.attach_source("a1", None, later_source, both) is True
    assert store.attach_source("a1", None, later_source, both) is False  # recorded once

    story = store.story("a1")
    assert story is not None
    assert [s.source_id for s in story.sources] == ["a1", "a2"]
    assert story.sources[1].first_seen == NOW + timedelta(minutes=5)
    assert story.rendered.payload["source_count"] == 2 and "[2 sources]" in story.rendered.subject
    assert (story.status, story.decision) == ("raised", "first-shift")

    [prior] = store.story_history(first.stance_id, NOW - timedelta(hours=1), "zzz")
    assert prior.alert_id == "a1" and len(prior.sources) == 2
    # Long after, the alert is still found through any of its sources (so it is never raised twice).
    assert [p.alert_id for p in store.story_history(first.stance_id, NOW + timedelta(days=9), "a2")] == ["a1"]
    assert store.story_history(first.stance_id, NOW + timedelta(days=9), "a9") == []
    assert store.story_history("another-stance", NOW - timedelta(hours=1), "a2") == []


def test_a_suppressed_alert_is_stored_without_deliveries_and_listed(store: Store) -> None:
    held = alert(3)
    assert store.add_alert(
        rendered(held),
        None,
        [],
        NOW,
        status="suppressed",
        decision="cooldown",
        detail="alert a1 raised 1h ago",
        source=source(held),
    )
    [overview] = store.alert_overview()
    assert (overview.status, overview.decision, overview.decision_detail) == (
        "suppressed",
        "cooldown",
        "alert a1 raised 1h ago",
    )
    assert overview.deliveries == () and overview.sources == 1
    assert store.due_deliveries(NOW + timedelta(days=1)) == []


def test_silences_are_added_listed_and_removed(store: Store) -> None:
    one = store.add_silence("s1", starts_at=NOW, ends_at=NOW + timedelta(days=2), reason="summit", now=NOW)
    two = store.add_silence(
        "*", starts_at=NOW, ends_at=NOW + timedelta(hours=1), reason="maintenance", now=NOW
    )
    assert (one.silence_id, one.stance_id, one.reason, one.ends_at) == (
        1,
        "s1",
        "summit",
        NOW + timedelta(days=2),
    )
    assert [s.silence_id for s in store.silences(NOW)] == [two.silence_id, one.silence_id]
    assert [s.silence_id for s in store.silences(NOW + timedelta(hours=2))] == [one.silence_id]
    assert store.remove_silence(one.silence_id, NOW) is True
    assert store.remove_silence(one.silence_id, NOW) is False
    assert [s.silence_id for s in store.silences(NOW)] == [two.silence_id]
    ended = {s.silence_id: s.removed_at for s in store.silences(NOW, include_ended=True)}
    assert ended == {one.silence_id: NOW, two.silence_id: None}


def test_retry_requeues_dead_and_failed_deliveries_never_sent_ones(store: Store) -> None:
    store.add_alert(rendered(alert(1)), None, ["a", "b", "c"], NOW)
    store.mark_failed("a1", "a", error="HTTP 400", now=NOW, next_attempt_at=None)
    store.mark_failed("a1", "b", error="HTTP 503", now=NOW, next_attempt_at=NOW + timedelta(hours=1))
    store.mark_sent("a1", "c", NOW)
    later = NOW + timedelta(days=3)
    assert store.retry_deliveries("a1", later, channel="a") == ["a"]
    assert store.retry_deliveries("a1", later) == ["b"]
    states = {
        d.channel: (d.status, d.attempts, d.last_error, d.next_attempt_at) for d in store.deliveries("a1")
    }
    assert states == {
        "a": ("pending", 0, None, later),
        "b": ("pending", 0, None, later),
        "c": ("sent", 1, None, None),
    }
    due = {d.channel: d for d in store.due_deliveries(later)}
    assert set(due) == {"a", "b"} and due["a"].queued_at == later  # max age counts from the retry


def test_digest_deliveries_are_due_at_their_time_and_marked_together(store: Store) -> None:
    at_one = NOW + timedelta(hours=1)
    for n in (1, 2):
        store.add_alert(rendered(alert(n)), None, ["now", "digest"], NOW, due={"digest": at_one})
    assert [(d.alert_id, d.channel) for d in store.due_deliveries(NOW)] == [("a1", "now"), ("a2", "now")]
    due = [(d.alert_id, d.channel) for d in store.due_deliveries(at_one) if d.channel == "digest"]
    assert due == [("a1", "digest"), ("a2", "digest")]
    store.mark_failed_many(due, error="HTTP 503", next_attempt_at=at_one + timedelta(minutes=1))
    assert {
        (d.status, d.attempts) for n in ("a1", "a2") for d in store.deliveries(n) if d.channel == "digest"
    } == {("failed", 1)}
    store.mark_sent_many(due, at_one)
    assert {
        (d.status, d.attempts, d.sent_at)
        for n in ("a1", "a2")
        for d in store.deliveries(n)
        if d.channel == "digest"
    } == {("sent", 2, at_one)}


def test_concurrent_shifts_of_one_story_make_one_alert(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    config = Config.model_validate({"channels": [{"name": "console", "type": "console"}]})
    stores = [Store(db_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    decisions: list[Reason] = []

    def shift(n: int) -> None:
        copy = replace(
            sample_alert(),
            alert_id=f"copy-{n}",
            feed_name=f"Paper {n}",
            item_link=f"https://p{n}.example/x",
            created_at=NOW,
        )
        barrier.wait()
        decision = record_shift(
            stores[n], RENDERER, config, copy, item_id=None, channels=["console"], now=NOW
        )
        decisions.append(decision.reason)

    threads = [threading.Thread(target=shift, args=(n,)) for n in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert sorted(decisions) == sorted([Reason.FIRST_SHIFT] + [Reason.SAME_STORY] * 3)
        [overview] = stores[0].alert_overview()
        assert overview.sources == 4 and len(overview.deliveries) == 1
    finally:
        for s in stores:
            s.close()


def test_a_database_made_before_stories_opens_and_reads(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with Store(f"sqlite:///{db}") as store:  # today's schema, then stripped back to the old one
        store.add_alert(rendered(alert(1)), None, ["console"], NOW)
    with sqlite3.connect(db) as conn:
        conn.execute("drop table alert_source")
        conn.execute("drop table silence")
        for column in ("status", "decision", "decision_detail"):
            conn.execute(f"alter table alert drop column {column}")
        conn.execute("alter table delivery drop column queued_at")
    with Store(f"sqlite:///{db}") as store:
        story = store.story("a1")
        assert story is not None and story.status == "raised" and story.decision == "first-shift"
        assert [s.source_id for s in story.sources] == ["a1"]  # the alert's own item
        [due] = store.due_deliveries(NOW)
        assert due.queued_at == NOW  # from the delivery's creation
        assert store.silences(NOW) == []


def test_alerts_retry_and_show_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "m.db"
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"database: sqlite:///{db}\nchannels:\n  - name: hook\n    type: webhook\n    url: https://h.example/x\n"
    )
    with Store(f"sqlite:///{db}") as store:
        store.add_alert(rendered(alert(1)), None, ["hook"], NOW)
        store.mark_failed("a1", "hook", error="HTTP 400: bad field", now=NOW, next_attempt_at=None)

    assert main(["alerts", "--config", str(config)]) == 0
    listing = capsys.readouterr().out
    assert "hook: dead (1 attempt): HTTP 400: bad field" in listing
    assert "to send it again: stance-monitor alerts retry a1" in listing

    assert main(["alerts", "show", "a1", "--config", str(config)]) == 0
    assert "decision: raised: first-shift" in capsys.readouterr().out

    assert (
        main(["alerts", "--config", str(config), "retry", "a1"]) == 0
    )  # --config before the action works too
    assert "re-queued for hook" in capsys.readouterr().out
    with Store(f"sqlite:///{db}") as store:
        assert [(d.status, d.attempts) for d in store.deliveries("a1")] == [("pending", 0)]
    assert main(["alerts", "retry", "a1", "--config", str(config)]) == 1
    assert "no dead or failed delivery" in capsys.readouterr().out
    assert main(["alerts", "retry", "nope", "--config", str(config)]) == 1
    assert "no alert 'nope'" in capsys.readouterr().err
