import random
from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest

from transforms.contracts import (
    ALL,
    CLUSTER_SUMS,
    DAILY_SCHEMA,
    PERIOD_SCHEMA,
    POST_CLUSTER_SUMS,
    POST_CLUSTERS,
)
from transforms.grains import choose_grains, release_record
from transforms.periods import PERIOD_DAYS, period_sums, periods_of
from transforms.privacy import lonely_cells
from transforms.publish import published_days, published_release, published_timelines
from transforms.releases import RECORD_SCHEMA, Release

MONDAY = date(2025, 3, 3)


def _tables(cells: dict[tuple[str, str], tuple[int, int]], weeks: int = 1):
    """Daily rows (`n_authors`, `n_marked_authors` each day) and ISO-week rows (4x the day's,
    since authors come back) of one marker over `weeks` weeks."""
    days, periods = [], []
    for (region, lang), (authors, marked) in cells.items():
        base = {"region": region, "lang": lang, "marker": "m", "marker_version": "v",
                "sample_rate": 1.0, "run_id": "r"}  # fmt: skip
        for w in range(weeks):
            start = MONDAY + timedelta(weeks=w)
            for i in range(7):
                days.append({**base, "day": start + timedelta(days=i), "n_posts": authors,
                             "n_scored": authors, "n_marked": marked, "n_authors": authors,
                             "n_marked_authors": marked})  # fmt: skip
            periods.append({**base, "grain": "iso_week", "period_start": start,
                            "period_end": start + timedelta(days=6), "n_posts": 7 * authors,
                            "n_scored": 7 * authors, "n_marked": 7 * marked,
                            "n_authors": 4 * authors, "n_marked_authors": 4 * marked,
                            "n_author_days": 7 * authors,
                            "n_marked_author_days": 7 * marked})  # fmt: skip
    return pl.DataFrame(days, schema=DAILY_SCHEMA), pl.DataFrame(periods, schema=PERIOD_SCHEMA)


def _table(children: dict[tuple[str, str], tuple[int, int]]):
    """Children (region, lang) plus every roll-up, assuming authors stay in one cell."""
    cells = dict(children)
    for axis in (0, 1):
        for key in {c[1 - axis] for c in children}:
            members = [v for c, v in children.items() if c[1 - axis] == key]
            total = (sum(m[0] for m in members), sum(m[1] for m in members))
            cells[(ALL, key) if axis == 0 else (key, ALL)] = total
    cells[(ALL, ALL)] = (sum(v[0] for v in children.values()), sum(v[1] for v in children.values()))
    return _tables(cells)


def _choices(daily, weeks):
    choice = choose_grains(daily, weeks, Release(k=11, week_grain="iso_week"))
    return {(r, lang): c for r, lang, c in choice.select("region", "lang", "choice").iter_rows()}


def _recoverable(published: pl.DataFrame) -> int:
    """The attack: per line, a roll-up minus its published siblings, at day and week level."""
    keys = ("marker", "period_start")
    week = (
        published.with_columns(pl.col("period_start").dt.truncate("1w"))
        .group_by("marker", "region", "lang", "period_start")
        .agg((pl.col("status") == "withheld").any().alias("unknown"))
    )
    days = published.filter(pl.col("status") == "published")
    every_day = (
        week.select("marker", "region", "lang", "period_start")
        .join(pl.DataFrame({"offset": list(range(7))}), how="cross")
        .with_columns((pl.col("period_start") + pl.duration(days=pl.col("offset"))).alias("d"))
    )
    day_known = every_day.join(
        days.filter(pl.col("grain") == "day").select(
            "marker", "region", "lang", pl.col("period_start").alias("d"), pl.lit(True).alias("k")
        ),
        on=["marker", "region", "lang", "d"],
        how="left",
    ).select("marker", "region", "lang", pl.col("d").alias("period_start"),
             pl.col("k").is_null().alias("unknown"))  # fmt: skip
    return (
        lonely_cells(week, flag="unknown", keys=keys).height
        + lonely_cells(day_known, flag="unknown", keys=keys).height
    )


BIG = (400, 60)


