"""Full-text mode: the main text of an item's linked article. Pure (the page's bytes are passed in).

Feeds with ``full_text: true`` often carry only a teaser; the sentence that shows a shift is in the
article. The pipeline fetches the page with the feed fetcher (same limits and politeness) and hands it
here; trafilatura (the optional ``fulltext`` extra) finds the main text, without menus, comments or
boilerplate. Anything that goes wrong is a ``ParseError`` whose reason the pipeline records before
falling back to the feed's own text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from monitor.errors import ParseError

MAX_ARTICLE_CHARS = 20_000  # judging time grows with text; the shift is rarely past the first pages
HTML_TYPES = ("text/html", "application/xhtml+xml")
MISSING_EXTRA = "full text needs trafilatura: pip install 'stance-monitor[fulltext]'"


def available() -> bool:
    """Whether the extraction library is installed."""
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        return False
    return True


def extract_article(page: bytes, headers: Mapping[str, str], url: str) -> str:
    """The main text of an article page as plain text (at most ``MAX_ARTICLE_CHARS``); else ParseError."""
    try:
        import trafilatura
    except ImportError:
        raise ParseError(url, MISSING_EXTRA) from None
    kind = headers.get("content-type", "text/html").split(";")[0].strip().lower()
    if kind and kind not in HTML_TYPES:
        raise ParseError(url, f"the link is not an HTML page ({kind})")
    if not page.strip():
        raise ParseError(url, "the article page is empty")
    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # its per-page chatter is not ours to log
    try:
        text = trafilatura.extract(
            _decoded(page, headers), url=url, include_comments=False, include_tables=False, fast=True
        )
    except Exception as exc:  # a library failing on hostile HTML must not take the poll down
        raise ParseError(url, f"could not extract the article's text: {type(exc).__name__}") from None
    text = (text or "").strip()
    if not text:
        raise ParseError(url, "no article text found on the page")
    return text[:MAX_ARTICLE_CHARS]


def _decoded(page: bytes, headers: Mapping[str, str]) -> bytes | str:
    """The page as text when the server names a charset we know; else the bytes (trafilatura guesses)."""
    for part in headers.get("content-type", "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            try:
                return page.decode(value.strip().strip("\"'"), "replace")
            except LookupError:
                break
    return page
