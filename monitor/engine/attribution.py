"""Who takes the position in a sentence: the speaker of a quote, or the grammatical subject. Pure.

For a cue at a position in a sentence the speaker is, in order:

1. the possessor of a wish the cue is the object of ("Russia's request for sanctions relief" -> Russia);
2. the subject of a subordinate clause that holds the cue and names its own actor
   ("..., after the Kremlin linked a truce to sanctions relief" -> the Kremlin);
3. the actor before a verb of saying that precedes the cue ("Kallas said the EU ..."), or after it
   ("..., the EU's foreign policy chief said"); "according to X" likewise. When that speaker only relays
   (a news outlet, "sources", "the report"), the subject of what it reports;
4. with no verb of saying, the subject: the first actor named in the cue's clause, before the cue
   ("EU ambassadors agreed to release ...", "Orban urged the EU to ..." -> Orban);
5. a pronoun ("she said") stands for the previous sentence's speaker. (A feed that is the holder's own
   channel speaks for the holder when nobody is named: the engine applies that.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.engine.gazetteer import OTHER_ACTORS, PRONOUNS, TRANSPARENT
from monitor.engine.lexicon import (
    ACCORDING_TO,
    CLAUSE_BREAK,
    POSSESSED_WISH,
    SPEECH_VERBS,
    STRONG_BREAK,
)
from monitor.engine.text import governing

_POST_FRAME = re.compile(r",\s*([^,;]{1,90}?)\s+(" + SPEECH_VERBS.pattern + r")")
_WORD = re.compile(r"[\w'-]+")
_TITLE_SPEAKER = re.compile(r"^(?![\"'])([^:]{1,50}):\s")  # "Kallas: ...", not "'Crimea is Ukraine': ..."
_SUBORDINATOR = re.compile(
    r"^(?:(?:and|but|while|whereas|although|though|as|because|since|after|before|when|if|once|until|so that|"
    r"by contrast|(?:under|in|by|with|through|according to) which|whereby|where)\s+)+"
)
_ARTICLE = re.compile(r"(?:the|a|an) ")
_FINITE_VERB = re.compile(
    r"\s*(?:[\w'-]+\s+){0,5}?(?:is|are|was|were|has|had|have|will|would|could|can|may|might|must|should|does|did|do|"
    r"\w+ed|\w+s)\b"
)
_LEAD_IN = re.compile(
    r"^(?:after|before|in|at|on|during|following|speaking|arriving|addressing|meeting|writing|visiting|briefing|"
    r"chairing|hosting|travelling|traveling|asked|ahead of|despite|with|"
    r"while|as|since|when|once|for|from|by|because|although|though|(?:days|weeks|hours|months) (?:after|before)|"
    r"in an? [\w' -]+)\b[^,]{0,80},\s*"
)
_OF_PHRASE = re.compile(
    r"^(?:an? |the )?([\w'-]+(?: [\w'-]+)?) (?:at|of|in|on|from|for|with|near|inside|within) "
)
_ADDRESSED = re.compile(
    r"(?:urg(?:e|es|ed|ing)|ask(?:s|ed|ing)?|call(?:s|ed|ing)? on|press(?:es|ed|ing)?|told|tell(?:s|ing)?|"
    r"encourag(?:e|es|ed|ing)|persuad(?:e|es|ed|ing)|invit(?:e|es|ed|ing))\s+(?:the\s+)?$"
)
_VERB_FIRST = re.compile(r"\s*(?:\w+ed|\w+s|said|told|urged|asked|called|sent|made|took|gave|kept|held)\b")
_NOT_NAMES = {
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "after",
    "before",
    "but",
    "and",
    "it",
    "this",
    "that",
    "he",
    "she",
}
# People who never speak for an institution they are "at" ("a senior fellow at a Washington think tank").
_OUTSIDER_NOUNS = (
    r"scholars?|researchers?|fellows?|professors?|academics?|economists?|analysts?|strategists?|historians?|lawyers?|"
    r"commentators?|columnists?|writers?|authors?"
)
_OUTSIDERS = re.compile(rf"(?<![\w-])(?:{_OUTSIDER_NOUNS})(?![\w-])")
# People named by what they do: outsiders, and officials who may speak for somebody ("an EU envoy").
_PEOPLE = re.compile(
    rf"(?<![\w-])(?:{_OUTSIDER_NOUNS}|officials?|diplomats?|envoys?|ambassadors?|aides?|advisers?|advisors?)(?![\w-])"
)
_REMARKS_BY = re.compile(
    r"(?<![\w-])(?:remarks|comments|statements?|words|claims?|assertion|warnings?|suggestion|admission|assurances?)"
    r"(?: made)?(?: [\w-]+){0,3}? by ([^,;]{2,60}?)(?: on \w+| in [\w ]{1,20})? (?:that|who)\s"
)
# "Ushakov calls Witkoff meeting useful": an unknown name, a verb, then the actor it acts on.
_OBJECT_AFTER_VERB = re.compile(
    r"^([A-Z][\w'.-]+(?: [A-Z][\w'.-]+)?) (?:says|said|calls|called|tells|told|urges|urged|accuses|accused|praises|"
    r"praised|hails|hailed|meets|met|warns|warned|slams|slammed|thanks|thanked|rebukes|rebuked) "
)
_LEADING_VERB = re.compile(r"(?:" + SPEECH_VERBS.pattern + r")\s+")
# A headline's verb before its first actor: the actor is its object ("Counter-proposal drops US clause").
_HEADLINE_VERB = re.compile(
    r"(?<![\w-])(?:drops?|rejects?|backs?|blocks?|slams?|hails?|snubs?|defies|joins?|follows?|copies|adopts?|scraps?|"
    r"dismisses|welcomes?|critici[sz]es|accuses|praises|presses|urges|warns|tells|asks|meets|eyes|weighs|mulls|"
    r"challenges?|contradicts?|rebuffs?|overrules?|undercuts?)(?![\w-])"
)
_RELATIVE = re.compile(r", (?:which|who) ")
_PASSIVE_BY = re.compile(r" (?:was|were|is|are|has been|have been|had been) (?:\w+ ){0,2}?\w+ed by (?:the )?")
_EXCEPT = re.compile(r"(?<![\w-])(?:except|apart from|other than|excluding)\s+$")
# "Fico lifted his veto, allowing EU ambassadors to approve ...": the ones allowed act
_ENABLED = re.compile(
    r"(?<![\w-])(?:allow(?:s|ed|ing)?|enabl(?:e|es|ed|ing)|clear(?:s|ed|ing)? the way for|pav(?:e|es|ed|ing) the way for)"
    r"\s+((?:[\w'.-]+\s+){1,5}?)to\s"
)
_INCLUDING_BY = re.compile(r"(?:including|even|also|notably) by\s")
_RELATIVE_ASIDE = re.compile(r",\s*(?:who|whose|which)\b[^,]*,?")
_PARENTHETICAL = re.compile(r"(?:who|which|whose|[a-z]+ing|[a-z]+ed)\b")
_NOT_A_NAME = re.compile(
    r"\s*(?:On|In|At|After|Before|By|For|From|With|During|Since|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
    r"Sunday|January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
_NAME_START = re.compile(r"\s*(?:[A-Z][\w'.-]+\s+){1,3}[A-Z][\w'.-]+(?=[\s,])")
_HEAD_PREPOSITION = re.compile(r"\s(?:on|about|over|to|at|in|after|before|for)\s")
_INVERTED_FRAME = re.compile(
    r"[,'\"]\s*['\"]?\s*(?:said|says|added|wrote|writes|declared|stated|noted|notes|argues|argued|warns|warned|"
    r"predicts|predicted|concludes|concluded|insists|insisted|read (?:a|the) (?:statement|declaration) "
    r"(?:issued )?(?:by|from)|according to)\s+([^,;.]{1,80})"
)
_AGENT = re.compile(r"(?:^|\s)(?:by|among|within|for)\s+(?:the\s+)?$")
_POST_QUOTE = re.compile(
    r"^[,'\"\s]*(?:(?:said|says|added|wrote|told \w+|declared|stated)\s+([^,;.]{1,60})|([^,;.]{1,60}?)\s+(?:"
    + SPEECH_VERBS.pattern
    + r"))"
)


def _closing_quote(text: str) -> int:
    """Where a sentence that opens with a quote closes it (the end of the text when it does not)."""
    if text[:1] not in "\"'":
        return 0
    match = re.search(r"[\"'](?=[\s,.;:]|$)", text[1:]) if text[:1] == "'" else re.search(r"\"", text[1:])
    return match.end() + 1 if match else len(text)


def _title_case(text: str) -> bool:
    """Whether most words are capitalised, as in many headlines ("EU Weighs Options On Crimea")."""
    words = [w for w in text.split() if w[:1].isalpha()]
    return len(words) >= 4 and sum(w[:1].isupper() for w in words) > 0.6 * len(words)


_STEPPED_DOWN = re.compile(
    r"(?<![\w-])(?:who (?:stepped down|left office|resigned|quit|was fired)|after (?:leaving|stepping down from) "
    r"(?:his |her |the )?(?:post|office|job|role))"
)
_NO_LONGER_WORD = re.compile(r"(?<![\w-])former(?![\w-])")
_DEMONYM_BEFORE = re.compile(
    r"(?<![\w-])(?:russian|ukrainian|european|american|us|u\.s\.|eu|french|german|british)$"
)
_FRONTED = re.compile(r"^(?:under|with|after|following|in|having|despite|amid|as part of|through)\b")
_ACCORDING_LEAD = re.compile(r"^(?:according to|in the words of|citing)\s[^,]{1,60},\s*")
_VIEW_LEAD = re.compile(r"^(?:for|in the view of|in the eyes of|to) ([^,]{2,40}?)(?:'s view)?,\s")
RANK_WORD = re.compile(
    r"former|ex-|then-|one-time|nominee|candidate|hopeful"
)  # cheap test before RANK_BEFORE
RANK_BEFORE = re.compile(
    r"(?:former|ex-|then-|one-time|(?:presidential )?(?:nominee|candidate|hopeful))\s*(?:[\w'-]+\s+){0,2}$"
)
# "Putin's decision to send ... tells you", "nothing in Russia's conduct suggested": a thing, not a speaker.
_INANIMATE = re.compile(
    r"^(?:nothing|everything|little|anything|(?:[\w'.-]+ ){0,4}?[\w.-]+'s? (?:\w+ )?(?:decision|conduct|moves?|"
    r"behaviou?r|actions?|refusal|silence|record|attacks?|strikes|rhetoric|demands|offensive|troops|"
    r"escalation|choice|failure))\b"
)
_ASKED_LEAD = re.compile(r"^(?:when |after being )?asked (?:whether|if|about|how|why)\b[^,]*,\s*")
# Words allowed between two mentions that name one speaker ("EU sanctions envoy David O'Sullivan").
CHAIN_GAP = 2


@dataclass(frozen=True)
class Speaker:
    """Who a cue is attributed to: the phrase that names them, and how it was found."""

    phrase: str  # normalised text naming the speaker ("kallas", "the eu's foreign policy chief")
    via: str  # wish, clause, quote-before, quote-after, according-to, relay, subject, pronoun, voice, none
    pronoun: bool = False

    @property
    def known(self) -> bool:
        return bool(self.phrase)


NOBODY = Speaker("", "none")


class Actors:
    """Finds actor mentions: the engine's generic lexicon plus the holders of the stances being judged.

    Holders are matched with their own compiled patterns rather than folded into one big pattern, so that
    judging an item against any mix of a thousand rules' holders never compiles anything.
    Where mentions overlap, the leftmost wins, then the longest ("US House" over "US").
    """

    def __init__(self, generic: re.Pattern[str], holders: Sequence[re.Pattern[str]]) -> None:
        self.patterns = (generic, *holders)
        self._found: dict[tuple[str, int, int], list[re.Match[str]]] = {}  # one item's phrases recur

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> list[re.Match[str]]:
        end = len(text) if endpos is None else endpos
        key = (text, pos, end)
        cached = self._found.get(key)
        if cached is None:
            cached = self._found[key] = self._finditer(text, pos, end)
        return cached

    def _finditer(self, text: str, pos: int, end: int) -> list[re.Match[str]]:
        found = [m for p in self.patterns for m in p.finditer(text, pos, end) if m.end() > m.start()]
        found.sort(key=lambda m: (m.start(), m.start() - m.end()))
        out: list[re.Match[str]] = []
        for m in found:
            if not out or m.start() >= out[-1].end():
                out.append(m)
        return out

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        found = self.finditer(text, pos, endpos)
        return found[0] if found else None

    def match(self, text: str) -> re.Match[str] | None:
        found = self.search(text)
        return found if found is not None and found.start() == 0 else None


class SentenceReader:
    """Attribution for one normalised sentence, given the actors the engine knows and the previous speaker."""

    def __init__(
        self, text: str, actors: Actors, previous: Speaker, original: str = "", is_title: bool = False
    ) -> None:
        self.is_title = is_title
        self.original = original or text  # the sentence as written: capitals tell names from words
        self.text = text
        self.actors = actors
        self.previous = previous
        self.verbs = list(SPEECH_VERBS.finditer(text))
        self.according = list(ACCORDING_TO.finditer(text))
        self._mentions = [m for m in actors.finditer(text) if m.group(0).strip()]

    # ---- the sentence's main speaker, for the next sentence's pronouns
    def main_speaker(self) -> Speaker:
        """Who the sentence is mostly about: its subject when it opens with one, else its first speaker."""
        title = self._title_speaker()
        if title.known:
            return title
        early = [v for v in self.verbs if 1 <= len(_WORD.findall(self.text[: v.start()])) <= 4]
        if early:  # "Bolton predicts Trump will walk out": the one who predicts
            found = self._speaker_before(early[0].start())
            if found.known and found.via != "relay":
                return found
        lead = _LEAD_IN.match(self.text)
        begin = lead.end() if lead else (_closing_quote(self.text) if self.text[:1] in "\"'" else 0)
        first = next(
            (m for m in self._mentions if m.start() >= begin and not TRANSPARENT.fullmatch(m.group(0))), None
        )
        post = _POST_FRAME.search(self.text)
        if (  # "The United States has the power to ..., the EU's top diplomat said": the one who said it
            first is not None
            and post is not None
            and post.start() > first.end()
            and self._has_actor(post.group(1))
            and not self._relay_only(post.group(1))
            and not PRONOUNS.fullmatch(post.group(1).strip())
        ):
            return self._resolve(post.group(1).strip(' "'), "quote-after")
        inverted = list(_INVERTED_FRAME.finditer(self.text))
        if (  # "Washington has let deadlines slide, argues a Carnegie analyst": the analyst
            first is not None
            and inverted
            and inverted[-1].start() > first.end()
            and (self._has_actor(inverted[-1].group(1)) or _PEOPLE.search(inverted[-1].group(1)))
            and not self._relay_only(inverted[-1].group(1))
        ):
            return self._resolve(inverted[-1].group(1).strip(), "quote-after")
        if first is not None and len(_WORD.findall(self.text[begin : first.start()])) <= 2:
            rank = RANK_BEFORE.search(self.text, begin, first.start())  # "Republican nominee Donald Trump"
            phrase = self._phrase_from(first, first.end())
            return self._resolve(f"{rank.group(0)}{phrase}" if rank else phrase, "subject")
        if self.text.startswith('"'):
            post = _POST_FRAME.search(self.text)
            if post and self._has_actor(post.group(1)):
                return self._resolve(post.group(1).strip(' "'), "quote-after")
        if self.verbs:
            found = self._speaker_before(self.verbs[0].start())
            if found.known and found.via != "relay":
                return found
        if first is not None:
            return self._resolve(first.group(0), "subject")
        return self.previous

    def _phrase_from(self, m: re.Match[str], end: int) -> str:
        """The noun phrase an actor mention heads: "analysts at a Brussels think tank" -> "analysts"."""
        return m.group(0) if OTHER_ACTORS.fullmatch(m.group(0)) else self.text[m.start() : end]

    # ---- the speaker of a cue at [start, end)
    def speaker_at(self, start: int, end: int) -> Speaker:
        view = _VIEW_LEAD.match(self.text)
        if view and start > view.end() and self._has_actor(view.group(1)) and not self.verbs:
            return self._resolve(view.group(1).strip(), "view")  # "For Costa, Moscow is serious this time"
        asked = _ASKED_LEAD.match(self.text)
        if asked and start < asked.end():  # "Asked whether ..., the spokesperson did not rule it out"
            answerer = self._first_actor(asked.end(), len(self.text))
            if answerer.known:
                return answerer
        wishes = list(POSSESSED_WISH.finditer(self.text, max(0, start - 60), start))
        wish = wishes[-1] if wishes else None
        owner = (wish.group(1) or wish.group(2)) if wish else None
        if owner and self._has_actor(owner) and not PRONOUNS.fullmatch(owner):
            return Speaker(owner, "wish")
        title = self._title_speaker()
        if title.known and start > len(title.phrase):
            head = _TITLE_SPEAKER.match(
                self.text
            )  # "Brussels: ..., after Kremlin links X to relief" -> Kremlin
            clause = self._clause_subject(head.end() if head else start, start)
            return clause if clause.known else title
        if self.text[:1] in "\"'" and start < _closing_quote(
            self.text
        ):  # '"...," Kallas said': the words after it
            after = _POST_QUOTE.match(self.text[_closing_quote(self.text) :])
            who = (after.group(1) or after.group(2) or "") if after else ""
            if who and self._has_actor(who) and not self._relay_only(who):
                return self._resolve(who.strip(), "quote-after")
        if self.text[:1] in "\"'" and not self.verbs and not self.according and self.previous.known:
            return Speaker(self.previous.phrase, "quote-continues", pronoun=True)  # '"Crimea is Ukraine."'
        lead = _LEAD_IN.match(self.text)
        after_lead = (
            lead.end() if lead and lead.end() <= start else 0
        )  # "Days after Trump said X, ministers ..."
        before = [v for v in self.verbs if v.end() <= start and v.start() >= after_lead]
        lo = before[-1].end() if before else after_lead
        framed = _ACCORDING_LEAD.match(self.text) or _VIEW_LEAD.match(self.text)
        if framed and framed.end() <= start:
            lo = max(lo, framed.end())  # "According to Kallas, Moscow's truce was PR": Moscow is talked about
        remarks = self._remarks_by(start)
        if remarks.known:
            return remarks
        enabled = governing(_ENABLED, self.text, start, 120)
        if enabled is not None:
            who = enabled.group(1).strip()
            if self._has_actor(who) and not PRONOUNS.fullmatch(who):
                return self._resolve(who, "enabled")
        clause = self._clause_subject(lo, start)
        if clause.known and clause.via == "main-clause" and before:
            # "Szijjarto said that once ..., the EU would have no choice but to lift ...": his claim about the EU
            clause = NOBODY
        if clause.known and clause.via == "main-clause" and not before:
            # "Instead of a ceasefire, Russia answers with drones, the EU's spokesperson said": she said it
            for post in _POST_FRAME.finditer(self.text, end):
                if self._has_actor(post.group(1)) and not self._relay_only(post.group(1)):
                    return self._resolve(post.group(1).strip(), "quote-after")
        if clause.known:
            return clause
        inanimate = 0
        for verb in reversed(before):  # innermost frame first; fall back outward when it names nobody
            found = self._speaker_before(verb.start())
            inanimate += found.via == "inanimate"
            if found.via == "relay":
                subject = self._first_actor(verb.end(), start)
                if subject.known:
                    return subject
            elif found.known:
                return found
        found = self._according_to(start, end)
        if found.known:
            return found
        if len(before) == inanimate:  # no frame before the cue, or only things that "show" or "suggest"
            for post in _POST_FRAME.finditer(self.text, end):  # "..., the EU's foreign policy chief said"
                phrase = post.group(1)
                if self._has_actor(phrase) and not self._relay_only(phrase):
                    return self._resolve(phrase.strip(), "quote-after")
            inverted = _INVERTED_FRAME.search(
                self.text, end
            )  # '"...," said Kallas', "... read a statement by X"
            if inverted and self._has_actor(inverted.group(1)) and not self._relay_only(inverted.group(1)):
                return self._resolve(inverted.group(1).strip(), "quote-after")
        return self._subject(start, end)

    def _according_to(self, start: int, end: int) -> Speaker:
        for acc in self.according:
            tail = self.text[acc.end() :]
            cut = re.search(r"[,;]", tail)
            who = tail[: cut.start()] if cut else tail
            if cut and acc.end() + cut.end() <= start:
                if self._relay_only(who):
                    subject = self._first_actor(acc.end() + cut.end(), start)
                    if subject.known:
                        return subject
                elif self._has_actor(who):
                    return self._resolve(who.strip(), "according-to")
            elif (
                acc.start() >= end
                and acc.group(0) != "citing"  # "..., citing fatigue in member states": a reason, not a source
                and self._has_actor(who)
                and not self._relay_only(who)
            ):
                return self._resolve(who.strip(), "according-to")
        return NOBODY

    def _speaker_before(self, verb_start: int) -> Speaker:
        """The speaker of a verb of saying: the actor phrase right before it, or the clause's subject."""
        window = self.text[max(0, verb_start - 100) : verb_start]
        breaks = list(CLAUSE_BREAK.finditer(window))
        offset = max(0, verb_start - 100) + (breaks[-1].end() if breaks else 0)
        mentions = [
            m
            for m in self._mentions
            if offset <= m.start() and m.end() <= verb_start and not _EXCEPT.search(self.text, 0, m.start())
        ]  # "leaders of every member state except Hungary said": not Hungary
        base = max(0, verb_start - 100)
        if not mentions and len(breaks) >= 2 and not self.text[offset:verb_start].strip():
            # "Charles Michel, attending in person, said" / "Kurt Volker, who served as ..., said": the one before
            # the parenthetical speaks
            paren = window[breaks[-2].end() : breaks[-1].start()]
            if _PARENTHETICAL.match(paren):
                lo = base + (breaks[-3].end() if len(breaks) >= 3 else 0)
                mentions = [
                    m for m in self._mentions if lo <= m.start() and m.end() <= base + breaks[-2].start()
                ]
        if not mentions:
            name = self._name_before(offset, verb_start)
            if name:
                return Speaker(name, "quote-before")  # "Bolton said", "a Carnegie Europe scholar argues"
            if self.text[offset:verb_start].strip() in (
                "who",
                "which",
            ):  # "the Commission president, who told"
                before = [m for m in self._mentions if m.end() <= offset and offset - m.end() <= 40]
                if before:
                    return self._resolve(self._chain_from(before), "quote-before")
            if self.text[offset:verb_start].strip():
                return NOBODY
            earlier = [v for v in self.verbs if v.end() <= offset]
            if self.text[verb_start : verb_start + 20].split()[0].endswith("ing") and earlier:
                return self._speaker_before(earlier[-1].start())  # "Costa wrote on X, adding that ..."
            return self._subject(verb_start)
        last = mentions[-1]
        if PRONOUNS.fullmatch(last.group(0)):
            # "Kallas told reporters she hoped ...": the pronoun stands for this sentence's earlier speaker
            earlier = [v for v in self.verbs if v.end() <= last.start()]
            if earlier:
                found = self._speaker_before(earlier[-1].start())
                if found.known and not found.pronoun and found.via != "relay":
                    return Speaker(found.phrase, "pronoun", pronoun=True)
            return self._resolve(last.group(0), "quote-before")
        first = last
        for m in reversed(mentions[:-1]):
            possessive = m.group(0).endswith("'s") or self.text.startswith("'s", m.end())
            gap = CHAIN_GAP + 2 if possessive else CHAIN_GAP  # "the EU's lead foreign affairs spokesperson"
            if len(_WORD.findall(self.text[m.end() : first.start()])) > gap:
                break
            first = m
        lead = RANK_BEFORE.search(self.text, 0, first.start())
        phrase = self.text[lead.start() if lead else first.start() : verb_start].strip()  # keep "former"
        phrase = _RELATIVE_ASIDE.sub("", phrase)  # "Sikorski, whose country holds the EU presidency, said"
        head = _OF_PHRASE.match(phrase)
        if head and OTHER_ACTORS.fullmatch(head.group(1)):
            phrase = head.group(1)  # "analysts at a Brussels think tank": the analysts speak
        if self._relay_only(phrase) and not _NO_LONGER_WORD.search(phrase):  # former diplomats speculate
            return Speaker(phrase, "relay")
        if _INANIMATE.match(phrase):
            return Speaker("", "inanimate")
        return Speaker(phrase, "quote-before")

    def _chain_from(self, mentions: list[re.Match[str]]) -> str:
        """The phrase of the last mention and those chained to it ("the EU's top diplomat Kaja Kallas")."""
        first = last = mentions[-1]
        for m in reversed(mentions[:-1]):
            if len(_WORD.findall(self.text[m.end() : first.start()])) > CHAIN_GAP:
                break
            first = m
        return self.text[first.start() : last.end()]

    def _remarks_by(self, start: int) -> Speaker:
        """ "remarks by the bloc's top diplomat that the Kremlin had honoured the truce" -> the diplomat."""
        found = governing(_REMARKS_BY, self.text, start, start)
        if found is None or not self._has_actor(found.group(1)):
            return NOBODY
        return self._resolve(found.group(1).strip(), "remarks-by")

    def _clause_subject(self, lo: int, start: int) -> Speaker:
        """The subject of a clause that begins after a break before the cue with an actor of its own."""
        found = NOBODY
        for brk in CLAUSE_BREAK.finditer(self.text, lo, start):
            if brk.group(0).strip() == "and" and (
                self._mention_ends_at(brk.start()) or _DEMONYM_BEFORE.search(self.text, 0, brk.start())
            ):
                continue  # "Russia and Ukraine": one noun phrase, not a new clause
            raw = self.text[brk.end() : start].lstrip()
            head = _SUBORDINATOR.sub("", raw)
            subordinate = head != raw or brk.group(0).strip() not in {
                ",",
                ";",
                ":",
                "and",
                "but",
                "yet",
                "however",
            }
            m = self.actors.match(head)
            if not m and _ARTICLE.match(head):
                # "a senior EU official", not "a meeting with Washington's envoy"
                near = " ".join(head.split()[:3])
                m = self.actors.search(near)
            if not m or TRANSPARENT.fullmatch(m.group(0)) or PRONOUNS.fullmatch(m.group(0)):
                continue
            rest = head[m.end() :]
            if not rest.strip() or _FINITE_VERB.match(rest):
                found = self._resolve(m.group(0), "clause" if subordinate else "main-clause")
        return found

    def _title_speaker(self) -> Speaker:
        """A headline's speaker: "Kallas: ...", "Commission on leaked US terms: ..." (-> commission)."""
        title = _TITLE_SPEAKER.match(self.text)
        if not title:
            return NOBODY
        head = title.group(1).strip()
        said = SPEECH_VERBS.search(head)
        if said and said.start() > 0:
            head = head[: said.start()].strip()  # "Costa tells Trump: ..." -> Costa
        cut = _HEAD_PREPOSITION.search(head)
        if cut and self._has_actor(head[: cut.start()]):
            head = head[: cut.start()]
        if self._has_actor(head):
            return self._resolve(head, "quote-before")
        original = self.original[: len(title.group(1))].split()
        if 0 < len(original) <= 4 and all(w[:1].isupper() for w in original):
            return Speaker(head, "quote-before")  # "Dmitriev: ...": somebody the engine does not know
        return NOBODY

    def _name_before(self, lo: int, hi: int) -> str | None:
        """Somebody the engine does not know, named right before a verb of saying (not the holder)."""
        words = self.original[lo:hi].split()[-5:]
        if not words:
            return None
        capitals = [w for w in words if w[:1].isupper() and w.strip("'\",.").lower() not in _NOT_NAMES]
        sentence_start = not self.original[:lo].strip()
        # A sentence's first word is capitalised anyway: one capitalised plural there is "Ministers", not a name.
        lone_name = len(words) == 1 and capitals and not words[0].rstrip(",.").endswith("s")
        if (
            len(capitals) >= 2
            or (capitals and (not sentence_start or lone_name))
            or _PEOPLE.search(self.text[lo:hi])
        ):
            return " ".join(self.text[lo:hi].split()[-5:])
        return None

    def _mention_ends_at(self, pos: int) -> bool:
        return any(m.end() == pos for m in self._mentions)

    def _relay_only(self, phrase: str) -> bool:
        """Whether ``phrase`` names only news outlets, sources and reports (who relay others' words)."""
        found = [m.group(0) for m in self.actors.finditer(phrase)]
        return bool(found) and all(TRANSPARENT.fullmatch(f) for f in found)

    def _has_actor(self, phrase: str) -> bool:
        return bool(self.actors.search(phrase))

    def relative_clause_about(self, start: int) -> str | None:
        """The actor a ", which/who ..." clause holding ``start`` describes ("the US, which has yet to impose")."""
        found = None
        for m in _RELATIVE.finditer(self.text, max(0, start - 100), start):
            found = m
        if (
            found is None
            or "," in self.text[found.end() : start]
            or SPEECH_VERBS.match(self.text, found.end())
        ):
            return None  # ", who told reporters that ...": a frame, not a description
        before = [m for m in self._mentions if m.end() <= found.start() and found.start() - m.end() <= 2]
        return before[-1].group(0) if before else None

    def clause_opens_at(self, pos: int) -> bool:
        """Whether a clause of its own opens at ``pos``: an actor, then a finite verb ("Russia answers with ...")."""
        while pos < len(self.text) and self.text[pos] == " ":
            pos += 1
        m = next((m for m in self._mentions if m.start() >= pos), None)
        return (
            m is not None
            and m.start() == pos
            and not PRONOUNS.fullmatch(m.group(0))
            and _FINITE_VERB.match(self.text, m.end()) is not None
        )

    def names_actor(self, phrase: str) -> bool:
        """Whether ``phrase`` names an actor ("urged Washington to": yes; "wanted the agreements to": no)."""
        return self._has_actor(phrase)

    def _first_actor(self, lo: int, hi: int) -> Speaker:
        for m in self._mentions:
            if lo <= m.start() and m.end() <= hi and not TRANSPARENT.fullmatch(m.group(0)):
                if _ADDRESSED.search(self.text, max(lo, m.start() - 30), m.start()):
                    continue  # "urged the administration to ...": the one asked is not the subject
                headline = (
                    _HEADLINE_VERB.search(self.text, lo, m.start()) if self.is_title and lo == 0 else None
                )
                if (
                    headline and headline.start() > 0
                ):  # "European counter-proposal drops US clause": US is acted on
                    return Speaker(self.text[: headline.start()].strip(), "subject")
                if PRONOUNS.fullmatch(m.group(0)):
                    return self._resolve(m.group(0), "subject")  # "At the same meeting, they ..."
                agent = _PASSIVE_BY.match(self.text, m.end())
                if agent:  # "The United States was urged by EU foreign ministers to ...": the ministers act
                    by = self.actors.search(self.text, agent.end(), min(hi, agent.end() + 60))
                    if by is not None and by.start() == agent.end():
                        return self._resolve(self._chain_from([by]), "subject")
                named = _OBJECT_AFTER_VERB.match(self.original[lo : m.start()])
                if (
                    named
                    and named.group(1).lower()
                    not in _NOT_NAMES | {"they", "we", "i", "you", "its", "his", "her"}
                    and not self.actors.search(named.group(1).lower())
                ):
                    return Speaker(named.group(1).lower(), "subject")  # the unknown name acts on the actor
                head = self.text[lo : m.end()]
                breaks = list(CLAUSE_BREAK.finditer(head, 0, m.start() - lo))
                head = head[breaks[-1].end() :] if breaks else head
                return self._resolve(" ".join(_WORD.findall(head)[-6:]) or m.group(0), "subject")
        return NOBODY

    def _subject(self, start: int, end: int | None = None) -> Speaker:
        end = start if end is None else end
        lead = _LEAD_IN.match(self.text)
        seg = (
            lead.end() if lead and lead.end() <= start else 0
        )  # "At the G7 summit in Kananaskis, von der Leyen ..."
        for brk in STRONG_BREAK.finditer(self.text, seg, start):
            if not _VERB_FIRST.match(self.text, brk.end()):  # ", and urged ...": the same subject goes on
                seg = brk.end()
        name = _NAME_START.match(self.original, seg) if not _title_case(self.original) else None
        if (
            name
            and not self.actors.search(self.text[seg : name.end()])
            and not _NOT_A_NAME.match(name.group(0))
        ):
            return Speaker(
                self.text[seg : name.end()].strip(), "subject"
            )  # "Kurt Volker, ..., said": not known
        found = self._first_actor(seg, start)
        if not found.known and seg:
            found = self._first_actor(0, start)
        if (
            not found.known
        ):  # a cue ahead of its subject: "Under its 18th package the bloc ...", "... by the Council"
            cut = CLAUSE_BREAK.search(self.text, end)
            if cut is not None and _INCLUDING_BY.match(self.text, cut.end()):
                cut = CLAUSE_BREAK.search(self.text, cut.end())  # "..., including by the United States"
            after = [
                m for m in self._mentions if end <= m.start() and (cut is None or m.end() <= cut.start())
            ]
            after = [m for m in after if not TRANSPARENT.fullmatch(m.group(0))]
            fronted = (
                _FRONTED.match(self.text) is not None and start < self.text.find(",")
                if "," in self.text
                else False
            )
            after = [
                m for m in after if fronted or _AGENT.search(self.text[max(0, m.start() - 8) : m.start()])
            ]
            if after:  # only an agent ("... by the Council") or the subject after a fronted phrase
                found = self._resolve(after[0].group(0), "subject")
        return found

    def _resolve(self, phrase: str, via: str) -> Speaker:
        verb = _LEADING_VERB.match(phrase)
        if verb:
            phrase = phrase[verb.end() :]  # "..., argues a senior fellow at a Brussels think tank"
        head = _OF_PHRASE.match(phrase)
        if head and (OTHER_ACTORS.fullmatch(head.group(1)) or _OUTSIDERS.search(head.group(1))):
            phrase = head.group(1)  # "an analyst at the European Council on Foreign Relations": the analyst
        if _STEPPED_DOWN.search(self.text) and not _NO_LONGER_WORD.search(phrase):
            phrase = f"former {phrase}"  # "Keith Kellogg, who stepped down as envoy, said ..."
        words = _WORD.findall(phrase)
        if words and len(words) <= 2 and PRONOUNS.fullmatch(" ".join(words)):
            if self.previous.known:
                return Speaker(self.previous.phrase, "pronoun", pronoun=True)
            return NOBODY
        return Speaker(phrase, via)
