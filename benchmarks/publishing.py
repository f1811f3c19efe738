"""Published timelines at a real forum's volume: bias, holes, forecast coverage, disclosure, DP.

    .venv/bin/python benchmarks/publishing.py [--days 730] [--work DIR]

Generates the sparse sample (`moodcast sample --profile forum --authors-per-day 300`, two
years, one region, English, markers at 0.5–3 %) and runs `moodcast run` on it (its own
process: wall time and peak memory) in suppress mode (k = 11) and in DP mode, then measures,
on the distinct top-level series (`marker|all|all`):

- **bias**: per quarter (those with at least 60 days of data), the mean published share (each
  day's published value: its own, or its week's or 8-week period's where that is published
  whole) against the all-days truth (the exact daily shares of every day), as a relative error;
  the peer is the old rule (publish a day only when it meets k, otherwise a hole), on the same
  data; and the quarters (at least 60 published days) whose published mean is within 5 % of the
  truth or inside the 95 % interval of the quarter's mean (benchmarks.quarters);
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

The suppress-mode measures are in benchmarks/publishing_suppress.py, the DP ones in
benchmarks/publishing_dp.py; this script runs the corpora and writes the report.

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
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.publishing_dp import RELEASES, bound_bias, dp_quarters, dp_repeats, tuned_dp  # noqa: E402
from benchmarks.publishing_suppress import (  # noqa: E402
    K,
    bias_and_holes,
    disclosure,
    forecast_coverage,
    repeated_alerts,
)
from benchmarks.results import write_section  # noqa: E402

START = date(2024, 1, 1)


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
    """The current daily aggregates on the days that have ended (as the run's forecast step
    and `ended_same_series` read them: queries.ended_daily), the ISO-week and 8-week periods,
    the forecasts and the alerts of a data directory's published warehouse."""
    import warehouse
    from warehouse import forecast_queries, queries

    with warehouse.open_published(data) as con:
        return (
            queries.ended_daily(con),
            queries.publishable_periods(con, week_grain="iso_week"),
            forecast_queries.forecasts(con),
            forecast_queries.alerts(con),
        )


def read_release(data: Path) -> pl.DataFrame:
    """The DP release of a data directory (warehouse.queries.dp_released)."""
    import warehouse
    from warehouse import queries

    with warehouse.open_published(data) as con:
        return queries.dp_released(con)


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
    forum = measure_forum(work, args)
    default, _ = corpus_and_run(
        work, "default", days=182, config=forum["models"], suffix=forum["suffix"],
        posts=args.default_posts,
    )  # fmt: skip
    d_daily, d_weeks, _, _ = read(default)
    shown = disclosure(d_daily, d_weeks)
    dp = dp_repeats(forum["daily"])
    body = "\n".join(
        [
            *suppress_lines(args, forum, seconds=time.perf_counter() - clock),
            "",
            *tuned_lines(forum),
            "",
            *closing_lines(args, shown, dp),
        ]
    )
    print(body)
    write_section("publishing", body)


def measure_forum(work: Path, args: argparse.Namespace) -> dict[str, object]:
    """Run the forum corpus in suppress mode (and in DP mode unless `--no-dp-run`) and take
    every measure of it: the bias table, the tuned DP table with the bound's bias, forecast
    coverage, alerts and the runs' costs."""
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
    return {
        "models": models,
        "suffix": suffix,
        "daily": daily,
        "table": table,
        "tuned": tuned,
        "over": biases.filter(pl.col("marker") == "(author-days)").row(0, named=True),
        "over_4": four.filter(pl.col("marker") == "(author-days)").row(0, named=True),
        "coverage": forecast_coverage(daily, weeks, forecasts),
        "alerts": repeated_alerts(daily, alerts),
        "run": forum_run,
        "dp_line": dp_line,
    }


def suppress_lines(args: argparse.Namespace, forum: dict, *, seconds: float) -> list[str]:
    """The command, the bias table and the suppress-mode bullets of the report."""
    table, coverage, run = forum["table"], forum["coverage"], forum["run"]
    waves, on_copies, overlapping = forum["alerts"]
    common = table.filter(pl.col("prevalence") >= 0.02)
    lines = [
        f"Command: `.venv/bin/python benchmarks/publishing.py --days {args.days} "
        f"--default-posts {args.default_posts}{' --no-dp-run' if args.no_dp_run else ''}"
        f"{' --lexicon-only' if args.lexicon_only else ''}` "
        f"({seconds:.0f} s on 2 shared cores). Sparse sample: `--profile "
        f"forum --authors-per-day 300`, {args.days} days; k = {K}; weeks = ISO weeks. Peer: "
        "the old rule (a day below k is a hole, a day with 0 is published).",
        "",
        "| marker (top level) | prevalence | published mostly by | days withheld: ours | peer | "
        "worst quarter, relative error of the published mean: ours | peer | our quarters "
        "within 5 % or the 95 % interval of their mean | DP mode | DP quarters within their "
        "95 % noise interval |",
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
    return lines + [
        "",
        f"- Markers with prevalence ≥ 2 %: at most {common['withheld_ours'].max():.1%} of days "
        f"withheld (peer {common['withheld_peer'].max():.1%}); worst quarter mean within "
        f"{common['worst_quarter_ours'].max():.1%} of the all-days truth (peer "
        f"{common['worst_quarter_peer'].max():.1%}).",
        f"- Every top-level series with a published quarter: worst quarter mean within "
        f"{_worst(table, 'worst_quarter_ours')} of the all-days truth (peer "
        f"{_worst(table, 'worst_quarter_peer')}).",
        f"- Quarters (at least 60 published days) whose published mean is within 5 % of the "
        f"truth over those days or inside the 95 % interval of the quarter's published mean "
        f"(benchmarks/quarters.py: each cell's share weighted by its days in the quarter, "
        f"binomial variance over its authors or its period's effective trials): at worst "
        f"{_least(table, 'quarters_ok')} of a series' published quarters; a 95 % interval "
        "leaves about 1 in 20 outside by chance.",
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
        f"{run['seconds']:.0f} s, peak memory {run['peak_gb']:.2f} GB.",
        forum["dp_line"],
    ]


def tuned_lines(forum: dict) -> list[str]:
    """The tuned-DP paragraph and table of the report."""
    tuned, over, over_4 = forum["tuned"], forum["over"], forum["over_4"]
    return [
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
    ]


def closing_lines(
    args: argparse.Namespace, shown: tuple[int, int, int], dp: dict[str, float]
) -> list[str]:
    """The disclosure and repeated-DP-release bullets of the report."""
    lonely, peer_lonely, withheld = shown
    return [
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
