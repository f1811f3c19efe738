"""transforms.line_changes pairs releases by their runs (`release` to `last_release`) without
expanding each run to every release in it: on random runs, the cells it holds are the ones
it holds with every run cut into single releases (one row per cell and release, as a reader
expanding the runs pairs them)."""

import random
from datetime import date, timedelta

import polars as pl

from transforms.contracts import ALL
from transforms.line_changes import line_moved
from transforms.releases import COUNTS_SCHEMA, MOVED_COUNTS, RELEASED_SCHEMA

START = date(2024, 1, 1)  # a Monday, and the first day of an ISO 8-week period
K = 11
RELEASES = 40
KEY = list(COUNTS_SCHEMA)[:6]


def _cells(rng: random.Random) -> list[tuple]:
    """Cells of marker m over regions all, a, b, c × languages all, en, es: 14 days, their 2
    weeks and the 8-week period."""
    periods = [("day", START + timedelta(days=i)) for i in range(14)]
    periods += [("iso_week", START), ("iso_week", START + timedelta(days=7))]
    periods += [("iso_8week", START)]
    return [
        ("m", region, lang, "v", grain, start)
        for region in (ALL, "a", "b", "c")
        for lang in (ALL, "en", "es")
        for grain, start in periods
        if rng.random() < 0.8
    ]


def _counts(rng: random.Random) -> dict[str, int]:
    return {c: rng.choice([30, 35, 41, 44, 52]) for c in MOVED_COUNTS}


def _case(seed: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Current cells, their runs of releases (each cell published in runs of 1 to RELEASES
    releases with counts k apart or not) and cells held (KEY): random, from `seed`."""
    rng = random.Random(seed)
    now, runs, held = [], [], []
    for cell in _cells(rng):
        now.append(dict(zip(KEY, cell, strict=True)) | _counts(rng))
        first = 1
        while first <= RELEASES:
            last = rng.randint(first, RELEASES)
            if rng.random() < 0.7:
                run = {"release": first, "last_release": last}
                runs.append(dict(zip(KEY, cell, strict=True)) | _counts(rng) | run)
            first = last + rng.randint(1, 9)
        if rng.random() < 0.05:
            held.append(dict(zip(KEY, cell, strict=True)))
    keys = {c: COUNTS_SCHEMA[c] for c in KEY}
    return (
        pl.DataFrame(now, schema=COUNTS_SCHEMA),
        pl.DataFrame(runs, schema=RELEASED_SCHEMA),
        pl.DataFrame(held, schema=keys),
    )


def _moved(cells: pl.DataFrame, stored: pl.DataFrame, held: pl.DataFrame) -> list[tuple]:
    moved = line_moved(cells, stored, held, k=K, week_grain="iso_week", counts=MOVED_COUNTS)
    return sorted(moved.rows())


def _single(runs: pl.DataFrame) -> pl.DataFrame:
    """`runs` cut into one row per release."""
    each = pl.int_ranges("release", pl.col("last_release") + 1)
    return (
        runs.with_columns(each.alias("release"))
        .explode("release")
        .with_columns(pl.col("release").alias("last_release"))
    )


def test_runs_hold_the_cells_their_single_releases_hold():
    held_any = 0
    for seed in range(40):
        cells, runs, held = _case(seed)
        expected = _moved(cells, _single(runs), held)
        assert _moved(cells, runs, held) == expected, f"seed {seed}"
        held_any += bool(expected)
    assert held_any >= 10, "the random runs hold cells"


def test_a_release_after_a_childs_run_ended_is_checked():
    """The roll-up and b published by releases 1 to 5, a and c only by 1 and 2: since then the
    roll-up moved by 3, a by 14 and c by −11. Against releases 1 and 2 the roll-up's change net
    of its children's is 0; against 3 to 5, which published neither a nor c, it is 3: held."""
    cell = dict(zip(KEY, ("m", ALL, "en", "v", "iso_week", START), strict=True))
    then = {ALL: (100, 5), "a": (50, 2), "b": (30, 5), "c": (20, 2)}
    moved = {ALL: 3, "a": 14, "b": 0, "c": -11}
    now, runs = [], []
    for region, (value, last) in then.items():
        key = cell | {"region": region}
        now.append(key | dict.fromkeys(MOVED_COUNTS, value + moved[region]))
        runs.append(key | dict.fromkeys(MOVED_COUNTS, value) | {"release": 1, "last_release": last})
    cells = pl.DataFrame(now, schema=COUNTS_SCHEMA)
    stored = pl.DataFrame(runs, schema=RELEASED_SCHEMA)
    held = pl.DataFrame(schema={c: COUNTS_SCHEMA[c] for c in KEY})
    expected = [("m", ALL, "en", "v", "iso_week", START)]
    assert _moved(cells, stored, held) == _moved(cells, _single(stored), held) == expected
