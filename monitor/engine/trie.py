"""Many strings as one regex, factored into a trie. Pure.

A regex alternation of hundreds of words is tried word by word at every position; the same words as a trie
("r(?:ecogni|ussia)") are tried a character at a time. Where one string continues another, the longer is tried
first, so the longest string that fits wins, as in an alternation sorted longest first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

STEM = None  # an end value: the string is a prefix, whatever follows it matches


def trie_source(ends: Mapping[str, str | None], char: Callable[[str], str] = re.escape) -> str:
    """Regex source matching any key of ``ends`` followed by its value: a regex for what must follow the whole
    string, or ``STEM`` for anything. ``char`` spells one character as regex."""
    root: dict[str, Any] = {}
    for text, end in ends.items():
        node = root
        for ch in text:
            node = node.setdefault(ch, {})
        if "" not in node or end is STEM:  # a stem covers whatever else ends here
            node[""] = end

    def source(node: dict[str, Any]) -> str:
        if "" in node and node[""] is STEM:
            return ""
        alts = [char(ch) + source(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append(node[""])
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return source(root)
