"""Timeline: one marker in one region and language, with its forecast and alert periods."""

import polars as pl
import streamlit as st

from dashboard import data
from dashboard.charts import timeline_chart
from transforms.contracts import series_id

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
markers = options.get_column("marker").unique().sort().to_list()
left, middle, right = st.columns(3)
marker = left.selectbox("Marker", markers)
regions = options.filter(pl.col("marker") == marker).get_column("region").unique().sort().to_list()
region = middle.selectbox("Region", regions, index=regions.index("all") if "all" in regions else 0)
langs = (
    options.filter((pl.col("marker") == marker) & (pl.col("region") == region))
    .get_column("lang")
    .unique()
    .sort()
    .to_list()
)
lang = right.selectbox("Language", langs, index=langs.index("all") if "all" in langs else 0)

unique_id = series_id(marker, region, lang)
observed = data.timeline(published, marker, region, lang, data.k()).with_columns(
    pl.col("prevalence").rolling_mean(7, min_samples=4).alias("smoothed_7d")
)
forecasts = data.forecasts(published, unique_id)
models = forecasts.get_column("model").unique().sort().to_list()
if models:
    model = st.radio("Forecast model", models, horizontal=True, index=0)
    forecasts = forecasts.filter(pl.col("model") == model)
else:
    st.caption(
        "No forecast for this series: too many of its recent days are suppressed or missing."
    )
alerts = data.alerts(published, unique_id)

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
        alerts.select("start", "end", "peak", "severity", "method", "reason"),
        hide_index=True,
        use_container_width=True,
    )
