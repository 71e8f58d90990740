"""Robustness: every real-world sample in ../shared/feeds/ yields items or a ParseError with a reason.

The samples (RSS, Atom, RDF, JSON Feed, HTML pages, broken and oddly encoded files) stay outside the repo;
the test skips when they are absent. Nothing but ``ParseError`` may escape ``parse_feed``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.parse import parse_feed

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "feeds"
NOT_FEEDS = {"README.md", "SOURCES.tsv"}
NOW = datetime(2026, 11, 1, tzinfo=UTC)

# Well-formed feeds with nothing to read: a channel without items, or entries without title or text.
EMPTY_BY_DESIGN = {
    "miniflux--iso-8859-1.xml",
    "miniflux--windows-1252.xml",
    "miniflux--windows-1252-incorrect-prolog.xml",
    "rss-parser--incomplete-fields.atom",
    "rss-parser--missing-fields.atom",
}

SAMPLES = (
    sorted(p.name for p in CORPUS.iterdir() if p.is_file() and p.name not in NOT_FEEDS)
    if CORPUS.is_dir()
    else []
)


@pytest.mark.skipif(not SAMPLES, reason=f"no feed corpus at {CORPUS}")
@pytest.mark.parametrize("name", SAMPLES)
def test_sample_yields_items_or_a_clear_parse_error(name: str) -> None:
    body = (CORPUS / name).read_bytes()
    try:
        feed = parse_feed(body, {}, f"https://feeds.example.org/{name}", now=NOW, feed_name=name)
    except ParseError as error:
        assert error.reason.strip(), "a ParseError must say why"
        assert name not in EMPTY_BY_DESIGN
        return
    if name in EMPTY_BY_DESIGN:
        assert feed.items == () and feed.warning is None
        return
    assert feed.items, "a feed that parses must yield items (or be listed in EMPTY_BY_DESIGN)"
    for item in feed.items:
        assert item.key and (item.title or item.text)
        assert (
            item.published is not None
            and item.published.tzinfo is not None
            and item.published <= NOW + timedelta(days=1)
        )
        assert item.link == "" or item.link.startswith(("http://", "https://"))


@pytest.mark.skipif(not SAMPLES, reason=f"no feed corpus at {CORPUS}")
def test_html_pages_name_their_advertised_feed() -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(
            (CORPUS / "rsparser--sixcolors.html").read_bytes(), {}, "https://sixcolors.example/", now=NOW
        )
    assert info.value.reason == "HTML page, not a feed; it advertises a feed at http://feedpress.me/sixcolors"
