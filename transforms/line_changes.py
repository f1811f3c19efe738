"""Rule 4 on a line: a roll-up's change between two releases net of its children's changes.

A roll-up (`region` or `lang` ALL) is the sum of its children along its line. Where a release
published the roll-up's cell and some of its children's, and a later release publishes them
again, a reader holding both subtracts: the roll-up's change minus the changes of the children
it knows in both releases is the change of the rest (the children the earlier release did not
publish: withheld ones, or a region backfilled after it, whose value then was 0). Each cell's
own change meeting k (transforms.moved_cells.moved_cells) does not bound that remainder: a
roll-up moved by 13 while a published child moved by exactly k = 11 gives a backfilled
region's 2. So a roll-up's cell is moved (held) where, against some earlier release that
published it, that remainder is 1 to k − 1 in some count.

Releases are paired by their index (the runs `release` to `last_release` in
transforms.releases.RELEASED_SCHEMA): rows recorded before it was kept (null) are not paired
here. A cell's value in a release is its own
published cell's counts, or, for author-day counts, the sum of the cells of a finer grain that
release published within it (a week's days, an 8-week period's weeks): what a reader holds.
A day with no cell in a week a release published by day, which that release published in
another series (it had ended), had no posts: its value then is 0, which a reader holds too.
So has a child with no cell at all in a release where it published the roll-up's (a region
backfilled after it), from the first release whose shown cells are recorded
(transforms.releases.SHOWN_SCHEMA, schema 18) on: a withheld child shows a row (its value
then unknown), an absent one none.
"""

from __future__ import annotations

import polars as pl

from transforms.contracts import ALL
from transforms.periods import EIGHT_WEEKS, PERIOD_DAYS, period_start
from transforms.privacy import is_suppressed

SUMMED = ("n_author_days", "n_marked_author_days")
"""The counts of a period that are sums of its parts' (a week's author-days of its days'
authors, an 8-week period's of its weeks')."""

_SERIES = ("marker", "region", "lang", "marker_version")
_KEY = [*_SERIES, "grain", "period_start"]
_AXES = {"region": "lang", "lang": "region"}
"""Per line axis (the column its roll-up is ALL in), the column the line fixes."""


