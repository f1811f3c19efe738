"""Rolling-origin backtests with the reference paper's protocol, and per-series model choice.

Origins are one period apart. At each origin, each candidate model sees the last `window`
periods before it (the paper's 7, 14 and 21 days) or the bounded full history (`all`, at most
`history` periods) and forecasts `horizon` periods ahead, so every period of the test span
(`test_periods` long, ending `horizon − 1` periods before the series' last one) gets one
forecast at each lead 1…`horizon`, each made only from data before its origin. Parameters
are refitted every `refit_every` origins; in between, the fitted model only takes in the new
data (statsforecast's `forward`). Windows shorter than two seasons fit AutoETS, AutoARIMA and
AutoTheta without a season. `Ensemble` is the median of the other models' forecasts. The
forecasts are scored per series, model and window by `forecasting.scoring` (MAPE, sMAPE, MASE,
peak and onset hit rates and precisions); only observed periods are scored: a period filled in
for fitting (a suppressed day) never is.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import polars as pl
from statsforecast import StatsForecast
from statsforecast.models import MSTL, AutoTheta, Naive, SeasonalNaive

from forecasting.models import auto_ets, cheap_arima
from forecasting.scoring import PREDICTION_SCHEMA, SCORE_SCHEMA, score
from forecasting.series import repeated_pairs
from transforms.contracts import BACKTEST_WINDOWS

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
    if (repeated := repeated_pairs(frame)) is not None:
        raise ValueError(f"{repeated}; aggregate them first")
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
            parts.append(cross_validated(frame, model, size, config=config))
        except Exception:
            for (uid,), one in frame.partition_by("unique_id", as_dict=True).items():
                try:
                    parts.append(cross_validated(one, model, size, config=config))
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


def cross_validated(
    frame: pl.DataFrame, model, input_size: int, *, config: BacktestConfig
) -> pl.DataFrame:
    """statsforecast's rolling-origin cross-validation of one `model` over the series of
    `frame` (`unique_id, ds, y`), `input_size` days of history at each origin, as `config`
    says: one row per series, cutoff and day, `model`, its forecast `yhat` and `lead` (1 for
    the first period after the cutoff)."""
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
