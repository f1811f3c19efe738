"""Rolling-origin backtests with the reference paper's protocol, and per-series model choice.

Origins are one period apart. At each origin, each candidate model sees the last `window`
periods before it (the paper's 7, 14 and 21 days) or the bounded full history (`all`, at most
`history` periods) and forecasts `horizon` periods ahead, so every period of the test span
(`test_periods` long, ending `horizon − 1` periods before the series' last one) gets one
forecast at each lead 1…`horizon`, each made only from data before its origin. Parameters
are refitted every `refit_every` origins; in between, the fitted model only takes in the new
data (statsforecast's `forward`). Windows shorter than two seasons fit AutoETS, AutoARIMA and
AutoTheta without a season. `Ensemble` is the median of the other models' forecasts. Scores,
per series, model and window:

- MAPE (%): mean |y − ŷ| / |y| over the forecasts of periods with y ≠ 0, every lead;
- sMAPE (%): mean 2|y − ŷ| / (|y| + |ŷ|) (0 where both are 0), every lead;
- MASE: mean |y − ŷ| over every lead, over one scale per series, the same for every model: the
  in-sample mean absolute seasonal difference (seasonal naive's one-step error, lag
  `season_length`) of the history before the test span, which always holds two seasons;
- peak hit rate and precision at ±2/±3/±7 (forecasting.peaks.peak_counts): the paper's peak
  rule (smoothing over `peak_window` periods, the paper's one week of days, whatever the
  season) run separately on the model's forecast timeline at one lead (`peak_lead`, by
  default `horizon`: for each period, the forecast made `peak_lead` periods before it) and on
  the actual timeline of the test span (suppressed periods NaN); hit rate ±k is the share of real
  peaks with a predicted peak within ±k periods, precision ±k the share of predicted peaks
  with a real one within ±k. A fixed lead keeps the forecast timeline free of the jumps where
  blocks of forecasts from different origins would meet;
- onset hit rate and precision at ±3 (forecasting.peaks.onset_counts): CDC's onset rule (the
  first of 3 or more periods in a row at or above a baseline, the mean + 2 sd of the observed
  periods before the test span) run on the same two timelines against the same baseline; the
  onset hit rate is the share of real onsets with a predicted onset within ±3 periods, onset
  precision the share of predicted onsets with a real one within ±3. Persistence's row is
  the bar: its timeline is the actual one `peak_lead` periods late, and so are its onsets.

Only observed periods are scored: a period filled in for fitting (a suppressed day) never is.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl
from statsforecast import StatsForecast
from statsforecast.models import MSTL, AutoTheta, Naive, SeasonalNaive

from forecasting.models import auto_ets, cheap_arima
from forecasting.peaks import (
    HIT_TOLERANCES,
    ONSET_TOLERANCE,
    onset_baseline,
    onset_counts,
    peak_counts,
)
from transforms.contracts import BACKTEST_SCHEMA, BACKTEST_WINDOWS

CANDIDATES = ("SeasonalNaive", "AutoETS", "AutoARIMA", "AutoTheta", "MSTL")
"""The statsforecast models a series can be given, in output order."""

PERSISTENCE = "Naive"
"""Persistence (the last value, carried forward): scored in every backtest as the baseline to
beat, never selected."""

ENSEMBLE = "Ensemble"
MODELS = (PERSISTENCE, *CANDIDATES, ENSEMBLE)
"""Every model a backtest scores: persistence first, `Ensemble` (median of CANDIDATES) last."""

SELECTED = "selected"
"""The `model` of the summary rows that score each series' own best model."""

COUNT_COLUMNS = (
    "n_scored",
    "n_real_peaks",
    "n_predicted_peaks",
    *(f"n_hits_{k}" for k in HIT_TOLERANCES),
    *(f"n_true_peaks_{k}" for k in HIT_TOLERANCES),
    "n_real_onsets",
    "n_predicted_onsets",
    "n_onset_hits",
    "n_true_onsets",
)

ONSET_RATES = {
    f"onset_hit_rate_{ONSET_TOLERANCE}": pl.Float64,
    f"onset_precision_{ONSET_TOLERANCE}": pl.Float64,
}
"""The onset hit rate and precision (shares in 0–1, null on no real or no predicted onset):
scored and printed, not stored in the warehouse's `backtests` table."""

