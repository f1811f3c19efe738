"""Overview: open alerts, the series rising fastest, and how fresh the data is."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from dashboard import data, summaries

st.title("Overview")
st.caption(
    "What is rising, where, and since when. Every figure is a share of authors in a "
    "population, never a statement about any person."
)
published = data.require_published()
runs = data.runs(published)
last_day = data.latest_day(published)
loaded = runs.filter(pl.col("status").is_in(data.PUBLISHED_STATUSES))
as_of = loaded.get_column("as_of").max() if not loaded.is_empty() else last_day

today = datetime.now(ZoneInfo(data.tz())).date()
st.markdown(f"**Data as of {as_of:%-d %B %Y}**" if as_of else "**No data loaded yet.**")
latest_run = loaded.head(1).with_columns(
    pl.col("started_at").dt.convert_time_zone(data.tz()).dt.date().alias("ran_on")
)
if warning := summaries.staleness(
    last_day,
    today=today,
    as_of=latest_run.get_column("as_of").first(),
    ran_on=latest_run.get_column("ran_on").first(),
):
    st.warning(warning)

st.subheader("Data freshness")
fresh, latest, status = st.columns(3)
if runs.is_empty():
    fresh.metric("Last run", "none recorded")
else:
    finished = runs.get_column("finished_at").drop_nulls().max()
    ago = summaries.finished_ago(finished, now=datetime.now(UTC)) if finished else "running"
    fresh.metric("Last run finished", ago)
    status.metric("Last run status", runs.get_column("status")[0])
latest.metric("Latest day with data", str(last_day) if last_day else "none")
if notice := summaries.today_so_far(data.provisional_days(published), tz=data.tz()):
    st.info(notice)

open_alerts = summaries.open_alerts(data.alerts_with_grain(published, data.k()), as_of=as_of)
st.subheader(f"Open alerts ({open_alerts.height})")
if open_alerts.is_empty():
    st.write(summaries.no_open_alert(as_of, last_day))
else:
    st.dataframe(
        open_alerts.select(
            "severity",
            "marker",
            "region",
            "lang",
            summaries.period_text(open_alerts).alias("period"),
            "reason",
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Rising fastest")
st.caption(
    "Mean share of authors over the last 7 days against the 7 days before, per series: "
    f"{summaries.FLAGGED_SHARE}; only series with at least {summaries.MIN_PUBLISHED_DAYS} "
    "published days in each week."
)
rising = (
    summaries.rising(data.recent_days(published, 14, data.k()), last_day=last_day)
    if last_day is not None
    else None
)
if rising is None or rising.is_empty():
    st.write("Not enough published days in the last two weeks to compare.")
else:
    st.dataframe(
        rising.head(10).with_columns(pl.col("change") * 100),
        hide_index=True,
        width="stretch",
        column_config={
            "previous": st.column_config.NumberColumn("previous 7 days", format="percent"),
            "latest": st.column_config.NumberColumn("last 7 days", format="percent"),
            "change": st.column_config.NumberColumn(
                "change", format="%+.1f pp", help="percentage points"
            ),
        },
    )
