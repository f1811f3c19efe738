"""Read-only queries for the CLI and the dashboard; each returns a polars frame.

They work on the connection of `store.open_published` (or on a run's own connection) and
never write. Published timelines go through `daily`, which applies small-cell suppression;
`current_daily` is the raw, internal view that forecasting needs. What forecasting wrote
(forecasts, alerts, backtests, model choice) is read in `warehouse.forecast_queries`; the
release record the last write left for the readers, in `warehouse.release_record`; the marker
versions no longer current (`daily(all_versions=True)`), in `warehouse.older_versions`.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from transforms.contracts import (
    CLUSTER_SUMS,
    DAILY_SCHEMA,
    PERIOD_SCHEMA,
    POST_CLUSTER_SUMS,
    POST_CLUSTERS,
    conform,
    series_id,
)
from transforms.dp import DP_CELL_SCHEMA, dp_release
from transforms.periods import EIGHT_WEEKS
from transforms.prevalence import AUTHOR_DAY_COUNTS, EFFECTIVE_TRIALS, PREVALENCE_COLUMNS
from transforms.privacy import DEFAULT_K
from transforms.publish import (
    adjusted_days,
    adjusted_timelines,
    published_release,
)
from transforms.quantify import ADJUSTED_COLUMNS
from transforms.rates import merged_rates
from transforms.releases import Release, WeekGrain
from transforms.series import derived_series, dp_series, same_series
from warehouse.current import CURRENT_DAILY
from warehouse.older_versions import older_daily
from warehouse.reads import PUBLISHED_DAILY_COLUMNS, select_rows, where_clause
from warehouse.release_record import recorded_release, release_open_from
from warehouse.schema import (
    KEPT_OUT_FROM_REASON,
    RUN_COUNT_SCHEMA,
    RUN_SCHEMA,
    STREAM_FILE_SCHEMA,
    columns,
)

DEAD_LETTER_COUNT_SCHEMA = {
    "run_id": pl.String,
    "source": pl.String,
    "reason": pl.String,
    "n": pl.Int64,
}


def _raw_daily(con: duckdb.DuckDBPyConnection, *, filters: dict[str, object]) -> pl.DataFrame:
    """Daily aggregates of each marker's current version that meet `filters` (as
    `where_clause`), sorted by series then day."""
    order = "marker, region, lang, day"
    return select_rows(con, CURRENT_DAILY, DAILY_SCHEMA, order, filters, name="daily_aggregates")


def current_versions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Each marker's current `marker_version`: columns `marker`, `marker_version`.

    Current is the version loaded by the most recent run (by `runs.started_at`); versions
    whose run is not in the ledger rank after those, then by their latest day. Stored at
    write time (`warehouse.current`), so this reads one small table.
    """
    frame = con.sql("SELECT marker, marker_version FROM current_versions ORDER BY marker").pl()
    return conform(frame, {"marker": pl.String, "marker_version": pl.String}, name="versions")


