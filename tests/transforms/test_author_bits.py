"""The compiled passes over authors' masks against the plain definition, written as loops: OR
each author's masks per period and cell (base cells and the three roll-ups), then count the
authors with each bit set."""

from collections import defaultdict
from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.author_bits import ored_bit_counts, ored_day_sums
from transforms.contracts import ALL

PERIOD = ["grain", "period_start"]
MASKS = ["\x1fmask0", "\x1fmask1"]
ROWS = st.lists(
    st.tuples(
        st.sampled_from(["iso_week", "epi_week"]),
        st.integers(0, 3),
        st.sampled_from(["north", "south", "east"]),
        st.sampled_from(["en", "es"]),
        st.integers(0, 5),
        *[st.one_of(st.sampled_from([0, 1, 6, 2**63, 2**64 - 1]), st.integers(0, 2**64 - 1))] * 2,
    ),
    min_size=1,
    max_size=60,
)


def _frame(rows, categorical: bool) -> pl.DataFrame:
    frame = pl.DataFrame(
        [(g, date(2025, 1, 6) + timedelta(days=7 * p), *rest) for g, p, *rest in rows],
        schema={"grain": pl.String, "period_start": pl.Date, "region": pl.String,
                "lang": pl.String, "author": pl.UInt64, MASKS[0]: pl.UInt64, MASKS[1]: pl.UInt64},
        orient="row",
    )  # fmt: skip
    return (
        frame.with_columns(pl.col("region", "lang").cast(pl.Categorical)) if categorical else frame
    )


def _ored(rows, *, keep_region: bool, keep_lang: bool) -> dict:
    ored: dict = defaultdict(lambda: [0, 0])
    for grain, period, region, lang, author, *masks in rows:
        key = (grain, period, region if keep_region else ALL, lang if keep_lang else ALL, author)
        ored[key] = [a | b for a, b in zip(ored[key], masks, strict=True)]
    return ored


