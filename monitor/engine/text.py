"""Sentence splitting for news prose. Pure.

A small, fast splitter (the engine splits only items that mention a rule's terms, but at a thousand items a
second that is still many sentences): it breaks after . ! ? (and a closing quote) before a capital, a digit or
an opening quote, and not after abbreviations common in news ("U.S.", "Mr.", "Jan.", "Gen.") or initials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.engine.lexicon import STRONG_BREAK

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "gen",
    "sen",
    "rep",
    "gov",
    "lt",
    "col",
    "sgt",
    "capt",
    "st",
    "mt",
    "jr",
    "sr",
    "no",
    "vol",
    "fig",
    "approx",
    "est",
    "inc",
    "ltd",
    "co",
    "corp",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "pres",
    "amb",
}
_CANDIDATE = re.compile(r"([.!?]+)([\"'”’)\]]*)(\s+)(?=[\"'“‘(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset in the text it was split from
    is_title: bool = False


def split_sentences(text: str, base: int = 0) -> list[Sentence]:
    """Split ``text`` into sentences, keeping offsets into it (plus ``base``)."""
    out: list[Sentence] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        if match.group(1) == "." and _is_abbreviation(text[start : match.start()]):
            continue
        end = match.end(2)
        _append(out, text, start, end, base)
        start = match.end()
    _append(out, text, start, len(text), base)
    return out


def _is_abbreviation(before: str) -> bool:
    word = _WORD_BEFORE.search(before)
    if not word:
        return False
    token = word.group(1).lower().strip(".")
    if token in _ABBREVIATIONS:
        return True
    return len(token) == 1 and token.isalpha()  # an initial: "John F. Kennedy"


def _append(out: list[Sentence], text: str, start: int, end: int, base: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        out.append(Sentence(stripped, base + start + lead))


def item_sentences(title: str, text: str) -> list[Sentence]:
    """The title (as one sentence) followed by the body's sentences: an item is read as one whole."""
    sentences = [Sentence(title.strip(), 0, is_title=True)] if title.strip() else []
    return sentences + split_sentences(text)


def governing(regex: re.Pattern[str], text: str, start: int, reach: int) -> re.Match[str] | None:
    """The last match of ``regex`` ending within the ``reach`` characters before ``start`` that still governs
    ``start``: no strong break (";", "but", "while" …) between the two. None if there is none."""
    found = None
    for m in regex.finditer(text, max(0, start - reach), start):
        found = m
    if found is None or STRONG_BREAK.search(text, found.end(), start):
        return None
    return found
