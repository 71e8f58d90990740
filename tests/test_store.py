"""Storage against real SQLite files in tmp_path (and PostgreSQL when a server can be started here)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError

from monitor.errors import MonitorError
from monitor.models import Alert, FeedItem, RenderedAlert
from monitor.store import Store

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
FEED = "https://example.org/feed.xml"
OTHER = "https://example.org/other.xml"


def item(key: str, text: str = "The EU backs the plan.", title: str = "Title") -> FeedItem:
    return FeedItem(
        key=key,
        title=title,
        text=text,
        link=f"https://example.org/{key}",
        published=NOW - timedelta(hours=1),
        author="Press office",
        feed_url=FEED,
        feed_name="Example",
    )


def rendered(alert_id: str = "a1", created_at: datetime = NOW) -> RenderedAlert:
    alert = Alert(
        alert_id=alert_id,
        stance_id="eu-plan",
        holder="EU",
        proposition="supports the plan",
        baseline="support",
        grade="reversal",
        score=0.9,
        reason="contra term near holder",
        sentence="The EU no longer backs the plan – «nie».",
        speaker="EU",
        item_title="EU changes course",
        item_link="https://example.org/x",
        item_published=datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
        feed_name="Example",
        baseline_quote="The EU fully supports the plan.",
        seed="seeds/eu.md",
        seed_source="Council conclusions",
        seed_date="2026-01-10",
        severity="high",
        created_at=created_at,
    )
    payload = {"alert_id": alert_id, "score": 0.9, "tags": ["eu", "plan"], "nested": {"ok": True}}
    return RenderedAlert(
        alert=alert, subject=f"Shift: {alert_id}", text="plain ✓", html="<p>html</p>", payload=payload
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/nested/dir/monitor.db"  # the folders do not exist yet
    folder, port = request.getfixturevalue("postgres_server")
    name = f"test_{time.monotonic_ns()}"
    import psycopg

    with psycopg.connect(host=folder, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@/{name}?host={folder}&port={port}"


def _pg_binary(name: str) -> str | None:
    """A PostgreSQL server binary: on PATH, or where Debian installs it (/usr/lib/postgresql/N/bin)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[str, int]]:
    """A throwaway PostgreSQL server on a Unix socket; skips when psycopg or the server binaries are missing."""
    in_ci = os.environ.get("CI") == "true"  # CI installs PostgreSQL (.ci/run): there a missing server fails
    if not in_ci:
        pytest.importorskip("psycopg")
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        if in_ci:
            pytest.fail("PostgreSQL is not installed: .ci/run should have installed it")
        pytest.skip("initdb/pg_ctl not installed")
    as_user: list[str] = []
    folder = tempfile.mkdtemp(prefix="monitor-pg-")
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = f"{folder}/data", 5432  # no TCP: the port only names the socket file in our folder
    options = f"-k {folder} -p {port} -c listen_addresses=''"
    try:
        subprocess.run(
            [*as_user, initdb, "-D", data, "-U", "postgres", "--auth=trust"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        # The server inherits pg_ctl's output: send it to a log file, not to a pipe we would wait on.
        subprocess.run(
            [*as_user, pg_ctl, "-D", data, "-l", f"{folder}/log", "-o", options, "-w", "-t", "60", "start"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=90,
        )
    except (OSError, subprocess.SubprocessError, LookupError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"cannot start PostgreSQL: {exc}")
    try:
        yield folder, port
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True, timeout=60
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as s:
        s.sync_feeds([(FEED, "Example", 900.0)], NOW)
        yield s


# -- items -------------------------------------------------------------------------------------------------


def test_add_items_twice_returns_nothing_the_second_time(store: Store) -> None:
    first = store.add_items(FEED, [item("1"), item("2")], NOW)
    assert [(s.item.key, s.revision) for s in first] == [("1", 1), ("2", 1)]
    assert len({s.id for s in first}) == 2
    assert store.add_items(FEED, [item("1"), item("2")], NOW) == []
    assert store.count_items() == 2
    state = store.feed(FEED)
    assert state is not None and state.items_seen == 2


def test_changed_text_is_returned_once_with_revision_2(store: Store) -> None:
    [orig] = store.add_items(FEED, [item("1")], NOW)
    later = NOW + timedelta(minutes=15)
    changed = store.add_items(FEED, [item("1", text="The EU no longer backs the plan."), item("2")], later)
    assert [(s.item.key, s.revision) for s in changed] == [("1", 2), ("2", 1)]
    assert changed[0].id == orig.id
    assert changed[0].item.text == "The EU no longer backs the plan."
    assert store.add_items(FEED, [item("1", text="The EU no longer backs the plan.")], later) == []
    retitled = store.add_items(FEED, [item("1", text="The EU no longer backs the plan.", title="New")], later)
    assert [(s.id, s.revision) for s in retitled] == [(orig.id, 3)]
    assert store.count_items() == 2


def test_repeated_keys_in_one_call_count_once_and_keys_are_per_feed(store: Store) -> None:
    store.sync_feeds([(FEED, "Example", 900.0), (OTHER, "Other", 60.0)], NOW)
    out = store.add_items(FEED, [item("1"), item("1", text="other text")], NOW)
    assert [(s.item.key, s.item.text) for s in out] == [("1", "The EU backs the plan.")]
    assert [s.item.key for s in store.add_items(OTHER, [item("1")], NOW)] == ["1"]
    assert store.count_items() == 2


def test_unknown_feed_is_refused(store: Store) -> None:
    with pytest.raises(KeyError):
        store.add_items("https://nowhere.example/feed", [item("1")], NOW)


def test_a_thousand_items_in_one_call(store: Store) -> None:
    items = [item(f"k{i}", text=f"text {i}") for i in range(1000)]
    start = time.perf_counter()
    out = store.add_items(FEED, items, NOW)
    elapsed = time.perf_counter() - start
    assert len(out) == 1000 and store.count_items() == 1000
    assert [s.item.key for s in out] == [i.key for i in items]
    assert elapsed < 3.0, f"1,000 items took {elapsed:.2f}s"
    assert store.add_items(FEED, items, NOW) == []


def test_two_writers_store_each_item_once(db_url: str) -> None:
    with Store(db_url) as s:
        s.sync_feeds([(FEED, "Example", 900.0)], NOW)
    items = [item(f"k{i}") for i in range(600)]
    results: list[int] = []

    def write() -> None:
        with Store(db_url) as s:
            results.append(len(s.add_items(FEED, items, NOW)))

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 600]
    with Store(db_url) as s:
        assert s.count_items() == 600


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        store.add_items(FEED, [item("1")], datetime(2026, 11, 3, 12, 0))


# -- feeds -------------------------------------------------------------------------------------------------


def test_sync_feeds_due_feeds_and_fetch_records_round_trip(store: Store) -> None:
    store.sync_feeds([(FEED, "Example", 900.0), (OTHER, "Other", 60.0)], NOW + timedelta(seconds=5))
    assert [f.url for f in store.due_feeds(NOW)] == [FEED]
    assert [f.url for f in store.due_feeds(NOW + timedelta(seconds=5))] == [FEED, OTHER]

    store.record_fetch_success(
        FEED,
        now=NOW,
        status=200,
        etag='"v1"',
        last_modified="Tue, 03 Nov 2026 11:00:00 GMT",
        next_poll_at=NOW + timedelta(seconds=900),
    )
    state = store.feed(FEED)
    assert state is not None
    assert state.next_poll_at == NOW + timedelta(seconds=900) and state.next_poll_at.tzinfo is not None
    assert state.last_success_at == NOW and state.last_attempt_at == NOW
    assert state.last_success_at is not None and state.last_success_at.utcoffset() == timedelta(0)
    assert (state.last_status, state.etag, state.consecutive_failures) == (200, '"v1"', 0)
    assert [f.url for f in store.due_feeds(NOW + timedelta(seconds=899))] == [OTHER]

    # A 304 without validators keeps the stored ones.
    later = NOW + timedelta(seconds=900)
    store.record_fetch_success(FEED, now=later, status=304, etag=None, last_modified=None, next_poll_at=later)
    state = store.feed(FEED)
    assert state is not None and (state.last_status, state.etag) == (304, '"v1"')
    assert state.last_modified == "Tue, 03 Nov 2026 11:00:00 GMT"

    for n in (1, 2):
        store.record_fetch_failure(
            FEED,
            now=later,
            error="connection refused",
            next_poll_at=later + timedelta(minutes=n),
            status=None,
        )
    state = store.feed(FEED)
    assert state is not None
    assert (state.consecutive_failures, state.last_error, state.last_status) == (
        2,
        "connection refused",
        None,
    )
    assert state.last_success_at == later and state.next_poll_at == later + timedelta(minutes=2)

    store.record_fetch_success(FEED, now=later, status=200, etag=None, last_modified=None, next_poll_at=later)
    state = store.feed(FEED)
    assert state is not None and (state.consecutive_failures, state.last_error, state.etag) == (0, None, None)

    with pytest.raises(KeyError):
        store.record_fetch_failure("https://nowhere.example/", now=NOW, error="x", next_poll_at=NOW)


def test_sync_feeds_updates_disables_and_reenables(store: Store) -> None:
    store.record_fetch_success(FEED, now=NOW, status=200, etag=None, last_modified=None, next_poll_at=NOW)
    store.sync_feeds([(OTHER, "Other", 60.0)], NOW)
    states = {f.url: f for f in store.feeds()}
    assert not states[FEED].enabled and states[OTHER].enabled
    assert [f.url for f in store.due_feeds(NOW + timedelta(days=1))] == [OTHER]

    store.sync_feeds([(FEED, "Renamed", 300.0), (OTHER, "Other", 60.0)], NOW + timedelta(hours=1))
    state = store.feed(FEED)
    assert state is not None
    assert (state.name, state.interval_s, state.enabled) == ("Renamed", 300.0, True)
    assert state.last_status == 200  # history kept
    assert store.feed("https://nowhere.example/") is None


def test_other_zones_are_stored_as_the_same_instant_in_utc(store: Store) -> None:
    plus2 = timezone(timedelta(hours=2))
    store.record_fetch_failure(
        FEED, now=NOW, error="x", next_poll_at=datetime(2026, 11, 3, 16, 0, tzinfo=plus2)
    )
    state = store.feed(FEED)
    assert state is not None
    assert state.next_poll_at == datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    assert state.next_poll_at.tzinfo == UTC


# -- alerts and deliveries ---------------------------------------------------------------------------------


def test_add_alert_twice_writes_once(store: Store) -> None:
    [stored] = store.add_items(FEED, [item("1")], NOW)
    assert store.add_alert(rendered("a1"), stored.id, ["console", "mail", "console"], NOW) is True
    assert store.add_alert(rendered("a1"), stored.id, ["console", "webhook"], NOW) is False
    assert [(d.channel, d.status, d.attempts) for d in store.deliveries("a1")] == [
        ("console", "pending", 0),
        ("mail", "pending", 0),
    ]
    assert len(store.due_deliveries(NOW)) == 2


def test_due_deliveries_respect_next_attempt_at_and_rebuild_the_rendered_alert(store: Store) -> None:
    original = rendered("a1")
    store.add_alert(original, None, ["console", "mail"], NOW)
    assert store.due_deliveries(NOW - timedelta(seconds=1)) == []
    due = store.due_deliveries(NOW)
    assert [(d.alert_id, d.channel, d.attempts) for d in due] == [("a1", "console", 0), ("a1", "mail", 0)]
    assert due[0].rendered == original
    assert due[0].rendered.alert.created_at.tzinfo is not None

    retry_at = NOW + timedelta(minutes=1)
    store.mark_failed("a1", "mail", error="timeout", now=NOW, next_attempt_at=retry_at)
    store.mark_sent("a1", "console", NOW)
    assert store.due_deliveries(NOW + timedelta(seconds=59)) == []
    [again] = store.due_deliveries(retry_at)
    assert (again.channel, again.attempts) == ("mail", 1)
    assert store.alert("a1") == original and store.alert("nope") is None


def test_mark_sent_and_mark_failed_without_retry(store: Store) -> None:
    store.add_alert(rendered("a1"), None, ["console", "mail"], NOW)
    store.mark_sent("a1", "console", NOW + timedelta(seconds=2))
    store.mark_failed("a1", "mail", error="550 no such user", now=NOW, next_attempt_at=None)
    assert store.due_deliveries(NOW + timedelta(days=365)) == []
    states = {d.channel: d for d in store.deliveries("a1")}
    assert states["console"].status == "sent" and states["console"].sent_at == NOW + timedelta(seconds=2)
    assert (states["mail"].status, states["mail"].attempts, states["mail"].last_error) == (
        "dead",
        1,
        "550 no such user",
    )
    assert states["mail"].next_attempt_at is None
    with pytest.raises(KeyError):
        store.mark_sent("a1", "webhook", NOW)


def test_alerts_newest_first_with_channel_status(store: Store) -> None:
    store.add_alert(rendered("old"), None, ["console"], NOW)
    store.add_alert(rendered("new"), None, ["console", "mail"], NOW + timedelta(minutes=1))
    store.mark_sent("new", "mail", NOW + timedelta(minutes=1))
    listed = store.alerts()
    assert [(a.alert_id, status) for a, status in listed] == [
        ("new", {"console": "pending", "mail": "sent"}),
        ("old", {"console": "pending"}),
    ]
    assert [a.alert_id for a, _ in store.alerts(limit=1)] == ["new"]
    assert [a.alert_id for a in store.alerts_since(NOW + timedelta(seconds=30))] == ["new"]
    assert [a.alert_id for a in store.alerts_since(NOW, stance_id="eu-plan")] == ["old", "new"]
    assert store.alerts_since(NOW, stance_id="other") == []


# -- restart and opening -----------------------------------------------------------------------------------


def test_a_new_store_on_the_same_file_sees_the_same_state(db_url: str) -> None:
    with Store(db_url) as first:
        first.sync_feeds([(FEED, "Example", 900.0)], NOW)
        first.record_fetch_success(
            FEED, now=NOW, status=200, etag='"e"', last_modified=None, next_poll_at=NOW + timedelta(hours=1)
        )
        first.add_items(FEED, [item("1"), item("2")], NOW)
        first.add_alert(rendered("a1"), None, ["console"], NOW)
        before = first.feed(FEED)
    with Store(db_url) as second:
        assert second.feed(FEED) == before
        assert second.count_items() == 2
        assert second.add_items(FEED, [item("1"), item("2")], NOW) == []
        assert second.add_alert(rendered("a1"), None, ["console"], NOW) is False
        [due] = second.due_deliveries(NOW)
        assert due.rendered == rendered("a1")


def test_bad_database_urls_are_reported_without_secrets() -> None:
    with pytest.raises(MonitorError, match="only sqlite and postgresql"):
        Store("mysql://user:hunter2@localhost/db")
    try:
        Store("mysql://user:hunter2@localhost/db")
    except MonitorError as exc:
        assert "hunter2" not in str(exc)
    with pytest.raises(MonitorError, match="not a valid database URL"):
        Store("not a url")


def test_sqlite_creates_the_folder_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "monitor.db"
    with Store(f"sqlite:///{path}") as store:
        store.sync_feeds([(FEED, "Example", 900.0)], NOW)
        store.add_items(FEED, [item("1")], NOW)
        assert path.exists() and Path(f"{path}-wal").exists()


def test_frozen_values(store: Store) -> None:
    state = store.feed(FEED)
    assert state is not None
    assert replace(state, name="x").name == "x"
    with pytest.raises(AttributeError):
        state.name = "x"  # type: ignore[misc]
