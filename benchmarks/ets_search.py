"""AutoETS's full model search against the trend-free seasonal search `moodcast run` uses.

    .venv/bin/python benchmarks/ets_search.py --data-dir DIR [--drifts 0,1,-0.5] [--write]

DIR is the data directory of a finished `moodcast run` (e.g. one of benchmarks/pipeline.py's
runs on the 1M clean sample: `moodcast run benchmarks/.data/clean-1000000/posts.jsonl
--data-dir DIR --as-of 2026-12-01` with `[models]` empty). The script takes the day series
that run forecasts (each distinct series published by day, as `moodcast.run` derives them),
leaves out the constant ones (statsforecast fits those without a search), and compares two
AutoETS searches with a season of 7 days:

- `ZZZ`: statsforecast's default space (error A/M × trend none/additive/damped × season
  none/A/M: 15 models on positive data), what `moodcast run` fitted before;
- `ZNZ`: no trend (5 models), `forecasting.models.auto_ets` for a seasonal series.

For each: the CPU seconds of the run's own fit (`fit_forecast` over every series, 14 days
ahead, one process) and the rolling-origin backtest of forecasting.backtest's `all` window at
the run's horizon (origins one day apart, 112 scored days, refit every 14 origins): MASE over
every lead and per lead 1-14, on one scale per series for both. The sample has no trend of its
own, so each series is also scored with a multiplicative drift (`y × (1 + drift × t / 365)`,
clipped to 0-1; `--drifts`): a rise or fall a trend model should catch. Results go to
benchmarks/RESULTS.md (the `ets_search` section) with `--write`.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from statsforecast.models import AutoETS  # noqa: E402

import warehouse  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from forecasting.backtest import BacktestConfig, cross_validated  # noqa: E402
from forecasting.models import fit_forecast  # noqa: E402
from forecasting.scoring import mase_by_lead, score  # noqa: E402
from forecasting.series import prepare_series  # noqa: E402
from transforms.series import derived_series, same_series  # noqa: E402

SEARCHES = {"ZZZ (before)": "ZZZ", "ZNZ (auto_ets)": "ZNZ"}
CONFIG = BacktestConfig(windows=("all",), horizon=14, test_periods=112, refit_every=14)


def day_series(data_dir: Path, k: int = 11) -> pl.DataFrame:
    """FIT_SCHEMA rows of the non-constant series the run at `data_dir` forecasts by day, on
    the days that have ended (as the run reads them: warehouse.queries.ended_daily)."""
    con = warehouse.open_published(data_dir)
    try:
        daily = warehouse.queries.ended_daily(con)
        distinct = same_series(daily).filter(pl.col("same_as").is_null()).select("unique_id")
        series, grains = derived_series(
            daily, warehouse.publishable_periods(con, week_grain="iso_week"), k=k
        )
    finally:
        con.close()
    days = grains.filter(pl.col("grain") == "day").join(distinct, on="unique_id", how="semi")
    fit = prepare_series(series.join(days, on="unique_id", how="semi")).fit
    moving = fit.group_by("unique_id").agg(pl.col("y").n_unique() > 1).filter("y")
    return fit.join(moving.select("unique_id"), on="unique_id", how="semi").sort("unique_id", "ds")


def model(space: str) -> AutoETS:
    found = AutoETS(season_length=7, model=space)
    found.alias = "AutoETS"
    return found


def compare(fit: pl.DataFrame, drift: float, searches: dict[str, str]) -> list[dict]:
    """Per search (name: AutoETS model space): the run's fit CPU s and the backtest MASE on
    `fit` with `drift`."""
    t = pl.int_range(pl.len()).over("unique_id") / 365.0
    frame = fit.with_columns((pl.col("y") * (1 + drift * t)).clip(0.0, 1.0))
    frame = frame.group_by("unique_id", maintain_order=True).tail(CONFIG.history + CONFIG.test_size)
    rows = []
    for name, space in searches.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.process_time()
            fit_forecast(frame, [model(space)], horizon=CONFIG.horizon, n_jobs=1)
            fitting = time.process_time() - start
            start = time.process_time()
            found = cross_validated(frame, model(space), CONFIG.history, config=CONFIG)
            backtesting = time.process_time() - start
        found = found.with_columns(pl.lit("all").alias("window"))
        scores = score(frame, found, config=CONFIG)
        leads = (
            mase_by_lead(frame, found, config=CONFIG).group_by("lead").agg(pl.col("mase").mean())
        )
        rows.append(
            {
                "drift": drift,
                "search": name,
                "fit_cpu": fitting,
                "backtest_cpu": backtesting,
                "mase": scores["mase"].mean(),
                "mase_median": scores["mase"].median(),
                "by_lead": dict(leads.sort("lead").iter_rows()),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--drifts", default="0,1,-0.5")
    parser.add_argument(
        "--searches", default="ZZZ,ZNZ", help="AutoETS model spaces to compare, comma-separated"
    )
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    fit = day_series(args.data_dir)
    n = fit["unique_id"].n_unique()
    spaces = args.searches.split(",")
    searches = {next((k for k, v in SEARCHES.items() if v == s), s): s for s in spaces}
    rows = [row for drift in args.drifts.split(",") for row in compare(fit, float(drift), searches)]
    lines = [
        f"`.venv/bin/python benchmarks/ets_search.py --data-dir DIR --drifts {args.drifts} "
        f"--searches {args.searches}` on "
        f"the day series of a `moodcast run` (DIR: {n} non-constant series of 365 days), "
        f"Python {platform.python_version()}, {date.today().isoformat()}. One process, CPU "
        "seconds; backtest: window `all`, horizon 14, 112 scored days, refit every 14 origins.",
        "",
        "| drift a year | search | run's fit CPU s | backtest CPU s | MASE mean | MASE median | MASE at leads 1 / 7 / 14 |",
        "| ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        lead = row["by_lead"]
        lines.append(
            f"| {row['drift']:+g} | {row['search']} | {row['fit_cpu']:.2f} | "
            f"{row['backtest_cpu']:.1f} | {row['mase']:.4f} | {row['mase_median']:.4f} | "
            f"{lead[1]:.3f} / {lead[7]:.3f} / {lead[14]:.3f} |"
        )
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_section("ets_search", body)


if __name__ == "__main__":
    main()
