"""The engine: an item and compiled stances in, one verdict per stance out. Pure.

For each stance the item is routed to (by the words of its topic), the engine reads the title and body as one
text, sentence by sentence: it finds the stance's cues, reads each cue's polarity in its clause (negation,
double negation, evaluative predicates, hedges), attributes it to a speaker, and keeps only what the holder
says or does. Any shift the holder shows makes the verdict ``shift``; else a restatement makes it ``hold``;
else ``none``, with the reason (off topic, holder silent, or somebody else's position).

A second stage (an NLI model, say) can be added behind ``Judge``: it receives each rule verdict and may
change it; callers do not change.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Protocol

from monitor.engine.attribution import NOBODY, RANK_BEFORE, RANK_WORD, Actors, SentenceReader, Speaker
from monitor.engine.gazetteer import NOT_A_PERSON, OTHER_ACTORS, PRONOUNS, ROLE, TRANSPARENT
from monitor.engine.lexicon import NO_CHANGE
from monitor.engine.patterns import normalize
from monitor.engine.reading import CueReading, is_holder, read_cue
from monitor.engine.rules import Stance
from monitor.engine.text import item_sentences
from monitor.models import Evidence, FeedItem, Label, Span, Verdict

GRADE_RANK = {"hedge": 1, "partial": 2, "reversal": 3}
SENTENCE_JOINT = " | "
_KIND_ORDER = {"restates": 0, "supports": 1, "opposes": 2}
_WORDS = re.compile(r"[a-z0-9]+")  # "kremlin's" and "crimea-related" route like "kremlin", "crimea"


class Judge(Protocol):
    """A second stage: receives the rule engine's verdict for (item, stance) and returns the final one."""

    def __call__(self, item: FeedItem, stance: Stance, verdict: Verdict) -> Verdict: ...


class Engine:
    """Judge items against compiled stances. Build once; ``judge`` is safe to call from many threads."""

    def __init__(self, stances: Sequence[Stance], second_stage: Judge | None = None) -> None:
        self.stances = tuple(stances)
        self.second_stage = second_stage
        self._index: dict[str, list[int]] = {}  # topic word -> positions of the stances it routes to
        for n, stance in enumerate(self.stances):
            for word in stance.index_terms:
                self._index.setdefault(word, []).append(n)
        self._by_id = {s.id: s for s in self.stances}
        self._generic = re.compile(
            "|".join([OTHER_ACTORS.pattern, ROLE.pattern, PRONOUNS.pattern, TRANSPARENT.pattern])
        )

    def _actors_for(self, stances: Sequence[Stance]) -> Actors:
        """Who counts as an actor when reading an item: the generic lexicon plus the routed stances' holders."""
        holders = {s.holder: s for s in stances}.values()
        patterns = [s.holder_re for s in holders] + [s.not_holder_re for s in holders if s.not_holder_re]
        return Actors(self._generic, patterns)

    def stance(self, stance_id: str) -> Stance:
        return self._by_id[stance_id]

    def candidates(self, text: str) -> list[Stance]:
        """The stances whose topic words occur in ``text`` (normalised), in rule order."""
        words = set(_WORDS.findall(text))
        hit = {n for w in words for n in self._index.get(w, ())}
        return [self.stances[n] for n in sorted(hit)]

    def judge(self, item: FeedItem) -> list[Verdict]:
        """A verdict for every stance the item is routed to; stances not listed are ``none``."""
        full = normalize(f"{item.title}\n{item.text}")
        stances = self.candidates(full)
        if not stances:
            return []
        reading = _ItemReading(item, self._actors_for(stances))
        out = []
        for stance in stances:
            verdict = judge_stance(reading, stance, full)
            if self.second_stage is not None:
                verdict = self.second_stage(item, stance, verdict)
            out.append(verdict)
        return out

    def judge_all(self, item: FeedItem) -> dict[str, Verdict]:
        """A verdict for every stance, ``none`` for those the item is not routed to."""
        got = {v.stance_id: v for v in self.judge(item)}
        return {
            s.id: got.get(s.id) or Verdict(s.id, "none", reason="item does not mention the topic")
            for s in self.stances
        }


