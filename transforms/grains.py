"""What a suppress-mode release may publish: per series and period, the finest grain meeting k.

For each series (`marker`, `region`, `lang`) and week (ISO or CDC epi-week, `week_grain`):

1. **Primary choice.** The week's days when every one of them is publishable
   (transforms.privacy.is_suppressed), else the week's own cell (distinct authors over the
   week, counted at ingest) when that is publishable, else the week is withheld.
2. **Complementary suppression** (transforms.privacy.protect_lines), at two levels, repeated
   until both hold: no line of cells (a roll-up and its children, across regions or
   languages) has exactly one withheld week, and none has exactly one week published coarser
   than days (else that series' days would follow from its roll-up's days minus its
   siblings'). A cell is moved from days to its week, or withheld, to close a line. The
   weeks an earlier release withheld under a line's total it published over a day of them
   (the whole week, or its days so far while it was in progress) are moved, and withheld, all together (`_keep_complements`: complements remembered), and
   withheld where one of them changed (or went) since (`_remembered`).
3. **Holes, withheld whole.** A series with more than MAX_WITHHELD_SHARE of its weeks
   withheld is withheld in every week (steps 2 and 3 repeat until stable): its withheld weeks
   are its low ones (1–10 marked authors), so the rest would overstate it.
4. **8-week cells for a series withheld whole** (transforms.periods.EIGHT_WEEKS: eight whole
   weeks of the week grain, distinct authors counted at ingest): such a series publishes its
   8-week cells that meet k instead, with complementary suppression on lines of 8-week totals
   (where one needs a series published by week withheld, its weeks in the period are, and do
   not count towards step 3's share); a series with more than MAX_WITHHELD_EIGHT_WEEK_SHARE of
   its 8-week periods withheld is withheld whole (steps 2–4 repeat until stable). The 8-week
   cells an earlier release withheld under a line's total it published are published only
   all together.

Across releases (transforms.releases: the record of the grains and counts earlier releases
published, the release's date and the writer's clock's day) the steps above offer only what
the releases before allow, on the days that have ended (`Release.ended`: every function here
leaves out the others); `release_record` gives the records after a release.

transforms.publish makes the release's tables of the grains chosen here. Derived statistics
never use this selection (see `transforms.series.derived_series`).
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from transforms.contracts import ALL
from transforms.periods import period_start
from transforms.privacy import is_suppressed, protect_lines
from transforms.releases import (
    SERIES_KEYS,
    Release,
    covered_weeks,
    eight_limits,
    held_periods,
    known_periods,
    known_weeks,
    moved_cells,
    next_record,
    public_weeks,
    rank,
    records_after,
    week_limits,
    withheld_since,
    zero_read,
)

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
"""Added to the rank (transforms.releases.rank) of a series published by day or week on lines
of 8-week totals: complementary suppression withholds the 8-week cell of a series withheld
whole by week before the weeks of a series published by day or week, each kind in the order
of its rank (transforms.releases.rank: the fewest authors first, recorded and then known
periods last; docs/publishing.md step 4)."""


def choose_grains(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> pl.DataFrame:
    """Per series and period: `choice` (`day`, `week`, `8week` or `withheld`) after steps 1–4
    above, within what `release` (transforms.releases.Release) allows, and the period's
    `grain` (the week grain, or its 8-week grain for a series taken by 8-week cells).

    `daily` follows DAILY_SCHEMA, `weeks` PERIOD_SCHEMA (rows of grains other than the week
    grain and its 8-week grain are ignored; without 8-week rows a series withheld whole stays
    withheld). Columns: SERIES_KEYS, `grain`, `period_start` (the period's first day),
    `choice`.
    """
    return chosen_cells(daily, weeks, release)[2]


def chosen_cells(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """`(daily, weeks, choice)`: the days and periods of `daily` and `weeks` that `release`
    sees (`Release.ended`, less the periods in progress holding no ended day of their series),
    and `choose_grains` of them, each found once, for the tables of the release
    (transforms.publish)."""
    daily, weeks = _ended(daily, weeks, release)
    moved = moved_cells(daily, weeks, release)
    return daily, weeks, _choose(daily, weeks, release, moved, _memory(daily, weeks, release))


Memory = tuple[pl.DataFrame, pl.DataFrame | None]
"""What a release remembers of the weeks earlier releases withheld under a line's total: the
covered weeks (transforms.releases.covered_weeks) and the weeks withheld since
(transforms.releases.withheld_since), found once per release (they depend on the counts,
which only the last step of `release_record` changes)."""


def _memory(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> Memory:
    """The Memory of `release` over `daily` and `weeks`."""
    return covered_weeks(release), withheld_since(daily, weeks, release)


def _choose(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    release: Release,
    moved: pl.DataFrame,
    memory: Memory,
) -> pl.DataFrame:
    """`choose_grains` with the `moved` cells (transforms.releases.moved_cells) of `daily`
    and `weeks` in `release` and its `memory` (`_memory`), both computed once by the
    caller."""
    eight_cells = _eight_cells(weeks, release, moved)
    cells = _week_cells(daily, weeks, release, moved, eight_cells, memory)
    while True:
        cells = _protect_weeks(cells)
        lines = _protect_eight_weeks(cells, eight_cells)
        forced = lines.filter(pl.col("_flag") & ~pl.col("_gone") & ~pl.col("_unknown"))
        if forced.is_empty():
            break
        cells = (
            cells.join(
                forced.select(*SERIES_KEYS, "_start8", pl.lit(True).alias("_now")),
                on=[*SERIES_KEYS, "_start8"],
                how="left",
                maintain_order="left",
            )
            .with_columns(pl.col("_forced") | pl.col("_now").fill_null(False))
            .with_columns(pl.col("_withheld") | pl.col("_forced"))
            .drop("_now")
        )
    choice = (
        pl.when(pl.col("_withheld"))
        .then(pl.lit("withheld"))
        .when(pl.col("_coarse"))
        .then(pl.lit("week"))
        .otherwise(pl.lit("day"))
    )
    by_weeks = cells.join(lines.filter("_gone"), on=SERIES_KEYS, how="anti").select(
        *SERIES_KEYS,
        pl.lit(release.week_grain).alias("grain"),
        "period_start",
        choice.alias("choice"),
    )
    by_eights = lines.filter("_gone").select(
        *SERIES_KEYS,
        pl.lit(release.eight).alias("grain"),
        pl.col("_start8").alias("period_start"),
        pl.when(pl.col("_flag"))
        .then(pl.lit("withheld"))
        .otherwise(pl.lit("8week"))
        .alias("choice"),
    )
    return pl.concat([by_weeks, by_eights]).sort(*SERIES_KEYS, "period_start")


def _week_cells(
    daily: pl.DataFrame,
    weeks: pl.DataFrame,
    release: Release,
    moved: pl.DataFrame,
    eight_cells: pl.DataFrame,
    memory: Memory,
) -> pl.DataFrame:
    """Step 1, per series and week: `_days_ok`, `_week_ok` (each within what `release`'s
    record, the `moved` cells (transforms.releases.moved_cells) and its date allow), `_open`
    (in progress), `_held` (its own cell meets k but the record or its move forbids it),
    `_size` (the week's authors), `_rank` (transforms.releases.rank), `_known`, `_known_whole`,
    `_known_days` and `_known_on_days` (transforms.releases.known_weeks: withheld last, after
    the roll-up; withheld and known whole, hiding nothing), `_zero` (its own cell has no
    flagged author), `_zero_day` (a day of it has none), `_zero8` (its 8-week cell has none
    and a release may publish it or published it: `_eight_cells`' `_zero8`, of
    `eight_cells`), `_start8` (its 8-week period), `_kept_region` and `_kept_lang` (withheld
    by an earlier release under its line's published total: `_remembered` of `memory`), and
    the first `_withheld`, `_coarse` and `_forced` (withheld for a line of 8-week totals: none
    yet) flags, and `_kept_back` (`_remembered`): such a week is withheld from the first."""
    on = [*SERIES_KEYS, "period_start"]
    publishable = ~is_suppressed(k=release.k)
    days = daily.with_columns(period_start(pl.col("day"), release.week_grain).alias("period_start"))
    by_week = days.group_by(on).agg(
        publishable.all().alias("_days_ok"),
        (pl.col("n_marked_authors") == 0).any().alias("_zero_day"),
    )
    week_cells = weeks.filter(pl.col("grain") == release.week_grain).select(
        *on,
        publishable.alias("_week_ok"),
        pl.col("n_authors").alias("_size"),
        (pl.col("n_marked_authors") == 0).alias("_zero"),
    )
    days_moved = (
        moved.filter(pl.col("grain") == "day")
        .select(*SERIES_KEYS, period_start(pl.col("period_start"), release.week_grain))
        .unique()
        .with_columns(pl.lit(True).alias("_days_moved"))
    )
    week_moved = moved.filter(pl.col("grain") == release.week_grain).drop("grain")
    cells = (
        by_week.join(week_cells, on=on, how="full", coalesce=True)
        .join(week_limits(release), on=on, how="left")
        .join(days_moved, on=on, how="left")
        .join(week_moved, on=on, how="left")
        .join(known_weeks(daily, weeks, release, moved), on=on, how="left")
        .with_columns(
            release.is_open(pl.col("period_start") + pl.duration(days=6)).alias("_open"),
            pl.col("_no_days").is_not_null().alias("_recorded"),
            pl.col("_no_days", "_no_whole", "_in_eight", "_days_moved", "_moved").fill_null(False),
        )
        .with_columns(
            (
                pl.col("_days_ok").fill_null(False) & ~pl.col("_no_days") & ~pl.col("_days_moved")
            ).alias("_days_ok"),
            (
                pl.col("_week_ok").fill_null(False)
                & ~pl.col("_no_whole")
                & ~pl.col("_moved")
                & ~pl.col("_open")
            ).alias("_week_ok"),
            (
                pl.col("_week_ok").fill_null(False)
                & (pl.col("_no_whole") | pl.col("_moved"))
                & ~pl.col("_in_eight")
            ).alias("_held"),
            pl.col("_size").fill_null(0),
            period_start(pl.col("period_start"), release.eight).alias("_start8"),
        )
        .with_columns(
            rank(pl.col("_size"), pl.col("_recorded"), pl.col("_known").fill_null(False)).alias(
                "_rank"
            )
        )
        .join(
            eight_cells.select(*SERIES_KEYS, "_start8", "_zero8"),
            on=[*SERIES_KEYS, "_start8"],
            how="left",
        )
        .with_columns(
            pl.col(
                "_known",
                "_known_whole",
                "_known_days",
                "_known_on_days",
                "_zero",
                "_zero8",
                "_zero_day",
            ).fill_null(False)
        )
        .pipe(_remembered, *memory)
        .drop("_no_days", "_no_whole", "_in_eight", "_recorded", "_days_moved", "_moved")
        .sort(*SERIES_KEYS, "period_start")
    )
    return cells.with_columns(
        ((~pl.col("_week_ok") & ~pl.col("_days_ok")) | pl.col("_kept_back")).alias("_withheld"),
        (~pl.col("_days_ok") | pl.col("_kept_back")).alias("_coarse"),
        pl.lit(False).alias("_forced"),
    )


_KEPT = {"region": ("lang", "_kept_region"), "lang": ("region", "_kept_lang")}
"""Per line axis (the column its roll-up is ALL in): the column it fixes, and the column of
its children's `_remembered` flags."""


def _remembered(
    cells: pl.DataFrame, covered: pl.DataFrame, since: pl.DataFrame | None
) -> pl.DataFrame:
    """`cells` with `_kept_region` and `_kept_lang`: the week is one no release published
    (not `_recorded`) of a child on its line by region (or by language) that an earlier
    release recorded withheld (`since`: transforms.releases.withheld_since; None, a record
    without withheld counts, older than schema version 16: every week no release published)
    and whose roll-up an earlier release published over a day of the week (`covered`:
    transforms.releases.covered_weeks): it was withheld beside that published total (as a
    small cell or a complement), and a reader holds the sum of the line's children so
    withheld. `_kept_back`: the week is so kept on a line where one of the weeks withheld
    changed since (`_changed_since`), its cells gone included: the counts kept are sets, not
    release by release, so one unchanged since the last release that withheld it may read as
    changed, and published, that release's total minus the others' values gives the changed
    one's value then; so all of them stay withheld."""
    on = [*SERIES_KEYS, "period_start"]
    if since is None:
        since = cells.select(*on, pl.lit(False).alias("_changed_since"))
    gone = since.join(cells, on=on, how="anti").filter("_changed_since")
    cells = cells.join(
        since.with_columns(pl.lit(True).alias("_before")), on=on, how="left"
    ).with_columns(pl.col("_before", "_changed_since").fill_null(False))
    back = pl.lit(False)
    for axis, (fixed, kept) in _KEPT.items():
        line = ["marker", "marker_version", fixed, "period_start"]
        totals = covered.filter(pl.col(axis) == ALL).select(*line, pl.lit(True).alias(kept))
        went = gone.filter(pl.col(axis) != ALL).select(*line, pl.lit(True).alias(f"_gone_{axis}"))
        cells = (
            cells.join(totals, on=line, how="left")
            .join(went.unique(), on=line, how="left")
            .with_columns(
                (
                    pl.col(kept).fill_null(False)
                    & (pl.col(axis) != ALL)
                    & ~pl.col("_recorded")
                    & pl.col("_before")
                ).alias(kept)
            )
        )
        changed = (pl.col(kept) & pl.col("_changed_since")).any().over(line)
        back = back | (pl.col(kept) & (changed | pl.col(f"_gone_{axis}").fill_null(False)))
    return cells.with_columns(back.alias("_kept_back")).drop(
        "_before", "_changed_since", "_gone_region", "_gone_lang"
    )


def _keep_complements(cells: pl.DataFrame) -> pl.DataFrame:
    """Complements remembered: on each line, the weeks an earlier release withheld under the
    total it published (`_kept_region`, `_kept_lang`: `_remembered`) are all taken coarser
    than days where one of them is, then all withheld where one of them is: published, the
    others' values (unchanged) with that release's total and the rest of its line would give
    it back, so a complement stays withheld while the cell it protected is, whatever else the
    line withholds now (late posts may add a small cell to it)."""
    for flag in ("_coarse", "_withheld"):
        cells = _all_together(cells, flag, _LINE_KEYS)
        cells = cells.with_columns(pl.col("_withheld") | (pl.col("_coarse") & ~pl.col("_week_ok")))
    return cells


def _all_together(frame: pl.DataFrame, flag: str, keys: tuple[str, ...]) -> pl.DataFrame:
    """`frame` with `flag` set on every remembered cell (`_kept_region`, `_kept_lang`) of a
    line (`keys` and the column the line fixes) where it is set on one of them."""
    for fixed, kept in _KEPT.values():
        some = (pl.col(kept) & pl.col(flag)).any().over(*keys, fixed)
        frame = frame.with_columns(pl.col(flag) | (pl.col(kept) & some))
    return frame


def _eight_cells(weeks: pl.DataFrame, release: Release, moved: pl.DataFrame) -> pl.DataFrame:
    """Step 4's 8-week cells, per series and 8-week period (`_start8`): `_ok8` (it meets k,
    has ended, and the record and its move allow it), `_size8` (its authors, ranked as a
    week's: transforms.releases.rank, recorded where it holds a recorded day, known where a
    release published its current counts; `_known8` the latter, withheld after the roll-up),
    `_open8`, `_held8` (it meets k but moved: transforms.releases.moved_cells), `_zero8` (it
    has no flagged author and is `_ok8` or `_known8`: published, it gives 0 for each of its
    weeks' and days' flagged authors)."""
    is_open = release.is_open(pl.col("period_end"))
    changed = pl.col("_moved").fill_null(False)
    known = pl.col("_known").fill_null(False)
    ok = ~is_suppressed(k=release.k) & ~pl.col("_no_whole").fill_null(False) & ~changed & ~is_open
    on = [*SERIES_KEYS, "period_start"]
    return (
        weeks.filter(pl.col("grain") == release.eight)
        .join(eight_limits(release), on=on, how="left")
        .join(moved, on=[*SERIES_KEYS, "grain", "period_start"], how="left")
        .join(known_periods(weeks, release, release.eight), on=on, how="left")
        .select(
            *SERIES_KEYS,
            pl.col("period_start").alias("_start8"),
            ok.alias("_ok8"),
            rank(pl.col("n_authors"), pl.col("_no_whole").is_not_null(), known).alias("_size8"),
            known.alias("_known8"),
            is_open.alias("_open8"),
            (~is_suppressed(k=release.k) & changed).alias("_held8"),
            ((pl.col("n_marked_authors") == 0) & (ok | known)).alias("_zero8"),
        )
    )


_LINE_KEYS = ("marker", "marker_version", "period_start")


def _protect_weeks(cells: pl.DataFrame) -> pl.DataFrame:
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
    withholding nothing else needs no complement for it. The weeks `_remembered` are taken
    coarser, and withheld, all together (`_keep_complements`)."""
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


def _protect_eight_weeks(cells: pl.DataFrame, eight_cells: pl.DataFrame) -> pl.DataFrame:
    """Step 4: per series and 8-week period, `_gone` (the series is withheld whole by week),
    `_unknown` (some week of it withheld) and `_flag`: its 8-week total cannot be read off the
    release. A series withheld whole publishes its 8-week cells that meet k; complementary
    suppression then runs on lines of 8-week totals (a series published by day or week has a
    known total unless a week of it is withheld), and a series with more than
    MAX_WITHHELD_EIGHT_WEEK_SHARE of its 8-week cells withheld is withheld whole. A series
    published by week that a line still needs withheld comes back flagged with `_unknown`
    false. The share leaves out the 8-week period in progress and those `_held8` (their counts
    moved). The 8-week cells of series withheld whole each of whose weeks is `_remembered` on
    a line (withheld under its roll-up's published total) are withheld all together there, as
    `_keep_complements` does for weeks, and withheld where a week of them is `_kept_back`
    (`_remembered`: one of its line's remembered weeks changed): their weeks' changes are
    their own."""
    lines = (
        cells.group_by(*SERIES_KEYS, "_start8")
        .agg(
            pl.col("_withheld").any().alias("_unknown"),
            pl.col("_withheld").all().alias("_gone"),
            *(pl.col(kept).all() for _, kept in _KEPT.values()),
            pl.col("_kept_back").any().alias("_back8"),
        )
        .with_columns(pl.col("_gone").all().over(SERIES_KEYS))
        .with_columns(pl.col(kept) & pl.col("_gone") for _, kept in _KEPT.values())
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


def release_record(daily: pl.DataFrame, weeks: pl.DataFrame, release: Release) -> Release:
    """`release` with the record, counts and shown cells after it publishes `daily` and
    `weeks`.

    The release is chosen after the record, and chosen again after the record with its own
    periods added (transforms.releases.next_record) until it publishes no period the record
    lacks, so that choosing it once more from the record it returns (a reader's, or a rerun's)
    gives the same release. Terminates: the record only grows, within the periods of the data,
    and a row only turns `withheld`. The moved cells (transforms.releases.moved_cells) are
    found once, as is the Memory (`_memory`): they depend on the counts, which only the last
    step changes. The counts gain those the release publishes its cells with
    (transforms.releases.published_cells), the withheld counts those of the weeks of child
    series it withholds (transforms.releases.withheld_cells), the shown cells the keys of
    the cells it shows, published or withheld, all as one release index
    (transforms.releases.records_after)."""
    daily, weeks = _ended(daily, weeks, release)
    moved = moved_cells(daily, weeks, release)
    held, public = held_periods(moved, release), public_weeks(daily, weeks, release, moved)
    memory = _memory(daily, weeks, release)
    while True:
        choice = _choose(daily, weeks, release, moved, memory)
        record = next_record(release.record, choice, held, public)
        if record.equals(release.record):
            break
        release = replace(release, record=record)
    counts, withheld, shown = records_after(release, daily, weeks, choice)
    return replace(release, counts=counts, withheld=withheld, shown=shown)


def _ended(
    daily: pl.DataFrame, weeks: pl.DataFrame, release: Release
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`daily`'s days and `weeks`' periods that a release sees (transforms.releases
    `Release.ended`), less the periods in progress that hold no ended day of their series: a
    series whose days so far are all open has no row for that period, not a withheld one."""
    daily, weeks = release.ended(daily), release.ended(weeks, start="period_start")
    if release.open_from is None:
        return daily, weeks
    keys = [*SERIES_KEYS, "grain", "period_start"]
    held = pl.concat(
        daily.select(
            *SERIES_KEYS,
            pl.lit(grain).alias("grain"),
            period_start(pl.col("day"), grain).alias("period_start"),
        )
        for grain in (release.week_grain, release.eight)
    )
    has_day = pl.struct(keys).is_in(held.select(pl.struct(keys)).to_series().implode())
    return daily, weeks.filter((pl.col("period_end") < release.open_from) | has_day)
