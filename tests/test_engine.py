"""The stance engine on sentences written for these tests: negation, hedges, attribution, title + body."""

from __future__ import annotations

import pytest

from monitor.engine import Engine
from monitor.models import FeedItem

CRIMEA = "eu-crimea-nonrecognition"
SANCTIONS = "eu-sanctions-until-compliance"
US_CRIMEA = "us-crimea-nonrecognition"


def verdict(engine: Engine, stance: str, text: str, title: str = "", voice: str | None = None):  # type: ignore[no-untyped-def]
    return engine.judge_all(FeedItem(key="t", title=title, text=text, voice=voice))[stance]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Kallas said the bloc will never recognise the peninsula as Russian.", "hold"),
        ("The EU's top diplomat said no member of the bloc would accept Crimea as Russian.", "hold"),
        (
            "Kallas did not rule out that the bloc would recognise Crimea as Russian.",
            "shift",
        ),  # double negative
        ("The Commission now recognises Crimea as Russian territory.", "shift"),
        (
            "Kallas said it would be a grave mistake to accept Crimea as Russian.",
            "hold",
        ),  # evaluative negation
        (
            "Recognising Crimea as Russian is not an option, the EU's top diplomat said.",
            "hold",
        ),  # after the cue
    ],
)
def test_negation_and_its_scope(shipped_engine: Engine, text: str, label: str) -> None:
    assert verdict(shipped_engine, CRIMEA, text).label == label


@pytest.mark.parametrize(
    "text",
    [
        "Kallas warned against recognising Crimea as Russian.",
        "EU foreign ministers rejected calls to recognise Crimea as part of Russia.",
        "Brussels ruled out recognising Russia's claim to Crimea.",
    ],
)
def test_reported_opposition_is_a_restatement(shipped_engine: Engine, text: str) -> None:
    assert verdict(shipped_engine, CRIMEA, text).label == "hold"


@pytest.mark.parametrize(
    "text",
    [
        "An EU official said the bloc could accept Crimea as Russian in a final deal.",
        "The Commission is considering recognising Russian control over Crimea.",
        "Brussels is now open to recognising Crimea as Russian.",
        "The EU no longer rules out recognising Crimea as Russian.",
    ],
)
def test_hedges_are_shifts_graded_hedge(shipped_engine: Engine, text: str) -> None:
    v = verdict(shipped_engine, CRIMEA, text)
    assert (v.label, v.grade) == ("shift", "hedge")
    assert v.score < 0.9  # a hedge is less certain than a reversal


def test_partial_grade(shipped_engine: Engine) -> None:
    v = verdict(
        shipped_engine,
        SANCTIONS,
        "EU ambassadors agreed to release a first tranche of frozen Russian assets.",
    )
    assert (v.label, v.grade) == ("shift", "partial")


@pytest.mark.parametrize(
    "text",
    [
        "Orban says the EU should recognise Crimea as Russian.",
        "Moscow says Europe will have to accept Crimea as Russian.",
        "Analysts say the EU could eventually recognise Crimea as Russian.",
        "Slovakia's Fico urged the EU to recognise Crimea as Russian.",
        "Russia annexed Crimea in 2014.",
    ],
)
def test_other_actors_and_background_are_none(shipped_engine: Engine, text: str) -> None:
    assert verdict(shipped_engine, CRIMEA, text).label == "none"


def test_speaker_after_the_quote(shipped_engine: Engine) -> None:
    v = verdict(shipped_engine, CRIMEA, '"We could accept Crimea as Russian," Kallas said.')
    assert v.label == "shift"
    assert "kallas" in v.evidence[0].speaker


def test_pronoun_takes_the_previous_speaker(shipped_engine: Engine) -> None:
    text = "Kallas spoke in Brussels on Monday. She said the EU could accept Crimea as Russian."
    assert verdict(shipped_engine, CRIMEA, text).label == "shift"
    text = "Orban spoke in Budapest on Monday. He said the EU could accept Crimea as Russian."
    assert verdict(shipped_engine, CRIMEA, text).label == "none"


