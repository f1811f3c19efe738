"""Steps 2–4 of transforms.grains: complementary suppression on lines of weeks and of 8-week
totals, the shares of withheld weeks and 8-week periods past which a series is withheld whole,
and the complements remembered (transforms.remembered_complements) kept together."""

from __future__ import annotations

import polars as pl

from transforms.known_cells import zero_read
from transforms.privacy import protect_lines
from transforms.releases import SERIES_KEYS
from transforms.remembered_complements import KEPT

MAX_WITHHELD_SHARE = 0.02
"""A series with more of its weeks withheld than this is withheld whole by week (and given by
8-week periods): its withheld weeks are chosen by their own values (a week of 0 marked authors
meets k, one of 1–10 does not), so the weeks left would bias its means. The share is the one
forecasting accepts (transforms.series.MAX_WITHHELD_SHARE): too few weeks to move a mean."""

MAX_WITHHELD_EIGHT_WEEK_SHARE = 0.25
"""A series with more of its 8-week periods withheld than this is withheld whole: what would be
left is mostly its zero periods. Looser than MAX_WITHHELD_SHARE because a withheld 8-week period
is mostly a partial one at either end of the data (a few days, too few authors), and two years
hold 13–14 periods."""

BY_WEEK_LAST = 2**62
"""Added to the rank (transforms.known_cells.rank) of a series published by day or week on lines
of 8-week totals: complementary suppression withholds the 8-week cell of a series withheld
whole by week before the weeks of a series published by day or week, each kind in the order
of its rank (transforms.known_cells.rank: the fewest authors first, recorded and then known
periods last; docs/publishing.md step 4)."""


def _keep_complements(cells: pl.DataFrame) -> pl.DataFrame:
    """Complements remembered: on each line, the weeks an earlier release withheld under the
    total it published (`_kept_region`, `_kept_lang`: transforms.remembered_complements.remembered)
    are all taken coarser than days where one of them is, then all withheld where one of them is:
    published, the others' values (unchanged) with that release's total and the rest of its line
    would give it back, so a complement stays withheld while the cell it protected is, whatever else
    the line withholds now (late posts may add a small cell to it)."""
    for flag in ("_coarse", "_withheld"):
        cells = _all_together(cells, flag, _LINE_KEYS)
        cells = cells.with_columns(pl.col("_withheld") | (pl.col("_coarse") & ~pl.col("_week_ok")))
    return cells


def _all_together(frame: pl.DataFrame, flag: str, keys: tuple[str, ...]) -> pl.DataFrame:
    """`frame` with `flag` set on every remembered cell (`_kept_region`, `_kept_lang`) of a
    line (`keys` and the column the line fixes) where it is set on one of them."""
    for fixed, kept in KEPT.values():
        some = (pl.col(kept) & pl.col(flag)).any().over(*keys, fixed)
        frame = frame.with_columns(pl.col(flag) | (pl.col(kept) & some))
    return frame


_LINE_KEYS = ("marker", "marker_version", "period_start")


def protect_weeks(cells: pl.DataFrame) -> pl.DataFrame:
    """Steps 2 and 3 on the week cells (`_withheld`, `_coarse`), repeated until stable; a week
    in progress after a week of its series published whole is taken whole too (so withheld).
    Step 3's share leaves out the weeks in progress, and the withheld weeks `_held` by the
    record and those `_forced` by a line of 8-week totals (a week `_held` but published by
    day counts). A week is known on lines of weeks where a release published its counts
    (`_known`) or its flagged authors are read as 0 (`_zero_read`). On
    lines of weeks published coarser than days, a week is known where a reader holds a value of
    each of its days: each day's or a moved day's (`_known_on_days`; not its own cell's, which
    says nothing of its days), or its days' flagged authors, 0 where `_zero_read`. A withheld
    week `_known_whole` hides nothing (on lines of days, one `_known_days`): a line
    withholding nothing else needs no complement for it. The weeks remembered
    (transforms.remembered_complements.remembered) are taken coarser, and withheld, all together
    (`_keep_complements`)."""
    previous = pl.col("period_start").diff().over(SERIES_KEYS) == pl.duration(weeks=1)
    after_whole = (pl.col("_coarse") & ~pl.col("_withheld")).shift(1).over(SERIES_KEYS)
    while True:
        before = cells.select("_withheld", "_coarse")
        cells = cells.with_columns(
            pl.col("_coarse") | (pl.col("_open") & previous & after_whole).fill_null(False)
        )
        cells = protect_lines(
            cells.with_columns((pl.col("_known") | _zero_read(by_day=False)).alias("_weeks_known")),
            flag="_withheld",
            size="_rank",
            keys=_LINE_KEYS,
            known="_weeks_known",
            public="_known_whole",
        ).drop("_weeks_known")
        by_days = pl.col("_withheld") | ~pl.col("_coarse")
        cells = (
            protect_lines(
                cells.with_columns(
                    pl.col("_coarse") | pl.col("_withheld"),
                    ((pl.col("_known_on_days") & by_days) | _zero_read(by_day=True)).alias(
                        "_days_known"
                    ),
                    (pl.col("_known_days") & by_days).alias("_days_public"),
                ),
                flag="_coarse",
                size="_rank",
                keys=_LINE_KEYS,
                known="_days_known",
                public="_days_public",
            )
            .drop("_days_known", "_days_public")
            .with_columns(pl.col("_withheld") | (pl.col("_coarse") & ~pl.col("_week_ok")))
        )
        cells = _keep_complements(cells)
        excused = pl.col("_withheld") & (pl.col("_held") | pl.col("_forced"))
        ended = pl.col("_withheld").filter(~pl.col("_open") & ~excused)
        mostly = ended.mean().over(SERIES_KEYS).fill_null(0) > MAX_WITHHELD_SHARE
        cells = cells.with_columns(pl.col("_withheld") | mostly)
        cells = cells.with_columns(pl.col("_coarse") | pl.col("_withheld"))
        if cells.select("_withheld", "_coarse").equals(before):
            return cells


