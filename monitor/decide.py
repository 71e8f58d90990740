"""Decide what a shift becomes: a new alert, one more source of a story, or a suppressed record. Pure.

``decide(candidate, history, silences, policy, now) -> Decision`` takes the shift as a ``Source``, the stance's
recent alerts (``PriorAlert``, each with its sources), the silences and ``now``; it touches no clock, database
or network. The checks, in order, each with the ``Reason`` that logs, ``stance-monitor alerts`` and templates
show:

1. ``already-recorded``: this very source (feed, item, stance) already belongs to an alert: a re-poll, a
   restart or an edited item. Nothing to do.
2. ``same-story``: an alert on the stance, created within ``story_window``, says the same thing: one of its
   sources has the same link, or the token-set Jaccard similarity (lower-cased words without stop words) of
   the evidence sentences, or of a sentence and a title, or of the titles, reaches ``story_similarity``;
   and the candidate's grade is not higher. The
   candidate attaches to that alert as another source; nobody gets a new message.
3. ``silenced``: an active silence covers the stance. Recorded as suppressed, not sent.
4. ``cooldown``: an alert on the stance was raised within ``cooldown`` and the candidate's grade is not
   higher than the highest raised there. Recorded as suppressed. ``grade-rose``: it is higher, so it is raised.
5. ``first-shift``: nothing recent on the stance: raised.

Grades rank hedge < partial < reversal (an unknown grade counts as a reversal, so it is never held back).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from monitor.models import Source

GRADE_RANK = {"hedge": 1, "partial": 2, "reversal": 3}
ALL_STANCES = "*"  # a silence on every stance

DEFAULT_COOLDOWN = timedelta(hours=6)
DEFAULT_STORY_WINDOW = timedelta(hours=48)
DEFAULT_STORY_SIMILARITY = 0.5


class Action(StrEnum):
    RAISE = "raise"  # a new alert, sent to its channels
    ATTACH = "attach"  # another source of an existing alert; no new message
    SUPPRESS = "suppress"  # recorded and visible, never sent
    SKIP = "skip"  # already recorded: nothing to write


class Reason(StrEnum):
    FIRST_SHIFT = "first-shift"
    GRADE_ROSE = "grade-rose"
    SAME_STORY = "same-story"
    SILENCED = "silenced"
    COOLDOWN = "cooldown"
    ALREADY_RECORDED = "already-recorded"

    @property
    def action(self) -> Action:
        return _ACTION[self]

    @property
    def text(self) -> str:
        return REASON_TEXT[self]


_ACTION = {
    Reason.FIRST_SHIFT: Action.RAISE,
    Reason.GRADE_ROSE: Action.RAISE,
    Reason.SAME_STORY: Action.ATTACH,
    Reason.SILENCED: Action.SUPPRESS,
    Reason.COOLDOWN: Action.SUPPRESS,
    Reason.ALREADY_RECORDED: Action.SKIP,
}
REASON_TEXT = {
    Reason.FIRST_SHIFT: "a new shift: no alert on this stance within the cooldown",
    Reason.GRADE_ROSE: "the shift grew stronger than the last alert on this stance",
    Reason.SAME_STORY: "another source for a story already alerted",
    Reason.SILENCED: "suppressed: the stance is silenced",
    Reason.COOLDOWN: "suppressed: an alert on this stance was raised recently",
    Reason.ALREADY_RECORDED: "this source is already recorded",
}


@dataclass(frozen=True)
class PriorAlert:
    """An alert already recorded on the stance, with every source of its story."""

    alert_id: str
    grade: str
    created_at: datetime
    status: str  # "raised" or "suppressed"
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Silence:
    """A stance (or every stance, ``*``) silenced from ``starts_at`` until ``ends_at``."""

    silence_id: int
    stance_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_at: datetime
    removed_at: datetime | None = None

    def covers(self, stance_id: str, now: datetime) -> bool:
        return (
            self.removed_at is None
            and self.starts_at <= now < self.ends_at
            and self.stance_id in (stance_id, ALL_STANCES)
        )


@dataclass(frozen=True)
class Policy:
    cooldown: timedelta = DEFAULT_COOLDOWN
    story_window: timedelta = DEFAULT_STORY_WINDOW
    story_similarity: float = DEFAULT_STORY_SIMILARITY

    @property
    def lookback(self) -> timedelta:
        """How far back the history passed to ``decide`` must reach."""
        return max(self.cooldown, self.story_window)


@dataclass(frozen=True)
class Decision:
    reason: Reason
    alert_id: str | None = None  # the story attached to, or the alert that set the cooldown
    silence_id: int | None = None
    detail: str = ""  # one line for people: which alert, which silence, how long ago

    @property
    def action(self) -> Action:
        return self.reason.action


# -- similarity ------------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
_POSSESSIVE = re.compile(r"'s\b")
_STOPWORDS = """a an the of to in on at for by with from into over about as and or but nor so if than then that
this these those it its is are was were be been being has have had do does did will would shall should can
could may might must not no said says say saying told tells according also their there they them he she his
her we our you your me my who whom which what when where while after before since until amid during per via"""
STOPWORDS = frozenset(_STOPWORDS.split())


def tokens(text: str) -> frozenset[str]:
    """The comparable words of a sentence: lower-case, without possessive 's, stop words or single letters."""
    text = _POSSESSIVE.sub("", text.lower().replace("\u2019", "'"))
    return frozenset(w for w in _WORD.findall(text) if len(w) > 1 and w not in STOPWORDS)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def similarity(a: str, b: str) -> float:
    """Token-set Jaccard similarity of two sentences, 0.0-1.0."""
    return jaccard(tokens(a), tokens(b))


