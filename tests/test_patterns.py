"""The cue pattern language rule authors write."""

import pytest

from monitor.engine.patterns import PatternError, compile_cues, normalize

TERMS = {"crimea": ("crimea", "the peninsula"), "rec": ("recogni*", "accept*")}


def matched(pattern: str, text: str) -> str | None:
    regex = compile_cues((pattern,), TERMS)
    assert regex is not None
    m = regex.search(normalize(text))
    return m.group(0) if m else None


def test_words_match_on_boundaries_case_insensitively() -> None:
    assert matched("crimea is ukraine", "Kallas: Crimea is Ukraine.") == "crimea is ukraine"
    assert matched("crimea", "Crimean Tatars") is None


def test_wildcard_gap_optional_and_alternatives() -> None:
    assert matched(
        "{rec} ... {crimea} as (russian|part of russia)",
        "will never recognise the peninsula as part of Russia",
    )
    assert matched("(de facto)? recognition of {crimea}", "recognition of Crimea") == "recognition of crimea"
    assert (
        matched("(de facto)? recognition of {crimea}", "de facto recognition of Crimea")
        == "de facto recognition of crimea"
    )
    assert matched("#th package", "the 19th package") == "19th package"


def test_gap_is_bounded() -> None:
    far = "recognise " + "word " * 12 + "Crimea"
    assert matched("{rec} ... {crimea}", far) is None


def test_curly_quotes_and_dashes_are_straightened() -> None:
    assert matched("russia's claim", "Russia’s claim") == "russia's claim"


def test_letter_classes_choose_one_letter() -> None:
    assert matched("recogni[sz]ed crimea", "The EU never recognized Crimea") == "recognized crimea"
    assert matched("recogni[sz]ed crimea", "the US recognised Crimea") == "recognised crimea"
    assert matched("withdr[ae]w* from", "Washington withdrew from the talks") == "withdrew from"
    assert matched("recogni[sz]ed crimea", "the US recognized-ish Crimea") is None


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{nope} crimea", "unknown term {nope}"),
        ("(a|b", "unclosed '('"),
        ("? x", "'?' must follow"),
        ("...", "at least one word"),
        ("honou?r*", "makes the whole word or group before it optional"),
        ("out['\"]? of", "enclose letters to choose from"),
    ],
)
def test_bad_cues_say_why(pattern: str, message: str) -> None:
    with pytest.raises(
        PatternError,
        match=message.replace("(", r"\(").replace("?", r"\?").replace("{", r"\{").replace("}", r"\}"),
    ):
        compile_cues((pattern,), TERMS)


def test_first_words_know_where_a_cue_can_start() -> None:
    from monitor.engine.patterns import first_words

    assert first_words("(the)? annexation of {crimea}", TERMS) == {"the", "annexation"}
    assert first_words("{rec} ... {crimea}", TERMS) == {"recogni*", "accept*"}
    assert first_words("recogni[sz]ed crimea", TERMS) == {"recognised", "recognized"}
    assert first_words("#th package", TERMS) == {"#*"}
    assert first_words("(a)? ... crimea", TERMS) == {"a", "crimea"}
    assert first_words("... crimea?", TERMS) is None  # could match nothing: no start can be known


def test_the_starts_scan_finds_what_the_full_scan_finds() -> None:
    """The engine tries a stance's cues only where its starts regex says a cue can begin: on every shipped
    stance and every labelled case in eval/, that finds exactly what scanning everywhere finds."""
    from pathlib import Path

    import yaml

    from monitor.engine import load_rules
    from monitor.engine.judge import _scan

    root = Path(__file__).resolve().parents[1]
    texts = [
        normalize(f"{case['title']} | {case['text']}")
        for path in sorted((root / "eval").glob("*.yaml"))
        for case in yaml.safe_load(path.read_text())
    ]
    assert len(texts) > 1000
    for stance in load_rules(root / "rules", root / "seeds"):
        assert stance.cues_re is not None and stance.cue_starts_re is not None, stance.id
        for text in texts:
            full = [(m.start(), m.end(), m.lastgroup) for m in stance.cues_re.finditer(text)]
            assert _scan(stance.cues_re, stance.cue_starts_re, text) == full, (stance.id, text)


def test_a_leading_optional_word_is_paired_with_the_next() -> None:
    from monitor.engine.patterns import start_keys

    assert start_keys("(the)? annexation of {crimea}", TERMS) == {"the annexation", "annexation"}
    assert start_keys("(its|the)? {rec} ... {crimea}", TERMS) == {
        "its recogni*",
        "the recogni*",
        "its accept*",
        "the accept*",
        "recogni*",
        "accept*",
    }
    assert start_keys("annexation of {crimea}", TERMS) == {"annexation"}


def test_word_lists_spell_out_small_regexes_into_a_trie() -> None:
    from monitor.engine.lexicon import _spelled_out, words_re

    assert _spelled_out("analysts?") == {"analyst", "analysts"}
    assert _spelled_out("(?:the )?guardian") == {"guardian", "the guardian"}
    assert _spelled_out(r"\w+n't") is None  # not a small finite set: kept as a regex
    regex = words_re("the eu", "the european union", "analysts?", r"\w+n't")
    assert [m.group(0) for m in regex.finditer("the european union and analysts said they didn't")] == [
        "the european union",
        "analysts",
        "didn't",
    ]
    assert regex.search("the eurozone") is None  # whole words only