def test_news_outlets_relay_the_subject(shipped_engine: Engine) -> None:
    v = verdict(
        shipped_engine,
        US_CRIMEA,
        "Bloomberg reported the US is prepared to recognise Russian control of Crimea.",
    )
    assert v.label == "shift"
    assert v.evidence[0].speaker.startswith("the us")


def test_look_alikes_are_not_the_holder(shipped_engine: Engine) -> None:
    text = "The US House passed a bill saying Washington should recognise Crimea as Russian."
    assert verdict(shipped_engine, US_CRIMEA, text).label == "none"


def test_title_and_body_are_one_item(shipped_engine: Engine) -> None:
    v = verdict(
        shipped_engine,
        CRIMEA,
        "She spoke after meeting ministers.",
        title="Kallas: the EU could accept Crimea as Russian",
    )
    assert v.label == "shift"


def test_feed_voice_speaks_for_the_holder(shipped_engine: Engine) -> None:
    text = "Recognition of Russian sovereignty over Crimea could be discussed in a final settlement."
    assert verdict(shipped_engine, CRIMEA, text).label == "none"
    assert verdict(shipped_engine, CRIMEA, text, voice="EU").label == "shift"


def test_shift_wins_over_hold_in_one_item(shipped_engine: Engine) -> None:
    text = "Kallas said Crimea is Ukraine. A week later she said the bloc could accept Crimea as Russian."
    assert verdict(shipped_engine, CRIMEA, text).label == "shift"


def test_evidence_names_the_sentence_spans_and_reason(shipped_engine: Engine) -> None:
    v = verdict(
        shipped_engine, CRIMEA, "Other news first. Kallas said the bloc could accept Crimea as Russian."
    )
    ev = v.evidence[0]
    assert ev.sentence == "Kallas said the bloc could accept Crimea as Russian."
    span = ev.spans[0]
    assert ev.sentence[span.start : span.end] == span.text == "accept Crimea as Russian"
    assert "hedged" in v.reason and "kallas" in v.reason
    assert any("could" in step for step in v.trace)


def test_off_topic_items_are_not_routed(shipped_engine: Engine) -> None:
    item = FeedItem(key="x", title="Local football results", text="The home side won 2-0 on Saturday.")
    assert shipped_engine.judge(item) == []


def test_second_stage_sees_and_may_change_every_verdict(shipped_engine: Engine) -> None:
    from dataclasses import replace

    from monitor.engine import Engine as E

    seen = []

    def downgrade(item, stance, v):  # type: ignore[no-untyped-def]
        seen.append(v.stance_id)
        return replace(v, label="none", grade=None) if v.label == "shift" else v

    engine = E(shipped_engine.stances, second_stage=downgrade)
    v = engine.judge_all(FeedItem(key="x", title="", text="The Commission recognises Crimea as Russian."))[
        CRIMEA
    ]
    assert v.label == "none" and CRIMEA in seen


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # a denial governs its clause
        (
            "A State Department spokesman denied reports that Washington would recognise Crimea as Russian.",
            "hold",
        ),
        # a question is not a position, unless the answer opens the door
        (
            "Asked whether Washington might recognise Crimea as Russian, the spokesman declined to comment.",
            "none",
        ),
        (
            "Asked whether Washington might recognise Crimea as Russian, a US official said it could not be excluded.",
            "shift",
        ),
        # former officials and Congress do not speak for the administration
        ("Former secretary of state Mike Pompeo said the US should recognise Crimea as Russian.", "none"),
        ("Senators said the US should recognise Crimea as Russian.", "none"),
        # somebody the engine does not know is still somebody else
        (
            "Historian Anne Wells argues that Washington will recognise Crimea as Russian within a year.",
            "none",
        ),
    ],
)
def test_denials_questions_and_who_speaks(shipped_engine: Engine, text: str, label: str) -> None:
    assert verdict(shipped_engine, US_CRIMEA, text).label == label