def test_a_roomy_table_is_published_by_day():
    daily, weeks = _table({("a", "en"): BIG, ("b", "en"): BIG, ("c", "en"): BIG})
    assert set(_choices(daily, weeks).values()) == {"day"}


def test_one_small_child_moves_a_sibling_to_weeks_too():
    daily, weeks = _table({("a", "en"): (400, 5), ("b", "en"): (300, 40), ("c", "en"): BIG})
    choices = _choices(daily, weeks)
    assert choices[("a", "en")] == "week" and choices[("b", "en")] == "week"
    assert choices[("c", "en")] == "day" and choices[(ALL, "en")] == "day"
    assert (
        _recoverable(published_timelines(daily, weeks, Release(k=11, week_grain="iso_week"))) == 0
    )


def test_every_published_row_carries_the_author_days_its_share_is_over():
    """A week's `prevalence` is its author-day share (5 of 400 a day: 35 of 2,800), not its
    distinct share (20 of 1,600): the row says so with its counts, and a day row's author-days
    are its authors, in the timeline and spread over days alike."""
    daily, weeks = _table({("a", "en"): (400, 5), ("b", "en"): (300, 40), ("c", "en"): BIG})
    for rows, start in (
        (published_timelines(daily, weeks, Release(k=11, week_grain="iso_week")), "period_start"),
        (published_days(daily, weeks, Release(k=11, week_grain="iso_week")), "day"),
    ):
        week = rows.filter(region="a").row(0, named=True)
        assert week["grain"] == "iso_week" and week[start] == MONDAY
        assert (week["n_authors"], week["n_marked_authors"]) == (1600, 20)
        assert (week["n_author_days"], week["n_marked_author_days"]) == (2800, 35)
        assert week["prevalence"] == 35 / 2800
        days = rows.filter(region="c")
        assert days.get_column("grain").unique().to_list() == ["day"]
        assert days["n_author_days"].equals(days["n_authors"], check_names=False)
        assert days["n_marked_author_days"].equals(days["n_marked_authors"], check_names=False)


def test_a_reader_of_the_record_chooses_the_weeks_its_writer_published_whole():
    """After the release, a and b's weeks are known by their own cells (`release.counts`),
    which says nothing of their days: before, the reader's choice counted neither as hiding
    its days, moved c to its week too, and showed other cells than the writer recorded."""
    daily, weeks = _table({("a", "en"): (400, 5), ("b", "en"): (300, 40), ("c", "en"): BIG})
    before = Release(k=11, week_grain="iso_week")
    after = release_record(daily, weeks, before)
    written = choose_grains(daily, weeks, replace(after, counts=before.counts))
    assert set(written.filter(pl.col("choice") == "week")["region"]) == {"a", "b"}
    assert choose_grains(daily, weeks, after).equals(written)


def test_a_child_withheld_even_weekly_takes_a_sibling_with_it():
    daily, weeks = _table({("a", "en"): (8, 1), ("b", "en"): (300, 40), ("c", "en"): BIG})
    choices = _choices(daily, weeks)
    assert choices[("a", "en")] == "withheld" and choices[("b", "en")] == "withheld"
    rows = published_timelines(daily, weeks, Release(k=11, week_grain="iso_week"))
    withheld = rows.filter(pl.col("status") == "withheld")
    assert withheld["n_marked_authors"].null_count() == withheld.height > 0
    assert _recoverable(rows) == 0


def test_random_small_tables_never_give_a_withheld_cell_back():
    withheld = sum(_random_release(seed) for seed in range(12))
    assert withheld > 0


def _random_release(seed: int) -> int:
    rng = random.Random(seed)
    children = {
        (region, lang): (rng.choice([5, 30, 120, 400]), 0)
        for region in ("a", "b", "c")
        for lang in ("en", "es")
        if rng.random() < 0.85
    }
    children = {c: (n, rng.choice([0, 1, 3, 6, 12, 30])) for c, (n, _) in children.items()}
    children = {c: (n, min(m, n)) for c, (n, m) in children.items()}
    daily, weeks = _table(children)
    rows = published_timelines(daily, weeks, Release(k=11, week_grain="iso_week"))
    assert _recoverable(rows) == 0
    unprotected = published_timelines(daily, weeks, Release(k=1, week_grain="iso_week"))
    assert unprotected.filter(pl.col("status") == "withheld").is_empty()
    return rows.filter(pl.col("status") == "withheld").height


