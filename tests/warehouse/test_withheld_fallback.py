"""When a warehouse file reads as holding no withheld counts (warehouse.release_record
`recorded_withheld` None: every week of a child no release published, under a total one
published, taken as withheld beside it): only a file upgraded from before schema version 16
whose writes since have withheld no week of a child, never one created at 16
(docs/privacy.md, "Complements remembered")."""

from datetime import date

import polars as pl

from tests.transforms.cells import region_days
from tests.warehouse.releases import write_release
from tests.warehouse.test_withheld_counts import FIRST, REGIONS, WEEKS
from warehouse import queries
from warehouse.release_record import recorded_withheld
from warehouse.store import open_published


def _regions(backfilled: bool) -> pl.DataFrame:
    """Daily cells of regions a–d and their roll-up, WEEKS weeks from FIRST; `backfilled`:
    with s and h (20 authors a day, 1 flagged on Mondays: each small every week, the one the
    other's complement) and g (300 authors, 40 flagged a day), regions whose past weeks
    arrived late."""
    regions = {**REGIONS, **({"g": (300, 40)} if backfilled else {})}

    def cell(region: str, day: date) -> tuple[int, int] | None:
        if region in "sh":
            return (20, int(day.weekday() == 0)) if backfilled else None
        return regions.get(region)

    return region_days(cell, "abcdshg", FIRST, 7 * WEEKS)


def test_a_new_file_whose_first_release_withholds_nothing_keeps_its_withheld_counts(tmp_path):
    """A file created at schema 16 whose first write publishes every cell (a–d and the
    roll-up by day) reads as keeping withheld counts (none), not as one upgraded from 15.
    Before, its empty `withheld_counts` beside a non-empty `published_grains` read as None,
    so the second write took every week of s, h and g (backfilled: in no release) for a
    complement the first withheld, and withheld g whole with s and h."""
    write_release(tmp_path, _regions(backfilled=False))
    with open_published(tmp_path) as con:
        withheld = recorded_withheld(con)
        assert not queries.published(con).filter(pl.col("status") == "withheld").height
    assert withheld is not None
    assert withheld.is_empty()
    write_release(tmp_path, _regions(backfilled=True))
    with open_published(tmp_path) as con:
        shown = queries.published(con)
    for region in "sh":
        assert (shown.filter(pl.col("region") == region)["status"] == "withheld").all()
    g = shown.filter(pl.col("region") == "g")
    assert g.height == 7 * WEEKS
    assert (g["status"] == "published").all()
