"""The record of what a suppress-mode release published (warehouse.record_release): the
same on a rerun, nothing in DP or unprotected mode, and what `moodcast run` records."""

from datetime import timedelta

import polars as pl
import pytest

from tests.warehouse.releases import (
    SERIES,
    START,
    WEEKS,
    period_cells,
    releases_by_day,
    series_days,
)
from transforms.periods import period_start
from warehouse import queries, release_record
from warehouse.load import load_daily, load_periods
from warehouse.releases import record_release
from warehouse.store import open_published, writing


def test_a_rerun_gives_the_same_release_and_record_and_an_older_file_reads_none(tmp_path):
    monday = START + timedelta(weeks=WEEKS)
    daily = series_days({monday + timedelta(days=2): 5}, authors=300, marked=40, last=monday)
    first = releases_by_day(tmp_path, daily, [monday - timedelta(days=1), monday])[-1]
    with open_published(tmp_path) as con:
        record = release_record.published_record(con)
    with writing(tmp_path) as con:
        record_release(con, k=11, week_grain="iso_week", privacy="suppress")
    with open_published(tmp_path) as con:
        assert release_record.published_record(con).equals(record)
        assert queries.published(con).filter(pl.col("status") == "published").equals(first)
    recorded = record.select(*SERIES, "period_start").with_columns(pl.lit(True).alias("r"))
    periods = first.with_columns(period_start(pl.col("period_start"), "iso_week"))
    assert periods.join(recorded, on=[*SERIES, "period_start"], how="anti").is_empty()
    with writing(tmp_path) as con:
        con.execute("DROP TABLE published_grains")
    with open_published(tmp_path) as con:
        assert release_record.published_record(con).is_empty()
        assert queries.published(con).height > 0


@pytest.mark.parametrize("privacy, k", [("dp", 11), ("suppress", 1)])
def test_dp_and_unprotected_releases_record_nothing(con, privacy, k):
    daily = series_days({}, authors=300, marked=40, last=START + timedelta(days=13))
    load_daily(con, daily, days=daily["day"].to_list())
    load_periods(con, period_cells(daily), days=daily["day"].to_list())
    assert record_release(con, k=k, week_grain="iso_week", privacy=privacy) == 0
    assert release_record.published_record(con).is_empty()
    assert record_release(con, k=11, week_grain="iso_week", privacy="suppress") == 2


def _recorded_periods(timelines: pl.DataFrame) -> pl.DataFrame:
    """The record rows that published `timelines` (queries.published) need: per series and
    week or 8-week period, `day` or `whole`."""
    shown = timelines.filter(pl.col("status") == "published")
    by_day = pl.col("grain") == "day"
    return (
        shown.select(
            *SERIES,
            pl.when(by_day).then(pl.lit("iso_week")).otherwise("grain").alias("grain"),
            pl.when(by_day)
            .then(period_start(pl.col("period_start"), "iso_week"))
            .otherwise("period_start")
            .alias("period_start"),
            pl.when(by_day).then(pl.lit("day")).otherwise(pl.lit("whole")).alias("published_as"),
        )
        .unique()
        .sort(pl.all())
    )


def test_a_run_records_its_release(published_run):
    """`moodcast run` records what the release it publishes shows (the dashboard and the
    exports read the same). That a rerun of the same inputs and day leaves both as they were is
    checked on the shared run's rerun (tests/moodcast/test_run.py)."""
    with open_published(published_run[0]) as con:
        record, timelines = release_record.published_record(con), queries.published(con)
    needed = _recorded_periods(timelines)
    assert needed.height > 0
    assert needed.join(record, on=list(needed.columns), how="anti").is_empty()
