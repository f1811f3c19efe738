"""`moodcast backtest`: the paper's rolling-origin protocol on a CSV, or the scheduled model
selection over the warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import click

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
@click.option(
    "--series",
    "series_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CSV in long format (unique_id, ds, y) to backtest.",
)
@click.option(
    "--warehouse",
    "use_warehouse",
    is_flag=True,
    help="Backtest every series of the warehouse and store the per-series model choice.",
)
@click.option(
    "--data-dir", type=click.Path(file_okay=False), help=f"With --warehouse. {DATA_DIR_HELP}"
)
@click.option(
    "--freq",
    type=click.Choice(["D", "W"]),
    default="D",
    show_default=True,
    help="Period of the series: daily or weekly.",
)
@click.option(
    "--season-length",
    default=7,
    show_default=True,
    type=click.IntRange(min=1),
    help="Periods per season (7 for weekly seasonality of daily data).",
)
@click.option(
    "--horizon",
    default=7,
    show_default=True,
    type=click.IntRange(min=1),
    help="Periods forecast at each origin.",
)
@click.option(
    "--windows",
    default="7,14,21,all",
    show_default=True,
    callback=_windows,
    help="Training windows in periods; 'all' is the bounded full history.",
)
@click.option(
    "--history",
    default=365,
    show_default=True,
    type=click.IntRange(min=2),
    help="Most periods any model sees (the bound of 'all').",
)
@click.option(
    "--test-periods",
    default=112,
    show_default=True,
    type=click.IntRange(min=1),
    help="Length of the scored span; origins are one period apart, so each of its periods "
    "gets a forecast at every lead.",
)
@click.option(
    "--refit-every",
    default=14,
    show_default=True,
    type=click.IntRange(min=1),
    help="Origins between refits; in between, models only take in the new data.",
)
@click.option(
    "--peak-lead",
    type=click.IntRange(min=1),
    help="Lead whose forecasts the peak hit rate reads (default: the horizon).",
)
@click.option(
    "--peak-window",
    default=7,
    show_default=True,
    type=click.IntRange(min=1),
    help="Periods the peak rule smooths over (the paper's week: 7 days, 1 week).",
)
@click.option(
    "--predictions",
    "predictions_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --series, write every forecast scored to this Parquet file "
    "(unique_id, window, model, cutoff, ds, lead, yhat).",
)
@click.option(
    "--by-lead",
    is_flag=True,
    help="With --series, print the MASE of every model and of `selected` (each series' model "
    "chosen on all leads together) per window and lead instead (window, lead, model, mase).",
)
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(min=1), help="Processes.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the score rows as a JSON list on stdout."
)
def backtest(
    series_path: Path | None,
    use_warehouse: bool,
    data_dir: str | None,
    freq: str,
    season_length: int,
    horizon: int,
    windows: tuple[str, ...],
    history: int,
    test_periods: int,
    refit_every: int,
    peak_lead: int | None,
    peak_window: int,
    predictions_path: Path | None,
    by_lead: bool,
    jobs: int,
    as_json: bool,
) -> None:
    """Score persistence (Naive, the baseline), SeasonalNaive, AutoETS, AutoARIMA, AutoTheta,
    MSTL and their median Ensemble by rolling-origin backtest: MAPE, sMAPE, MASE (scaled, for
    every model alike, by the in-sample seasonal-naive error of each series) and peak hit
    rate / precision at ±2/±3/±7 (peaks of the forecasts made --peak-lead periods ahead).

    With --series, prints one row per model and window, plus `selected` (each series' model
    with the lowest MASE in that window). With --warehouse, stores per-series scores and the
    model `moodcast run` will refit for each series.
    """
    from forecasting.backtest import BacktestConfig
    from moodcast.backtest import FREQS, backtest_file, select_warehouse_models

    if (series_path is None) == (not use_warehouse):
        raise click.UsageError("give exactly one of --series FILE.csv and --warehouse")
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
        summary = select_warehouse_models(load_settings(data_dir), config=config)
        click.echo(summary.describe(), err=True)
        if as_json:
            click.echo(json.dumps(summary.__dict__, sort_keys=True))
        return
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
        _print_table(rows)


def _print_table(rows) -> None:
    header = rows.columns
    lines = ["\t".join(header)]
    for row in rows.iter_rows():
        lines.append(
            "\t".join(
                "" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v)) for v in row
            )
        )
    click.echo("\n".join(lines))