class _ItemReading:
    """The sentences of one item with their attribution, computed once, lazily, and shared by every stance."""

    def __init__(self, item: FeedItem, actors: Actors) -> None:
        self.item = item
        self.actors = actors
        self.sentences = item_sentences(item.title, item.text)
        self.normalized = [normalize(s.text) for s in self.sentences]
        # One text to scan per stance; " | " stops any cue (and any gap in it) from spanning two sentences.
        self.joined = SENTENCE_JOINT.join(self.normalized)
        self.offsets: list[int] = []
        at = 0
        for text in self.normalized:
            self.offsets.append(at)
            at += len(text) + len(SENTENCE_JOINT)
        self.no_change = {bisect_right(self.offsets, m.start()) - 1 for m in NO_CHANGE.finditer(self.joined)}
        self._readers: dict[int, SentenceReader] = {}
        self._scans: dict[int, list[tuple[int, int, str]]] = {}
        self._demoted: set[str] | None = None
        self._denials: list[tuple[int, str]] | None = None

    def report_denied_by(self, stance: Stance) -> int:
        """The first sentence where the stance's holder denies a report ("called the report pure fiction"), or 0.

        What the item reported before that sentence (a newsletter's claim, a Russian daily's story) is the report,
        not the holder's position: the holder has just denied it."""
        if self._denials is None:  # who denies a report where: the same for every stance, found once per item
            self._denials = [
                (i, speaker.phrase)
                for i, text in enumerate(self.normalized)
                if i > 0
                for m in REPORT_DENIED.finditer(text)
                if (speaker := self.reader(i).speaker_at(m.start(), m.end())).known
            ]
        return next((i for i, phrase in self._denials if is_holder(phrase, stance)), 0)

    @property
    def demoted(self) -> set[str]:
        """People the item calls former officials or candidates anywhere ("Republican nominee Donald Trump"):
        they do not speak for a holder in its other sentences either, where the item just says "Trump"."""
        if self._demoted is None:
            self._demoted = set()
            if not RANK_WORD.search(self.joined):
                return self._demoted
            for sentence, text in zip(self.sentences, self.normalized, strict=True):
                for m in self.actors.finditer(text):
                    written = sentence.text[m.start() : m.end()].split()
                    person = bool(written) and all(w[:1].isupper() and not w.isupper() for w in written)
                    if person and RANK_BEFORE.search(text, 0, m.start()):
                        self._demoted.update({m.group(0), m.group(0).split()[-1]})  # and "Trump" alone
        return self._demoted

    def cues(
        self, regex: re.Pattern[str] | None, starts: re.Pattern[str] | None = None
    ) -> dict[int, list[tuple[int, int, str]]]:
        """Scan the whole item once; file each cue under its sentence, with offsets into that sentence.

        Stances built from the same cues (a shared cue set, different holders) share one scan."""
        found: dict[int, list[tuple[int, int, str]]] = {}
        if regex is None:
            return found
        matches = self._scans.get(id(regex))  # by identity: hashing a pattern hashes its whole source
        if matches is None:
            matches = self._scans[id(regex)] = _scan(regex, starts, self.joined)
        for start, end, kind in matches:
            i = bisect_right(self.offsets, start) - 1
            found.setdefault(i, []).append((start - self.offsets[i], end - self.offsets[i], kind))
        return found

    def reader(self, i: int) -> SentenceReader:
        """The attribution of sentence ``i``; its pronouns resolve to the speaker of the sentence before."""
        found = self._readers.get(i)
        if found is None:
            found = SentenceReader(
                self.normalized[i],
                self.actors,
                self.previous_speaker(i),
                self.sentences[i].text,
                is_title=self.sentences[i].is_title,
            )
            self._readers[i] = found
        return found

    def previous_speaker(self, i: int) -> Speaker:
        # A headline's speaker is the body's "she" only when the headline names one.
        if i == 0:
            return NOBODY
        reader = self.reader(i - 1)
        speaker = reader.main_speaker()
        if self.sentences[i - 1].is_title and not speaker.known:
            return NOBODY
        if i > 1 and not reader.verbs and speaker.via == "subject" and NOT_A_PERSON.fullmatch(speaker.phrase):
            # "Kallas said .... Russia seized the peninsula in 2014. She added ...": a background sentence about a
            # country does not take over "she"
            earlier = self.previous_speaker(i - 1)
            if earlier.known:
                return earlier
        return speaker


