"""General English machinery the engine brings, so that rules list domain phrases, not grammar. Pure data.

Rule authors extend the *domain* (holders, topics, cues); the word lists here are the *grammar* of news
reporting: how speech is framed, what negates, what hedges, what is background. Who the actors are (relaying
outlets, other actors, role nouns) is in ``monitor.engine.gazetteer``.
All lists are matched on normalised (lower-case) text, on word boundaries.
"""

from __future__ import annotations

import re
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parser  # type: ignore[attr-defined]
from typing import Any

from monitor.engine.trie import trie_source


def words_re(*phrases: str) -> re.Pattern[str]:
    """A regex matching any of ``phrases`` on word boundaries; phrases may hold regex syntax.

    Phrases whose regex stands for a few plain strings ("analysts?", "(?:the )?guardian") are spelled out and
    factored into a trie, so a position is tried against a handful of characters, not hundreds of phrases; the
    longest phrase that matches at a position wins, as it would in a longest-first alternation."""
    literal: set[str] = set()
    other: list[str] = []
    for phrase in phrases:
        strings = _spelled_out(phrase)
        if strings is None:
            other.append(phrase)
        else:
            literal.update(strings)
    # phrases kept as regex first (longest first, as before), then the trie of the spelled-out ones
    alternatives = sorted(other, key=len, reverse=True) + (
        [trie_source(dict.fromkeys(literal, ""))] if literal else []
    )
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")


def _spelled_out(phrase: str, limit: int = 64) -> set[str] | None:
    """Every string ``phrase`` matches, when it is a small finite set of plain text; else None."""
    try:
        parsed = list(_sre_parser.parse(phrase))
    except re.error:
        return None

    def strings(items: list[tuple[Any, Any]]) -> set[str] | None:
        out = {""}
        for op, av in items:
            if op is _sre.LITERAL:
                options = {chr(av)}
            elif op is _sre.IN and all(kind is _sre.LITERAL for kind, _ in av):
                options = {chr(value) for _, value in av}
            elif op is _sre.SUBPATTERN:
                found = strings(list(av[-1]))
                if found is None:
                    return None
                options = found
            elif op is _sre.BRANCH:
                options = set()
                for alternative in av[1]:
                    found = strings(list(alternative))
                    if found is None:
                        return None
                    options |= found
            elif op is _sre.MAX_REPEAT and av[0] == 0 and av[1] == 1:
                found = strings(list(av[2]))
                if found is None:
                    return None
                options = found | {""}
            else:
                return None
            out = {a + b for a in out for b in options}
            if len(out) > limit:
                return None
        return out

    found = strings(parsed)
    return found if found and "" not in found else None


# Terms a rule's cues may use as {name}; a rule's own `terms` override these.
ENGINE_TERMS: dict[str, tuple[str, ...]] = {
    "russia": (
        "russia",
        "russian",
        "russia's",
        "moscow",
        "moscow's",
        "the kremlin",
        "kremlin",
        "putin",
        "putin's",
    ),
    "recognise": ("recogni*", "accept*", "acknowledg*", "legitimi*", "endors*", "cede", "ceding", "ceded"),
    "sanctions": (
        "sanctions",
        "sanction",
        "restrictions",
        "restrictive measures",
        "penalties",
        "asset freeze",
        "frozen (russian)? (central bank)? assets",
        "sanctions package",
        "sanctions regime",
    ),
    "lift": (
        "lift*",
        "ease",
        "eases",
        "eased",
        "easing",
        "relax*",
        "remov*",
        "drop*",
        "scrap*",
        "unfreez*",
        "releas*",
        "loosen*",
        "suspend*",
        "roll* back",
        "wind* down",
        "phase* out",
        "throw* out",
        "giv* up",
    ),
    "keep": (
        "keep*",
        "kept",
        "maintain*",
        "renew*",
        "extend*",
        "prolong*",
        "roll* over",
        "uphold*",
        "tighten*",
        "step* up",
        "adopt*",
        "impos*",
        "stay*",
        "remain*",
    ),
}

