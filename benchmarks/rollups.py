"""How often a `lang = all` roll-up's adjusted share is withheld where users look, and what the
cap on the share of authors bounded (transforms.rollups.MAX_BOUNDED_SHARE) would publish.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/rollups.py [--posts 200000] [--caps 0,0.02,0.05,0.1,0.5]

Generates the demo's sample corpus (`moodcast sample --posts N`, English and Spanish; kept in
benchmarks/.data/rollups-sample-N), runs `moodcast run --as-of 2026-01-05` on it into a
temporary data directory, and reads its published day rows (transforms.publish.published_days
at k = 11 and `iso_week`: the rows `warehouse.queries.daily` starts from, a day of a week or
8-week period published whole carrying that period's counts). It adjusts each day row on its
own with the shipped rates at each cap of `--caps` (`with_adjusted_prevalence(...,
max_bounded_share=cap)`), where `warehouse.queries.daily` reads each day's adjusted share off
the published row of the period that holds it (transforms.publish.adjusted_days): the
statuses below are counted day row by day row, as this script combines them. Per marker: the
published `lang = all` day rows (not suppressed) by status at the default cap, and the share of
their authors in languages that are not validated (from the language rows of each roll-up
whose cells are all published); then, per cap, the roll-up day rows with an adjusted share. Writes the `rollups` section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import warehouse  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from transforms.publish import published_days  # noqa: E402
from transforms.quantify import with_adjusted_prevalence  # noqa: E402
from transforms.rates import merged_rates  # noqa: E402
from transforms.releases import Release  # noqa: E402
from transforms.rollups import MAX_BOUNDED_SHARE, has_adjusted  # noqa: E402
from transforms.validation import BOUNDED, VALIDATED  # noqa: E402
from warehouse import queries  # noqa: E402

AS_OF = "2026-01-05"
CELL = ("day", "region", "marker", "marker_version")


def moodcast(*args: str) -> None:
    """`moodcast ARGS` from this checkout; raises with its stderr on failure."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    command = [str(Path(sys.executable).with_name("moodcast")), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"moodcast {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def cells(posts: int) -> pl.DataFrame:
    """The published day cells (before adjustment) of a run on the sample corpus of `posts`."""
    corpus = ROOT / "benchmarks" / ".data" / f"rollups-sample-{posts}"
    if not (corpus / "posts.jsonl").is_file():
        moodcast("sample", "-o", str(corpus), "--posts", str(posts))
    with tempfile.TemporaryDirectory(prefix="rollups-") as data:
        moodcast("run", str(corpus / "posts.jsonl"), "--data-dir", data, "--as-of", AS_OF)
        con = warehouse.open_published(Path(data))
        try:
            weeks = queries.publishable_periods(con, week_grain="iso_week")
            return published_days(
                queries.current_daily(con), weeks, Release(k=11, week_grain="iso_week")
            )
        finally:
            con.close()


def unvalidated_shares(rows: pl.DataFrame) -> pl.DataFrame:
    """Per roll-up cell whose language cells are all published: the share of its languages'
    authors in languages that are not validated (`share`), with `marker`."""
    parts = rows.filter(pl.col("lang") != "all")
    return (
        parts.group_by(CELL)
        .agg(
            pl.col("n_authors").null_count().alias("hidden"),
            (
                pl.col("n_authors").filter(pl.col("validation") != VALIDATED).sum()
                / pl.col("n_authors").sum()
            ).alias("share"),
        )
        .filter(pl.col("hidden") == 0)
        .select("marker", "share")
    )


def report(frame: pl.DataFrame, caps: list[float], posts: int) -> str:
    """The RESULTS section."""
    rates = merged_rates(None)
    rows = with_adjusted_prevalence(frame, rates)
    rollups = rows.filter((pl.col("lang") == "all") & ~pl.col("suppressed"))
    status = (
        pl.when(pl.col("validation") == VALIDATED)
        .then(pl.lit("validated"))
        .when(pl.col("validation").str.starts_with(BOUNDED))
        .then(pl.lit("validated in part"))
        .otherwise(pl.col("validation").str.extract(r"^not validated: ([^(]*?)\s*(\(|$)"))
    )
    shares = unvalidated_shares(rows).filter(pl.col("share") > 0)
    table = (
        rollups.group_by("marker", status.alias("status"))
        .agg(pl.len().alias("rows"))
        .join(
            shares.group_by("marker").agg(
                pl.col("share").min().alias("lo"),
                pl.col("share").median().alias("median"),
                pl.col("share").max().alias("hi"),
            ),
            on="marker",
            how="left",
        )
        .sort("marker", "status")
    )
    lines = [
        "Command: `PYTHONPATH=$PWD .venv/bin/python benchmarks/rollups.py "
        f"--posts {posts} --caps {','.join(map(str, caps))}`",
        "",
        f"The demo's sample corpus ({posts:,} posts, English and Spanish), `moodcast run "
        f"--as-of {AS_OF}`, its published day rows with the shipped rates. Per marker, the "
        "published (not suppressed) `lang = all` rows by status at the default cap "
        f"({MAX_BOUNDED_SHARE:.0%}), and the share of a roll-up's authors in languages that are "
        "not validated, over the roll-ups whose language cells are all published and some "
        "not validated (min / median / max).",
        "",
        "| marker | status | roll-up rows | authors not validated: min | median | max |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in table.iter_rows(named=True):
        spread = (
            ["—"] * 3
            if r["median"] is None
            else [f"{r[key]:.1%}" for key in ("lo", "median", "hi")]
        )
        lines.append(f"| {r['marker']} | {r['status']} | {r['rows']:,} | {' | '.join(spread)} |")
    lines += [
        "",
        "| cap on the share bounded | roll-up rows with an adjusted share |",
        "| ---: | ---: |",
    ]
    for cap in caps:
        capped = with_adjusted_prevalence(frame, rates, max_bounded_share=cap).filter(
            (pl.col("lang") == "all") & ~pl.col("suppressed")
        )
        published = capped.filter(has_adjusted(pl.col("validation"))).height
        lines.append(f"| {cap:.0%} | {published:,} of {capped.height:,} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--caps", default="0,0.02,0.05,0.1,0.5")
    args = parser.parse_args()
    caps = [float(c) for c in args.caps.split(",")]
    body = report(cells(args.posts), caps, args.posts)
    print(body)
    write_section("rollups", body)


if __name__ == "__main__":
    main()
