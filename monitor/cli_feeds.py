"""``stance-monitor feeds`` (the health table), ``feeds add URL`` and ``feeds enable FEED``. Does I/O; prints.

``feeds add`` fetches the URL with the feed fetcher; a web page is searched for the feed it advertises
(``<link rel="alternate" type="application/rss+xml">``). The feed must parse and have items before it is
appended to the configuration file (as text: comments and layout stay), and the file must still load.
The table is built by pure functions (``feed_status``, ``format_feeds``) that take ``now``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import Config, load_config
from monitor.errors import FetchError, MonitorError, ParseError
from monitor.models import ParsedFeed
from monitor.store import FeedState

EXIT_OK, EXIT_FAILED = 0, 1
ConfigArg = Callable[[argparse.ArgumentParser], None]
NAME_WIDTH = 28
MAX_CANDIDATES = 5  # advertised feeds tried by ``feeds add``


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_arg: ConfigArg) -> None:
    feeds = sub.add_parser("feeds", help="every feed's health; `feeds add URL`, `feeds enable FEED`")
    config_arg(feeds)
    feeds.set_defaults(func=cmd_feeds)
    actions = feeds.add_subparsers(metavar="ACTION")

    add = actions.add_parser(
        "add", help="find the feed of a URL (or web page), check it, add it to the config"
    )
    add.add_argument("url", help="a feed URL, or a web page that advertises its feed")
    add.add_argument("--name", help="the feed's name (default: its title)")
    add.add_argument("--interval", help="its polling interval, e.g. 30m (default: the global interval)")
    add.add_argument("--voice", help="the holder whose own channel the feed is, e.g. EU")
    add.add_argument("--full-text", action="store_true", help="judge each item's linked article too")
    add.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="configuration file")
    add.set_defaults(func=cmd_feeds_add)

    enable = actions.add_parser("enable", help="poll a feed disabled as gone (410) again")
    enable.add_argument("feed", help="the feed's name or URL")
    enable.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="configuration file")
    enable.set_defaults(func=cmd_feeds_enable)


# --- the table ---------------------------------------------------------------------------------------


def feed_status(state: FeedState, now: datetime, down_after: float) -> str:
    """One word for a feed's health: ok, new, failing, down, gone, removed."""
    if state.disabled_reason:
        return "gone"
    if not state.enabled:
        return "removed"
    if state.last_attempt_at is None:
        return "new"
    if state.failing_since is not None and state.consecutive_failures:
        return "down" if (now - state.failing_since).total_seconds() >= down_after else "failing"
    return "ok"


def feed_note(state: FeedState, status: str) -> str:
    """What the operator should know about the feed, in words."""
    notes = []
    if status == "gone":
        notes.append(f"{state.disabled_reason}; `stance-monitor feeds enable` to try again")
    elif status == "removed":
        notes.append("no longer in the configuration")
    elif state.last_error and status in ("failing", "down"):
        notes.append(state.last_error)
    if state.current_url:
        notes.append(f"moved to {state.current_url}: update its url in the configuration")
    if state.last_warning and status == "ok":
        notes.append(state.last_warning)
    return "; ".join(notes)


def format_feeds(states: Sequence[FeedState], now: datetime, down_after: float) -> str:
    """The ``feeds`` table, with a summary line."""
    header = ("FEED", "STATE", "HTTP", "FAILS", "ITEMS", "LAST SUCCESS", "NEXT POLL", "NOTE")
    rows = []
    counts: dict[str, int] = {}
    for s in states:
        status = feed_status(s, now, down_after)
        counts[status] = counts.get(status, 0) + 1
        name = s.name if len(s.name) <= NAME_WIDTH else s.name[: NAME_WIDTH - 1] + "…"
        since = (
            f"since {_ago(now - s.failing_since)}"
            if status in ("failing", "down") and s.failing_since
            else ""
        )
        nxt = "-" if status in ("gone", "removed") else _until(s.next_poll_at - now)
        last = _ago(now - s.last_success_at) if s.last_success_at else "never"
        fails = f"{s.consecutive_failures} {since}".strip() if s.consecutive_failures else "0"
        http = str(s.last_status) if s.last_status is not None else "-"
        rows.append((name, status, http, fails, str(s.items_seen), last, nxt, feed_note(s, status)))
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header) - 1)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        for r in (header, *rows)
    ]
    summary = ", ".join(f"{n} {word}" for word, n in sorted(counts.items())) or "none"
    return "\n".join([line.rstrip() for line in lines] + [f"{len(states)} feeds: {summary}"])


def _ago(delta: timedelta) -> str:
    return f"{_span(delta)} ago"


def _until(delta: timedelta) -> str:
    return "due" if delta.total_seconds() <= 0 else f"in {_span(delta)}"


