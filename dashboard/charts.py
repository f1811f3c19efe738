"""Altair charts in the Okabe–Ito palette (colour-blind safe).

Suppressed days are gaps in every line and are marked by grey ticks along the bottom of the
chart; their values never reach a chart, a tooltip or a scale.
"""

from __future__ import annotations

import altair as alt
import polars as pl

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
OBSERVED_COLUMNS = (
    "day",
    "prevalence",
    "prevalence_lo",
    "prevalence_hi",
    "smoothed_7d",
    "suppressed",
)
"""The only columns of a timeline a chart embeds (fewer columns, smaller page)."""
_PERCENT = alt.Axis(format="%", title="share of authors")


def _alert_periods(alerts: pl.DataFrame) -> alt.Chart:
    shaded = alerts.with_columns(end_excl=pl.col("end") + pl.duration(days=1))
    return (
        alt.Chart(shaded.select("start", "end_excl", "severity", "method", "reason").to_pandas())
        .mark_rect(opacity=0.18, color=OKABE_ITO["purple"])
        .encode(x="start:T", x2="end_excl:T", tooltip=["severity:N", "method:N", "reason:N"])
    )


def _events(annotations: pl.DataFrame) -> list[alt.Chart]:
    events = alt.Chart(annotations.select("day", "label", "region").to_pandas())
    return [
        events.mark_rule(color=OKABE_ITO["black"], strokeDash=[2, 2]).encode(
            x="day:T", tooltip=["day:T", "label:N", "region:N"]
        ),
        events.mark_text(align="left", baseline="top", dx=3, dy=2, fontSize=11).encode(
            x="day:T", y=alt.value(2), text="label:N"
        ),
    ]


def _suppressed_ticks(observed: pl.DataFrame) -> alt.Chart:
    days = observed.filter(pl.col("suppressed")).select("day")
    return (
        alt.Chart(days.with_columns(note=pl.lit("suppressed: too few authors")).to_pandas())
        .mark_tick(color="#666666", thickness=2, size=12, orient="vertical")
        .encode(x="day:T", y=alt.datum(0), tooltip=["day:T", "note:N"])
    )


def timeline_chart(
    observed: pl.DataFrame,
    alerts: pl.DataFrame,
    annotations: pl.DataFrame,
    *,
    daily: bool = True,
    smoothed: bool = True,
    y_max: float | None = None,
) -> alt.LayerChart:
    """Published prevalence of one series: the daily share with its 95% Wilson band (`daily`)
    and the 7-day mean `smoothed_7d` (`smoothed`), alert periods shaded, analyst events as
    dashed rules, suppressed days as grey ticks. `y_max` fixes the scale (to compare charts)."""
    scale = alt.Scale(domain=[0, y_max]) if y_max else alt.Undefined
    observed = observed.select(OBSERVED_COLUMNS)
    base = alt.Chart(observed.to_pandas()).encode(x=alt.X("day:T", title=None))
    layers = []
    if not alerts.is_empty():
        layers.append(_alert_periods(alerts))
    if daily:
        layers += [
            base.mark_area(opacity=0.25, color=OKABE_ITO["sky"]).encode(
                y=alt.Y("prevalence_lo:Q", axis=_PERCENT, scale=scale), y2="prevalence_hi:Q"
            ),
            base.mark_line(color=OKABE_ITO["sky"], strokeWidth=1, point=False).encode(
                y=alt.Y("prevalence:Q", axis=_PERCENT, scale=scale),
                tooltip=[alt.Tooltip("day:T"), alt.Tooltip("prevalence:Q", format=".1%")],
            ),
        ]
    if smoothed or not daily:
        layers.append(
            base.mark_line(color=OKABE_ITO["blue"], strokeWidth=2.5).encode(
                y=alt.Y("smoothed_7d:Q", axis=_PERCENT, scale=scale),
                tooltip=[alt.Tooltip("day:T"), alt.Tooltip("smoothed_7d:Q", format=".1%")],
            )
        )
    if observed.get_column("suppressed").any():
        layers.append(_suppressed_ticks(observed))
    if not annotations.is_empty():
        layers += _events(annotations)
    return alt.layer(*layers).properties(height=HEIGHT)


def forecast_chart(
    history: pl.DataFrame, forecast: pl.DataFrame, alerts: pl.DataFrame
) -> alt.LayerChart:
    """Recent published history (daily share and 7-day mean) and the forecast's mean with its
    80% and 95% prediction bands; alert periods shaded, suppressed days as grey ticks."""
    history = history.select(OBSERVED_COLUMNS)
    base = alt.Chart(history.to_pandas()).encode(x=alt.X("day:T", title=None))
    layers = []
    if not alerts.is_empty():
        layers.append(_alert_periods(alerts))
    layers += [
        base.mark_line(color=OKABE_ITO["sky"], strokeWidth=1).encode(
            y=alt.Y("prevalence:Q", axis=_PERCENT),
            tooltip=[alt.Tooltip("day:T"), alt.Tooltip("prevalence:Q", format=".1%")],
        ),
        base.mark_line(color=OKABE_ITO["blue"], strokeWidth=2.5).encode(y="smoothed_7d:Q"),
    ]
    if not forecast.is_empty():
        ahead = alt.Chart(
            forecast.select("ds", "mean", "lo_80", "hi_80", "lo_95", "hi_95").to_pandas()
        ).encode(x="ds:T")
        layers += [
            ahead.mark_area(opacity=0.2, color=OKABE_ITO["orange"]).encode(
                y="lo_95:Q", y2="hi_95:Q"
            ),
            ahead.mark_area(opacity=0.35, color=OKABE_ITO["orange"]).encode(
                y="lo_80:Q", y2="hi_80:Q"
            ),
            ahead.mark_line(color=OKABE_ITO["vermillion"], strokeDash=[4, 3]).encode(
                y="mean:Q",
                tooltip=[
                    alt.Tooltip("ds:T", title="day"),
                    alt.Tooltip("mean:Q", format=".1%"),
                    alt.Tooltip("lo_80:Q", format=".1%"),
                    alt.Tooltip("hi_80:Q", format=".1%"),
                ],
            ),
        ]
    if history.get_column("suppressed").any():
        layers.append(_suppressed_ticks(history))
    return alt.layer(*layers).properties(height=HEIGHT)
