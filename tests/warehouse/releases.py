"""Successive suppress-mode releases of one warehouse file, shared by the
tests/warehouse/test_release_*.py and marker-version modules: one series' daily cells, or
regions' and their roll-up's (of one marker version or another), their weeks' and 8-week
periods' cells, late posts, and what `queries.published` shows after each release."""

from datetime import date, timedelta

import polars as pl

from benchmarks.successive_releases import overlaps
from tests.transforms.cells import period_cells
from transforms.contracts import (
    DAILY_SCHEMA,
    conform,
)
from warehouse import queries
from warehouse.load import load_daily, load_periods
from warehouse.releases import record_release
from warehouse.store import open_published, writing

START = date(2024, 1, 1)  # a Monday
WEEKS = 60
"""Weeks of history before the releases: one withheld week stays under 2% of a series'."""
SERIES = ("marker", "region", "lang", "marker_version")


def daily_row(day: date, authors: int, marked: int, **key: str) -> dict[str, object]:
    """One DAILY_SCHEMA row of series (`sadness`, all, en, v1), or of the series `key` names
    (`marker`, `region`, `lang`), on `day`: `authors` authors of a post each, `marked` of them
    marked, run `r1`."""
    series = {"region": "all", "lang": "en", "marker": "sadness", "marker_version": "v1"} | key
    return {
        "day": day,
        **series,
        "n_posts": authors,
        "n_scored": authors,
        "n_marked": marked,
        "n_authors": authors,
        "n_marked_authors": marked,
        "sample_rate": 1.0,
        "run_id": "r1",
    }


def series_days(
    marked_by_day: dict[date, int], *, authors: int, last: date, marked: int
) -> pl.DataFrame:
    """One series' (`sadness`, all, en) daily cells from START to `last`: `authors` authors and
    `marked` marked authors a day, but for the days of `marked_by_day`."""
    days = [START + timedelta(days=i) for i in range((last - START).days + 1)]
    return pl.DataFrame(
        [daily_row(d, authors, marked_by_day.get(d, marked)) for d in days], schema=DAILY_SCHEMA
    )


def write_release(
    data_dir,
    daily: pl.DataFrame,
    *,
    periods: pl.DataFrame | None = None,
    as_of: date | None = None,
    today: date | None = None,
) -> None:
    """One write as a batch run makes it, into the warehouse file of `data_dir`: the days of
    `daily` replaced by its cells, those days' weeks and 8-week periods by the period cells of
    `periods` (default `daily`; `period_cells`), and the release recorded at k = 11 and ISO
    weeks, its date `as_of` and its clock's day `today` (warehouse.releases.record_release)."""
    days = daily["day"].unique().to_list()
    with writing(data_dir) as con:
        load_daily(con, daily, days=days)
        load_periods(con, period_cells(daily if periods is None else periods), days=days)
        record_release(
            con, k=11, week_grain="iso_week", privacy="suppress", as_of=as_of, today=today
        )


def published_after(data_dir, daily: pl.DataFrame) -> pl.DataFrame:
    """`write_release` of `daily` into `data_dir`'s warehouse file; what `queries.published`
    shows after it."""
    write_release(data_dir, daily)
    with open_published(data_dir) as con:
        return queries.published(con)


def releases_by_day(data_dir, daily: pl.DataFrame, release_days: list[date]) -> list[pl.DataFrame]:
    """Publish `daily` day by day into a warehouse file, one release per day of
    `release_days` (its data: every day up to it), each recorded as a run records it; return
    what `queries.published` shows after each."""
    shown, loaded = [], START - timedelta(days=1)
    for day in release_days:
        upto = daily.filter(pl.col("day") <= day)
        write_release(data_dir, upto.filter(pl.col("day") > loaded), periods=upto)
        with open_published(data_dir) as con:
            shown.append(queries.published(con).filter(pl.col("status") == "published"))
        loaded = day
    return shown


def differences(releases: list[pl.DataFrame]) -> list[tuple]:
    """benchmarks.successive_releases.overlaps of `releases`, as rows: the days of a series
    that two releases publish in different cells (one minus the other gives back days that
    neither publishes alone)."""
    return overlaps(releases).rows()


def republished(data_dir, versions: list[pl.DataFrame]) -> list[pl.DataFrame]:
    """Publish each of `versions` (the daily cells as known at a release: late posts change
    earlier days) into one warehouse file, every day of it reloaded, recorded as a run records
    it; return what `queries.published` shows after each."""
    shown = []
    for daily in versions:
        write_release(data_dir, daily)
        with open_published(data_dir) as con:
            shown.append(queries.published(con).filter(pl.col("status") == "published"))
    return shown


def with_late_posts(daily: pl.DataFrame, day: date, *, authors: int, marked: int) -> pl.DataFrame:
    """`daily` with `authors` more authors on `day`, `marked` of them marked: late posts."""
    on_day = pl.col("day") == day
    return daily.with_columns(
        *(pl.when(on_day).then(pl.col(c) + authors).otherwise(c).alias(c)
          for c in ("n_posts", "n_scored", "n_authors")),
        *(pl.when(on_day).then(pl.col(c) + marked).otherwise(c).alias(c)
          for c in ("n_marked", "n_marked_authors")),
    )  # fmt: skip


