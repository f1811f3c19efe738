"""Data health: the run ledger, what each run set aside and why, the suppressed cells, and
which markers are validated for the adjusted share."""

import polars as pl
import streamlit as st

from dashboard import data
from dashboard.charts import OKABE_ITO, count_bars

st.title("Data health")
st.caption(
    "What changed in the data: every run, the records it could not use, and how many "
    "published cells are too small to show."
)
published = data.require_published()

st.subheader("Runs")
RECENT_RUNS = 10
runs = data.runs(published).select(
    "run_id", "status", pl.col("as_of").cast(pl.String),
    pl.col("started_at", "finished_at").dt.strftime("%Y-%m-%d %H:%M"), "read", "valid",
    "dead_lettered", "duplicates", "filtered", "days", "series", "alerts",
)  # fmt: skip
st.table(runs.head(RECENT_RUNS))
if runs.height > RECENT_RUNS:
    with st.expander(f"All {runs.height:,} runs"):
        st.dataframe(runs, hide_index=True, width="stretch")

st.subheader("Records set aside")
st.caption(
    "A stream's posts kept out of a day another run held (`kept_out`) name the day (`day`) and "
    "the run that held it when the row was written (`held_by`: by the stream, or by the run "
    "that replaced its day); a later run may hold the day now."
)
counts = (
    data.run_counts(published)
    .filter(~pl.col("category").is_in(["read", "valid"]))
    .with_columns(pl.col("day").cast(pl.String))
)
if counts.is_empty():
    st.write("No run set any record aside.")
else:
    st.table(counts)

st.subheader("Dead letters by reason")
dead = data.dead_letter_counts(published)
if dead.is_empty():
    st.write("No dead letters.")
else:
    by_reason = dead.group_by("reason").agg(pl.col("n").sum()).sort("n", descending=True)
    st.vega_lite_chart(
        count_bars(by_reason, "reason", "n", color=OKABE_ITO["vermillion"]), width="stretch"
    )
    st.table(dead)

st.subheader("Suppressed cells")
st.caption(
    f"Cells (day × region × language) with fewer than {data.k()} authors, or "
    f"1–{data.k() - 1} matching authors, are never shown by day: their day is shown with its "
    "week's (or 8-week period's) counts where that period has enough authors, else withheld. "
    "Here, their number."
)
st.dataframe(
    data.suppressed_cells(published, data.k()),
    hide_index=True,
    width="stretch",
    column_config={
        "share_suppressed": st.column_config.ProgressColumn(
            "share suppressed", min_value=0.0, max_value=1.0, format="percent"
        )
    },
)

st.subheader("Marker validation")
st.caption(
    "Which marker × language has its error rates measured on labelled posts (shipped, or "
    "yours from `moodcast markers calibrate`) well enough to publish a share adjusted for "
    "marker error. The others are shown as the share flagged, labelled not validated. The "
    "margins are the ± that the rates alone put on an adjusted share of 10% and of 40%; "
    "labelling more posts narrows them."
)
rates = pl.col("tpr", "fpr").round(2), pl.col("rates_margin_10", "rates_margin_40").round(3)
st.table(
    data.validation(published)
    .with_columns(rates)
    .rename(
        {
            "tpr": "true-positive rate",
            "fpr": "false-positive rate",
            "n_pos": "labelled positives",
            "n_neg": "labelled negatives",
            "rates_margin_10": "margin at 10%",
            "rates_margin_40": "margin at 40%",
        }
    )
)