def _zero_read(*, by_day: bool) -> pl.Expr:
    """True for a week cell whose flagged authors, and so each of its days', a reader reads
    as 0 off a published cell with none that holds it: its own, or its roll-up's by region,
    by language or both (a roll-up with no flagged author has none in any child). Such a cell
    is its week published now (by day or whole), or before with its current counts
    (`_known_whole`), with none (`_zero`), or its 8-week cell with none, its series withheld
    whole by week (`_zero8`: published now or before); `by_day` (on lines of days), also a
    week published by day now with a day of none (`_zero_day`): that day's 0, taken for the
    whole week (withholding more, never less)."""
    published = (~pl.col("_withheld") & (~pl.col("_coarse") | pl.col("_week_ok"))) | pl.col(
        "_known_whole"
    )
    read = (pl.col("_zero") & published) | (
        pl.col("_zero8") & pl.col("_withheld").all().over(SERIES_KEYS)
    )
    if by_day:
        read = read | (pl.col("_zero_day") & ~pl.col("_coarse") & ~pl.col("_withheld"))
    return zero_read(read, "period_start")


def protect_eight_weeks(cells: pl.DataFrame, eight_cells: pl.DataFrame) -> pl.DataFrame:
    """Step 4: per series and 8-week period, `_gone` (the series is withheld whole by week),
    `_unknown` (some week of it withheld) and `_flag`: its 8-week total cannot be read off the
    release. A series withheld whole publishes its 8-week cells that meet k; complementary
    suppression then runs on lines of 8-week totals (a series published by day or week has a
    known total unless a week of it is withheld), and a series with more than
    MAX_WITHHELD_EIGHT_WEEK_SHARE of its 8-week cells withheld is withheld whole. A series
    published by week that a line still needs withheld comes back flagged with `_unknown`
    false. The share leaves out the 8-week period in progress and those `_held8` (their counts
    moved). The 8-week cells of series withheld whole each of whose weeks is remembered
    (transforms.remembered_complements.remembered) on a line (withheld under its roll-up's published
    total) are withheld all together there, as `_keep_complements` does for weeks, and withheld
    where a week of them is `_kept_back` (transforms.remembered_complements.remembered: one of its
    line's remembered weeks changed): their weeks' changes are their own."""
    lines = (
        cells.group_by(*SERIES_KEYS, "_start8")
        .agg(
            pl.col("_withheld").any().alias("_unknown"),
            pl.col("_withheld").all().alias("_gone"),
            *(pl.col(kept).all() for _, kept in KEPT.values()),
            pl.col("_kept_back").any().alias("_back8"),
        )
        .with_columns(pl.col("_gone").all().over(SERIES_KEYS))
        .with_columns(pl.col(kept) & pl.col("_gone") for _, kept in KEPT.values())
        .join(eight_cells, on=[*SERIES_KEYS, "_start8"], how="left")
        .with_columns(
            pl.when("_gone")
            .then(~pl.col("_ok8").fill_null(False) | pl.col("_back8"))
            .otherwise("_unknown")
            .alias("_flag"),
            (
                pl.col("_size8").fill_null(0) + pl.when("_gone").then(0).otherwise(BY_WEEK_LAST)
            ).alias("_size8"),
            (pl.col("_gone") & pl.col("_known8").fill_null(False)).alias("_known8"),
        )
        .sort(*SERIES_KEYS, "_start8")
    )
    keys = ("marker", "marker_version", "_start8")
    while True:
        before = lines.get_column("_flag")
        lines = protect_lines(
            lines, flag="_flag", size="_size8", keys=keys, known="_known8", public="_known8"
        )
        lines = _all_together(lines, "_flag", keys)
        ended = pl.col("_flag").filter(
            ~pl.col("_open8").fill_null(False) & ~pl.col("_held8").fill_null(False)
        )
        mostly = ended.mean().over(SERIES_KEYS).fill_null(0) > MAX_WITHHELD_EIGHT_WEEK_SHARE
        lines = lines.with_columns(pl.col("_flag") | (pl.col("_gone") & mostly))
        if lines.get_column("_flag").equals(before):
            return lines