def test_a_quote_belongs_to_whoever_is_named_after_it(shipped_engine: Engine) -> None:
    text = '"Europe may one day have to accept Crimea as Russian," the EU\'s top diplomat said.'
    assert verdict(shipped_engine, CRIMEA, text).label == "shift"
    text = '"Europe may one day have to accept Crimea as Russian," Hungary\'s foreign minister said.'
    assert verdict(shipped_engine, CRIMEA, text).label == "none"


def test_no_change_in_position_restates_next_to_a_cue(shipped_engine: Engine) -> None:
    text = "Kallas said there was no change in the bloc's position. Crimea is Ukraine, she added."
    assert verdict(shipped_engine, CRIMEA, text).label == "hold"


def test_a_request_to_another_actor_is_not_the_holders_own_act(shipped_engine: Engine) -> None:
    # The Commission asks Washington to lift *its* measures: not the EU easing its own sanctions.
    text = "The Commission urged Washington to lift its tariffs on Russian fertiliser."
    assert verdict(shipped_engine, SANCTIONS, text).label == "none"


def test_sanctions_on_other_targets_are_off_topic(shipped_engine: Engine) -> None:
    assert (
        verdict(shipped_engine, SANCTIONS, "EU foreign ministers agreed to lift sanctions on Syria.").label
        == "none"
    )
    text = "EU foreign ministers agreed to lift sanctions on Russian banks."
    assert verdict(shipped_engine, SANCTIONS, text).label == "shift"


def test_a_fronted_background_clause_is_not_a_position(shipped_engine: Engine) -> None:
    text = "After the Council recognised Crimea as Russian in a draft, Kallas said the draft was withdrawn."
    assert verdict(shipped_engine, CRIMEA, text).label == "none"


@pytest.mark.parametrize(
    ("stance", "title", "text", "label"),
    [
        # a thing that "suggests" or "tells" is not a speaker: the EU official after the quote is
        (
            "eu-russia-bad-faith",
            "",
            "Moscow's refusal to send its negotiators tells you Russia is not serious about peace, Kallas said.",
            "hold",
        ),
        # ... and a saying whose subject is "nothing" negates what it says
        (
            "eu-russia-bad-faith",
            "",
            "An EU spokesman said nothing in Moscow's behaviour suggested it was ready for peace.",
            "hold",
        ),
        # "the EU's chief foreign affairs spokesperson": the possessive holder names the role
        (
            "eu-russia-bad-faith",
            "",
            "The EU's chief foreign affairs spokesperson said Russia was now negotiating in good faith.",
            "shift",
        ),
        # somebody's earlier position, named as a thing, is background
        (
            SANCTIONS,
            "",
            "The tone marked a break with the bloc's repeated insistence that sanctions stay until Russia withdraws.",
            "none",
        ),
        # a candidate does not speak for the administration, nor does the House
        (
            US_CRIMEA,
            "",
            "Republican nominee Donald Trump said he might recognise Crimea as Russian if elected.",
            "none",
        ),
        (
            US_CRIMEA,
            "House passes bill barring US recognition of Crimea annexation",
            "The vote was 400 to 20.",
            "none",
        ),
        # "the ministers" refers back to the speaker of the sentence before
        (
            CRIMEA,
            "",
            "EU foreign ministers met in Luxembourg. Afterwards the ministers said they would accept Crimea as Russian.",
            "shift",
        ),
        # a move made only on the baseline's own condition restates it
        (
            SANCTIONS,
            "",
            "A Commission spokesman said lifting sanctions was conceivable, but only once Russia complies with a peace deal.",
            "hold",
        ),
        # a fronted "years after the annexation," is background only for what it holds
        (
            CRIMEA,
            "",
            "Ten years after the annexation of Crimea, the European Union says it does not and will not recognise it.",
            "hold",
        ),
    ],
)
def test_speakers_things_and_conditions(
    shipped_engine: Engine, stance: str, title: str, text: str, label: str
) -> None:
    assert verdict(shipped_engine, stance, text, title=title).label == label


