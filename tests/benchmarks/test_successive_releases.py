"""benchmarks.successive_releases.overlaps counts only what a reader of two releases can
subtract to get below k (docs/privacy.md, "Successive releases" rule 4)."""

from datetime import date, timedelta

import polars as pl

from benchmarks.successive_releases import overlaps
from transforms.publish import PUBLISHED_SCHEMA

MONDAY = date(2025, 3, 3)


def _cell(grain: str, start: date, days: int, *, authors: int, marked: int) -> dict:
    """One published row of series (sadness, all, en, v1): `authors` authors and `marked`
    flagged over `days` days from `start`, each author-day a distinct author."""
    return {
        "marker": "sadness",
        "region": "all",
        "lang": "en",
        "marker_version": "v1",
        "grain": grain,
        "period_start": start,
        "period_end": start + timedelta(days=days - 1),
        "status": "published",
        "n_authors": authors,
        "n_marked_authors": marked,
        "n_author_days": authors,
        "n_marked_author_days": marked,
    }


def _release(*cells: dict) -> pl.DataFrame:
    return pl.DataFrame(list(cells), schema=PUBLISHED_SCHEMA)


def test_a_cell_republished_at_least_k_apart_is_no_overlap():
    """Monday published with 40 of 300 flagged, then with 52 of 312 (12 late authors, allowed
    by rule 4: the difference meets k). Before, every change of counts was counted as a day
    given back; only a change of 1 to k - 1 is."""
    first = _release(_cell("day", MONDAY, 1, authors=300, marked=40))
    apart = _release(_cell("day", MONDAY, 1, authors=312, marked=52))
    near = _release(_cell("day", MONDAY, 1, authors=301, marked=41))
    assert overlaps([first, apart, first]).is_empty()
    assert overlaps([first, near]).select("day", "cells").rows() == [(MONDAY, 2)]


def test_a_week_published_whole_and_by_day_overlaps_on_each_of_its_days():
    days = [_cell("day", MONDAY + timedelta(days=i), 1, authors=300, marked=40) for i in range(7)]
    whole = _release(_cell("iso_week", MONDAY, 7, authors=2100, marked=280))
    assert overlaps([_release(*days), whole]).height == 7
    assert overlaps([_release(*days), _release(*days)]).is_empty()
