"""Vega-Lite charts in the Okabe–Ito palette (colour-blind safe), for `st.vega_lite_chart`.

Suppressed days are gaps in every line and are marked by grey ticks along the bottom of the
chart; their values never reach a chart, a tooltip or a scale.

The specs are plain dicts, the Vega-Lite that Altair would write for the same layers, built
without Altair: its schema lookups and validation cost ~20 ms a chart on every rerun. Each
layer's data is a named dataset (Streamlit sends it as Arrow), and the names are the layers'
roles, not hashes of their data, so a chart whose series changes keeps the same spec and the
browser swaps its data instead of building a new view.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from dashboard import summaries

OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}

HEIGHT = 320
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
OBSERVED_COLUMNS = (
    "day",
    "prevalence",
    "prevalence_lo",
    "prevalence_hi",
    "smoothed_7d",
    "grain",
    "suppressed",
)
"""The only columns of a timeline a chart embeds (fewer columns, smaller page)."""
_PERCENT = {"format": "%", "title": "share of authors"}
DAY_AXIS = {"format": "%-d %b %Y", "labelOverlap": True}
"""Every date axis names the year: a window of a few months otherwise shows none."""

Spec = dict[str, Any]


def _dataset(frame: pl.DataFrame) -> Any:
    """`frame` as Streamlit sends chart data: days as millisecond timestamps, via pandas (the
    same Arrow an Altair chart of the frame carries)."""
    days = [name for name, dtype in frame.schema.items() if dtype == pl.Date]
    return frame.with_columns(pl.col(days).cast(pl.Datetime("ms"))).to_pandas()


def _temporal(field: str, **extra: Any) -> Spec:
    return {"field": field, "type": "temporal", **extra}


def _quantitative(field: str, **extra: Any) -> Spec:
    return {"field": field, "type": "quantitative", **extra}


def _nominal(field: str) -> Spec:
    return {"field": field, "type": "nominal"}


def _percent_tooltip(field: str) -> Spec:
    return _quantitative(field, format=".1%")


def _layer(data: str, mark: Spec, **encoding: Any) -> Spec:
    return {"data": {"name": data}, "mark": mark, "encoding": encoding}


def _chart(layers: list[Spec], datasets: dict[str, pl.DataFrame]) -> Spec:
    return {
        "$schema": SCHEMA,
        "layer": layers,
        "height": HEIGHT,
        "datasets": {name: _dataset(frame) for name, frame in datasets.items()},
    }


def _alert_periods(alerts: pl.DataFrame, datasets: dict[str, pl.DataFrame]) -> Spec:
    datasets["alert_periods"] = alerts.select(
        "start",
        (summaries.last_day(alerts) + pl.duration(days=1)).alias("end_excl"),
        "severity",
        "method",
        "reason",
    )
    return _layer(
        "alert_periods",
        {"type": "rect", "color": OKABE_ITO["purple"], "opacity": 0.18},
        x=_temporal("start"),
        x2={"field": "end_excl"},
        tooltip=[_nominal("severity"), _nominal("method"), _nominal("reason")],
    )


def _alerts_from(alerts: pl.DataFrame, first: date) -> pl.DataFrame:
    """`alerts` whose last day (summaries.last_day) is on or after `first`, each starting on
    `first` at the earliest: the alert periods a chart whose days begin on `first` shades (an
    older part would stretch its axis back over days it does not show)."""
    return alerts.filter(summaries.last_day(alerts) >= first).with_columns(
        pl.max_horizontal("start", pl.lit(first)).alias("start")
    )


def _events(annotations: pl.DataFrame, datasets: dict[str, pl.DataFrame]) -> list[Spec]:
    datasets["events"] = annotations.select("day", "label", "region")
    return [
        _layer(
            "events",
            {"type": "rule", "color": OKABE_ITO["black"], "strokeDash": [2, 2]},
            x=_temporal("day"),
            tooltip=[_temporal("day"), _nominal("label"), _nominal("region")],
        ),
        _layer(
            "events",
            {"type": "text", "align": "left", "baseline": "top", "dx": 3, "dy": 2, "fontSize": 11},
            x=_temporal("day"),
            y={"value": 2},
            text=_nominal("label"),
        ),
    ]


def _suppressed_ticks(observed: pl.DataFrame, datasets: dict[str, pl.DataFrame]) -> Spec:
    datasets["suppressed_days"] = observed.filter(pl.col("suppressed")).select(
        "day", note=pl.lit("suppressed: too few authors")
    )
    return _layer(
        "suppressed_days",
        {"type": "tick", "color": "#666666", "thickness": 2, "size": 12, "orient": "vertical"},
        x=_temporal("day"),
        y={"datum": 0},
        tooltip=[_temporal("day"), _nominal("note")],
    )


def timeline_chart(
    observed: pl.DataFrame,
    alerts: pl.DataFrame,
    annotations: pl.DataFrame,
    *,
    daily: bool = True,
    smoothed: bool = True,
    y_max: float | None = None,
) -> Spec:
    """Published prevalence of one series: the daily share with its 95% Wilson band (`daily`)
    and the 7-day mean `smoothed_7d` (`smoothed`), alert periods shaded through each alert's
    last day (summaries.last_day: an alert by week through its last week) from `observed`'s
    first day on (an alert begun before the period shown is shaded from that day; one over
    before it, not at all), analyst events as dashed rules, suppressed days as grey ticks.
    `y_max` fixes the scale (to compare charts). Returns a Vega-Lite spec for
    `st.vega_lite_chart`."""
    scale = {"scale": {"domain": [0, y_max]}} if y_max else {}
    observed = observed.select(OBSERVED_COLUMNS)
    if not observed.is_empty():
        alerts = _alerts_from(alerts, observed.get_column("day").min())
    datasets = {"observed": observed}
    x = _temporal("day", title=None, axis=DAY_AXIS)
    layers = []
    if not alerts.is_empty():
        layers.append(_alert_periods(alerts, datasets))
    if daily:
        layers += [
            _layer(
                "observed",
                {"type": "area", "color": OKABE_ITO["sky"], "opacity": 0.25},
                x=x,
                y=_quantitative("prevalence_lo", axis=_PERCENT, **scale),
                y2={"field": "prevalence_hi"},
            ),
            _layer(
                "observed",
                {"type": "line", "color": OKABE_ITO["sky"], "point": False, "strokeWidth": 1},
                x=x,
                y=_quantitative("prevalence", axis=_PERCENT, **scale),
                tooltip=[_temporal("day"), _percent_tooltip("prevalence"), _nominal("grain")],
            ),
        ]
    if smoothed or not daily:
        layers.append(
            _layer(
                "observed",
                {"type": "line", "color": OKABE_ITO["blue"], "strokeWidth": 2.5},
                x=x,
                y=_quantitative("smoothed_7d", axis=_PERCENT, **scale),
                tooltip=[_temporal("day"), _percent_tooltip("smoothed_7d")],
            )
        )
    if observed.get_column("suppressed").any():
        layers.append(_suppressed_ticks(observed, datasets))
    if not annotations.is_empty():
        layers += _events(annotations, datasets)
    return _chart(layers, datasets)


def forecast_chart(
    history: pl.DataFrame, forecast: pl.DataFrame, alerts: pl.DataFrame, *, grain: str = "day"
) -> Spec:
    """Recent published history (daily share and 7-day mean) and the forecast's mean with its
    80% and 95% prediction bands; alert periods shaded as in timeline_chart, from the history's
    first day on (an older part would stretch the axis back over days without history),
    suppressed days as grey ticks. `grain` is the period each forecast `ds` stands for (`day`,
    or a week or 8-week grain: `ds` the period's first day), named in the forecast's tooltip.
    Returns a Vega-Lite spec for `st.vega_lite_chart`."""
    history = history.select(OBSERVED_COLUMNS)
    if not history.is_empty():
        alerts = _alerts_from(alerts, history.get_column("day").min())
    datasets = {"history": history}
    x = _temporal("day", title=None, axis=DAY_AXIS)
    layers = []
    if not alerts.is_empty():
        layers.append(_alert_periods(alerts, datasets))
    layers += [
        _layer(
            "history",
            {"type": "line", "color": OKABE_ITO["sky"], "strokeWidth": 1},
            x=x,
            y=_quantitative("prevalence", axis=_PERCENT),
            tooltip=[_temporal("day"), _percent_tooltip("prevalence")],
        ),
        _layer(
            "history",
            {"type": "line", "color": OKABE_ITO["blue"], "strokeWidth": 2.5},
            x=x,
            y=_quantitative("smoothed_7d"),
        ),
    ]
    if not forecast.is_empty():
        datasets["forecast"] = forecast.select(
            "ds", "mean", "lo_80", "hi_80", "lo_95", "hi_95", pl.lit(grain).alias("grain")
        )
        x = _temporal("ds", title=None, axis=DAY_AXIS)
        layers += [
            _layer(
                "forecast",
                {"type": "area", "color": OKABE_ITO["orange"], "opacity": 0.2},
                x=x,
                y=_quantitative("lo_95"),
                y2={"field": "hi_95"},
            ),
            _layer(
                "forecast",
                {"type": "area", "color": OKABE_ITO["orange"], "opacity": 0.35},
                x=x,
                y=_quantitative("lo_80"),
                y2={"field": "hi_80"},
            ),
            _layer(
                "forecast",
                {"type": "line", "color": OKABE_ITO["vermillion"], "strokeDash": [4, 3]},
                x=x,
                y=_quantitative("mean"),
                tooltip=[
                    _temporal("ds", title=_period_title(grain)),
                    _nominal("grain"),
                    _percent_tooltip("mean"),
                    _percent_tooltip("lo_80"),
                    _percent_tooltip("hi_80"),
                ],
            ),
        ]
    if history.get_column("suppressed").any():
        layers.append(_suppressed_ticks(history, datasets))
    return _chart(layers, datasets)


def count_bars(frame: pl.DataFrame, category: str, count: str, *, color: str) -> Spec:
    """Horizontal bars of `count` per `category`, largest first, each label in full (Vega-Lite
    cuts axis labels at 180 px unless told otherwise). Returns a Vega-Lite spec."""
    return {
        "$schema": SCHEMA,
        "data": {"name": "counts"},
        "datasets": {"counts": _dataset(frame.select(category, count))},
        "mark": {"type": "bar", "color": color},
        "encoding": {
            "y": {**_nominal(category), "sort": "-x", "title": None, "axis": {"labelLimit": 0}},
            "x": _quantitative(count, title=None),
            "tooltip": [_nominal(category), _quantitative(count)],
        },
    }


def _period_title(grain: str) -> str:
    """What a forecast's `ds` is for `grain`: a day, or the first day of a week or 8-week period."""
    if grain == "day":
        return "day"
    return "8-week period from" if grain.endswith("_8week") else "week from"
