"""The job's keying for the shuffles and its blocks (ingest.blocks), as functions."""

from datetime import date, timedelta

import apache_beam as beam
import polars as pl

from ingest.blocks import BLOCK_DAYS, IDS, WEEKS, blocks_of, key_posts
from ingest.spill import read_spilled
from transforms.periods import periods_of


def _decided(n: int, source: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [str(i % 50) for i in range(n)],
            "source": [source] * n,
            "line": list(range(1, n + 1)),
            "day": [date(2025, 1, 1) + timedelta(days=i % 60) for i in range(n)],
            "region": ["north"] * n,
            "lang": ["en"] * n,
            "author": [f"a{i % 7}" for i in range(n)],
            "key": [None] * n,
            "in_sample": [True] * n,
            "sad": [i % 3 == 0 for i in range(n)],
        },
        schema_overrides={"key": pl.UInt64},
    )


def test_every_copy_of_an_id_lands_in_one_shard_and_no_text_or_id_leaves_the_chunk(tmp_path):
    shards, blocks = {}, {}
    for source in ("a.jsonl", "b.jsonl"):
        posts = _decided(500, source)
        hashed = dict(zip(posts["line"], posts["id"].hash(seed=20211), strict=True))
        for item in key_posts(posts, markers=("sad",), spill_dir=str(tmp_path)):
            if isinstance(item, beam.pvalue.TaggedOutput):
                assert item.tag == IDS
                shard, (where, spilled) = item.value
                (ids,) = read_spilled([spilled])
                assert where == source and ids.columns == ["id", "line"]
                for ident, line in ids.iter_rows():
                    assert ident == hashed[line]
                    assert shards.setdefault(ident, shard) == shard
            else:
                block, (where, spilled) = item
                (rows,) = read_spilled([spilled])
                assert rows.columns == ["line", "day", "region", "lang", "author", "sad"]
                assert rows.schema["author"] == pl.UInt64
                for line, day in rows.select("line", "day").iter_rows():
                    blocks.setdefault((source, line), []).append((block, day))
    assert len(blocks) == 1000
    for copies in blocks.values():
        day = copies[0][1]
        own = day.toordinal() // BLOCK_DAYS
        first = day.toordinal() % BLOCK_DAYS == 0
        assert sorted(b for b, _ in copies) == ([own - 1, own] if first else [own])


def test_a_block_gets_every_day_of_the_weeks_starting_in_it():
    for day in (date(2024, 12, 29) + timedelta(days=i) for i in range(60)):
        blocks = blocks_of(day)
        assert blocks[-1] == day.toordinal() // BLOCK_DAYS
        for grain in WEEKS:
            (start,) = periods_of(day, grain)
            assert start.toordinal() // BLOCK_DAYS in blocks
        assert len(blocks) == (2 if day.weekday() == 6 and day.toordinal() % BLOCK_DAYS == 0 else 1)
