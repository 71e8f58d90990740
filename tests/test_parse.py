"""Unit tests for monitor.parse: feeds written inline, bytes in, values out."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.models import FeedItem
from monitor.parse import canonical_link, html_to_text, item_key, parse_feed, redact_url

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
URL = "https://news.example.org/feeds/eu.xml"


def rss(items: str, *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{declaration}\n<rss version="2.0"><channel><title>Brussels Wire</title>'
        f"<link>https://news.example.org/</link>{items}</channel></rss>"
    ).encode()


def parse(body: bytes) -> list[FeedItem]:
    return list(parse_feed(body, {}, URL, now=NOW).items)


# --- RSS and Atom -------------------------------------------------------------------------------------


def test_rss_items_become_plain_text_feed_items() -> None:
    body = rss(
        """<item><title>Council backs the &lt;new&gt; tariff plan</title>
        <link>https://news.example.org/a/1?utm_source=rss</link>
        <guid isPermaLink="false">wire-0001</guid>
        <author>desk@example.org (Ana Ruiz)</author>
        <pubDate>Mon, 09 Mar 2026 18:30:00 +0200</pubDate>
        <description><![CDATA[<p>The Commission <b>still</b> opposes the levy.</p><p>Talks go on.</p>]]></description>
        </item>"""
    )
    feed = parse_feed(
        body, {"Content-Type": "application/rss+xml"}, URL, now=NOW, feed_name="Wire", voice="EU"
    )
    assert feed.title == "Brussels Wire"
    assert feed.warning is None
    (item,) = feed.items
    assert item.title == "Council backs the <new> tariff plan"
    assert item.text == "The Commission still opposes the levy.\nTalks go on."
    assert item.key == "wire-0001"
    assert item.link == "https://news.example.org/a/1?utm_source=rss"
    assert item.published == datetime(2026, 3, 9, 16, 30, tzinfo=UTC)
    assert "Ana Ruiz" in item.author
    assert (item.feed_url, item.feed_name, item.voice) == (URL, "Wire", "EU")


def test_atom_entry_with_html_content_and_only_an_updated_date() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title type="text">EEAS press</title>
      <id>urn:feed</id><updated>2026-03-01T00:00:00Z</updated>
      <entry><id>urn:uuid:7d1c</id><title type="html">Statement on &lt;em&gt;trade&lt;/em&gt;</title>
        <link rel="alternate" href="/press/2026/statement-7"/>
        <author><name>High Representative</name></author>
        <updated>2026-03-02T09:15:00-05:00</updated>
        <summary>Short version.</summary>
        <content type="html">&lt;p&gt;The EU maintains its position on the levy.&lt;/p&gt;</content>
      </entry></feed>"""
    (item,) = parse(body)
    assert item.title == "Statement on trade"
    assert item.text == "The EU maintains its position on the levy."  # the longer of summary and content
    assert item.key == "urn:uuid:7d1c"
    assert item.link == "https://news.example.org/press/2026/statement-7"  # resolved against the feed URL
    assert item.author == "High Representative"
    assert item.published == datetime(2026, 3, 2, 14, 15, tzinfo=UTC)


