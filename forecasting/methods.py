"""The one registry of alert methods, and `method_alerts`, which runs any of them.

Every method implements `forecasting.method.AlertMethod` and is built here from its
parameters (`MethodRules`); none is special. `ALERT_METHODS` lists them all:

- `early` (forecasting.early): a season-aware baseline with a short forecast, early and
  quiet, with a cold-start bar for a series' first weeks;
- `trailing_p90` (forecasting.alerts): the trailing-year percentile of the trailing mean,
  with `trailing_p90_forecast` horizon alerts when forecasts are given;
- `paper_peaks` (forecasting.paper_alerts): the reference paper's peaks, per dimension;
- `forecast_exceedance` (forecasting.exceedance): a forecast above the past year's bar;
- `ears_c1`, `ears_c2`, `ears_c3`, `cusum` (forecasting.aberration): short-baseline
  aberration detection;
- `mem`, `cdc_baseline`, `farrington` (forecasting.seasonal): the seasonal methods of
  epidemiology (MEM and the CDC baseline need weekly series).

Methods that judge each series alone from the past only (`replayable`) can be replayed
(forecasting.replay).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import polars as pl

from forecasting.aberration import Aberration
from forecasting.alerts import (
    DEFAULT_RULE,
    WEEKLY_RULE,
    TrailingP90,
    TrailingP90Rule,
    forecasts_by_series,
    to_alert_frame,
)
from forecasting.early import Early
from forecasting.exceedance import ForecastExceedance
from forecasting.frequency import DAY, Frequency, regular
from forecasting.method import AlertContext, AlertMethod
from forecasting.paper_alerts import PaperPeaks
from forecasting.seasonal import MEM, CDCBaseline, Farrington
from forecasting.series import validate_series
from forecasting.wording import Basis
from transforms.contracts import ALERT_SCHEMA

if TYPE_CHECKING:
    from transforms.markers import Marker


@dataclass(frozen=True)
class MethodRules:
    """Parameters of the methods (see each method's module).

    `dimensions` maps a dimension to its markers (e.g. from `transforms.markers`); without it
    `paper_peaks` makes no alerts.
    """

    dimensions: Mapping[str, Sequence[str]] = field(default_factory=dict)
    peak_window_days: int = 7
    peak_percentile: float = 80.0
    exceedance_statistic: Literal["mean", "hi_80"] = "mean"
    exceedance_threshold: Literal["percentile", "mean_sd"] = "percentile"
    exceedance_percentile: float = 95.0
    exceedance_k: float = 2.0
    exceedance_min_baseline_values: int = 28
    exceedance_min_periods: int = 3
    cusum_k: float = 0.5
    cusum_h: float = 4.0
    mem_limit: Literal["point", "mean"] = "point"
    trailing_daily: TrailingP90Rule = DEFAULT_RULE
    trailing_weekly: TrailingP90Rule = WEEKLY_RULE

    def __post_init__(self) -> None:
        ForecastExceedance(statistic=self.exceedance_statistic, threshold=self.exceedance_threshold)


DEFAULT_METHOD_RULES = MethodRules()

_BUILDERS = {
    "early": lambda r: Early(),
    "trailing_p90": lambda r: TrailingP90(
        rules={"day": r.trailing_daily, "week": r.trailing_weekly}
    ),
    "paper_peaks": lambda r: PaperPeaks(
        window_days=r.peak_window_days, percentile=r.peak_percentile
    ),
    "forecast_exceedance": lambda r: ForecastExceedance(
        statistic=r.exceedance_statistic,
        threshold=r.exceedance_threshold,
        percentile=r.exceedance_percentile,
        k=r.exceedance_k,
        min_baseline_values=r.exceedance_min_baseline_values,
        min_periods=r.exceedance_min_periods,
    ),
    "ears_c1": lambda r: Aberration("ears_c1"),
    "ears_c2": lambda r: Aberration("ears_c2"),
    "ears_c3": lambda r: Aberration("ears_c3"),
    "cusum": lambda r: Aberration("cusum", cusum_k=r.cusum_k, cusum_h=r.cusum_h),
    "mem": lambda r: MEM(limit=r.mem_limit),
    "cdc_baseline": lambda r: CDCBaseline(),
    "farrington": lambda r: Farrington(),
}

ALERT_METHODS = tuple(_BUILDERS)
"""Every method `moodcast run` can write (`alert_methods` setting) or replay can evaluate."""

DEFAULT_METHODS = ("early",)
"""What a run writes and a replay evaluates unless told otherwise."""


def build_method(name: str, rules: MethodRules = DEFAULT_METHOD_RULES) -> AlertMethod:
    """The method called `name` with `rules`' parameters; ValueError on an unknown name."""
    check_methods([name])
    return _BUILDERS[name](rules)


def check_methods(methods: Sequence[str], *, freq: Frequency | None = None) -> tuple[str, ...]:
    """`methods` as a tuple, or ValueError naming an unknown one and the known ones; with
    `freq`, FrequencyError (a ValueError) for one that cannot run at that frequency."""
    if isinstance(methods, str):
        raise ValueError(f'give a list of method names, e.g. ["{methods}"], not a string')
    unknown = sorted(set(methods) - set(ALERT_METHODS))
    if unknown:
        raise ValueError(
            f"unknown alert method(s) {', '.join(unknown)}; known: {', '.join(ALERT_METHODS)}"
        )
    if freq is not None:
        for name in methods:
            _BUILDERS[name](DEFAULT_METHOD_RULES).check(freq)
    return tuple(methods)


def reads_fitted(methods: Sequence[str]) -> bool:
    """Whether any of `methods` (known names) reads the models' in-sample fitted values."""
    return any(_BUILDERS[name](DEFAULT_METHOD_RULES).reads_fitted for name in methods)


def marker_dimensions(markers: Iterable[Marker]) -> dict[str, tuple[str, ...]]:
    """Dimension → its markers' names (sorted), from the markers' `dimensions`."""
    found: dict[str, set[str]] = {}
    for marker in markers:
        for dimension in marker.dimensions:
            found.setdefault(dimension, set()).add(marker.name)
    return {dimension: tuple(sorted(names)) for dimension, names in sorted(found.items())}


def method_alerts(
    series: pl.DataFrame,
    *,
    methods: Sequence[str],
    run_id: str,
    freq: Frequency = DAY,
    forecasts: pl.DataFrame | None = None,
    fitted: pl.DataFrame | None = None,
    rules: MethodRules = DEFAULT_METHOD_RULES,
    basis: Basis = "authors",
) -> pl.DataFrame:
    """Alert periods of `methods`, as ALERT_SCHEMA rows sorted by `unique_id`, `start`,
    `method` (`issued_on` null: the caller knows when it runs).

    `series` follows SERIES_SCHEMA at frequency `freq` (missing periods count as missing);
    `forecasts` (FORECAST_SCHEMA, one model per series) and `fitted` (FITTED_SCHEMA) feed the
    methods that read forecasts. Raises ValueError on an unknown method and FrequencyError
    (a ValueError) when a method cannot run at `freq`, before any method runs.
    """
    built = [build_method(name, rules) for name in check_methods(methods)]
    for method in built:
        method.check(freq)
    frame = regular(validate_series(series), freq=freq)
    if frame.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    context = AlertContext(
        freq=freq,
        basis=basis,
        forecasts=forecasts_by_series(forecasts, frame["ds"].max(), freq),
        fitted=_by_series(fitted),
        dimensions=rules.dimensions,
    )
    rows = [row for method in built for row in method.alerts(frame, context)]
    return to_alert_frame(rows, run_id=run_id)


def _by_series(fitted: pl.DataFrame | None) -> dict[str, pl.DataFrame]:
    if fitted is None or fitted.height == 0:
        return {}
    return {
        uid: part
        for (uid,), part in fitted.sort("unique_id", "ds")
        .partition_by("unique_id", as_dict=True, maintain_order=True)
        .items()
    }
