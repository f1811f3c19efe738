"""CPU cost per post of scoring an n-gram head, per feature recipe (transforms/ngram.py), in the
same run: `ngram-v1` (word 1-2-grams and character 2-5-grams) is the peer of `ngram-words`.

    PYTHONPATH=$PWD POLARS_MAX_THREADS=1 .venv/bin/python benchmarks/ngram_cost.py [--repeats 3]

Texts: synthetic posts of tweet length built from a fixed word list (always there), and, where the
shared datasets are (benchmarks/marker_sets.py), the test splits of xed_en (short subtitle lines)
and rmhd27 (long Reddit posts). Each recipe scores the shipped suicide_risk head's weights through
`ngram_scores` (featurising included); the cost is the least CPU time (user + system, this process)
of `--repeats` runs, per post. Results go to benchmarks/RESULTS.md (`ngram-cost`).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.cpu import least_cpu_s  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.ngram import RECIPES, ngram_scores  # noqa: E402

WORDS = [
    "i",
    "feel",
    "so",
    "tired",
    "today",
    "and",
    "nobody",
    "seems",
    "to",
    "care",
    "about",
    "the",
    "game",
    "tonight",
    "but",
    "my",
    "friends",
    "said",
    "the",
    "bus",
    "was",
    "late",
    "again",
    "so",
    "we",
    "walked",
    "home",
    "in",
    "the",
    "rain",
    "lol",
    "can't",
    "wait",
    "for",
    "friday",
]


def synthetic(count: int, seed: int = 0) -> list[str]:
    """`count` posts of 8-30 words drawn from WORDS (seeded)."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(8, 31)))) for _ in range(count)]


def cost(texts: list[str], head, repeats: int) -> float:
    """Least CPU seconds per text of `ngram_scores` with `head` over `repeats` runs."""
    ngram_scores(texts[:50], {"h": head})
    return least_cpu_s(lambda: ngram_scores(texts, {"h": head}), repeats=repeats) / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--posts", type=int, default=20_000, help="Synthetic posts.")
    args = parser.parse_args()
    head = load_markers(names=["suicide_risk"])["suicide_risk"].heads["en"]
    corpora = {"synthetic tweet-length posts": synthetic(args.posts)}
    if ms.available():
        for name in ("xed_en", "rmhd27_reddit_en"):
            labelled = next(s for s in ms.SETS if s.name == name)
            texts = ms.load_split(labelled, "test").get_column("text").to_list()
            corpora[f"{name} test split"] = texts
    else:
        print(f"no labelled sets at {ms.DATASETS}: synthetic posts only", file=sys.stderr)
    lines = [
        "Command: `PYTHONPATH=$PWD POLARS_MAX_THREADS=1 .venv/bin/python benchmarks/ngram_cost.py "
        f"--repeats {args.repeats} --posts {args.posts}`",
        "",
        "CPU µs per post of scoring one n-gram head (featurising included), least of "
        f"{args.repeats} runs, each recipe in the same run.",
        "",
        "| texts | posts | mean chars | " + " | ".join(RECIPES) + " | ratio |",
        "|---|---:|---:|" + "---:|" * (len(RECIPES) + 1),
    ]
    for name, texts in corpora.items():
        per = {recipe: cost(texts, replace(head, model=recipe), args.repeats) for recipe in RECIPES}
        values = list(per.values())
        lines.append(
            f"| {name} | {len(texts)} | {np.mean([len(t) for t in texts]):.0f} | "
            + " | ".join(f"{v * 1e6:.1f}" for v in values)
            + f" | {values[0] / values[-1]:.1f}x |"
        )
    text = "\n".join(lines)
    print(text)
    write_section("ngram-cost", text)


if __name__ == "__main__":
    main()
