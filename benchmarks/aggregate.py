"""Daily aggregation (transforms.aggregate.daily_aggregates, per author then per cell) against
the plain definition (`plain_aggregates`: one long table of posts × markers × grains, one group
by; also the oracle of tests/transforms/test_aggregate.py), on the same decided sample posts.

    taskset -c 0 .venv/bin/python benchmarks/aggregate.py [--posts 200000] [--repeats 3]

The script stops unless both give the same table. Medians of interleaved CPU and wall timings.
Results go to benchmarks/RESULTS.md (the `aggregate` section).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pipeline import corpora  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from transforms.aggregate import daily_aggregates  # noqa: E402
from transforms.contracts import ALL  # noqa: E402
from transforms.markers import load_markers  # noqa: E402
from transforms.model_markers import ModelConfig, decide, sample_rates  # noqa: E402
from transforms.posts import PostOptions, prepare  # noqa: E402
from transforms.records import parse_json_lines, validate  # noqa: E402


def decided_posts(posts: int) -> tuple[pl.DataFrame, dict, pl.DataFrame]:
    """The first `posts` posts of the 1M-post clean sample, prepared and decided as the job does
    (lexicon only), with the markers and their rates."""
    clean, _ = corpora(1_000_000, dirty=False)
    with clean.open("rb") as handle:
        lines = [next(handle).rstrip(b"\n") for _ in range(posts)]
    records, _ = parse_json_lines(lines, source=str(clean), first_line=1)
    valid, _ = validate(records, source_tz="UTC")
    markers, config = load_markers(), ModelConfig(models={})
    options = PostOptions(as_of=date(2026, 12, 1), models=config)
    kept, _, _ = prepare(valid, markers=markers, key=b"benchmark-key", options=options)
    model = pl.DataFrame(schema={"lang": pl.String, "key": pl.UInt64})
    decided = decide(kept, model, markers=markers, config=config, source=None)
    return kept.with_columns(decided.select(list(markers))), markers, sample_rates(markers, config, None)  # fmt: skip


def long_cells(posts: pl.DataFrame, markers, *, rates) -> pl.DataFrame:
    """Decided posts as one long row per post × marker with a source in the post's language
    (`day, region, lang, author, marker`, the decision as `value`, `sample_rate`), four times:
    in its base cell and in the `region = all`, `lang = all` and `all, all` roll-ups."""
    long = posts.unpivot(
        on=list(markers), index=["day", "region", "lang", "author"], variable_name="marker"
    ).join(rates, on=["marker", "lang"], how="inner")
    return pl.concat(
        [
            long,
            long.with_columns(pl.lit(ALL).alias("region")),
            long.with_columns(pl.lit(ALL).alias("lang")),
            long.with_columns(pl.lit(ALL).alias("region"), pl.lit(ALL).alias("lang")),
        ]
    )


def plain_aggregates(posts: pl.DataFrame, markers, *, rates) -> pl.DataFrame:
    """`daily_aggregates`' definition, written plainly: `long_cells`, one group by (the oracle
    of tests/transforms/test_aggregate.py)."""
    scored = pl.col("value").is_not_null()
    return (
        long_cells(posts, markers, rates=rates).group_by("day", "region", "lang", "marker")
        .agg(
            pl.len().alias("n_posts"),
            scored.sum().alias("n_scored"),
            pl.col("value").sum().alias("n_marked"),
            pl.col("author").filter(scored).drop_nulls().n_unique().alias("n_authors"),
            pl.col("author").filter(pl.col("value")).drop_nulls().n_unique().alias("n_marked_authors"),
            pl.col("sample_rate").min(),
        )
        .with_columns(pl.col(c).cast(pl.Int64) for c in ("n_posts", "n_scored", "n_marked", "n_authors", "n_marked_authors"))
        .sort("day", "region", "lang", "marker")
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    posts, markers, rates = decided_posts(args.posts)
    sides = {
        "daily_aggregates (per author, then per cell)": lambda: daily_aggregates(posts, markers, run_id="b", rates=rates),
        "plain definition (long table, one group by)": lambda: plain_aggregates(posts, markers, rates=rates),
    }  # fmt: skip
    wall: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    results = {}
    for _ in range(args.repeats):
        for name, side in sides.items():
            start, clock = time.perf_counter(), time.process_time()
            results[name] = side()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - clock)
    ours, plain = results.values()
    if not ours.select(plain.columns).equals(plain):
        raise SystemExit("daily_aggregates and the plain definition disagree")
    med = {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in sides}
    (ours_wall, ours_cpu), (plain_wall, plain_cpu) = med.values()
    load = os.getloadavg()
    lines = [
        f"`taskset -c {','.join(map(str, sorted(os.sched_getaffinity(0))))} .venv/bin/python benchmarks/aggregate.py --posts {args.posts} --repeats"
        f" {args.repeats}` on {len(os.sched_getaffinity(0))} of {os.cpu_count()} cores, Python"
        f" {platform.python_version()}, {date.today().isoformat()}; {posts.height:,} kept posts,"
        f" {ours.height:,} aggregate rows. Load average at the end: {load[0]:.1f} (1 min): the"
        " machine was shared.",
        "",
        "| aggregation | median wall s | median CPU s |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {w:.2f} | {c:.2f} |" for name, (w, c) in med.items()),
        "",
        f"**{plain_wall / ours_wall:.1f}× faster in wall time, {plain_cpu / ours_cpu:.1f}× in CPU"
        "**, identical tables.",
    ]
    write_section("aggregate", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
