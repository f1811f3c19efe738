"""Small-cell suppression, complementary suppression and author pseudonymisation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from transforms.contracts import ALL, DAILY_COUNTS
from transforms.prevalence import AUTHOR_DAY_COUNTS, EFFECTIVE_TRIALS, PREVALENCE_COLUMNS
from transforms.quantify import ADJUSTED_COLUMNS

DEFAULT_K = 11
"""Smallest publishable count, as US public-health agencies use."""

SUPPRESSED_COLUMNS = (
    *DAILY_COUNTS,
    *AUTHOR_DAY_COUNTS,
    *PREVALENCE_COLUMNS,
    EFFECTIVE_TRIALS,
    *ADJUSTED_COLUMNS,
)


def is_suppressed(*, k: int = DEFAULT_K) -> pl.Expr:
    """True for a Daily aggregate cell too small to publish.

    A cell is suppressed when `0 < n_marked_authors < k` or `n_authors < k`. Posts without an
    author id count towards neither, so a cell made of them is suppressed.
    """
    marked = pl.col("n_marked_authors")
    return ((marked > 0) & (marked < k)) | (pl.col("n_authors") < k)


def suppress(
    daily: pl.DataFrame, *, k: int = DEFAULT_K, withheld: pl.Expr | None = None
) -> pl.DataFrame:
    """Publishable Daily aggregates: a `suppressed` column, and every count and prevalence of a
    suppressed cell set to null. A cell is suppressed where `is_suppressed(k=k)`; given
    `withheld` (a Boolean expression, e.g. a flag `protect_lines` extended from
    `is_suppressed`), where `withheld` is true instead. Keys and versions stay. The input is
    not modified."""
    flag = is_suppressed(k=k) if withheld is None else withheld
    present = [column for column in SUPPRESSED_COLUMNS if column in daily.columns]
    return daily.with_columns(
        *(pl.when(flag).then(None).otherwise(pl.col(column)).alias(column) for column in present),
        flag.alias("suppressed"),
    )


_IPAD = bytes(byte ^ 0x36 for byte in range(256))
_OPAD = bytes(byte ^ 0x5C for byte in range(256))


def pseudonyms(author_ids: pl.Series, *, key: bytes) -> pl.Series:
    """HMAC-SHA256 under `key`, hex, of every author id (a String Series; null stays null):
    the same id and key give the same pseudonym. Each distinct id is hashed once. The HMAC's
    inner and outer SHA-256 states are keyed once (RFC 2104, as `hmac` does) and copied per
    id: about half the CPU of `hmac.new` per id."""
    block = hashlib.sha256().block_size
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner, outer = hashlib.sha256(padded.translate(_IPAD)), hashlib.sha256(padded.translate(_OPAD))

    def one(author_id: str) -> str:
        digest = inner.copy()
        digest.update(author_id.encode("utf-8"))
        keyed = outer.copy()
        keyed.update(digest.digest())
        return keyed.hexdigest()

    distinct = author_ids.drop_nulls().unique()
    hashed = pl.Series([one(author_id) for author_id in distinct.to_list()], dtype=pl.String)
    return author_ids.replace_strict(distinct, hashed, default=None, return_dtype=pl.String)


LINE_AXES = (("region", "lang"), ("lang", "region"))
"""The two kinds of line in a table of cells: regions within a language (with their
`region = all` roll-up), and languages within a region (with `lang = all`)."""


def lonely_cells(cells: pl.DataFrame, *, flag: str, keys: tuple[str, ...]) -> pl.DataFrame:
    """The flagged cells that are the only flagged cell of some line (see `protect_lines`):
    what subtracting published siblings from a roll-up would give back. Columns: `keys`,
    `region`, `lang`; an audit of a release expects none."""
    found = []
    for _, fixed in LINE_AXES:
        line = [*keys, fixed]
        lonely = (
            cells.group_by(line)
            .agg(pl.col(flag).sum().alias("_flagged"), pl.len().alias("_cells"))
            .filter((pl.col("_flagged") == 1) & (pl.col("_cells") > 1))
        )
        found.append(
            cells.join(lonely.select(line), on=line, how="semi")
            .filter(pl.col(flag))
            .select(*keys, "region", "lang")
        )
    return pl.concat(found).unique().sort(*keys, "region", "lang")


def protect_lines(
    cells: pl.DataFrame,
    *,
    flag: str,
    size: str,
    keys: tuple[str, ...],
    known: str | None = None,
    public: str | None = None,
) -> pl.DataFrame:
    """Complementary suppression: `cells` with Boolean column `flag` (withheld) extended until
    no line that hides a value (holds a withheld cell that is not `public`) holds at most one
    withheld cell that is not `known`.

    A line is one marker and period (`keys`, e.g. `("marker", "period")`) along one of
    LINE_AXES: a roll-up and its children. Its roll-up is (close to) the sum of its children,
    so a line with one withheld cell would give that cell back by subtraction. `known` is a
    Boolean column, true where a reader holds a value of the cell from an earlier release that
    a subtraction in its line would use (its whole value, or a part, such as a week's day): a
    known cell withheld closes nothing, its earlier value standing for it. `public` is a
    Boolean column, true where a reader holds the cell's whole value (so it is known too): a
    public cell withheld hides nothing, so a line whose withheld cells are all public needs no
    complement. So a line is open where it holds a withheld cell that is not public and at
    most one that is not known; there the published child with the smallest `size` is
    withheld too (the roll-up only when no child is left, or when every child left is known
    and the roll-up is not; then the known cells, the roll-up among them, the smallest
    first), and lines are checked again until none is open or an open one has nothing left to
    withhold. Every column but `flag` is unchanged; rows stay in order.
    """
    none = pl.repeat(False, pl.len())
    whole = pl.col(public) if public else none
    last = (pl.col(known) if known else none) | whole
    hides = pl.col(flag) & ~whole
    out = cells
    while True:
        extra = []
        for rolled, fixed in LINE_AXES:
            line = [*keys, fixed]
            lonely = out.group_by(line).agg(
                hides.any().alias("_hiding"),
                (pl.col(flag) & ~last).sum().alias("_closing"),
                pl.len().alias("_cells"),
            )
            lonely = lonely.filter(
                pl.col("_hiding") & (pl.col("_closing") <= 1) & (pl.col("_cells") > 1)
            )
            chosen = (
                out.join(lonely.select(line), on=line, how="semi")
                .filter(~pl.col(flag))
                .sort((pl.col(rolled) == ALL) | last, last, size, rolled)
                .group_by(line, maintain_order=True)
                .first()
                .select(*keys, "region", "lang")
            )
            extra.append(chosen)
        found = pl.concat(extra).unique()
        if found.is_empty():
            return out
        out = (
            out.join(
                found.with_columns(pl.lit(True).alias("_also")),
                on=[*keys, "region", "lang"],
                how="left",
                maintain_order="left",
            )
            .with_columns((pl.col(flag) | pl.col("_also").fill_null(False)).alias(flag))
            .drop("_also")
        )


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