def judge_stance(reading: _ItemReading, stance: Stance, full_text: str) -> Verdict:
    trace = [f"stance {stance.id}: holder {stance.holder}, baseline {stance.baseline} '{stance.proposition}'"]
    missing = [r.pattern[:40] for r in stance.topic_res if not r.search(full_text)]
    if (
        stance.off_topic_re
        and stance.core_re
        and stance.off_topic_re.search(full_text)
        and not stance.core_re.search(full_text)
    ):
        trace.append(
            "topic: the item is about something else (an off-topic term, none of the core terms) -> none"
        )
        return Verdict(stance.id, "none", reason="item is about another subject", trace=tuple(trace))
    if missing:
        trace.append("topic: not every topic group is mentioned -> none")
        return Verdict(stance.id, "none", reason="item is not about the stance's topic", trace=tuple(trace))
    trace.append("topic: mentioned")
    voice = reading.item.voice
    if not stance.holder_re.search(reading.joined) and not (voice and is_holder(normalize(voice), stance)):
        trace.append(f"holder: {stance.holder} is not named in the item (nor is the feed its voice) -> none")
        return Verdict(
            stance.id, "none", reason=f"{stance.holder} is not named in the item", trace=tuple(trace)
        )
    readings = list(_read_cues(reading, stance))
    if not readings:
        trace.append("cues: none of the stance's cues occur")
        return Verdict(stance.id, "none", reason="no cue of the stance occurs", trace=tuple(trace))
    for r in readings:
        trace.append(_describe(r, stance))
    demoted = reading.demoted
    denied_before = reading.report_denied_by(stance)
    if denied_before:
        trace.append(
            f"the holder denies the report in sentence {denied_before + 1}: shifts before it are the report's"
        )
    mine = [
        r
        for r in readings
        if r.by_holder
        and not r.aside
        and not any(_names(d, r.speaker.phrase) for d in demoted)
        and not (r.label == "shift" and r.sentence.start < reading.sentences[denied_before].start)
    ]
    if not mine:
        who = sorted({r.speaker.phrase for r in readings if r.speaker.known}) or ["nobody named"]
        reason = f"position taken by {', '.join(who)}, not by {stance.holder}"
        trace.append(f"verdict: none ({reason})")
        return Verdict(stance.id, "none", reason=reason, trace=tuple(trace))
    shifts = [r for r in mine if r.label == "shift"]
    chosen = shifts or [r for r in mine if r.label == "hold"]
    label: Label = "shift" if shifts else "hold"
    best = max(chosen, key=lambda r: (GRADE_RANK[r.grade] if label == "shift" else 0, not r.speaker.pronoun))
    grade = max((r.grade for r in chosen), key=GRADE_RANK.__getitem__) if label == "shift" else None
    score = _score(best, label, len(chosen))
    reason = _reason(best, stance)
    evidence = tuple(_evidence(r, stance) for r in sorted(chosen, key=lambda r: r.sentence.start))
    evidence = tuple(sorted(evidence, key=lambda e: e.sentence != best.sentence.text))
    trace.append(f"verdict: {label}{f' ({grade})' if grade else ''}, score {score:.2f}: {reason}")
    return Verdict(stance.id, label, grade, score, evidence, reason, tuple(trace))


def _read_cues(reading: _ItemReading, stance: Stance) -> Iterable[CueReading]:
    hits = reading.cues(stance.cues_re, stance.cue_starts_re)
    for i in reading.no_change:  # "our position has not changed", next to one of this stance's cues
        if i in hits or i - 1 in hits or i + 1 in hits:
            hits.setdefault(i, []).extend(
                (m.start(), m.end(), "restates") for m in NO_CHANGE.finditer(reading.normalized[i])
            )
    for i in sorted(hits):
        sentence, text = reading.sentences[i], reading.normalized[i]
        if (
            stance.off_topic_re is not None
            and stance.off_topic_re.search(text)
            and not (stance.core_re is not None and stance.core_re.search(text))
        ):
            continue  # "EU lifts sanctions on Syria": the sentence is about another target (and not also Russia)
        ignored = [(m.start(), m.end()) for m in stance.ignore_re.finditer(text)] if stance.ignore_re else []
        matches = [m for m in hits[i] if not any(a < m[1] and m[0] < b for a, b in ignored)]
        # Where cues overlap, the one that starts first governs the other ("hold back on [further sanctions]",
        # "remove [sanctions until the war is over]"); then the longer; then a restatement before the rest.
        found: list[tuple[int, int, str]] = []
        for start, end, kind in sorted(matches, key=lambda m: (m[0], m[0] - m[1], _KIND_ORDER[m[2]])):
            if not any(a < end and start < b for a, b, _ in found):
                found.append((start, end, kind))
        previous_end = 0
        reader = reading.reader(i)
        read = []
        for start, end, kind in sorted(found):
            read.append(
                read_cue(sentence, text, reader, start, end, kind, stance, reading.item, previous_end)
            )
            previous_end = end
        yield from _conditioned(read, stance)


