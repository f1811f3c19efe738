import itertools
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.aggregate import long_cells, plain_aggregates
from transforms.aggregate import aggregate_cells, author_days, daily_aggregates
from transforms.contracts import ALL, DAILY_SCHEMA, PERIOD_SCHEMA
from transforms.markers import parse_marker
from transforms.model_markers import ModelConfig, sample_rates
from transforms.periods import PERIOD_GRAINS
from transforms.posts import PostOptions, drop_repeated_ids, prepare

MARKERS = {
    "sad": parse_marker(
        {"name": "sad", "lang": {"en": {"terms": ["sad"]}, "es": {"terms": ["triste"]}}}, origin="t"
    ),
    "calm": parse_marker({"name": "calm", "lang": {"en": {"terms": ["calm"]}}}, origin="t"),
}
RATES = sample_rates(MARKERS, ModelConfig(), None)
D = date(2025, 1, 1)


def _posts():
    rows = [
        ("north", "en", "a", True, False),
        ("north", "en", "a", True, True),
        ("north", "en", "b", False, False),
        ("south", "en", "a", False, True),
        ("south", "es", "c", True, None),
        ("south", "es", None, True, None),
    ]
    return pl.DataFrame(
        {
            "day": [D] * len(rows),
            "region": [r[0] for r in rows],
            "lang": [r[1] for r in rows],
            "author": [r[2] for r in rows],
            "sad": [r[3] for r in rows],
            "calm": [r[4] for r in rows],
        }
    )


def test_counts_and_exact_distinct_authors_at_every_grain():
    daily = daily_aggregates(_posts(), MARKERS, run_id="r", rates=RATES)
    assert daily.schema == pl.Schema(DAILY_SCHEMA)
    posts = _posts()
    for region, lang, marker in itertools.product(
        ["north", "south", ALL], ["en", "es", ALL], MARKERS
    ):
        cell = posts.filter(pl.col(marker).is_not_null())
        if region != ALL:
            cell = cell.filter(pl.col("region") == region)
        if lang != ALL:
            cell = cell.filter(pl.col("lang") == lang)
        row = daily.filter(
            (pl.col("region") == region) & (pl.col("lang") == lang) & (pl.col("marker") == marker)
        )
        if cell.is_empty():
            assert row.is_empty(), (region, lang, marker)
            continue
        got = row.row(0, named=True)
        assert got["n_posts"] == cell.height == got["n_scored"]
        assert got["n_marked"] == cell[marker].sum()
        assert got["n_authors"] == cell["author"].drop_nulls().n_unique()
        assert (
            got["n_marked_authors"] == cell.filter(pl.col(marker))["author"].drop_nulls().n_unique()
        )


def test_a_marker_without_a_source_in_a_language_has_no_row_there():
    daily = daily_aggregates(_posts(), MARKERS, run_id="r", rates=RATES)
    assert daily.filter((pl.col("marker") == "calm") & (pl.col("lang") == "es")).is_empty()


def test_prepare_filters_with_reasons_and_keeps_no_text_or_author_id():
    valid = pl.DataFrame(
        {
            "id": ["1", "2", "3", "4", "5"],
            "text": ["so sad", "sad repost", "c'est triste", "future sad", "I feel calm today"],
            "author_id": ["alice", "bob", "carol", "dave", None],
            "lang": ["en", "en", "fr", "en", None],
            "region": ["north", "north", None, "", "  "],
            "is_repost": [None, True, False, None, None],
            "created_utc": pl.Series([D, D, D, date(2025, 2, 1), D]).cast(pl.Datetime("us", "UTC")),
            "source": ["f"] * 5,
            "line": [1, 2, 3, 4, 5],
        }
    )
    posts, filtered, texts = prepare(valid, markers=MARKERS, key=b"k", options=PostOptions(as_of=D))
    assert texts.is_empty()
    assert sorted(filtered["reason"].to_list()) == [
        "future timestamp",
        "repost",
        "unsupported language",
    ]
    assert posts["id"].to_list() == ["1", "5"]
    assert posts["region"].to_list() == ["north", "unknown"]
    assert posts["lang"].to_list() == ["en", "en"]
    assert (
        posts["author"][0] != "alice"
        and len(posts["author"][0]) == 64
        and posts["author"][1] is None
    )
    assert "text" not in posts.columns and "author_id" not in posts.columns
    assert posts["sad"].to_list() == [True, False] and posts["calm"].to_list() == [False, True]