def line_moved(
    cells: pl.DataFrame,
    stored: pl.DataFrame,
    held: pl.DataFrame,
    *,
    k: int,
    week_grain: str,
    counts: tuple[str, ...],
    shown: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The cells (`_KEY` columns) of roll-ups whose change since some earlier release, net of
    the changes of the children that release published on the same line (same grain and
    period), or showed no cell of (`shown`), and not held now, is 1 to k − 1 in one of
    `counts`.

    `cells`: the current cells (`_KEY` and `counts`: days with grain `day`, weeks, 8-week
    periods); `stored`: the cells releases published (`_KEY`, `counts`, and the run of
    releases that did, `release` to `last_release`; rows with a null `release` are left
    out); `held`: the cells (`_KEY`) held already for their own change
    (transforms.moved_cells.moved_cells): a roll-up so held, or one whose sum holds one, is not
    published now and needs no check; a child so held, or a day of a week that holds a held
    day, is not subtracted (a reader does not hold its value now: its change is the rest's).
    A child published then and gone now counts as 0 now. `shown`: the cells releases showed,
    published or withheld (transforms.releases.SHOWN_SCHEMA; None: none recorded); in a
    release from the first it holds on, a child with no shown cell overlapping a roll-up's
    cell that release published had none then, and counts as 0 then (`_absent_children`:
    its change is its current cell's counts, where that cell meets k on its own). Where the
    roll-up's value in that release is a sum of finer cells (it was published by day, or by
    week under an 8-week check), the first of them is returned: held, it leaves the sum
    unknown."""
    paired = _paired(stored.filter(pl.col("release").is_not_null()), week_grain, shown)
    paired = pl.concat([paired, _absent_days(paired, week_grain)])
    if paired.is_empty():
        return pl.DataFrame(schema={c: cells.schema[c] for c in _KEY})
    own = (
        paired.join(cells.select(*_KEY, *counts), on=_KEY, how="left", suffix="_now")
        .select(
            *_KEY,
            "release",
            *((pl.col(f"{c}_now").fill_null(0) - pl.col(c)).alias(c) for c in counts),
        )
        .unique([*_KEY, "release"])
    )
    weeks = _summed(own, "day", week_grain, counts)
    eights = _summed(pl.concat([own, weeks]), week_grain, EIGHT_WEEKS[week_grain], counts)
    changes = pl.concat([own, weeks, eights])
    if shown is not None:
        absent = _absent_children(changes, cells, shown, k=k, week_grain=week_grain)
        changes = pl.concat([changes, absent])
    unknown = _unknown_now(held, week_grain)
    known = _known_now(changes, unknown, week_grain)
    flagged = []
    for axis, fixed in _AXES.items():
        line = ["marker", "marker_version", fixed, "grain", "period_start", "release"]
        children = (
            known.filter(pl.col(axis) != ALL)
            .group_by(line)
            .agg(*(pl.col(c).sum().alias(f"{c}_parts") for c in counts))
        )
        rest = (pl.col(c) - pl.col(f"{c}_parts").fill_null(0) for c in counts)
        small = pl.any_horizontal(r.abs().is_between(1, k - 1) for r in rest)
        flagged.append(
            known.filter(pl.col(axis) == ALL)
            .join(children, on=line, how="left")
            .filter(small.fill_null(False))
            .select(*_KEY, "release")
        )
    return _held_cells(pl.concat(flagged).unique(), paired)


def _paired(
    stored: pl.DataFrame, week_grain: str, shown: pl.DataFrame | None = None
) -> pl.DataFrame:
    """`stored`'s rows, each once per release of its run (`release` to `last_release`) at which
    some run of its marker, version and 8-week period starts or ends (a run's `release`, or
    the one after its `last_release`; of `stored` or of `shown`, the cells releases showed):
    `release` that index, `last_release` dropped. Every cell a roll-up's check reads (its
    line's, the finer ones summed, the children it shows or not) is in its 8-week period, and
    none of their values changes between two such releases, so the check at those releases
    is the check at every release; a cell published with the same counts for a year is one
    row, not one per release."""
    window = ["marker", "marker_version", "_window"]
    in_window = period_start(pl.col("period_start"), EIGHT_WEEKS[week_grain]).alias("_window")
    stored = stored.with_columns(in_window)
    runs = [stored] if shown is None else [stored, shown.with_columns(in_window)]
    bounds = (
        pl.concat(
            r.select(*window, pl.concat_list("release", pl.col("last_release") + 1).alias("_at"))
            for r in runs
        )
        .explode("_at")
        .unique()
    )
    stored = stored.with_row_index("_row")
    at = (
        stored.select("_row", *window, "release", "last_release")
        .join(bounds, on=window)
        .filter(pl.col("_at").is_between("release", "last_release"))
        .select("_row", "_at")
    )
    return (
        stored.join(at, on="_row")
        .drop("_row", "release", "last_release", "_window")
        .rename({"_at": "release"})
    )


def _absent_days(paired: pl.DataFrame, week_grain: str) -> pl.DataFrame:
    """Rows of `paired`'s columns, every count 0, for the days a release published no cell of
    in a series' week it published by day, where it published that day in some series of the
    marker and version (so the day had ended): a week published by day shows each of its
    ended days that has a cell (one that cannot withholds its week), so a reader of that
    release holds the others' value, 0."""
    week = period_start(pl.col("period_start"), week_grain).alias("_week")
    days = paired.filter(pl.col("grain") == "day")
    ended = days.select("marker", "marker_version", "release", "period_start", week).unique()
    by_day = days.select(*_SERIES, "release", week).unique()
    return (
        by_day.join(ended, on=["marker", "marker_version", "release", "_week"])
        .join(days, on=[*_SERIES, "release", "period_start"], how="anti")
        .select(
            *(
                pl.lit("day").alias(c)
                if c == "grain"
                else pl.col(c)
                if c in (*_SERIES, "period_start", "release")
                else pl.lit(0, paired.schema[c]).alias(c)
                for c in paired.columns
            )
        )
    )


def _absent_children(
    changes: pl.DataFrame, cells: pl.DataFrame, shown: pl.DataFrame, *, k: int, week_grain: str
) -> pl.DataFrame:
    """Rows of `changes`' columns for the children of the roll-ups' cells `changes` holds, in
    the releases from the first `shown` holds on, that showed no cell of the child overlapping
    the roll-up's (`_overlapping`; a region backfilled after the release, say): a reader of
    that release reads the child as 0 there, so its change is its current cell's counts
    (`cells`), where that cell meets k on its own (one that does not is withheld now, and a
    reader cannot subtract its value). Releases before the first `shown` holds (recorded
    before schema version 18) add none: a child without a cell there counts as unknown."""
    first = shown.get_column("release").min()
    if first is None:
        return changes.clear()
    counts = changes.columns[len(_KEY) + 1 :]
    now = cells.filter(~is_suppressed(k=k)).select(*_KEY, *counts)
    children = []
    for axis, fixed in _AXES.items():
        line = ["marker", "marker_version", fixed, "grain", "period_start"]
        rollups = changes.filter(pl.col(axis) == ALL, pl.col("release") >= first)
        children.append(
            now.filter(pl.col(axis) != ALL).join(rollups.select(*line, "release").unique(), on=line)
        )
    on = [*_KEY, "release"]
    absent = pl.concat(children).unique(on).join(changes, on=on, how="anti")
    return absent.join(_overlapping(absent, shown, week_grain), on=on, how="anti").select(
        changes.columns
    )


def _overlapping(cells: pl.DataFrame, shown: pl.DataFrame, week_grain: str) -> pl.DataFrame:
    """The rows (`_KEY`, `release`) of `cells` that a cell of `shown` overlaps in their
    release (its run holds it): one of the same series holding the cell (the cell itself,
    or its week or 8-week period) or within it (a day or week of it). A shown cell of another
    week grain overlaps through its days."""
    own = ("day", week_grain, EIGHT_WEEKS[week_grain])
    length = pl.col("grain").replace_strict(PERIOD_DAYS, default=1, return_dtype=pl.Int64)
    other = (
        shown.filter(~pl.col("grain").is_in(own))
        .with_columns(
            pl.date_ranges("period_start", pl.col("period_start") + pl.duration(days=length - 1)),
            pl.lit("day").alias("grain"),
        )
        .explode("period_start")
    )
    runs = (
        pl.concat([shown.filter(pl.col("grain").is_in(own)), other])
        .join(cells.select(_SERIES).unique(), on=_SERIES, how="semi")
        .select(*_KEY, pl.col("release").alias("_from"), pl.col("last_release").alias("_to"))
    )
    cells = cells.select(*_KEY, "release")
    at = [*_SERIES, "_grain", "_start"]
    as_held = {"grain": "_grain", "period_start": "_start"}
    holding = _with_holders(cells, week_grain).join(runs.rename(as_held), on=at)
    within = cells.rename(as_held).join(_with_holders(runs, week_grain), on=at)
    return (
        pl.concat([holding.select(*_KEY, "release", "_from", "_to"),
                   within.select(*_SERIES, pl.col("_grain").alias("grain"),
                                 pl.col("_start").alias("period_start"), "release", "_from", "_to")])
        .filter(pl.col("release").is_between("_from", "_to"))
        .select(*_KEY, "release")
        .unique()
    )  # fmt: skip


def _with_holders(frame: pl.DataFrame, week_grain: str) -> pl.DataFrame:
    """`frame`'s rows (`grain`, `period_start`) with `_grain` and `_start`: each row once for
    itself and once for each coarser cell holding it (a day's week and 8-week period, a
    week's 8-week period)."""
    eight = EIGHT_WEEKS[week_grain]
    holders = (("day", week_grain), ("day", eight), (week_grain, eight))
    return pl.concat(
        [
            frame.with_columns(
                pl.col("grain").alias("_grain"), pl.col("period_start").alias("_start")
            ),
            *(
                frame.filter(pl.col("grain") == part).with_columns(
                    pl.lit(whole).alias("_grain"),
                    period_start(pl.col("period_start"), whole).alias("_start"),
                )
                for part, whole in holders
            ),
        ]
    )


def _summed(parts: pl.DataFrame, part: str, whole: str, counts: tuple[str, ...]) -> pl.DataFrame:
    """The changes of the `whole`-grain periods (a week grain, or its 8-week grain) that a
    release published no cell of but some `part`-grain cells within (`day`, or the week
    grain), from `parts` (changes per cell and release): their SUMMED counts added up (the
    others null)."""
    start = period_start(pl.col("period_start"), whole).alias("period_start")
    summed = (
        parts.filter(pl.col("grain") == part)
        .group_by(*_SERIES, start, "release")
        .agg(*(pl.col(c).sum() if c in SUMMED else pl.lit(None, pl.Int64).alias(c) for c in counts))
        .with_columns(pl.lit(whole).alias("grain"))
    )
    return summed.join(parts, on=[*_KEY, "release"], how="anti").select(parts.columns)


def _unknown_now(held: pl.DataFrame, week_grain: str) -> pl.DataFrame:
    """The cells (`_KEY`) a reader cannot add up now: the `held` ones, the weeks holding a
    held day and the 8-week periods holding a held day or week."""
    eight = EIGHT_WEEKS[week_grain]
    within = [
        held.filter(pl.col("grain").is_in(parts)).select(
            *_SERIES,
            pl.lit(whole).alias("grain"),
            period_start(pl.col("period_start"), whole).alias("period_start"),
        )
        for parts, whole in ((["day"], week_grain), (["day", week_grain], eight))
    ]
    return pl.concat([held.select(_KEY), *within]).unique()


def _known_now(changes: pl.DataFrame, unknown: pl.DataFrame, week_grain: str) -> pl.DataFrame:
    """The rows of `changes` whose cell a reader can hold now: not `unknown` (`_unknown_now`),
    nor a day of a week holding a held day (held, it withholds its week:
    transforms.moved_cells.held_periods)."""
    weeks = unknown.filter(pl.col("grain") == week_grain).select(*_SERIES, "period_start")
    week = period_start(pl.col("period_start"), week_grain)
    days = changes.filter(pl.col("grain") == "day").with_columns(week.alias("_week"))
    held_days = days.join(
        weeks.rename({"period_start": "_week"}), on=[*_SERIES, "_week"], how="semi"
    ).select(_KEY)
    return changes.join(unknown, on=_KEY, how="anti").join(held_days, on=_KEY, how="anti")


def _held_cells(flagged: pl.DataFrame, paired: pl.DataFrame) -> pl.DataFrame:
    """Per `flagged` cell, the cell (`_KEY`) that release published for it: its own, else the
    first of the finer ones its value was summed from (of the same series and release)."""
    length = {"day": 1, **PERIOD_DAYS}
    days = pl.col("grain").replace_strict(length, return_dtype=pl.Int64)
    inner = paired.select(*_SERIES, "release", "grain", "period_start", days.alias("_len"))
    return (
        flagged.with_columns(
            days.alias("_outer_len"),
            (pl.col("period_start") + pl.duration(days=days - 1)).alias("_end"),
        )
        .rename({"grain": "_outer", "period_start": "_start"})
        .join(inner, on=[*_SERIES, "release"])
        .filter(
            pl.col("period_start").is_between("_start", "_end"),
            pl.col("_len") <= pl.col("_outer_len"),
        )
        .sort("_len", "period_start", descending=[True, False])
        .unique([*_SERIES, "release", "_outer", "_start"], keep="first", maintain_order=True)
        .select(_KEY)
        .unique()
    )
