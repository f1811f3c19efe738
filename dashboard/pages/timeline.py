"""Timeline: one marker in one region and language, with its forecast and alert periods."""

import polars as pl
import streamlit as st

from dashboard import data
from dashboard.charts import timeline_chart
from transforms.contracts import series_id

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


def _index(values: list[str], wanted: str) -> int:
    return values.index(wanted) if wanted in values else 0


def _opening_series(options: pl.DataFrame, alerts: pl.DataFrame) -> tuple[str, str, str]:
    """The series to open on: that of the most severe, most recent alert; else the first marker
    across all regions and languages."""
    if not alerts.is_empty():
        top = alerts.sort(
            pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int8),
            pl.col("start"),
            descending=[False, True],
        )
        return top.select("marker", "region", "lang").row(0)
    return options.get_column("marker").min(), "all", "all"


st.title("Prevalence timeline")
st.caption(
    "Share of authors whose public posts matched a marker, per local day "
    f"({data.tz()}). A population statistic, never a statement about any person. "
    f"Days with fewer than {data.k()} authors, or 1–{data.k() - 1} matching authors, are suppressed."
)

published = data.version()
if published is None:
    st.info("No data published yet. Run `moodcast run INPUT…` (or `moodcast demo`) and reload.")
    st.stop()

options = data.series_options(published)
every_alert = data.alerts(published, None)
opening = _opening_series(options, every_alert)
left, middle, right = st.columns(3)
markers = options.get_column("marker").unique().sort().to_list()
marker = left.selectbox("Marker", markers, index=markers.index(opening[0]))
regions = options.filter(pl.col("marker") == marker).get_column("region").unique().sort().to_list()
region = middle.selectbox(
    "Region", regions, index=_index(regions, opening[1] if marker == opening[0] else "all")
)
langs = (
    options.filter((pl.col("marker") == marker) & (pl.col("region") == region))
    .get_column("lang")
    .unique()
    .sort()
    .to_list()
)
lang = right.selectbox(
    "Language", langs, index=_index(langs, opening[2] if (marker, region) == opening[:2] else "all")
)

unique_id = series_id(marker, region, lang)
observed = data.timeline(published, marker, region, lang, data.k()).with_columns(
    pl.col("prevalence").rolling_mean(7, min_samples=4).alias("smoothed_7d")
)
forecasts = data.forecasts(published, unique_id)
models = sorted(forecasts.get_column("model").unique(), key=lambda m: (m != "AutoETS", m))
if models:
    model = st.radio("Forecast model", models, horizontal=True, index=0)
    forecasts = forecasts.filter(pl.col("model") == model)
else:
    st.caption(
        "No forecast for this series: too many of its recent days are suppressed or missing."
    )
alerts = data.alerts(published, unique_id)

st.caption(
    "Light blue: daily share with its 95% Wilson interval · dark blue: 7-day mean · "
    "orange: forecast with 80% and 95% intervals · purple shading: alert periods."
)
st.altair_chart(
    timeline_chart(observed, forecasts, alerts),
    use_container_width=True,
)

suppressed = int(observed.get_column("suppressed").sum())
st.caption(f"{observed.height} days shown; {suppressed} suppressed (gaps in the line).")

st.subheader("Alert periods")
if alerts.is_empty():
    st.write("No alert periods for this series.")
else:
    st.dataframe(
        alerts.select(
            pl.col("start", "end", "peak").cast(pl.String), "severity", "method", "reason"
        ),
        hide_index=True,
        use_container_width=True,
    )
