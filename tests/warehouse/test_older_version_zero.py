"""`queries.daily(all_versions=True)`: an older marker version reads a roll-up shown (or
published) with no flagged author as a release does (the zero rule of transforms.grains,
transforms.known_cells.zero_read, shared with bound_days; docs/privacy.md, "Marker versions")."""

from datetime import timedelta

import polars as pl

from tests.transforms.cells import one_small_week
from tests.warehouse.releases import START, WEEKS, daily_row, write_release
from transforms.contracts import DAILY_SCHEMA
from warehouse import queries
from warehouse.store import open_published

SPAN = 2 * WEEKS
"""Weeks of v0."""
MONDAY = START + timedelta(weeks=SPAN - 3)
"""The Monday of the one week that p·en and p·fr are small."""
LEAVES = tuple((region, lang) for region in ("p", "q", "r") for lang in ("en", "fr", "de"))


def _version(marker_version: str, *, first: int, weeks: int) -> pl.DataFrame:
    """The leaves (`one_small_week(MONDAY)`) of `marker_version` and their roll-ups by region, by language and
    both, for `weeks` weeks from `first` days after START."""
    leaf, rows = one_small_week(MONDAY), []
    for day in (START + timedelta(days=first + i) for i in range(7 * weeks)):
        leaves = {(r, g): leaf(r, day, g) for r, g in LEAVES}
        for region in ("p", "q", "r", "all"):
            for lang in ("en", "fr", "de", "all"):
                held = [v for (r, g), v in leaves.items() if region in (r, "all") and lang in (g, "all")]  # fmt: skip
                rows.append(daily_row(day, sum(a for a, _ in held), sum(m for _, m in held),
                                      region=region, lang=lang, marker_version=marker_version))  # fmt: skip
    return pl.DataFrame(rows, schema=DAILY_SCHEMA)


def test_an_older_versions_child_under_a_roll_up_published_with_no_flagged_author_is_known(
    tmp_path,
):
    """Once v1 is current, v0 shows day by day. Before, en's roll-up over regions showed
    MONDAY with no flagged author (so p·en's, 1 author, withheld, read as 0), p·en and p·fr
    (1 flagged author) were p's line's two withheld cells, no complement was added, and p's
    Monday minus de's minus 0 gave p·fr's 1 back. p·en counts as known now, so the line gets
    a complement (or the roll-up read as 0 is withheld)."""
    write_release(tmp_path, _version("v0", first=0, weeks=SPAN))
    write_release(tmp_path, _version("v1", first=7 * (SPAN - 1), weeks=2))
    with open_published(tmp_path) as con:
        rows = queries.daily(con, all_versions=True, start=MONDAY, end=MONDAY)
    old = rows.filter(pl.col("marker_version") == "v0")
    cell = {(r["region"], r["lang"]): r for r in old.iter_rows(named=True)}
    assert cell["p", "en"]["suppressed"] and cell["p", "fr"]["suppressed"]
    en = cell["all", "en"]
    read = not en["suppressed"] and en["n_marked_authors"] == 0
    if read and not cell["p", "all"]["suppressed"] and not cell["p", "de"]["suppressed"]:
        back = cell["p", "all"]["n_marked_authors"] - cell["p", "de"]["n_marked_authors"] - 0
        raise AssertionError(f"p's Monday - de's - p·en's 0 gives p·fr's {back} back")
