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
shown = summaries.by_severity(shown)

st.dataframe(
    summaries.alert_subjects(shown).select(
        "severity",
        "subject",
        "region",
        "lang",
        pl.col("start", "end", "issued_on").cast(pl.String),
        "series",
        "reason",
        pl.col("peak").cast(pl.String),
        "method",
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "series": st.column_config.LinkColumn("series", display_text="open timeline"),
        "reason": st.column_config.TextColumn("reason", width="large"),
        "issued_on": st.column_config.TextColumn(
            "issued on",
            help="The first run that raised the alert (the latest day of data it saw); "
            "`start` can be earlier, where the rise began.",
        ),
    },
)
st.caption(f"{shown.height} of {alerts.height} alerts.")
controls.download_buttons("alerts", shown, name="alerts", key="alerts")