@pytest.mark.parametrize(
    ("stance", "text", "label"),
    [
        # a negator inside a cue's gap negates it: "sanctions [would not] be lifted" is a restatement
        (SANCTIONS, "Kallas said sanctions on Russia would not be lifted.", "hold"),
        (SANCTIONS, "Kallas said sanctions on Russia would be lifted.", "shift"),
        # a negated noun phrase closed by its comma does not reach the cue after it
        (
            "eu-urges-us-pressure",
            "Kallas said the pressure belongs on Moscow and not on Kyiv, urging Washington to point its leverage at Moscow.",
            "hold",
        ),
        # declining to say whether is not an answer either way
        (
            US_CRIMEA,
            "The White House press secretary declined to say whether Crimea is on the table.",
            "none",
        ),
        # another country's ambassador posted in the holder's capital is not the holder
        (
            US_CRIMEA,
            "Russia's ambassador in Washington said the US should accept Crimea as part of Russia.",
            "none",
        ),
    ],
)
def test_negation_inside_cues_contrasts_and_non_answers(
    shipped_engine: Engine, stance: str, text: str, label: str
) -> None:
    assert verdict(shipped_engine, stance, text).label == label


@pytest.mark.parametrize(
    ("stance", "title", "text", "label"),
    [
        # a person the item calls a nominee or a former official does not speak for the holder anywhere in it
        (
            US_CRIMEA,
            "Trump says he would look at recognising Crimea as Russian",
            "Republican nominee Donald Trump told a news conference that he would be looking at it.",
            "none",
        ),
        # "an analyst at the European Council on Foreign Relations" is an analyst, not the European Council
        (
            SANCTIONS,
            "",
            "The EU may have to ease its sanctions on Russia, an analyst at a Brussels think tank wrote.",
            "none",
        ),
        # what others press the holder to do is not the holder's move
        (
            SANCTIONS,
            "",
            "Kallas said the EU could come under heavy pressure from Washington to ease sanctions on Russia.",
            "none",
        ),
        # "she" after "Kallas told reporters" is Kallas, whoever spoke in the sentence before
        (
            "eu-urges-us-pressure",
            "",
            "Peskov called the bill blackmail. Kallas told reporters she hoped Washington would use its tools to pressure Moscow.",
            "hold",
        ),
        # "wanted the agreements to ..." asks nothing of anybody: the holder's own view stands
        (
            "eu-russia-bad-faith",
            "",
            "Kallas said she was convinced Russia genuinely wanted the agreements to succeed and was acting in good faith.",
            "shift",
        ),
    ],
)
def test_rank_analysts_pressure_and_pronouns(
    shipped_engine: Engine, stance: str, title: str, text: str, label: str
) -> None:
    assert verdict(shipped_engine, stance, text, title=title).label == label


@pytest.mark.parametrize(
    ("stance", "text", "label"),
    [
        # a background sentence about a country does not take over "she"
        (
            SANCTIONS,
            "Kallas spoke after the meeting. Russia seized the peninsula in 2014. She said the bloc could ease some sanctions on Russia at a ceasefire.",
            "shift",
        ),
        # "called a report that ... false" denies what the report says
        (
            US_CRIMEA,
            "The White House press secretary called a report that Washington would recognise Crimea as Russian false.",
            "hold",
        ),
        # "the question of Crimea" is a noun, not "questioned": the double negative after it still opens the door
        (
            US_CRIMEA,
            "The US envoy said the question of Crimea was on the table and that Washington would not rule out recognising it as Russian.",
            "shift",
        ),
        # "has yet to show any real will" negates the will
        ("eu-russia-bad-faith", "Costa said Moscow had yet to show any real will to end the war.", "hold"),
        # former diplomats speculate; they do not relay the administration's words
        (
            US_CRIMEA,
            "Several former diplomats say the administration is likely to offer Moscow recognition of Crimea.",
            "none",
        ),
        # a sentence about Russia that also names China is still about Russia
        (
            "us-peace-engagement",
            "Trump said he was ready to impose major sanctions on Russia and urged tariffs on China.",
            "hold",
        ),
    ],
)
def test_pronouns_denials_and_off_topic_sentences(
    shipped_engine: Engine, stance: str, text: str, label: str
) -> None:
    assert verdict(shipped_engine, stance, text).label == label


