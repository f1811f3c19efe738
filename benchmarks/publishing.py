"""Published timelines at a real forum's volume: bias, holes, forecast coverage, disclosure, DP.

    .venv/bin/python benchmarks/publishing.py [--days 730] [--work DIR]

Generates the sparse sample (`moodcast sample --profile forum --authors-per-day 300`, two
years, one region, English, markers at 0.5–3 %) and runs `moodcast run` on it (its own
process: wall time and peak memory) in suppress mode (k = 11) and in DP mode, then measures,
on the distinct top-level series (`marker|all|all`):

- **bias**: per quarter (those with at least 60 days of data), the mean published share (each day's published value: its own, or its
  week's or 8-week period's where that is published whole) against the all-days truth (the exact daily shares
  of every day), as a relative error; the peer is the old rule (publish a day only when it meets
  k, otherwise a hole), on the same data;
- **holes**: the share of days withheld, for markers with prevalence ≥ 2 %, against the peer;
- **forecasts**: the share of distinct top-level series forecast, by day, week or 8-week period, in both
  modes, and the alerts: none on a series that duplicates another, no two of one series and
  method over overlapping periods;
- **disclosure**: on a default-profile sample (three regions, two languages), the withheld cells
  that subtracting published siblings from a roll-up gives back (transforms.privacy
  .lonely_cells), for the published release and for the peer;
- **DP mode's quarters**: the same bias measure on the DP run's release, and how many quarter
  means fall within their 95 % noise interval (why `suppress` stays the default at this volume);
- **tuned DP**: the relative standard error of a quarter's mean share under the DP mode as
  run (noisy days) and under two tunings with the same budget per author per day, simulated
  with OpenDP's calibrated noise on the exact weekly counts: noisy weeks of author-days
  (each author-day is in one week, so a week's count has the same sensitivity as a day's), and
  noisy weeks with at most 2 markers counted per author-day (sensitivity √3 instead of
  √(M + 1)), and that bound's bias, measured on author-days of the corpus tagged by
  `moodcast tag`;
- **DP**: 200 releases of the forum's exact base cells through transforms.dp (ε = 1, δ = 1e-6 per
  author per day): per cell, bias of the mean in standard errors, and the coverage of the stated
  95 % noise intervals.

`--work DIR` keeps the corpora and warehouses there and reuses them on the next call. Results go
to benchmarks/RESULTS.md (the section between the `publishing` markers).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import write_section  # noqa: E402
from transforms.aggregate import period_start  # noqa: E402
from transforms.contracts import ALL  # noqa: E402
from transforms.dp import Budget, DayNoise, dp_release, noisy_day  # noqa: E402
from transforms.privacy import is_suppressed, lonely_cells, suppress  # noqa: E402
from transforms.publish import published_days  # noqa: E402
from transforms.series import derived_series, same_series  # noqa: E402

START = date(2024, 1, 1)
K = 11
RELEASES = 200


def corpus_and_run(
    work: Path, name: str, *, days: int, config: str = "", suffix: str = "", **sample
) -> tuple[Path, dict[str, float]]:
    """Generate a corpus and run `moodcast run` on it once, as its own process, into the data
    directory `<name><suffix>-data` with `config` as its config.toml; reuse both when already
    there. Returns the data directory and the run's wall time (s) and peak resident memory
    (GB)."""
    from moodcast.sample import generate_sample

    corpus, data = work / f"{name}-corpus", work / f"{name}{suffix}-data"
    measured = work / f"{name}{suffix}-run.json"
    if not measured.exists():
        if not (corpus / "posts.jsonl").exists():
            generate_sample(corpus, days=days, start=START, **sample)
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        (data / "config.toml").write_text(config)
        as_of = date.fromordinal(START.toordinal() + days)
        command = [str(Path(sys.executable).with_name("moodcast")), "run", str(corpus / "posts.jsonl"),
                   "--data-dir", str(data), "--as-of", as_of.isoformat()]  # fmt: skip
        clock = time.perf_counter()
        process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(ROOT)})
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"moodcast run on {corpus} failed")
        measured.write_text(json.dumps({
            "seconds": time.perf_counter() - clock, "peak_gb": usage.ru_maxrss / 1024**2,
        }))  # fmt: skip
    return data, json.loads(measured.read_text())


def read(data: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    import warehouse
    from warehouse import queries

    con = warehouse.open_published(data)
    try:
        return (
            queries.current_daily(con),
            queries.publishable_periods(con, week_grain="iso_week"),
            queries.forecasts(con),
            queries.alerts(con),
        )
    finally:
        con.close()


def read_release(data: Path) -> pl.DataFrame:
    """The DP release of a data directory (warehouse.queries.dp_released)."""
    import warehouse
    from warehouse import queries

    con = warehouse.open_published(data)
    try:
        return queries.dp_released(con)
    finally:
        con.close()


def bias_and_holes(daily: pl.DataFrame, weeks: pl.DataFrame) -> pl.DataFrame:
    """Per marker (top level): prevalence, days withheld (ours, peer) and the worst quarter's
    relative error of the published mean (ours, peer) against the all-days truth."""
    top = (pl.col("region") == ALL) & (pl.col("lang") == ALL)
    ours = published_days(daily, weeks, k=K, week_grain="iso_week").filter(top)
    peer = suppress(daily.filter(top), k=K).with_columns(
        (pl.col("n_marked_authors") / pl.col("n_authors")).alias("peer")
    )
    truth = daily.filter(top).with_columns(
        (pl.col("n_marked_authors") / pl.col("n_authors")).alias("truth")
    )
    frame = (
        truth.select("marker", "day", "truth")
        .join(
            ours.select(
                "marker",
                "day",
                pl.col("prevalence").alias("ours"),
                "prevalence_lo",
                "prevalence_hi",
            ),
            on=["marker", "day"],
        )
        .join(peer.select("marker", "day", "peer"), on=["marker", "day"])
        .with_columns(pl.col("day").dt.truncate("1q").alias("quarter"))
    )
    quarters = (
        frame.group_by("marker", "quarter")
        .agg(
            pl.col("truth", "ours", "peer", "prevalence_lo", "prevalence_hi").mean(),
            pl.len(),
        )
        .filter(pl.col("len") >= 60)
    )
    inside = (pl.col("prevalence_lo") <= pl.col("truth")) & (
        pl.col("truth") <= pl.col("prevalence_hi")
    )
    relative = lambda c: (  # noqa: E731
        pl.when(pl.col(c) == pl.col("truth"))
        .then(0.0)
        .otherwise((pl.col(c) - pl.col("truth")).abs() / pl.col("truth"))
    )
    error = lambda c: relative(c).max()  # noqa: E731
    grains = (
        ours.filter(~pl.col("suppressed"))
        .group_by("marker")
        .agg(pl.col("grain").mode().first().alias("grain"))
    )
    return (
        frame.group_by("marker")
        .agg(
            pl.col("truth").mean().alias("prevalence"),
            pl.col("ours").is_null().mean().alias("withheld_ours"),
            pl.col("peer").is_null().mean().alias("withheld_peer"),
        )
        .join(
            quarters.group_by("marker").agg(
                error("ours").alias("worst_quarter_ours"),
                error("peer").alias("worst_quarter_peer"),
                ((relative("ours") <= 0.05) | inside)
                .filter(pl.col("ours").is_not_null())
                .mean()
                .alias("quarters_ok"),
            ),
            on="marker",
            how="left",
        )
        .join(grains, on="marker", how="left")
        .sort("prevalence", descending=True)
    )


def forecast_coverage(
    daily: pl.DataFrame, weeks: pl.DataFrame, forecasts: pl.DataFrame
) -> dict[str, object]:
    """Of the distinct top-level series: how many, how many forecast, at which grain
    (transforms.series.derived_series), and which were left out."""
    distinct = same_series(daily).filter(
        pl.col("same_as").is_null() & pl.col("unique_id").str.ends_with(f"|{ALL}|{ALL}")
    )
    forecast = distinct.join(forecasts.select("unique_id").unique(), on="unique_id", how="semi")
    _, grains = derived_series(daily, weeks, k=K, week_grain="iso_week")
    grains = grains.join(forecast, on="unique_id", how="semi")
    return {
        "distinct": distinct.height,
        "forecast": forecast.height,
        "by_day": grains.filter(pl.col("grain") == "day").height,
        "by_week": grains.filter(pl.col("grain") == "iso_week").height,
        "by_8week": grains.filter(pl.col("grain") == "iso_8week").height,
        "left_out": sorted(
            distinct.join(forecast, on="unique_id", how="anti")["unique_id"]
            .str.split("|")
            .list.first()
        ),
    }


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


def repeated_alerts(daily: pl.DataFrame, alerts: pl.DataFrame) -> tuple[int, int, int]:
    """(alert rows, rows on a series that duplicates another (`same_as` set), pairs of rows of
    one series and method whose periods overlap: the same wave told twice)."""
    waves = alerts.filter(pl.col("method") != "data_event")
    duplicated = same_series(daily).filter(pl.col("same_as").is_not_null())
    on_copies = waves.join(duplicated, on="unique_id", how="semi").height
    pairs = (
        waves.with_row_index("i")
        .join(waves.with_row_index("j"), on=["unique_id", "method"])
        .filter(
            (pl.col("i") < pl.col("j"))
            & (pl.col("start") <= pl.col("end_right"))
            & (pl.col("start_right") <= pl.col("end"))
        )
    )
    return waves.height, on_copies, pairs.height


def disclosure(daily: pl.DataFrame, weeks: pl.DataFrame) -> tuple[int, int, int]:
    """(lonely withheld cells in our release, in the peer's, withheld series-weeks in ours).
    Ours is audited at three levels, per line of one marker and period: a series' days are
    unknown in a week where any of them is not published by itself, its week total where any
    day of it is withheld or published only as its 8-week period, its 8-week total where any
    day of it is withheld; a line with exactly one unknown cell gives that cell back."""
    ours = published_days(daily, weeks, k=K, week_grain="iso_week").with_columns(
        pl.col("day").dt.truncate("1w").alias("week"),
        period_start(pl.col("day"), "iso_8week").alias("eight"),
    )
    series = ("marker", "region", "lang")
    by_week = ours.group_by(*series, "week").agg(
        pl.col("suppressed").any().alias("withheld"),
        (pl.col("grain") != "day").any().alias("coarse"),
        (pl.col("suppressed") | (pl.col("grain") == "iso_8week")).any().alias("unknown"),
    )
    by_eight = ours.group_by(*series, "eight").agg(pl.col("suppressed").any().alias("unknown"))
    lonely = sum(
        lonely_cells(by_week, flag=flag, keys=("marker", "week")).height
        for flag in ("coarse", "unknown")
    )
    lonely += lonely_cells(by_eight, flag="unknown", keys=("marker", "eight")).height
    peer = daily.with_columns(is_suppressed(k=K).alias("withheld"))
    peer_lonely = lonely_cells(peer, flag="withheld", keys=("marker", "day")).height
    return lonely, peer_lonely, int(by_week["withheld"].sum())


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--default-posts", type=int, default=60_000)
    parser.add_argument("--work", type=Path)
    parser.add_argument(
        "--no-dp-run", action="store_true", help="skip the forum run in DP mode (a second ingest)"
    )
    parser.add_argument(
        "--lexicon-only",
        action="store_true",
        help="runs without the sentence model (`models = {}`: suicide_risk by its lexicon only)",
    )
    args = parser.parse_args()
    os.environ.setdefault("MOODCAST_SECRET", "publishing-benchmark-secret-0123456789")
    work = args.work or Path(tempfile.mkdtemp(prefix="moodcast-publishing-"))
    clock = time.perf_counter()
    models, suffix = ("models = {}\n", "-lex") if args.lexicon_only else ("", "")
    forum, forum_run = corpus_and_run(
        work, "forum", days=args.days, config=models, suffix=suffix, profile="forum",
        authors_per_day=300,
    )  # fmt: skip
    daily, weeks, forecasts, alerts = read(forum)
    table = bias_and_holes(daily, weeks)
    tuned = tuned_dp(daily, weeks)
    biases = bound_bias(work, work / "forum-corpus", config=models)
    four = bound_bias(work, work / "forum-corpus", config=models, bound=4)
    tuned["table"] = (
        tuned["table"]
        .join(biases.select("marker", pl.col("bias").alias("bound_bias")), on="marker", how="left")
        .join(four.select("marker", pl.col("bias").alias("bias_4")), on="marker", how="left")
    )
    over = biases.filter(pl.col("marker") == "(author-days)").row(0, named=True)
    over_4 = four.filter(pl.col("marker") == "(author-days)").row(0, named=True)
    coverage = forecast_coverage(daily, weeks, forecasts)
    waves, on_copies, overlapping = repeated_alerts(daily, alerts)
    dp_line = "- DP mode run: skipped (`--no-dp-run`)."
    if not args.no_dp_run:
        dp_forum, dp_run = corpus_and_run(
            work, "forum", days=args.days, config=f'privacy = "dp"\n{models}', suffix=f"{suffix}-dp",
            profile="forum", authors_per_day=300,
        )  # fmt: skip
        dp_daily, _, dp_forecasts, dp_alerts = read(dp_forum)
        table = table.join(dp_quarters(read_release(dp_forum), daily), on="marker", how="left")
        dp_coverage = forecast_coverage(dp_daily, weeks, dp_forecasts)
        dp_waves, dp_on_copies, dp_overlapping = repeated_alerts(dp_daily, dp_alerts)
        dp_line = (
            f'- DP mode (`privacy = "dp"`, the same corpus): {dp_coverage["forecast"]} of '
            f"{dp_coverage['distinct']} distinct top-level series forecast "
            f"({dp_coverage['forecast'] / dp_coverage['distinct']:.0%}); {dp_waves} wave alerts, "
            f"{dp_on_copies} on a duplicate series, {dp_overlapping} overlapping pairs; the run "
            f"took {dp_run['seconds']:.0f} s, peak memory {dp_run['peak_gb']:.2f} GB."
        )
    default, _ = corpus_and_run(
        work, "default", days=182, config=models, suffix=suffix, posts=args.default_posts
    )
    d_daily, d_weeks, _, _ = read(default)
    lonely, peer_lonely, withheld = disclosure(d_daily, d_weeks)
    dp = dp_repeats(daily)
    common = table.filter(pl.col("prevalence") >= 0.02)
    lines = [
        f"Command: `.venv/bin/python benchmarks/publishing.py --days {args.days} "
        f"--default-posts {args.default_posts}{' --no-dp-run' if args.no_dp_run else ''}"
        f"{' --lexicon-only' if args.lexicon_only else ''}` "
        f"({time.perf_counter() - clock:.0f} s on 2 shared cores). Sparse sample: `--profile "
        f"forum --authors-per-day 300`, {args.days} days; k = {K}; weeks = ISO weeks. Peer: "
        "the old rule (a day below k is a hole, a day with 0 is published).",
        "",
        "| marker (top level) | prevalence | published mostly by | days withheld: ours | peer | "
        "worst quarter, relative error of the published mean: ours | peer | our quarters "
        "within 5 % or their stated interval | DP mode | DP quarters within their 95 % noise "
        "interval |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in table.iter_rows(named=True):
        lines.append(
            f"| {row['marker']} | {row['prevalence']:.2%} | {row['grain'] or '–'} | "
            f"{row['withheld_ours']:.1%} | "
            f"{row['withheld_peer']:.1%} | {_pct(row['worst_quarter_ours'])} | "
            f"{_pct(row['worst_quarter_peer'])} | {_pct(row['quarters_ok'])} | "
            f"{_pct(row.get('dp_worst'))} | "
            f"{_pct(row.get('dp_within'))} |"
        )
    lines += [
        "",
        f"- Markers with prevalence ≥ 2 %: at most {common['withheld_ours'].max():.1%} of days "
        f"withheld (peer {common['withheld_peer'].max():.1%}); worst quarter mean within "
        f"{common['worst_quarter_ours'].max():.1%} of the all-days truth (peer "
        f"{common['worst_quarter_peer'].max():.1%}).",
        f"- Every top-level series with a published quarter: worst quarter mean within "
        f"{_worst(table, 'worst_quarter_ours')} of the all-days truth (peer "
        f"{_worst(table, 'worst_quarter_peer')}).",
        f"- Quarters whose published mean is within 5 % of the all-days truth or whose truth "
        f"lies inside the quarter's stated 95 % interval (the mean of its days' published "
        f"Wilson bounds: conservative): at worst {_least(table, 'quarters_ok')} of a series' "
        "published quarters.",
        f"- Distinct top-level series forecast (suppress mode, the default): "
        f"{coverage['forecast']} of {coverage['distinct']} "
        f"({coverage['forecast'] / coverage['distinct']:.0%}): {coverage['by_day']} by day, "
        f"{coverage['by_week']} by ISO week (forecast and alerted weekly), "
        f"{coverage['by_8week']} by 8-week period (forecast only); not forecast: "
        f"{', '.join(coverage['left_out']) or 'none'}.",
        f"- Alerts (suppress mode): {waves} wave alerts, {on_copies} on a series that duplicates "
        f"another, {overlapping} pairs of one series and method whose periods overlap.",
        f"- The forum run (`moodcast run`, its own process, {args.days} days, suppress mode"
        f"{', no sentence model' if args.lexicon_only else ''}): "
        f"{forum_run['seconds']:.0f} s, peak memory {forum_run['peak_gb']:.2f} GB.",
        dp_line,
        "",
        "Tuned DP (same budget, ε = 1, δ = 1e-6 per author per day): relative standard error "
        "of a quarter's mean share, averaged over the run's quarters (2 of them make the 95 % "
        "interval; suppress mode publishes exact shares). `weeks`: noisy weekly author-day "
        f"counts, noise SD {tuned['sd_week']:.1f}; `weeks, ≤ 2 markers`: the same with at most "
        f"2 markers counted per author-day, noise SD {tuned['sd_bounded']:.1f}; `bias of the "
        "bound`: the share of a marker's marked author-days the bound drops (an author-day "
        "with c > 2 marked markers keeps a random 2), measured on the corpus tagged by "
        f"`moodcast tag`, where {over['bias']:.1%} of {over['n']:,} marked author-days carry "
        f"more than 2 markers; `≤ 4 markers`: the same with 4 (noise SD {tuned['sd_four']:.1f}; "
        f"{over_4['bias']:.1%} of marked author-days carry more).",
        "",
        "| marker (top level) | prevalence | DP as run (days) | weeks | weeks, ≤ 2 markers | "
        "bias of the bound | weeks, ≤ 4 markers | bias of the bound |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {row['marker']} | {row['prevalence']:.2%} | {_pct(row['days'])} | "
            f"{_pct(row['weeks'])} | {_pct(row['bounded'])} | -{_pct(row['bound_bias'])} | "
            f"{_pct(row['bounded_4'])} | -{_pct(row['bias_4'])} |"
            for row in tuned["table"].iter_rows(named=True)
        ),
        "",
        f"- Disclosure on a default-profile sample ({args.default_posts:,} posts, 182 days, "
        f"3 regions, 2 languages): {lonely} withheld cells recoverable by subtracting published "
        f"siblings from a roll-up in our release (days, week totals and 8-week totals; "
        f"{withheld:,} series-weeks withheld), "
        f"{peer_lonely:,} in the peer's.",
        f"- DP (ε = 1, δ = 1e-6 per author per day, noise SD {dp['noise_sd']:.1f} authors), "
        f"{RELEASES} releases of {dp['cells']:,} cells ({dp['days']} days, base cells and roll-ups): "
        f"{dp['within_2se']:.1%} of cell means within 2 standard errors of the truth (mean z "
        f"{dp['mean_z']:+.3f}); stated 95 % intervals cover {dp['coverage']:.1%}.",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("publishing", body)


def _worst(table: pl.DataFrame, column: str) -> str:
    """The largest finite value of `column` in `table` and its marker, as `x% (marker)`."""
    finite = table.filter(pl.col(column).is_finite()).sort(column).tail(1)
    return "–" if finite.is_empty() else f"{finite[column][0]:.1%} ({finite['marker'][0]})"


def _least(table: pl.DataFrame, column: str) -> str:
    """The smallest finite value of `column` in `table` and its marker, as `x% (marker)`."""
    finite = table.filter(pl.col(column).is_finite()).sort(column).head(1)
    return "–" if finite.is_empty() else f"{finite[column][0]:.0%} ({finite['marker'][0]})"


def _pct(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.1%}"


if __name__ == "__main__":
    main()
