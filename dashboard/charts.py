"""Altair charts in the Okabe–Ito palette (colour-blind safe)."""

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


def timeline_chart(
    observed: pl.DataFrame, forecast: pl.DataFrame, alerts: pl.DataFrame
) -> alt.LayerChart:
    """Observed prevalence with its Wilson band and 7-day mean, the forecast with 80/95% bands,
    and alert periods shaded. Suppressed days are gaps, never values."""
    percent = alt.Axis(format="%", title="share of authors")
    base = alt.Chart(observed.to_pandas()).encode(x=alt.X("day:T", title=None))
    layers = [
        base.mark_area(opacity=0.25, color=OKABE_ITO["sky"]).encode(
            y=alt.Y("prevalence_lo:Q", axis=percent), y2="prevalence_hi:Q"
        ),
        base.mark_line(color=OKABE_ITO["sky"], strokeWidth=1).encode(
            y="prevalence:Q",
            tooltip=[alt.Tooltip("day:T"), alt.Tooltip("prevalence:Q", format=".1%")],
        ),
        base.mark_line(color=OKABE_ITO["blue"], strokeWidth=2.5).encode(y="smoothed_7d:Q"),
    ]
    if not forecast.is_empty():
        ahead = alt.Chart(forecast.to_pandas()).encode(x="ds:T")
        layers += [
            ahead.mark_area(opacity=0.2, color=OKABE_ITO["orange"]).encode(
                y="lo_95:Q", y2="hi_95:Q"
            ),
            ahead.mark_area(opacity=0.35, color=OKABE_ITO["orange"]).encode(
                y="lo_80:Q", y2="hi_80:Q"
            ),
            ahead.mark_line(color=OKABE_ITO["vermillion"], strokeDash=[4, 3]).encode(
                y="mean:Q", tooltip=[alt.Tooltip("ds:T"), alt.Tooltip("mean:Q", format=".1%")]
            ),
        ]
    if not alerts.is_empty():
        shaded = alerts.with_columns(end_excl=pl.col("end") + pl.duration(days=1))
        layers.insert(
            0,
            alt.Chart(shaded.to_pandas())
            .mark_rect(opacity=0.18, color=OKABE_ITO["purple"])
            .encode(x="start:T", x2="end_excl:T", tooltip=["reason:N", "severity:N"]),
        )
    return alt.layer(*layers).properties(height=360)