def test_a_series_mostly_withheld_is_withheld_whole_not_left_as_its_zero_weeks():
    frames = [_tables({(ALL, ALL): (300, marked)}, weeks=1) for marked in (0, 0, 1, 1)]
    daily = pl.concat(
        d.with_columns(pl.col("day") + pl.duration(weeks=i)) for i, (d, _) in enumerate(frames)
    )
    weeks = pl.concat(
        w.with_columns(
            pl.col("period_start") + pl.duration(weeks=i),
            pl.col("period_end") + pl.duration(weeks=i),
        )
        for i, (_, w) in enumerate(frames)
    )
    rows = published_timelines(daily, weeks, Release(k=11, week_grain="iso_week"))
    assert set(rows["status"]) == {"withheld"} and set(rows["grain"]) == {"iso_8week"}
    assert rows["period_start"].to_list() == sorted(
        {periods_of(d, "iso_8week")[0] for d in daily["day"]}
    )
    assert (rows["period_end"] - rows["period_start"]).dt.total_days().to_list() == [
        55
    ] * rows.height


EIGHT = periods_of(MONDAY, "iso_8week")[0]


def _eight_weeks(cells: dict[tuple[str, str], tuple[int, int, int]]):
    """Daily, ISO-week and 8-week rows of one marker over the 8 weeks from EIGHT: per cell
    (`authors` and `marked` authors a day, as `_tables`, and `marked8` distinct marked authors
    over the 8 weeks)."""
    shift = pl.duration(days=(EIGHT - MONDAY).days)
    daily, weeks = [], []
    for (region, lang), (authors, marked, marked8) in cells.items():
        d, w = _tables({(region, lang): (authors, marked)}, weeks=8)
        w = w.with_columns(pl.col("period_start", "period_end") + shift)
        eight = w.head(1).with_columns(
            pl.lit("iso_8week").alias("grain"),
            pl.lit(EIGHT + timedelta(days=55)).alias("period_end"),
            pl.lit(56 * authors).alias("n_author_days"),
            pl.lit(56 * marked).alias("n_marked_author_days"),
            pl.lit(10 * authors).alias("n_authors"),
            pl.lit(marked8).alias("n_marked_authors"),
        )
        daily.append(d.with_columns(pl.col("day") + shift))
        weeks.append(pl.concat([w, eight.cast(PERIOD_SCHEMA)]))
    return pl.concat(daily), pl.concat(weeks)


def test_a_series_withheld_whole_by_week_is_published_by_its_eight_week_cells():
    daily, periods = _eight_weeks({(ALL, ALL): (300, 2, 12)})
    rows = published_timelines(daily, periods, Release(k=11, week_grain="iso_week"))
    assert rows.select("grain", "period_start", "status", "n_marked_authors").rows() == [
        ("iso_8week", EIGHT, "published", 12)
    ]
    assert rows["prevalence"].item() == pytest.approx(2 / 300)
    days = published_days(daily, periods, Release(k=11, week_grain="iso_week"))
    assert set(days["grain"]) == {"iso_8week"} and not days["suppressed"].any()
    assert days["prevalence"].to_list() == [pytest.approx(2 / 300)] * 56


def test_a_lone_withheld_eight_week_cell_takes_its_sibling_with_it():
    children = {("a", "en"): (300, 2, 14), ("b", "en"): (300, 1, 6), ("c", "en"): (400, 60, 300)}
    total = tuple(sum(v[i] for v in children.values()) for i in range(3))
    daily, periods = _eight_weeks({**children, (ALL, "en"): total})
    choice = choose_grains(daily, periods, Release(k=11, week_grain="iso_week"))
    by_cell = {
        (r, g, c) for r, g, c in choice.select("region", "grain", "choice").unique().iter_rows()
    }
    assert ("a", "iso_8week", "withheld") in by_cell and ("b", "iso_8week", "withheld") in by_cell
    assert {c for r, g, c in by_cell if r in ("c", ALL)} <= {"day", "week"}
    alone = _eight_weeks({**{c: v for c, v in children.items() if c != ("b", "en")}})
    choice = choose_grains(*alone, Release(k=11, week_grain="iso_week"))
    assert ("a", "iso_8week", "8week") in set(
        choice.select("region", "grain", "choice").iter_rows()
    )


