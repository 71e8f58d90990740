"""Reading one cue in its clause: polarity, hedges, partiality, the speaker, and what it means. Pure.

``read_cue`` is the engine's grammar at work on one match of a rule's cue: negators before it back to the
clause start (two cancel), evaluatives after it, a denial or negated saying that governs it, hedges and
partial markers, a question it sits in, a request to another actor it belongs to, and who says it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.engine.attribution import RANK_BEFORE, SentenceReader, Speaker
from monitor.engine.lexicon import (
    BACKGROUND,
    CLAUSE_BREAK,
    CLOSED_ANSWER,
    DENIAL,
    EARLIER_POSITION,
    HEDGES,
    INNER_NEGATORS,
    NEGATORS,
    OMISSION,
    OPEN_ANSWER,
    OPENING_UNDER_NEGATION,
    PARTIAL,
    POST_NEGATORS,
    QUESTION,
    REQUEST,
    SPEECH_VERBS,
    STRONG_BREAK,
)
from monitor.engine.patterns import normalize
from monitor.engine.rules import Stance
from monitor.engine.text import Sentence, governing
from monitor.models import FeedItem, Label

WINDOW = 80  # characters before a cue in which negation and hedges are read
SAID_NOT = re.compile(
    r"(?<![\w-])(?:not|\w+n't|never|declin(?:e|es|ed|ing) to|refus(?:e|es|ed|ing) to)(?= (?:\w+ )?$)"
)


@dataclass(frozen=True)
class CueReading:
    """One cue found in one sentence, read in its clause and attributed."""

    sentence: Sentence
    span: tuple[int, int]
    kind: str  # supports, opposes, restates
    negations: tuple[str, ...]
    hedges: tuple[str, ...]
    partial: bool
    speaker: Speaker
    by_holder: bool
    side: str  # the side of the proposition the clause takes: supports / opposes
    label: Label  # what it means for the stance (hold / shift); 'none' when not the holder's
    aside: str = ""  # why the holder's words are not its position here (a question, a request to another)

    @property
    def cue(self) -> str:
        return self.sentence.text[self.span[0] : self.span[1]]

    @property
    def grade(self) -> str:
        if self.hedges:
            return "hedge"
        return "partial" if self.partial else "reversal"


def read_cue(
    sentence: Sentence,
    text: str,
    reader: SentenceReader,
    start: int,
    end: int,
    kind: str,
    stance: Stance,
    item: FeedItem,
    previous_end: int,
) -> CueReading:
    lo = max(0, start - WINDOW, previous_end)  # a cue's negation does not reach back past another cue
    speculated = False  # the verb of saying that frames the cue is "speculated": a guess, nobody's position
    said_not: list[str] = []  # "declined to say", "did not say": the saying itself is negated
    for verb in SPEECH_VERBS.finditer(text, lo, start):
        said_not = [m.group(0) for m in SAID_NOT.finditer(text, max(lo, verb.start() - 25), verb.start())]
        if text.startswith(" against", verb.end()):
            said_not.append(f"{verb.group(0)} against")  # "warned against recognising ..."
        lo = max(lo, verb.end())
        speculated = _SPECULATION.fullmatch(verb.group(0)) is not None
        nobody = _NOBODY_SAYS.search(text, max(0, verb.start() - 70), verb.start())
        if nobody:
            said_not = [f"{nobody.group(1)} ... {verb.group(0)}"]
    for brk in CLAUSE_BREAK.finditer(text, lo, start):
        if brk.group(0) == " as " and _DESCRIBED.search(text, max(0, brk.start() - 60), brk.start()):
            continue  # "stop describing the talks as a stalling tactic": one clause
        if (
            not re.fullmatch(r",\s", brk.group(0))
            or sentence.is_title  # a headline's commas separate its claims: "Russia blocking peace, sanctions stay"
            or _clause_has_subject(text[brk.end() : start])
            or reader.clause_opens_at(brk.end())  # ", Russia answers with drones"
            or _NEXT_REPORTED.match(text, brk.end())  # "..., and that the US would keep working"
            or _COORDINATED_NEGATION.match(text, brk.end())  # "has not accepted, and does not accept, ..."
            or _COORDINATED_PREDICATE.match(
                text, brk.end()
            )  # "... would not be recognised, and slapped bans on"
        ):
            lo = brk.end()
    for dash in _DASH.finditer(text, lo, start):  # "... by force - the principle on which ...": a new clause
        lo = dash.end()
    window = text[lo:start]
    contrasts = [(m.start(), m.end()) for m in _CONTRAST_NOT.finditer(text, max(0, lo - 4), start)]
    # "attacked Zelensky for refusing to give up Crimea": the refusal is the one attacked, not the speaker's
    contrasts += [(m.start(1), m.end(1)) for m in _BLAMED_REFUSAL.finditer(text, max(0, lo - 60), start)]
    negations = said_not + [  # not those in a contrast: "on the aggressor and not the victim, urging ..."
        m.group(0)
        for m in NEGATORS.finditer(
            text, lo
        )  # not cut at ``start``: "stop (?=sending)" looks ahead into the cue
        if m.start() < start and not any(a <= m.start() < b for a, b in contrasts)
    ]
    denial = _denial_over(text, start)
    if denial and not any(n in denial.group(0) for n in negations):
        negations.append(denial.group(0))  # "denied reports that the US had agreed to recognise ..."
    inner = _inner_negation(text[start:end], kind, stance)
    if inner:
        negations.append(inner)
    post = POST_NEGATORS.search(text[end:])
    if post:
        negations.append(post.group(0).strip())
    hedges = [m.group(0) for m in HEDGES.finditer(window)]
    if negations and len(negations) % 2 == 0 and OPENING_UNDER_NEGATION.search(window):
        hedges.append("not ... " + OPENING_UNDER_NEGATION.search(window).group(0))  # type: ignore[union-attr]
    partial = bool(PARTIAL.search(window) or PARTIAL.search(text[start:end]))
    aside = ""  # why a cue the holder utters is still not the holder's position
    if BACKGROUND.search(text, 0, start):
        aside = "background"
    elif _IF_CLAUSE.match(text[:start]):
        aside = "a condition"  # "if Russia keeps its commitments, we can talk about ...": nothing asserted
    elif (relative := reader.relative_clause_about(start)) and not is_holder(relative, stance):
        aside = f"said of {relative}"  # "the United States, which has yet to impose sanctions, ..."
    elif speculated or _SPECULATIVE_NOUN.search(text, max(0, start - 80), start):
        aside = "speculation"  # "some diplomats in Brussels speculated that the bloc could ..."
    elif _pressed(text, start):
        aside = "pressed by others"  # "Europe may come under heavy pressure to ease its sanctions"
    elif _earlier_position(text, start) or _PAST_LINE.search(text, max(0, start - 80), start):
        aside = "background (an earlier position)"  # "softer than the bloc's earlier insistence that ..."
    elif _FRONTED_CLAUSE.match(text) and start < text.find(","):
        aside = (
            "background (a fronted 'after ...' clause)"  # "After Trump called off the summit, Kallas said"
        )
    elif CLOSED_ANSWER.match(text[start:]) or (
        (asked := _asked(text, start)) and CLOSED_ANSWER.match(text[end:])
    ):
        negations.append("answer: no")  # 'Could the EU ever recognise Crimea? Kallas: "No. Never."'
    elif _QUESTION_MARK.match(text, end) and kind != "restates":
        aside = "asked as a question"  # "EU to ease sanctions?" asserts nothing
    elif asked:
        answer = OPEN_ANSWER.search(text, end)
        if answer:
            hedges.append(
                f"answer: {answer.group(0)}"
            )  # "Asked whether ..., she said it could not be excluded"
        else:
            aside = "asked as a question"
    elif stance.requests_to_others == "ignore":
        addressee = _addressee(text, start)
        if addressee and reader.names_actor(addressee) and not is_holder(addressee, stance):
            aside = f"asked of {addressee.strip()}"
    speaker = reader.speaker_at(start, end)
    if not speaker.known and item.voice and is_holder(normalize(item.voice), stance):
        speaker = Speaker(normalize(item.voice), "voice")
    by_holder = speaker.known and is_holder(speaker.phrase, stance)
    side: str
    if kind == "restates":
        # a restatement the holder stopped making ("the draft no longer carries the line that ...") is a shift
        omitted = OMISSION.search(window)
        if omitted:
            negations.append(omitted.group(0))
        opposite = "opposes" if stance.baseline == "supports" else "supports"
        side = opposite if omitted else stance.baseline
    else:
        side = kind if len(negations) % 2 == 0 else ("opposes" if kind == "supports" else "supports")
    label: Label = ("hold" if side == stance.baseline else "shift") if by_holder and not aside else "none"
    return CueReading(
        sentence,
        (start, end),
        kind,
        tuple(negations),
        tuple(hedges),
        partial,
        speaker,
        by_holder,
        side,
        label,
        aside,
    )


def _addressee(text: str, start: int) -> str | None:
    """Who a request before the cue is addressed to: "urged Washington to [cue]" -> "washington"."""
    found = None
    for m in REQUEST.finditer(text, max(0, start - 160), start):
        if not _CLAUSE_INSIDE.search(
            m.group(1)
        ):  # "told reporters he believed Putin wanted to": not a request
            found = m
    if (
        found is None
        or STRONG_BREAK.search(text, found.end(), start)
        or SPEECH_VERBS.search(text, found.end(), start)
    ):
        return None
    return found.group(1)


def _inner_negation(cue: str, kind: str, stance: Stance) -> str | None:
    """A negator inside the cue's own gap ("sanctions would not be lifted"), unless the cue itself says it."""
    found = INNER_NEGATORS.search(cue)
    if found is None or kind not in stance.cue_forms or "," in cue[: found.start()]:
        return (
            None  # past a comma the negator is another clause's: "accept it, just as they never accepted ..."
        )
    for source, own_negation in stance.cue_forms[kind]:
        if re.fullmatch(source, cue):
            return None if own_negation else found.group(0)
    return None


