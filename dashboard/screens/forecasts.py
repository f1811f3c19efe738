"""Forecasts: a series' recent history, the published forecast with its 80% and 95% bands,
the model chosen for it and that model's backtest error."""

from datetime import timedelta

import polars as pl
import streamlit as st

from dashboard import controls, data, summaries
from dashboard.charts import forecast_chart
from transforms.contracts import series_id

HISTORY_DAYS = 120

st.title("Forecasts")
st.caption(
    "Where each series' share of authors is heading, with 80% and 95% prediction intervals. "
    "A population statistic, never a statement about any person."
)
published = data.require_published()
marker, region, lang = controls.pick_series(published)
unique_id = series_id(marker, region, lang)

forecasts = data.forecasts(published, unique_id)
choice = data.model_choice(published, unique_id)
chosen = None if choice is None or choice.is_empty() else choice.row(0, named=True)
models = sorted(forecasts.get_column("model").unique())
if chosen and chosen["model"] in models:
    models.remove(chosen["model"])
    models.insert(0, chosen["model"])
elif "AutoETS" in models:
    models.remove("AutoETS")
    models.insert(0, "AutoETS")

observed = data.timeline(published, marker, region, lang, data.k())
series, grain, same_as = data.forecast_basis(published, marker, region, lang, data.k())
if not models:
    st.info(
        summaries.why_not_forecast(
            series,
            unique_id=unique_id,
            grain=grain,
            same_as=same_as,
            last_day=data.latest_ended_day(published),
            k=data.k(),
            week_grain=data.week_grain(),
        )
    )
    model = None
else:
    model = st.radio(
        "Model",
        models,
        horizontal=True,
        format_func=lambda m: f"{m} (published)" if chosen and m == chosen["model"] else m,
    )
    forecasts = forecasts.filter(pl.col("model") == model)
    grain = data.forecast_grain(published, unique_id, data.k()) or grain

if not observed.is_empty():
    since = observed.get_column("day").max() - timedelta(days=HISTORY_DAYS)
    observed = observed.filter(pl.col("day") > since)
st.caption(
    f"Shares of authors: {summaries.FLAGGED_SHARE}. "
    "Light blue: daily share · dark blue: 7-day mean · orange: forecast "
    f"{summaries.forecast_grain(grain)} with 80% (darker) and 95% intervals, dashed "
    "vermillion: its mean · pink shading: alert periods."
)
if flat := summaries.nothing_to_chart(observed, forecasts, k=data.k()):
    st.info(flat)
else:
    st.vega_lite_chart(
        spec=forecast_chart(
            observed,
            forecasts,
            data.series_alerts(published, unique_id, data.k()),
            grain=grain or "day",
        ),
        width="stretch",
    )

st.subheader("Model choice")
if choice is None:
    st.write(
        "This warehouse does not record which model was chosen (it comes from an earlier "
        "moodcast run). The AutoETS forecast is shown first."
    )
elif chosen is None:
    st.write("No model was chosen for this series in the latest run.")
else:
    error = f"MASE {chosen['mase']:.2f}" if chosen["mase"] is not None else "not backtested"
    st.markdown(f"**{chosen['model']}** ({chosen['status']}, {error}). {chosen['reason']}")

scores = data.backtests(published, unique_id)
if scores is not None and not scores.is_empty():
    st.caption(
        "Rolling-origin backtests, 7 days ahead, per training window: MAPE and sMAPE in %, "
        "MASE below 1 beats a seasonal naive forecast; hit rates are shares of real peaks "
        "forecast within ±2, ±3 and ±7 days."
    )
    st.dataframe(
        scores.drop("unique_id", "run_id"),
        hide_index=True,
        width="stretch",
    )
elif scores is not None:
    st.caption("No backtest scores for this series.")

if model is not None:
    controls.download_buttons(
        "forecasts", forecasts, name=f"forecast-{marker}-{region}-{lang}", key="forecast"
    )
