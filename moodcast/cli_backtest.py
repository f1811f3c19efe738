"""`moodcast backtest`: the paper's rolling-origin protocol on a CSV, or the scheduled model
selection over the warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import click

from moodcast.cli_options import (
    Folder,
    count_option,
    echo_table,
    file_option,
    freq_option,
    json_option,
    refuse_parquet_output,
)
from moodcast.config import DATA_DIR_HELP, load_settings


def _windows(ctx, param, value: str) -> tuple[str, ...]:
    windows = tuple(part.strip() for part in value.split(",") if part.strip())
    for window in windows:
        if window != "all" and not (window.isdigit() and int(window) >= 2):
            raise click.BadParameter(
                f"{window!r} is not a window: use numbers of periods (2 or more) and 'all', e.g. 7,14,21,all"
            )
    if not windows or len(set(windows)) != len(windows):
        raise click.BadParameter("give distinct windows, e.g. 7,14,21,all")
    return windows


@click.command()
@file_option(
    "--series",
    "series_path",
    "CSV in long format (unique_id, ds, y) to backtest: ds a date as YYYY-MM-DD (also "
    "YYYY/MM/DD or YYYYMMDD), y a non-negative number.",
)
@click.option(
    "--warehouse",
    "use_warehouse",
    is_flag=True,
    help="Backtest every series of the warehouse on the days that have ended (as a run forecasts them) and store the per-series model choice.",
)
@click.option("--data-dir", type=Folder(), help=f"With --warehouse. {DATA_DIR_HELP}")
@freq_option("D")
@click.option(
    "--season-length",
    type=click.IntRange(min=1),
    help="Periods per season (default: the frequency's, 7 for days, 52 for weeks).",
)
@count_option(
    "--horizon",
    7,
    "Periods forecast at each origin.",
)
@click.option(
    "--windows",
    default="7,14,21,all",
    show_default=True,
    callback=_windows,
    help="Training windows in periods; 'all' is the bounded full history.",
)
@count_option(
    "--history",
    365,
    "Most periods any model sees (the bound of 'all').",
    minimum=2,
)
@count_option(
    "--test-periods",
    112,
    "Length of the scored span; origins are one period apart, so each of its periods "
    "gets a forecast at every lead.",
)
@count_option(
    "--refit-every",
    14,
    "Origins between refits; in between, models only take in the new data.",
)
@click.option(
    "--peak-lead",
    type=click.IntRange(min=1),
    help="Lead whose forecasts the peak hit rate reads (default: the horizon).",
)
@click.option(
    "--peak-window",
    type=click.IntRange(min=1),
    help="Periods the peak rule smooths over (default: the paper's week, 7 days or 1 week).",
)
@click.option(
    "--predictions",
    "predictions_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --series, write every forecast scored to this Parquet file (.parquet or .pq, "
    "not the --series file): unique_id, window, model, cutoff, ds, lead, yhat.",
)
@click.option(
    "--by-lead",
    is_flag=True,
    help="With --series, print the MASE of every model and of `selected` (each series' model "
    "chosen on all leads together) per window and lead instead (window, lead, model, mase).",
)
@count_option("--jobs", 2, "Processes.")
@json_option("the score rows")
def backtest(
    series_path: Path | None,
    use_warehouse: bool,
    data_dir: str | None,
    freq: str,
    season_length: int | None,
    horizon: int,
    windows: tuple[str, ...],
    history: int,
    test_periods: int,
    refit_every: int,
    peak_lead: int | None,
    peak_window: int | None,
    predictions_path: Path | None,
    by_lead: bool,
    jobs: int,
    as_json: bool,
) -> None:
    """Score persistence (Naive, the baseline), SeasonalNaive, AutoETS, AutoARIMA, AutoTheta,
    MSTL and their median Ensemble by rolling-origin backtest: MAPE, sMAPE, MASE (scaled, for
    every model alike, by the in-sample seasonal-naive error of each series), peak hit
    rate / precision at ±2/±3/±7 (peaks of the forecasts made --peak-lead periods ahead) and
    onset hit rate / precision at ±3 (on the same forecasts: the first of 3 or more periods in
    a row at or above the mean + 2 sd of the periods before the test span, CDC's rule).

    With --series, prints one row per model and window, plus `selected` (each series' model
    with the lowest MASE in that window). With --warehouse, stores per-series scores and the
    model `moodcast run` will refit for each series.
    """
    from forecasting.backtest import BacktestConfig
    from forecasting.frequency import DAY, WEEK
    from moodcast.backtest import FREQS, backtest_file, select_warehouse_models

    if (series_path is None) == (not use_warehouse):
        raise click.UsageError("give exactly one of --series FILE.csv and --warehouse")
    period = WEEK if freq == "W" else DAY
    season_length = season_length or period.season
    peak_window = peak_window or period.periods(7)
    try:
        config = BacktestConfig(
            windows=windows,
            horizon=horizon,
            season_length=season_length,
            history=history,
            test_periods=test_periods,
            refit_every=refit_every,
            peak_lead=peak_lead,
            peak_window=peak_window,
            freq=FREQS[freq],
            n_jobs=jobs,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if use_warehouse:
        summary = select_warehouse_models(load_settings(data_dir, reads_posts=False), config=config)
        click.echo(summary.describe(), err=True)
        if as_json:
            click.echo(json.dumps(summary.__dict__, sort_keys=True))
        return
    if predictions_path is not None:
        refuse_parquet_output(
            predictions_path, over=series_path, over_name="--series", option="'--predictions'"
        )
    rows = backtest_file(series_path, config=config, predictions=predictions_path, by_lead=by_lead)
    click.echo(
        f"MASE scale: each series' in-sample seasonal-naive error (lag {season_length}), the "
        "same for every model; Naive is persistence, the baseline to beat.",
        err=True,
    )
    if as_json:
        click.echo(
            json.dumps(
                [
                    {**row, "window": int(row["window"]) if row["window"] != "all" else "all"}
                    for row in rows.to_dicts()
                ]
            )
        )
    else:
        echo_table(rows.columns, rows.iter_rows())