_PRESSURE_TO = re.compile(
    r"(?<![\w-])(?:under|faces?|facing|feels?|felt) (?:[\w-]+ ){0,2}pressure (?:from [^,;]{1,40} )?to\s"
)


def _pressed(text: str, start: int) -> bool:
    """Whether the cue is what others press the speaker to do: "came under pressure from Washington to ..."."""
    return governing(_PRESSURE_TO, text, start, 100) is not None


def _earlier_position(text: str, start: int) -> bool:
    """Whether the cue is the content of somebody's earlier position named as a thing, in the same clause."""
    return governing(EARLIER_POSITION, text, start, 100) is not None


_CLAUSE_INSIDE = re.compile(r"(?<![\w-])(?:he|she|they|it|we|i|that|who|which)(?![\w-])")


def _denial_over(text: str, start: int) -> re.Match[str] | None:
    """A denial ("dismissed reports that") whose reach, up to the next verb of saying or clause, covers ``start``."""
    found = None
    for m in DENIAL.finditer(text):  # not cut at ``start``: "called a report that ... false" looks ahead
        if m.start() >= start:
            break
        found = m
    if found is None:
        return None
    saying = [
        v for v in SPEECH_VERBS.finditer(text, found.end(), start) if not text.startswith(" to ", v.end())
    ]
    if saying or STRONG_BREAK.search(text, found.end(), start):  # "had agreed to recognise" is what is denied
        return None
    return found


