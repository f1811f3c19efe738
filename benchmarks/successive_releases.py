"""What tying successive suppress-mode releases together costs (transforms.grains: periods
published whole only once ended, each period kept at the grain a release first published it).

    moodcast sample --profile forum --authors-per-day 300 --days 365 -o CORPUS
    python -m benchmarks.successive_releases --corpus CORPUS/posts.jsonl \\
        --data-dir DATA --last 2026-01-05 --releases 14

Runs `moodcast run --as-of DAY` (models = {}) on one data directory for each of `--releases`
successive days ending `--last`, as a daily job would, and after each compares the day view
the release publishes (`warehouse.queries.daily`: every daily cell, `suppressed` where it is
withheld) with the view the same cells gave before the rule (transforms.publish.published_days
without a record, every period taken as ended): the rows withheld now that were published
before, and the reverse, over every series and over the top-level ones (`all`/`all`); over
the releases, the days of a series published in cells a reader can subtract (`overlaps`) and the
suppressed days a roll-up's line gives back (`lines_given_back`). Last, the CPU seconds of
one `warehouse.record_release` (what every run and every stream load now adds before it
publishes) on a copy of the last warehouse, with its record and with none (`record_cost`).

Writes the `successive-releases` section of benchmarks/RESULTS.md. Reads no text; counts only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from benchmarks.results import write_section
from benchmarks.small_run import LEXICON_ONLY
from moodcast.config import load_settings
from moodcast.run import daily_run
from transforms.privacy import DEFAULT_K, is_suppressed, lonely_cells
from transforms.publish import published_days, published_timelines
from transforms.releases import MOVED_COUNTS, Release
from warehouse import queries
from warehouse.releases import record_release
from warehouse.store import open_published, writing

SERIES = ("marker", "region", "lang", "marker_version")


def overlaps(releases: list[pl.DataFrame], *, k: int = DEFAULT_K) -> pl.DataFrame:
    """The days of a series that two of `releases` (PUBLISHED_SCHEMA rows, `status`
    published) publish in cells a reader can subtract to get below `k`: another period or
    grain (one release's cell minus the other's, or minus the days of the other inside it,
    gives back days that neither publishes alone), or the same period with some of
    MOVED_COUNTS 1 to k - 1 apart (the difference is the changed authors; counts at least k
    apart, which the rule allows, are not counted). Columns: SERIES, `day`, `cells` (how many
    different cells publish it so)."""
    cell = ["grain", "period_start", *MOVED_COUNTS]
    rows = (
        pl.concat(releases)
        .select(*SERIES, pl.date_ranges("period_start", "period_end").alias("day"), *cell)
        .explode("day")
        .unique()
    )
    apart = (
        (pl.col("grain") != pl.col("grain_other"))
        | (pl.col("period_start") != pl.col("period_start_other"))
        | pl.any_horizontal(
            (pl.col(c) - pl.col(f"{c}_other")).abs().is_between(1, k - 1) for c in MOVED_COUNTS
        )
    )
    return (
        rows.join(rows, on=[*SERIES, "day"], suffix="_other")
        .filter(apart)
        .group_by(*SERIES, "day")
        .agg(pl.struct(cell).n_unique().alias("cells"))
        .sort(pl.all())
    )


def lines_given_back(releases: list[pl.DataFrame], daily: pl.DataFrame) -> int:
    """The suppressed day cells of `daily` (DAILY_SCHEMA) that a line gives back across
    `releases` (PUBLISHED_SCHEMA rows, `status` published): every other cell of one of its
    lines (a roll-up and its children, transforms.privacy.LINE_AXES) is published by day in
    some release, so the roll-up minus its siblings is the cell."""
    by_day = (
        pl.concat(releases)
        .filter(pl.col("grain") == "day")
        .select(*SERIES, pl.col("period_start").alias("day"), pl.lit(True).alias("_shown"))
        .unique()
    )
    cells = daily.join(by_day, on=[*SERIES, "day"], how="left").with_columns(
        pl.col("_shown").is_null().alias("_unknown")
    )
    lonely = lonely_cells(cells, flag="_unknown", keys=("marker", "marker_version", "day"))
    small = cells.filter(is_suppressed(k=DEFAULT_K))
    return lonely.join(small, on=["marker", "marker_version", "day", "region", "lang"]).height


def releases(data_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The published rows of the warehouse in `data_dir`, and of the same cells without the
    rule."""
    with open_published(data_dir) as con:
        old = published_timelines(
            queries.current_daily(con),
            queries.publishable_periods(con, week_grain="iso_week"),
            Release(k=DEFAULT_K, week_grain="iso_week"),
        )
        new = queries.published(con, k=DEFAULT_K, week_grain="iso_week")
    shown = pl.col("status") == "published"
    return new.filter(shown).select(old.columns), old.filter(shown)


def compare(data_dir: Path) -> dict[str, int]:
    """The day view of the published warehouse in `data_dir` against the rule-free one."""
    with open_published(data_dir) as con:
        now = queries.daily(con, k=DEFAULT_K, week_grain="iso_week")
        before = published_days(
            queries.current_daily(con),
            queries.publishable_periods(con, week_grain="iso_week"),
            Release(k=DEFAULT_K, week_grain="iso_week"),
        )
    keys = ["marker", "region", "lang", "day"]
    both = now.select(*keys, "suppressed").join(
        before.select(*keys, pl.col("suppressed").alias("before")), on=keys, validate="1:1"
    )
    top = pl.col("region").eq("all") & pl.col("lang").eq("all")
    lost = pl.col("suppressed") & ~pl.col("before")
    gained = ~pl.col("suppressed") & pl.col("before")
    return both.select(
        pl.len().alias("rows"),
        lost.sum().alias("lost"),
        gained.sum().alias("gained"),
        top.sum().alias("top_rows"),
        (lost & top).sum().alias("top_lost"),
        (gained & top).sum().alias("top_gained"),
        pl.col("suppressed").sum().alias("withheld"),
        pl.col("before").sum().alias("withheld_before"),
    ).row(0, named=True)


