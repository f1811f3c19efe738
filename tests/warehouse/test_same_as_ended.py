"""Which series are the same series (`same_as`: forecast once) is judged on the days that
have ended, in every reader as in the run's forecast step: a region whose only posts are in
the day in progress splits no group."""

from datetime import date, timedelta

import polars as pl

from tests.warehouse.releases import daily_row, write_release
from transforms.contracts import DAILY_SCHEMA
from warehouse import queries
from warehouse.exports import export_frames
from warehouse.store import open_published

WEDNESDAY = date(2025, 3, 12)


def _cells(region: str, days: list[date]) -> pl.DataFrame:
    """(`sadness`, `region`, en) cells of `days`, 300 authors and 40 marked a day."""
    return pl.DataFrame(
        [daily_row(day, 300, 40, region=region) for day in days], schema=DAILY_SCHEMA
    )


def test_a_region_whose_only_posts_are_today_leaves_its_rollup_the_same_series(tmp_path):
    """North alone posted on every ended day, so its roll-up (all regions) is the same series,
    forecast once; south's first posts are today's. Before, `published` (and the exported
    timelines) judged `same_as` on today's cells too: north's rows had `same_as` empty, while
    the run forecast only the roll-up and `forecast_basis` named it."""
    history = [WEDNESDAY - timedelta(days=i + 1) for i in range(16)]
    daily = pl.concat(
        [
            _cells("north", [*history, WEDNESDAY]),
            _cells("all", [*history, WEDNESDAY]),
            _cells("south", [WEDNESDAY]),
        ]
    )
    write_release(tmp_path, daily, as_of=WEDNESDAY, today=WEDNESDAY)
    with open_published(tmp_path) as con:
        published = queries.published(con)
        exported = export_frames(con, k=11)["timelines"]
        _, _, basis = queries.forecast_basis(con, marker="sadness", region="north", lang="en")
    assert basis == "sadness|all|en"
    for frame in (published, exported):
        same = frame.group_by("region").agg(pl.col("same_as").unique()).sort("region")
        assert same.rows() == [("all", [None]), ("north", ["sadness|all|en"])]
