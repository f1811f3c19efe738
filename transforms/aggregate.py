"""Daily aggregation with roll-ups, while author pseudonyms are still at hand."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from transforms.contracts import ALL, DAILY_SCHEMA, conform
from transforms.markers import Marker


def daily_aggregates(
    posts: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    run_id: str,
    rates: pl.DataFrame,
) -> pl.DataFrame:
    """Daily aggregates (DAILY_SCHEMA) of decided posts, with `region = all` and `lang = all`.

    `posts` holds every post of the days it covers (`day, region, lang, author` and one Boolean
    column per marker: its decision, null where the post was not scored). `rates` (`marker,
    lang, sample_rate`, from transforms.model_markers.sample_rates) lists the languages in which
    each marker has a source and the share of posts scored there. `n_posts` counts a cell's
    posts in those languages; `n_scored`, `n_authors` and the marked counts are taken over the
    scored ones; a roll-up's `sample_rate` is its lowest.
    Distinct author counts are exact at every grain, roll-ups included, because they are
    counted here from the pseudonyms rather than summed. A marker with no source in a cell
    yields no row. Rows are sorted by the daily keys.
    """
    if not markers or posts.is_empty():
        return pl.DataFrame(schema=DAILY_SCHEMA)
    long = posts.unpivot(
        on=list(markers),
        index=["day", "region", "lang", "author"],
        variable_name="marker",
        value_name="hit",
    ).join(rates, on=["marker", "lang"], how="inner")
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
    scored = pl.col("hit").is_not_null()
    counted = (
        grains.group_by("day", "region", "lang", "marker")
        .agg(
            pl.len().alias("n_posts"),
            scored.sum().alias("n_scored"),
            pl.col("hit").sum().alias("n_marked"),
            pl.col("author").filter(scored).drop_nulls().n_unique().alias("n_authors"),
            pl.col("author")
            .filter(pl.col("hit"))
            .drop_nulls()
            .n_unique()
            .alias("n_marked_authors"),
            pl.col("sample_rate").min(),
        )
        .join(versions, on="marker")
        .with_columns(pl.lit(run_id).alias("run_id"))
        .sort("day", "region", "lang", "marker")
    )
    return conform(counted, DAILY_SCHEMA, name="daily aggregates")