def record_cost(
    data_dir: Path, *, as_of: date, today: date, repeats: int = 3
) -> tuple[float, float]:
    """CPU seconds (process time, every thread) of one `record_release` on a copy of the
    warehouse in `data_dir`, median of `repeats`, as the last run called it (its `as_of`, and
    `today`, its clock's day: the days from it on have not ended): with its record (a rerun or
    the next load of the same days: the record is up to date) and with none
    (`published_grains`, `published_counts` and `withheld_counts` emptied first: every period
    chosen afresh until the record holds)."""
    costs: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        for with_record in (True, False) * repeats:
            copy = Path(tmp) / "data"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(data_dir, copy, symlinks=True)
            with writing(copy) as con:
                if not with_record:
                    con.execute("DELETE FROM published_grains")
                    con.execute("DELETE FROM published_counts")
                    con.execute("DELETE FROM withheld_counts")
                clock = time.process_time()
                record_release(
                    con,
                    k=DEFAULT_K,
                    week_grain="iso_week",
                    privacy="suppress",
                    as_of=as_of,
                    today=today,
                )
                costs[with_record].append(time.process_time() - clock)
    return statistics.median(costs[True]), statistics.median(costs[False])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--last", type=date.fromisoformat, required=True)
    parser.add_argument("--releases", type=int, default=14)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    (args.data_dir / "config.toml").write_text(LEXICON_ONLY + "forecast_jobs = 1\n")
    lines = [
        "| as-of | day rows | withheld | withheld before | withheld now, published before "
        "| published now, withheld before | top-level rows | top-level withheld now, published "
        "before | run s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    totals = {"lost": 0, "rows": 0, "top_lost": 0, "top_rows": 0}
    now, before = [], []
    for i in range(args.releases):
        day = args.last - timedelta(days=args.releases - 1 - i)
        clock = time.monotonic()
        daily_run(
            [str(args.corpus)], settings=load_settings(args.data_dir), as_of=day, beam_args=[]
        )
        seconds = time.monotonic() - clock
        c = compare(args.data_dir)
        new, old = releases(args.data_dir)
        now.append(new)
        before.append(old)
        totals = {key: totals[key] + c[key] for key in totals}
        lines.append(
            f"| {day} | {c['rows']:,} | {c['withheld']:,} | {c['withheld_before']:,} "
            f"| {c['lost']:,} | {c['gained']:,} | {c['top_rows']:,} | {c['top_lost']:,} "
            f"| {seconds:.0f} |"
        )
        print(lines[-1], flush=True)
    with open_published(args.data_dir) as con:
        daily = queries.current_daily(con)
    summary = (
        f"Over the {args.releases} releases: {totals['lost']:,} of {totals['rows']:,} day-view "
        f"rows ({totals['lost'] / totals['rows']:.1%}) withheld that the release without the "
        f"rule published; top-level series {totals['top_lost']:,} of {totals['top_rows']:,} "
        f"({totals['top_lost'] / max(totals['top_rows'], 1):.1%}). Days of a series that two "
        f"releases publish in cells a reader can subtract to get below k (`overlaps`: other "
        f"periods or grains, or one cell with counts 1 to k - 1 apart): "
        f"{overlaps(now).height:,} with the rule, {overlaps(before).height:,} without. "
        f"Suppressed days a line gives back across the releases (`lines_given_back`: every "
        f"other cell of a roll-up's line published by day in some release): "
        f"{lines_given_back(now, daily):,} with the rule, "
        f"{lines_given_back(before, daily):,} without."
    )
    today = datetime.now(ZoneInfo(load_settings(args.data_dir).tz)).date()
    recorded, afresh = record_cost(args.data_dir, as_of=args.last, today=today)
    cost = (
        f"One `warehouse.record_release` on the last warehouse ({daily.height:,} daily cells, "
        f"{daily.select(SERIES).n_unique()} series; what every run and every stream load adds "
        f"before it publishes; `record_cost`, median of 3, process CPU): {recorded:.2f} CPU s "
        f"with its record, {afresh:.2f} CPU s with none."
    )
    print(summary)
    print(cost)
    write_section(
        "successive-releases",
        "\n".join(
            [
                f"`python -m benchmarks.successive_releases --corpus "
                f"CORPUS/posts.jsonl --data-dir DATA --last {args.last} --releases "
                f"{args.releases}` on `moodcast sample --profile forum --authors-per-day 300 "
                f"--days 365` (k = {DEFAULT_K}, ISO weeks, `models = {{}}`), "
                f"{date.today()}: one `moodcast run --as-of DAY` a day on one data "
                "directory; per release, its day view (`queries.daily`) against the same "
                "cells' view without the rule (no record, every period taken as ended).",
                "",
                *lines,
                "",
                summary,
                "",
                cost,
            ]
        ),
    )


if __name__ == "__main__":
    main()