def test_repeated_ids_keep_the_first_in_file_order():
    posts = pl.DataFrame({"id": ["a", "b", "a"], "source": ["f2", "f1", "f1"], "line": [1, 9, 3]})
    kept, repeats = drop_repeated_ids(posts)
    assert repeats == 1
    assert kept.select("id", "source", "line").rows() == [("a", "f1", 3), ("b", "f1", 9)]


def _week_of_posts():
    """Author a posts sad on Sunday 5 Jan and Monday 6 Jan 2025; b on Monday only."""
    rows = [(date(2025, 1, 5), "a", True), (date(2025, 1, 6), "a", True),
            (date(2025, 1, 6), "b", False), (date(2025, 1, 12), "b", True)]  # fmt: skip
    return pl.DataFrame(
        {
            "day": [r[0] for r in rows],
            "region": ["north"] * len(rows),
            "lang": ["en"] * len(rows),
            "author": [r[1] for r in rows],
            "sad": [r[2] for r in rows],
            "calm": [None] * len(rows),
        },
        schema_overrides={"calm": pl.Boolean},
    )


def _cell(frame, grain, start):
    rows = author_days(_week_of_posts(), MARKERS, rates=RATES)
    cells = aggregate_cells(rows, MARKERS, run_id="r", grain=grain, period_start=start)
    assert cells.schema == pl.Schema(PERIOD_SCHEMA)
    return cells.filter(
        (pl.col("marker") == "sad") & (pl.col("region") == ALL) & (pl.col("lang") == ALL)
    ).row(0, named=True)


def test_weeks_count_each_author_once_not_once_a_day():
    iso = _cell(None, "iso_week", date(2025, 1, 6))
    assert (iso["period_end"], iso["n_posts"], iso["n_marked"]) == (date(2025, 1, 12), 3, 2)
    assert (iso["n_authors"], iso["n_marked_authors"]) == (2, 2)
    assert (iso["n_author_days"], iso["n_marked_author_days"]) == (3, 2)
    epi = _cell(None, "epi_week", date(2025, 1, 5))
    assert (epi["n_posts"], epi["n_authors"], epi["n_marked_authors"]) == (3, 2, 1)


def test_eight_weeks_count_each_author_once_over_the_whole_period():
    start = date(2025, 1, 5)  # an epi 8-week period holding every post of _week_of_posts
    eight = _cell(None, "epi_8week", start)
    assert eight["period_end"] == start + timedelta(days=55)
    assert (eight["n_posts"], eight["n_authors"], eight["n_marked_authors"]) == (4, 2, 2)
    assert (eight["n_author_days"], eight["n_marked_author_days"]) == (4, 3)


def test_a_week_must_start_on_its_first_day():
    rows = author_days(_week_of_posts(), MARKERS, rates=RATES)
    with pytest.raises(ValueError, match="does not start"):
        aggregate_cells(rows, MARKERS, run_id="r", grain="iso_week", period_start=date(2025, 1, 7))


def _post_rows(days, *, langs, authors):
    """Between 1 and 40 posts as (day, region, lang, author, sad, calm) rows: `days` a
    strategy, two regions, the given languages and authors, each marker True, False or null."""
    return st.lists(
        st.tuples(
            days,
            st.sampled_from(["north", "south"]),
            st.sampled_from(langs),
            st.sampled_from(authors),
            st.sampled_from([True, False, None]),
            st.sampled_from([True, False, None]),
        ),
        min_size=1,
        max_size=40,
    )


def _frame(rows):
    """`_post_rows` rows as posts (a day drawn as a whole number is that many days after D)."""
    return pl.DataFrame(
        [(D + timedelta(days=r[0]) if isinstance(r[0], int) else r[0], *r[1:]) for r in rows],
        schema={
            "day": pl.Date,
            "region": pl.String,
            "lang": pl.String,
            "author": pl.String,
            "sad": pl.Boolean,
            "calm": pl.Boolean,
        },
        orient="row",
    )


@settings(max_examples=40, deadline=None)
@given(
    _post_rows(
        st.sampled_from([D, date(2025, 1, 2)]),
        langs=["en", "es", "fr"],
        authors=["a", "b", "c", None],
    )
)
def test_two_step_counts_equal_the_plain_definition(rows):
    posts = _frame(rows)
    rates = RATES.with_columns(
        pl.when(pl.col("lang") == "es").then(0.5).otherwise(pl.col("sample_rate")).alias("sample_rate")
    )  # fmt: skip
    ours = daily_aggregates(posts, MARKERS, run_id="r", rates=rates)
    expected = plain_aggregates(posts, MARKERS, rates=rates)
    assert ours.select(expected.columns).equals(expected)


