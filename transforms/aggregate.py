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
    counted here from the pseudonyms rather than summed: posts are first summed per author
    (day × region × language × author; a roll-up merges an author's rows again), and a cell's
    distinct authors are its per-author rows with a scored, or marked, post. A marker with no
    source in a cell yields no row. Rows are sorted by the daily keys.
    """
    if not markers or posts.is_empty():
        return pl.DataFrame(schema=DAILY_SCHEMA)
    names = list(markers)
    by_author = posts.group_by("day", "region", "lang", "author").agg(
        pl.len().alias("_n"),
        *(pl.col(m).is_not_null().sum().alias(f"{m}\x1fscored") for m in names),
        *(pl.col(m).sum().alias(f"{m}\x1fmarked") for m in names),
    )
    by_author = by_author.with_columns(_rates(names, rates)).with_columns(
        pl.when(pl.col(f"{m}\x1frate").is_not_null())
        .then(pl.col(c))
        .otherwise(0)
        .alias(f"{m}\x1f{k}")
        for m in names
        for k, c in (("posts", "_n"), ("scored", f"{m}\x1fscored"), ("marked", f"{m}\x1fmarked"))
    )
    sums = [f"{m}\x1f{k}" for m in names for k in ("posts", "scored", "marked")]
    cells = []
    for kept in (("region", "lang"), ("lang",), ("region",), ()):
        rolled = [pl.lit(ALL).alias(c) for c in ("region", "lang") if c not in kept]
        authors = by_author
        if len(kept) < 2:
            authors = by_author.group_by("day", *kept, "author").agg(
                pl.col(sums).sum(), pl.col(_rate_columns(names)).min()
            )
        cells.append(
            authors.group_by("day", *kept)
            .agg(expr for name in names for expr in _cell_counts(name))
            .with_columns(rolled)
        )
    wide = pl.concat(cells, how="diagonal")
    counted = pl.concat(
        [
            wide.select(
                "day",
                "region",
                "lang",
                pl.lit(name).alias("marker"),
                pl.lit(marker.version).alias("marker_version"),
                *(pl.col(f"{name}\x1f{c}").alias(c) for c in _COUNTS),
            )
            for name, marker in markers.items()
        ]
    )
    return conform(
        counted.filter(pl.col("n_posts") > 0)
        .with_columns(pl.lit(run_id).alias("run_id"))
        .sort("day", "region", "lang", "marker"),
        DAILY_SCHEMA,
        name="daily aggregates",
    )


_COUNTS = ("n_posts", "n_scored", "n_marked", "n_authors", "n_marked_authors", "sample_rate")


def _rate_columns(names: list[str]) -> list[str]:
    return [f"{name}\x1frate" for name in names]


def _rates(names: list[str], rates: pl.DataFrame) -> list[pl.Expr]:
    """Each marker's sample rate in the row's language, null where it has no source there."""
    exprs = []
    for name, column in zip(names, _rate_columns(names), strict=True):
        own = rates.filter(pl.col("marker") == name)
        mapping = dict(zip(own["lang"], own["sample_rate"], strict=True))
        exprs.append(
            pl.col("lang")
            .replace_strict(mapping, default=None, return_dtype=pl.Float64)
            .alias(column)
        )
    return exprs


def _cell_counts(name: str) -> list[pl.Expr]:
    """One marker's counts over a cell's rows of per-author sums (`posts`, `scored`, `marked`:
    zero in languages where the marker has no source; `rate`, null there)."""
    scored = pl.col(f"{name}\x1fscored")
    marked = pl.col(f"{name}\x1fmarked")
    author = pl.col("author").is_not_null()
    exprs = [
        pl.col(f"{name}\x1fposts").sum(),
        scored.sum(),
        marked.sum(),
        ((scored > 0) & author).sum(),
        ((marked > 0) & author).sum(),
        pl.col(f"{name}\x1frate").min(),
    ]
    return [e.alias(f"{name}\x1f{c}") for e, c in zip(exprs, _COUNTS, strict=True)]
