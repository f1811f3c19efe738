"""What benchmarks/publishing.py measures on DP mode: the release as run, tunings of it with
the same budget, and repeated releases of exact cells.

`bound_bias` tags the benchmark's corpus with `moodcast tag` (its own process) and holds author
ids in memory only; the rest are pure functions over counts.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from transforms.contracts import ALL
from transforms.dp import Budget, DayNoise, dp_release, noisy_day

ROOT = Path(__file__).resolve().parents[1]
RELEASES = 200


def bound_bias(work: Path, corpus: Path, *, config: str, bound: int = 2) -> pl.DataFrame:
    """Per marker: the share of its marked author-days that bounding each author-day to
    `bound` counted markers would drop (each author-day with c > `bound` marked markers keeping
    a uniformly random `bound` of them: each is kept with chance `bound` / c), the bias of the
    tuned DP sketch. Every post of the corpus is tagged by `moodcast tag` under the run's
    `config` and joined to its author and UTC day (reposts and repeated ids dropped, as the run
    drops them). Author ids are held in memory only. Also returns, as marker `(author-days)`,
    the share of marked author-days with more than `bound` markers."""
    tagged = work / "forum-tags.parquet"
    if not tagged.exists():
        home = work / "tag-home"
        home.mkdir(exist_ok=True)
        (home / "config.toml").write_text(config)
        command = [str(Path(sys.executable).with_name("moodcast")), "tag",
                   str(corpus / "posts.jsonl"), "-o", str(tagged), "--data-dir", str(home)]  # fmt: skip
        subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    tags = pl.read_parquet(tagged)
    markers = [c for c in tags.columns if c not in ("id", "lang") and "__" not in c]
    posts = _authors_and_days(corpus / "posts.jsonl").join(tags.select("id", *markers), on="id")
    days = posts.group_by("author", "day").agg(pl.col(markers).fill_null(False).any())
    days = days.with_columns(pl.sum_horizontal(markers).alias("c")).filter(pl.col("c") > 0)
    kept = pl.when(pl.col("c") > bound).then(bound / pl.col("c")).otherwise(1.0)
    rows = [(m, *days.filter(pl.col(m)).select(1 - kept.mean(), pl.len()).row(0)) for m in markers]
    rows.append(("(author-days)", float((days["c"] > bound).mean()), days.height))
    return pl.DataFrame(
        rows, schema={"marker": pl.String, "bias": pl.Float64, "n": pl.Int64}, orient="row"
    )


def _authors_and_days(path: Path) -> pl.DataFrame:
    """`id`, `author` and UTC `day` of every readable original post in a JSONL corpus."""
    rows = []
    with path.open("rb") as lines:
        for line in lines:
            try:
                post = json.loads(line)
                created = post["created_at"]
                if post.get("is_repost") or post.get("author_id") is None:
                    continue
                stamp = (
                    datetime.fromtimestamp(created, UTC)
                    if isinstance(created, int | float)
                    else datetime.fromisoformat(str(created).replace("Z", "+00:00"))
                )
                rows.append((str(post["id"]), str(post["author_id"]), stamp.astimezone(UTC).date()))
            except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
                continue
    schema = {"id": pl.String, "author": pl.String, "day": pl.Date}
    return pl.DataFrame(rows, schema=schema, orient="row").unique("id", keep="first")


def tuned_dp(daily: pl.DataFrame, weeks: pl.DataFrame) -> dict[str, object]:
    """Per marker (top level): the relative standard error of a quarter's mean share (delta
    method, noise only), averaged over quarters of at least 60 days, for noisy days (the DP
    mode as run), noisy weeks of author-days, and noisy weeks with at most 2 markers per
    author-day; the noise SDs from OpenDP's calibration (transforms.dp.Budget)."""
    n_markers = daily.get_column("marker").n_unique()
    sd_day = Budget().scale(n_markers)
    sd_bounded = Budget().scale(2)
    sd_four = Budget().scale(4)
    top = (pl.col("region") == ALL) & (pl.col("lang") == ALL)

    def quarter_se(frame: pl.DataFrame, marked: str, authors: str, sd: float) -> pl.DataFrame:
        p = pl.col(marked) / pl.col(authors)
        return (
            frame.filter(top)
            .with_columns(
                p.alias("p"), (sd**2 * (1 + p.pow(2)) / pl.col(authors).pow(2)).alias("v")
            )
            .group_by("marker", pl.col("day").dt.truncate("1q").alias("quarter"))
            .agg(pl.col("p").mean(), (pl.col("v").sum().sqrt() / pl.len()).alias("se"), pl.len())
        )

    days = quarter_se(daily, "n_marked_authors", "n_authors", sd_day).filter(pl.col("len") >= 60)
    by_week = weeks.filter(pl.col("grain") == "iso_week").rename({"period_start": "day"})
    week_se = quarter_se(by_week, "n_marked_author_days", "n_author_days", 1.0).filter(
        pl.col("len") >= 9
    )
    relative = (pl.col("se") / pl.col("p")).mean()
    table = (
        days.group_by("marker")
        .agg(pl.col("p").mean().alias("prevalence"), relative.alias("days"))
        .join(week_se.group_by("marker").agg(relative.alias("unit")), on="marker", how="left")
        .with_columns(
            (pl.col("unit") * sd_day).alias("weeks"),
            (pl.col("unit") * sd_bounded).alias("bounded"),
            (pl.col("unit") * sd_four).alias("bounded_4"),
        )
        .sort("prevalence", descending=True)
    )
    return {"table": table, "sd_week": sd_day, "sd_bounded": sd_bounded, "sd_four": sd_four}


