"""The run's forecast step: every distinct published series forecast at its grain, its alerts
raised, all stored in the warehouse and counted in the run's summary."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

import polars as pl

import warehouse
from forecasting import forecast_and_alert
from forecasting.chosen import published_choice
from forecasting.frequency import (
    DAY,
    EIGHT_EPIWEEK,
    EIGHT_WEEK,
    EPIWEEK,
    FREQUENCIES,
    WEEK,
    Frequency,
    FrequencyError,
)
from forecasting.inputs import InputRule, complete_days
from forecasting.methods import MethodRules, check_methods, marker_dimensions
from forecasting.models import FALLBACK_WORDS, MIN_FIT_PERIODS
from forecasting.series import NOTES_SCHEMA, Cause
from moodcast.config import Settings
from moodcast.run_summary import RunSummary
from transforms.periods import EIGHT_WEEKS
from transforms.series import left_out_reason, to_post_counts
from warehouse.forecast_queries import backtests

log = logging.getLogger("moodcast.run")  # the run's log lines keep their name on stderr


def forecast_step(con, summary: RunSummary, *, settings: Settings, markers: Mapping) -> RunSummary:
    """Forecast every distinct series at its grain (transforms.series.derived_series; in DP mode
    every series on its noisy days) and raise its alerts, once per distinct series; store them;
    count them in `summary`, with the reason each series left out was not forecast.

    Reads the days that have ended only, as the run's release recorded them (its
    `release_settings.open_from`, so `warehouse.record_release` comes first;
    warehouse.queries.ended_cells): the day in progress is neither fitted nor alerted on, a
    week or 8-week period holding it is not whole, and the forecasts start the day (week,
    8-week period) after the last one that has ended. Stores the grain each series was forecast
    at (`forecast_grains`), which the exports and the dashboard label its forecasts and alerts
    with."""
    run_id = summary.run_id
    daily = warehouse.queries.ended_daily(con)
    series, grains, left_out = _series_by_grain(con, daily, settings=settings)
    choice = published_choice(
        backtests(con), grains.get_column("unique_id").to_list(), run_id=run_id
    )
    inputs = InputRule(
        min_posts_per_day=settings.min_posts_per_day, volume_factor=settings.volume_change_factor
    )
    common = dict(
        run_id=run_id,
        horizon_days=settings.horizon_days,
        history_days=settings.history_days,
        n_jobs=settings.forecast_jobs,
        choice=choice,
        method_rules=MethodRules(dimensions=marker_dimensions(markers.values())),
        inputs=inputs,
    )
    complete = complete_days(warehouse.queries.covered_days(con))
    iso = settings.week_grain == "iso_week"
    coarser = {
        settings.week_grain: WEEK if iso else EPIWEEK,
        EIGHT_WEEKS[settings.week_grain]: EIGHT_WEEK if iso else EIGHT_EPIWEEK,
    }
    outcomes = [
        forecast_and_alert(
            series.join(grains.filter(pl.col("grain") == "day"), on="unique_id", how="semi"),
            methods=_methods_at(settings.alert_methods, DAY),
            freq=DAY,
            complete=complete,
            post_counts=to_post_counts(daily),
            **common,
        )
    ]
    for grain, freq in coarser.items():
        outcomes.append(
            forecast_and_alert(
                series.join(grains.filter(pl.col("grain") == grain), on="unique_id", how="semi"),
                methods=_methods_at(settings.alert_methods, freq),
                freq=freq,
                **common,
            )
        )
    alerts = pl.concat([o.alerts for o in outcomes])
    notes = pl.concat(
        [
            *(o.notes for o in outcomes),
            _left_out_notes(
                left_out, reason=left_out_reason(k=settings.k, week_grain=settings.week_grain)
            ),
        ]
    )
    log.info("forecast: %s", forecast_line(notes, history_days=settings.history_days))
    forecasts = pl.concat([o.forecasts for o in outcomes])
    warehouse.replace_forecasts(con, forecasts)
    warehouse.replace_alerts(con, alerts.sort("unique_id", "start", "method"))
    warehouse.replace_model_choice(con, pl.concat([o.choice for o in outcomes]))
    warehouse.replace_forecast_grains(con, grains.with_columns(pl.lit(run_id).alias("run_id")))
    return replace(
        summary,
        series=forecasts.get_column("unique_id").n_unique(),
        alerts=alerts.height,
        not_forecast=not_forecast_counts(notes),
    )


def _series_by_grain(
    con, daily: pl.DataFrame, *, settings: Settings
) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """The series a run may forecast and the grain of each distinct one (`unique_id`, `grain`):
    warehouse.queries.forecast_series of `daily` (the run's cells on the days that have ended),
    as the exports and the dashboard read them; and the distinct series of `daily` no grain
    could take."""
    same = warehouse.queries.ended_same_series(con, daily)
    distinct = same.filter(pl.col("same_as").is_null()).select("unique_id")
    series, grains = warehouse.queries.forecast_series(
        con, k=settings.k, week_grain=settings.week_grain, privacy=settings.privacy, daily=daily
    )
    grains = grains.join(distinct, on="unique_id", how="semi")
    left_out = distinct.join(grains, on="unique_id", how="anti").get_column("unique_id")
    log.info(
        "forecast: %d distinct series: %s; %d left out (cells below k = %d at every grain)",
        distinct.height,
        ", ".join(f"{n} by {grain}" for grain, n in sorted(grains.group_by("grain").len().rows()))
        or "none by any grain",
        left_out.len(),
        settings.k,
    )
    return series, grains, left_out


def _methods_at(methods: Sequence[str], freq: Frequency) -> tuple[str, ...]:
    """The alert methods of `methods` that can run on series of `freq` (a weekly-only method
    is not run on day series, and the other way round)."""
    runnable = []
    for name in methods:
        try:
            check_methods([name], freq=freq)
        except FrequencyError:
            continue
        runnable.append(name)
    return tuple(runnable)


def _left_out_notes(unique_ids: pl.Series, *, reason: str) -> pl.DataFrame:
    """NOTES_SCHEMA rows (`skipped`, Cause.BELOW_K, with `reason`) of the series that no grain
    could take."""
    return pl.DataFrame(
        {
            "unique_id": unique_ids,
            "status": "skipped",
            "model": None,
            "reason": reason,
            "cause": Cause.BELOW_K.value,
            "unit": None,
        },
        schema=NOTES_SCHEMA,
    )


FALLBACK_CAUSES = {
    Cause.SHORT_HISTORY: f"with fewer than {MIN_FIT_PERIODS} {{}}s of history",
    Cause.UNKNOWN_MODEL: "whose chosen model this version does not know",
    Cause.MODEL_FAILED: "on which the chosen model failed",
}
"""Why series were forecast by a fallback model, by their note's Cause, as the run's forecast
line counts them (`{}`: the unit of the series' grain)."""

GRAIN_WORDS = {"day": "daily", "week": "weekly", "8-week period": "8-week"}
"""A series' grain in the forecast line, by the unit of its notes."""


def forecast_line(notes: pl.DataFrame, *, history_days: int) -> str:
    """What the run's forecasts were, for its log, from their notes (forecasting NOTES_SCHEMA):
    the series forecast by their chosen model; those of a grain that `history_days` can never
    hold MIN_FIT_PERIODS periods of (8-week series at the default 365 days), forecast by a
    simpler model by construction, named apart with the setting that would change it; the other
    series forecast by a fallback model, a simpler one that forecasting.models uses where the
    chosen model cannot be (FALLBACK_WORDS), counted by their `cause` (FALLBACK_CAUSES: a
    history shorter than MIN_FIT_PERIODS periods of the series' grain, a model this version
    does not know, the chosen model failed) and by model; and those not forecast."""
    counts = dict(notes.group_by("status").len().iter_rows())
    line = f"{counts.get('ok', 0):,} series by their chosen model"
    words = pl.col("model").replace_strict(FALLBACK_WORDS, default=pl.col("model"))
    held = {f.unit: f.periods(history_days) for f in FREQUENCIES.values()}
    by_design = (pl.col("status") == "fallback") & (pl.col("cause") == Cause.SHORT_HISTORY.value)
    by_design &= pl.col("unit").replace_strict(held, default=MIN_FIT_PERIODS) < MIN_FIT_PERIODS
    by_design = by_design.fill_null(False)
    for (unit,), part in sorted(notes.filter(by_design).partition_by("unit", as_dict=True).items()):
        frequency = next(f for f in FREQUENCIES.values() if f.unit == unit)
        models = part.select(pl.format("{} ({})", "model", words)).to_series()
        line += (
            f"; {part.height:,} {GRAIN_WORDS[unit]} series by a simpler model, as every one is "
            f"while history_days = {history_days} keeps at most {frequency.describe(held[unit])}, "
            f"fewer than the {MIN_FIT_PERIODS} a model is fitted on (history_days = "
            f"{frequency.days_for(MIN_FIT_PERIODS)} or more fits one once the data go back "
            f"that far): {_counted(models)}"
        )
    fallback = notes.filter((pl.col("status") == "fallback") & ~by_design)
    if fallback.height:
        why = (
            pl.col("cause")
            .replace_strict(FALLBACK_CAUSES, return_dtype=pl.String)
            .str.replace("{}", pl.col("unit"), literal=True)
        )
        models = fallback.select(pl.format("{} ({})", "model", words)).to_series()
        line += (
            f"; {fallback.height:,} by a simpler fallback model, as the chosen one could not be "
            f"used ({_counted(fallback.select(why).to_series())}): {_counted(models)}"
        )
    return line + f"; {counts.get('skipped', 0):,} not forecast"


def _counted(values: pl.Series) -> str:
    """'96 Naive, 5 HistoricAverage': each value with its count, most frequent first."""
    counts = values.value_counts(name="n").sort("n", values.name, descending=[True, False])
    return ", ".join(f"{n:,} {value}" for value, n in counts.iter_rows())


def not_forecast_counts(notes: pl.DataFrame) -> dict[str, int]:
    """Skipped series (forecasting NOTES_SCHEMA) counted by their `cause`: too many suppressed
    or missing recent periods (named by the series' `unit`: days, weeks), too short a history,
    or else their reason itself."""
    kind = (
        pl.when(pl.col("cause") == Cause.SPARSE.value)
        .then(pl.format("too many suppressed or missing recent {}s", "unit"))
        .when(pl.col("cause") == Cause.SHORT_HISTORY.value)
        .then(pl.lit("too short a history"))
        .otherwise(pl.col("reason"))
    )
    skipped = notes.filter(pl.col("status") == "skipped").select(kind.alias("kind"))
    return dict(skipped.get_column("kind").value_counts().iter_rows())