def test_a_release_reads_only_its_days_and_its_own_week_grain():
    """Cells of another grain in the periods table (the other week grain here; formerly 7-day
    windows, which differencing turns back into days: docs/publishing.md) never reach a
    release."""
    daily, weeks = _tables({(ALL, ALL): (300, 3)}, weeks=2)
    epi_weeks = weeks.with_columns(
        pl.lit("epi_week").alias("grain"),
        pl.col("period_start") - pl.duration(days=1),
        pl.col("period_end") - pl.duration(days=1),
        pl.col("n_marked_authors", "n_marked_author_days") * 2,
    )
    release = published_timelines(daily, weeks, Release(k=11, week_grain="iso_week"))
    assert set(release["grain"]) == {"iso_week"} and set(release["status"]) == {"published"}
    both = pl.concat([weeks, epi_weeks])
    assert published_timelines(daily, both, Release(k=11, week_grain="iso_week")).equals(release)
    assert published_days(daily, both, Release(k=11, week_grain="iso_week")).equals(
        published_days(daily, weeks, Release(k=11, week_grain="iso_week"))
    )


def test_one_withheld_week_in_eight_moves_the_series_to_its_eight_week_periods():
    daily, periods = _eight_weeks({(ALL, ALL): (300, 3, 40)})
    assert set(_choices(daily, periods).values()) == {"week"}
    low = EIGHT + timedelta(weeks=3)
    holed = periods.with_columns(
        pl.when((pl.col("grain") == "iso_week") & (pl.col("period_start") == low))
        .then(5)
        .otherwise(pl.col("n_marked_authors"))
        .alias("n_marked_authors")
    )
    choice = choose_grains(daily, holed, Release(k=11, week_grain="iso_week"))
    assert choice.select("grain", "period_start", "choice").rows() == [
        ("iso_8week", EIGHT, "8week")
    ]


@pytest.mark.parametrize("seed", [0, 2, 4, 6])
def test_a_release_chosen_once_is_the_timelines_and_the_days_chosen_apart(seed):
    """`published_release` shares one grain choice between the two views the warehouse
    queries read: each equals its own function's, on tables (these seeds) whose series are
    published by day, week and 8-week period, and withheld."""
    rng = random.Random(seed)
    children = {
        (region, lang): (rng.choice([8, 30, 300]), rng.choice([0, 2, 40]), rng.choice([0, 3, 12]))
        for region in ("a", "b")
        for lang in ("en", "es")
    }
    cells = dict(children)
    for axis in (0, 1):
        for key in {c[1 - axis] for c in children}:
            members = [v for c, v in children.items() if c[1 - axis] == key]
            cells[(ALL, key) if axis == 0 else (key, ALL)] = _summed(members)
    cells[(ALL, ALL)] = _summed(children.values())
    daily, periods = _eight_weeks(cells)
    timelines, days = published_release(daily, periods, Release(k=11, week_grain="iso_week"))
    assert timelines.equals(
        published_timelines(daily, periods, Release(k=11, week_grain="iso_week"))
    )
    assert days.equals(published_days(daily, periods, Release(k=11, week_grain="iso_week")))


def _summed(cells) -> tuple[int, int, int]:
    """A roll-up of `_eight_weeks` cells, assuming authors stay in one cell."""
    return tuple(sum(cell[i] for cell in cells) for i in range(3))


def _record(*rows: tuple[str, str, str, date, str]) -> pl.DataFrame:
    """A release record: (region, lang, grain, period_start, published_as) of marker m, v."""
    return pl.DataFrame(
        [
            {
                "marker": "m",
                "region": r,
                "lang": lang,
                "marker_version": "v",
                "grain": g,
                "period_start": s,
                "published_as": a,
            }
            for r, lang, g, s, a in rows
        ],
        schema=RECORD_SCHEMA,
    )