def _span(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def cmd_feeds(args: argparse.Namespace) -> int:
    from monitor.store import Store

    config = load_config(args.config)
    with Store(config.database) as store:
        states = store.feeds()
    print(format_feeds(states, datetime.now(UTC), config.polling.source_down_after))
    return EXIT_OK


# --- enable ------------------------------------------------------------------------------------------


def cmd_feeds_enable(args: argparse.Namespace) -> int:
    from monitor.store import Store

    config = load_config(args.config)
    with Store(config.database) as store:
        match = [s for s in store.feeds() if args.feed in (s.url, s.name)]
        if not match:
            print(f"error: no feed named {args.feed!r} (see `stance-monitor feeds`)", file=sys.stderr)
            return EXIT_FAILED
        for state in match:
            store.enable_feed(state.url, datetime.now(UTC))
            print(f"enabled {state.name}: polled at the daemon's next look ({state.url})")
    return EXIT_OK


# --- add ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A feed that parsed and has items, and the page it was discovered from (if any)."""

    url: str
    feed: ParsedFeed
    page: str | None = None


def find_feed(fetch: Callable[[str], tuple[str, bytes, dict[str, str]]], url: str, now: datetime) -> Found:
    """The feed at ``url``, or the first working feed the page at ``url`` advertises; else ParseError.

    ``fetch(url)`` returns (the URL to keep: after permanent redirects, body, headers).
    """
    from monitor.parse import discover_feeds, parse_feed

    final, body, headers = fetch(url)
    try:
        feed = parse_feed(body, headers, final, now=now)
    except ParseError as exc:
        candidates = discover_feeds(body, final)
        if not candidates:
            raise
        problems = []
        for candidate in candidates[:MAX_CANDIDATES]:
            try:
                where, page, page_headers = fetch(candidate)
                return _with_items(Found(where, parse_feed(page, page_headers, where, now=now), page=url))
            except (FetchError, ParseError) as bad:
                problems.append(f"{candidate}: {bad.reason}")
        raise ParseError(url, f"{exc.reason}, but it does not work ({'; '.join(problems)})") from None
    return _with_items(Found(final, feed))


def _with_items(found: Found) -> Found:
    if not found.feed.items:
        raise ParseError(found.url, "the feed parses but has no items: nothing to watch yet")
    return found


def cmd_feeds_add(args: argparse.Namespace) -> int:
    from monitor.configedit import append_feed
    from monitor.fetch import Fetcher

    config = load_config(args.config)
    with Fetcher(
        config.user_agent, timeout=config.polling.timeout, max_bytes=config.polling.max_bytes
    ) as fetcher:

        def fetch(url: str) -> tuple[str, bytes, dict[str, str]]:
            result = fetcher.fetch(url)
            return result.permanent_redirect or url, result.body or b"", result.headers

        try:
            found = find_feed(fetch, args.url, datetime.now(UTC))
        except (FetchError, ParseError) as exc:
            print(f"error: {args.url}: {exc.reason}", file=sys.stderr)
            return EXIT_FAILED
    taken = _already(config, found.url)
    if taken:
        print(f"error: {found.url} is already configured as {taken!r}", file=sys.stderr)
        return EXIT_FAILED
    if args.name and args.name in {f.label for f in config.feeds}:
        print(f"error: a feed is already named {args.name!r}; choose another --name", file=sys.stderr)
        return EXIT_FAILED
    entry = _entry(args, found, config)
    path: Path = args.config
    original = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        _replace_checked(path, append_feed(original, entry))
    except (ValueError, MonitorError) as exc:
        print(f"error: could not add the feed to {path}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    via = f" (advertised by {found.page})" if found.page else ""
    print(f"added to {path}: {entry.get('name', found.url)}: {found.url}{via}")
    print(f"  {len(found.feed.items)} items now; latest: {found.feed.items[0].title[:100]!r}")
    return EXIT_OK


def _already(config: Config, url: str) -> str | None:
    for feed in config.feeds:
        if feed.url.rstrip("/") == url.rstrip("/"):
            return feed.label
    return None


def _entry(args: argparse.Namespace, found: Found, config: Config) -> dict[str, str | bool | float]:
    entry: dict[str, str | bool | float] = {"url": found.url}
    names = {f.label for f in config.feeds}
    name = args.name or found.feed.title
    if name and name not in names:
        entry["name"] = name
    for key in ("interval", "voice"):
        if getattr(args, key):
            entry[key] = getattr(args, key)
    if args.full_text:
        entry["full_text"] = True
    return entry


def _replace_checked(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` only if it still loads as a valid configuration (else ConfigError)."""
    trial = path.with_name(f".{path.name}.new")
    trial.write_text(text, encoding="utf-8")
    try:
        load_config(trial)
    except MonitorError:
        trial.unlink()
        raise
    os.replace(trial, path)
