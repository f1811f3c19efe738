"""The dashboard's data: one cached read-only warehouse connection and cached queries.

The connection is keyed by the published file's version, so the first rerun after a run
publishes opens the new file; until then readers keep the version they have (a run never
changes a published file in place, it swaps in a new one). Every query takes that version as
its first argument, so cached results never outlive the file they came from. Nothing here
writes the warehouse; the analysts' event annotations go to their own file through
`warehouse.annotations`. Settings come from the environment that `moodcast dashboard` sets.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import streamlit as st

import warehouse
from dashboard import summaries
from transforms.privacy import DEFAULT_K
from transforms.quantify import marker_validation
from transforms.rates import USER_RATES_NAME, RatesError, merged_rates
from transforms.rollups import has_adjusted
from transforms.validation import BOUNDED, HIDDEN_PART
from warehouse import annotations, forecast_queries, health, queries, release_record
from warehouse.bundles import export_bundle

TTL_SECONDS = 3600
"""How long a query result is kept. Results are keyed by the published version, so this only
bounds memory, as does `PER_SERIES_ENTRIES` for queries of one series."""
PER_SERIES_ENTRIES = 512
WARM_ENV = "MOODCAST_WARM_CACHES"
"""Set (to 1) by `dashboard.serve`: warm the pages' first queries in the background."""
EXPORT_DAYS = 90
"""The Exports page's default slice of timelines, in days up to the latest day."""
PUBLISHED_STATUSES = warehouse.PUBLISHED_STATUSES
"""The statuses of runs that published what they loaded."""

log = logging.getLogger(__name__)

Version = tuple[int, int, int]


def data_dir() -> Path:
    """The data directory: `$MOODCAST_HOME`, else `./moodcast-data`."""
    return Path(os.environ.get("MOODCAST_HOME", "moodcast-data"))


def k() -> int:
    """The suppression threshold: `$MOODCAST_K`, else 11."""
    return int(os.environ.get("MOODCAST_K", DEFAULT_K))


def privacy() -> str:
    """The publishing mode: `$MOODCAST_PRIVACY` (`suppress` or `dp`), else `suppress`."""
    return os.environ.get("MOODCAST_PRIVACY", "suppress")


def week_grain() -> str:
    """The week of coarser cells: `$MOODCAST_WEEK_GRAIN` (`iso_week` or `epi_week`), else
    `iso_week`."""
    return os.environ.get("MOODCAST_WEEK_GRAIN", "iso_week")


def tz() -> str:
    """The analysis time zone the days are in: `$MOODCAST_TZ`, else UTC."""
    return os.environ.get("MOODCAST_TZ", "UTC")


@st.cache_resource(max_entries=1, show_spinner=False)
def _connection(directory: str, published: Version):
    return warehouse.open_published(directory)


def _con(published: Version):
    return warehouse.published_cursor(_connection(str(data_dir()), published))


def require_published() -> Version:
    """The published warehouse's version, opened; otherwise say what to do and stop the page.

    Never raises: with nothing published the page tells the analyst to run `moodcast run`,
    and a file that cannot be read (from another moodcast version, say, or one published at
    other settings than the served ones: warehouse.release_record.check_release_settings) is
    explained.
    """
    published = warehouse.published_version(data_dir())
    if published is None:
        st.info("No data published yet. Run `moodcast run INPUT…` (or `moodcast demo`) and reload.")
        st.stop()
    try:
        release_record.check_release_settings(
            _con(published), privacy=privacy(), k=k(), week_grain=week_grain()
        )
    except warehouse.WarehouseError as exc:
        st.warning(f"The published data cannot be read right now. {exc}")
        st.stop()
    if os.environ.get(WARM_ENV) == "1":
        _warming(str(data_dir()), published)
    return published


@st.cache_resource(max_entries=1, show_spinner=False)
def _warming(directory: str, published: Version) -> threading.Thread:
    """Once per published version, a background thread that runs the queries each page makes
    first, so that the first analyst after a run does not wait for them page by page."""
    thread = threading.Thread(
        target=_warm, args=(directory, published), name="moodcast-warm-caches", daemon=True
    )
    thread.start()
    return thread