def _clause_has_subject(text: str) -> bool:
    """Whether a comma-separated piece starts a new clause with its own actor (then it bounds negation)."""
    return bool(
        re.match(
            r"\s*(?:the |a |an )?[\w'-]+(?: [\w'-]+)? (?:is|are|was|were|has|have|had|will|would|said)\b",
            text,
        )
    )


# "on the aggressor and not the victim, urging ...": a negated noun phrase, closed by its comma.
_CONTRAST_NOT = re.compile(
    r"(?:(?<![\w-])(?:and|but|or) |, )not (?:the |a |an |on |to )?[\w'-]+(?: [\w'-]+)?,"
)
# "nothing in Russia's conduct suggested it was ready for peace": a saying whose subject is nothing.
_NOBODY_SAYS = re.compile(
    r"(?<![\w-])(nothing|no one|nobody|none|no sign|no evidence|no indication|no signal)(?![\w-])[^,;]{0,60}$"
)
_IF_CLAUSE = re.compile(r"[\"'(]?\s*if\s[^,;:]*$")  # a sentence that opens with its condition, up to the cue
# "the Union, which until now has accused the Kremlin of playing for time": what it used to say
_PAST_LINE = re.compile(
    r"(?<![\w-])(?:until now|until recently|previously|so far|had long|has long|long)\s+(?:has |had )?"
    r"(?:accused|said|insisted|argued|maintained|warned|called|described)\b[^,;]*$"
)
_SPECULATIVE_NOUN = re.compile(
    r"(?<![\w-])(?:chances?|odds|probability|likelihood|prospects?|possibility) (?:is |are |was )?that\s[^,;]*$"
)
_SPECULATION = re.compile(r"speculat\w*|guess\w*|mused")
_DESCRIBED = re.compile(
    r"(?:describ|call|label|brand|characteri[sz]|see|saw|seen|view|regard|treat|portray)\w*"
    r"(?:\s+[\w'-]+){0,5}$"
)
_BLAMED_REFUSAL = re.compile(
    r"(?<![\w-])(?:attack|critici[sz]|blam|slam|fault|chid|rebuk|berat|lambast|scold)\w* (?:[\w'-]+ ){1,4}?for "
    r"((?:refusing|declining|failing|not wanting) to)"
)
_COORDINATED_PREDICATE = re.compile(r"(?:and|but) (?:then |also )?[a-z]+ed\b")
_COORDINATED_NEGATION = re.compile(
    r"(?:and|or|nor) (?:does|do|did|will|would|has|have|can|could|shall) (?:not|never)\b"
)
_DASH = re.compile(r"\s-\s")
_NEXT_REPORTED = re.compile(
    r"(?:and|but) (?:that|said|added|says|adds)\b|(?:which|this|that) (?:shows|proves|means|suggests|indicates|demonstrates)\b"
)
_QUESTION_MARK = re.compile(r"[^.!?;:]*\?")  # the cue's sentence (or clause) ends with a question mark
_FRONTED_CLAUSE = re.compile(
    r"^(?:after|following|before|since|when|as|once|while)\s+(?:[\w'-]+\s+){0,3}?(?:\w+ed|had|was|were|has)\b"
    r"|^with\s+(?=[^,]{3,100},)"  # "With Moscow asking the US to lift curbs, ...": circumstance, not the speaker's act
)