def test_compacted_author_days_expand_back_to_the_same_counts():
    from transforms.aggregate import compact_author_days, expand_author_days

    rows = author_days(_posts(), MARKERS, rates=RATES)
    wide = compact_author_days(rows)
    assert wide.height < rows.height and wide["author"].dtype == pl.UInt64
    back = expand_author_days(wide, rates=RATES)
    for frame in (rows, back):
        assert (
            aggregate_cells(frame, MARKERS, run_id="r", grain="day")
            .drop("run_id")
            .equals(aggregate_cells(rows, MARKERS, run_id="r", grain="day").drop("run_id"))
        )


def test_periods_counted_together_equal_periods_counted_one_by_one():
    from transforms.aggregate import count_cells, wide_author_days

    wide = wide_author_days(_week_of_posts(), MARKERS, rates=RATES)
    for grain in PERIOD_GRAINS:
        together = count_cells(wide, MARKERS, rates=RATES, run_id="r", grain=grain)
        starts = sorted(set(together["period_start"]))
        alone = pl.concat(
            count_cells(wide, MARKERS, rates=RATES, run_id="r", grain=grain, period_start=s)
            for s in starts
        )
        assert together.equals(alone)


@settings(max_examples=40, deadline=None)
@given(
    _post_rows(
        st.sampled_from([date(2025, 1, 6), date(2025, 1, 7), date(2025, 1, 12)]),
        langs=["en", "es", "fr"],
        authors=["a", "b", None, *(f"solo{i}" for i in range(8))],
    )
)
def test_week_counts_equal_the_plain_definition(rows):
    """Authors with one row in the week and authors with several (counted two ways inside
    count_cells) give the distinct authors and author-days of the plain definition."""
    posts = _frame(rows)
    week = aggregate_cells(
        author_days(posts, MARKERS, rates=RATES),
        MARKERS,
        run_id="r",
        grain="iso_week",
        period_start=date(2025, 1, 6),
    )
    scored, marked, author = pl.col("value").is_not_null(), pl.col("value"), pl.col("author")
    pair = pl.struct("author", "day")
    expected = (
        long_cells(posts, MARKERS, rates=RATES)
        .group_by("region", "lang", "marker")
        .agg(
            pl.len().alias("n_posts"),
            author.filter(scored).drop_nulls().n_unique().alias("n_authors"),
            author.filter(marked).drop_nulls().n_unique().alias("n_marked_authors"),
            pair.filter(scored & author.is_not_null()).n_unique().alias("n_author_days"),
            pair.filter(marked & author.is_not_null()).n_unique().alias("n_marked_author_days"),
        )
        .with_columns(pl.exclude("region", "lang", "marker").cast(pl.Int64))
        .sort("region", "lang", "marker")
    )
    assert week.select(expected.columns).equals(expected)