def _warm(directory: str, published: Version) -> None:
    """Fill the caches of the series selectors, the opening series (of the most severe
    alert), the Exports page's default slice and the Data health tables, stopping as soon as
    `directory` publishes another version (a query keyed by `published` would then read the
    new file). Best effort: a failure is logged and the page concerned runs its query itself."""
    limit = k()

    def opening_series() -> None:
        opening = summaries.most_severe(alerts(published, None))
        if opening is not None:
            series_timeline(published, *opening, limit)

    def export_slice() -> None:
        last = latest_day(published)
        if last is not None:
            timelines_between(published, last - timedelta(days=EXPORT_DAYS - 1), last, None, limit)

    steps = (
        lambda: series_options(published),
        opening_series,
        export_slice,
        lambda: suppressed_cells(published, limit),
        lambda: run_counts(published),
        lambda: dead_letter_counts(published),
    )
    try:
        for step in steps:
            if warehouse.published_version(directory) != published:
                return
            step()
    except Exception:  # warming is an optimisation: the pages still query for themselves
        log.warning("warming the dashboard's caches failed", exc_info=True)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def tables(published: Version) -> frozenset[str]:
    return health.table_names(_con(published))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def latest_day(published: Version) -> date | None:
    return health.latest_day(_con(published))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def latest_ended_day(published: Version) -> date | None:
    return health.latest_ended_day(_con(published))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def provisional_days(published: Version) -> pl.DataFrame:
    return queries.provisional_days(_con(published))


def first_day(published: Version) -> date | None:
    return health.first_day(_con(published))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def series_options(published: Version) -> pl.DataFrame:
    return queries.series_options(_con(published))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def validation(published: Version) -> pl.DataFrame:
    """Each published marker × language (current versions) and its validation status under
    the rates in force, with the rates (transforms.quantify.marker_validation)."""
    con = _con(published)
    series = queries.series_options(con).select("marker", "lang").unique()
    versions = queries.current_versions(con)
    return marker_validation(series.join(versions, on="marker"), rates())


def rates() -> pl.DataFrame:
    """The marker rates in force: shipped, with the user's from `moodcast markers calibrate`
    (re-read when that file changes; an unreadable one is logged and the shipped used)."""
    path = data_dir() / USER_RATES_NAME
    return _rates(str(data_dir()), path.stat().st_mtime_ns if path.is_file() else 0)


@st.cache_data(ttl=TTL_SECONDS, max_entries=4, show_spinner=False)
def _rates(directory: str, stamp: int) -> pl.DataFrame:
    try:
        return merged_rates(Path(directory))
    except RatesError:
        log.warning("dashboard: using the shipped marker rates", exc_info=True)
        return merged_rates(None)


def _daily(published: Version, k: int, **where) -> pl.DataFrame:
    """`queries.daily` on the published version with the served settings (k, validation rates,
    privacy mode, week grain); `where` narrows it as `queries.daily` does."""
    return queries.daily(
        _con(published), k=k, rates=rates(), privacy=privacy(), week_grain=week_grain(), **where
    )


@st.cache_data(ttl=TTL_SECONDS, max_entries=PER_SERIES_ENTRIES, show_spinner=False)
def series_timeline(
    published: Version, marker: str, region: str, lang: str, k: int
) -> pl.DataFrame:
    """Published rows of one series. One small query per series: switching the marker, region
    or language reads one series (~1,100 rows for three years), never a marker's every region
    and language, and a rerun unpickles no more than that from the cache."""
    return _daily(published, k, marker=marker, region=region, lang=lang)


def timeline(published: Version, marker: str, region: str, lang: str, k: int) -> pl.DataFrame:
    """Published rows of one series, oldest first, with `smoothed_7d` (see `with_smoothed`)."""
    return with_smoothed(series_timeline(published, marker, region, lang, k))


