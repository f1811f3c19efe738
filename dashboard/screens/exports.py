"""Exports: any slice of the timelines, forecasts or alerts as CSV or Parquet, each with its
data dictionary."""

from datetime import timedelta

import polars as pl
import streamlit as st

from dashboard import controls, data

PREVIEW_ROWS = 50

st.title("Exports")
st.caption(
    "Each download is a zip of the data file and `data_dictionary.md`, which explains every "
    f"column and its units. Days too small to publish (fewer than {data.k()} authors, or "
    f"1–{data.k() - 1} matching authors) carry their week's (or 8-week period's) counts "
    "(`grain`); withheld cells "
    "are empty and flagged in `suppressed`, never zero; no author, post or text is in any file."
)
published = data.require_published()
view = st.radio("View", ["timelines", "forecasts", "alerts"], horizontal=True)
options = data.series_options(published)
left, middle, right = st.columns(3)
markers = left.multiselect("Markers", options.get_column("marker").unique().sort().to_list())
regions = middle.multiselect("Regions", options.get_column("region").unique().sort().to_list())
langs = right.multiselect("Languages", options.get_column("lang").unique().sort().to_list())

if view == "timelines":
    last = data.latest_day(published)
    if last is None:
        st.info("The published warehouse has no daily rows yet.")
        st.stop()
    first = max(data.first_day(published) or last, last - timedelta(days=3 * 365))
    start, end = st.slider(
        "Days",
        min_value=min(first, last - timedelta(days=1)),
        max_value=last,
        value=(max(first, last - timedelta(days=data.EXPORT_DAYS - 1)), last),
        format="YYYY-MM-DD",
    )
    one_marker = markers[0] if len(markers) == 1 else None
    frame = data.timelines_between(published, start, end, one_marker, data.k())
elif view == "forecasts":
    frame = data.export_forecasts(published, data.k())
else:
    frame = data.alerts_with_grain(published, data.k())

if view == "forecasts":
    keys = [pl.col("unique_id").str.split("|").list.get(i) for i in range(3)]
else:
    keys = [pl.col("marker"), pl.col("region"), pl.col("lang")]
for key, chosen in zip(keys, (markers, regions, langs), strict=True):
    if chosen:
        frame = frame.filter(key.is_in(chosen))

st.write(f"{frame.height:,} rows.")
# Dates as text: the grid would show a date as a time at midnight (2025-10-08 00:00:00).
preview = frame.head(PREVIEW_ROWS).with_columns(pl.col(pl.Date).cast(pl.String))
st.dataframe(preview, hide_index=True, width="stretch")
controls.download_buttons(view, frame, name=view, key="export")
