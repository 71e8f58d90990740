"""Rule files: strict validation with file, line and key; seeds and verbatim quotes; the shipped rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.engine import load_rules
from monitor.errors import RuleError

SEED = "---\nsource: A test interview\ndate: 2025-01-01\nspeaker: Someone\n---\nThe bloc will never accept that.\n"

GOOD = """\
id: test-stance
holder:
  name: Bloc
  aliases: [the bloc]
topic: [widgets]
proposition: widgets are good
baseline: opposes
evidence:
  - seed: seed.md
    quote: The bloc will never accept that.
cues:
  supports: ["widgets are good"]
examples:
  - text: "The bloc said widgets are good."
    expect: shift
"""


def write(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path]:
    rules, seeds = tmp_path / "rules", tmp_path / "seeds"
    rules.mkdir()
    seeds.mkdir()
    (seeds / "seed.md").write_text(SEED)
    for name, text in files.items():
        (rules / name).write_text(text)
    return rules, seeds


def problems(tmp_path: Path, files: dict[str, str], channels: set[str] | None = None) -> list[str]:
    rules, seeds = write(tmp_path, files)
    with pytest.raises(RuleError) as err:
        load_rules(rules, seeds, channel_names=channels)
    return [str(p) for p in err.value.problems]


def test_a_good_rule_loads_with_its_seed(tmp_path: Path) -> None:
    rules, seeds = write(tmp_path, {"a.yaml": GOOD})
    (stance,) = load_rules(rules, seeds)
    assert stance.id == "test-stance"
    assert stance.quote.seed.source == "A test interview"
    assert stance.quote.seed.date == "2025-01-01"
    assert len(stance.examples) == 1 and stance.examples[0].line == 14


def test_unknown_key_and_wrong_type_name_file_line_and_key(tmp_path: Path) -> None:
    bad = GOOD.replace("baseline: opposes", "baseline: maybe\nseverty: high").replace(
        "topic: [widgets]", "topic: 5"
    )
    found = problems(tmp_path, {"a.yaml": bad})
    path = str(tmp_path / "rules" / "a.yaml")
    assert any(p.startswith(f"{path}:7: baseline:") for p in found), found
    assert f"{path}:8: severty: unknown key" in found
    assert any(p.startswith(f"{path}:5: topic:") for p in found), found


def test_every_problem_in_every_file_is_reported_together(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "a.yaml": GOOD.replace('widgets are good"]', 'widgets (are good"]'),
            "b.yaml": GOOD.replace("id: test-stance", "id: Other Stance"),
            "c.yaml": "id: [unclosed\n",
        },
    )
    assert any(
        "a.yaml:12: cues.supports[0]: cue 'widgets (are good' does not compile: unclosed '('" in p
        for p in found
    )
    assert any("b.yaml:1: id:" in p for p in found)
    assert any("c.yaml:2:" in p and "YAML syntax error" in p for p in found)


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    found = problems(tmp_path, {"a.yaml": GOOD, "b.yaml": GOOD})
    assert any("b.yaml:1: id: duplicate id 'test-stance' (also in" in p and "a.yaml:1)" in p for p in found)


def test_duplicate_keys_in_one_file(tmp_path: Path) -> None:
    found = problems(tmp_path, {"a.yaml": GOOD + "baseline: supports\n"})
    assert any("a.yaml:16: baseline: duplicate key" in p for p in found)


def test_quote_not_in_seed_names_the_rule_and_the_seed(tmp_path: Path) -> None:
    found = problems(tmp_path, {"a.yaml": GOOD.replace("will never accept that", "will always accept that")})
    assert any(
        "evidence[0].quote: rule test-stance: quote not found verbatim in seed seed.md" in p for p in found
    )


def test_missing_seed_and_dangling_channel(tmp_path: Path) -> None:
    text = GOOD.replace("seed: seed.md", "seed: nope.md") + "channels: [pager]\n"
    found = problems(tmp_path, {"a.yaml": text}, channels={"console"})
    assert any("evidence[0].seed: seed 'nope.md' not found" in p for p in found)
    assert any("channels[0]: channel 'pager' is not defined in the configuration" in p for p in found)


def test_shared_holders_file(tmp_path: Path) -> None:
    holders = "holders:\n  Bloc:\n    aliases: [the bloc]\n    not: [the bloc's critics]\n"
    text = GOOD.replace("holder:\n  name: Bloc\n  aliases: [the bloc]\n", "holder: Bloc\n")
    rules, seeds = write(tmp_path, {"_holders.yaml": holders, "a.yaml": text})
    (stance,) = load_rules(rules, seeds)
    assert stance.holder_re.search("the bloc said")
    found = problems(
        tmp_path / "x" if (tmp_path / "x").mkdir() is None else tmp_path,
        {"a.yaml": text.replace("holder: Bloc", "holder: Nobody")},
    )
    assert any("holder 'Nobody' is not defined in _holders.yaml" in p for p in found)


CUE_SETS = """\
cue_sets:
  widget-praise:
    terms:
      widget: [widgets, gadgets]
    supports: ["{widget} are (good|great)"]
    opposes: ["{widget} are bad"]