def not_validated(rows: pl.DataFrame) -> str | None:
    """Why the adjusted share of one series' `rows` is not shown (its `validation` status),
    or None when every day has one (validated, or a roll-up validated in part) or is a roll-up
    day whose validated languages are suppressed (HIDDEN_PART: a gap, like a suppressed day)
    among days that have one. A series whose days are all HIDDEN_PART has no adjusted line to
    show: that is its reason."""
    status = pl.col("validation")
    some_adjusted = rows.select(has_adjusted(status).any()).item()
    withheld = ~has_adjusted(status) & ~(status.str.starts_with(HIDDEN_PART) & some_adjusted)
    reasons = rows.filter(withheld).get_column("validation")
    return None if reasons.is_empty() else reasons[-1]


def validated_in_part(rows: pl.DataFrame) -> str | None:
    """The last `validation` of one series' `rows` that is a roll-up validated in part (its
    languages without validated rates bounded, named), or None when no day is."""
    bounded = rows.filter(pl.col("validation").str.starts_with(BOUNDED)).get_column("validation")
    return None if bounded.is_empty() else bounded[-1]


def adjusted_view(rows: pl.DataFrame) -> pl.DataFrame:
    """`rows` (one series, oldest first) with the share adjusted for marker error and its
    interval in place of `prevalence`, `prevalence_lo`, `prevalence_hi`, and `smoothed_7d`
    recomputed from it."""
    return with_smoothed(
        rows.with_columns(
            pl.col("adjusted_prevalence").alias("prevalence"),
            pl.col("adjusted_prevalence_lo").alias("prevalence_lo"),
            pl.col("adjusted_prevalence_hi").alias("prevalence_hi"),
        )
    )


