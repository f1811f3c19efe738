"""What choosing the 8-week grain per period, rather than per series, would publish differently.

A suppress-mode release takes a series by week, or, when more than 2 % of its weeks are
withheld, by 8-week periods for its whole length (transforms.grains, step 3). The per-period
alternative keeps such a series' weeks in every 8-week period whose eight weeks all meet k and
publishes the 8-week cell only elsewhere. This script reads a finished suppress-mode run's
warehouse and counts, for each distinct top-level series published by 8-week periods, its whole
8-week periods, those whose eight weeks all meet k (the only ones the alternative would publish
differently), and what its publishable weeks hold: how many of them have 0 marked authors (a week
of a rare marker meets k with 0 marked authors or with 11 or more, never with 1–10).

    moodcast sample --profile forum --authors-per-day 300 --days 400 -o CORPUS
    echo 'models = {}' > DATA/config.toml
    moodcast run CORPUS/posts.jsonl --data-dir DATA --as-of 2026-02-15
    python benchmarks/grain_choice.py --data-dir DATA

It also checks those series' quarters against the 95 % interval of the quarter's published
mean (benchmarks.quarters: the share of each 8-week period, weighted by its days in the quarter;
binomial variance over the period's effective trials, authors as clusters), the check benchmarks/publishing.py makes on
every top-level series.

Writes the `grain-choice` section of benchmarks/RESULTS.md. Reads no text; counts only.
"""

from __future__ import annotations

import argparse

import polars as pl

from benchmarks.quarters import outside, quarter_intervals
from benchmarks.results import write_section
from transforms.periods import EIGHT_WEEKS, PERIOD_DAYS, period_start
from transforms.privacy import DEFAULT_K, is_suppressed
from warehouse import queries
from warehouse.store import open_published


def per_period_gain(weeks: pl.DataFrame, eight_series: list[str], *, k: int) -> pl.DataFrame:
    """Per marker of `eight_series` (top level): `periods` (whole 8-week periods), `all_weeks_ok`
    (of those, the periods whose eight weeks all meet k), `weeks_ok` (publishable weeks) and
    `weeks_ok_zero` (of those, weeks with 0 marked authors)."""
    top = weeks.filter(
        pl.col("region") == "all",
        pl.col("lang") == "all",
        pl.col("grain") == "iso_week",
        pl.col("marker").is_in(eight_series),
    ).with_columns(
        ok=~is_suppressed(k=k),
        start8=period_start(pl.col("period_start"), EIGHT_WEEKS["iso_week"]),
    )
    whole = (
        top.group_by("marker", "start8")
        .agg(pl.len().alias("weeks"), pl.col("ok").all().alias("all_ok"))
        .filter(pl.col("weeks") == PERIOD_DAYS[EIGHT_WEEKS["iso_week"]] // 7)
        .group_by("marker")
        .agg(pl.len().alias("periods"), pl.col("all_ok").sum().alias("all_weeks_ok"))
    )
    usable = top.group_by("marker").agg(
        pl.len().alias("weeks"),
        pl.col("ok").sum().alias("weeks_ok"),
        (pl.col("ok") & (pl.col("n_marked_authors") == 0)).sum().alias("weeks_ok_zero"),
    )
    return whole.join(usable, on="marker", how="full", coalesce=True).sort("marker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="a suppress-mode run's data directory")
    parser.add_argument("--write", action="store_true", help="write the RESULTS.md section")
    args = parser.parse_args()
    con = open_published(args.data_dir)
    timelines = queries.published(con, k=DEFAULT_K, week_grain="iso_week")
    distinct = timelines.filter(
        pl.col("region") == "all", pl.col("lang") == "all", pl.col("grain") == "iso_8week"
    )
    eight_series = sorted(distinct.get_column("marker").unique().to_list())
    table = per_period_gain(
        queries.current_periods(con, grain="iso_week"), eight_series, k=DEFAULT_K
    )
    print(table)
    quarters = quarter_intervals(
        queries.current_daily(con),
        queries.publishable_periods(con, week_grain="iso_week"),
        k=DEFAULT_K,
    ).filter(pl.col("marker").is_in(eight_series))
    print(quarters)
    off = quarters.filter(outside())
    rows = [
        f"| {r['marker']} | {r['periods']} | {r['all_weeks_ok']} | {r['weeks_ok']} of "
        f"{r['weeks']} | {r['weeks_ok_zero']} |"
        for r in table.iter_rows(named=True)
    ]
    total = int(table.get_column("all_weeks_ok").sum()), int(table.get_column("periods").sum())
    body = "\n".join(
        [
            "Command: the forum run in this script's docstring (300 authors a day, 400 days, "
            f"suppress mode, k = {DEFAULT_K}, ISO weeks, no sentence model), then "
            "`.venv/bin/python benchmarks/grain_choice.py --data-dir DATA --write`.",
            "",
            "| series published by 8-week periods (top level) | whole 8-week periods | of them "
            "with all 8 weeks meeting k | weeks meeting k | of them with 0 marked authors |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
            f"- Choosing the grain per 8-week period would publish {total[0]} of {total[1]} "
            "whole periods of these series differently (by week); the rest each hold a "
            "week below k.",
            f"- Their quarters (at least 60 days): {quarters.height}; relative error of the "
            f"published mean {quarters['rel'].min():.1%}–{quarters['rel'].max():.1%}; outside "
            f"both 5 % and the 95 % interval of the quarter's published mean: {off.height}"
            + "".join(
                f" ({r['marker']} {r['quarter']:%Y-%m}: {r['rel']:.1%} off, z = {r['z']:+.2f})"
                for r in off.iter_rows(named=True)
            )
            + ". A 95 % interval leaves about 1 in 20 outside by chance.",
        ]
    )
    if args.write:
        write_section("grain-choice", body)


if __name__ == "__main__":
    main()