_CONDITION_CUE = re.compile(r"only |step by step|gradual|phased|strictly conditional|conditional on")


def _conditioned(read: list[CueReading], stance: Stance) -> list[CueReading]:
    """A move made only on the baseline's own condition restates it: "lifting sanctions is not unthinkable, but
    only once Russia complies" -> hold. The condition is a restatement later in the sentence that opens with
    "only"."""
    condition = next(
        (r for r in read if r.kind == "restates" and r.by_holder and _CONDITION_CUE.match(r.cue.lower())),
        None,
    )
    if condition is None:
        return read
    note = f"on condition: {condition.cue}"
    return [
        replace(r, side=stance.baseline, label="hold", negations=(*r.negations, note))
        if r.label == "shift" and r.span[0] < condition.span[0]
        else r
        for r in read
    ]


REPORT_DENIED = re.compile(
    r"(?<![\w-])(?:call(?:s|ed|ing)?|dismiss(?:es|ed|ing)?|den(?:y|ies|ied|ying)|reject(?:s|ed|ing)?|brush(?:es|ed)? off|"
    r"flatly denied|refut(?:e|es|ed|ing))\s+(?:the|this|that|these|those|such)\s+(?:[\w-]+\s+)?"
    r"(?:report|reports|claim|claims|story|stories|account|rumou?rs?|speculation)\b"
)


def _scan(regex: re.Pattern[str], starts: re.Pattern[str] | None, text: str) -> list[tuple[int, int, str]]:
    """What ``regex.finditer(text)`` finds, trying ``regex`` only where ``starts`` says a cue can begin."""
    if starts is None:
        return [(m.start(), m.end(), m.lastgroup or "supports") for m in regex.finditer(text)]
    found = []
    last_end = 0
    for start in starts.finditer(text):
        at = start.start()
        if at < last_end:
            continue
        m = regex.match(text, at)
        if m is not None and m.end() > at:
            found.append((at, m.end(), m.lastgroup or "supports"))
            last_end = m.end()
    return found


def _names(name: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", phrase) is not None


def _score(best: CueReading, label: Label, count: int) -> float:
    base = {"reversal": 0.9, "partial": 0.8, "hedge": 0.65}[best.grade] if label == "shift" else 0.85
    if best.speaker.pronoun:
        base -= 0.05
    if best.speaker.via == "subject" and label == "shift":
        base -= 0.05
    return round(min(0.99, base + 0.03 * (count - 1)), 2)


def _describe(r: CueReading, stance: Stance) -> str:
    bits = [f"cue '{r.cue}' ({r.kind})"]
    if r.negations:
        bits.append(f"negated by {', '.join(repr(n) for n in r.negations)}")
    if r.hedges:
        bits.append(f"hedged by {', '.join(repr(h) for h in r.hedges)}")
    who = r.speaker.phrase or "nobody named"
    holder = "holder" if r.by_holder else "not the holder"
    if r.aside:
        holder += f"; {r.aside}"
    return f"sentence {r.sentence.text[:70]!r}: {'; '.join(bits)} -> {r.side} the proposition; speaker {who!r} via {r.speaker.via} ({holder}) -> {r.label}"


def _reason(r: CueReading, stance: Stance) -> str:
    who = r.speaker.phrase or stance.holder
    if r.kind == "restates":
        what = "restates the baseline"
    else:
        hedge = "hedged " if r.hedges and r.label == "shift" else ""
        what = f"{hedge}{'support of' if r.side == 'supports' else 'opposition to'} the proposition"
        if r.negations:
            what += f", via {' + '.join(repr(n) for n in r.negations)}"
    return f"{who} ({stance.holder}, the holder) + '{r.cue}' ({what})"


def _evidence(r: CueReading, stance: Stance) -> Evidence:
    s, e = r.span
    spans = [Span(s, e, r.kind, r.sentence.text[s:e])]
    return Evidence(
        sentence=r.sentence.text, speaker=r.speaker.phrase, spans=tuple(spans), reason=_reason(r, stance)
    )
