"""Authors' OR-ed marker bits per cell, and the distinct authors they count, in compiled passes.

A cell's distinct (marked) authors for a marker are the authors whose masks (two bits per
marker, a scored and a marked post: transforms.author_masks.with_masks), OR-ed over their rows in
the cell's period, have that marker's bit set. The two functions visit the rows author by
author (sorted by the author hash): `ored_bit_counts` ORs them into every cell the author's
rows reach (the base cells and the `region = all`, `lang = all` and `all, all` roll-ups, in
each period) and, when the author is done, adds each OR's set bits to its cell's counts;
`ored_day_sums` does the same per day (rows sorted by author and day), counting each author's
scored and marked days (and posts) in each cell and adding, when the author is done, the
authors and the sums of their days squared and multiplied (transforms.contracts.CLUSTER_SUMS),
and of their posts (POST_CLUSTER_SUMS). One pass gives every roll-up, where polars needs a
group by per roll-up and a sum per marker and bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numba
import numpy as np
import polars as pl
from numba.cpython.unsafe.numbers import trailing_zeros

from transforms.contracts import ALL
from transforms.kernel_cache import use_kernel_cache

use_kernel_cache()


class _Coded(NamedTuple):
    """Rows sorted by author (`order` gives their places in the frame) and coded: a dense code
    per period, region (of `regions`) and language (of `langs`); `shape` the number of each."""

    order: np.ndarray
    author: np.ndarray
    period: np.ndarray
    region: np.ndarray
    lang: np.ndarray
    masks: np.ndarray
    shape: tuple[int, int, int]
    regions: pl.Series
    langs: pl.Series


def _coded(
    rows: pl.DataFrame, period: Sequence[str], masks: Sequence[str], *, by_day: bool = False
) -> _Coded:
    regions, langs = (rows.get_column(c).unique().cast(pl.String) for c in ("region", "lang"))
    if by_day:
        order = rows.select(pl.arg_sort_by("author", "day")).to_series().to_numpy()
    else:
        order = rows.get_column("author").arg_sort().to_numpy()
    period_codes, periods = _dense(_codes(rows, period))
    return _Coded(
        order,
        rows.get_column("author").to_numpy()[order],
        period_codes[order],
        *(_codes(rows, [c], values)[order] for c, values in (("region", regions), ("lang", langs))),
        _mask_array(rows, masks)[order],
        (len(periods), regions.len(), langs.len()),
        regions,
        langs,
    )


def _mask_array(rows: pl.DataFrame, masks: Sequence[str]) -> np.ndarray:
    """The `masks` columns as a UInt64 array of one row per row of `rows` (no column for a
    marker set of zero markers)."""
    if not masks:
        return np.zeros((rows.height, 0), np.uint64)
    return rows.select(masks).to_numpy().astype(np.uint64, copy=False)


def _codes(
    rows: pl.DataFrame, columns: Sequence[str], values: pl.Series | None = None
) -> np.ndarray:
    """One non-negative integer per row for its values of `columns`, distinct for distinct
    values: a text (or categorical) column's place in `values` (its distinct values by
    default), a date's days from the earliest, combined column by column."""
    codes = np.zeros(rows.height, np.int64)
    for column in columns:
        series = rows.get_column(column)
        if series.dtype in (pl.String, pl.Categorical):
            series = series.cast(
                pl.Enum(series.unique().cast(pl.String) if values is None else values)
            )
        code = series.to_physical().cast(pl.Int64).to_numpy()
        code = code - code.min() if len(code) else code
        codes = codes * (int(code.max()) + 1 if len(code) else 1) + code
    return codes