def test_plain_text_values_are_not_treated_as_markup() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><id>e1</id><title type="text">Rates: a &lt; b and c &gt; d</title><summary type="text">x &amp; y</summary></entry></feed>"""
    (item,) = parse(body)
    assert item.title == "Rates: a < b and c > d"
    assert item.text == "x & y"


def test_entries_without_title_or_text_are_skipped_and_duplicate_guids_kept_once() -> None:
    body = rss(
        "<item><guid>g1</guid><link>https://x.example/1</link></item>"
        "<item><guid>g2</guid><title>first</title></item>"
        "<item><guid>g2</guid><title>second copy</title></item>"
    )
    assert [(i.key, i.title) for i in parse(body)] == [("g2", "first")]


def test_only_http_links_are_kept() -> None:
    body = rss("<item><title>x</title><link>javascript:alert(1)</link></item>")
    (item,) = parse(body)
    assert item.link == ""
    assert item.key.startswith("sha256:")


# --- HTML to text -------------------------------------------------------------------------------------


def test_html_to_text_drops_script_and_style_and_decodes_entities() -> None:
    html = (
        "<style>p { color: red }</style><p>Caf&eacute; &amp; bar&nbsp;&#8217;s&#x21;</p>"
        "<script>document.write('<p>injected</p>')</script><ul><li>one</li><li>two</li></ul>"
        "<noscript><img src=x> enable JS</noscript>tail<br>end"
    )
    assert html_to_text(html) == "Café & bar ’s!\none\ntwo\ntail\nend"


def test_html_to_text_normalises_whitespace_and_unicode() -> None:
    assert html_to_text("  Cafe\u0301 \t\r\n  au\u00a0lait  \u200b") == "Café\nau lait"
    assert html_to_text("<td>a</td><td>b</td>") == "a b"
    assert html_to_text("unclosed <script>var secret = 1; <p>still script") == "unclosed"


def test_script_content_never_reaches_item_text() -> None:
    body = rss(
        "<item><title>t</title><description>&lt;p&gt;Visible&lt;/p&gt;&lt;script&gt;steal()&lt;/script&gt;"
        "&lt;style&gt;.x{}&lt;/style&gt;</description></item>"
    )
    (item,) = parse(body)
    assert item.text == "Visible"


# --- dates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pub", "expected"),
    [
        ("<pubDate>Tue, 10 Mar 2026 08:00:00 -0500</pubDate>", datetime(2026, 3, 10, 13, 0, tzinfo=UTC)),
        ("", NOW),  # missing
        ("<pubDate>not a date</pubDate>", NOW),  # unparseable
        ("<pubDate>Fri, 13 Mar 2026 12:00:00 GMT</pubDate>", NOW),  # 3 days ahead: clamped
        ("<pubDate>Wed, 11 Mar 2026 06:00:00 GMT</pubDate>", NOW + timedelta(hours=18)),  # within a day
    ],
)
def test_published_is_utc_and_never_far_in_the_future(pub: str, expected: datetime) -> None:
    (item,) = parse(rss(f"<item><title>t</title>{pub}</item>"))
    assert item.published == expected
    assert item.published is not None and item.published.utcoffset() == timedelta(0)


# --- keys ---------------------------------------------------------------------------------------------


def test_key_prefers_guid_then_canonical_link_then_content_hash() -> None:
    with_guid, with_link, hashed, other = parse(
        rss(
            "<item><guid>id-1</guid><title>a</title><link>https://x.example/a</link></item>"
            "<item><title>b</title><link>https://X.example:443/b?id=7&amp;utm_medium=rss&amp;fbclid=z#top</link></item>"
            "<item><title>c</title><description>same</description></item>"
            "<item><title>c</title><description>different</description></item>"
        )
    )
    assert with_guid.key == "id-1"
    assert with_link.key == "https://x.example/b?id=7"
    assert (
        with_link.link == "https://X.example:443/b?id=7&utm_medium=rss&fbclid=z#top"
    )  # the link itself is kept
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", hashed.key)
    assert hashed.key != other.key
    (again,) = parse(rss("<item><title>c</title><description>same</description></item>"))
    assert again.key == hashed.key  # stable across polls


def test_item_key_directly() -> None:
    assert item_key({"id": "  g  "}, "t", "x", "https://a.example/") == "g"
    assert item_key({}, "t", "x", "https://a.example/p?utm_source=x") == "https://a.example/p"
    assert item_key({}, "t", "x", "") == item_key({}, "t", "x", "")
    assert item_key({}, "t", "x", "") != item_key({}, "t", "y", "")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://Example.ORG/a/b?x=1&utm_source=rss&utm_campaign=c&y=2#frag",
            "https://example.org/a/b?x=1&y=2",
        ),
        ("http://example.org:80?gclid=1", "http://example.org/"),
        ("https://example.org:8443/p?mc_cid=1&q=a+b", "https://example.org:8443/p?q=a+b"),
        ("tag:example.org,2026:post-1#x", "tag:example.org,2026:post-1"),
        ("http://[::1/broken#x", "http://[::1/broken"),
    ],
)
def test_canonical_link(url: str, expected: str) -> None:
    assert canonical_link(url) == expected


def test_redact_url() -> None:
    assert redact_url("https://bob:s3cr@t@feeds.example/x?a=1") == "https://***@feeds.example/x?a=1"
    assert redact_url("https://feeds.example/a@b") == "https://feeds.example/a@b"


# --- not a feed ---------------------------------------------------------------------------------------


def reason(body: bytes, headers: dict[str, str] | None = None) -> str:
    with pytest.raises(ParseError) as info:
        parse_feed(body, headers or {}, URL, now=NOW)
    assert info.value.feed == URL
    return info.value.reason


def test_html_page_names_the_feed_it_advertises() -> None:
    page = b"""<!DOCTYPE html><html><head><title>News</title>
      <link rel="stylesheet" href="/s.css">
      <link rel="alternate" type="application/atom+xml" title="Atom" href="/feeds/atom.xml">
      </head><body><p>Hello</p></body></html>"""
    assert (
        reason(page)
        == "HTML page, not a feed; it advertises a feed at https://news.example.org/feeds/atom.xml"
    )


def test_html_page_without_a_feed_link() -> None:
    assert reason(b"\n<html><body><p>Moved</p></body></html>") == "HTML page, not a feed"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "empty document"),
        (b"  \n\t ", "empty document"),
        (b"\x00\x01garbage\xff\xfe bytes", "not a feed: neither XML nor HTML"),
        (b"<<<>>> <b>&&&", "XML error at line 1: "),
        (
            b'<?xml version="1.0"?><catalog><book/></catalog>',
            "XML document with root element <catalog>, not a feed",
        ),
        (b'<?xml version="1.0"?>\n<rss version="2.0">\n<channel><title>x</ti', "XML error at line 3: "),
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
            "JSON Feed, which is not supported",
        ),
        (b'{"items": [1, 2', "invalid JSON at line 1, not a feed"),
    ],
)
def test_not_a_feed_reasons(body: bytes, expected: str) -> None:
    assert reason(body).startswith(expected)


def test_truncated_feed_that_still_has_entries_is_used_with_a_warning() -> None:
    body = rss("<item><title>Complete entry</title><guid>c1</guid></item><item><title>Cut of")[:-20]
    body = body.split(b"</channel>")[0]
    feed = parse_feed(body, {}, URL, now=NOW)
    assert [i.title for i in feed.items] == ["Complete entry"]
    assert feed.warning is not None and feed.warning.startswith("XML error at line")


def test_valid_feed_without_items_is_empty_not_an_error() -> None:
    feed = parse_feed(rss(""), {}, URL, now=NOW)
    assert feed.items == () and feed.warning is None and feed.title == "Brussels Wire"


def test_credentials_in_the_feed_url_stay_out_of_errors() -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(b"<html></html>", {}, "https://user:hunter2@example.org/feed", now=NOW)
    assert "hunter2" not in str(info.value)


# --- encodings ----------------------------------------------------------------------------------------


def test_latin1_bytes_declared_utf8_do_not_crash_and_stay_readable() -> None:
    body = rss("<item><title>Caf\u00e9 cr\u00e8me</title></item>").replace("é".encode(), b"\xe9")
    body = body.replace("è".encode(), b"\xe8")
    feed = parse_feed(body, {"content-type": "application/rss+xml; charset=utf-8"}, URL, now=NOW)
    assert [i.title for i in feed.items] == ["Café crème"]
    assert feed.warning is not None  # feedparser says it fell back to another encoding


def test_utf8_bytes_declared_latin1_do_not_crash() -> None:
    body = rss(
        "<item><title>Caf\u00e9</title></item>", declaration='<?xml version="1.0" encoding="iso-8859-1"?>'
    )
    (item,) = parse(body)
    assert item.title in ("Café", "CafÃ©")  # the declaration wins; what matters is no crash, no U+FFFD


def test_gzip_body_without_content_encoding_is_inflated() -> None:
    (item,) = parse(gzip.compress(rss("<item><title>zipped</title></item>")))
    assert item.title == "zipped"


# --- hostile XML --------------------------------------------------------------------------------------


def test_entity_expansion_is_not_performed() -> None:
    levels = "\n".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' if n else '<!ENTITY l0 "lol">' for n in range(10)
    )
    body = rss(
        "<item><title>Bomb &l9;</title><description>x &l9; y</description></item>",
        declaration=f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{levels}\n]>',
    )
    items = parse(body)
    assert items, "the entry is still read"
    assert all(len(i.title) + len(i.text) < 200 and "lollol" not in i.text + i.title for i in items)


@pytest.mark.parametrize("target", ["file:///etc/passwd", "SECRET"])
def test_external_entities_are_not_resolved(tmp_path: Path, target: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-MARKER root:x:0:0\n")
    system = secret.as_uri() if target == "SECRET" else target
    body = rss(
        "<item><title>Leak &xxe;</title><description>before &xxe; after</description></item>",
        declaration=f'<?xml version="1.0"?>\n<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "{system}"> ]>',
    )
    items = parse(body)
    assert items, "the entry is still read"
    for item in items:
        assert "TOPSECRET" not in item.title + item.text
        assert "root:x:0:0" not in item.title + item.text


def test_a_body_that_names_a_local_file_is_not_read_as_that_file(tmp_path: Path) -> None:
    local = tmp_path / "feed.xml"
    local.write_bytes(rss("<item><title>LOCAL-FILE-CONTENT</title></item>"))
    with pytest.raises(ParseError):  # feedparser.parse(bytes) alone would open the path and parse it
        parse_feed(str(local).encode(), {}, URL, now=NOW)
