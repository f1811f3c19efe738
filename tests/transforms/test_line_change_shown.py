"""transforms.line_changes with the cells each release showed (`shown`, schema 18): a child
with no shown cell in the earlier release counts as 0 then, as a reader reads it; one shown
withheld counts as unknown (docs/privacy.md, "Successive releases", rule 4)."""

from datetime import date, timedelta

import polars as pl

from transforms.contracts import ALL
from transforms.line_changes import line_moved
from transforms.releases import COUNTS_SCHEMA, MOVED_COUNTS, RELEASE_RUN, SHOWN_SCHEMA

MONDAY = date(2025, 2, 24)
K = 11
_SERIES = ("marker", "region", "lang", "marker_version")


def _cell(region: str, authors: int, flagged: int, grain: str = "day") -> dict:
    """MONDAY's cell (or its week's) of region `region`, marker m, language en."""
    return {"marker": "m", "region": region, "lang": "en", "marker_version": "v",
            "grain": grain, "period_start": MONDAY, "n_authors": authors,
            "n_marked_authors": flagged, "n_author_days": authors,
            "n_marked_author_days": flagged}  # fmt: skip


THEN = [_cell(ALL, 850, 85), _cell("a", 300, 40)]
"""Release 1 published the roll-up's MONDAY (a, and c with 5 flagged withheld) and a's."""
NOW = [_cell(ALL, 3080, 128), _cell("a", 300, 40), _cell("c", 250, 8), _cell("d", 2000, 40)]
"""Now: c gained 3 late flagged authors; d, absent or withheld in release 1, has 40."""


def _moved(shown: pl.DataFrame | None) -> list[tuple]:
    """The cells `line_moved` holds of NOW against THEN (release 1), `shown` its shown cells."""
    stored = pl.DataFrame(THEN, schema=COUNTS_SCHEMA).with_columns(
        pl.lit(1, pl.Int64).alias(c) for c in RELEASE_RUN
    )
    held = pl.DataFrame(schema={c: t for c, t in COUNTS_SCHEMA.items() if c not in MOVED_COUNTS})
    moved = line_moved(
        pl.DataFrame(NOW, schema=COUNTS_SCHEMA),
        stored,
        held,
        k=K,
        week_grain="iso_week",
        counts=MOVED_COUNTS,
        shown=shown,
    )
    return moved.select("region", "grain", "period_start").rows()


def _shown(*withheld: dict) -> pl.DataFrame:
    """Release 1's shown cells: THEN's and `withheld` cells' keys."""
    rows = pl.DataFrame([*THEN, *withheld], schema=COUNTS_SCHEMA).select(
        *_SERIES, "grain", "period_start", *(pl.lit(1, pl.Int64).alias(c) for c in RELEASE_RUN)
    )
    return rows.cast(SHOWN_SCHEMA)


WEEK_C = _cell("c", 250, 245, grain="iso_week")


def test_a_child_with_no_shown_cell_counts_as_0_then():
    """d showed no cell in release 1: its change is its 40, and the roll-up's 43 net of it
    and of a's 0 is c's 3: held. Without a record of what release 1 showed (a release
    recorded before schema 18), d counts as unknown and nothing is held."""
    assert _moved(_shown(WEEK_C)) == [(ALL, "day", MONDAY)]
    assert _moved(None) == []


def test_a_child_shown_withheld_then_counts_as_unknown():
    """d showed a withheld week in release 1 (holding MONDAY): a reader does not hold its
    value then, its change stays in the remainder (43), and nothing is held; nor where d's
    withheld cell was a day of MONDAY's, or its 8-week period."""
    for grain, start in (("iso_week", MONDAY), ("day", MONDAY), ("iso_8week", date(2025, 1, 6))):
        withheld = _cell("d", 2000, 40, grain=grain) | {"period_start": start}
        assert _moved(_shown(WEEK_C, withheld)) == [], grain


def test_a_child_shown_in_another_release_or_week_counts_as_0_then():
    """d shown withheld only in release 2 (after the pairing), or only in the week before:
    release 1 showed no cell of it holding MONDAY, so it counts as 0 there."""
    later = _shown(WEEK_C).vstack(
        _shown(_cell("d", 2000, 40))
        .filter(pl.col("region") == "d")
        .with_columns(
            pl.lit(2, pl.Int64).alias("release"), pl.lit(2, pl.Int64).alias("last_release")
        )
    )
    week_before = _cell("d", 2000, 40, grain="iso_week") | {"period_start": MONDAY - timedelta(7)}
    assert _moved(later) == _moved(_shown(WEEK_C, week_before)) == [(ALL, "day", MONDAY)]