# Verbs of saying: "X said (that) ...", "..., X said". The speaker is the actor before the verb.
SPEECH_VERBS = words_re(
    r"said",
    r"says",
    r"say",
    r"told",
    r"tells",
    r"stated",
    r"stressed",
    r"stresses",
    r"warned",
    r"warns",
    r"added",
    r"adds",
    r"argued",
    r"argues",
    r"insisted",
    r"insists",
    r"noted",
    r"notes",
    r"claimed",
    r"claims",
    r"declared",
    r"declares",
    r"announced",
    r"announces",
    r"wrote",
    r"writes",
    r"tweeted",
    r"posted",
    r"reiterated",
    r"reiterates",
    r"repeated",
    r"repeats",
    r"reaffirmed",
    r"reaffirms",
    r"confirmed",
    r"confirms",
    r"explained",
    r"emphasi[sz]ed",
    r"underlined",
    r"underscored",
    r"acknowledged",
    r"conceded",
    r"suggested",
    r"suggests",
    r"reported",
    r"reports",
    r"quoted as saying",
    r"was quoted",
    r"were quoted",
    r"cited",
    r"describ(?:ed|es)",
    r"signall?ed",
    r"signals",
    r"indicated",
    r"hinted",
    r"predicted",
    r"expects",
    r"expected",
    r"believes",
    r"believed",
    r"thinks(?! tanks?)",
    r"speculated",
    r"hopes",
    r"hoped",
    r"expect",
    r"predict",
    r"predicts",
    r"believe",
    r"think(?! tanks?)",
    r"argue",
    r"warn",
    r"insist",
    r"claim",
    r"note",
    r"fear",
    r"fears",
    r"feared",
    r"stating",
    r"adding",
    r"saying",
    r"called(?! on| for| upon)",
    r"replied",
    r"replies",
    r"responded",
    r"responds",
    r"countered",
    r"retorted",
    r"answered",
    r"remarked",
    r"commented",
    r"vowed",
    r"vows",
    r"pledged",
    r"promised",
    r"assured",
    r"maintained",
    r"maintains",
    r"contended",
    r"asserted",
    r"observed",
    r"noting",
    r"stressing",
    r"warning",
    r"insisting",
    r"arguing",
)
ACCORDING_TO = re.compile(r"(?<![\w-])(?:according to|citing|in the words of)(?![\w-])")