def test_the_speaker_after_the_clause_is_the_sentences_speaker(shipped_engine: Engine) -> None:
    """'The United States has the power ..., the EU's top diplomat said. She said ...': she is the diplomat."""
    text = (
        "The United States has the power to make Russia negotiate, the EU's top diplomat said on Sunday. "
        "She said Moscow had no intention of ending the war."
    )
    assert verdict(shipped_engine, "eu-russia-bad-faith", text).label == "hold"


def test_a_negator_that_looks_ahead_into_the_cue_still_negates_it(shipped_engine: Engine) -> None:
    """'stop' negates only before a verb in -ing, which is the cue itself: 'would stop sending envoys'."""
    text = "Vance said the administration would stop sending envoys to broker talks between Moscow and Kyiv."
    assert verdict(shipped_engine, "us-peace-engagement", text).label == "shift"
    text = "Vance said the administration would keep sending envoys to broker talks between Moscow and Kyiv."
    assert verdict(shipped_engine, "us-peace-engagement", text).label == "hold"


@pytest.mark.parametrize(
    ("stance", "text", "label"),
    [
        # "a senior fellow at a Washington think tank" is the fellow, not Washington
        (
            "us-peace-engagement",
            "The United States appears to be quietly disengaging from Ukraine diplomacy, a senior fellow at a Washington think tank wrote.",
            "none",
        ),
        # "would not stand in the way" of releasing frozen reserves is an opening, graded as a hedge
        (
            SANCTIONS,
            "A Commission spokesperson said the EU would not stand in the way of returning part of Russia's frozen central bank reserves.",
            "shift",
        ),
    ],
)
def test_outsiders_and_openings(shipped_engine: Engine, stance: str, text: str, label: str) -> None:
    found = verdict(shipped_engine, stance, text)
    assert found.label == label
    if label == "shift":
        assert found.grade == "hedge"


@pytest.mark.parametrize(
    ("stance", "title", "text", "label"),
    [
        # speculation is nobody's position, whoever speculates
        (
            SANCTIONS,
            "",
            "Some diplomats in Brussels speculated that the bloc could ease sanctions on Russia.",
            "none",
        ),
        # "remarks by X that ...": X said it
        (
            "eu-russia-bad-faith",
            "",
            "Moscow welcomed remarks by the bloc's top diplomat on Sunday that Russia was now negotiating in good faith.",
            "shift",
        ),
        # "..., who told an audience that ...": the one the relative clause is about said it
        (
            CRIMEA,
            "",
            "Zelensky rejected remarks by the Commission president, who told an audience in Berlin that the EU could accept Russian control of Crimea.",
            "shift",
        ),
        # a headline's unknown name acting on an actor: the actor is the object, not the speaker
        (
            "us-peace-engagement",
            "Ushakov calls Witkoff meeting useful, says US ready to keep working",
            "The Kremlin aide spoke after the talks.",
            "none",
        ),
        # "..., argues a senior fellow at a Brussels think tank": the fellow, not Brussels
        (
            SANCTIONS,
            "",
            "The EU may have to offer sanctions relief, argues a senior fellow at a Brussels think tank.",
            "none",
        ),
        # "stop describing X as Y": the negation reaches Y across "as"
        (
            "eu-russia-bad-faith",
            "",
            "EU officials said the bloc would stop describing the talks as a Russian stalling tactic.",
            "shift",
        ),
        # ", Russia answers with drones": a new clause, out of reach of "instead of" before it
        (
            "eu-russia-bad-faith",
            "",
            "Instead of a ceasefire, Russia answers with drones on civilians, the EU's spokesperson said.",
            "hold",
        ),
        # "stopped short of promising any easing" negates the easing
        (
            SANCTIONS,
            "",
            "The EU's foreign ministers stopped short of promising any easing of sanctions on Russia.",
            "hold",
        ),
        # "With Moscow asking the US to lift curbs, ...": Moscow's request, not the speaker's
        (
            "eu-urges-us-pressure",
            "",
            "With Moscow asking the United States to lift curbs on Aeroflot, an EU spokesperson said Washington must keep its sanctions.",
            "hold",
        ),
    ],
)
def test_speculation_remarks_relatives_and_clauses(
    shipped_engine: Engine, stance: str, title: str, text: str, label: str
) -> None:
    assert verdict(shipped_engine, stance, text, title=title).label == label


