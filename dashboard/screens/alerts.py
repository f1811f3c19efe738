"""Alerts: every high-prevalence period of the latest run, why it was raised, and a link to
its series."""

import polars as pl
import streamlit as st

from dashboard import controls, data, summaries

st.title("Alerts")
st.caption(
    "Periods when a marker's share of authors is, or is forecast to be, unusually high. They "
    "describe statistical signals in a population, never a diagnosis of anyone."
)
with st.expander("How alerts work"):
    st.markdown(summaries.how_alerts_work())
published = data.require_published()
alerts = data.alerts(published, None)
if alerts.is_empty():
    st.info("The latest run raised no alerts.")
    st.stop()

left, middle, right = st.columns(3)
severities = left.multiselect("Severity", list(summaries.SEVERITY_RANK), default=None)
methods = middle.multiselect("Method", alerts.get_column("method").unique().sort().to_list())
markers = right.multiselect("Marker", alerts.get_column("marker").unique().sort().to_list())
shown = alerts
for column, chosen in (("severity", severities), ("method", methods), ("marker", markers)):
    if chosen:
        shown = shown.filter(pl.col(column).is_in(chosen))
unfold = st.toggle(
    "One row per series",
    help="A wave alerted in a cell and its roll-ups (all regions, all languages) is one row, "
    "its most severe alert, with the roll-ups named under `also alerted in`. On: every alert "
    "its own row.",
)
flat = summaries.by_severity(shown)
rows = flat if unfold else summaries.waves(shown)
dated = pl.col("start", "end", "peak").cast(pl.String)
columns = ["severity", "subject", "region", "lang", dated, "series", "reason", "method"]

st.dataframe(
    summaries.alert_subjects(rows).select(*columns, *([] if unfold else ["also_in"])),
    hide_index=True,
    width="stretch",
    column_config={
        "series": st.column_config.LinkColumn("series", display_text="open timeline"),
        "reason": st.column_config.TextColumn("reason", width="large"),
        "also_in": st.column_config.TextColumn("also alerted in"),
    },
)
waves = "" if unfold else f"{rows.height} waves; "
st.caption(f"{waves}{flat.height} of {alerts.height} alerts.")
controls.download_buttons("alerts", flat, name="alerts", key="alerts")
