"""Cells for the tests of prevalence adjusted for marker error (test_quantify, test_rollups)."""

from datetime import date

import polars as pl


def cells(*rows):
    """Daily cells of one day and region `all`: each row `(lang, marker, marker_version,
    n_authors, n_marked_authors)`."""
    keys = ("lang", "marker", "marker_version", "n_authors", "n_marked_authors")
    return pl.DataFrame(
        [
            {"day": date(2025, 1, 1), "region": "all", **dict(zip(keys, row, strict=True))}
            for row in rows
        ]
    )
