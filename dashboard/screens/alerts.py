"""Alerts: every high-prevalence period of the latest run, why it was raised, and a link to
its series."""

import polars as pl
import streamlit as st

from dashboard import controls, data, summaries

st.title("Alerts")
st.caption(
    "Periods when a marker's share of authors is, or is forecast to be, unusually high: "
    f"{summaries.FLAGGED_SHARE}. They describe statistical signals in a population, never a "
    "diagnosis of anyone. `issued on` "
    "is the first run that raised an alert (the latest day of data it saw); a period's start "
    "can be earlier, where the rise began."
)
with st.expander("How alerts work"):
    st.markdown(summaries.how_alerts_work())
published = data.require_published()
alerts = data.alerts_with_grain(published, data.k())
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
MAX_ROWS = 100
where = pl.format("{} · {}", "region", "lang").alias("where")
period = summaries.period_text(rows).alias("period")
issued = pl.col("issued_on").cast(pl.String).alias("issued on")
link = pl.format("[open timeline]({})", "series").alias("series")
columns = ["severity", "subject", where, period, issued, link, "reason", "method"]

# A table, not a grid: every reason wraps in full and every link shows, at any width.
table = summaries.alert_subjects(rows).select(*columns, *([] if unfold else ["also_in"]))
st.table(table.head(MAX_ROWS).rename({"also_in": "also alerted in"}, strict=False))
waves = "" if unfold else f"{rows.height} waves; "
more = (
    f" The first {MAX_ROWS} rows are shown: narrow them with the filters above, or download all."
    if rows.height > MAX_ROWS
    else ""
)
st.caption(f"{waves}{flat.height} of {alerts.height} alerts.{more}")
controls.download_buttons("alerts", flat, name="alerts", key="alerts")