def with_smoothed(rows: pl.DataFrame) -> pl.DataFrame:
    """`rows` (one series' published days, oldest first) with `smoothed_7d`: the mean of the
    last 7 days where all 7 are published, else null (a suppressed day stays a gap in every
    line). A mean over the published days of a window that holds withheld ones would leave out
    low days: a withheld day had 1–10 matching authors, a published one 0 or at least k."""
    return rows.with_columns(
        pl.when(~pl.col("suppressed"))
        .then(pl.col("prevalence").rolling_mean(7, min_samples=7))
        .alias("smoothed_7d")
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def recent_days(published: Version, days: int, k: int) -> pl.DataFrame:
    """Published rows of every series over the last `days` days of data."""
    last = latest_day(published)
    if last is None:
        return _daily(published, k).clear()
    return _daily(published, k, start=last - timedelta(days=days - 1))


@st.cache_resource(ttl=TTL_SECONDS, max_entries=8, show_spinner=False)
def timelines_between(
    published: Version, start: date, end: date, marker: str | None, k: int
) -> pl.DataFrame:
    """Published rows of every series (or one marker's) from `start` to `end`, for Exports.

    Cached as a shared resource, not pickled like the other results: 90 days of every series
    are ~200,000 rows, which take longer to pickle than to query. Polars frames are never
    changed in place, so the pages share it safely.
    """
    return _daily(published, k, marker=marker, start=start, end=end)


@st.cache_data(ttl=TTL_SECONDS, max_entries=PER_SERIES_ENTRIES, show_spinner=False)
def forecasts(published: Version, unique_id: str | None) -> pl.DataFrame:
    return forecast_queries.forecasts(_con(published), unique_id)


@st.cache_data(ttl=TTL_SECONDS, max_entries=PER_SERIES_ENTRIES, show_spinner=False)
def alerts(published: Version, unique_id: str | None) -> pl.DataFrame:
    return forecast_queries.alerts(_con(published), unique_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def alerts_with_grain(published: Version, k: int) -> pl.DataFrame:
    """Every alert with its `grain` (warehouse.forecast_queries.alerts_with_grain)."""
    return forecast_queries.alerts_with_grain(
        _con(published), k=k, week_grain=week_grain(), privacy=privacy()
    )


def series_alerts(published: Version, unique_id: str, k: int) -> pl.DataFrame:
    """One series' alerts with their `grain` (alerts_with_grain), for the charts that shade
    them through each alert's last day (summaries.last_day)."""
    return alerts_with_grain(published, k).filter(pl.col("unique_id") == unique_id)


@st.cache_data(ttl=TTL_SECONDS, max_entries=PER_SERIES_ENTRIES, show_spinner=False)
def forecast_basis(
    published: Version, marker: str, region: str, lang: str, k: int
) -> tuple[pl.DataFrame, str | None, str | None]:
    """What the run gave forecasting for one series (warehouse.queries.forecast_basis)."""
    return queries.forecast_basis(
        _con(published),
        marker=marker,
        region=region,
        lang=lang,
        k=k,
        week_grain=week_grain(),
        privacy=privacy(),
    )


@st.cache_data(ttl=TTL_SECONDS, max_entries=PER_SERIES_ENTRIES, show_spinner=False)
def forecast_grain(published: Version, unique_id: str, k: int) -> str | None:
    """The grain the latest run forecast one series at (warehouse.forecast_queries
    .forecast_grains), or None where it gave the series no grain."""
    grains = forecast_queries.forecast_grains(
        _con(published), k=k, week_grain=week_grain(), privacy=privacy()
    ).filter(pl.col("unique_id") == unique_id)
    return grains["grain"][0] if grains.height else None


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def export_forecasts(published: Version, k: int) -> pl.DataFrame:
    """Every forecast with its `grain` (warehouse.forecast_queries.forecasts_with_grain), for
    exports."""
    return forecast_queries.forecasts_with_grain(
        _con(published), k=k, week_grain=week_grain(), privacy=privacy()
    )


@st.cache_data(ttl=TTL_SECONDS, max_entries=PER_SERIES_ENTRIES, show_spinner=False)
def model_choice(published: Version, unique_id: str | None) -> pl.DataFrame | None:
    """The published model per series, or None when this warehouse does not record it."""
    if "model_choice" not in tables(published):
        return None
    return forecast_queries.model_choice(_con(published), unique_id=unique_id)


@st.cache_data(ttl=TTL_SECONDS, max_entries=PER_SERIES_ENTRIES, show_spinner=False)
def backtests(published: Version, unique_id: str | None) -> pl.DataFrame | None:
    """Backtest scores per series, model and window, or None when this warehouse has none."""
    if "backtests" not in tables(published):
        return None
    return forecast_queries.backtests(_con(published), unique_id=unique_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def runs(published: Version) -> pl.DataFrame:
    return queries.runs(_con(published))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def run_counts(published: Version) -> pl.DataFrame:
    return queries.run_counts(_con(published))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def dead_letter_counts(published: Version) -> pl.DataFrame:
    return queries.dead_letter_counts(_con(published))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def dp_budget(published: Version) -> tuple[float, float] | None:
    return queries.dp_budget(_con(published))


def suppressed_cells(published: Version, k: int) -> pl.DataFrame:
    return health.suppressed_cells(_con(published), k=k)


def bundle(view: str, frame: pl.DataFrame, fmt: str) -> bytes:
    """`frame` as a zip of `<view>.<fmt>` and its data dictionary (see warehouse.bundles)."""
    return export_bundle(view, frame, fmt=fmt, k=k(), tz=tz(), week_grain=week_grain())


def annotations_for(region: str | None) -> pl.DataFrame:
    """The analysts' event annotations (of `region` and of `all`), read fresh on every run."""
    return annotations.read_annotations(data_dir(), region=region)


def add_annotation(day: date, label: str, region: str) -> str:
    """Store an analyst's event annotation in its own file (never the warehouse)."""
    return annotations.add_annotation(data_dir(), day=day, label=label, region=region)


def remove_annotation(annotation_id: str) -> bool:
    return annotations.remove_annotation(data_dir(), annotation_id)
