"""What joining contractions written apart costs the lexicon tagger, on one core.

    POLARS_MAX_THREADS=1 PYTHONPATH=$PWD .venv/bin/python benchmarks/contractions.py [--posts 100000]
        [--repeats 5]

`tag` (all shipped markers, batches of 20,000, markers compiled once) is timed with
`transforms.text.join_contractions` and without it (no language's contractions joined, so the
scan neither looks for spaced apostrophes nor scans those posts again), alternating `--repeats`
times in this process on the same posts, and the medians of CPU seconds are compared. Two
corpora: the sample corpus of benchmarks/lexicon.py (few apostrophes beside spaces), and, when
the shared datasets are there, CovidEmo's dev tweets repeated to the same size (tokenised: the
most contractions written apart of the sets; its texts never leave the process). Results go to
benchmarks/RESULTS.md (`lexicon-contractions` section).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["POLARS_MAX_THREADS"] = "1"

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import transforms.markers.compiled as compiled_module  # noqa: E402
from benchmarks import marker_sets as ms  # noqa: E402
from benchmarks.lexicon import corpus, ours  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from transforms.markers import compile_markers, load_markers  # noqa: E402
from transforms.text import CLITICS, join_contractions  # noqa: E402


def timed(frame: pl.DataFrame, repeats: int) -> tuple[float, float]:
    """Median CPU seconds of `tag` over `frame` with the join and without it (interleaved)."""
    markers = compile_markers(load_markers())
    ours(frame.head(1000), markers)
    with_join, without = [], []
    try:
        for _ in range(repeats):
            for clitics, times in ((CLITICS, with_join), ({}, without)):
                compiled_module.CLITICS = clitics
                start = time.process_time()
                ours(frame, markers)
                times.append(time.process_time() - start)
    finally:
        compiled_module.CLITICS = CLITICS
    return statistics.median(with_join), statistics.median(without)


def covidemo(posts: int) -> pl.DataFrame | None:
    """CovidEmo's dev tweets repeated to `posts` rows, or None without the shared datasets."""
    if not ms.available():
        return None
    dev = ms.load_split(next(s for s in ms.SETS if s.name == "covidemo_en"), "dev")
    frame = dev.select("text", "lang")
    return pl.concat([frame] * (posts // frame.height + 1)).head(posts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    corpora = {"sample corpus": corpus(args.posts), "CovidEmo dev, repeated": covidemo(args.posts)}
    for name, frame in corpora.items():
        if frame is None:
            print(f"{name}: skipped, no shared datasets in {ms.DATASETS}")
            continue
        changed = (join_contractions(frame["text"], frame["lang"]) != frame["text"]).mean()
        with_join, without = timed(frame, args.repeats)
        rows.append(
            f"| {name} | {frame.height:,} | {changed:.1%} | {without:.3f} | {with_join:.3f} "
            f"| {(with_join - without) * 1e3:.1f} | {with_join / without - 1:+.1%} |"
        )
        print(rows[-1])
    load = os.getloadavg()[0]
    body = "\n".join(
        [
            "`join_contractions` (transforms/text.py) before lexicon matching: `tag` timed with it "
            "and without it, alternating, medians of CPU seconds: "
            f"`POLARS_MAX_THREADS=1 PYTHONPATH=$PWD .venv/bin/python benchmarks/contractions.py "
            f"--posts {args.posts} --repeats {args.repeats}` (load average {load:.1f}).",
            "",
            "| corpus | posts | posts joined | tag without (s) | tag with (s) | cost (ms) | cost |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    write_section("lexicon-contractions", body)


if __name__ == "__main__":
    main()