def current_daily(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Raw Daily aggregates of each marker's current version, sorted by series then day.

    Internal: small cells are NOT suppressed here. Pass it to `transforms.series.to_series`
    (which suppresses) for forecasting; never show it.
    """
    return _raw_daily(con, filters={})


def current_periods(con: duckdb.DuckDBPyConnection, *, grain: str | None = None) -> pl.DataFrame:
    """Raw period aggregates (PERIOD_SCHEMA) of each marker's current version, of one `grain`
    or all, sorted by grain, series, period. Internal like `current_daily`: never show it;
    `transforms.grains` decides what of it is published. Empty on a warehouse older than
    schema version 5 (its next run fills the table); CLUSTER_SUMS null in rows counted before
    version 7, POST_CLUSTER_SUMS before version 11, POST_CLUSTERS before 12."""
    where, params = where_clause({"grain = ?": grain})
    try:
        frame = con.sql(
            "SELECT p.* FROM period_aggregates AS p "
            "JOIN current_versions USING (marker, marker_version)"
            f"{where} ORDER BY grain, marker, region, lang, period_start",
            params=params,
        ).pl()
    except duckdb.CatalogException:
        return pl.DataFrame(schema=PERIOD_SCHEMA)
    sums = (*CLUSTER_SUMS, *POST_CLUSTER_SUMS, POST_CLUSTERS)
    older = [pl.lit(None, pl.Int64).alias(c) for c in sums if c not in frame.columns]
    return conform(frame.with_columns(older), PERIOD_SCHEMA, name="period_aggregates")


def publishable_periods(con: duckdb.DuckDBPyConnection, *, week_grain: str) -> pl.DataFrame:
    """`current_periods` of the grains a suppress-mode release may use: `week_grain` and its
    8-week grain (transforms.periods.EIGHT_WEEKS). Internal, like `current_periods`."""
    return pl.concat([current_periods(con, grain=g) for g in (week_grain, EIGHT_WEEKS[week_grain])])


def dp_released(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The DP release (transforms.dp.dp_release) of current marker versions: noisy cells,
    roll-ups by summation, prevalence with intervals that include the noise, and `same_as`.
    Empty where no run published in DP mode."""
    try:
        frame = con.sql(
            "SELECT c.* FROM dp_daily AS c JOIN current_versions USING (marker, marker_version) "
            "ORDER BY marker, region, lang, day"
        ).pl()
    except duckdb.CatalogException:
        frame = pl.DataFrame(schema=DP_CELL_SCHEMA)
    release = dp_release(conform(frame, DP_CELL_SCHEMA, name="dp_daily"))
    return _with_same_as(con, release, release)


def ended_same_series(con: duckdb.DuckDBPyConnection, cells: pl.DataFrame) -> pl.DataFrame:
    """transforms.series.same_series of `cells` (daily or DP cells) on the days that have
    ended (`ended_cells`): the series a run forecasts once, as every reader shows them (a
    series that today's posts alone tell apart from another is still the same series)."""
    return same_series(ended_cells(con, cells))


def _with_same_as(
    con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, cells: pl.DataFrame
) -> pl.DataFrame:
    """`rows` with `same_as` judged on `cells` (`ended_same_series`)."""
    same = ended_same_series(con, cells).with_columns(
        pl.col("unique_id").str.split("|").alias("_key")
    )
    same = same.select(
        pl.col("_key").list.get(0).alias("marker"),
        pl.col("_key").list.get(1).alias("region"),
        pl.col("_key").list.get(2).alias("lang"),
        "same_as",
    )
    return rows.join(same, on=["marker", "region", "lang"], how="left", maintain_order="left")


def daily(
    con: duckdb.DuckDBPyConnection,
    *,
    marker: str | None = None,
    region: str | None = None,
    lang: str | None = None,
    start: date | None = None,
    end: date | None = None,
    k: int = DEFAULT_K,
    all_versions: bool = False,
    week_grain: WeekGrain = "iso_week",
    rates: pl.DataFrame | None = None,
    privacy: str = "suppress",
) -> pl.DataFrame:
    """The published timeline, day by day (transforms.publish.published_days): counts, the
    author-days `prevalence` is over (AUTHOR_DAY_COUNTS), prevalence with Wilson 95% bounds,
    the same share adjusted for marker error with its 95% interval and validation status,
    `grain`, `suppressed`.

    Columns are PUBLISHED_DAILY_COLUMNS. Filters are exact matches (`region="all"` is the
    roll-up) and `start`/`end` an inclusive day range. Only each marker's current version,
    unless `all_versions`: then its other versions too, day by day, each day suppressed at `k`
    by itself and within what the recorded releases allow (warehouse.older_versions), with
    complementary suppression on that day's lines (the days that have not ended left out as
    in the release), while the current version's rows are exactly the ones without
    `all_versions` (the release, its complementary
    suppression and the rules binding it to the earlier releases included). A day of a week
    published whole carries the week's counts (`grain` the week); a withheld day has
    `suppressed` true and every count and prevalence, adjusted included, null. The
    adjusted share comes from the published counts and `rates` (transforms.rates; default:
    the shipped table) at query time, see transforms.quantify.with_adjusted_prevalence: null,
    with `validation` saying why, where the marker × language is not validated. Each day reads
    the adjusted share of the published row whose period holds it, as `published` gives it
    (transforms.publish.adjusted_days). The release is bound to the earlier ones as in
    `published`. Sorted by
    marker, region, lang, day. With `privacy="dp"` the rows are the DP release (`dp_released`)
    instead: noisy author counts rounded for display, post counts null, nothing suppressed.
    """
    if privacy == "dp":
        return _filtered(_dp_daily_rows(dp_released(con)), marker, region, lang, start, end)
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    rates = merged_rates(None) if rates is None else rates
    whole = _raw_daily(con, filters={"marker = ?": marker})
    weeks = publishable_periods(con, week_grain=week_grain)
    if marker is not None:
        weeks = weeks.filter(pl.col("marker") == marker)
    release = recorded_release(con, k=k, week_grain=week_grain)
    timelines, days = published_release(whole, weeks, release)
    rows = adjusted_days(
        days, adjusted_timelines(timelines, days, rates), week_grain=week_grain
    ).select(PUBLISHED_DAILY_COLUMNS)
    if all_versions:
        older = older_daily(con, release, marker=marker, start=start, end=end, rates=rates)
        rows = pl.concat([rows, older]).sort("marker", "region", "lang", "day", "marker_version")
    return _filtered(rows, None, region, lang, start, end)


def _filtered(
    rows: pl.DataFrame,
    marker: str | None,
    region: str | None,
    lang: str | None,
    start: date | None,
    end: date | None,
) -> pl.DataFrame:
    for column, value in {"marker": marker, "region": region, "lang": lang}.items():
        if value is not None:
            rows = rows.filter(pl.col(column) == value)
    if start is not None:
        rows = rows.filter(pl.col("day") >= start)
    if end is not None:
        rows = rows.filter(pl.col("day") <= end)
    return rows


DP_NOT_ADJUSTED = "not validated: shares of a DP release are not adjusted for marker error"


def _dp_daily_rows(release: pl.DataFrame) -> pl.DataFrame:
    """A DP release as PUBLISHED_DAILY_COLUMNS rows, for day-by-day displays."""
    return (
        release.with_columns(
            pl.col("n_authors").round().cast(pl.Int64),
            pl.col("n_marked_authors").round().cast(pl.Int64),
            *(pl.lit(None, pl.Int64).alias(c) for c in ("n_posts", "n_scored", "n_marked")),
            pl.lit(None, pl.Float64).alias("sample_rate"),
            *(pl.lit(None, pl.Float64).alias(c) for c in PREVALENCE_COLUMNS[3:]),
            *(pl.lit(None, pl.Float64).alias(c) for c in ADJUSTED_COLUMNS),
            pl.lit(DP_NOT_ADJUSTED).alias("validation"),
            pl.lit("day").alias("grain"),
            pl.lit(False).alias("suppressed"),
        )
        .with_columns(
            pl.col("n_authors").alias(AUTHOR_DAY_COUNTS[0]),
            pl.col("n_marked_authors").alias(AUTHOR_DAY_COUNTS[1]),
            pl.lit(None, pl.Float64).alias(EFFECTIVE_TRIALS),
        )
        .select(PUBLISHED_DAILY_COLUMNS)
    )


def dp_budget(con: duckdb.DuckDBPyConnection) -> tuple[float, float] | None:
    """The (ε, δ) per author per day of the DP release, or None when there is none."""
    release = dp_released(con)
    if release.is_empty():
        return None
    return float(release["epsilon"].max()), float(release["delta"].max())


def published(
    con: duckdb.DuckDBPyConnection,
    *,
    k: int = DEFAULT_K,
    week_grain: WeekGrain = "iso_week",
    rates: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The published timelines (transforms.publish.PUBLISHED_SCHEMA plus ADJUSTED_COLUMNS,
    `validation` and `same_as`, `ended_same_series`) of current marker versions
    at `k`: per series and week, its days, its week's cell, or a `withheld` row. Shares are
    adjusted for marker error with `rates` (default: the shipped table) within each grain
    (transforms.publish.adjusted_timelines), so a roll-up is weighted over its languages'
    cells of the same period, and is not combined where a language with days in it is
    published by another period or withheld. The release is bound to the earlier ones as the
    last write recorded them (warehouse.release_record.recorded_release:
    transforms.grains.choose_grains), so a day that write held as not ended has no row;
    raises ReleaseSettingsChanged where `k` or `week_grain` differ from the last write's
    (warehouse.release_record.check_release_settings). Sorted by series, then period."""
    daily = current_daily(con)
    weeks = publishable_periods(con, week_grain=week_grain)
    rows, days = published_release(daily, weeks, recorded_release(con, k=k, week_grain=week_grain))
    rates = merged_rates(None) if rates is None else rates
    adjusted = adjusted_timelines(rows, days, rates).sort(
        "marker", "region", "lang", "period_start", "marker_version"
    )
    return _with_same_as(con, adjusted, daily)


def ended_cells(con: duckdb.DuckDBPyConnection, cells: pl.DataFrame) -> pl.DataFrame:
    """The rows of `cells` (daily or DP cells, by `day`) on the days the last write that
    published held as ended, before its `open_from` (`release_open_from`;
    transforms.releases.Release.ended, which no week grain changes): the days forecasts and
    alerts read, never a day in progress."""
    return Release(week_grain="iso_week", open_from=release_open_from(con)).ended(cells)


def forecast_series(
    con: duckdb.DuckDBPyConnection,
    *,
    k: int = DEFAULT_K,
    week_grain: WeekGrain = "iso_week",
    privacy: str = "suppress",
    marker: str | None = None,
    daily: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The Series a run gives forecasting, of every series or one `marker`'s, and the grain of
    each (DERIVED_GRAIN_SCHEMA: `day`, or `week_grain` where the series is forecast by week):
    transforms.series.derived_series at `k` in suppress mode, dp_series in DP mode, of the
    days that have ended (`ended_cells`). A series with no whole grain has no row.

    `daily`: `current_daily` (or `ended_daily`) as the caller holds it for another use
    (`ended_same_series`); None reads `ended_daily` here. Either way only `marker`'s cells (or
    all) on the days that have ended are read. DP mode reads the DP release instead and
    ignores `daily`."""
    if privacy == "dp":
        release = ended_cells(con, dp_released(con))
        return dp_series(release if marker is None else release.filter(pl.col("marker") == marker))
    daily = ended_daily(con, marker=marker) if daily is None else ended_cells(con, daily)
    weeks = publishable_periods(con, week_grain=week_grain)
    if marker is not None:
        daily = daily.filter(pl.col("marker") == marker)
        weeks = weeks.filter(pl.col("marker") == marker)
    return derived_series(daily, weeks, k=k, week_grain=week_grain)


def ended_daily(con: duckdb.DuckDBPyConnection, *, marker: str | None = None) -> pl.DataFrame:
    """`current_daily` (of one `marker`, or all) on the days that have ended (`ended_cells`):
    the cells forecasting and the backtests read. Internal like `current_daily`: never show
    it."""
    return ended_cells(con, _raw_daily(con, filters={"marker = ?": marker}))


def forecast_basis(
    con: duckdb.DuckDBPyConnection,
    *,
    marker: str,
    region: str,
    lang: str,
    k: int = DEFAULT_K,
    week_grain: WeekGrain = "iso_week",
    privacy: str = "suppress",
) -> tuple[pl.DataFrame, str | None, str | None]:
    """What a run gives forecasting for one series: `(series, grain, same_as)`. `series` is its
    Series at `grain` (`forecast_series`), `grain` None when no grain of it is whole at `k`
    (then `series` is empty), and `same_as` the series it duplicates on the days that have
    ended (`ended_same_series`), whose forecast stands for it, or None. Reads one
    marker's cells, once."""
    unique_id = series_id(marker, region, lang)
    daily = ended_daily(con, marker=marker)
    series, grains = forecast_series(
        con, k=k, week_grain=week_grain, privacy=privacy, marker=marker, daily=daily
    )
    grain = grains.filter(pl.col("unique_id") == unique_id).get_column("grain")
    copies = same_series(daily).filter(pl.col("unique_id") == unique_id)["same_as"]
    return (
        series.filter(pl.col("unique_id") == unique_id),
        grain[0] if grain.len() else None,
        copies[0] if copies.len() else None,
    )


def provisional_days(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Days still open in a streaming job, "today so far": `day` and `pane_at`, when the early
    pane they were last loaded from fired (UTC). Empty when no day is open, and for a warehouse
    from before streaming (schema version 5)."""
    schema = {"day": pl.Date, "pane_at": pl.Datetime("us", "UTC")}
    try:
        frame = con.sql(
            "SELECT day, fired_at AS pane_at FROM day_panes WHERE provisional ORDER BY day"
        ).pl()
    except duckdb.CatalogException:
        return pl.DataFrame(schema=schema)
    return conform(frame, schema, name="provisional days")


def series_options(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The distinct (`marker`, `region`, `lang`) of current versions with a day that has ended
    (`ended_cells`: a series whose only days are in progress has no row, nor forecast), sorted."""
    frame = con.sql(
        f"SELECT marker, region, lang, min(day) AS day FROM {CURRENT_DAILY} "
        "GROUP BY ALL ORDER BY marker, region, lang"
    ).pl()
    schema = {"marker": pl.String, "region": pl.String, "lang": pl.String}
    return conform(ended_cells(con, frame).drop("day"), schema, name="series options")


def runs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every execution in the run ledger (RUN_SCHEMA), newest first."""
    return select_rows(con, "runs", RUN_SCHEMA, "started_at DESC, run_id")


def run_counts(
    con: duckdb.DuckDBPyConnection, run_id: str | None = None, *, day: date | None = None
) -> pl.DataFrame:
    """Records set aside per run, category, day and reason (RUN_COUNT_SCHEMA, with `held_by`),
    one run or all, only the rows of `day` (a `kept_out` row's) where given. In a file older
    than schema version 19, a `kept_out` row's day and holder are read out of its reason
    (KEPT_OUT_FROM_REASON)."""
    upgraded = "day" in columns(con, "run_counts")
    table = "run_counts" if upgraded else f"(SELECT {KEPT_OUT_FROM_REASON} FROM run_counts)"
    return select_rows(
        con,
        table,
        RUN_COUNT_SCHEMA,
        "run_id, category, day, reason",
        {"run_id = ?": run_id, "day = ?": day},
        name="run_counts",
    )


def stream_files(
    con: duckdb.DuckDBPyConnection, run_id: str | None = None, *, prefix: str | None = None
) -> pl.DataFrame:
    """The stream landing files loaded (STREAM_FILE_SCHEMA: name, run, when), one run or all,
    only those whose name starts with `prefix` where given (filtered in SQL)."""
    return select_rows(
        con,
        "stream_files",
        STREAM_FILE_SCHEMA,
        "run_id, name",
        {"run_id = ?": run_id, "starts_with(name, ?)": prefix},
    )


def dead_letter_counts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Dead letters per run, source file and reason: `run_id`, `source`, `reason`, `n`."""
    frame = con.sql(
        "SELECT run_id, source, reason, count(*) AS n FROM dead_letters "
        "GROUP BY ALL ORDER BY run_id, source, reason"
    ).pl()
    return conform(frame, DEAD_LETTER_COUNT_SCHEMA, name="dead letter counts")


def covered_days(con: duckdb.DuckDBPyConnection) -> set[date]:
    """The local days on which any ledgered input has records (`input_days`)."""
    rows = con.execute("SELECT DISTINCT day FROM input_days").fetchall()
    return {row[0] for row in rows}
