"""Engine throughput: items per second with the 6 shipped rules and with 500 generated rules, one core.

Run: ``make bench`` (or ``.venv/bin/python bench/engine_bench.py [--items N] [--rules N]``).
Both figures are measured in the same run and reported with their ratio, so machine noise cancels out.
The items are generated news-like sentences: most mention the shipped stances' topics (the hard case
for routing), some mention the generated rules' topics, some nothing at all.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from dataclasses import replace
from pathlib import Path

from monitor.engine import Engine, Stance, load_rules
from monitor.engine.patterns import cues_source
from monitor.engine.rules import _alias_regex
from monitor.models import FeedItem

ROOT = Path(__file__).resolve().parents[1]
REC = {"rec": ("recogni*", "accept*")}
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


def generated_rules(base: Stance, count: int) -> list[Stance]:
    out = []
    for i in range(count):
        topic = f"topic{i}"
        holder = f"holder{i}"
        out.append(
            replace(
                base,
                id=f"gen-{i}",
                holder=holder,
                holder_re=_alias_regex([holder, f"the {holder} council"]),
                topic_res=(_alias_regex([topic, f"{topic}s"]),),
                off_topic_re=None,
                core_re=None,
                requests_to_others="ignore",
                ignore_re=None,
                index_terms=(topic, f"{topic}s"),
                cues_re=re.compile(
                    cues_source(
                        (f"{{rec}} ... {topic}", f"{topic} ... (could|may) change"), REC, group="supports"
                    )
                    + "|"
                    + cues_source((f"{topic} (will|would) not change",), REC, group="opposes")
                ),
            )
        )
    return out


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
    large = Engine([*shipped, *generated_rules(shipped[0], args.rules - len(shipped))])
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
