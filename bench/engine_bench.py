"""Engine throughput: items per second with the 6 shipped rules and with 500 generated rules, one core.

Run: ``make bench`` (or ``.venv/bin/python bench/engine_bench.py [--items N] [--rules N]``).
Both figures are measured in the same run and reported with their ratio, so machine noise cancels out.
The items are generated news-like sentences: most mention the shipped stances' topics (the hard case
for routing), some mention the generated rules' topics, some nothing at all. The generated rules are written as
YAML beside copies of the shipped ones and loaded by ``load_rules``, so they take the engine's real path.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from monitor.engine import Engine, Stance, load_rules
from monitor.models import FeedItem

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "2025-04-21-kallas-afp-interview.md"
SEED_QUOTE = '"Crimea is Ukraine."'
ACTORS = [
    "Kallas",
    "The Commission",
    "Orban",
    "Moscow",
    "Trump",
    "Rubio",
    "Analysts",
    "EU ambassadors",
    "Zelensky",
]
VERBS = ["said", "warned", "told reporters", "insisted", "added"]
CLAIMS = [
    "the bloc will never recognise Crimea as Russian",
    "the EU could accept Russian control over Crimea in a deal",
    "sanctions on Russia stay until the war is over",
    "the EU may ease sanctions on Russia if a ceasefire holds",
    "Russia is stalling and does not want peace",
    "the US should use its tools to pressure Russia",
    "the US would walk away from the Ukraine talks unless progress is made",
    "Washington is weighing recognition of Crimea as part of Russia",
    "{topic} policy will not change",
    "the {topic} plan could be revised",
]
FILLER = [
    "Officials met in Brussels on Monday.",
    "The meeting lasted three hours.",
    "Markets were calm.",
    "More talks are planned.",
]


def generated_rules(count: int, folder: Path) -> list[Stance]:
    """``count`` rules written as YAML next to the shipped ones and loaded by the real loader: each its own
    holder and topic, with cues in the shipped rules' style (a term, a gap, a hedge)."""
    rules = folder / "rules"
    shutil.copytree(ROOT / "rules", rules)
    for i in range(count):
        topic, holder = f"topic{i}", f"holder{i}"
        (rules / f"gen-{i}.yaml").write_text(
            f"""id: gen-{i}
holder: {{name: {holder}, aliases: [the {holder} council]}}
topic: [{topic}, {topic}s]
proposition: {topic} is good
baseline: opposes
evidence:
  - seed: {SEED.name}
    quote: {SEED_QUOTE}
terms:
  rec: [recogni*, accept*]
cues:
  supports: ["{{rec}} ... {topic}", "{topic} ... (could|may) change"]
  opposes: ["{topic} (will|would) not change"]
"""
        )
    return load_rules(rules, ROOT / "seeds")


def make_items(n: int, topics: int, rng: random.Random) -> list[FeedItem]:
    items = []
    for i in range(n):
        topic = f"topic{rng.randrange(max(topics, 1))}"
        sentences = [
            f"{rng.choice(ACTORS)} {rng.choice(VERBS)} {rng.choice(CLAIMS).format(topic=topic)}."
            for _ in range(rng.randint(1, 3))
        ]
        sentences += rng.sample(FILLER, 2)
        rng.shuffle(sentences)
        title = sentences[0].rstrip(".")
        items.append(FeedItem(key=str(i), title=title, text=" ".join(sentences[1:])))
    return items


def rate(engine: Engine, items: list[FeedItem], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            engine.judge(item)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=3000)
    ap.add_argument("--rules", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    shipped = load_rules(ROOT / "rules", ROOT / "seeds")
    rng = random.Random(7)
    items = make_items(args.items, args.rules, rng)
    small = Engine(shipped)
    with tempfile.TemporaryDirectory() as tmp:
        large = Engine(generated_rules(args.rules - len(shipped), Path(tmp)))
    r_small = rate(small, items, args.repeat)
    r_large = rate(large, items, args.repeat)
    print(f"items: {len(items)}, best of {args.repeat} runs, one core")
    print(f"{len(small.stances):>4} rules: {r_small:9.0f} items/s")
    print(f"{len(large.stances):>4} rules: {r_large:9.0f} items/s")
    print(
        f"cost of {len(large.stances)} rules vs {len(small.stances)}: {r_small / r_large:.2f}x (target <= 5x); "
        f"{len(large.stances)}-rule rate vs 1,000 items/s floor: {r_large / 1000:.1f}x"
    )


if __name__ == "__main__":
    main()
