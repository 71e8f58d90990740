"""Score the engine against labelled cases: precision, recall, F1 and a confusion matrix. Pure.

Cases are ``{id, title, text, labels: {STANCE_ID: shift|hold|none}}`` (optional ``published``, ``source``,
``contested``); stances a case does not list are ``none``. Contested cases are predicted but not scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.engine import Engine
from monitor.models import LABELS, FeedItem, Label


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    text: str
    labels: dict[str, Label]
    contested: bool = False
    published: str | None = None
    source: str = ""


@dataclass(frozen=True)
class Prediction:
    case: str
    stance: str
    expected: Label
    predicted: Label
    grade: str | None
    score: float
    evidence: str
    reason: str
    contested: bool


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int  # how many cases carry the label

    @staticmethod
    def of(tp: int, fp: int, fn: int) -> Scores:
        p = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return Scores(round(p, 3), round(r, 3), round(f, 3), tp + fn)


@dataclass(frozen=True)
class Report:
    predictions: tuple[Prediction, ...]
    per_stance: dict[str, dict[str, Scores]]  # stance -> {"shift": .., "hold": ..}
    overall: dict[str, Scores]
    confusion: dict[str, dict[str, dict[str, int]]]  # stance or "all" -> expected -> predicted -> n
    scored: int  # (case, stance) pairs scored

    def as_json(self) -> dict[str, Any]:
        def sc(s: Scores) -> dict[str, Any]:
            return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support}

        return {
            "overall": {k: sc(v) for k, v in self.overall.items()},
            "per_stance": {st: {k: sc(v) for k, v in d.items()} for st, d in self.per_stance.items()},
            "confusion": self.confusion,
            "scored_pairs": self.scored,
            "predictions": [
                {
                    "case": p.case,
                    "stance": p.stance,
                    "expected": p.expected,
                    "predicted": p.predicted,
                    "grade": p.grade,
                    "score": p.score,
                    "evidence": p.evidence,
                    "reason": p.reason,
                    "contested": p.contested,
                }
                for p in self.predictions
            ],
        }


def parse_cases(raw: Any) -> list[Case]:
    """Cases from the loaded YAML list; raises ValueError naming the case that is malformed."""
    if not isinstance(raw, list):
        raise ValueError("a cases file is a YAML list of cases")
    cases = []
    for i, c in enumerate(raw):
        if not isinstance(c, dict) or "id" not in c or "text" not in c:
            raise ValueError(f"case #{i + 1} needs at least 'id' and 'text'")
        labels = c.get("labels") or {}
        for stance, label in labels.items():
            if label not in LABELS:
                raise ValueError(f"case {c['id']}: label {label!r} for {stance} is not shift, hold or none")
        published = c.get("published", c.get("date"))
        cases.append(
            Case(
                id=str(c["id"]),
                title=str(c.get("title") or ""),
                text=str(c["text"]),
                labels=dict(labels),
                contested=bool(c.get("contested", False)),
                published=str(published) if published else None,
                source=str(c.get("source") or ""),
            )
        )
    return cases


def evaluate(engine: Engine, cases: Sequence[Case]) -> Report:
    stance_ids = [s.id for s in engine.stances]
    preds: list[Prediction] = []
    for case in cases:
        item = FeedItem(key=case.id, title=case.title, text=case.text, published=_date(case.published))
        verdicts = engine.judge_all(item)
        for sid in stance_ids:
            v = verdicts[sid]
            preds.append(
                Prediction(
                    case.id,
                    sid,
                    case.labels.get(sid, "none"),
                    v.label,
                    v.grade,
                    v.score,
                    v.sentence,
                    v.reason,
                    case.contested,
                )
            )
    scored = [p for p in preds if not p.contested]
    per_stance = {sid: _scores([p for p in scored if p.stance == sid]) for sid in stance_ids}
    confusion = {sid: _confusion([p for p in scored if p.stance == sid]) for sid in stance_ids}
    confusion["all"] = _confusion(scored)
    return Report(tuple(preds), per_stance, _scores(scored), confusion, len(scored))


def _scores(preds: Sequence[Prediction]) -> dict[str, Scores]:
    out = {}
    for label in ("shift", "hold"):
        tp = sum(1 for p in preds if p.expected == label and p.predicted == label)
        fp = sum(1 for p in preds if p.expected != label and p.predicted == label)
        fn = sum(1 for p in preds if p.expected == label and p.predicted != label)
        out[label] = Scores.of(tp, fp, fn)
    return out


def _confusion(preds: Sequence[Prediction]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {e: {p: 0 for p in LABELS} for e in LABELS}
    for p in preds:
        table[p.expected][p.predicted] += 1
    return table


def _date(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def format_report(report: Report) -> str:
    """The human-readable report `stance-monitor eval` prints."""
    lines = [
        f"{'stance':32} {'shift P':>7} {'R':>5} {'F1':>5} {'n':>3}   {'hold P':>6} {'R':>5} {'F1':>5} {'n':>3}"
    ]
    rows = [*report.per_stance.items(), ("OVERALL", report.overall)]
    for name, s in rows:
        sh, ho = s["shift"], s["hold"]
        lines.append(
            f"{name:32} {sh.precision:7.2f} {sh.recall:5.2f} {sh.f1:5.2f} {sh.support:3d}   "
            f"{ho.precision:6.2f} {ho.recall:5.2f} {ho.f1:5.2f} {ho.support:3d}"
        )
    lines.append("")
    lines.append("confusion (all stances; rows expected, columns predicted):")
    lines.append(f"{'':8}" + "".join(f"{p:>7}" for p in LABELS))
    for e in LABELS:
        lines.append(f"{e:8}" + "".join(f"{report.confusion['all'][e][p]:7d}" for p in LABELS))
    contested = sum(1 for p in report.predictions if p.contested)
    lines.append(f"\n{report.scored} (case, stance) pairs scored; {contested} in contested cases left out")
    return "\n".join(lines)