"""


def test_shared_cue_sets_come_before_the_rules_own_cues(tmp_path: Path) -> None:
    text = GOOD.replace(
        'cues:\n  supports: ["widgets are good"]',
        'cues:\n  use: [widget-praise]\n  supports: ["widgets rock"]',
    )
    rules, seeds = write(tmp_path, {"_cues.yaml": CUE_SETS, "a.yaml": text})
    (stance,) = load_rules(rules, seeds)
    assert stance.cues_re is not None
    found = {
        m.lastgroup
        for text in ("gadgets are great", "widgets rock", "widgets are bad")
        if (m := stance.cues_re.search(text))
    }
    assert found == {"supports", "opposes"}
    assert stance.cues_re.search("gadgets are great").lastgroup == "supports"  # the set's term expanded
    assert stance.cues_re.search("gadgets are terrible") is None


def test_cue_set_problems_name_the_file_that_has_them(tmp_path: Path) -> None:
    broken = CUE_SETS.replace('"{widget} are bad"', '"{widget} are (bad"')
    text = GOOD.replace('cues:\n  supports: ["widgets are good"]', "cues:\n  use: [widget-praise, nonsense]")
    found = problems(tmp_path, {"_cues.yaml": broken, "a.yaml": text})
    cues_file = str(tmp_path / "rules" / "_cues.yaml")
    assert any(
        p.startswith(f"{cues_file}:6: cue_sets.widget-praise.opposes[0]: cue '{{widget}} are (bad'")
        for p in found
    ), found
    assert any(
        "a.yaml:12: cues.use[1]: cue set 'nonsense' is not defined in _cues.yaml (defined: widget-praise)"
        in p
        for p in found
    ), found
    assert len(found) == 2, found  # the broken cue once, where it is; nothing that follows from it


def test_shipped_rules_load_and_quote_the_seed(root: Path) -> None:
    stances = load_rules(root / "rules", root / "seeds")
    ids = {s.id for s in stances}
    assert ids == {
        "eu-crimea-nonrecognition",
        "eu-sanctions-until-compliance",
        "eu-russia-bad-faith",
        "eu-urges-us-pressure",
        "us-crimea-nonrecognition",
        "us-peace-engagement",
    }
    crimea = next(s for s in stances if s.id == "eu-crimea-nonrecognition")
    assert crimea.baseline == "opposes" and crimea.evidence[0].text == "Crimea is Ukraine."
    for stance in stances:
        assert len(stance.examples) >= 10, stance.id


def test_shipped_rule_examples_pass(root: Path) -> None:
    from monitor.cli import run_examples

    failures = run_examples(load_rules(root / "rules", root / "seeds"))
    assert failures == [], "\n".join(f"{s.id}:{line} {d}" for s, line, d in failures)


def test_seed_quote_check_catches_an_edited_seed(root: Path, tmp_path: Path) -> None:
    shutil.copytree(root / "rules", tmp_path / "rules")
    (tmp_path / "seeds").mkdir()
    seed = (root / "seeds" / "2025-04-21-kallas-afp-interview.md").read_text()
    (tmp_path / "seeds" / "2025-04-21-kallas-afp-interview.md").write_text(
        seed.replace("Crimea is Ukraine.", "Crimea is disputed.")
    )
    with pytest.raises(
        RuleError, match="eu-crimea-nonrecognition: quote not found verbatim in seed 2025-04-21"
    ):
        load_rules(tmp_path / "rules", tmp_path / "seeds")
