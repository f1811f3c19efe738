"""transforms.line_changes: a roll-up's change between two releases net of the changes of the
children the earlier release published on its line, on lines of 8-week totals and where a
value is a sum of finer cells (docs/privacy.md, "Successive releases", rule 4)."""

from datetime import date, timedelta

import polars as pl

from transforms.contracts import ALL
from transforms.line_changes import line_moved
from transforms.releases import COUNTS_SCHEMA, MOVED_COUNTS, RELEASE_RUN, RELEASED_SCHEMA

START = date(2024, 1, 1)  # a Monday, and the first day of an ISO 8-week period
K = 11
KEY = ["region", "grain", "period_start"]


def _cell(region: str, grain: str, start: date, authors: int, flagged: int) -> dict:
    """One cell of marker m, language en: `authors` authors and author-days, `flagged` of
    them flagged."""
    return {"marker": "m", "region": region, "lang": "en", "marker_version": "v",
            "grain": grain, "period_start": start, "n_authors": authors,
            "n_marked_authors": flagged, "n_author_days": authors,
            "n_marked_author_days": flagged}  # fmt: skip


def _cells(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=COUNTS_SCHEMA)


def _stored(rows: list[dict], release: int | None = 1) -> pl.DataFrame:
    run = (pl.lit(release, pl.Int64).alias(c) for c in RELEASE_RUN)
    return _cells(rows).with_columns(run).cast(RELEASED_SCHEMA)


def _moved(now: list[dict], then: list[dict], release: int | None = 1) -> list[tuple]:
    held = pl.DataFrame(
        schema={c: COUNTS_SCHEMA[c] for c in COUNTS_SCHEMA if c not in MOVED_COUNTS}
    )
    moved = line_moved(
        _cells(now), _stored(then, release), held, k=K, week_grain="iso_week", counts=MOVED_COUNTS
    )
    return sorted(moved.select(KEY).rows())


def test_an_eight_week_rollup_moved_by_a_published_childs_k_is_held():
    """On a line of 8-week totals: the roll-up's 8-week cell moves by 13, a's (published in
    the same earlier release) by exactly k, and d, which that release did not publish, holds
    the other 2: the roll-up is held. Where d moved by k too, it is not."""
    eight = "iso_8week"
    then = [_cell(ALL, eight, START, 600, 100), _cell("a", eight, START, 300, 50)]
    moved = [_cell(ALL, eight, START, 613, 113), _cell("a", eight, START, 311, 61)]
    assert _moved([*moved, _cell("d", eight, START, 2, 2)], then) == [(ALL, eight, START)]
    grown = [_cell(ALL, eight, START, 622, 122), _cell("a", eight, START, 311, 61)]
    assert _moved([*grown, _cell("d", eight, START, 11, 11)], then) == []


def test_a_child_published_by_day_counts_with_the_sum_of_its_days():
    """The roll-up's week published whole, a's by day: a's Monday gained exactly k flagged
    authors, the roll-up's week 13. A reader adds a's days up; the roll-up's week is held.
    Before the sums of days, a's week was unknown and the remainder 13."""
    week = "iso_week"
    days = [START + timedelta(days=i) for i in range(7)]
    then = [_cell(ALL, week, START, 400, 60), *(_cell("a", "day", d, 30, 5) for d in days)]
    now = [
        _cell(ALL, week, START, 413, 73),
        _cell("a", "day", days[0], 41, 16),
        *(_cell("a", "day", d, 30, 5) for d in days[1:]),
        _cell("d", week, START, 2, 2),
    ]
    assert _moved(now, then) == [(ALL, week, START)]


def test_a_rollup_published_by_day_is_held_by_its_first_day():
    """The roll-up published by day, a by week: the roll-up's Monday moved by 13, a's week by
    k. The roll-up's week, the sum of its days, is checked, and its first day is held (so is
    its week: transforms.moved_cells.held_periods)."""
    week = "iso_week"
    days = [START + timedelta(days=i) for i in range(7)]
    then = [*(_cell(ALL, "day", d, 60, 12) for d in days), _cell("a", week, START, 200, 40)]
    now = [
        _cell(ALL, "day", days[0], 73, 25),
        *(_cell(ALL, "day", d, 60, 12) for d in days[1:]),
        _cell("a", week, START, 211, 51),
    ]
    assert _moved(now, then) == [(ALL, "day", START)]


def test_counts_recorded_before_release_indexes_are_not_paired():
    """Rows without a release index (recorded before schema 17) are not paired."""
    eight = "iso_8week"
    then = [_cell(ALL, eight, START, 600, 100), _cell("a", eight, START, 300, 50)]
    now = [_cell(ALL, eight, START, 613, 113), _cell("a", eight, START, 311, 61)]
    assert _moved(now, then, release=None) == []
