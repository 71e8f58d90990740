"""Deciding what a shift becomes (monitor.decide): pure, with an injected ``now`` and history built by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.decide import (
    Action,
    Decision,
    Policy,
    PriorAlert,
    Reason,
    Silence,
    Source,
    decide,
    same_story,
    similarity,
    tokens,
)

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
STANCE = "eu-crimea-nonrecognition"
POLICY = Policy(cooldown=timedelta(hours=6), story_window=timedelta(hours=48), story_similarity=0.5)
WIRE = "EU envoy says the bloc could accept Russian control over Crimea in a final settlement."
SYNDICATED = "The bloc could accept Russian control of Crimea in a final settlement, an EU envoy said."
OTHER_STORY = "Brussels is preparing to lift sanctions on Russian banks if a ceasefire holds."


def source(
    sid: str, sentence: str = WIRE, grade: str = "hedge", link: str = "", seen: datetime = NOW
) -> Source:
    return Source(
        source_id=sid,
        feed=f"feed {sid}",
        title=sentence,
        link=link or f"https://example.org/{sid}",
        sentence=sentence,
        speaker="EU envoy",
        grade=grade,
        published=None,
        first_seen=seen,
    )


def prior(
    alert_id: str, *sources: Source, ago: timedelta, status: str = "raised", grade: str = "hedge"
) -> PriorAlert:
    return PriorAlert(
        alert_id=alert_id,
        grade=grade,
        created_at=NOW - ago,
        status=status,
        sources=sources or (source(alert_id, seen=NOW - ago),),
    )


def run(
    candidate: Source, *history: PriorAlert, silences: tuple[Silence, ...] = (), now: datetime = NOW
) -> Decision:
    return decide(candidate, STANCE, history, silences, POLICY, now)


# -- similarity -----------------------------------------------------------------------------------------


def test_tokens_drop_case_stop_words_possessives_and_punctuation() -> None:
    assert tokens("The EU's envoy said: Crimea, “the peninsula”, is Ukraine’s!") == {
        "eu",
        "envoy",
        "crimea",
        "peninsula",
        "ukraine",
    }


def test_syndicated_rewording_is_similar_and_another_story_is_not() -> None:
    assert similarity(WIRE, WIRE) == 1.0
    assert similarity(WIRE, SYNDICATED) >= 0.7
    assert similarity(WIRE, OTHER_STORY) < 0.2
    assert similarity("", "") == 0.0


def test_a_headline_matches_a_body_sentence_of_the_same_story() -> None:
    headline = source("wire", "EU envoy: bloc could accept Russian control over Crimea")
    body = replace(
        source("daily", SYNDICATED + " Kyiv was not consulted, officials in three capitals said on Monday."),
        title="Bloc could accept Russian control of Crimea, envoy says",
    )
    assert similarity(headline.sentence, body.sentence) < 0.5  # the sentences alone differ too much ...
    assert same_story(body, [headline], 0.5)  # ... but the titles (and headline vs. title) agree


def test_the_same_link_is_the_same_story_whatever_the_wording() -> None:
    known = source("a", link="https://example.org/story")
    assert same_story(source("b", OTHER_STORY, link="https://example.org/story"), [known], 0.9)
    assert not same_story(source("c", OTHER_STORY), [known], 0.5)


# -- the decision -----------------------------------------------------------------------------------------


def test_first_shift_on_a_quiet_stance_is_raised() -> None:
    decision = run(source("new"))
    assert decision == Decision(Reason.FIRST_SHIFT)
    assert decision.action is Action.RAISE


def test_the_same_source_again_is_already_recorded_even_after_the_window() -> None:
    old = prior("old", source("old"), source("dup"), ago=timedelta(days=30))
    decision = run(source("dup"), old)
    assert decision.reason is Reason.ALREADY_RECORDED and decision.action is Action.SKIP
    assert decision.alert_id == "old"
    assert run(source("old"), old).reason is Reason.ALREADY_RECORDED  # the alert's own first item


def test_a_syndicated_copy_attaches_to_the_story_as_another_source() -> None:
    story = prior("story", ago=timedelta(hours=1))
    decision = run(source("copy", SYNDICATED), story)
    assert decision.reason is Reason.SAME_STORY and decision.action is Action.ATTACH
    assert decision.alert_id == "story"
    assert "source 2 of alert story" in decision.detail


def test_a_story_seen_through_any_of_its_sources_matches() -> None:
    story = prior("story", source("story", OTHER_STORY), source("s2", WIRE), ago=timedelta(hours=2))
    assert run(source("s3", SYNDICATED), story).alert_id == "story"


def test_the_story_window_bounds_attaching() -> None:
    story = prior("story", ago=POLICY.story_window + timedelta(minutes=1))
    assert run(source("late", SYNDICATED), story).reason is Reason.FIRST_SHIFT


def test_the_similarity_threshold_is_the_configured_one() -> None:
    story = prior("story", ago=timedelta(hours=1))
    candidate = source("copy", "EU envoy: bloc could accept Russian control over Crimea.")
    assert similarity(candidate.sentence, WIRE) == pytest.approx(7 / 9)  # no "final settlement"
    strict = replace(POLICY, story_similarity=0.8)
    assert decide(candidate, STANCE, [story], [], strict, NOW).reason is Reason.COOLDOWN
    assert decide(candidate, STANCE, [story], [], POLICY, NOW).reason is Reason.SAME_STORY


def test_another_story_within_the_cooldown_is_suppressed() -> None:
    earlier = prior("earlier", ago=timedelta(hours=2))
    decision = run(source("other", OTHER_STORY), earlier)
    assert decision.reason is Reason.COOLDOWN and decision.action is Action.SUPPRESS
    assert decision.alert_id == "earlier"
    assert "raised 2h ago" in decision.detail and "cooldown 6h" in decision.detail


def test_after_the_cooldown_another_story_is_raised() -> None:
    earlier = prior("earlier", ago=POLICY.cooldown + timedelta(seconds=1))
    assert run(source("other", OTHER_STORY), earlier).reason is Reason.FIRST_SHIFT


@pytest.mark.parametrize(
    ("before", "now", "reason"),
    [
        ("hedge", "partial", Reason.GRADE_ROSE),
        ("hedge", "reversal", Reason.GRADE_ROSE),
        ("partial", "reversal", Reason.GRADE_ROSE),
        ("partial", "partial", Reason.COOLDOWN),
        ("reversal", "hedge", Reason.COOLDOWN),
    ],
)
def test_a_rising_grade_breaks_the_cooldown(before: str, now: str, reason: Reason) -> None:
    earlier = prior("earlier", source("earlier", grade=before), ago=timedelta(hours=1), grade=before)
    decision = run(source("next", OTHER_STORY, grade=now), earlier)
    assert decision.reason is reason
    if reason is Reason.GRADE_ROSE:
        assert decision.detail.startswith(f"{before} -> {now}")


def test_a_stronger_report_of_the_same_story_is_raised_not_attached() -> None:
    story = prior("story", ago=timedelta(hours=1))
    stronger = source("stronger", SYNDICATED, grade="reversal")
    assert run(stronger, story).reason is Reason.GRADE_ROSE


def test_the_cooldown_compares_with_the_highest_grade_raised() -> None:
    history = (
        prior("rev", source("rev", OTHER_STORY, grade="reversal"), ago=timedelta(hours=3), grade="reversal"),
        prior("hedge", source("hedge", "Something else entirely about sanctions."), ago=timedelta(hours=1)),
    )
    decision = run(source("partial", "A third statement on recognition.", grade="partial"), *history)
    assert decision.reason is Reason.COOLDOWN and decision.alert_id == "rev"


def test_suppressed_alerts_do_not_start_a_cooldown_but_still_gather_their_story() -> None:
    quiet = prior("quiet", ago=timedelta(hours=1), status="suppressed")
    assert run(source("other", OTHER_STORY), quiet).reason is Reason.FIRST_SHIFT
    attached = run(source("copy", SYNDICATED), quiet)
    assert attached.reason is Reason.SAME_STORY and attached.alert_id == "quiet"


def silence(
    sid: int, stance: str = STANCE, *, ends: timedelta = timedelta(days=2), removed: bool = False
) -> Silence:
    return Silence(
        silence_id=sid,
        stance_id=stance,
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + ends,
        reason="peace talks week",
        created_at=NOW - timedelta(hours=1),
        removed_at=NOW if removed else None,
    )


def test_a_silence_suppresses_with_its_id_and_reason() -> None:
    decision = run(source("new"), silences=(silence(7),))
    assert decision.reason is Reason.SILENCED and decision.action is Action.SUPPRESS
    assert decision.silence_id == 7
    assert decision.detail == "silence 7 until 2026-11-05 12:00 UTC: peace talks week"


@pytest.mark.parametrize(
    "covering",
    [
        pytest.param(silence(1, "another-stance"), id="other stance"),
        pytest.param(silence(2, ends=timedelta(seconds=-1)), id="ended"),
        pytest.param(silence(3, removed=True), id="removed"),
    ],
)
def test_silences_that_do_not_cover_the_shift_do_nothing(covering: Silence) -> None:
    assert run(source("new"), silences=(covering,)).reason is Reason.FIRST_SHIFT


def test_a_silence_on_every_stance_covers_this_one() -> None:
    assert run(source("new"), silences=(silence(4, "*"),)).reason is Reason.SILENCED


def test_a_silence_starting_later_does_not_cover_now() -> None:
    later = replace(silence(5), starts_at=NOW + timedelta(hours=1))
    assert run(source("new"), silences=(later,)).reason is Reason.FIRST_SHIFT


def test_attaching_beats_a_silence_so_a_story_keeps_every_source() -> None:
    story = prior("story", ago=timedelta(hours=1))
    assert run(source("copy", SYNDICATED), story, silences=(silence(9),)).reason is Reason.SAME_STORY


def test_the_clock_is_the_injected_one() -> None:
    earlier = prior("earlier", ago=timedelta(hours=2))
    eight_hours_later = NOW + timedelta(hours=6)  # the alert is now 8 h old: past the cooldown
    assert run(source("other", OTHER_STORY), earlier, now=eight_hours_later).reason is Reason.FIRST_SHIFT


def test_reasons_have_text_for_people() -> None:
    for reason in Reason:
        assert reason.text and reason.action in Action
