"""`stance-monitor eval`: the figures, the JSON shape, and the engine's quality gate on labelled cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from monitor.engine import Engine
from monitor.evaluate import evaluate, parse_cases

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev-cases.yaml"
OWN = sorted((ROOT / "eval").glob("holdout-*.yaml"))  # sets the rules were tuned on: regression gates
VALIDATION = sorted((ROOT / "eval" / "validation").glob("*.yaml"))  # never tuned on: an honest estimate

CASES = """
- id: c1
  title: "Kallas: Crimea is Ukraine"
  text: She repeated it in Brussels.
  labels: {eu-crimea-nonrecognition: hold}
- id: c2
  title: EU envoy says the bloc could accept Crimea as Russian
  text: The remark surprised diplomats.
  labels: {eu-crimea-nonrecognition: shift}
- id: c3
  title: Orban says the EU should recognise Crimea as Russian
  text: Brussels did not comment.
  labels: {}
- id: c4
  title: A hard one we get wrong on purpose
  text: The weather was fine in Brussels.
  labels: {eu-crimea-nonrecognition: shift}
- id: c5
  title: Contested
  text: The Commission recognises Crimea as Russian.
  labels: {eu-crimea-nonrecognition: none}
  contested: true
"""


def test_scores_and_confusion_count_what_they_should(shipped_engine: Engine) -> None:
    report = evaluate(shipped_engine, parse_cases(yaml.safe_load(CASES)))
    crimea = report.per_stance["eu-crimea-nonrecognition"]
    assert (crimea["shift"].precision, crimea["shift"].recall, crimea["shift"].support) == (1.0, 0.5, 2)
    assert (crimea["hold"].precision, crimea["hold"].recall) == (1.0, 1.0)
    # contested cases are predicted but not scored
    assert report.scored == 4 * len(shipped_engine.stances)
    assert report.confusion["eu-crimea-nonrecognition"]["shift"] == {"shift": 1, "hold": 0, "none": 1}
    assert any(p.case == "c5" and p.contested for p in report.predictions)


def test_bad_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="case x: label 'maybe'"):
        parse_cases([{"id": "x", "text": "t", "labels": {"s": "maybe"}}])


def test_cli_json_has_figures_and_one_prediction_per_case_and_stance(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES)
    out = subprocess.run(
        [sys.executable, "-m", "monitor", "eval", str(cases), "--rules", str(ROOT / "rules"), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    data = json.loads(out.stdout)
    assert set(data["overall"]) == {"shift", "hold"}
    assert len(data["predictions"]) == 5 * 6
    first = data["predictions"][0]
    assert {"case", "stance", "expected", "predicted", "grade", "score", "evidence"} <= set(first)
    shift = next(
        p for p in data["predictions"] if p["case"] == "c2" and p["stance"] == "eu-crimea-nonrecognition"
    )
    assert shift["predicted"] == "shift" and "could accept" in shift["evidence"]


@pytest.mark.parametrize("path", [DEV, *OWN], ids=lambda p: p.name)
def test_engine_meets_its_targets(shipped_engine: Engine, path: Path) -> None:
    """The issue's floors on every labelled set we have: shift P >= 0.90, R >= 0.80, hold F1 >= 0.80,
    and no shift verdict where only another actor takes the position."""
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared folder sits beside the repository)")
    report = evaluate(shipped_engine, parse_cases(yaml.safe_load(path.read_text())))
    shift, hold = report.overall["shift"], report.overall["hold"]
    misses = [
        f"{p.case}/{p.stance}: {p.expected} -> {p.predicted} ({p.reason})"
        for p in report.predictions
        if not p.contested and p.expected != p.predicted
    ]
    assert shift.precision >= 0.90, misses
    assert shift.recall >= 0.80, misses
    assert hold.f1 >= 0.80, misses


# Figures on each never-tuned set when this engine was committed, less a small margin (docs/engine.md).
VALIDATION_FLOORS = {
    "holdout-m.yaml": (0.95, 0.85, 0.85),  # now 1.00 / 0.91 / 0.94
    "holdout-an.yaml": (0.95, 0.80, 0.85),  # first and current score 1.00 / 0.85 / 0.91
    "holdout-ap.yaml": (0.95, 0.85, 0.90),  # 1.00 / 0.93 / 0.94
    "holdout-at.yaml": (0.80, 0.75, 0.72),  # 0.85 / 0.85 / 0.78
    "holdout-au.yaml": (0.85, 0.90, 0.88),  # 0.92 / 1.00 / 0.94
    "holdout-av.yaml": (0.95, 0.60, 0.75),  # 1.00 / 0.69 / 0.80
}


@pytest.mark.parametrize("path", VALIDATION, ids=lambda p: p.name)
def test_engine_does_not_regress_on_unseen_cases(shipped_engine: Engine, path: Path) -> None:
    """Cases the rules were never tuned on estimate what held-out data will show. A change that makes the
    engine worse on language it has not seen fails here; one that makes it better should raise the floor."""
    precision, recall, hold_f1 = VALIDATION_FLOORS.get(path.name, (0.85, 0.60, 0.60))
    report = evaluate(shipped_engine, parse_cases(yaml.safe_load(path.read_text())))
    shift, hold = report.overall["shift"], report.overall["hold"]
    assert shift.precision >= precision
    assert shift.recall >= recall
    assert hold.f1 >= hold_f1
