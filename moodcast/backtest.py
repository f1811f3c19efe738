"""Model selection: the backtest protocol on an external CSV, or over the warehouse's series."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

import warehouse
from forecasting.backtest import BacktestConfig, backtest
from forecasting.frequency import frequency_of
from forecasting.scoring import mase_by_lead
from forecasting.selection import choose_models, summarise, summarise_by_lead, to_backtests
from forecasting.series import prepare_series
from moodcast.config import Settings
from moodcast.series_files import read_series_csv
from transforms.errors import InputError
from transforms.series import to_series

log = logging.getLogger(__name__)

FREQS = {"D": "1d", "W": "1w"}


class BacktestInputError(InputError):
    """The series file cannot be backtested; the message says what to fix."""


def backtest_file(
    path: Path, *, config: BacktestConfig, predictions: Path | None = None, by_lead: bool = False
) -> pl.DataFrame:
    """Run the protocol on every series of the CSV at `path`; return `summarise`'s rows (with
    `by_lead`, `summarise_by_lead`'s: MASE per window, lead and model), and write every
    forecast scored (PREDICTION_SCHEMA) to the Parquet file `predictions`.

    Raises SeriesFileError (moodcast.series_files.read_series_csv) on an unreadable file or
    values, BacktestInputError on a malformed series, or when no series is long enough
    (`config.min_periods`).
    """
    frame = read_series_csv(path)
    try:
        frequency_of(frame["ds"], "D" if config.freq == FREQS["D"] else "W")
        result = backtest(frame, config=config)
    except ValueError as exc:
        raise BacktestInputError(f"{path}: {exc}") from exc
    if result.scores.height == 0:
        raise BacktestInputError(
            f"{path}: no series has the {config.min_periods} periods the protocol needs "
            f"(a test span of {config.test_periods}, {config.horizon - 1} periods of horizon "
            f"on each side of it, two seasons); pass a longer series, or a shorter "
            f"--test-periods"
        )
    _log_failures(result.failures)
    if predictions is not None:
        try:
            result.predictions.sort("unique_id", "window", "model", "cutoff", "ds").write_parquet(
                predictions
            )
        except OSError as exc:
            raise BacktestInputError(
                f"{predictions}: cannot write the predictions ({exc})"
            ) from exc
    if by_lead:
        leads = mase_by_lead(result.frame, result.predictions, config=config)
        return summarise_by_lead(result.scores, leads, windows=config.windows)
    return summarise(result.scores, windows=config.windows)


def _log_failures(failures: pl.DataFrame) -> None:
    for row in failures.iter_rows(named=True):
        log.warning(
            "backtest: %s failed on %s (window %s): %s",
            row["model"],
            row["unique_id"],
            row["window"],
            row["error"],
        )


@dataclass(frozen=True)
class SelectionSummary:
    """What `select_warehouse_models` did."""

    run_id: str
    series: int
    scored: int
    statuses: dict[str, int]
    seconds: float

    def describe(self) -> str:
        """A short human summary for stderr."""
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items()))
        return (
            f"backtest {self.run_id}: {self.series} series, {self.scored} backtested; "
            f"model choice: {counts or 'none'}; {self.seconds:.0f} s."
        )


def select_warehouse_models(settings: Settings, *, config: BacktestConfig) -> SelectionSummary:
    """The scheduled selection step: backtest every current series of the warehouse and
    replace its `backtests` and `model_choice` tables.

    Series are the ones `moodcast run` forecasts (authors basis, suppressed days left out of
    the scores, the days that have ended only: warehouse.queries.ended_daily), bounded to
    `config.history + config.test_size` days (`test_size`: the `test_periods` scored and the
    `horizon − 1` days each side of them that only some leads reach). Raises RunLocked when
    a run holds the data directory, NoWarehouse when nothing has been loaded yet.
    """
    clock = time.perf_counter()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    command = "moodcast backtest --warehouse"
    with (
        warehouse.RunLock(settings.data_dir, command=command) as lock,
        warehouse.writing(settings.data_dir, lock=lock) as con,
    ):
        ledger = warehouse.queries.runs(con).filter(
            pl.col("status").is_in(warehouse.PUBLISHED_STATUSES)
        )
        if ledger.height == 0:
            raise warehouse.NoWarehouse(
                f"No run has loaded data into {settings.data_dir} yet: run `moodcast run` "
                f"first, then `moodcast backtest --warehouse`."
            )
        run_id = ledger["run_id"][0]
        daily = warehouse.queries.ended_daily(con)
        series = to_series(daily, basis="authors", k=settings.k)
        prepared = prepare_series(series, history_days=config.history + config.test_size)
        ids = series["unique_id"].unique().to_list()
        log.info("backtest: %d series, %d to backtest", len(ids), prepared.history.height)
        result = backtest(prepared.fit, config=config)
        _log_failures(result.failures)
        choice = choose_models(result, ids, run_id=run_id)
        warehouse.replace_backtests(con, to_backtests(result.scores, run_id=run_id))
        warehouse.replace_model_choice(con, choice)
    return SelectionSummary(
        run_id=run_id,
        series=len(ids),
        scored=result.scores["unique_id"].n_unique(),
        statuses=dict(choice.group_by("status").len().iter_rows()),
        seconds=time.perf_counter() - clock,
    )
