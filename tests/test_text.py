"""Sentence splitting for news prose."""

from monitor.engine.text import item_sentences, split_sentences


def texts(s: str) -> list[str]:
    return [x.text for x in split_sentences(s)]


def test_splits_on_sentence_ends() -> None:
    assert texts("The EU met. Kallas spoke! Was it enough? Nobody knows.") == [
        "The EU met.",
        "Kallas spoke!",
        "Was it enough?",
        "Nobody knows.",
    ]


def test_keeps_abbreviations_and_initials_inside_a_sentence() -> None:
    text = "The U.S. envoy met Mr. Smith on Jan. 5 in Washington. John F. Kennedy was not there."
    assert texts(text) == [
        "The U.S. envoy met Mr. Smith on Jan. 5 in Washington.",
        "John F. Kennedy was not there.",
    ]


def test_closing_quote_stays_with_its_sentence() -> None:
    assert texts('"Crimea is Ukraine." Kallas said so twice.') == [
        '"Crimea is Ukraine."',
        "Kallas said so twice.",
    ]


def test_no_split_before_lower_case() -> None:
    assert texts("Prices rose 3.5 percent. e.g. not a new sentence") == [
        "Prices rose 3.5 percent. e.g. not a new sentence"
    ]


def test_offsets_point_into_the_text() -> None:
    text = "First one.   Second one."
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.start + len(sentence.text)] == sentence.text


def test_title_is_read_with_the_body() -> None:
    sentences = item_sentences("Headline here", "Body one. Body two.")
    assert [s.is_title for s in sentences] == [True, False, False]
    assert sentences[0].text == "Headline here"