@pytest.mark.parametrize(
    ("stance", "title", "text", "label"),
    [
        # "think tank" is not a verb of thinking
        (
            US_CRIMEA,
            "",
            "Writing for a Washington think tank, two former diplomats argue the US could live with Russian control of Crimea. Recognising the annexation, they warn, would reward conquest.",
            "none",
        ),
        # "..., argues a Carnegie analyst. She predicts ...": she is the analyst, not Washington
        (
            "us-peace-engagement",
            "",
            "Washington has let so many deadlines slide that Moscow ignores them, argues a Carnegie analyst. She predicts the administration will wind down its mediation by spring.",
            "none",
        ),
        # a fronted "With X ..., " clause is circumstance, not the speaker's move
        (
            US_CRIMEA,
            "",
            "With Washington reportedly ready to recognise Crimea as Russian, some diplomats expect the EU to follow.",
            "none",
        ),
        # a headline's verb before its first actor makes the actor its object
        (
            US_CRIMEA,
            "European counter-proposal drops US clause on recognising Crimea",
            "The text went to Kyiv.",
            "none",
        ),
    ],
)
def test_frames_circumstances_and_headline_objects(
    shipped_engine: Engine, stance: str, title: str, text: str, label: str
) -> None:
    assert verdict(shipped_engine, stance, text, title=title).label == label


@pytest.mark.parametrize(
    ("stance", "text", "label"),
    [
        # a report the holder denies later in the item is the report's, not the holder's position
        (
            US_CRIMEA,
            "A Russian daily reported that Witkoff had told Putin that Washington could accept Crimea as Russian. "
            "The State Department flatly denied the report, saying US policy had not changed.",
            "hold",
        ),
        # a restatement the holder stopped making is a shift
        (
            CRIMEA,
            "A draft of the EU Council conclusions drops the phrase 'illegal annexation' of Crimea, officials said.",
            "shift",
        ),
        # ... but rejecting the illegal annexation is still a restatement
        (CRIMEA, "The Union firmly rejects the illegal annexation of Crimea, EU leaders said.", "hold"),
        # "has not accepted, and does not accept, X": one negation, said twice
        (
            CRIMEA,
            "The Council recalled that the Union has not accepted, and does not accept, the annexation of Crimea.",
            "hold",
        ),
        # "the chance that Washington quits": a prediction, not a position
        (
            "us-peace-engagement",
            "Prediction markets now put the chance that Washington formally quits the talks at one in three.",
            "none",
        ),
        # attacking someone for refusing to do X supports X
        (US_CRIMEA, "Trump attacked Zelensky for refusing to give up Crimea to Russia.", "shift"),
        # "finished with mediating" negates the mediation
        (
            "us-peace-engagement",
            "Trump said the United States was finished with mediating between Russia and Ukraine.",
            "shift",
        ),
    ],
)
def test_denied_reports_omissions_and_predictions(
    shipped_engine: Engine, stance: str, text: str, label: str
) -> None:
    assert verdict(shipped_engine, stance, text).label == label