def same_story(candidate: Source, sources: Iterable[Source], threshold: float) -> bool:
    """Whether ``candidate`` reports what one of ``sources`` reports: the same link, or similar wording.

    Wording is compared pairwise between the evidence sentence and the title of each side (the shift may
    be in one outlet's headline and in another's body): the best Jaccard similarity must reach ``threshold``.
    """
    mine = [t for t in (tokens(candidate.sentence), tokens(candidate.title)) if t]
    for source in sources:
        if candidate.link and source.link == candidate.link:
            return True
        theirs = [t for t in (tokens(source.sentence), tokens(source.title)) if t]
        if any(jaccard(a, b) >= threshold for a in mine for b in theirs):
            return True
    return False


# -- the decision ----------------------------------------------------------------------------------------


def rank(grade: str) -> int:
    return GRADE_RANK.get(grade.lower(), GRADE_RANK["reversal"])


def decide(
    candidate: Source,
    stance_id: str,
    history: Sequence[PriorAlert],
    silences: Sequence[Silence],
    policy: Policy,
    now: datetime,
) -> Decision:
    """What ``candidate`` (a shift on ``stance_id``) becomes, given the stance's recent alerts. See the module doc."""
    newest_first = sorted(history, key=lambda p: p.created_at, reverse=True)
    for prior in newest_first:
        if prior.alert_id == candidate.source_id or any(
            s.source_id == candidate.source_id for s in prior.sources
        ):
            return Decision(
                Reason.ALREADY_RECORDED, alert_id=prior.alert_id, detail=f"in alert {prior.alert_id}"
            )
    for prior in newest_first:
        if prior.created_at < now - policy.story_window or rank(candidate.grade) > rank(prior.grade):
            continue
        if same_story(candidate, prior.sources, policy.story_similarity):
            count = len(prior.sources) + 1
            detail = (
                f"source {count} of alert {prior.alert_id} ({prior.status} {_ago(now - prior.created_at)})"
            )
            return Decision(Reason.SAME_STORY, alert_id=prior.alert_id, detail=detail)
    for silence in silences:
        if silence.covers(stance_id, now):
            until = silence.ends_at.strftime("%Y-%m-%d %H:%M UTC")
            why = f": {silence.reason}" if silence.reason else ""
            return Decision(
                Reason.SILENCED,
                silence_id=silence.silence_id,
                detail=f"silence {silence.silence_id} until {until}{why}",
            )
    recent = [p for p in newest_first if p.status == "raised" and p.created_at > now - policy.cooldown]
    if recent:
        top = max(recent, key=lambda p: (rank(p.grade), p.created_at))
        if rank(candidate.grade) > rank(top.grade):
            detail = (
                f"{top.grade} -> {candidate.grade} since alert {top.alert_id} ({_ago(now - top.created_at)})"
            )
            return Decision(Reason.GRADE_ROSE, alert_id=top.alert_id, detail=detail)
        detail = (
            f"alert {top.alert_id} ({top.grade}) raised {_ago(now - top.created_at)}; "
            f"cooldown {_span(policy.cooldown)}"
        )
        return Decision(Reason.COOLDOWN, alert_id=top.alert_id, detail=detail)
    return Decision(Reason.FIRST_SHIFT)


def _span(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return "".join(parts) or "0m"


def _ago(delta: timedelta) -> str:
    return "just now" if delta < timedelta(minutes=1) else f"{_span(delta)} ago"