@settings(max_examples=30, deadline=None)
@given(
    _post_rows(st.integers(0, 70), langs=["en", "es"], authors=["a", "b", "c", None]),
    st.integers(1, 30),
)
def test_periods_counted_in_parts_equal_periods_counted_whole(rows, part_days):
    """Sums and author masks of a period's days taken in parts of `part_days` days, combined by
    period_cells, give what count_cells gives over all the days at once."""
    from transforms.aggregate import count_cells, wide_author_days
    from transforms.author_masks import with_masks
    from transforms.periods import author_periods, period_cells, period_sums

    posts = _frame(rows)
    wide = wide_author_days(posts, MARKERS, rates=RATES)
    names = list(MARKERS)
    part = ((pl.col("day") - D).dt.total_days() // part_days).alias("part")
    for grain in PERIOD_GRAINS:
        sums, authors = [], []
        for (_,), days in wide.group_by(part):
            daily = count_cells(days, MARKERS, rates=RATES, run_id="r", grain="day")
            sums.append(period_sums(daily, grain))
            authors.append(author_periods(with_masks(days, names), grain))
        combined = period_cells(pl.concat(sums), pl.concat(authors), names, run_id="r")
        whole = count_cells(wide, MARKERS, rates=RATES, run_id="r", grain=grain)
        assert combined.equals(whole)


@settings(max_examples=30, deadline=None)
@given(
    _post_rows(st.integers(0, 70), langs=["en", "es"], authors=["a", "b", "c", "d", None]),
    st.integers(1, 5),
)
def test_periods_counted_in_author_shards_equal_periods_counted_whole(rows, shards):
    """Author counts taken apart per shard of the author hashes, summed by counted_periods with
    the sums split anyhow, give what count_cells gives over all the authors at once."""
    from transforms.aggregate import count_cells, wide_author_days
    from transforms.author_masks import with_masks
    from transforms.periods import author_counts, author_periods, counted_periods, period_sums

    posts = _frame(rows)
    wide = wide_author_days(posts, MARKERS, rates=RATES)
    names = list(MARKERS)
    daily = count_cells(wide, MARKERS, rates=RATES, run_id="r", grain="day")
    for grain in PERIOD_GRAINS:
        authors = author_periods(with_masks(wide, names), grain)
        counts = [
            author_counts(authors.filter(pl.col("author") % shards == s), names)
            for s in range(shards)
        ]
        sums = period_sums(daily, grain)
        split = [sums.head(sums.height // 2), sums.tail(sums.height - sums.height // 2)]
        combined = counted_periods(pl.concat(split), pl.concat(counts), run_id="r")
        whole = count_cells(wide, MARKERS, rates=RATES, run_id="r", grain=grain)
        assert combined.equals(whole)


@settings(max_examples=30, deadline=None)
@given(
    _post_rows(st.integers(0, 20), langs=["en", "es"], authors=["a", "b", "c", "d", None]),
    st.integers(1, 5),
)
def test_daily_cells_counted_in_author_shards_and_summed_equal_cells_counted_whole(rows, shards):
    """Daily cells counted apart per shard of the author hashes (the posts without an author in
    shard 0) and summed by summed_daily give what count_cells gives over all the posts at once."""
    from transforms.aggregate import count_cells, summed_daily, wide_author_days

    posts = _frame(rows)
    wide = wide_author_days(posts, MARKERS, rates=RATES)
    shard = pl.col("author").fill_null(0) % shards
    parts = [
        count_cells(wide.filter(shard == s), MARKERS, rates=RATES, run_id="r", grain="day")
        for s in range(shards)
    ]
    whole = count_cells(wide, MARKERS, rates=RATES, run_id="r", grain="day")
    assert summed_daily(parts).equals(whole)


@settings(max_examples=30, deadline=None)
@given(_post_rows(st.integers(0, 70), langs=["en", "es", "fr"], authors=["a", "b", "c", None]))
def test_categorical_regions_and_languages_count_as_text(rows):
    """The job keeps region and language categorical (ingest.blocks): every grain's cells, and
    the authors' period rows it spills, are those of the same posts with text."""
    from transforms.aggregate import count_cells, wide_author_days
    from transforms.author_masks import with_masks
    from transforms.periods import author_periods

    posts = _frame(rows)
    text = wide_author_days(posts, MARKERS, rates=RATES)
    categorical = wide_author_days(
        posts.with_columns(pl.col("region", "lang").cast(pl.Categorical)), MARKERS, rates=RATES
    )
    assert categorical.schema["region"] == pl.Categorical
    for grain in ("day", *PERIOD_GRAINS):
        cells = count_cells(categorical, MARKERS, rates=RATES, run_id="r", grain=grain)
        assert cells.equals(count_cells(text, MARKERS, rates=RATES, run_id="r", grain=grain))
    for grain in PERIOD_GRAINS:
        keys = ["period_start", "day", "region", "lang", "author"]
        got, expected = (
            author_periods(with_masks(wide, list(MARKERS)), grain)
            .with_columns(pl.col("region", "lang").cast(pl.String))
            .sort(keys)
            for wide in (categorical, text)
        )
        assert got.equals(expected)


@settings(max_examples=20, deadline=None)
@given(_post_rows(st.integers(1, 40), langs=["en", "es"], authors=["a", "b", None]))
def test_author_periods_of_a_marker_set_of_zero_markers_are_its_authors_period_rows(rows):
    """With no marker there is no mask column, and the compiled pass failed with IndexError
    (`rows.select([]).to_numpy()` has no rows); the rows are those of any marker set, without
    masks, and count no cell."""
    from transforms.aggregate import wide_author_days
    from transforms.author_masks import distinct_authors, with_masks
    from transforms.periods import author_counts, author_periods

    wide = wide_author_days(_frame(rows), MARKERS, rates=RATES)
    keys = ["grain", "period_start", "day", "region", "lang", "author"]
    for grain in PERIOD_GRAINS:
        none = author_periods(with_masks(wide, []), grain)
        some = author_periods(with_masks(wide, list(MARKERS)), grain)
        assert none.columns[: len(keys)] == keys
        assert not any(c.startswith("\x1fmask") for c in none.columns)
        assert none.select(keys).sort(keys).equals(some.select(keys).sort(keys))
        assert author_counts(none, []).is_empty()
    cells = distinct_authors(with_masks(wide, []), ["day"], [])
    marked = distinct_authors(with_masks(wide, list(MARKERS)), ["day"], list(MARKERS))
    assert cells.sort(cells.columns).equals(marked.select(cells.columns).sort(cells.columns))