SCORE_SCHEMA = {
    **{k: v for k, v in BACKTEST_SCHEMA.items() if k != "run_id"},
    **ONSET_RATES,
    **dict.fromkeys(COUNT_COLUMNS, pl.Int64),
}
"""Per series, model and window: BACKTEST_SCHEMA's scores (no `run_id`), ONSET_RATES and the
counts they come from (scored periods, real and predicted peaks and onsets, hits), for
pooling."""

METRIC_COLUMNS = tuple(
    k for k in BACKTEST_SCHEMA if k not in ("unique_id", "model", "window", "run_id")
)

FAILURE_SCHEMA = {
    "unique_id": pl.String,
    "model": pl.String,
    "window": pl.String,
    "error": pl.String,
}


@dataclass(frozen=True, kw_only=True)
class BacktestConfig:
    """The protocol. `windows` are numbers of periods as text, or `all`; `history` bounds what
    `all` (and every model at selection) sees; `test_periods` is the length of the scored
    span; `refit_every` the origins between refits; `peak_lead` the lead whose forecasts the
    peak rule reads (None: `horizon`); `peak_window` the periods the peak rule smooths over;
    `freq` is a polars interval (`1d`, `1w`)."""

    windows: tuple[str, ...] = BACKTEST_WINDOWS
    horizon: int = 7
    season_length: int = 7
    history: int = 365
    test_periods: int = 112
    refit_every: int = 14
    peak_lead: int | None = None
    peak_window: int = 7
    freq: str = "1d"
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if not self.windows:
            raise ValueError("windows must name at least one training window, e.g. 7,14,21,all")
        for window in self.windows:
            if window != "all" and not (window.isdigit() and int(window) >= 2):
                raise ValueError(
                    f"a training window is a number of periods (2 or more) or 'all', not {window!r}"
                )
        if len(set(self.windows)) != len(self.windows):
            raise ValueError(f"windows repeat: {', '.join(self.windows)}")
        for name in ("horizon", "season_length", "test_periods", "refit_every", "peak_window"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 1 <= self.lead <= self.horizon:
            raise ValueError(
                f"peak_lead must be between 1 and horizon ({self.horizon}), not {self.lead}"
            )
        if self.history < 2 * self.season_length:
            raise ValueError(
                f"history ({self.history}) must cover at least two seasons ({2 * self.season_length})"
            )

    @property
    def lead(self) -> int:
        """The lead the peak rule reads: `peak_lead`, or `horizon` when it is None."""
        return self.horizon if self.peak_lead is None else self.peak_lead

    @property
    def n_origins(self) -> int:
        """Origins, one period apart: `test_periods + horizon − 1`, so that every period of the
        test span has a forecast at every lead."""
        return self.test_periods + self.horizon - 1

    @property
    def test_size(self) -> int:
        """Periods after the first origin: the test span and the `horizon − 1` periods on
        each side of it that only some leads reach."""
        return self.n_origins + self.horizon - 1

    def input_size(self, window: str) -> int:
        """Periods a model sees at each origin in `window`."""
        return self.history if window == "all" else int(window)

    def test_span(self, n_periods: int) -> slice:
        """The scored periods of a series `n_periods` long (as `backtest` bounds it): the
        `test_periods` that end `horizon − 1` periods before its last."""
        start = n_periods - (self.test_periods + self.horizon - 1)
        return slice(start, start + self.test_periods)

    @property
    def min_periods(self) -> int:
        """The shortest series that can be backtested: `test_size` plus two seasons."""
        return self.test_size + 2 * self.season_length


@dataclass(frozen=True)
class BacktestResult:
    """`scores` follows SCORE_SCHEMA (by series, window, model); `failures` FAILURE_SCHEMA
    (a model that raised on a series and window); `too_short` lists the series that were
    not backtested because they are shorter than `BacktestConfig.min_periods`;
    `predictions` holds every forecast scored (PREDICTION_SCHEMA) and `frame` the periods
    they were scored against (see `validate_long`), so that `score` can read them again,
    e.g. at another `peak_lead`."""

    scores: pl.DataFrame
    failures: pl.DataFrame
    too_short: tuple[str, ...]
    predictions: pl.DataFrame
    frame: pl.DataFrame


def candidate_models(*, season_length: int, input_size: int) -> list:
    """Fresh instances of CANDIDATES for a training window of `input_size` periods.

    AutoETS is `forecasting.models.auto_ets` (no trend with a season); AutoARIMA is kept
    cheap (approximation, stepwise, small orders); under two seasons of training data AutoETS,
    AutoARIMA and AutoTheta fit without a season.
    """
    season = season_length if input_size >= 2 * season_length else 1
    models = [
        SeasonalNaive(season_length=season_length),
        auto_ets(season),
        cheap_arima(season),
        AutoTheta(season_length=season),
        MSTL(season_length=season_length),
    ]
    for name, model in zip(CANDIDATES, models, strict=True):
        model.alias = name
    return models


def validate_long(series: pl.DataFrame, *, freq: str = "1d") -> pl.DataFrame:
    """`series` (`unique_id`, `ds`, `y`, optional `observed`) checked and regularised.

    Returns `unique_id` (text), `ds` (date), `y` (float, gaps filled by linear interpolation
    then carried forward) and `observed` (false on filled periods), sorted. Raises ValueError
    with what to fix when a column is missing, a (`unique_id`, `ds`) repeats or a `ds` is
    off the `freq` grid.
    """
    missing = [c for c in ("unique_id", "ds", "y") if c not in series.columns]
    if missing:
        raise ValueError(
            f"the series needs the columns unique_id, ds, y (long format); missing {', '.join(missing)}"
        )
    frame = series.select(
        pl.col("unique_id").cast(pl.String),
        pl.col("ds").cast(pl.Date),
        pl.col("y").cast(pl.Float64).fill_nan(None),
        (pl.col("observed") if "observed" in series.columns else pl.lit(True)).alias("observed"),
    )
    if frame["unique_id"].null_count() or frame["ds"].null_count():
        raise ValueError("unique_id and ds must not be empty")
    repeated = frame.filter(pl.struct("unique_id", "ds").is_duplicated())
    if repeated.height:
        row = repeated.row(0, named=True)
        raise ValueError(
            f"{repeated.height} rows repeat a (unique_id, ds) pair, e.g. {row['unique_id']!r} "
            f"on {row['ds']}; aggregate them first"
        )
    frame = frame.sort("unique_id", "ds")
    grid = frame.group_by("unique_id", maintain_order=True).agg(
        pl.date_range(pl.col("ds").min(), pl.col("ds").max(), interval=freq).alias("ds")
    )
    regular = grid.explode("ds").join(frame, on=["unique_id", "ds"], how="left")
    if regular.height < frame.height:
        raise ValueError(
            f"some ds values are not on a regular {freq} grid from each series' first ds; "
            f"pass --freq W for weekly data (one ds per week, same weekday)"
        )
    return regular.with_columns(
        (pl.col("observed").fill_null(False) & pl.col("y").is_not_null()).alias("observed"),
        pl.col("y").interpolate().forward_fill().over("unique_id"),
    ).sort("unique_id", "ds")


def backtest(series: pl.DataFrame, *, config: BacktestConfig = BacktestConfig()) -> BacktestResult:
    """Run the protocol of the module docstring over every series of `series`.

    `series` is long (`unique_id`, `ds`, `y`, optional `observed`; see `validate_long`) and is
    not modified; only its last `history + test_size` periods are used. A model that
    raises on the batch is retried series by series, and where it still fails the failure is
    recorded instead of a score.
    """
    frame = validate_long(series, freq=config.freq)
    lengths = frame.group_by("unique_id").len()
    too_short = tuple(
        sorted(lengths.filter(pl.col("len") < config.min_periods)["unique_id"].to_list())
    )
    frame = (
        frame.filter(~pl.col("unique_id").is_in(too_short))
        .group_by("unique_id", maintain_order=True)
        .tail(config.history + config.test_size)
    )
    predictions = pl.DataFrame(schema=PREDICTION_SCHEMA)
    if frame.height == 0:
        return BacktestResult(
            pl.DataFrame(schema=SCORE_SCHEMA),
            pl.DataFrame(schema=FAILURE_SCHEMA),
            too_short,
            predictions,
            frame,
        )
    scores, failures, parts = [], [], []
    for window in config.windows:
        found, failed = _cross_validate(frame, window, config=config)
        failures.extend(failed)
        parts.append(found)
        scores.append(score(frame, found, config=config))
    return BacktestResult(
        scores=pl.concat(scores).cast(SCORE_SCHEMA).sort("unique_id", "window", "model"),
        failures=pl.DataFrame(failures, schema=FAILURE_SCHEMA, orient="row"),
        too_short=too_short,
        predictions=pl.concat(parts),
        frame=frame,
    )


PREDICTION_SCHEMA = {
    "unique_id": pl.String,
    "window": pl.String,
    "model": pl.String,
    "cutoff": pl.Date,
    "ds": pl.Date,
    "lead": pl.Int64,
    "yhat": pl.Float64,
}
"""One forecast: made from the data up to `cutoff` (the last period before its origin) for
`ds`, `lead` periods later (1…horizon)."""


def _cross_validate(
    frame: pl.DataFrame, window: str, *, config: BacktestConfig
) -> tuple[pl.DataFrame, list[tuple[str, str, str, str]]]:
    """PREDICTION_SCHEMA rows of every model and the Ensemble in `window`, and the failures."""
    size = config.input_size(window)
    parts, failures = [], []
    persistence = Naive(alias=PERSISTENCE)
    for model in [
        persistence,
        *candidate_models(season_length=config.season_length, input_size=size),
    ]:
        try:
            parts.append(_cv(frame, model, size, config=config))
        except Exception:
            for (uid,), one in frame.partition_by("unique_id", as_dict=True).items():
                try:
                    parts.append(_cv(one, model, size, config=config))
                except Exception as exc:
                    failures.append((uid, model.alias, window, f"{type(exc).__name__}: {exc}"))
    long = pl.concat(parts) if parts else pl.DataFrame(schema=PREDICTION_SCHEMA)
    ensemble = (
        long.filter(pl.col("yhat").is_finite() & (pl.col("model") != PERSISTENCE))
        .group_by("unique_id", "cutoff", "ds", "lead")
        .agg(pl.col("yhat").median())
        .with_columns(pl.lit(ENSEMBLE).alias("model"))
    )
    both = pl.concat([long, ensemble.select(long.columns)])
    found = both.with_columns(pl.lit(window).alias("window")).select(PREDICTION_SCHEMA.keys())
    return found, failures


def _cv(frame: pl.DataFrame, model, input_size: int, *, config: BacktestConfig) -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wide = StatsForecast(
            models=[model], freq=config.freq, n_jobs=config.n_jobs
        ).cross_validation(
            df=frame.select("unique_id", "ds", "y"),
            h=config.horizon,
            n_windows=config.n_origins,
            step_size=1,
            input_size=input_size,
            refit=True if config.refit_every == 1 else config.refit_every,
        )
    return wide.select(
        pl.col("unique_id").cast(pl.String),
        pl.col("cutoff").cast(pl.Date),
        pl.col("ds").cast(pl.Date),
        pl.lit(model.alias).alias("model"),
        pl.col(model.alias).cast(pl.Float64).alias("yhat"),
    ).with_columns(
        pl.col("ds").rank("ordinal").over("unique_id", "cutoff").cast(pl.Int64).alias("lead")
    )


def score(
    frame: pl.DataFrame, predictions: pl.DataFrame, *, config: BacktestConfig
) -> pl.DataFrame:
    """SCORE_SCHEMA rows of `predictions` (PREDICTION_SCHEMA) against `frame` (validated,
    sorted, as `backtest` bounds it), per series, window and model.

    The test span is the `test_periods` periods that end `horizon − 1` before each series'
    last one; errors average every forecast of a span period, peaks read the `config.lead`
    timeline (a period without that forecast is NaN, which predicts no peak).
    """
    rows = []
    by_series = predictions.partition_by("unique_id", as_dict=True)
    for (uid,), part in frame.partition_by("unique_id", as_dict=True, maintain_order=True).items():
        y = part["y"].to_numpy()
        observed = part["observed"].to_numpy()
        span = config.test_span(len(y))
        scale = _mase_scale(y[: span.start], observed[: span.start], config.season_length)
        baseline = onset_baseline(np.where(observed, y, np.nan)[: span.start])
        periods = part[span].select("ds", "y", "observed", pl.int_range(pl.len()).alias("_i"))
        actual = np.where(observed, y, np.nan)[span]
        mine = by_series.get((uid,), pl.DataFrame(schema=PREDICTION_SCHEMA))
        for (window, model), found in mine.partition_by("window", "model", as_dict=True).items():
            pairs = found.join(periods, on="ds", how="inner")
            timeline = np.full(config.test_periods, np.nan)
            at_lead = pairs.filter(pl.col("lead") == config.lead)
            timeline[at_lead["_i"].to_numpy()] = at_lead["yhat"].to_numpy()
            rows.append(
                {
                    "unique_id": uid,
                    "model": model,
                    "window": window,
                    **_errors(
                        pairs["y"].to_numpy(),
                        pairs["yhat"].to_numpy(),
                        pairs["observed"].to_numpy(),
                        scale,
                    ),
                    "n_scored": int(observed[span].sum()),
                    **peak_counts(actual, timeline, window=config.peak_window),
                    **onset_counts(actual, timeline, baseline=baseline),
                }
            )
    return with_rates(
        pl.DataFrame(rows, schema={**SCORE_SCHEMA}, orient="row")
        if rows
        else pl.DataFrame(schema=SCORE_SCHEMA)
    )


LEAD_SCHEMA = {
    "unique_id": pl.String,
    "window": pl.String,
    "model": pl.String,
    "lead": pl.Int64,
    "mase": pl.Float64,
}
"""MASE per series, window, model and lead (the forecasts made that many periods ahead)."""


def mase_by_lead(
    frame: pl.DataFrame, predictions: pl.DataFrame, *, config: BacktestConfig
) -> pl.DataFrame:
    """LEAD_SCHEMA rows of `predictions` against `frame` (as in `score`): for each lead, the
    mean absolute error of the forecasts of the test span's observed periods made that many
    periods ahead, over the same per-series scale as `score`'s MASE (null where a forecast
    is not finite or the scale is 0)."""
    parts = []
    by_series = predictions.partition_by("unique_id", as_dict=True)
    for (uid,), part in frame.partition_by("unique_id", as_dict=True, maintain_order=True).items():
        if (uid,) not in by_series:
            continue
        y, observed = part["y"].to_numpy(), part["observed"].to_numpy()
        span = config.test_span(len(y))
        scale = _mase_scale(y[: span.start], observed[: span.start], config.season_length)
        periods = part[span].filter("observed").select("ds", "y")
        usable = np.isfinite(scale) and scale > 0
        parts.append(
            by_series[(uid,)]
            .join(periods, on="ds", how="inner")
            .group_by("window", "model", "lead")
            .agg(
                pl.when(pl.col("yhat").is_finite().all() & pl.lit(usable))
                .then((pl.col("y") - pl.col("yhat")).abs().mean() / scale)
                .alias("mase")
            )
            .with_columns(pl.lit(uid).alias("unique_id"))
        )
    if not parts:
        return pl.DataFrame(schema=LEAD_SCHEMA)
    found = pl.concat(parts).select(LEAD_SCHEMA.keys()).cast(LEAD_SCHEMA)
    return found.sort("unique_id", "window", "model", "lead")


def _mase_scale(history: np.ndarray, observed: np.ndarray, lag: int) -> float:
    """Mean absolute lag-`lag` difference of the observed pairs of `history` (NaN if none)."""
    both = observed[lag:] & observed[:-lag]
    if len(history) <= lag or not both.any():
        return float("nan")
    return float(np.mean(np.abs(history[lag:] - history[:-lag])[both]))


def _errors(y: np.ndarray, yhat: np.ndarray, observed: np.ndarray, scale: float) -> dict:
    keep = observed & np.isfinite(yhat)
    if not keep.any() or not np.isfinite(yhat).all():
        return {"mape": None, "smape": None, "mase": None}
    actual, predicted = y[keep], yhat[keep]
    error = np.abs(actual - predicted)
    nonzero = actual != 0
    denominator = np.abs(actual) + np.abs(predicted)
    smape = np.where(denominator > 0, 2 * error / np.where(denominator > 0, denominator, 1), 0.0)
    return {
        "mape": float(100 * np.mean(error[nonzero] / np.abs(actual[nonzero])))
        if nonzero.any()
        else None,
        "smape": float(100 * np.mean(smape)),
        "mase": float(np.mean(error) / scale) if np.isfinite(scale) and scale > 0 else None,
    }


def with_rates(counts: pl.DataFrame) -> pl.DataFrame:
    """Hit rates and precisions of peaks and onsets recomputed from the count columns (null
    on no peaks or onsets)."""
    hit_rate, precision = ONSET_RATES
    rates = [
        _share("n_onset_hits", "n_real_onsets").alias(hit_rate),
        _share("n_true_onsets", "n_predicted_onsets").alias(precision),
    ]
    for k in HIT_TOLERANCES:
        rates.append(_share(f"n_hits_{k}", "n_real_peaks").alias(f"hit_rate_{k}"))
        rates.append(_share(f"n_true_peaks_{k}", "n_predicted_peaks").alias(f"peak_precision_{k}"))
    return counts.with_columns(
        pl.col(c).fill_null(0) for c in COUNT_COLUMNS if c != "n_scored"
    ).with_columns(rates)


def _share(part: str, whole: str) -> pl.Expr:
    return pl.when(pl.col(whole) > 0).then(pl.col(part) / pl.col(whole)).otherwise(None)
