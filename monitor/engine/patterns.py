"""The cue pattern language rule authors write, compiled to regular expressions. Pure.

A cue is a phrase, matched on word boundaries, case-insensitively, with a little syntax:

=============  ==========================================================
``word``       the word itself; ``recogni*`` matches any word starting so
``(a|b c)``    one of the alternatives (each is a phrase)
``x?``         an optional word or group: ``(de facto)? recognition``
``...``        a gap of up to eight words; ``..`` a gap of up to three
``{name}``     a named term list: the rule's ``terms`` or the engine's
``#``          a number: ``#th`` matches "20th"
``[sz]``       one of these letters: ``recogni[sz]ed``, ``withdr[ae]w``
=============  ==========================================================

Everything else is literal. Text is matched after ``normalize``: lower case, straight quotes and dashes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from monitor.engine.trie import STEM, trie_source

GAP_WORDS = 8
_TRANSLATE = str.maketrans(
    {"’": "'", "‘": "'", "‛": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "}
)


class PatternError(ValueError):
    """A cue cannot be compiled; the message says why."""


def normalize(text: str) -> str:
    """Lower-case ``text`` and straighten quotes and dashes, keeping every character's offset."""
    out = text.translate(_TRANSLATE).lower()
    if len(out) != len(text):  # a few characters lower-case to two; keep offsets aligned
        out = "".join(c if len(c) == 1 else o for c, o in zip(text.translate(_TRANSLATE), text, strict=True))
        out = "".join(c.lower() if len(c.lower()) == 1 else c for c in out)
    return out


_TOKEN = re.compile(r"\.\.\.|\.\.|\{[A-Za-z0-9_-]+\}|[()|?]|[^\s()|?{}]+")


def compile_cue(pattern: str, terms: Mapping[str, tuple[str, ...]]) -> str:
    """Regex source for ``pattern`` (no surrounding boundaries). Raises PatternError."""
    source = _parse(pattern, terms).source
    assert source is not None
    return source


def _parse(pattern: str, terms: Mapping[str, tuple[str, ...]]) -> _Parser:
    tokens = _TOKEN.findall(normalize(pattern).strip())
    if not tokens:
        raise PatternError("empty cue")
    if re.search(r"\w\?\w", pattern):
        raise PatternError(
            "'?' makes the whole word or group before it optional; for two spellings write (honour|honor)"
        )
    parser = _Parser(tokens, terms, ())
    parser.source = parser.alternatives()
    if parser.pos != len(tokens):
        raise PatternError(f"unexpected {tokens[parser.pos]!r} in cue {pattern!r}")
    return parser


def compile_cues(patterns: tuple[str, ...], terms: Mapping[str, tuple[str, ...]]) -> re.Pattern[str] | None:
    """One regex matching any of ``patterns`` on word boundaries, or None when there are none."""
    if not patterns:
        return None
    return re.compile(cues_source(patterns, terms))


def cues_source(
    patterns: tuple[str, ...], terms: Mapping[str, tuple[str, ...]], group: str | None = None
) -> str:
    """Regex source for any of ``patterns``, on word boundaries, optionally as the named group ``group``."""
    return alternation_source([compile_cue(p, terms) for p in patterns], group)


def alternation_source(sources: Sequence[str], group: str | None = None) -> str:
    """Regex source for any of the compiled cue ``sources``, on word boundaries, optionally as a named group."""
    body = "|".join(f"(?:{source})" for source in sources)
    name = f"?P<{group}>" if group else "?:"
    return rf"(?<![\w-])({name}{body})(?![\w])"


