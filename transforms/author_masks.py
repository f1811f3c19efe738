"""Distinct authors through bit masks: each author row gets two bits per marker (a scored and
a marked post; `with_masks`), and a cell's distinct (marked) authors are the authors whose masks,
OR-ed over their rows in the cell, have the marker's scored (marked) bit (`distinct_authors`, in
one compiled pass of transforms.author_bits, loaded on use). Daily cells (transforms.aggregate)
count their authors this way; period cells (transforms.periods.author_counts) from the same
masks, OR-ed per author, day and cell, in a pass that also counts each author's days
(transforms.author_bits.ored_day_sums)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def with_masks(wide: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    """Compact author-days with each row's author masks added: two bits per marker of `names`,
    in order (a scored post, a marked post), zero for the posts without an author; what
    transforms.periods.author_counts OR-s."""
    return wide.with_columns(_masks(list(names)))


def distinct_authors(rows: pl.DataFrame, period: list[str], names: Sequence[str]) -> pl.DataFrame:
    """Per cell that rows with an author reach (the `period` columns, `region`, `lang`; the
    roll-ups' ALL included), `<marker>\x1fauthors` and `<marker>\x1fmarked_authors`: the
    authors whose masks (`with_masks`), OR-ed over their rows in the cell, have the marker's
    scored, or marked, bit; counted in one compiled pass (transforms.author_bits)."""
    from transforms.author_bits import ored_bit_counts  # numba: loaded on use

    masks = [c for c in rows.columns if c.startswith("\x1fmask")]
    rows = rows.select(*period, "region", "lang", "author", *masks).drop_nulls("author")
    cells, counts = ored_bit_counts(rows, period, masks)
    return cells.with_columns(
        pl.Series(
            f"{m}\x1f{count}",
            counts[:, 64 * (i // _MARKERS_PER_MASK) + 2 * (i % _MARKERS_PER_MASK) + j],
        )
        for i, m in enumerate(names)
        for j, count in enumerate(("authors", "marked_authors"))
    )


_MARKERS_PER_MASK = 32
"""Markers per UInt64 author mask: two bits each, scored and marked."""


def _masks(names: list[str]) -> list[pl.Expr]:
    """Per row, UInt64 masks with two bits per marker (`n_scored > 0`, `n_marked > 0`), zero
    for the posts without an author: OR-ed per author, they count distinct authors."""
    author = pl.col("author").is_not_null()
    masks = []
    for start in range(0, len(names), _MARKERS_PER_MASK):
        bits = [
            (pl.col(f"n_{k}_{m}") > 0).fill_null(False).cast(pl.UInt64) * (1 << (2 * i + j))
            for i, m in enumerate(names[start : start + _MARKERS_PER_MASK])
            for j, k in enumerate(("scored", "marked"))
        ]
        mask = pl.when(author).then(pl.sum_horizontal(bits)).otherwise(0).cast(pl.UInt64)
        masks.append(mask.alias(f"\x1fmask{start // _MARKERS_PER_MASK}"))
    return masks