def test_a_sibling_whose_week_was_published_by_day_is_withheld_not_moved_to_its_week():
    """Complementary suppression moves b to its week (a's lone week would follow from the
    roll-up's days; b and c were both published by day before, b is the smaller); b's week was
    published by day before, so b is withheld instead."""
    daily, weeks = _table({("a", "en"): (400, 5), ("b", "en"): (300, 40), ("c", "en"): BIG})
    record = _record(("b", "en", "iso_week", MONDAY, "day"), ("c", "en", "iso_week", MONDAY, "day"))
    choice = choose_grains(daily, weeks, Release(k=11, week_grain="iso_week", record=record))
    choices = {(r, lang): c for r, lang, c in choice.select("region", "lang", "choice").iter_rows()}
    assert choices[("b", "en")] == "withheld"
    assert [c for key, c in choices.items() if key != ("b", "en")].count("week") == 0
    rows = published_timelines(daily, weeks, Release(k=11, week_grain="iso_week", record=record))
    assert _recoverable(rows) == 0


def test_complementary_suppression_takes_a_sibling_never_published_before_one_published():
    """As above, but only b was published by day before: c, never published, moves to its week
    beside a, and b keeps its days (withholding b would leave c's days, published now, and
    b's, published before, to give a line's cell back in some later release)."""
    daily, weeks = _table({("a", "en"): (400, 5), ("b", "en"): (300, 40), ("c", "en"): BIG})
    record = _record(*(("b", lang, "iso_week", MONDAY, "day") for lang in ("en", ALL)))
    choice = choose_grains(daily, weeks, Release(k=11, week_grain="iso_week", record=record))
    choices = {(r, lang): c for r, lang, c in choice.select("region", "lang", "choice").iter_rows()}
    assert (choices[("a", "en")], choices[("b", "en")], choices[("c", "en")]) == (
        "week",
        "day",
        "week",
    )
    rows = published_timelines(daily, weeks, Release(k=11, week_grain="iso_week", record=record))
    assert _recoverable(rows) == 0


def test_a_week_grain_change_withholds_the_weeks_holding_days_recorded_at_the_other():
    """ISO week 2 published by day; by epi-week, the two epi-weeks holding its days can be
    published by day or withheld, never whole (their sum minus its days gives their others)."""
    daily, weeks = _tables({(ALL, ALL): (300, 3)}, weeks=200)
    epi = weeks.with_columns(
        pl.lit("epi_week").alias("grain"),
        pl.col("period_start") - pl.duration(days=1),
        pl.col("period_end") - pl.duration(days=1),
    )
    record = _record((ALL, ALL, "iso_week", MONDAY + timedelta(weeks=1), "day"))

    def withheld(record):
        choice = choose_grains(daily, epi, Release(k=11, week_grain="epi_week", record=record))
        assert set(choice["choice"]) == {"week", "withheld"}
        return set(choice.filter(pl.col("choice") == "withheld")["period_start"])

    sunday = MONDAY + timedelta(days=6)
    assert withheld(record) - withheld(_record()) == {sunday, sunday + timedelta(weeks=1)}


def test_a_week_in_progress_is_never_whole_and_follows_a_week_published_whole():
    """A week in progress is given by its days where they all meet k, else withheld; after a
    week published whole it is withheld even where its days meet k (a series taken by week
    waits for the week to end rather than tie it to its first days)."""
    last = MONDAY + timedelta(weeks=59, days=2)
    small, small_weeks = _tables({(ALL, ALL): (300, 3)}, weeks=60)
    small = small.filter(pl.col("day") <= last)
    choice = choose_grains(small, small_weeks, Release(k=11, week_grain="iso_week", as_of=last))
    assert choice["choice"].to_list() == ["week"] * 59 + ["withheld"]
    roomy, roomy_weeks = _tables({(ALL, ALL): BIG}, weeks=60)
    roomy = roomy.filter(pl.col("day") <= last)
    choice = choose_grains(roomy, roomy_weeks, Release(k=11, week_grain="iso_week", as_of=last))
    assert choice["choice"].to_list() == ["day"] * 60
    week_58 = pl.col("day").is_between(last - timedelta(days=9), last - timedelta(days=3))
    mixed = roomy.with_columns(
        pl.when(week_58).then(5).otherwise(pl.col("n_marked_authors")).alias("n_marked_authors")
    )
    choice = choose_grains(mixed, roomy_weeks, Release(k=11, week_grain="iso_week", as_of=last))
    assert choice["choice"].tail(3).to_list() == ["day", "week", "withheld"]
    record = release_record(
        mixed, roomy_weeks, Release(k=11, week_grain="iso_week", record=_record(), as_of=last)
    ).record
    assert record["published_as"].tail(2).to_list() == ["day", "whole"]
    assert record.height == 59


