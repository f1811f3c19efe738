"""`withheld_counts` (schema 16) on a real warehouse file: the counts of the weeks a release
withheld, kept by the write that records it and read back by every reader, and the upgrade of
a version-15 file, which kept none (docs/privacy.md, "Complements remembered")."""

from collections.abc import Callable
from datetime import date, timedelta

import duckdb
import polars as pl

from tests.transforms.cells import flagged_author_days, region_days
from tests.warehouse.releases import republished, write_release
from transforms.contracts import ALL
from warehouse import queries
from warehouse.release_record import recorded_withheld
from warehouse.schema import SCHEMA_VERSION, create_schema, schema_version
from warehouse.store import open_published, published_path

FIRST = date(2024, 1, 1)
WEEKS = 60
SMALL = FIRST + timedelta(weeks=35)
"""The Monday of the week a has 1 flagged author a day (7 in the week: below k)."""

REGIONS = {"a": (100, 40), "b": (50, 20), "c": (100, 40), "d": (300, 40)}


def _regions(late: dict[str, tuple[int, int]]) -> pl.DataFrame:
    """Daily cells of regions a–e and their roll-up, WEEKS weeks from FIRST: REGIONS' a day,
    a small in SMALL's week (100 authors, 1 flagged a day), `late` giving other cells there."""

    def cell(region: str, day: date) -> tuple[int, int] | None:
        if SMALL <= day < SMALL + timedelta(days=7):
            return {"a": (100, 1), **late}.get(region, REGIONS.get(region))
        return REGIONS.get(region)

    return region_days(cell, "abcde", FIRST, 7 * WEEKS)


def test_a_reader_of_two_releases_cannot_take_a_small_cells_earlier_value_back(tmp_path):
    """Two writes into one warehouse file: the first withholds a (7 flagged author-days in
    SMALL's week) and b beside it under the roll-up published by day; before the second, late
    posts give a 14 (its week meets k) and add e (so the roll-up's change meets k), b
    unchanged. What `queries.published` shows after each: the first's roll-up minus its c and
    d minus the second's b is not a's 7 (before: it was, a and b published together by
    week), and the file keeps the counts a was withheld with."""
    first, second = republished(tmp_path, [_regions({}), _regions({"a": (100, 2), "e": (30, 20)})])
    parts = [flagged_author_days(first, region, SMALL, 7) for region in (ALL, "c", "d")]
    b = flagged_author_days(second, "b", SMALL, 7)
    assert None not in parts
    assert b is None or parts[0] - parts[1] - parts[2] - b != 7
    with open_published(tmp_path) as con:
        withheld = recorded_withheld(con)
    a_week = withheld.filter(
        pl.col("region") == "a", pl.col("grain") == "iso_week", pl.col("period_start") == SMALL
    )
    assert sorted(a_week["n_marked_author_days"].to_list()) == [7, 14]


def _as_version_15(path) -> None:
    """Turn the warehouse file at `path` into what schema version 15 left: no
    `withheld_counts` (nor `shown_cells`)."""
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE withheld_counts")
        con.execute("DROP TABLE shown_cells")
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version VALUES (15, now())")


def _shown(data_dir) -> pl.DataFrame:
    with open_published(data_dir) as con:
        return queries.published(con)


def test_a_version_15_file_reads_no_withheld_counts_until_its_next_write(tmp_path):
    """A version-15 file has no `withheld_counts`: its readers read none (None: every week of
    a child no release published under a total one published counts as withheld beside it,
    as before) and show the release its writer recorded; `create_schema` creates the table
    empty and readers still read none; the next write keeps the counts of the weeks it
    withholds, and publishes the same rows."""
    daily = _regions({})
    write_release(tmp_path, daily)
    before = _shown(tmp_path)
    path = published_path(tmp_path)
    _as_version_15(path)
    with duckdb.connect(str(path), read_only=True) as con:
        assert schema_version(con) == 15
        assert recorded_withheld(con) is None
    assert _shown(tmp_path).equals(before)
    with duckdb.connect(str(path)) as con:
        assert create_schema(con) == SCHEMA_VERSION == 19
        assert con.sql("SELECT count(*) FROM withheld_counts").fetchall() == [(0,)]
        assert recorded_withheld(con) is None
    write_release(tmp_path, daily)
    with open_published(tmp_path) as con:
        withheld = recorded_withheld(con)
    assert withheld is not None
    assert set(withheld.filter(pl.col("period_start") == SMALL)["region"]) == {"a", "b"}
    assert _shown(tmp_path).equals(before)


def test_a_write_and_its_readers_choose_the_same_release_from_the_withheld_counts(tmp_path):
    """Rule 3 with the counts kept: after the second write of the leak above, a rerun of the
    same data leaves the same rows, the same record and the same withheld counts."""
    versions: list[Callable[[], pl.DataFrame]] = [
        lambda: _regions({}),
        lambda: _regions({"a": (100, 2), "e": (30, 20)}),
    ]
    shown = republished(tmp_path, [make() for make in versions])
    with open_published(tmp_path) as con:
        tables = [con.sql(f"SELECT * FROM {t} ORDER BY ALL").pl() for t in _RECORD]
    again = republished(tmp_path, [versions[-1]()])
    with open_published(tmp_path) as con:
        rerun = [con.sql(f"SELECT * FROM {t} ORDER BY ALL").pl() for t in _RECORD]
    assert all(a.equals(b) for a, b in zip(rerun, tables, strict=True))
    assert not tables[-1].is_empty()
    assert again[0].equals(shown[-1])


_RECORD = ("published_grains", "published_counts", "withheld_counts")
