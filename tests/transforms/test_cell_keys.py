"""The cell key that the release record tables and the published timelines share."""

import polars as pl

from transforms.publish import PUBLISHED_SCHEMA
from transforms.releases import COUNTS_SCHEMA, MOVED_COUNTS, RECORD_SCHEMA

CELL_KEY = [
    ("marker", pl.String),
    ("region", pl.String),
    ("lang", pl.String),
    ("marker_version", pl.String),
    ("grain", pl.String),
    ("period_start", pl.Date),
]
"""As on disk: `published_grains` since schema version 8, `published_counts` since 10,
`withheld_counts` since 16, and the exported timelines' first columns."""


def test_record_counts_and_timelines_begin_with_the_cell_key_in_its_order():
    for schema in (RECORD_SCHEMA, COUNTS_SCHEMA, PUBLISHED_SCHEMA):
        assert list(schema.items())[: len(CELL_KEY)] == CELL_KEY
    assert list(RECORD_SCHEMA)[len(CELL_KEY) :] == ["published_as"]
    assert list(COUNTS_SCHEMA)[len(CELL_KEY) :] == list(MOVED_COUNTS)
    assert list(PUBLISHED_SCHEMA)[len(CELL_KEY) : len(CELL_KEY) + 2] == ["period_end", "status"]
