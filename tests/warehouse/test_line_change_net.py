"""Rule 4 on a line (schema 17): a roll-up's change between two releases net of the changes of
its children published in both, on a real warehouse file (docs/privacy.md, "Successive
releases", rule 4; transforms.line_changes)."""

from datetime import date, timedelta

import duckdb
import polars as pl

from tests.transforms.cells import flagged_author_days, region_days
from tests.warehouse.releases import published_after
from transforms.contracts import ALL
from transforms.releases import RELEASE_RUN
from warehouse.release_record import recorded_counts
from warehouse.schema import SCHEMA_VERSION, TABLES, create_schema, schema_version
from warehouse.store import open_published, published_path

FIRST = date(2024, 1, 1)  # a Monday
WEEKS = 60
SMALL = FIRST + timedelta(weeks=35)
"""The Monday of the week c has 1 flagged author (below k: withheld, b beside it) and the
backfilled d has 2."""
K = 11


def _regions(*, second: bool) -> pl.DataFrame:
    """Daily cells of regions a, b, c (and, in the `second` release, d, backfilled) and their
    roll-up, WEEKS weeks from FIRST: each region's days below k (so published by week). In
    SMALL's week c has 1 flagged author; in the second release a's Monday there gained
    exactly k flagged authors (late posts) and d has 2 flagged authors (Monday, Tuesday)."""

    def cell(region: str, day: date) -> tuple[int, int] | None:
        in_small = SMALL <= day < SMALL + timedelta(days=7)
        if region == "d":
            if not second:
                return None
            return (20, int(day < SMALL + timedelta(days=2))) if in_small else (20, 2)
        if region == "c" and in_small:
            return 20, int(day == SMALL)
        if region == "a" and second and day == SMALL:
            return 20 + K, 2 + K
        return (15, 2) if region == "b" else (20, 2)

    return region_days(cell, "abcd", FIRST, 7 * WEEKS)


def _write(data_dir, *, second: bool) -> pl.DataFrame:
    """Write the release into `data_dir`'s warehouse file; what `queries.published` shows."""
    return published_after(data_dir, _regions(second=second))


def _rest(first: pl.DataFrame, second: pl.DataFrame) -> int | None:
    """SMALL's week as a reader of both releases takes it: the roll-up's change minus the
    changes of the regions both publish (the others taken unchanged; d had no cell in the
    first): d's flagged author-days, where both publish the roll-up's week."""
    total = [flagged_author_days(r, ALL, SMALL, 7) for r in (first, second)]
    if None in total:
        return None
    rest = total[1] - total[0]
    for region in "abc":
        values = [flagged_author_days(r, region, SMALL, 7) for r in (first, second)]
        if None not in values:
            rest -= values[1] - values[0]
    return rest


def test_a_rollup_moved_by_a_published_childs_k_does_not_give_a_backfilled_cell_back(tmp_path):
    """The fuzz's seed-3 shape by hand: the roll-up's week moves by 13, a's (published in both
    releases) by exactly k = 11, each meeting k on its own; b and c withheld in both, d
    backfilled with 2 flagged author-days. Before, the second release published the roll-up's
    week and a's, and 13 − 11 gave d's 2 back; now the roll-up's week is held (its change net
    of a's is 2), and the d's 2 does not come back."""
    first = _write(tmp_path, second=False)
    second = _write(tmp_path, second=True)
    assert flagged_author_days(first, ALL, SMALL, 7) is not None
    assert flagged_author_days(second, "d", SMALL, 7) is None
    assert _rest(first, second) != 2


def test_the_writer_and_its_readers_pair_the_same_release(tmp_path):
    """Rule 3 with release indexes: the counts the writer recorded as the latest release are
    the cells every reader shows published (a cell published with the same counts by both
    releases is one row, its run 1 to 2), and a rerun of the same data adds no release and
    changes no record."""
    _write(tmp_path, second=False)
    shown = _write(tmp_path, second=True)
    with open_published(tmp_path) as con:
        counts = recorded_counts(con)
        tables = [con.sql(f"SELECT * FROM {t} ORDER BY ALL").pl() for t in _RECORD]
    assert set(counts["release"].to_list()) == set(counts["last_release"].to_list()) == {1, 2}
    assert counts.filter(pl.col("release") == 1, pl.col("last_release") == 2).height > 0
    keys = ["region", "grain", "period_start", "n_authors", "n_marked_authors"]
    latest = counts.filter(pl.col("last_release") == 2).select(keys).sort(keys)
    assert latest.equals(shown.filter(pl.col("status") == "published").select(keys).sort(keys))
    again = _write(tmp_path, second=True)
    with open_published(tmp_path) as con:
        rerun = [con.sql(f"SELECT * FROM {t} ORDER BY ALL").pl() for t in _RECORD]
    assert all(a.equals(b) for a, b in zip(rerun, tables, strict=True))
    assert again.equals(shown)


_RECORD = ("published_grains", "published_counts", "withheld_counts")


def test_a_version_16_file_keeps_its_counts_unpaired_and_pairs_the_releases_after(tmp_path):
    """A version-16 file's counts have no releases: its readers read RELEASE_RUN null,
    `create_schema` keeps every row (null: never paired, still compared as sets), and the next
    write records its release as 1."""
    _write(tmp_path, second=False)
    path = published_path(tmp_path)
    with duckdb.connect(str(path)) as con:
        for table in ("published_counts", "withheld_counts"):
            for column in RELEASE_RUN:
                con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        con.execute("DROP TABLE shown_cells")
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version VALUES (16, now())")
        rows = con.sql("SELECT count(*) FROM published_counts").fetchall()
    with duckdb.connect(str(path), read_only=True) as con:
        assert schema_version(con) == 16
        old = recorded_counts(con)
    assert old.height == rows[0][0] > 0
    assert old["release"].null_count() == old.height
    with duckdb.connect(str(path)) as con:
        assert create_schema(con) == SCHEMA_VERSION == 19
        columns = con.sql("SELECT * FROM published_counts LIMIT 0").columns
        assert columns == list(TABLES["published_counts"].columns)
        assert recorded_counts(con).equals(old)
    _write(tmp_path, second=True)
    with open_published(tmp_path) as con:
        counts = recorded_counts(con)
    unpaired = counts.filter(pl.col("release").is_null()).drop(RELEASE_RUN)
    assert unpaired.equals(old.drop(RELEASE_RUN))
    assert set(counts["last_release"].drop_nulls().to_list()) == {1}
