"""The cells each release showed (`shown_cells`, schema 18): a child with no cell in a release
where its roll-up was published counts as 0 then, as a reader reads it, only where a reader
can subtract it now, and a file upgraded from schema 17 keeps its earlier releases unknown
(docs/privacy.md, "Successive releases", rule 4; transforms.line_changes)."""

from datetime import timedelta

import duckdb
import polars as pl

from tests.warehouse.releases import START, late_regions, published_after, regions, write_release
from warehouse.release_record import recorded_counts, recorded_shown
from warehouse.schema import SCHEMA_VERSION, create_schema, schema_version
from warehouse.store import open_published, published_path

MONDAY = START + timedelta(weeks=60)
TUESDAY = MONDAY + timedelta(days=1)
K = 11


def _days(d_monday: int) -> pl.DataFrame:
    """Regions a (300 authors, 40 flagged a day), b (280, 40), c (250, 40; 5 flagged on
    MONDAY: withheld, b beside it) and d (2,000, 40; `d_monday` flagged on MONDAY), by day
    to MONDAY's Wednesday, without their roll-up."""
    authors = {"a": 300, "b": 280, "c": 250, "d": 2000}
    daily = regions(authors, dict.fromkeys(authors, 40), MONDAY + timedelta(days=2))
    marked = {"c": 5, "d": d_monday}
    on_monday = pl.col("day") == MONDAY
    flagged = pl.col("region").replace_strict(marked, default=None, return_dtype=pl.Int64)
    return daily.filter(pl.col("region") != "all").with_columns(
        pl.when(on_monday & flagged.is_not_null()).then(flagged).otherwise(c).alias(c)
        for c in ("n_marked", "n_marked_authors")
    )


def _tuesday(leaves: pl.DataFrame) -> pl.DataFrame:
    """Tuesday's release data: `leaves` to TUESDAY without region d (backfilled after it)."""
    kept = leaves.filter(pl.col("day") <= TUESDAY, pl.col("region") != "d")
    return late_regions(kept, MONDAY, {})


def _cells(release: pl.DataFrame, region: str) -> tuple[str, int | None]:
    """`region`'s MONDAY day cell in `release`: (status, flagged authors); withheld where the
    release shows MONDAY otherwise (its week)."""
    rows = release.filter(
        pl.col("region") == region, pl.col("grain") == "day", pl.col("period_start") == MONDAY
    )
    if rows.is_empty():
        return "withheld", None
    return rows["status"][0], rows["n_marked_authors"][0]


def test_a_region_backfilled_and_withheld_now_is_not_subtracted(tmp_path):
    """d has no cell in Tuesday's release and 5 flagged authors on MONDAY in Wednesday's
    (withheld), when a's MONDAY has gained exactly k late flagged authors; b and c do not
    change. The roll-up's MONDAY moved by k + 5, each change meeting k on its own. A reader of
    both reads d's MONDAY as 0 then but cannot read it now, so the roll-up's change net of
    a's, 5, is d's value: the roll-up's MONDAY must not be published with it (subtracting d's
    5 as if a reader held it leaves 0)."""
    leaves = _days(5)
    then = published_after(tmp_path, _tuesday(leaves))
    now = published_after(tmp_path, late_regions(leaves, MONDAY, {"a": K}))
    assert then.filter(pl.col("region") == "d").is_empty()
    assert _cells(then, "all")[0] == _cells(now, "a")[0] == "published"
    assert _cells(now, "d")[0] == "withheld"
    rollup = [_cells(r, "all") for r in (then, now)]
    if rollup[1][0] == "published":
        rest = (rollup[1][1] - _cells(now, "a")[1]) - (rollup[0][1] - _cells(then, "a")[1])
        assert not 1 <= rest < K, f"d's {rest} flagged authors come back"


def _as_version_17(data_dir) -> None:
    """Turn `data_dir`'s warehouse file into what schema version 17 left: no `shown_cells`."""
    with duckdb.connect(str(published_path(data_dir))) as con:
        con.execute("DROP TABLE shown_cells")
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version VALUES (17, now())")


def test_a_version_17_file_keeps_its_earlier_releases_unknown(tmp_path):
    """Tuesday's release written at schema 17 (no cells shown recorded), then Wednesday's
    with d's MONDAY published (40) and c's 3 more flagged authors: `create_schema` creates
    `shown_cells` empty, the write records the cells of its own release only (index 2), and
    d's absence from Tuesday's counts as unknown, as before schema 18: the roll-up's MONDAY is
    published (in a file created at 18 it is held: test_line_change_absent_child.py)."""
    leaves = _days(40)
    then = published_after(tmp_path, _tuesday(leaves))
    _as_version_17(tmp_path)
    with duckdb.connect(str(published_path(tmp_path)), read_only=True) as con:
        assert schema_version(con) == 17
        assert recorded_shown(con).is_empty()
    with duckdb.connect(str(published_path(tmp_path))) as con:
        assert create_schema(con) == SCHEMA_VERSION == 19
        assert recorded_shown(con).is_empty()
    now = published_after(tmp_path, late_regions(leaves, MONDAY, {"c": 3}))
    with open_published(tmp_path) as con:
        shown = recorded_shown(con)
    assert set(shown["release"]) == set(shown["last_release"]) == {2}
    assert _cells(then, "all")[0] == _cells(now, "all")[0] == "published"
    assert _cells(now, "d") == ("published", 40)


def test_a_rerun_after_the_upgrade_is_a_release_of_its_own(tmp_path):
    """A rerun of the same data right after the upgrade from 17 publishes and withholds what
    the last release did, but that release recorded no cells shown: it takes a new index (2),
    so no release before the upgrade reads as one whose shown cells are known."""
    daily = late_regions(_days(40), MONDAY, {})
    write_release(tmp_path, daily)
    _as_version_17(tmp_path)
    with duckdb.connect(str(published_path(tmp_path))) as con:
        create_schema(con)
    write_release(tmp_path, daily)
    with open_published(tmp_path) as con:
        counts, shown = recorded_counts(con), recorded_shown(con)
    assert set(counts["last_release"]) == {2} and set(counts["release"]) == {1}
    assert set(shown["release"]) == {2}
    write_release(tmp_path, daily)
    with open_published(tmp_path) as con:
        assert recorded_counts(con).equals(counts) and recorded_shown(con).equals(shown)
