"""An attacker against successive suppress-mode releases, on random scenarios (fuzz).

    python -m benchmarks.release_fuzz [--seeds 60] [--regions 6] [--weeks 50 52 54] [--write]

Per seed, one random scenario (`scenario`): marker `sadness`, `--regions` regions × languages
en and es with their roll-ups (`region = all`, `lang = all`, both), daily authors and flagged
authors drawn per leaf (sizes log-uniform from a few authors a day to a few hundred, shares
1–15 %; the last region's leaves the largest, LAST_SIZE and LAST_SHARE), released `len(--weeks)` times with growing history (each release's data ends on a
Sunday, `--weeks` whole ISO weeks from 2024-01-01). Before each release after the first, late
posts change past days: a few small cells (0 < flagged < k) grow by k to 2k − 1 flagged
authors while their siblings stay unchanged (the textbook cross-release leak: half of them the
one small day of a week, half a day of a small week), a few cells gain 1–3 authors, and a few
days of small weeks 1–3 flagged authors (late authors of a withheld cell). Each
seed is drawn twice (FAMILIES): with the last region appearing only from the second release,
with its past weeks (a backfill), and with it there from the first (the same daily draws).
Each author-day is a distinct author, so every count adds up over regions,
languages and days (what transforms.privacy treats roll-ups as: conservative).

Two ways to publish the same releases:

- **product**: a real warehouse file per seed, written as a batch run writes it
  (`warehouse.load.load_daily`, `load_periods`, a `runs` row with the release's `as_of`,
  `warehouse.releases.record_release`), read back as every reader reads it
  (`warehouse.queries.published`, k = 11, ISO weeks);
- **naive** (the peer): each release published on its own with no record
  (transforms.publish.published_timelines with an empty record, the same `as_of`).

The attacker (`recoveries`) holds every release's published rows (`n_marked_author_days`:
a day's flagged authors, a period's flagged author-days) and solves, per release, the exact
equations the cells obey: a roll-up is the sum of its children along each line (regions within
a language, languages within a region), over days, weeks and 8-week periods alike, and a week
(8-week period) is the sum of its days (weeks). **Within** a release it solves them to a fixed
point from that release's published rows alone. **Across** releases it takes each equation of
release r whose other members all have a value, from release r's solved cells or, where none,
from the solved cells of another release r' (each r' in turn, then all of them, the latest
value of each cell first): a roll-up of release r minus children values published in any
release, or a week minus days another release published. And it subtracts each equation in
two releases r and r' member by member (`differences`): a member with no cell in r' (a region
backfilled after it) counts 0 there, one whose values in r and r' are not both known is taken
unchanged, and where the known differences do not add up to 0 (a roll-up's day in r minus the
same day in r', say), the member with no value in r but one in r' (0 for the backfilled
region) takes the rest. It reports each exact recovery of a true small cell value (0 < v < k,
never published: every published cell meets k) of a release, and each exact recovery of a
true small change (0 < |change| < k: a few late authors) of a cell between two releases
(`changed`): an equation subtracted in both releases member by member as above gives the
change of a member with a cell in both whose change is not known (withheld in one or both),
the other such members taken unchanged (roll-up +43, a backfilled region's published 40
against 0 before, c withheld in both: c gained 3 late authors). The naive peer must show the
cross-release leaks (proof that the attacker works). Utility: withheld rows over the releases,
those of `all`/`all`, the seeds where `all`/`all` has at least 10 weeks withheld in some
release; and benchmarks.successive_releases.overlaps (days two releases publish in cells a
reader can subtract, other grains or counts 1 to k − 1 apart).

Limits: across releases the attacker takes one step (it does not solve to a fixed point over
guessed values); its differences guess that every member it does not know in both releases is
unchanged (only exactly known differences are provably no stronger than solving each release
alone: a member's difference is known only where both its values are, and an equation whose
other members are all known in both releases already gives the last one within each), and
count only where the guess gives the true value; it attacks flagged counts only (not a cell whose authors are under k), and knows
no cell's value beyond what releases publish (no outside sums, no multi-equation elimination
beyond the one-unknown steps above).

About 3 CPU s a seed and family (two thirds of it the warehouse writes and reads).
`--write` writes the `release-fuzz` section of benchmarks/RESULTS.md. Counts only; no text.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.period_cells import period_cells
from benchmarks.results import write_section
from benchmarks.successive_releases import overlaps
from transforms.contracts import ALL, DAILY_SCHEMA, conform
from transforms.periods import EIGHT_WEEKS, period_start
from transforms.privacy import DEFAULT_K
from transforms.publish import published_timelines
from transforms.releases import Release
from warehouse import queries
from warehouse.ledger import RunRecord, record_run
from warehouse.load import load_daily, load_periods
from warehouse.releases import record_release
from warehouse.store import open_published, writing

START = date(2024, 1, 1)  # a Monday
LANGS = ("en", "es")
WEEK, EIGHT = "iso_week", EIGHT_WEEKS["iso_week"]
GROWN, NUDGED, TRICKLED = 3, 4, 2
"""Late posts before each release after the first: small cells grown past k, cells nudged by
1–3 authors, small cells of small weeks given 1–3 more flagged authors."""
LAST_SIZE, LAST_SHARE = 400, 0.1
"""The last region's leaves' authors a day and flagged share: the largest, so that backfilled
they are published by day (a reader holds their days, 0 before the backfill)."""
ALL_WITHHELD_WEEKS = 10
CELL = ["region", "lang", "grain", "period_start"]
HOW = {"within": 0, "across": 1, "difference": 2}
"""The ways the attacker recovers a cell (`recoveries`), in order: a cell recovered several ways
counts under the first (`difference`: only cells the others miss)."""


@dataclass(frozen=True)
class Cut:
    """One release's data: its date (`as_of`, the Monday after its last day), its daily cells
    (DAILY_SCHEMA, leaves and roll-ups) and their weeks' and 8-week periods' (PERIOD_SCHEMA)."""

    as_of: date
    daily: pl.DataFrame
    periods: pl.DataFrame


def scenario(seed: int, *, regions: int = 6, weeks: tuple[int, ...] = (50, 52, 54),
             k: int = DEFAULT_K, backfill: bool = True) -> list[Cut]:  # fmt: skip
    """The releases of seed `seed` (see the module's docstring); with `backfill`, the last
    region's leaves have no cell in the first release (the same daily draws either way)."""
    rng = np.random.default_rng(seed)
    leaves = [(f"r{i}", lang) for i in range(regions) for lang in LANGS]
    days = max(weeks) * 7
    size = np.exp(rng.uniform(np.log(3), np.log(400), len(leaves)))
    share = np.exp(rng.uniform(np.log(0.01), np.log(0.15), len(leaves)))
    last = np.array([region == f"r{regions - 1}" for region, _ in leaves])
    size[last], share[last] = LAST_SIZE, LAST_SHARE
    authors = rng.poisson(size[:, None], (len(leaves), days))
    marked = rng.binomial(authors, share[:, None])
    backfilled = last & backfill
    cuts = []
    for i, n_weeks in enumerate(weeks):
        if i:
            past = weeks[i - 1] * 7
            _late_posts(rng, authors, marked, ~backfilled, past=past, k=k)
        shown = np.ones(len(leaves), bool) if i else ~backfilled
        kept = [leaf for leaf, show in zip(leaves, shown, strict=True) if show]
        cuts.append(cut_of(kept, authors[shown, : n_weeks * 7], marked[shown, : n_weeks * 7]))
    return cuts


def cut_of(leaves: list[tuple[str, str]], authors: np.ndarray, marked: np.ndarray) -> Cut:
    """The release of `leaves` ((region, language) pairs) with `authors` and `marked` flagged
    authors (arrays: one row per leaf, one column per day from START, whole weeks), and
    their roll-ups; its date is the day after its last."""
    daily = _daily(leaves, authors, marked)
    return Cut(START + timedelta(days=authors.shape[1]), daily, period_cells(daily))


def _late_posts(rng, authors, marked, eligible, *, past: int, k: int) -> None:
    """Late posts on the first `past` days (whole weeks), in place. GROWN small cells of
    `eligible` leaves gain k to 2k − 1 flagged authors: about half of them the only day of its
    week with 0 < flagged < k, the others a day with a flagged author of a small week
    (0 < flagged author-days < k); NUDGED cells gain 1–3 authors (some flagged); TRICKLED
    days with a flagged author of a small week of `eligible` leaves gain 1–3 flagged authors
    (late authors of a withheld cell)."""
    by_week = marked[:, :past].reshape(marked.shape[0], -1, 7)
    small_day = (by_week > 0) & (by_week < k)
    week_total = by_week.sum(axis=2)
    lone = small_day & (small_day.sum(axis=2, keepdims=True) == 1)
    thin = ((week_total > 0) & (week_total < k))[:, :, None] & (by_week > 0)
    for pool, count in ((lone, GROWN - GROWN // 2), (thin, GROWN // 2)):
        cells = np.argwhere(pool & eligible[:, None, None])
        for leaf, week, weekday in cells[rng.choice(len(cells), min(count, len(cells)),
                                                    replace=False)]:  # fmt: skip
            grown = rng.integers(k, 2 * k)
            authors[leaf, week * 7 + weekday] += grown
            marked[leaf, week * 7 + weekday] += grown
    for _ in range(NUDGED):
        leaf, day = rng.integers(authors.shape[0]), rng.integers(past)
        extra = rng.integers(1, 4)
        authors[leaf, day] += extra
        marked[leaf, day] += rng.integers(0, extra + 1)
    cells = np.argwhere(thin & eligible[:, None, None])
    for leaf, week, weekday in cells[rng.choice(len(cells), min(TRICKLED, len(cells)),
                                                replace=False)]:  # fmt: skip
        extra = rng.integers(1, 4)
        authors[leaf, week * 7 + weekday] += extra
        marked[leaf, week * 7 + weekday] += extra


def _daily(kept, authors: np.ndarray, marked: np.ndarray) -> pl.DataFrame:
    """DAILY_SCHEMA rows of the leaves `kept` (authors and flagged authors per leaf and day
    from START; a leaf-day without authors has no row) and of their three roll-ups."""
    cells = pl.DataFrame({
        "region": np.repeat([r for r, _ in kept], authors.shape[1]),
        "lang": np.repeat([lang for _, lang in kept], authors.shape[1]),
        "day": np.tile(pl.date_range(START, START + timedelta(days=authors.shape[1] - 1),
                                     eager=True).to_numpy(), len(kept)),
        "n_authors": authors.ravel(),
        "n_marked_authors": marked.ravel(),
    }).filter(pl.col("n_authors") > 0)  # fmt: skip
    counts = ["n_authors", "n_marked_authors"]
    rolled = [
        cells.group_by("day", *keep)
        .agg(pl.col(counts).sum())
        .with_columns(*(pl.lit(ALL).alias(c) for c in ("region", "lang") if c not in keep))
        for keep in (["lang"], ["region"], [])
    ]
    return conform(
        pl.concat([cells, *(r.select(cells.columns) for r in rolled)]).with_columns(
            pl.col("n_authors").alias("n_posts"),
            pl.col("n_authors").alias("n_scored"),
            pl.col("n_marked_authors").alias("n_marked"),
            pl.lit("sadness").alias("marker"),
            pl.lit("v1").alias("marker_version"),
            pl.lit(1.0).alias("sample_rate"),
            pl.lit("fuzz").alias("run_id"),
        ),
        DAILY_SCHEMA,
        name="fuzz daily",
    )


def product_releases(cuts: list[Cut], data_dir: Path, *, k: int = DEFAULT_K) -> list[pl.DataFrame]:
    """Each of `cuts` written into the warehouse file of `data_dir` as a batch run writes it
    (every day reloaded: late posts change past days; a `runs` row with its `as_of`; the
    release recorded) and what `queries.published` shows after each."""
    shown = []
    for i, cut in enumerate(cuts):
        days = cut.daily["day"].unique().to_list()
        with writing(data_dir) as con:
            load_daily(con, cut.daily, days=days)
            load_periods(con, cut.periods, days=days)
            now = datetime.now(UTC)
            record_run(con, RunRecord(run_id=f"fuzz-{i}", started_at=now, as_of=cut.as_of,
                                      tz="UTC", package_version="fuzz", status="ok",
                                      marker_versions={"sadness": "v1"}, finished_at=now))  # fmt: skip
            record_release(con, k=k, week_grain=WEEK, privacy="suppress", as_of=cut.as_of)
        with open_published(data_dir) as con:
            shown.append(queries.published(con, k=k, week_grain=WEEK))
    return shown


def naive_releases(cuts: list[Cut], *, k: int = DEFAULT_K) -> list[pl.DataFrame]:
    """Each of `cuts` published on its own, with no record of the others (the peer)."""
    return [
        published_timelines(cut.daily, cut.periods, Release(k=k, week_grain=WEEK, as_of=cut.as_of))
        for cut in cuts
    ]


def truth(cut: Cut) -> pl.DataFrame:
    """Every cell of `cut` (CELL columns) with its true `value`: a day's flagged authors, a
    period's flagged author-days; and `cell`, its row number."""
    days = cut.daily.select(
        "region", "lang", pl.lit("day").alias("grain"), pl.col("day").alias("period_start"),
        pl.col("n_marked_authors").alias("value"),
    )  # fmt: skip
    periods = cut.periods.select(*CELL, pl.col("n_marked_author_days").alias("value"))
    return pl.concat([days, periods]).with_row_index("cell")


def equations(cells: pl.DataFrame) -> pl.DataFrame:
    """The exact equations among `cells` (`truth`), one row per member: `eq`, `cell`, `coef`
    (+1 for the total, −1 for a part; the members' sum of coef × value is 0): each line (a
    roll-up and its children, for every grain and period, by region within a language and by
    language within a region), each week as its days, each 8-week period as its weeks."""
    parts = []
    for rolled, fixed in (("region", "lang"), ("lang", "region")):
        parts.append(cells.select(
            pl.concat_str(pl.lit(rolled), "grain", "period_start", fixed, separator="|").alias("eq"),
            "cell",
            pl.when(pl.col(rolled) == ALL).then(1).otherwise(-1).alias("coef"),
        ))  # fmt: skip
    for part, whole in (("day", WEEK), (WEEK, EIGHT)):
        series = pl.concat_str(pl.lit(whole), "region", "lang", separator="|")
        parts.append(cells.filter(pl.col("grain") == part).select(
            pl.concat_str(series, period_start(pl.col("period_start"), whole), separator="|")
            .alias("eq"),
            "cell",
            pl.lit(-1).alias("coef"),
        ))  # fmt: skip
        parts.append(cells.filter(pl.col("grain") == whole).select(
            pl.concat_str(series, "period_start", separator="|").alias("eq"),
            "cell",
            pl.lit(1).alias("coef"),
        ))  # fmt: skip
    members = pl.concat(parts)
    return members.filter(pl.len().over("eq") > 1)


def solved(members: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """`known` (`cell`, `value`) and every cell the equations `members` then fix, to a fixed
    point: an equation with one member unknown gives it."""
    while True:
        found = (
            members.join(known, on="cell", how="left")
            .group_by("eq")
            .agg(
                pl.col("value").null_count().alias("_unknown"),
                (pl.col("coef") * pl.col("value")).sum().alias("_sum"),
                pl.col("cell").filter(pl.col("value").is_null()).first().alias("_cell"),
                pl.col("coef").filter(pl.col("value").is_null()).first().alias("_coef"),
            )
            .filter(pl.col("_unknown") == 1)
            .select(
                pl.col("_cell").alias("cell"), (-pl.col("_sum") * pl.col("_coef")).alias("value")
            )
            .unique("cell")
        )
        if found.is_empty():
            return known
        known = pl.concat([known, found])


def across(members: pl.DataFrame, known: pl.DataFrame, other: pl.DataFrame) -> pl.DataFrame:
    """Cells (`cell`, `value`) that one equation of `members` gives where its other members'
    values come from `known` (this release's solved cells) or, where none, from `other`
    (another release's, by cell): one step, each estimate a guess that the other release's
    values still hold."""
    m = members.join(known, on="cell", how="left").join(
        other.rename({"value": "_other"}), on="cell", how="left"
    )
    value = pl.coalesce("value", "_other")
    m = m.with_columns(
        (pl.col("coef") * value).sum().over("eq").alias("_sum"),
        value.null_count().over("eq").alias("_missing"),
    )
    own = pl.col("_other").is_null()
    rest = (
        pl.when(own)
        .then(pl.col("_sum"))
        .otherwise(pl.col("_sum") - pl.col("coef") * pl.col("_other"))
    )
    alone = pl.when(own).then(pl.col("_missing") == 1).otherwise(pl.col("_missing") == 0)
    return (
        m.filter(pl.col("value").is_null() & alone)
        .select("cell", (-rest * pl.col("coef")).alias("value"))
        .unique()
    )


def _both(
    members: tuple[pl.DataFrame, pl.DataFrame],
    cells: tuple[pl.DataFrame, pl.DataFrame],
    known: tuple[pl.DataFrame, pl.DataFrame],
) -> pl.DataFrame:
    """The members of the equations of two releases found in both (`differences`' arguments),
    one row per member: `eq`, CELL, `coef`, `cell` and `value` in the first release and
    `cell_right` and `value_right` in the second (value 0 where the member has no cell there,
    null where not known), `_d` (coef × the difference, null unless both are known) and
    `_moved` (the sum of its equation's known `_d`)."""
    keyed = [
        m.join(c, on="cell").join(k, on="cell", how="left")
        .select("eq", *CELL, "coef", "cell", "value")
        for m, c, k in zip(members, cells, known, strict=True)
    ]  # fmt: skip
    both = keyed[0].select("eq").unique().join(keyed[1].select("eq").unique(), on="eq")
    line = (
        keyed[0].join(both, on="eq")
        .join(keyed[1].join(both, on="eq"), on=["eq", *CELL], how="full", coalesce=True)
        .with_columns(
            pl.coalesce("coef", "coef_right").alias("coef"),
            *(
                pl.when(pl.col(c).is_null()).then(0).otherwise(pl.col(v)).alias(v)
                for c, v in (("cell", "value"), ("cell_right", "value_right"))
            ),
        )
        .with_columns((pl.col("coef") * (pl.col("value") - pl.col("value_right"))).alias("_d"))
        .with_columns(pl.col("_d").sum().over("eq").alias("_moved"))
    )  # fmt: skip
    return line


def differences(
    members: tuple[pl.DataFrame, pl.DataFrame],
    cells: tuple[pl.DataFrame, pl.DataFrame],
    known: tuple[pl.DataFrame, pl.DataFrame],
) -> pl.DataFrame:
    """Cells (`cell`, `value`) of the first of two releases (`members`, `cells` and `known` of
    each: `equations`, `truth` less `value`, solved cells) that the difference of one equation
    in both gives: the equation holds for each member's value in the first release minus its
    value in the second (0 where the member has no cell there: a backfilled region in an
    earlier release); a member whose values are not both known is taken unchanged (difference
    0), and where the known differences add up to something else, the member with no value in
    the first release but one in the second takes the rest: one step, each estimate a guess
    that the unknown members did not change."""
    line = _both(members, cells, known)
    return (
        line.filter(
            pl.col("value").is_null(), pl.col("value_right").is_not_null(), pl.col("_moved") != 0
        )
        .select("cell", (pl.col("value_right") - pl.col("_moved") * pl.col("coef")).alias("value"))
        .unique()
    )


def changed(
    members: tuple[pl.DataFrame, pl.DataFrame],
    cells: tuple[pl.DataFrame, pl.DataFrame],
    known: tuple[pl.DataFrame, pl.DataFrame],
) -> pl.DataFrame:
    """Cells (`cell` of the first of two releases, `change`: its value there minus its value
    in the second) whose change one equation in both gives (`members`, `cells`, `known` as for
    `differences`): each member's change is known where both its values are (a member with no
    cell in a release counts 0 there: a region backfilled after it); a member with a cell in
    both whose change is not known takes the rest of the known changes, the other members
    whose change is not known taken unchanged: one step, each estimate a guess that only it
    changed (late posts on one withheld cell)."""
    line = _both(members, cells, known)
    return (
        line.filter(
            pl.col("_d").is_null(), pl.col("cell").is_not_null(), pl.col("cell_right").is_not_null()
        )
        .select("cell", (-pl.col("_moved") * pl.col("coef")).alias("change"))
        .unique()
    )


def recoveries(
    cuts: list[Cut], releases: list[pl.DataFrame], *, k: int = DEFAULT_K
) -> pl.DataFrame:
    """The true small cells (0 < value < k) of each cut that an attacker holding every one of
    `releases` (published rows of each cut) recovers exactly: `release` (index), CELL,
    `value`, `how` (`within` one release, `across` releases or by their `difference`: HOW)."""
    return attack(cuts, releases, k=k)[0]


def attack(
    cuts: list[Cut], releases: list[pl.DataFrame], *, k: int = DEFAULT_K
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`(recoveries, change_recoveries)` of `releases`, each release's equations solved once:
    the small cells recovered, and the small changes (0 < |change| < k: a few late authors)
    of the cells of a release since an earlier one that the attacker recovers exactly
    (`changed`) where some release withheld the cell (else both values are published, and
    their difference is 0 or at least k): `release` (index), `since` (the earlier one's),
    CELL, `change`."""
    shown = [
        r.filter(pl.col("status") == "published").select(
            *CELL, pl.col("n_marked_author_days").alias("value")
        )
        for r in releases
    ]
    cells = [truth(cut) for cut in cuts]
    systems = [equations(c) for c in cells]
    published = [
        c.drop("value").join(s, on=CELL).select("cell", "value")
        for c, s in zip(cells, shown, strict=True)
    ]
    solved_cells = [solved(m, p) for m, p in zip(systems, published, strict=True)]
    keys_of = [c.drop("value") for c in cells]
    changes = []
    for o, r in combinations(range(len(cells)), 2):
        true = (
            cells[r]
            .join(cells[o].drop("cell"), on=CELL, suffix="_was")
            .select("cell", *CELL, (pl.col("value") - pl.col("value_was")).alias("change"))
        )
        guesses = changed((systems[r], systems[o]), (keys_of[r], keys_of[o]),
                          (solved_cells[r], solved_cells[o]))  # fmt: skip
        exact = true.join(guesses, on=["cell", "change"]).filter(
            pl.col("change").abs().is_between(1, k - 1)
        )
        changes.append(exact.select(pl.lit(r).alias("release"), pl.lit(o).alias("since"),
                                    *CELL, "change"))  # fmt: skip
    none = pl.DataFrame(
        schema={"release": pl.Int32, "since": pl.Int32, **cells[0].select(CELL).schema,
                "change": cells[0].schema["value"]}
    )  # fmt: skip
    found = pl.concat([none, *changes]).sort("release", "since", *CELL)
    return _values(cells, systems, solved_cells, keys_of, k=k), found


def _values(
    cells: list[pl.DataFrame],
    systems: list[pl.DataFrame],
    solved_cells: list[pl.DataFrame],
    keys_of: list[pl.DataFrame],
    *,
    k: int,
) -> pl.DataFrame:
    """`recoveries` of each release's cells (`truth`), equations and solved cells."""
    found = []
    for r, (cut_cells, keyed) in enumerate(zip(cells, keys_of, strict=True)):
        others = [
            keyed.join(cells[o].drop("value").join(other, on="cell").drop("cell"), on=CELL).select(
                "cell", "value"
            )
            for o, other in reversed(list(enumerate(solved_cells)))
            if o != r
        ]
        if len(others) > 1:
            others.append(pl.concat(others).unique("cell", keep="first", maintain_order=True))
        guesses = [
            solved_cells[r].with_columns(pl.lit("within").alias("how")),
            *(
                differences((systems[r], systems[o]), (keyed, keys), (solved_cells[r], other))
                .with_columns(pl.lit("difference").alias("how"))
                for o, (keys, other) in enumerate(zip(keys_of, solved_cells, strict=True))
                if o != r
            ),
            *(
                across(systems[r], solved_cells[r], other).with_columns(pl.lit("across").alias("how"))
                for other in others
            ),
        ]  # fmt: skip
        exact = (
            pl.concat(guesses)
            .join(cut_cells, on=["cell", "value"])
            .filter(pl.col("value").is_between(1, k - 1))
            .sort(pl.col("how").replace_strict(HOW))
            .unique("cell", keep="first", maintain_order=True)
        )
        found.append(exact.select(pl.lit(r).alias("release"), *CELL, "value", "how"))
    return pl.concat(found).sort("release", *CELL)


def utility(cuts: list[Cut], releases: list[pl.DataFrame]) -> dict[str, int]:
    """Withheld rows over `releases`, those of `all`/`all`, and the most weeks of `all`/`all`
    one release withholds (days under withheld rows, within its data, over 7)."""
    top = (pl.col("region") == ALL) & (pl.col("lang") == ALL)
    withheld = pl.col("status") == "withheld"
    weeks = []
    for cut, rows in zip(cuts, releases, strict=True):
        last = cut.as_of - timedelta(days=1)
        gone = (
            rows.filter(top & withheld)
            .select(
                pl.date_ranges("period_start", pl.min_horizontal("period_end", pl.lit(last)))
                .list.len()
                .sum()
            )
            .item()
        )
        weeks.append((gone or 0) // 7)
    return {
        "withheld": sum(r.filter(withheld).height for r in releases),
        "all_withheld": sum(r.filter(top & withheld).height for r in releases),
        "all_weeks": max(weeks),
    }


def fuzz(
    seed: int, *, regions: int, weeks: tuple[int, ...], k: int = DEFAULT_K, backfill: bool = True
) -> dict:
    """One seed: per variant (`product`, `naive`), its recoveries (values and changes: `attack`),
    utility and overlaps."""
    cuts = scenario(seed, regions=regions, weeks=weeks, k=k, backfill=backfill)
    with tempfile.TemporaryDirectory(prefix="moodcast-fuzz-") as tmp:
        product = product_releases(cuts, Path(tmp), k=k)
    out = {}
    for name, releases in (("product", product), ("naive", naive_releases(cuts, k=k))):
        found, changes = attack(cuts, releases, k=k)
        shown = [
            r.filter(pl.col("status") == "published").select(
                "marker", "region", "lang", "marker_version", "grain", "period_start",
                "period_end", "n_authors", "n_marked_authors", "n_author_days",
                "n_marked_author_days",
            )
            for r in releases
        ]  # fmt: skip
        out[name] = {
            **utility(cuts, releases),
            "found": found,
            "changes": changes,
            "overlaps": overlaps(shown, k=k).height,
        }
    return out


FAMILIES = {"backfill": True, "no backfill": False}
"""The two families of scenarios each seed draws: with the last region backfilled from the
second release, and the same draws with that region there from the first."""


def table(rows: dict[tuple[str, str], list[dict]], seeds: int) -> list[str]:
    """The report's table: per family and publishing (`fuzz` results, one per seed), the
    recoveries of values and of changes, the seeds with one, the withheld rows and the
    overlapping days."""
    lines = [
        "| scenarios | publishing | small cells recovered within a release | across releases "
        "| by difference across releases | small changes recovered across releases "
        "| seeds with a recovery | by grain (day / week / 8-week) | withheld rows | of "
        f"`all`/`all` | seeds with `all`/`all` withheld ≥ {ALL_WITHHELD_WEEKS} weeks "
        "| overlapping days |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for (family, name), got in rows.items():
        found = pl.concat(g["found"] for g in got)
        changes = pl.concat(g["changes"] for g in got)
        how = dict(found.group_by("how").len().iter_rows())
        grain = dict(
            pl.concat([found, changes], how="diagonal").group_by("grain").len().iter_rows()
        )
        total = {key: sum(g[key] for g in got) for key in ("withheld", "all_withheld", "overlaps")}
        seeded = pl.concat([found["seed"], changes["seed"]]).n_unique()
        lines.append(
            f"| {family} | {name} | {how.get('within', 0):,} | {how.get('across', 0):,} "
            f"| {how.get('difference', 0):,} | {changes.height:,} "
            f"| {seeded} of {seeds} "
            f"| {grain.get('day', 0):,} / {grain.get(WEEK, 0):,} / {grain.get(EIGHT, 0):,} "
            f"| {total['withheld']:,} | {total['all_withheld']:,} "
            f"| {sum(g['all_weeks'] >= ALL_WITHHELD_WEEKS for g in got)} of {seeds} "
            f"| {total['overlaps']:,} |"
        )
    return lines


def product_cells(rows: dict[tuple[str, str], list[dict]], *, most: int = 10) -> list[str]:
    """One line per cell or change the product's releases gave back (at most `most` of
    each): where to look."""

    def product(key: str) -> pl.DataFrame:
        return pl.concat(
            g[key].with_columns(pl.lit(family).alias("family"))
            for (family, name), got in rows.items()
            if name == "product"
            for g in got
        ).sort("family", "seed")

    found, changes = product("found"), product("changes")
    lines = []
    if found.is_empty():
        lines.append("No small cell of the product's releases recovered.")
    else:
        lines += [
            f"Small cells of the product's releases recovered ({found.height}; the first {most}):",
            "",
            *(
                f"- {c['family']}, seed {c['seed']}: release {c['release'] + 1}'s {c['region']}/"
                f"{c['lang']} {c['grain']} of {c['period_start']}, {c['value']} flagged "
                f"({c['how']})"
                for c in found.head(most).iter_rows(named=True)
            ),
        ]
    if changes.is_empty():
        return [*lines, "", "No small change of the product's releases recovered."]
    return [
        *lines,
        "",
        f"Small changes of the product's releases recovered ({changes.height}; the first {most}):",
        "",
        *(
            f"- {c['family']}, seed {c['seed']}: {c['region']}/{c['lang']} {c['grain']} of "
            f"{c['period_start']}, {c['change']:+} flagged from release {c['since'] + 1} to "
            f"{c['release'] + 1}"
            for c in changes.head(most).iter_rows(named=True)
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=60)
    parser.add_argument("--regions", type=int, default=6)
    parser.add_argument("--weeks", type=int, nargs="+", default=[50, 52, 54])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    weeks = tuple(args.weeks)
    clock = time.process_time()
    rows = {}
    for family, backfill in FAMILIES.items():
        for seed in range(args.seeds):
            result = fuzz(seed, regions=args.regions, weeks=weeks, backfill=backfill)
            for name, got in result.items():
                seeded = {key: got[key].with_columns(pl.lit(seed).alias("seed"))
                          for key in ("found", "changes")}  # fmt: skip
                rows.setdefault((family, name), []).append({**got, **seeded})
            print(family, seed, {n: (g["found"].height, g["changes"].height, g["withheld"],
                                     g["all_weeks"]) for n, g in result.items()}, flush=True)  # fmt: skip
    seconds = time.process_time() - clock
    lines = [*table(rows, args.seeds), "", *product_cells(rows)]
    command = (
        f"python -m benchmarks.release_fuzz --seeds {args.seeds} --regions {args.regions} "
        f"--weeks {' '.join(map(str, weeks))} --write"
    )
    body = [
        f"`{command}`, {date.today()}, k = {DEFAULT_K}, ISO weeks, {seconds:.0f} CPU s in all. "
        f"Per seed, one random scenario ({args.regions} regions × {len(LANGS)} languages and "
        f"their roll-ups, the last region's leaves {LAST_SIZE} authors a day, "
        f"{LAST_SHARE:.0%} flagged; {len(weeks)} releases of {', '.join(map(str, weeks))} weeks; before "
        f"each later release, late posts growing {GROWN} small cells past k beside unchanged "
        f"siblings, nudging {NUDGED} cells by 1–3 authors and giving {TRICKLED} small cells "
        "of small weeks 1–3 more flagged authors), drawn twice: with the last "
        "region backfilled from release 2 (`backfill`), and with it there from release 1. "
        "`product`: a real warehouse file per seed (`load_daily`, `load_periods`, a `runs` "
        "row, `record_release`, read by `queries.published`); `naive`: each release on its "
        "own with no record. A recovery is a true cell of a release with 0 < flagged < k that "
        "the attacker holding every release solves exactly (lines of roll-ups, weeks as their "
        "days and 8-week periods as their weeks; across releases, one equation of release r "
        "whose other members come from other releases; by difference, an equation in two releases, "
        "member by member, members not known in both taken unchanged: release 2's roll-up day "
        "minus release 1's for a backfilled region). A change recovered is a cell's true change "
        "between two releases with 0 < |change| < k (late authors of a cell some release "
        "withheld) that one equation in both gives exactly, a member of it with a cell in both "
        "and its change unknown taking the rest, the others unknown taken unchanged. "
        "Withheld rows: over the releases; "
        "`all`/`all` withheld weeks: the most in one release; overlapping days: "
        "`benchmarks.successive_releases.overlaps`.",
        "",
        *lines,
    ]
    print("\n".join(body))
    if args.write:
        write_section("release-fuzz", "\n".join(body))


if __name__ == "__main__":
    main()