def _dense(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative `codes` renumbered 0 … n − 1 in their order, and the n distinct codes in
    that order: through a table over their range where it is at most DENSE_TABLE_SPAN times
    their number (a pass), else by sorting them (memory bounded by their number)."""
    if not len(codes):
        return codes, codes.ravel()
    span = int(codes.max()) + 1
    if span > DENSE_TABLE_SPAN * len(codes):
        values, dense = np.unique(codes, return_inverse=True)
        return dense.reshape(codes.shape), values
    present = np.zeros(span, np.int64)
    present[codes] = 1
    return (np.cumsum(present) - 1)[codes], np.flatnonzero(present)


DENSE_TABLE_SPAN = 16
"""`_dense` numbers codes through a table over their range up to this many entries per code."""


def ored_bit_counts(
    rows: pl.DataFrame, period: Sequence[str], masks: Sequence[str]
) -> tuple[pl.DataFrame, np.ndarray]:
    """`rows` (the `period` columns, `region`, `lang` as text or categorical, a non-null
    `author` and the UInt64 `masks`; an author may have several rows in a cell) → the cells
    they reach (the `period` columns, `region` and `lang` as text, ALL in a roll-up), and per
    cell the number of authors whose masks, OR-ed over their rows in the cell, have each bit
    set (an int64 array, one row per cell; bit `b` of mask `w` in column 64 × w + b). Holds
    the counts of the cells reached (at most four per row), however many periods, regions and
    languages they combine."""
    coded = _coded(rows, period, masks)
    cell, cells = _reached(coded)
    counts = _ored_bits(coded.author, cell, coded.masks, len(cells))
    return _cell_keys(rows, period, coded, cells), counts


def ored_day_sums(
    rows: pl.DataFrame, period: Sequence[str], masks: Sequence[str], posts: Sequence[str]
) -> tuple[pl.DataFrame, np.ndarray]:
    """`rows` as `ored_bit_counts` takes them, with a `day` column, every day of each author's
    period present, and `posts`, two count columns per marker slot (its scored, then its marked
    posts in the row; null as 0; rows of one author, day and cell hold disjoint posts) → the
    cells they reach (as `ored_bit_counts`), and per cell and marker slot `k` <
    `len(posts) // 2` (32 per mask: slot `k` is bits 2k, a scored post, and 2k + 1, a marked
    one, of mask `k // 32`), with `d` (`f`) an author's days whose masks, OR-ed over the day's
    rows in the cell, have the scored (marked) bit, and `s` (`m`) the author's scored (marked)
    posts in the cell: the authors with `d > 0` and with `f > 0` (the cell's distinct and
    distinct marked authors, as `ored_bit_counts` counts them), the sums over its authors of
    `d²`, `f²` and `f·d`, of `s` and `m`, and of `s²`, `m²` and `m·s`; an int64 array of
    shape (cells, slots, 10) in that order."""
    coded = _coded(rows, period, masks, by_day=True)
    cell, cells = _reached(coded)
    day = _codes(rows, ["day"])[coded.order]
    counts = rows.select(pl.col(posts).fill_null(0).cast(pl.UInt32)).to_numpy()[coded.order]
    sums = _day_sums(coded.author, day, cell, coded.masks, counts, len(cells))
    return _cell_keys(rows, period, coded, cells), sums


def _reached(coded: _Coded) -> tuple[np.ndarray, np.ndarray]:
    """Each row's four cells (its base cell and the roll-ups above it: `region`, `lang` or both
    ALL), numbered 0 … n − 1, and the n codes of the cells reached."""
    _, n_regions, n_langs = coded.shape
    region = (coded.region, np.full_like(coded.region, n_regions))
    lang = (coded.lang, np.full_like(coded.lang, n_langs))
    levels = np.stack(
        [(coded.period * (n_regions + 1) + r) * (n_langs + 1) + g for r in region for g in lang],
        axis=1,
    )
    return _dense(levels)


def _cell_keys(
    rows: pl.DataFrame, period: Sequence[str], coded: _Coded, cells: np.ndarray
) -> pl.DataFrame:
    """The `period` columns, `region` and `lang` (text, ALL in a roll-up) of `_reached` cells."""
    _, n_regions, n_langs = coded.shape
    p, r, g = np.unravel_index(cells, (coded.shape[0], n_regions + 1, n_langs + 1))
    first = np.zeros(coded.shape[0], np.int64)
    first[coded.period] = coded.order
    return (
        rows.select(period)
        .gather(first[p])
        .with_columns(
            coded.regions.append(pl.Series([ALL])).gather(r),
            coded.langs.append(pl.Series([ALL])).gather(g),
        )
    )


@numba.njit(cache=True, nogil=True)
def _ored_bits(author, cells, masks, n_cells):
    """ored_bit_counts' pass over the rows sorted by author; `cells` gives each row's four
    cells (its base cell and the three roll-ups above it, numbered 0 … n_cells − 1). Each cell
    keeps its first author's OR-ed masks and, per bit, how many authors' differ from them
    there (a cell's authors mostly share their scored bits, so few bits are visited). Returns
    each cell's bit counts."""
    n_words = masks.shape[1]
    authors = np.zeros(n_cells, np.int64)
    first = np.zeros((n_cells, n_words), np.uint64)
    differ = np.zeros((n_cells, 64 * n_words), np.int64)
    ored = np.zeros((n_cells, n_words), np.uint64)
    last_author = np.full(n_cells, -1, np.int64)
    reached = np.empty(cells.size, np.int64)
    n_reached, n_authors = 0, 0
    for i in range(len(author) + 1):
        if i == len(author) or (i > 0 and author[i] != author[i - 1]):
            for cell in reached[:n_reached]:
                authors[cell] += 1
                for w in range(n_words):
                    if authors[cell] == 1:
                        first[cell, w] = ored[cell, w]
                    bits = ored[cell, w] ^ first[cell, w]
                    while bits:
                        differ[cell, 64 * w + trailing_zeros(bits)] += 1
                        bits &= bits - np.uint64(1)
                    ored[cell, w] = 0
            n_reached, n_authors = 0, n_authors + 1
            if i == len(author):
                break
        for level in range(cells.shape[1]):
            cell = cells[i, level]
            if last_author[cell] != n_authors:
                last_author[cell] = n_authors
                reached[n_reached] = cell
                n_reached += 1
            for w in range(n_words):
                ored[cell, w] |= masks[i, w]
    counts = differ
    for cell in range(n_cells):
        for b in range(64 * n_words):
            if (first[cell, b // 64] >> np.uint64(b % 64)) & np.uint64(1):
                counts[cell, b] = authors[cell] - differ[cell, b]
    return counts


@numba.njit(cache=True, nogil=True)
def _day_sums(author, day, cells, masks, counts, n_cells):
    """ored_day_sums' pass over the rows sorted by author and day; `cells` as in `_ored_bits`,
    `counts` each row's scored and marked posts per slot. Per author and day, each cell ORs
    the day's masks; when the day ends, each set bit adds a day to the author's count of that
    bit in the cell; each row adds its posts to the author's in its cells; when the author
    ends, each marker slot adds the author (where `d`, or `f`, is positive), its `d²`, `f²`
    and `f·d`, and its `s`, `m`, `s²`, `m²` and `m·s` to the cell's sums."""
    n_words = masks.shape[1]
    n_slots = counts.shape[1] // 2
    sums = np.zeros((n_cells, n_slots, 10), np.int64)
    posts = np.zeros((n_cells, n_slots, 2), np.int64)
    days = np.zeros((n_cells, 64 * n_words), np.int64)
    ored = np.zeros((n_cells, n_words), np.uint64)
    on_day = np.full(n_cells, -1, np.int64)
    by_author = np.full(n_cells, -1, np.int64)
    reached_day = np.empty(cells.size, np.int64)
    reached = np.empty(cells.size, np.int64)
    n_day, n_reached, n_days, n_authors = 0, 0, 0, 0
    for i in range(len(author) + 1):
        new_author = i == len(author) or (i > 0 and author[i] != author[i - 1])
        if new_author or (i > 0 and day[i] != day[i - 1]):
            for cell in reached_day[:n_day]:
                for w in range(n_words):
                    bits = ored[cell, w]
                    while bits:
                        days[cell, 64 * w + trailing_zeros(bits)] += 1
                        bits &= bits - np.uint64(1)
                    ored[cell, w] = 0
            n_day, n_days = 0, n_days + 1
        if new_author:
            for cell in reached[:n_reached]:
                for k in range(n_slots):
                    b = 64 * (k // 32) + 2 * (k % 32)
                    d, f = days[cell, b], days[cell, b + 1]
                    if d:
                        sums[cell, k, 0] += 1
                        sums[cell, k, 2] += d * d
                        sums[cell, k, 4] += f * d
                    if f:
                        sums[cell, k, 1] += 1
                        sums[cell, k, 3] += f * f
                    days[cell, b], days[cell, b + 1] = 0, 0
                    scored, marked = posts[cell, k, 0], posts[cell, k, 1]
                    sums[cell, k, 5] += scored
                    sums[cell, k, 6] += marked
                    sums[cell, k, 7] += scored * scored
                    sums[cell, k, 8] += marked * marked
                    sums[cell, k, 9] += marked * scored
                    posts[cell, k, 0], posts[cell, k, 1] = 0, 0
            n_reached, n_authors = 0, n_authors + 1
        if i == len(author):
            break
        for level in range(cells.shape[1]):
            cell = cells[i, level]
            if on_day[cell] != n_days:
                on_day[cell] = n_days
                reached_day[n_day] = cell
                n_day += 1
            if by_author[cell] != n_authors:
                by_author[cell] = n_authors
                reached[n_reached] = cell
                n_reached += 1
            for w in range(n_words):
                ored[cell, w] |= masks[i, w]
            for k in range(n_slots):
                posts[cell, k, 0] += counts[i, 2 * k]
                posts[cell, k, 1] += counts[i, 2 * k + 1]
    return sums