# Inside a cue's gap ("sanctions [would not] be lifted"): the plain negators, which no cue needs to list.
INNER_NEGATORS = words_re(r"not", r"\w+n't", r"never", r"no longer", r"cannot")
# Before a cue, in its clause: each of these turns the cue's polarity over. Two cancel ("did not rule out").
NEGATORS = words_re(
    r"not",
    r"\w+n't",
    r"cannot",
    r"never",
    r"no",
    r"nor",
    r"neither",
    r"without",
    r"no longer",
    r"refus(?:e|es|ed|ing) to",
    r"reject(?:s|ed|ing)?",
    r"rebuff(?:s|ed|ing)?",
    r"(?:bill|law|act|measure|amendment|provision) barring",
    r"rul(?:e|es|ed|ing) out",
    r"warn(?:s|ed|ing)? against",
    r"(?:argued|argues|voted|votes|spoke|speaks|campaigned|came out|comes out|is|are|was|were) against",
    r"omit(?:s|ted|ting)?",
    r"drop(?:s|ped|ping)? (?:the |its |their )?(?:\w+ )?(?:line|pledge|reference|language|wording|commitment|phrase|words)",
    r"than (?:on|to|by|with)",
    r"oppos(?:e|es|ed|ing)",
    r"den(?:y|ies|ied)",
    r"dismiss(?:es|ed)?",
    r"stand(?:s|ing)? in the way(?: of)?",
    r"block(?:s|ed|ing)?",
    r"veto(?:es|ed)?",
    r"(?:a )?(?:serious |grave |big |huge |historic )?(?:mistake|error)",
    r"(?:would be|is|was|it's) wrong",
    r"(?:has|had|have|is|was|are|were) yet to",
    r"(?:far )?too (?:early|soon) to (?:conclude|say|judge|tell|speak of|talk of|call)",
    r"out of the question",
    r"unacceptable",
    r"inappropriate",
    r"premature",
    r"illegal",
    r"null and void",
    r"condemn(?:s|ed)?",
    r"critici[sz](?:e|es|ed|ing)",
    r"denounc(?:e|es|ed|ing)",
    r"deplor(?:e|es|ed|ing)",
    r"slam(?:s|med)?",
    r"(?<!the )question(?:s|ed)?(?! of)",  # "questioned the plan", not "the question of Crimea"
    r"doubt(?:s|ed)?",
    r"instead of",
    r"call(?:s|ed|ing)? off",
    r"cancel(?:s|led|ed|ling|ing)?",
    r"shelve(?:s|d)?",
    r"(?:hard|difficult|impossible) to (?:imagine|see|envisage|envision)",
    r"unthinkable",
    r"inconceivable",
    r"bar(?:s|red|ring)?(?= (?:\w+ ){0,4}from)",
    r"prohibit(?:s|ed|ing)?",
    r"forb(?:id|ids|ade|idding)",
    r"refusal to",
    r"rejection of",
    r"opposition to",
    r"exclud(?:e|es|ed|ing)",
    r"declin(?:e|es|ed|ing) to",
    r"refrain(?:s|ed|ing)? from",
    r"stop(?:s|ped|ping)? short of",
    r"(?:finished|done|through) with",
    r"hold(?:s|ing)? off(?: on)?",
    r"avoid(?:s|ed|ing)?",
    r"(?:stop|stops|stopped|stopping|cease|ceases|ceased|halt|halts|halted)(?= \w+ing)",
    r"rather than",
    r"no question of",
)
# Before a restatement, these say the holder stopped making it: "drafts drop the phrase 'illegal annexation'".
OMISSION = words_re(
    r"drop(?:s|ped|ping)? (?:the |its |their )?(?:\w+ )?(?:line|pledge|reference|language|wording|commitment|phrase|words)",
    r"omit(?:s|ted|ting)?",
    r"no longer (?:carr|contain|includ|us|mention|repeat|say|refer)\w*",
    r"declin(?:e|es|ed|ing) to (?:repeat|reaffirm)",
    r"remov(?:e|es|ed|ing) (?:the |its )?(?:\w+ )?(?:line|reference|phrase|wording|language|words)",
    r"(?:stop|stops|stopped) (?:saying|repeating|calling|describing)",
)
# "Russia's request for sanctions relief": what follows is the possessor's wish, not the speaker's position.
POSSESSED_WISH = re.compile(
    r"((?<![\w-])russian|[\w-]+'s?) (?:\w+ )?(?:request|requests|demand|demands|call|calls|push|bid|plea|wish|wishes|desire|insistence|"
    r"proposal|offer|hopes?|goal|aim)s? (?:for|to|that|of)\b"
    # "Washington's de jure recognition of Russian rule": the possessor's act
    r"|((?<![\w-])[\w-]+'s?) (?:de jure |de facto |formal |eventual |possible )?(?:recognition|acceptance|endorsement) of\b"
)
# After a cue, in its clause: evaluative predicates that oppose what the cue names.
_EVALUATIVE = (
    r"(?:not an option|out of the question|unacceptable|illegal|a red line|off the table|null and void|"
    r"not on the (?:agenda|cards|table)|not under (?:discussion|consideration)|not (?:being )?(?:considered|discussed)|"
    r"counterproductive|counter-productive|harmful|unhelpful|a bad idea|wrong|a gift to|rewarding|a reward for|"
    r"not (?:the|our|its|american|us|u\.s\.|eu|european|washington's|the bloc's|the union's) (?:position|policy)"
    r"(?: of [\w ]+)?|"
    r"betray|a betrayal|reward aggression|damage|undermine|not something (?:we|i|they|he|she) (?:are|is|will be|would be)? ?(?:going to|will|would) do|poison(?: the atmosphere)?|(?:as )?(?:empty|hollow|meaningless|worthless)|"
    r"(?:a )?(?:serious |grave |big |huge |historic )?(?:mistake|error))"
)
POST_NEGATORS = re.compile(
    r"^(?:[^.;:,]{0,40}?(?<![\w-])(?:is|was|are|were|would be|will be|remains?|stays?)\s+"
    + _EVALUATIVE
    + r"|\s+[\"']?(?:not on the (?:agenda|cards|table)|off the table|out of the question|not an option)"  # headline style
    + r"|[^.;:,]{0,40}?(?<![\w-])(?:would|will|could|might)\s+(?:betray|undermine|damage|poison|teach|embolden|"
    + r"encourage aggression|reward (?:aggression|russia|moscow|putin|the aggressor)|invite|set a (?:dangerous )?precedent|"
    + r"send the wrong (?:signal|message)))"
)
# "denied reports that ...", "dismissed speculation that ...": everything after it in the sentence is denied.
DENIAL = re.compile(
    r"(?<![\w-])(?:den(?:y|ies|ied|ying)|dismiss(?:es|ed|ing)?|reject(?:s|ed|ing)?|refut(?:e|es|ed|ing)|"
    r"rebuff(?:s|ed)?|shot down|played down|pour(?:s|ed)? cold water on)\s+(?:[\w\"']+\s+){0,6}?"
    r"(?:reports?|claims?|suggestions?|speculation|rumou?rs?|allegations?|accounts?|talk|ideas?)\b"
    # "called a newspaper report that Washington was preparing to ... false"
    r"|(?<![\w-])call(?:s|ed|ing)? (?:a |an |the |these |those )?(?:[\w-]+ ){0,2}?(?:reports?|claims?|stor(?:y|ies)|"
    r"suggestions?|speculation) that(?= [^.;]{1,160}[\s'\"](?:false|untrue|inaccurate|fake|baseless|nonsense|wrong|"
    r"fabricated|fiction|misleading)\b)"
)
# Openings: the holder considers, or no longer excludes, the cue. A hedged shift is graded 'hedge'.
HEDGES = words_re(
    r"could",
    r"may",
    r"might",
    r"consider(?:s|ed|ing)?",
    r"weigh(?:s|ed|ing)?",
    r"mull(?:s|ed|ing)?",
    r"explor(?:e|es|ed|ing)",
    r"evaluat(?:e|es|ed|ing)",
    r"discuss(?:es|ed|ing)?",
    r"open to",
    r"prepared to",
    r"ready to",
    r"willing to",
    r"would accept",
    r"possibility of",
    r"possible",
    r"may have to",
    r"signall?ed",
    r"in exchange for",
    r"as part of (?:a|any|an eventual|the) (?:deal|settlement|agreement)",
)
# Opening phrases that are hedges only under negation: "did not rule out", "would not stand in the way".
OPENING_UNDER_NEGATION = words_re(
    r"rul(?:e|es|ed|ing) out", r"stand in the way of", r"exclud(?:e|es|ed|ing)", r"block"
)
PARTIAL = words_re(
    r"de facto",
    r"partial(?:ly)?",
    r"phased",
    r"gradual(?:ly)?",
    r"first tranche",
    r"tranche",
    r"part of",
    r"some of",
    r"step[- ]by[- ]step",
    r"temporar(?:y|ily)",
)
# Where a clause ends, for the reach of negation and of the subject.
CLAUSE_BREAK = re.compile(
    r"[;:]|,\s|\s(?:but|while|whereas|although|though|(?<!has)(?<!had)(?<!have)(?<!is)(?<!was)(?<!are)(?<!were) yet|"
    r"however|and|as|because|since|after|before)\s"
)
STRONG_BREAK = re.compile(r"[;]|\s(?:but|while|whereas|although|though|by contrast)\s|,\s(?:and|but)\s")