class _Parser:
    def __init__(
        self,
        tokens: list[str],
        terms: Mapping[str, tuple[str, ...]],
        stack: tuple[str, ...],
    ) -> None:
        self.tokens = tokens
        self.source: str | None = None
        self.pos = 0
        self.terms = terms
        self.stack = stack  # term names being expanded, to refuse cycles

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def alternatives(self) -> str:
        options = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"

    def sequence(self) -> str:
        parts: list[tuple[str, bool]] = []  # (regex, optional); gaps are ("GAP", True)
        while (tok := self.peek()) is not None and tok not in ("|", ")"):
            self.pos += 1
            if tok in ("...", ".."):
                parts.append(("GAP" if tok == "..." else "SHORTGAP", True))
                continue
            if tok == "(":
                inner = self.alternatives()
                if self.peek() != ")":
                    raise PatternError("unclosed '('")
                self.pos += 1
                item = f"(?:{inner})"
            elif tok == "?":
                raise PatternError("'?' must follow a word or a group")
            elif tok.startswith("{"):
                item = self.term(tok[1:-1])
            else:
                item = self.word(tok)
            optional = self.peek() == "?"
            if optional:
                self.pos += 1
            parts.append((item, optional))
        if not parts or all(p in ("GAP", "SHORTGAP") for p, _ in parts):
            raise PatternError("a cue (or an alternative) needs at least one word")
        return _join(parts)

    def term(self, name: str) -> str:
        if name in self.stack:
            raise PatternError(f"term {{{name}}} refers to itself")
        if name not in self.terms:
            raise PatternError(f"unknown term {{{name}}}")
        options = []
        for phrase in self.terms[name]:
            sub = _Parser(_TOKEN.findall(normalize(phrase)), self.terms, (*self.stack, name))
            options.append(sub.alternatives())
        return "(?:" + "|".join(options) + ")"

    @staticmethod
    def word(tok: str) -> str:
        if tok.endswith("*"):
            stem = tok.rstrip("*")
            if not stem:
                raise PatternError("'*' must end a word, as in recogni*")
            return _literal(stem) + r"[\w'-]*+"
        return _literal(tok)


def _literal(word: str) -> str:
    """A word as regex source: '#' a number, '[sz]' one of the letters, everything else itself."""
    source = _LETTERS.sub(lambda m: f"[{m.group(1)}]", re.escape(word).replace("\\#", r"\d++"))
    if "\\[" in source or "\\]" in source:
        raise PatternError(f"'[' and ']' enclose letters to choose from, as in recogni[sz]ed (got {word!r})")
    return source


_LETTERS = re.compile(r"\\\[([a-z]+)\\\]")


_SEP = r"[\s,;:'\"()]+"  # not "-": "non-negotiable" must not match "negotiable"
_GAP = rf"(?:{_SEP}[\w'.-]++){{0,{GAP_WORDS}}}"  # greedy: "precondition for amending or lifting"
_SHORT_GAP = rf"(?:{_SEP}[\w'.-]++){{0,3}}"


def _join(parts: list[tuple[str, bool]]) -> str:
    out = ""
    need_sep = False  # whether a separator must come before the next word
    for regex, optional in parts:
        if regex == "GAP":
            out += _GAP
        elif regex == "SHORTGAP":
            out += _SHORT_GAP
        elif optional:
            out += f"(?:{_SEP}{regex})?" if need_sep else f"(?:{regex}{_SEP})?"
        else:
            out += (_SEP if need_sep else "") + regex
            need_sep = True
    return out


# ---------------------------------------------------------------- where cues can start
# Scanning an item with a stance's one big cue regex tries every cue at every word. Most words cannot start any
# cue, so the engine first finds the words that can (one cheap regex over the cues' possible first words,
# factored into a trie) and tries the big regex only there: the same matches, found in a third of the time.


class _Unknown(Exception):
    pass


def first_words(pattern: str, terms: Mapping[str, tuple[str, ...]]) -> frozenset[str] | None:
    """The words a match of ``pattern`` can start with ("stem*" for a stem, "#*" for a number), or None."""
    try:
        found, nullable, _ = _first_alternatives(
            _TOKEN.findall(normalize(pattern).strip()), 0, terms, (), needed=True
        )
    except _Unknown:
        return None
    return None if nullable or not found else frozenset(found)