def _drawn_regions(seed: int) -> tuple[pl.DataFrame, pl.DataFrame, date]:
    """Two or three regions and their roll-up from 2024-01-01, each region's authors and
    flagged authors drawn per day (seeded: 5 to 450 authors, 0 to all of them flagged); their
    ISO weeks' and 8-week periods' cells (each author-day a distinct author; post sums null,
    as counted before schema 11); and a release date a few days before the last day."""
    draw = random.Random(seed)
    days = draw.choice([14, 21, 60, 120])
    regions = ["a", "b", "c"][: draw.choice([2, 3])]
    rows = []
    for i in range(days):
        leaves = []
        for region in regions:
            authors = max(1, int(draw.choice([5, 15, 40, 300]) * draw.uniform(0.5, 1.5)))
            marked = min(authors, draw.choice([0, 1, 3, 6, 12, 40, int(authors * draw.random())]))
            leaves.append((region, authors, marked))
        total = ("all", sum(a for _, a, _ in leaves), sum(m for _, _, m in leaves))
        for region, authors, marked in [*leaves, total]:
            rows.append({"day": date(2024, 1, 1) + timedelta(days=i), "region": region,
                         "lang": "en", "marker": "m", "marker_version": "v", "n_posts": authors,
                         "n_scored": authors, "n_marked": marked, "n_authors": authors,
                         "n_marked_authors": marked, "sample_rate": 1.0, "run_id": "r"})  # fmt: skip
    daily = pl.DataFrame(rows, schema=DAILY_SCHEMA)
    release = date(2024, 1, 1) + timedelta(days=days - 1 - draw.choice([0, 0, 2, 5]))
    sums = pl.concat([period_sums(daily, g) for g in ("iso_week", "iso_8week")])
    periods = sums.with_columns(
        pl.col("n_author_days").alias("n_authors"),
        pl.col("n_marked_author_days").alias("n_marked_authors"),
        pl.col("n_author_days").alias(CLUSTER_SUMS[0]),
        pl.col("n_marked_author_days").alias(CLUSTER_SUMS[1]),
        pl.col("n_marked_author_days").alias(CLUSTER_SUMS[2]),
        *(pl.lit(None, pl.Int64).alias(c) for c in (*POST_CLUSTER_SUMS, POST_CLUSTERS)),
        (pl.col("period_start") + pl.duration(days=pl.col("grain").replace_strict(PERIOD_DAYS) - 1))
        .alias("period_end"),
        pl.lit("r").alias("run_id"),
    )  # fmt: skip
    return daily, periods.select(PERIOD_SCHEMA.keys()).cast(PERIOD_SCHEMA), release


def test_a_series_taken_by_eight_week_periods_stays_so_once_they_are_recorded():
    """Regions a, b and c taken by 8-week periods in the first round of a release's record;
    recorded there, c's weeks inside them, which meet k, counted as held by the record and
    left out of its 2 % of withheld weeks, so c went back to weeks (all withheld) and a's and
    b's 8-week periods were withheld beside it: recorded `withheld` in the same release,
    withheld for good though no release had published them. A week inside an 8-week period
    the record publishes whole is not held: the series is taken by 8-week periods there."""
    daily, periods, release = _drawn_regions(27)
    daily = daily.filter(pl.col("day") <= release - timedelta(days=6))
    cells = periods.filter(pl.col("period_start") <= release - timedelta(days=6))
    after = release_record(
        daily, cells, Release(week_grain="iso_week", as_of=release - timedelta(days=6))
    )
    assert after.record.filter(pl.col("published_as") == "withheld").is_empty()
    whole = after.record.filter(pl.col("grain") == "iso_8week")
    assert set(whole["region"]) == {"a", "b", "c"} and set(whole["published_as"]) == {"whole"}
