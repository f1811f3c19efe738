"""A rerun of the same data into one warehouse file leaves the release it found, and the stored
record (`published_grains`) and counts (`published_counts`) agree with what the readers
publish (transforms.grains, step 3; docs/privacy.md, "Weeks left out of the 2 %")."""

import polars as pl

from tests.transforms.cells import leaf_days, one_small_week
from tests.transforms.test_second_release_grains import (
    FIRST,
    LANGS,
    MONDAY,
    REGIONS,
    WEEKS,
)
from tests.warehouse.releases import republished
from transforms.contracts import ALL
from warehouse.release_record import published_record, recorded_counts
from warehouse.store import open_published

SERIES = ["marker", "region", "lang", "marker_version"]


def test_a_rerun_publishes_by_day_and_records_what_the_readers_publish(tmp_path):
    """Regions p, q, r in en, fr, de and their roll-ups; p·en and p·fr small in one week of
    120. Before, the readers of the first write (and of a rerun) withheld the 12 series under
    a language whole, while `published_grains` held 119 of their weeks by day and
    `published_counts` none of their cells. Now each is published by day but for that week,
    both writes show the same rows, and each day the readers publish is recorded by day with
    its counts."""
    daily = leaf_days(one_small_week(MONDAY), REGIONS, LANGS, FIRST, 7 * WEEKS)
    first, second = republished(tmp_path, [daily, daily])
    assert first.equals(second)
    days = first.filter(pl.col("grain") == "day", pl.col("lang") != ALL)
    assert days.group_by("region", "lang").len()["len"].to_list() == [7 * (WEEKS - 1)] * 12
    with open_published(tmp_path) as con:
        record, counts = published_record(con), recorded_counts(con)
    by_day = record.filter(pl.col("published_as") == "day")
    shown = first.filter(pl.col("grain") == "day").with_columns(
        pl.col("period_start").dt.truncate("1w")
    )
    assert by_day.join(shown, on=[*SERIES, "period_start"], how="anti").is_empty()
    cells = first.filter(pl.col("grain") == "day").select(
        *SERIES, "period_start", "n_marked_authors"
    )
    assert cells.join(
        counts, on=[*SERIES, "period_start", "n_marked_authors"], how="anti"
    ).is_empty()