@pytest.mark.parametrize(
    ("stance", "text", "label"),
    [
        # a sentence that opens with its condition asserts nothing inside it
        (
            "eu-russia-bad-faith",
            '"If Russia keeps its commitments, we can talk about it," Kallas said.',
            "none",
        ),
        # a relative clause describing another actor is a description, not the speaker's position
        (
            "eu-urges-us-pressure",
            "Kallas said the United States, which has yet to impose secondary sanctions, has the power to force Moscow to talk.",
            "hold",
        ),
        # "far too early to conclude" negates the conclusion
        (
            "eu-russia-bad-faith",
            "An EU spokesperson said it was far too early to conclude Russia was acting in good faith.",
            "hold",
        ),
        # "X was urged by Y to ...": Y asks
        (
            "eu-urges-us-pressure",
            "The United States was urged by EU foreign ministers to follow through on its threats of sanctions against Russia.",
            "hold",
        ),
        # "Charles Michel, attending in person, said": the one before the parenthetical speaks
        (
            CRIMEA,
            "European Council President Charles Michel, attending in person, said the EU stands firmly by its non-recognition policy on Crimea.",
            "hold",
        ),
        # "On Monday" is not somebody's name
        (
            SANCTIONS,
            "On Monday the Council prolonged the bloc's economic restrictions on Russia for six months.",
            "hold",
        ),
        # "Sikorski, whose country holds the EU presidency, said": Poland's minister, not the EU
        (
            SANCTIONS,
            "Polish Foreign Minister Radoslaw Sikorski, whose country holds the rotating EU Council presidency, said the bloc should tighten oil sanctions on Russia.",
            "none",
        ),
    ],
)
def test_conditions_relatives_passives_and_parentheticals(
    shipped_engine: Engine, stance: str, text: str, label: str
) -> None:
    assert verdict(shipped_engine, stance, text).label == label


def test_a_possessor_owns_the_recognition_it_makes(shipped_engine: Engine) -> None:
    """'a framework that includes Washington's de jure recognition of Russian rule over Crimea': Washington's act."""
    text = (
        "Zelensky rejected a framework that, according to people familiar with it, includes Washington's de jure "
        "recognition of Russian rule over Crimea."
    )
    assert verdict(shipped_engine, US_CRIMEA, text).label == "shift"
    text = "Kyiv condemned Russia's recognition of Crimea's so-called independence in 2014."
    assert verdict(shipped_engine, US_CRIMEA, text).label == "none"


@pytest.mark.parametrize(
    ("stance", "text", "label"),
    [
        # "..., including by the United States": the agent after the comma
        (
            US_CRIMEA,
            "Under one clause, Crimea would be recognised as de facto Russian, including by the United States.",
            "shift",
        ),
        # "the Union, which until now has accused the Kremlin of playing for time": what it used to say
        (
            "eu-russia-bad-faith",
            "It was a marked change of tone from the Union, which until now has accused the Kremlin of playing for time.",
            "none",
        ),
    ],
)
def test_agents_after_a_comma_and_past_lines(
    shipped_engine: Engine, stance: str, text: str, label: str
) -> None:
    assert verdict(shipped_engine, stance, text).label == label


@pytest.mark.parametrize(
    ("stance", "text", "label"),
    [
        # ", which shows that ..." opens a clause negation does not reach
        (
            "eu-russia-bad-faith",
            "Putin stayed away. \"He was not there, which shows that he doesn't want peace,\" the EU's foreign policy chief said.",
            "hold",
        ),
        # a spaced dash opens one too
        (
            CRIMEA,
            "EU leaders said borders must not be altered by force - the principle on which Brussels has refused to accept the annexation of Crimea.",
            "hold",
        ),
        # inside somebody's reported claim, the EU as a clause subject is talked about, not speaking
        (
            SANCTIONS,
            "Hungary's foreign minister said that once Washington and Moscow reached a deal, the EU would have no choice but to lift its sanctions on Russia.",
            "none",
        ),
        # "every member state except Hungary": not Hungary
        (
            SANCTIONS,
            "Leaders of every EU member state except Hungary said the EU would keep its sanctions on Russia.",
            "hold",
        ),
        # "Fico lifted his veto, allowing EU ambassadors to approve ...": the ambassadors act
        (
            SANCTIONS,
            "Robert Fico lifted his objection, allowing EU ambassadors to approve an 18th package of sanctions on Russia.",
            "hold",
        ),
    ],
)
def test_clauses_claims_exceptions_and_enabled_actors(
    shipped_engine: Engine, stance: str, text: str, label: str
) -> None:
    assert verdict(shipped_engine, stance, text).label == label