def regions(authors: dict[str, int], marked: dict[str, int], last: date) -> pl.DataFrame:
    """Daily cells (`sadness`, lang `en`, `v1`) of each region of `authors`, with
    `authors[region]` authors and `marked[region]` flagged a day from START to `last`, and their roll-up
    (`all`: the sums)."""
    days = pl.date_range(START, last, eager=True).alias("day")
    leaves = pl.concat(
        pl.DataFrame(days).with_columns(
            pl.lit(region).alias("region"),
            *(pl.lit(n, pl.Int64).alias(c) for c in ("n_posts", "n_scored", "n_authors")),
            *(pl.lit(marked[region], pl.Int64).alias(c) for c in ("n_marked", "n_marked_authors")),
        )
        for region, n in authors.items()
    )
    return with_rollup(leaves)


def with_rollup(leaves: pl.DataFrame, *, marker_version: str = "v1") -> pl.DataFrame:
    """`leaves` (regions' cells: `day`, `region` and the `n_` counts) and their roll-up, as
    DAILY_SCHEMA rows of `marker_version`."""
    counts = [c for c in DAILY_SCHEMA if c.startswith("n_")]
    leaves = leaves.select("day", "region", *counts)
    rollup = leaves.group_by("day").agg(pl.lit("all").alias("region"), pl.col(counts).sum())
    return conform(
        pl.concat([leaves, rollup.select(leaves.columns)]).with_columns(
            pl.lit("en").alias("lang"),
            pl.lit("sadness").alias("marker"),
            pl.lit(marker_version).alias("marker_version"),
            pl.lit(1.0).alias("sample_rate"),
            pl.lit("r1").alias("run_id"),
        ),
        DAILY_SCHEMA,
        name="daily",
    )


def version_regions(
    marker_version: str, *, small: date, last: date, first: date = START
) -> pl.DataFrame:
    """Regions a, b (300 authors, 40 flagged a day) and c (250, 40; 5 flagged on `small`) of
    `marker_version`, and their roll-up, from `first` to `last`, by region then day."""
    leaves = pl.concat(
        series_days(
            {small: 5} if region == "c" else {},
            authors=250 if region == "c" else 300,
            marked=40,
            last=last,
        ).with_columns(pl.lit(region).alias("region"))
        for region in ("a", "b", "c")
    )
    rollup = with_rollup(leaves, marker_version=marker_version)
    return rollup.filter(pl.col("day") >= first).sort("region", "day")


def late_regions(daily: pl.DataFrame, day: date, late: dict[str, int]) -> pl.DataFrame:
    """`daily`'s regions with `late[region]` more authors, all flagged, on `day` (late
    posts), and their roll-up again."""
    on_day = pl.col("day") == day
    extra = pl.col("region").replace_strict(late, default=0, return_dtype=pl.Int64)
    changed = ("n_posts", "n_scored", "n_authors", "n_marked", "n_marked_authors")
    leaves = daily.filter(pl.col("region") != "all").with_columns(
        pl.when(on_day).then(pl.col(c) + extra).otherwise(c).alias(c) for c in changed
    )
    return with_rollup(leaves)


def complement_regions(
    last: date, small: dict[tuple[str, date], int], *, backfilled: bool
) -> pl.DataFrame:
    """Days to `last` of regions a (300 authors), b (280), c (250) and, `backfilled`, d (2,000),
    40 flagged a day, with `small[(region, day)]` flagged on those days instead; no roll-up:
    the line the complement tests withhold c's small day on."""
    authors = {"a": 300, "b": 280, "c": 250} | ({"d": 2000} if backfilled else {})
    rows = regions(authors, dict.fromkeys(authors, 40), last).filter(pl.col("region") != "all")
    for (region, day), flagged in small.items():
        at = (pl.col("region") == region) & (pl.col("day") == day)
        rows = rows.with_columns(
            pl.when(at).then(flagged).otherwise(c).alias(c)
            for c in ("n_marked", "n_marked_authors")
        )
    return rows


def assert_complement_stays_withheld(
    then: pl.DataFrame, now: pl.DataFrame, day: date, *, k: int
) -> None:
    """The reader of complement_regions' releases: `then` publishes the roll-up's (85) and a's
    (40) `day` by day and withholds b's and c's; `now` still withholds c's, and where it
    publishes b's, roll-up then − a then − b now is not c's small count (1 to k − 1)."""
    rollup_then, a_then = published_day(then, "all", day), published_day(then, "a", day)
    assert (rollup_then, a_then) == (85, 40), f"the roll-up and a published {day} by day"
    assert published_day(then, "b", day) is published_day(then, "c", day) is None, (
        "b withheld beside c"
    )
    assert published_day(now, "c", day) is None, f"c's {day} (small) is never published"
    b_now = published_day(now, "b", day)
    if b_now is not None:
        c_day = rollup_then - a_then - b_now
        assert not 1 <= c_day < k, f"roll-up then − a then − b now gives c's {c_day} back"


def read_back(releases: list[pl.DataFrame], grain: str, start: date, count: str) -> dict:
    """Per region, `count` of the `grain` cell starting `start` as a reader holding every
    release knows it: the last release's where it publishes the cell, else the latest earlier
    one's (None: never published)."""
    known: dict[str, int | None] = {}
    for release in releases:
        cells = release.filter((pl.col("grain") == grain) & (pl.col("period_start") == start))
        known |= dict(cells.select("region", count).iter_rows())
    return known


def published_day(release: pl.DataFrame, region: str, day: date) -> int | None:
    """`region`'s published day cell's flagged authors on `day` in `release` (None: not
    published by day)."""
    rows = release.filter(
        pl.col("region") == region,
        pl.col("grain") == "day",
        pl.col("period_start") == day,
        pl.col("status") == "published",
    )
    return None if rows.is_empty() else rows["n_marked_authors"][0]
