"""Turn a feed's bytes into ``FeedItem`` values. Pure: no I/O, no clock (``now`` is passed in).

feedparser does the XML work. This module decides what counts as a feed, says in words why something is
not one (``ParseError``), and reduces each entry to plain text with a UTC date and a stable key.

The body is handed to feedparser wrapped in ``io.BytesIO``: given bare ``bytes`` that happen to name a
file (say a body of ``/etc/passwd``), ``feedparser.parse`` opens and reads that file. feedparser neither
expands entity declarations nor resolves external entities, and HTML sanitising is skipped because every
value is reduced to plain text here (templates escape what they print).
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import unicodedata
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser

from monitor.errors import ParseError
from monitor.models import FeedItem, ParsedFeed

FUTURE_TOLERANCE = timedelta(days=1)  # dates further ahead than this are taken as "now"
MAX_INFLATED_BYTES = 10_000_000  # a gzip body that was never decoded is inflated at most this far
PASSED_HEADERS = ("content-type", "content-location", "content-language")  # all feedparser needs
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
     "_hsenc", "_hsmi", "mkt_tok", "ref_src", "oly_anon_id", "oly_enc_id", "vero_id", "wt_mc", "wt.mc_id"}
)  # fmt: skip
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
MAX_TTL_MINUTES = 366 * 24 * 60
DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_feed(
    body: bytes,
    headers: Mapping[str, str],
    feed_url: str,
    *,
    now: datetime,
    feed_name: str = "",
    voice: str | None = None,
) -> ParsedFeed:
    """Parse a feed body into items; raise ``ParseError`` (with a reason in words) if it is not a feed."""
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    feed = redact_url(feed_url)
    if body[:2] == b"\x1f\x8b":  # a .gz file served without Content-Encoding
        body = _gunzip(body, feed)
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped or stripped[:1] in (b"{", b"["):
        raise ParseError(feed, _json_reason(stripped) if stripped else "empty document")
    if stripped[:5] == b"<?xml":  # blank lines before the declaration would force the loose parser
        body = stripped
    lower = {k.lower(): v for k, v in headers.items()}
    passed = {k: lower[k] for k in PASSED_HEADERS if k in lower}
    passed.setdefault("content-type", "application/xml")  # else feedparser warns "no Content-type"
    result = feedparser.parse(
        io.BytesIO(body), response_headers=passed, sanitize_html=False, resolve_relative_uris=False
    )
    entries = result.get("entries") or []
    # feedparser puts a declaration line in front of a body without one: error line numbers shift by one
    added_lines = 0 if body.startswith((b"<?xml", b"\xef\xbb\xbf<?xml")) else 1
    warning = _bozo_message(result.get("bozo_exception"), added_lines) if result.get("bozo") else None
    if not entries and (not result.get("version") or (warning or "").startswith("XML error")):
        raise ParseError(feed, _not_a_feed(body, lower, warning, feed_url))
    items: dict[str, FeedItem] = {}
    for entry in entries:
        item = _to_item(entry, feed_url, now, feed_name, voice)
        if item is not None and item.key not in items:  # first of duplicate GUIDs wins
            items[item.key] = item
    channel = result.get("feed") or {}
    title = _one_line(_field_text(channel, "title"))
    return ParsedFeed(title=title, items=tuple(items.values()), warning=warning, ttl=_ttl(channel))


def _ttl(channel: Mapping[str, Any]) -> float | None:
    """RSS ``<ttl>`` (minutes) as seconds; None when absent, not a number, zero or over a year."""
    value = str(_raw(channel, "ttl") or "").strip()
    if not value.isdigit() or not 0 < int(value) <= MAX_TTL_MINUTES:
        return None
    return int(value) * 60.0


def _to_item(
    entry: Mapping[str, Any], feed_url: str, now: datetime, feed_name: str, voice: str | None
) -> FeedItem | None:
    title = _one_line(_field_text(entry, "title"))
    text = _longest_text(entry)
    if not title and not text:
        return None
    link = _absolute_link(_raw(entry, "link") or "", feed_url)
    return FeedItem(
        key=item_key(entry, title, text, link),
        title=title,
        text=text,
        link=link,
        published=_published(entry, now),
        author=_one_line(_clean(str(_raw(entry, "author") or ""))),
        feed_url=feed_url,
        feed_name=feed_name,
        voice=voice,
    )


def _raw(entry: Mapping[str, Any], key: str) -> Any:
    """A value without feedparser's key aliases (which warn, and warnings are errors in our tests)."""
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def _field_text(entry: Mapping[str, Any], name: str) -> str:
    value = _raw(entry, name)
    if not isinstance(value, str):
        return ""
    detail = _raw(entry, f"{name}_detail") or {}
    return _as_text(value, str(detail.get("type", "text/html")))


def _as_text(value: str, mime: str) -> str:
    return html_to_text(value) if "html" in mime else _clean(value)


def _longest_text(entry: Mapping[str, Any]) -> str:
    """The fullest text on offer: the summary or the longest of the contents (by markup length)."""
    offered = [(_raw(entry, "summary"), _raw(entry, "summary_detail") or {})]
    offered += [(content.get("value"), content) for content in _raw(entry, "content") or []]
    texts = [
        (value, str(detail.get("type", "text/html"))) for value, detail in offered if isinstance(value, str)
    ]
    return _as_text(*max(texts, key=lambda text: len(text[0]))) if texts else ""