def dp_quarters(release: pl.DataFrame, daily: pl.DataFrame) -> pl.DataFrame:
    """Per marker (top level) of a DP release (warehouse.queries.dp_released): the worst
    quarter's relative error of the mean noisy share against the exact one, and the share of
    quarters whose mean lies within its 95 % noise interval (the days' noise SDs, delta method,
    combined)."""
    top = (pl.col("region") == ALL) & (pl.col("lang") == ALL)
    truth = daily.filter(top).select(
        "marker", "day", (pl.col("n_marked_authors") / pl.col("n_authors")).alias("truth")
    )
    p = pl.col("prevalence")
    noisy = release.filter(top).select(
        "marker",
        "day",
        p.alias("dp"),
        (pl.col("noise_sd") * (1 + p.pow(2)).sqrt() / pl.col("n_authors")).pow(2).alias("var"),
    )
    quarters = (
        noisy.join(truth, on=["marker", "day"])
        .group_by("marker", pl.col("day").dt.truncate("1q"))
        .agg(
            pl.col("dp", "truth").mean(),
            (pl.col("var").sum().sqrt() / pl.len()).alias("sd"),
            pl.len(),
        )
        .filter(pl.col("len") >= 60)
    )
    return quarters.group_by("marker").agg(
        ((pl.col("dp") - pl.col("truth")).abs() / pl.col("truth")).max().alias("dp_worst"),
        ((pl.col("dp") - pl.col("truth")).abs() <= 1.959964 * pl.col("sd"))
        .mean()
        .alias("dp_within"),
    )


def dp_repeats(daily: pl.DataFrame, *, days: int = 14) -> dict[str, float]:
    """`RELEASES` DP releases of the base cells of the first `days` days (the exact counts stand
    in for the bounded ones: in the forum profile each author posts in one cell)."""
    base = daily.filter((pl.col("region") != ALL) & (pl.col("lang") != ALL))
    first = sorted(base["day"].unique())[:days]
    base = base.filter(pl.col("day").is_in(first))
    versions = dict(base.select("marker", "marker_version").unique().iter_rows())
    bounded = (
        base.group_by("day", "region", "lang")
        .agg(pl.col("n_authors").max())
        .join(
            base.select("day", "region", "lang", "marker", "n_marked_authors"),
            on=["day", "region", "lang"],
        )
    )
    noise = DayNoise(Budget(), n_markers=len(versions))
    truth = dp_release(
        pl.concat(
            noisy_day(group, versions, noise=_Exact(Budget(), 1), run_id="t")
            for _, group in bounded.group_by("day")
        )
    ).select("day", "region", "lang", "marker", pl.col("n_marked_authors").alias("true"))
    runs = []
    for i in range(RELEASES):
        cells = pl.concat(
            noisy_day(group, versions, noise=noise, run_id="r")
            for _, group in bounded.group_by("day")
        )
        runs.append(dp_release(cells).select(
            "day", "region", "lang", "marker", "n_marked_authors", "noise_sd",
            pl.lit(i).alias("release"),
        ))  # fmt: skip
    keys = ["day", "region", "lang", "marker"]
    joined = pl.concat(runs).join(truth, on=keys)
    cell = joined.group_by(keys).agg(
        ((pl.col("n_marked_authors").mean() - pl.col("true").first())
         / (pl.col("noise_sd").first() / math.sqrt(RELEASES))).alias("z"),
        ((pl.col("n_marked_authors") - pl.col("true")).abs() <= 1.959964 * pl.col("noise_sd"))
        .mean().alias("covered"),
    )  # fmt: skip
    return {
        "days": days,
        "cells": cell.height,
        "within_2se": float((cell["z"].abs() <= 2).mean()),
        "mean_z": float(cell["z"].mean()),
        "coverage": float(cell["covered"].mean()),
        "noise_sd": noise.scale,
    }


class _Exact(DayNoise):
    scale = 0.0

    def release(self, counts):
        return [float(c) for c in counts]
