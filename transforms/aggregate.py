"""Daily aggregation with roll-ups, while author pseudonyms are still at hand."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from transforms.contracts import ALL, DAILY_SCHEMA, conform
from transforms.markers import Marker


def daily_aggregates(
    posts: pl.DataFrame, markers: Mapping[str, Marker], *, run_id: str
) -> pl.DataFrame:
    """Daily aggregates (DAILY_SCHEMA) of tagged posts, with `region = all` and `lang = all`.

    `posts` holds every post of the days it covers (`day, region, lang, author` and one Boolean
    column per marker, null where the marker has no source in the post's language). Distinct
    author counts are exact at every grain, roll-ups included, because they are counted here from
    the pseudonyms rather than summed. A marker never evaluated in a cell yields no row. Rows are
    sorted by the daily keys.
    """
    if not markers or posts.is_empty():
        return pl.DataFrame(schema=DAILY_SCHEMA)
    long = posts.unpivot(
        on=list(markers),
        index=["day", "region", "lang", "author"],
        variable_name="marker",
        value_name="hit",
    ).filter(pl.col("hit").is_not_null())
    grains = pl.concat(
        [
            long,
            long.with_columns(pl.lit(ALL).alias("region")),
            long.with_columns(pl.lit(ALL).alias("lang")),
            long.with_columns(pl.lit(ALL).alias("region"), pl.lit(ALL).alias("lang")),
        ]
    )
    versions = pl.DataFrame(
        {"marker": list(markers), "marker_version": [m.version for m in markers.values()]}
    )
    counted = (
        grains.group_by("day", "region", "lang", "marker")
        .agg(
            pl.len().alias("n_posts"),
            pl.col("hit").sum().alias("n_marked"),
            pl.col("author").drop_nulls().n_unique().alias("n_authors"),
            pl.col("author")
            .filter(pl.col("hit"))
            .drop_nulls()
            .n_unique()
            .alias("n_marked_authors"),
        )
        .join(versions, on="marker")
        .with_columns(
            pl.col("n_posts").alias("n_scored"),
            pl.lit(1.0).alias("sample_rate"),
            pl.lit(run_id).alias("run_id"),
        )
        .sort("day", "region", "lang", "marker")
    )
    return conform(counted, DAILY_SCHEMA, name="daily aggregates")