@settings(max_examples=60, deadline=None)
@given(ROWS, st.booleans())
def test_bit_counts_are_the_authors_with_each_bit_in_their_ored_masks(rows, categorical):
    expected: dict = defaultdict(lambda: [0] * 128)
    for keep_region, keep_lang in ((True, True), (False, True), (True, False), (False, False)):
        for (*cell, _), masks in _ored(rows, keep_region=keep_region, keep_lang=keep_lang).items():
            counts = expected[tuple(cell)]
            for b in range(128):
                counts[b] += (masks[b // 64] >> (b % 64)) & 1
    cells, counts = ored_bit_counts(_frame(rows, categorical), PERIOD, MASKS)
    start = date(2025, 1, 6)
    got = {
        (g, (s - start).days // 7, r, lang): list(counts[i])
        for i, (g, s, r, lang) in enumerate(cells.iter_rows())
    }
    assert cells.schema["region"] == cells.schema["lang"] == pl.String
    assert got == dict(expected)


def test_cells_are_held_for_the_rows_reached_not_every_period_region_and_language():
    """A user's regions can be many (any name matching `region_pattern`): the passes hold the
    cells their rows reach, not periods × regions × languages of them (here 6,000³, more than
    any address space)."""
    n = 6_000
    frame = pl.DataFrame(
        {
            "day": pl.date_range(date(2000, 1, 1), date(2000, 1, 1) + timedelta(days=n - 1), eager=True),
            "region": [f"r{i}" for i in range(n)],
            "lang": [f"l{i}" for i in range(n)],
            "author": pl.Series(range(n), dtype=pl.UInt64),
            MASKS[0]: pl.Series([i % 4 for i in range(n)], dtype=pl.UInt64),
        }
    )  # fmt: skip
    cells, counts = ored_bit_counts(frame, ["day"], MASKS[:1])
    assert cells.height == 4 * n
    ones = pl.Series([i % 4 for i in range(n)]).repeat_by(4).explode()
    assert list(counts[:, 0]) == list(ones.to_numpy() & 1)


DAY_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["iso_week", "epi_week"]),
        st.integers(0, 2),
        st.integers(0, 6),
        st.sampled_from(["north", "south"]),
        st.sampled_from(["en", "es", "fr"]),
        st.integers(0, 4),
        *[st.one_of(st.sampled_from([0, 1, 2, 3, 2**63, 2**64 - 1]), st.integers(0, 2**64 - 1))]
        * 2,
        st.integers(0, 5),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=80,
)


def _posts(scored: int, marked: int, k: int) -> tuple[int, int]:
    """A row's scored and marked posts for slot `k`, from the two drawn for the row."""
    return scored + k % 3, marked * (k % 2)


@settings(max_examples=60, deadline=None)
@given(DAY_ROWS, st.booleans())
def test_day_sums_count_each_authors_days_per_bit_in_every_cell_as_loops_do(rows, categorical):
    """Per period, cell (roll-ups included) and marker slot: the authors whose masks OR-ed over
    the cell have the scored (marked) bit, and the sums of d², f², f·d, with d (f) an author's
    days whose masks, OR-ed over the day's rows in the cell, have the scored (marked) bit; and
    the sums of s, m, s², m², m·s, with s (m) the author's scored (marked) posts over the
    cell's rows."""
    n_slots = 40
    days: dict = defaultdict(lambda: [0, 0])
    posts: dict = defaultdict(lambda: [[0, 0] for _ in range(n_slots)])
    for grain, period, day, region, lang, author, *masks, scored, marked in rows:
        for cell_region in (region, ALL):
            for cell_lang in (lang, ALL):
                key = (grain, period, cell_region, cell_lang, author, day)
                days[key] = [a | b for a, b in zip(days[key], masks, strict=True)]
                for k in range(n_slots):
                    s, m = _posts(scored, marked, k)
                    posts[key[:-1]][k][0] += s
                    posts[key[:-1]][k][1] += m
    per_author: dict = defaultdict(lambda: [[0, 0] for _ in range(n_slots)])
    for (*cell, _day), masks in days.items():
        counts = per_author[tuple(cell)]
        for k in range(n_slots):
            for j in (0, 1):
                counts[k][j] += (masks[k // 32] >> (2 * (k % 32) + j)) & 1
    expected: dict = defaultdict(lambda: [[0] * 10 for _ in range(n_slots)])
    for (*cell, author), counts in per_author.items():
        sums = expected[tuple(cell)]
        for k, (d, f) in enumerate(counts):
            s, m = posts[(*cell, author)][k]
            values = (d > 0, f > 0, d * d, f * f, f * d, s, m, s * s, m * m, m * s)
            for j, value in enumerate(values):
                sums[k][j] += value
    counts = [f"n_{kind}_{k}" for k in range(n_slots) for kind in ("scored", "marked")]
    frame = pl.DataFrame(
        [(g, date(2025, 1, 6) + timedelta(days=7 * p), date(2025, 1, 6) + timedelta(days=7 * p + d), *rest,
          *(n for k in range(n_slots) for n in _posts(s, m, k)))
         for g, p, d, *rest, s, m in rows],
        schema={"grain": pl.String, "period_start": pl.Date, "day": pl.Date, "region": pl.String,
                "lang": pl.String, "author": pl.UInt64, MASKS[0]: pl.UInt64, MASKS[1]: pl.UInt64,
                **dict.fromkeys(counts, pl.UInt32)},
        orient="row",
    )  # fmt: skip
    if categorical:
        frame = frame.with_columns(pl.col("region", "lang").cast(pl.Categorical))
    cells, sums = ored_day_sums(frame, PERIOD, MASKS, counts)
    start = date(2025, 1, 6)
    got = {
        (g, (s - start).days // 7, r, lang): sums[i].tolist()
        for i, (g, s, r, lang) in enumerate(cells.iter_rows())
    }
    assert got == dict(expected)
