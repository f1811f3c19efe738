"""Complementary suppression on lines of 8-week totals (transforms.grains, step 4): an 8-week
cell an earlier release published with its current counts, withheld as a complement on one
axis, hides nothing on the other."""

from datetime import date

import polars as pl

from transforms.contracts import ALL
from transforms.grains import _protect_eight_weeks

START8 = date(2025, 3, 3)
REGIONS = (ALL, "a", "b")
LANGS = (ALL, "en", "fr")
AUTHORS = {ALL: 900, "a": 300, "b": 600}
KNOWN = {(ALL, "en"), ("b", "en")}


def _lines() -> dict[tuple[str, str], bool]:
    """Nine series (regions all, a, b by languages all, en, fr), each withheld whole by week
    (every week of its one 8-week period withheld): their 8-week cells meet k but a/en's,
    and all/en's and b/en's were published before with their current counts. Per region and
    language: whether the 8-week total ends withheld."""
    series = [(region, lang) for region in REGIONS for lang in LANGS]
    keys = {"marker": "m", "marker_version": "v", "_start8": START8}
    cells = pl.DataFrame(
        [
            {**keys, "region": region, "lang": lang, "period_start": START8, "_withheld": True}
            for region, lang in series
        ]
    )
    eight_cells = pl.DataFrame(
        [
            {
                **keys,
                "region": region,
                "lang": lang,
                "_ok8": (region, lang) != ("a", "en"),
                "_size8": AUTHORS[region] // (1 if lang == ALL else 2),
                "_known8": (region, lang) in KNOWN,
                "_open8": False,
                "_held8": False,
            }
            for region, lang in series
        ]
    )
    lines = _protect_eight_weeks(cells, eight_cells)
    assert lines.get_column("_gone").all()
    return {(row["region"], row["lang"]): row["_flag"] for row in lines.iter_rows(named=True)}


def test_an_eight_week_total_published_before_unchanged_is_no_lonely_cell_on_its_other_axis():
    """a/en's total fails k; its line of en has no cell left that a reader lacks, so it
    withholds b/en and then the roll-up all/en (both known: the smallest first, the roll-up
    among them). all/en is then the only withheld total on the line of region all, but a
    reader holds its value: that line hides nothing, and all/fr and all/all stay published.
    Before (`public` not passed on lines of 8-week totals), that line counted as open with no
    withheld cell closing it and withheld all/fr and all/all too: two totals lost for
    nothing."""
    flags = _lines()
    assert flags[(ALL, "en")] and flags[("b", "en")] and flags[("a", "en")]
    assert not flags[(ALL, "fr")]
    assert not flags[(ALL, ALL)]