def _first_alternatives(
    tokens: list[str], pos: int, terms: Mapping[str, tuple[str, ...]], stack: tuple[str, ...], needed: bool
) -> tuple[set[str], bool, int]:
    found, nullable, pos = _first_sequence(tokens, pos, terms, stack, needed)
    while pos < len(tokens) and tokens[pos] == "|":
        more, empty, pos = _first_sequence(tokens, pos + 1, terms, stack, needed)
        found |= more
        nullable = nullable or empty
    return found, nullable, pos


def _first_sequence(
    tokens: list[str], pos: int, terms: Mapping[str, tuple[str, ...]], stack: tuple[str, ...], needed: bool
) -> tuple[set[str], bool, int]:
    found: set[str] = set()
    settled = False  # a required item came first: later items cannot start the match
    while pos < len(tokens) and tokens[pos] not in ("|", ")"):
        tok = tokens[pos]
        pos += 1
        want = needed and not settled
        inner: set[str] = set()
        empty = False
        if tok in ("...", ".."):
            continue  # a gap may be empty
        if tok == "(":
            inner, empty, pos = _first_alternatives(tokens, pos, terms, stack, want)
            pos += 1  # ")"
        elif tok.startswith("{"):
            name = tok[1:-1]
            if want:
                if name in stack or name not in terms:
                    raise _Unknown
                for phrase in terms[name]:
                    more, none, _ = _first_alternatives(
                        _TOKEN.findall(normalize(phrase)), 0, terms, (*stack, name), needed=True
                    )
                    inner |= more
                    empty = empty or none
        elif want:
            inner = _word_starts(tok)
        optional = pos < len(tokens) and tokens[pos] == "?"
        if optional:
            pos += 1
        if not settled:
            found |= inner
            settled = not (optional or empty)
    return found, not settled, pos


def _word_starts(tok: str) -> set[str]:
    """A word token as trie entries: '#' a number, '[sz]' each letter, 'stem*' a stem."""
    if tok.startswith("#"):
        return {"#*"}  # a number, and whatever follows it ("#th")
    if not tok[:1].isalnum():
        raise _Unknown
    head = tok.split("#")[0]
    if head != tok:
        tok = head + "*"  # "20#": what comes before the number, as a stem
    words = [""]
    for part in re.split(r"(\[[a-z]+\])", tok):
        choices = list(part[1:-1]) if part.startswith("[") else [part]
        words = [w + c for w in words for c in choices]
    return set(words)


def start_keys(pattern: str, terms: Mapping[str, tuple[str, ...]]) -> frozenset[str] | None:
    """Like ``first_words``, but a leading optional word is paired with the word after it ("(the)? annexation"
    gives "the annexation" and "annexation", not "the"): so "the" alone, the commonest word, starts nothing."""
    firsts = first_words(pattern, terms)
    if firsts is None:
        return None
    tokens = _TOKEN.findall(normalize(pattern).strip())
    if tokens[:1] == ["("] and ")" in tokens:
        close = tokens.index(")")
        options, rest = tokens[1:close:2], tokens[close + 1 :]
        if tokens[2:close:2] != ["|"] * (len(options) - 1):
            return firsts  # not a plain list of words
    elif len(tokens) > 1:
        options, rest = tokens[:1], tokens[1:]
    else:
        return firsts
    if rest[:1] != ["?"] or not all(w.isalpha() for w in options):
        return firsts
    after = first_words(" ".join(rest[1:]), terms) if len(rest) > 1 else None
    if after is None:
        return firsts
    return frozenset({f"{o} {w}" for o in options for w in after} | after)


def starts_regex(words: Collection[str]) -> re.Pattern[str]:
    """One regex finding every word start where one of ``words`` (from ``first_words``) begins, as a trie."""
    ends: dict[str, str | None] = {w.rstrip("*"): STEM for w in words if w.endswith("*")}
    ends.update({w: r"(?![\w])" for w in words if not w.endswith("*") and w not in ends})
    # "#" a digit, " " the separator between two words; a whole word ends as a cue's own boundary requires
    source = trie_source(ends, lambda ch: {"#": "\\d", " ": _SEP}.get(ch, re.escape(ch)))
    return re.compile(r"(?<![\w-])(?=" + source + ")")  # zero-width: keys of two words overlap
