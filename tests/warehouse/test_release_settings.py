"""Releases across a change of settings (k, week_grain, privacy): readers at other settings
than the last write refuse, the next run publishes at the new ones, and a week grain change
withholds what would give days back."""

import shutil
from dataclasses import replace
from datetime import timedelta

import polars as pl
import pytest

from benchmarks.small_run import AS_OF
from moodcast.config import load_settings
from moodcast.run import daily_run
from tests.warehouse.releases import (
    START,
    WEEKS,
    differences,
    period_cells,
    releases_by_day,
    series_days,
)
from warehouse import queries, release_record
from warehouse.errors import ReleaseSettingsChanged
from warehouse.exports import export_frames
from warehouse.load import load_daily, load_periods
from warehouse.releases import record_release
from warehouse.store import open_published, writing


def test_a_run_after_a_settings_change_publishes_at_the_new_settings(
    published_run, small_corpus, tmp_path
):
    """k changed in config.toml after a run: readers refuse until the next `moodcast run`,
    which reads no release before it writes (it must not refuse), stores the new settings and
    publishes at them. A guard: it passed before the review too."""
    data_dir = tmp_path / "data"
    shutil.copytree(published_run[0], data_dir, symlinks=True)
    with open_published(data_dir) as con, pytest.raises(ReleaseSettingsChanged):
        queries.published(con, k=5)
    settings = replace(load_settings(data_dir), k=5)
    daily_run([str(small_corpus / "posts.jsonl")], settings=settings, as_of=AS_OF, beam_args=[])
    with open_published(data_dir) as con:
        assert release_record.recorded_settings(con)["k"] == 5
        assert queries.published(con, k=5).height > 0
        with pytest.raises(ReleaseSettingsChanged, match="k = 5"):
            queries.published(con, k=11)


def test_a_reader_at_other_settings_than_the_last_write_refuses(tmp_path):
    """k or week_grain changed in config.toml after the last run: before, the dashboard and
    `moodcast export` computed a release at the new settings from a record written for the
    old ones, which no write had checked against the releases before it."""
    monday = START + timedelta(weeks=WEEKS)
    daily = series_days({}, authors=300, marked=40, last=monday)
    releases_by_day(tmp_path, daily, [monday])
    with open_published(tmp_path) as con:
        assert queries.published(con, k=11, week_grain="iso_week").height > 0
        with pytest.raises(ReleaseSettingsChanged, match="k = 11, week_grain = 'iso_week'"):
            queries.published(con, k=5)
        with pytest.raises(ReleaseSettingsChanged, match="week_grain = 'epi_week'"):
            queries.daily(con, week_grain="epi_week")
    with writing(tmp_path) as con:
        record_release(con, k=5, week_grain="iso_week", privacy="suppress")
    with open_published(tmp_path) as con:
        assert queries.daily(con, k=5).height > 0
        with pytest.raises(ReleaseSettingsChanged, match="k = 5"):
            queries.daily(con, k=11)


def test_a_dp_export_of_a_warehouse_last_published_in_suppress_mode_refuses(tmp_path):
    """privacy = "dp" in config.toml after a suppress-mode run: before, `moodcast export`
    read no settings in DP mode and wrote the DP table (empty here, stale after an earlier DP
    run) as the release, where the dashboard refused; now both refuse."""
    monday = START + timedelta(weeks=WEEKS)
    releases_by_day(tmp_path, series_days({}, authors=300, marked=40, last=monday), [monday])
    with open_published(tmp_path) as con:
        assert export_frames(con, k=11)["timelines"].height > 0
        with pytest.raises(ReleaseSettingsChanged, match="asks for privacy = 'dp'"):
            export_frames(con, k=11, privacy="dp")


def test_a_week_grain_change_withholds_the_weeks_holding_days_published_at_the_other(tmp_path):
    """docs/privacy.md, "Changing week_grain": after ISO weeks, epi-weeks (Sunday to Saturday)
    holding a day published in an ISO week whole are withheld, those holding days published by
    day are published by day, and only epi-weeks after the change are published whole."""
    monday = START + timedelta(weeks=WEEKS)
    last = monday + timedelta(days=14)
    small = series_days({}, authors=30, marked=6, last=last)
    big = series_days({}, authors=300, marked=40, last=last).with_columns(
        pl.lit("anxiety").alias("marker")
    )
    daily = pl.concat([big, small])
    shown = []
    for week_grain, day in (("iso_week", monday), ("epi_week", last)):
        upto = daily.filter(pl.col("day") <= day)
        days = upto["day"].unique().to_list()
        with writing(tmp_path) as con:
            load_daily(con, upto, days=days)
            load_periods(con, period_cells(upto, ("iso_week", "epi_week")), days=days)
            record_release(con, k=11, week_grain=week_grain, privacy="suppress")
        with open_published(tmp_path) as con:
            rows = queries.published(con, week_grain=week_grain)
        shown.append(rows.filter(pl.col("status") == "published"))
    iso, epi = shown
    assert iso.filter(pl.col("marker") == "sadness")["grain"].unique().to_list() == ["iso_week"]
    assert epi.filter(pl.col("marker") == "sadness").select("grain", "period_start").rows() == [
        ("epi_week", monday + timedelta(days=6))
    ], "the epi-weeks holding ISO weeks published whole are withheld"
    anxiety = epi.filter(pl.col("marker") == "anxiety")
    assert anxiety["grain"].unique().to_list() == ["day"]
    assert anxiety.height == (last - START).days + 1, "by day stays by day"
    assert differences(shown) == []
