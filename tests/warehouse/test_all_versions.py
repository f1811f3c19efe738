"""`queries.daily(all_versions=True)`: the current version exactly as the release publishes
it, older versions day by day suppressed at k with complementary suppression (docs/privacy.md,
"Marker versions")."""

from datetime import timedelta

import polars as pl

from tests.warehouse.releases import START, WEEKS, period_cells, version_regions
from warehouse import queries
from warehouse.load import load_daily, load_periods
from warehouse.releases import record_release
from warehouse.store import open_published, writing

WEDNESDAY = START + timedelta(weeks=WEEKS, days=2)


def _published(data_dir) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Version v0 (up to 10 weeks before, its c small on one day) and the current v1 (its c
    small on WEDNESDAY) loaded and released once; `queries.daily` without and with
    `all_versions`."""
    old_small = START + timedelta(weeks=WEEKS - 20, days=2)
    old = version_regions("v0", small=old_small, last=WEDNESDAY - timedelta(weeks=10))
    current = version_regions("v1", small=WEDNESDAY, last=WEDNESDAY + timedelta(days=4))
    days = current["day"].unique().to_list()
    with writing(data_dir) as con:
        load_daily(con, pl.concat([old, current]), days=days)
        load_periods(con, period_cells(current), days=days)
        record_release(con, k=11, week_grain="iso_week", privacy="suppress")
    with open_published(data_dir) as con:
        return queries.daily(con), queries.daily(con, all_versions=True)


def test_the_current_version_in_all_versions_is_the_release(tmp_path):
    """c's Wednesday (5 flagged) withholds its week, and complementary suppression withholds
    another region's beside it. Before, `all_versions` showed the current version suppressed
    at k day by day, so that region's Wednesday was published there and the roll-up minus a
    and b gave c's 5 back."""
    current, every = _published(tmp_path)
    assert every.filter(pl.col("marker_version") == "v1").equals(current)
    wednesday = every.filter((pl.col("day") == WEDNESDAY) & ~pl.col("suppressed"))
    published = dict(wednesday.select("region", "n_marked_authors").iter_rows())
    assert "c" not in published
    assert not {"all", "a", "b"} <= published.keys(), f"c's 5 comes back from {published}"


def test_older_versions_show_their_days_suppressed_at_k(tmp_path):
    """An older version is not the release's: each of its days that meets k shows its own
    counts (a day of a week in which another day is small included), the small one is
    suppressed, and so is one other region that day (complementary suppression, day by day)."""
    _, every = _published(tmp_path)
    old = every.filter(pl.col("marker_version") == "v0")
    assert old.height == 4 * ((WEEKS - 10) * 7 + 3)
    assert old.get_column("grain").unique().to_list() == ["day"]
    small = START + timedelta(weeks=WEEKS - 20, days=2)
    suppressed = old.filter("suppressed").select("region", "day").rows()
    assert suppressed == [("a", small), ("c", small)]
    assert old.filter(~pl.col("suppressed")).get_column("n_authors").is_not_null().all()
    assert old.filter("suppressed").get_column("n_authors").is_null().all()


def test_an_older_versions_small_day_is_not_given_back_by_its_rollup(tmp_path):
    """v0's c is small (5 flagged) on one day; before, a, b and the roll-up were published
    that day and the roll-up minus a and b gave c's 5 back (85 - 40 - 40), also with the
    view filtered to one region at a time."""
    small = START + timedelta(weeks=WEEKS - 20, days=2)
    _published(tmp_path)
    with open_published(tmp_path) as con:
        every = queries.daily(con, all_versions=True, start=small, end=small)
        one_by_one = pl.concat(
            queries.daily(con, all_versions=True, region=region, start=small, end=small)
            for region in ("a", "b", "c", "all")
        )
    for rows in (every, one_by_one):
        old = rows.filter((pl.col("marker_version") == "v0") & ~pl.col("suppressed"))
        published = dict(old.select("region", "n_marked_authors").iter_rows())
        assert "c" not in published
        assert not {"all", "a", "b"} <= published.keys(), f"c's 5 comes back from {published}"


def test_all_versions_filters_as_daily_does(tmp_path):
    """Filters on region and days apply to both versions' rows, sorted by series then day."""
    with_filters = {"region": "a", "start": WEDNESDAY - timedelta(weeks=11), "end": WEDNESDAY}
    _published(tmp_path)
    with open_published(tmp_path) as con:
        rows = queries.daily(con, all_versions=True, **with_filters)
        current = queries.daily(con, **with_filters)
    assert rows.get_column("region").unique().to_list() == ["a"]
    assert rows.filter(pl.col("marker_version") == "v1").equals(current)
    assert rows.get_column("day").is_between(with_filters["start"], WEDNESDAY).all()
    assert rows.select("day", "marker_version").rows() == sorted(
        rows.select("day", "marker_version").rows()
    )