def _asked(text: str, start: int) -> bool:
    """Whether the cue sits in a question ("asked whether ... would remain involved if the next round ...")."""
    found = governing(QUESTION, text, start, 160)
    return found is not None and "," not in text[found.end() : start]


_NO_LONGER = re.compile(r"(?<![\w-])(?:former|ex-|ex |then-|one-time|nominee|candidate|hopeful)")
# "Russia's ambassador in Washington", "the Kremlin's envoy to Brussels": another's official posted there.
_PLACE_BEFORE = re.compile(r"[\w-]+'s? (?:[\w-]+ ){1,3}(?:in|to|at) (?:the )?$")


def is_holder(phrase: str, stance: Stance) -> bool:
    if _NO_LONGER.search(phrase):
        return False  # "Washington's former special representative", "ex-envoy Volker"
    for m in stance.holder_re.finditer(phrase):
        if RANK_BEFORE.search(phrase[: m.start()]):
            continue  # "Former Secretary of State Pompeo" no longer speaks for the holder
        if m.start() > 0 and _PLACE_BEFORE.search(phrase, 0, m.start()):
            continue  # "Russia's ambassador in Washington": a place where somebody else speaks
        if stance.not_holder_re is None:
            return True
        if not any(
            n.start() < m.end() and m.start() < n.end() for n in stance.not_holder_re.finditer(phrase)
        ):
            return True
    return False
