"""fold_table folds only FOLDED_PLANES: the planes it leaves out change nothing, so its table is
the one computed over every code point (with polars' Unicode tables, as installed)."""

import polars as pl

from transforms.text import FOLDED_PLANES, fold_characters, fold_table


def test_the_fold_table_of_the_folded_planes_is_that_of_every_code_point():
    every = pl.Series(
        [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF], dtype=pl.String
    )
    folded = fold_characters(every)
    changed = every != folded
    assert fold_table() == (
        tuple(every.filter(changed).to_list()),
        tuple(folded.filter(changed).to_list()),
    )
    assert sum(high - low for low, high in FOLDED_PLANES) < 0x110000 // 4