def _published(entry: Mapping[str, Any], now: datetime) -> datetime:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = _raw(entry, key)
        if not parsed:
            continue
        try:
            when = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
        except (TypeError, ValueError, OverflowError):
            continue
        return now if when > now + FUTURE_TOLERANCE else when
    return now


def _absolute_link(link: str, feed_url: str) -> str:
    link = link.strip()
    if not link:
        return ""
    if feed_url.startswith(("http://", "https://")):
        link = urljoin(feed_url, link)
    return link if link.lower().startswith(("http://", "https://")) else ""


def item_key(entry: Mapping[str, Any], title: str, text: str, link: str) -> str:
    """The item's identity in its feed: its GUID/id, else its canonical link, else a hash of its text."""
    guid = _raw(entry, "id")
    if isinstance(guid, str) and guid.strip():
        return guid.strip()
    if link:
        return canonical_link(link)
    return "sha256:" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


def canonical_link(url: str) -> str:
    """``url`` without fragment, ``utm_*`` and other tracking parameters, default port or host case."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme, port = parts.scheme.lower(), parts.port
    except ValueError:  # an invalid port or IPv6 address: keep the link as it is
        return url.split("#", 1)[0]
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url.split("#", 1)[0]
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    userinfo, _, host = parts.netloc.rpartition("@")
    host = host.lower()
    if port == DEFAULT_PORTS[scheme]:
        host = host.rsplit(":", 1)[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#]*@")


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``, for messages and logs."""
    return _USERINFO.sub(r"\1***@", url)


# --- why a body is not a feed -------------------------------------------------------------------------

_HTML_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.I | re.S)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def _not_a_feed(body: bytes, headers: Mapping[str, str], warning: str | None, feed_url: str) -> str:
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _HTML_START.match(stripped) or "html" in headers.get("content-type", "").lower():
        advertised = _advertised_feed(body, feed_url)
        return "HTML page, not a feed" + (f"; it advertises a feed at {advertised}" if advertised else "")
    if b"<" not in stripped[:65536]:
        return "not a feed: neither XML nor HTML"
    if warning and warning.startswith("XML error"):
        return warning
    root = _ROOT.search(re.sub(rb"<[?!][^>]*>", b"", stripped[:4096]))
    if root:
        return f"XML document with root element <{root.group(1).decode('ascii', 'replace')}>, not a feed"
    return warning or "not a feed"


def _json_reason(body: bytes) -> str:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        where = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        return f"invalid JSON{where}, not a feed"
    if isinstance(data, dict) and "jsonfeed.org" in str(data.get("version", "")):
        return "JSON Feed, which is not supported (only RSS, Atom and RDF)"
    return "JSON document, not a feed"


def _bozo_message(exc: object, added_lines: int) -> str | None:
    if exc is None:
        return None
    line = getattr(exc, "getLineNumber", None)
    message = getattr(exc, "getMessage", None)
    if callable(line) and callable(message):
        return f"XML error at line {max(1, line() - added_lines)}: {message()}"
    return str(exc) or type(exc).__name__


def _gunzip(body: bytes, feed: str) -> bytes:
    try:
        inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header
        data = inflater.decompress(body, MAX_INFLATED_BYTES)
    except zlib.error as exc:
        raise ParseError(feed, f"corrupt gzip data: {exc}") from None
    if inflater.unconsumed_tail:
        raise ParseError(feed, f"gzip data inflates to more than {MAX_INFLATED_BYTES} bytes")
    return data


class _FeedLinks(HTMLParser):
    """Collects ``<link rel="alternate" type="application/rss+xml|atom+xml" href=...>`` targets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        attr = {k: (v or "") for k, v in attrs}
        rels = attr.get("rel", "").lower().split()
        if "alternate" in rels and attr.get("type", "").lower() in FEED_TYPES and attr.get("href"):
            self.hrefs.append(attr["href"].strip())


def discover_feeds(body: bytes, page_url: str) -> list[str]:
    """The feeds an HTML page advertises (``<link rel="alternate" type="application/rss+xml">`` and Atom),
    in page order, made absolute against ``page_url`` when it is http(s)."""
    finder = _FeedLinks()
    finder.feed(body.decode("utf-8", "replace"))
    finder.close()
    web = page_url.startswith(("http://", "https://"))
    return list(dict.fromkeys(urljoin(page_url, href) if web else href for href in finder.hrefs))


def _advertised_feed(body: bytes, feed_url: str) -> str | None:
    found = discover_feeds(body, feed_url)
    return redact_url(found[0]) if found else None


# --- HTML to plain text -------------------------------------------------------------------------------

_SKIPPED = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "head"})
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
     "table", "blockquote", "pre", "section", "article", "header", "footer", "aside", "figure",
     "figcaption", "hr", "address", "main", "nav", "details", "summary"}
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\ufeff]")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        self._boundary(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._boundary(tag)  # <br/>, <script/>: nothing to skip

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        self._boundary(tag)

    def _boundary(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: markup and script/style content dropped, entities decoded.

    Whitespace runs become one space; block elements (paragraphs, list items, ...) become line breaks.
    """
    if "<" not in html and "&" not in html:
        return _clean(html)
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return _clean("".join(extractor.parts))


def _clean(text: str) -> str:
    """NFC, no control characters, spaces collapsed within lines, no blank lines."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text)).replace("\r", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
