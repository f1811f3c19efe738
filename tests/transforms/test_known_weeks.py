"""Which weeks complementary suppression takes as known (transforms.known_cells.known_weeks):
an earlier release published what they hold now, so withheld they would close nothing."""

from datetime import date, timedelta

import polars as pl

from transforms.known_cells import known_weeks
from transforms.releases import COUNTS_SCHEMA, MOVED_COUNTS, SERIES_KEYS, Release

MONDAY = date(2025, 2, 24)
WEDNESDAY = MONDAY + timedelta(days=2)


def _key(region: str, lang: str, day: date) -> dict:
    return {"marker": "sadness", "region": region, "lang": lang, "marker_version": "v1"} | {
        "period_start": day
    }


def test_a_week_is_known_on_a_held_day_only_beside_the_held_cell():
    """x/de's Monday moved (held); x/en, b/de and b/en each hold Monday as an earlier release
    published it and a new Wednesday. Withheld beside x/de (in its lines: region x, language
    de), x/en's or b/de's earlier Monday would stand for its current one: known. b/en shares
    no line with x/de, and a line of its own needs its new Wednesday: before, every week of the
    marker counted as known on a day any of its cells moved, which (where a line has no other
    complement) withholds that line's roll-up for nothing."""
    cells = [("x", "en"), ("b", "de"), ("b", "en")]
    daily = pl.DataFrame(
        [
            _key(region, lang, day) | {"day": day, "n_authors": 300, "n_marked_authors": 40}
            for region, lang in cells
            for day in (MONDAY, WEDNESDAY)
        ]
    ).drop("period_start")
    counts = pl.DataFrame(
        [
            _key(region, lang, MONDAY)
            | {"grain": "day"}
            | dict(zip(MOVED_COUNTS, (300, 40) * 2, strict=True))
            for region, lang in cells
        ]
    ).select(COUNTS_SCHEMA.keys())
    weeks = pl.DataFrame(schema=COUNTS_SCHEMA)
    moved = pl.DataFrame([_key("x", "de", MONDAY) | {"grain": "day", "_moved": True}])
    release = Release(week_grain="iso_week", k=11, counts=counts.cast(COUNTS_SCHEMA))
    known = known_weeks(
        daily, weeks, release, moved.select(*SERIES_KEYS, "grain", "period_start", "_moved")
    )
    rows = known.select("region", "lang", "_known").iter_rows()
    assert {(region, lang): is_known for region, lang, is_known in rows} == {
        ("x", "en"): True,
        ("b", "de"): True,
        ("b", "en"): False,
    }
    assert not known["_known_whole"].any(), "known on Monday only: Wednesday is new"


def test_a_week_is_known_whole_where_its_own_cell_or_every_day_was_published_as_it_is():
    """Region w: its week cell published with its current counts (its days never were); g:
    its week cell published at counts it has grown past since; d: each of its days published
    with its current counts. A reader holds w's and d's whole weeks (withheld, they hide
    nothing), g's neither; only d's days. No other test held w: its own cell could be left
    out of `_known_whole` and every line beside such a week would take complements again."""
    daily = pl.DataFrame(
        [
            _key(region, "en", day) | {"day": day, "n_authors": 300, "n_marked_authors": 40}
            for region in ("w", "g", "d")
            for day in (MONDAY, WEDNESDAY)
        ]
    ).drop("period_start")
    week = dict(zip(MOVED_COUNTS, (600, 80, 600, 80), strict=True))
    weeks = pl.DataFrame(
        [_key(region, "en", MONDAY) | {"grain": "iso_week"} | week for region in ("w", "g", "d")]
    ).select(COUNTS_SCHEMA.keys())
    grown = dict(zip(MOVED_COUNTS, (580, 70, 580, 70), strict=True))
    day = dict(zip(MOVED_COUNTS, (300, 40) * 2, strict=True))
    counts = pl.DataFrame(
        [
            _key("w", "en", MONDAY) | {"grain": "iso_week"} | week,
            _key("g", "en", MONDAY) | {"grain": "iso_week"} | grown,
            *(_key("d", "en", on) | {"grain": "day"} | day for on in (MONDAY, WEDNESDAY)),
        ]
    ).select(COUNTS_SCHEMA.keys())
    moved = pl.DataFrame(
        schema={**dict.fromkeys(SERIES_KEYS, pl.String), "grain": pl.String}
        | {"period_start": pl.Date, "_moved": pl.Boolean}
    )
    release = Release(week_grain="iso_week", k=11, counts=counts.cast(COUNTS_SCHEMA))
    known = known_weeks(daily, weeks.cast(COUNTS_SCHEMA), release, moved)
    rows = known.sort("region").select("region", "_known", "_known_whole", "_known_days")
    assert rows.rows() == [
        ("d", True, True, True),
        ("g", False, False, False),
        ("w", True, True, False),
    ]
