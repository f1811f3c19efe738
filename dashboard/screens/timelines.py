"""Timelines: prevalence of one series or several side by side, with the analysts' events."""

from datetime import date, timedelta

import polars as pl
import streamlit as st

from dashboard import controls, data, summaries
from dashboard.charts import timeline_chart
from transforms.contracts import series_id

MAX_COMPARED = 4
PERIODS = {"90 days": 90, "1 year": 365, "All": None}

st.title("Prevalence timelines")
st.caption(
    "Share of authors whose public posts matched a marker, per local day "
    f"({data.tz()}), with its 95% interval: adjusted for the marker's measured error rates "
    "where it has been validated on labelled posts (in all languages of a roll-up, or in all "
    "but a few of its authors, whose part the band then spans from 0 to 1), else the share "
    "flagged, labelled `not validated`. A population statistic, never a statement about any person. Where a day "
    f"has fewer than {data.k()} authors, or 1–{data.k() - 1} matching authors, its whole week "
    "is shown at the week's own share (flat across the week, `grain` in the tooltip); a "
    "series too small in most weeks is shown by 8-week periods the same way; a period "
    "too small even so is withheld: a gap, marked by grey ticks, never a zero."
)
published = data.require_published()
if notice := summaries.today_so_far(data.provisional_days(published), tz=data.tz()):
    st.info(notice)
if data.privacy() == "dp" and (budget := data.dp_budget(published)) is not None:
    st.info(
        f"Differentially private release: (ε, δ) = ({budget[0]:g}, {budget[1]:g}) per author per "
        "local day. Every share carries calibrated noise (its interval includes it); nothing is "
        "withheld."
    )
marker, region, lang = controls.pick_series(published)

show = st.segmented_control(
    "Show",
    ["Daily share", "7-day mean"],
    selection_mode="multi",
    default=["Daily share", "7-day mean"],
)
period = st.segmented_control("Period", list(PERIODS), default="1 year") or "All"
options = data.series_options(published)
compare_by = st.radio(
    "Compare with", ["nothing", "other markers", "other regions"], horizontal=True
)
series = [(marker, region, lang)]
if compare_by == "other markers":
    others = options.filter((pl.col("region") == region) & (pl.col("lang") == lang))
    choices = [m for m in others.get_column("marker").unique().sort() if m != marker]
    picked = st.multiselect("Markers", choices, max_selections=MAX_COMPARED - 1)
    series += [(m, region, lang) for m in picked]
elif compare_by == "other regions":
    others = options.filter((pl.col("marker") == marker) & (pl.col("lang") == lang))
    choices = [r for r in others.get_column("region").unique().sort() if r != region]
    picked = st.multiselect("Regions", choices, max_selections=MAX_COMPARED - 1)
    series += [(marker, r, lang) for r in picked]

frames = [data.timeline(published, *one, data.k()) for one in series]
last = max((f.get_column("day").max() for f in frames if not f.is_empty()), default=None)
start = last - timedelta(days=PERIODS[period] - 1) if last and PERIODS[period] else date.min
frames = [f.filter(pl.col("day") >= start) for f in frames]
unvalidated = [data.not_validated(frame) for frame in frames]
adjust = st.toggle(
    "Adjusted for marker error",
    value=None in unvalidated,
    disabled=None not in unvalidated,
    help="The share of authors in the state, estimated from the share flagged and the "
    "marker's true- and false-positive rates measured on labelled posts (see the data "
    "dictionary). Off: the share of authors the marker flags.",
)
shown = [
    data.adjusted_view(frame) if adjust and reason is None else frame
    for frame, reason in zip(frames, unvalidated, strict=True)
]
y_max = max((frame.get_column("prevalence_hi").max() or 0.0) for frame in shown) or None
daily, smoothed = "Daily share" in (show or []), "7-day mean" in (show or [])
st.caption(
    "Light blue: daily share with its 95% interval · dark blue: 7-day mean · pink "
    "shading: alert periods · dashed black rules: analysts' events · grey ticks: suppressed days."
)
columns = st.columns(min(len(series), 2))
for i, ((m, r, lang_), observed, reason) in enumerate(zip(series, shown, unvalidated, strict=True)):
    with columns[i % len(columns)]:
        if len(series) > 1:
            st.markdown(f"**{m}** · {r} · {lang_}")
        if reason is not None:
            st.markdown(
                f":orange-badge[not validated] {reason.removeprefix('not validated: ')}. "
                "The line is the share of authors flagged, not corrected for marker error."
            )
        elif adjust and (bounded := data.validated_in_part(observed)):
            st.markdown(
                ":blue-badge[validated in part] adjusted for marker error; "
                f"{bounded.removeprefix('validated in part: ')}: the band is wider by their "
                "share of the authors."
            )
        elif adjust:
            st.markdown(":green-badge[validated] adjusted for marker error")
        if rare := summaries.too_rare(observed, k=data.k(), adjusted=adjust and reason is None):
            st.info(rare)
        else:
            chart = timeline_chart(
                observed,
                data.series_alerts(published, series_id(m, r, lang_), data.k()),
                data.annotations_for(r).filter(pl.col("day") >= start),
                daily=daily,
                smoothed=smoothed,
                y_max=y_max if len(series) > 1 else None,
            )
            st.vega_lite_chart(spec=chart, width="stretch")
        suppressed = int(observed.get_column("suppressed").sum())
        shown = observed.filter(~pl.col("suppressed")).get_column("grain")
        weekly = int(shown.str.ends_with("_week").sum())
        eights = int(shown.str.ends_with("_8week").sum())
        st.caption(
            f"{observed.height} days; {weekly} shown as weeks; {eights} shown as 8-week "
            f"periods; {suppressed} withheld."
        )

st.subheader("Events")
events = data.annotations_for(region)
with st.form("add-event", clear_on_submit=True, border=False):
    day_col, label_col, where_col = st.columns([1, 2, 1])
    last = frames[0].get_column("day").max() if not frames[0].is_empty() else None
    day = day_col.date_input("Day", value=last)
    label = label_col.text_input("Event", placeholder="e.g. school closures announced")
    where = where_col.selectbox("Where", sorted({region, "all"}))
    if st.form_submit_button("Add event") and day:
        try:
            data.add_annotation(day, label, where)
        except ValueError as exc:
            st.warning(str(exc))
        else:
            st.rerun()
if events.is_empty():
    st.caption("No events noted for this region yet.")
else:
    st.dataframe(
        events.select(pl.col("day").cast(pl.String), "region", "label"),
        hide_index=True,
        width="stretch",
    )
    ids = dict(zip(events.get_column("id"), events.get_column("label"), strict=True))
    gone = st.selectbox("Remove an event", [None, *ids], format_func=lambda i: ids.get(i, "—"))
    if gone and st.button("Remove"):
        try:
            data.remove_annotation(gone)
        except ValueError as exc:
            st.warning(str(exc))
        else:
            st.rerun()

controls.download_buttons(
    "timelines",
    pl.concat(frames).drop("smoothed_7d"),
    name="timelines",
    key="timelines",
)