# Restatements any stance understands: the holder says its position has not changed.
NO_CHANGE = words_re(
    r"no change['\"]? (?:in|to) (?:[\w'.]+ ){0,3}(?:position|policy|stance|line)",
    r"(?:position|policy|stance|line) (?:has not|hasn't|had not|did not|didn't|have not) (?:changed|moved|shifted)",
    r"(?:position|policy|stance|line) (?:remains|remained|is|was) (?:unchanged|the same|firm|clear)",
    r"not moved (?:an inch|one inch|a millimetre|one millimetre|a millimeter|one millimeter)",
    r"(?:policy|position|stance) (?:has|had) not changed",
    r"(?:position|policy|stance|line) (?:on [\w' ]{1,30} )?(?:has|had|have) not (?:moved|shifted|budged|changed)",
    r"nothing has changed",
    r"(?:remains|remain|stays|stay) unchanged",
    r"(?:that|this|it)(?: is|'s) not going to happen",
    r"(?:will not|won't) happen",
)
# A cue inside a question is not a position: "asked whether Washington was preparing to recognise ...".
QUESTION = re.compile(
    r"(?<![\w-])(?:asked|asking|ask|wondered|wondering|question(?:ed)? (?:of )?)\s+(?:[\w'-]+\s+){0,2}?(?:whether|if)\b"
    r"|(?<![\w-])asked by (?:[\w'-]+\s+){1,4}?(?:whether|if)\b"
    r"|(?<![\w-])(?:declin(?:e|es|ed|ing) to|would not|wouldn't|did not|didn't|refus(?:e|es|ed|ing) to) "
    r"(?:say|comment on|confirm|specify|detail|disclose) (?:whether|if)\b"
    r"|(?<![\w-])asked about\b|(?<![\w-])(?:asked|pressed|questioned) (?:on|over)\b"
    r"|(?<![\w-])(?:split|divided|unclear|unsure|undecided|doubt|wonder|wonders|wondering) (?:on |about )?whether\b"
)
# The answer to a question that opens the door: "Asked whether ..., an official said it could not be excluded".
OPEN_ANSWER = re.compile(
    r"(?<![\w-])(?:(?:not|n't|cannot|can't)\s+(?:be\s+)?(?:rul(?:e|es|ed)\s+(?:\w+\s+)?out|exclud(?:ed|es|e))|not impossible|"
    r"did not exclude|didn't exclude|(?:said|answered|replied) yes|not closed|door (?:is |was |remains |stays )?open|"
    r"nothing (?:can|could) be excluded|nothing is excluded|all options|everything (?:is|will be) (?:on the table|looked at)|"
    r"(?:never|not) meant to be permanent|(?:for|up to) (?:the |a )?(?:final |eventual |peace )?(?:settlement|negotiations|"
    r"talks|parties|deal) to (?:decide|determine|settle)|not prejudge|more ukrainian than (?:ukraine|the ukrainians)|"
    r"if (?:kyiv|ukraine|the ukrainians|ukrainians) (?:decides?|agrees?|accepts?|can live with)|"
    r"(?:we're|we are|we'll|we will) (?:going to )?(?:have to )?see\b|anything is possible|never say never|"
    r"(?:would|will) not be (?:the|an) obstacle|(?:would|will) have to be pragmatic)"
)
# The answer to a question that closes the door: 'Could the EU ever recognise Crimea? Kallas: "No. Never."'
CLOSED_ANSWER = re.compile(
    r"^[^.!]*?(?:\?|:)\s*(?:[^:]{0,40}:)?\s*['\"]?(?:no|never|not at all|out of the question)\b"
)
# Background, not a position: "Years before he became secretary of state, Rubio ...", "Back in 2014, ..."
BACKGROUND = re.compile(
    r"(?<![\w-])(?:(?:years|months) before (?:he|she|they|it) (?:became|took office|was)|as a senator|back in (?:19|20)\d\d|"
    r"(?:weeks|days|months|years) before (?:his|her|their|the) )"
)
# Somebody's earlier position, named as a thing: "a change from the High Representative's repeated charge that ...".
EARLIER_POSITION = re.compile(
    r"(?<![\w-])(?:[\w-]+'s?|its|his|her|their) (?:earlier|previous|repeated|past|long-standing|longstanding|"
    r"original|initial|old|usual|customary|former) (?:charges?|insistence|claims?|calls?|warnings?|demands?|"
    r"pledges?|line|view|assessment|accusations?|refrain|mantra|arguments?|position|stance|appeals?)(?![\w-])"
)
# "X urged Y to ...": what follows is asked of Y. For a stance about the holder's own acts it is not the holder's act.
REQUEST = re.compile(
    r"(?<![\w-])(?:urg(?:e|es|ed|ing)|ask(?:s|ed|ing)?|call(?:s|ed|ing)? on|press(?:es|ed|ing)?|"
    r"encourag(?:e|es|ed|ing)|want(?:s|ed)?|told|tell(?:s|ing)?|push(?:es|ed|ing)?|persuad(?:e|es|ed|ing)|"
    r"invit(?:e|es|ed|ing))\s+((?:[\w'.,-]+\s+){1,6}?)to\s"
)
