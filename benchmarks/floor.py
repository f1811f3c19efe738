"""The floor: the fastest honest single-process path from a clean JSON Lines file of posts to
per-day × marker counts with distinct authors, written as Parquet.

    .venv/bin/python benchmarks/floor.py POSTS.jsonl -o OUT.parquet [--as-of YYYY-MM-DD] [--tz UTC]

polars reads the file in one call (`scan_ndjson`; a malformed line fails the whole file, so
the floor needs a clean corpus), validates, completes and filters posts with the same pure
expressions as the job (transforms.records, transforms.text), drops repeated ids, scores every
marker as `moodcast tag` does with no sentence model (transforms.model_markers.classify: the
compiled lexicon kernel, and the shipped n-gram heads on the texts whose decision needs them,
each distinct text once) and counts, per local day and marker, posts, marked posts, distinct
authors and distinct marked authors (raw author ids: distinct counts equal those of their
pseudonyms). No Beam, no dead letters, no pseudonyms, no roll-ups
by region or language, no warehouse: what `moodcast run` does beyond this is its overhead.
benchmarks/pipeline.py times `moodcast run` against it and checks that both give the same
`region = all, lang = all` counts.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transforms.contracts import ALL, MAX_TEXT_CHARS, RAW_POST_SCHEMA  # noqa: E402
from transforms.markers import load_markers, supported_languages  # noqa: E402
from transforms.model_markers import ModelConfig, classify  # noqa: E402
from transforms.text import (  # noqa: E402
    LanguageRule,
    complete_languages,
    primary_subtag,
)
from transforms.timestamp_parsing import local_day, parse_timestamps  # noqa: E402

COUNTS = ("n_posts", "n_marked", "n_authors", "n_marked_authors")


def kept_posts(path: Path, *, as_of: date, tz: str, languages: list[str]) -> pl.DataFrame:
    """Valid, kept posts (`id, day, lang, author_id, text`), first of each id in file order."""
    text = pl.col("text")
    present = [pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "") for c in RAW_POST_SCHEMA if c in ("id", "created_at", "text")]  # fmt: skip
    region = pl.col("region").str.strip_chars()
    read = (
        pl.scan_ndjson(path, schema=RAW_POST_SCHEMA)
        .filter(*present, text.str.len_chars() <= MAX_TEXT_CHARS)
        .collect()
    )
    created = parse_timestamps(read.get_column("created_at"), source_tz="UTC")
    posts = (
        read.with_columns(created.alias("created_utc"))
        .filter(pl.col("created_utc").is_not_null())
        .with_columns(
            local_day(pl.col("created_utc"), tz=tz).alias("day"),
            primary_subtag(pl.col("lang")).alias("lang"),
        )
        .filter(
            pl.col("day") <= as_of + timedelta(days=1),
            ~pl.col("is_repost").fill_null(False),
            region.is_null() | (region == "") | (region.str.to_lowercase() != ALL),
        )
        .select("id", "day", "lang", "author_id", "text")
    )
    posts = posts.with_columns(
        complete_languages(posts.get_column("lang"), posts.get_column("text"), LanguageRule())
    )
    return posts.filter(pl.col("lang").is_in(languages)).unique(
        "id", keep="first", maintain_order=True
    )


def floor(path: Path, out: Path, *, as_of: date, tz: str = "UTC") -> pl.DataFrame:
    """Count `path` per day × marker and write the counts to `out` (Parquet); return them."""
    markers = load_markers()
    posts = kept_posts(path, as_of=as_of, tz=tz, languages=sorted(supported_languages(markers)))
    hits = classify(posts, markers, config=ModelConfig(models={})).select(list(markers))
    counts = (
        pl.concat([posts.select("day", "author_id"), hits], how="horizontal")
        .unpivot(on=list(markers), index=["day", "author_id"], variable_name="marker")
        .drop_nulls("value")
        .group_by("day", "marker")
        .agg(
            pl.len().alias("n_posts"),
            pl.col("value").sum().alias("n_marked"),
            pl.col("author_id").drop_nulls().n_unique().alias("n_authors"),
            pl.col("author_id").filter("value").drop_nulls().n_unique().alias("n_marked_authors"),
        )
        .with_columns(pl.col(c).cast(pl.Int64) for c in COUNTS)
        .sort("day", "marker")
    )
    counts.write_parquet(out)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("posts", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 12, 1))
    parser.add_argument("--tz", default="UTC")
    args = parser.parse_args()
    start = time.perf_counter()
    counts = floor(args.posts, args.out, as_of=args.as_of, tz=args.tz)
    print(f"floor: {counts.height:,} day × marker rows in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
