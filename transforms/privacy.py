"""Small-cell suppression and author pseudonymisation."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import polars as pl

from transforms.prevalence import PREVALENCE_COLUMNS

DEFAULT_K = 11
"""Smallest publishable count, as US public-health agencies use."""

SUPPRESSED_COLUMNS = (
    "n_posts",
    "n_scored",
    "n_marked",
    "n_authors",
    "n_marked_authors",
    *PREVALENCE_COLUMNS,
)


def is_suppressed(*, k: int = DEFAULT_K) -> pl.Expr:
    """True for a Daily aggregate cell too small to publish.

    A cell is suppressed when `0 < n_marked_authors < k` or `n_authors < k`. Posts without an
    author id count towards neither, so a cell made of them is suppressed.
    """
    marked = pl.col("n_marked_authors")
    return ((marked > 0) & (marked < k)) | (pl.col("n_authors") < k)


def suppress(daily: pl.DataFrame, *, k: int = DEFAULT_K) -> pl.DataFrame:
    """Publishable Daily aggregates: a `suppressed` column, and every count and prevalence of a
    suppressed cell set to null. Keys and versions stay. The input is not modified."""
    flag = is_suppressed(k=k)
    present = [column for column in SUPPRESSED_COLUMNS if column in daily.columns]
    return daily.with_columns(
        *(pl.when(flag).then(None).otherwise(pl.col(column)).alias(column) for column in present),
        flag.alias("suppressed"),
    )


def pseudonymise(author_id: str, *, key: bytes) -> str:
    """HMAC-SHA256 of an author id under `key`, hex. The same id and key give the same pseudonym."""
    return hmac.new(key, author_id.encode("utf-8"), hashlib.sha256).hexdigest()


DEFAULT_REGION_PATTERN = r"^[^\W\d_](?:[^\W\d]|[ .'’()_-]|\d{1,4}(?:[^\W\d]|[ .'’()_-]|$))*$"
"""A region name: starts with a letter, then letters, spaces, `.'’()_-`, and digits in runs of
at most four (so `ES-MD`, `Île-de-France`, `District 9` pass; ids and long numbers do not)."""
REGION_MAX_CHARS = 64


@dataclass(frozen=True)
class RegionRule:
    """Which `region` values may become keys of published cells. With a `vocabulary`, exactly
    those values (after trimming); otherwise values of at most REGION_MAX_CHARS characters
    that match `pattern` (a regular expression, Rust syntax). Any other value is published as
    `unknown`, so a mapping that routes an id or free text into `region` cannot leak it."""

    vocabulary: tuple[str, ...] = ()
    pattern: str = DEFAULT_REGION_PATTERN

    def allows(self, region: pl.Expr) -> pl.Expr:
        """True where the (trimmed) `region` may be published as it is."""
        if self.vocabulary:
            return region.is_in(sorted(self.vocabulary))
        return (region.str.len_chars() <= REGION_MAX_CHARS) & region.str.contains(self.pattern)
