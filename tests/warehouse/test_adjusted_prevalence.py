"""The prevalence adjusted for marker error in published timelines and exports."""

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest

from tests.warehouse.conftest import D1, cell, run_record
from transforms.contracts import DAILY_SCHEMA, PERIOD_SCHEMA
from transforms.quantify import ADJUSTED_COLUMNS, with_adjusted_prevalence
from transforms.rates import conform_rates
from transforms.validation import BOUNDED, HIDDEN_PART, NO_RATES, OTHER_VERSION, VALIDATED, WEAK
from warehouse import queries
from warehouse.exports import export
from warehouse.ledger import record_run
from warehouse.load import load_daily, load_periods


def _rates(*rows):
    keys = ("marker", "lang", "marker_version", "tp", "fn", "fp", "tn")
    return conform_rates(pl.DataFrame([dict(zip(keys, row, strict=True)) for row in rows]))


RATES = _rates(
    ("sadness", "en", "v1", 80, 20, 50, 450),  # tpr 0.8, fpr 0.1
    ("sadness", "es", "v1", 70, 30, 40, 360),  # tpr 0.7, fpr 0.1
    ("joy", "en", "v1", 20, 80, 40, 360),  # tpr 0.2, fpr 0.1: too weak
    ("anger", "en", "v0", 80, 20, 50, 450),  # measured on another version
)


@pytest.fixture
def warehouse(con, make_daily):
    load_daily(
        con,
        make_daily(
            cell(D1, lang="en", n_authors=1000, n_marked_authors=300),
            cell(D1, lang="es", n_authors=500, n_marked_authors=100),
            cell(D1, lang="all", n_authors=1500, n_marked_authors=400),
            cell(D1, lang="en", region="north", marker="calm", n_authors=8, n_marked_authors=3),
            cell(D1, lang="en", marker="joy", n_authors=1000, n_marked_authors=300),
            cell(D1, lang="en", marker="anger", n_authors=1000, n_marked_authors=300),
            cell(D1, lang="en", marker="fear", n_authors=1000, n_marked_authors=300),
        ),
        days=[D1],
    )
    return con


def test_a_validated_marker_gets_its_adjusted_share_and_interval(warehouse):
    rows = queries.daily(warehouse, marker="sadness", region="all", rates=RATES)
    by_lang = {row["lang"]: row for row in rows.iter_rows(named=True)}
    en, es = (0.3 - 0.1) / 0.7, (0.2 - 0.1) / 0.6
    assert by_lang["en"]["adjusted_prevalence"] == pytest.approx(en)
    assert by_lang["es"]["adjusted_prevalence"] == pytest.approx(es)
    assert by_lang["all"]["adjusted_prevalence"] == pytest.approx((1000 * en + 500 * es) / 1500)
    assert all(row["validation"] == VALIDATED for row in by_lang.values())
    assert all(
        row["adjusted_prevalence_lo"] < row["adjusted_prevalence"] < row["adjusted_prevalence_hi"]
        for row in by_lang.values()
    )


def test_the_roll_up_is_adjusted_when_only_it_is_asked_for(warehouse):
    alone = queries.daily(warehouse, marker="sadness", region="all", lang="all", rates=RATES)
    assert alone.height == 1 and alone["validation"].item() == VALIDATED
    assert alone["adjusted_prevalence"].item() == pytest.approx((1000 * 2 / 7 + 500 * 1 / 6) / 1500)


def test_a_not_validated_marker_shows_why_and_no_adjusted_share(warehouse):
    rows = queries.daily(warehouse, region="all", lang="en", rates=RATES)
    status = dict(zip(rows["marker"], rows["validation"], strict=True))
    assert status == {"anger": OTHER_VERSION, "fear": NO_RATES, "joy": WEAK, "sadness": VALIDATED}
    shown = rows.filter(pl.col("marker") != "sadness")
    assert shown.select(ADJUSTED_COLUMNS).null_count().row(0) == (3, 3, 3)
    assert shown["prevalence"].to_list() == [0.3, 0.3, 0.3]


def test_a_suppressed_cell_withholds_its_adjusted_share(warehouse):
    north = queries.daily(warehouse, region="north", rates=RATES)
    assert north["suppressed"].to_list() == [True]
    assert north.select(ADJUSTED_COLUMNS).null_count().row(0) == (1, 1, 1)


def test_exports_carry_the_adjusted_share_and_the_dictionary_documents_it(warehouse, tmp_path):
    paths = export(warehouse, tmp_path, formats=("csv",), k=11, tz="UTC", rates=RATES)
    timelines = pl.read_csv(paths[0])
    assert {*ADJUSTED_COLUMNS, "validation"} <= set(timelines.columns)
    sadness = timelines.filter(marker="sadness", region="all", lang="en")
    assert sadness["adjusted_prevalence"].item() == pytest.approx(2 / 7, abs=1e-6)
    assert timelines.filter(marker="fear")["validation"].item() == NO_RATES
    dictionary = paths[-2].read_text(encoding="utf-8")
    for column in (*ADJUSTED_COLUMNS, "validation"):
        assert f"| `{column}` |" in dictionary
    parquet = pl.read_parquet(
        export(warehouse, tmp_path / "p", formats=("parquet",), k=11, tz="UTC")[0]
    )
    assert {*ADJUSTED_COLUMNS, "validation"} <= set(parquet.columns)


def test_a_published_rollup_bounds_a_small_language_without_validated_rates(con, make_daily):
    load_daily(
        con,
        make_daily(
            cell(D1, lang="es", n_authors=1470, n_marked_authors=290),
            cell(D1, lang="fr", n_authors=30, n_marked_authors=12),
            cell(D1, lang="all", n_authors=1500, n_marked_authors=302),
        ),
        days=[D1],
    )
    rollup = queries.daily(con, lang="all", rates=RATES).row(0, named=True)
    assert rollup["validation"] == (
        f"{BOUNDED} (fr: no labelled data for this marker and language, 2.0% of authors)"
    )
    es = (290 / 1470 - 0.1) / 0.6
    assert rollup["adjusted_prevalence"] == pytest.approx(0.98 * es + 0.02 * 12 / 30)
    assert rollup["adjusted_prevalence_lo"] < rollup["adjusted_prevalence"] - 0.02 * 12 / 30
    assert rollup["adjusted_prevalence_hi"] > rollup["adjusted_prevalence"] + 0.02 * 18 / 30


def test_a_rollup_day_is_not_combined_from_languages_published_by_week(con, make_daily):
    """es has 5 flagged authors on Sunday, so its week is published whole, and so is en's
    (complementary suppression): a day's roll-up of 1,300 authors would be combined from the
    week's 3,000 and 1,500 distinct authors, en's adjusted share of its week (900 of 3,000
    flagged) standing for a day on which it flags 200 of 1,000."""
    monday = date(2025, 3, 3)
    days = [monday + timedelta(days=i) for i in range(7)]
    spec = {
        "en": (1000, [200] * 7, 3000, 900),
        "es": (300, [60] * 6 + [5], 1500, 300),
        "all": (1300, [260] * 6 + [205], 4500, 1200),
    }
    rows, weeks = [], []
    for lang, (n, marked, week_n, week_marked) in spec.items():
        rows += [
            cell(d, lang=lang, n_authors=n, n_marked_authors=m)
            for d, m in zip(days, marked, strict=True)
        ]
        weeks.append(
            {k: v for k, v in cell(lang=lang).items() if k != "day"}
            | {"grain": "iso_week", "period_start": monday, "period_end": days[-1]}
            | {"n_authors": week_n, "n_marked_authors": week_marked}
            | {"n_author_days": 7 * n, "n_marked_author_days": sum(marked)}
        )
    load_daily(con, make_daily(*rows), days=days)
    load_periods(con, pl.DataFrame(weeks, schema=PERIOD_SCHEMA), days=days)
    record_run(con, replace(run_record(), as_of=days[-1] + timedelta(days=1)))  # week ended
    rollup = queries.daily(con, lang="all", start=monday, end=monday, rates=RATES)
    assert rollup.row(0, named=True)["grain"] == "day"
    assert rollup.row(0, named=True)["validation"] == (
        f"{HIDDEN_PART} (en: published by iso_week; es: published by iso_week)"
    )
    assert rollup.row(0, named=True)["adjusted_prevalence"] is None
    exported = queries.published(con, rates=RATES).filter(pl.col("lang") == "all")
    assert exported.get_column("grain").unique().to_list() == ["day"]
    assert exported.get_column("validation").unique().to_list() == [
        f"{HIDDEN_PART} (en: published by iso_week; es: published by iso_week)"
    ]


def _week_of(con, spec):
    """Load one ISO week of sadness cells: per lang, (authors a day, marked per day (None: no
    cell that day), the week's distinct authors, the week's distinct marked authors);
    author-days are the days' sums, and record a run of the next Monday (the week has ended,
    so a release may publish it whole). Returns the week's days."""
    monday = date(2025, 3, 3)
    days = [monday + timedelta(days=i) for i in range(7)]
    rows, weeks = [], []
    for lang, (n, marked, week_n, week_marked) in spec.items():
        present = [(d, m) for d, m in zip(days, marked, strict=True) if m is not None]
        rows += [cell(d, lang=lang, n_authors=n, n_marked_authors=m) for d, m in present]
        weeks.append(
            {k: v for k, v in cell(lang=lang).items() if k != "day"}
            | {"grain": "iso_week", "period_start": monday, "period_end": days[-1]}
            | {"n_authors": week_n, "n_marked_authors": week_marked}
            | {"n_author_days": len(present) * n}
            | {"n_marked_author_days": sum(m for _, m in present)}
        )
    load_daily(con, pl.DataFrame(rows, schema=DAILY_SCHEMA), days=days)
    load_periods(con, pl.DataFrame(weeks, schema=PERIOD_SCHEMA), days=days)
    record_run(con, replace(run_record(), as_of=days[-1] + timedelta(days=1)))
    return days


def test_a_week_published_whole_adjusts_the_author_day_share_it_shows(con):
    """Every language's Sunday is below k, so the week is published whole: en shows 1,203 of
    7,000 author-days (0.172, its days' level), while 900 of its 3,000 distinct authors
    (0.30) were flagged on some day. The adjusted share corrected the distinct share (0.286,
    above every day's 0.143) beside a `prevalence` of 0.172; it corrects the author-day
    share, with the interval of a cell of 7,000 units, and the roll-up weights its languages
    by author-days."""
    days = _week_of(
        con,
        {
            "en": (1000, [200] * 6 + [3], 3000, 900),
            "es": (300, [60] * 6 + [5], 1500, 300),
            "all": (1300, [260] * 6 + [8], 4500, 1200),
        },
    )
    exported = queries.published(con, rates=RATES)
    assert exported.get_column("grain").unique().to_list() == ["iso_week"]
    by_lang = {row["lang"]: row for row in exported.iter_rows(named=True)}
    en, es = by_lang["en"], by_lang["es"]
    assert en["prevalence"] == pytest.approx(1203 / 7000)
    assert en["adjusted_prevalence"] == pytest.approx((1203 / 7000 - 0.1) / 0.7)
    assert (en["n_author_days"], en["n_marked_author_days"]) == (7000, 1203)
    same = with_adjusted_prevalence(
        pl.DataFrame([cell(n_authors=7000, n_marked_authors=1203)], schema=DAILY_SCHEMA), RATES
    ).row(0, named=True)
    assert same["adjusted_prevalence"] == pytest.approx((1203 / 7000 - 0.1) / 0.7)
    for column in ADJUSTED_COLUMNS:
        assert en[column] == pytest.approx(same[column])
    es_share = (365 / 2100 - 0.1) / 0.6
    assert es["adjusted_prevalence"] == pytest.approx(es_share)
    rollup = by_lang["all"]
    assert rollup["validation"] == VALIDATED
    assert rollup["adjusted_prevalence"] == pytest.approx(
        (7000 * same["adjusted_prevalence"] + 2100 * es_share) / 9100
    )
    shown = queries.daily(con, rates=RATES)
    assert shown.height == 21 and shown.get_column("day").unique().sort().to_list() == days
    for lang, row in by_lang.items():
        mine = shown.filter(pl.col("lang") == lang)
        for column in (*ADJUSTED_COLUMNS, "validation", "n_author_days"):
            assert mine.get_column(column).unique().to_list() == [row[column]]


def test_an_exported_rollup_day_is_not_combined_from_some_of_its_languages(con):
    """fr has 5 flagged authors on Sunday, so its week is published whole, and so is de's (the
    smallest, by complementary suppression), while en, es and the roll-up stay by day: each
    exported roll-up day has en and es rows of its own period but not fr's or de's, 800 of its
    2,800 authors. Combining en and es alone published a validated adjusted share of 2,000
    authors for 2,800."""
    rates = pl.concat(
        [
            RATES,
            _rates(
                ("sadness", "fr", "v1", 80, 20, 50, 450), ("sadness", "de", "v1", 80, 20, 50, 450)
            ),
        ]
    )
    _week_of(
        con,
        {
            "en": (1500, [300] * 7, 4000, 900),
            "es": (500, [100] * 7, 1500, 300),
            "fr": (500, [100] * 6 + [5], 1500, 300),
            "de": (300, [60] * 7, 900, 200),
            "all": (2800, [560] * 6 + [465], 7900, 1700),
        },
    )
    exported = queries.published(con, rates=rates)
    grains = dict(exported.group_by("lang").agg(pl.col("grain").unique().first()).iter_rows())
    assert grains == {"en": "day", "es": "day", "fr": "iso_week", "de": "iso_week", "all": "day"}
    rollup = exported.filter(pl.col("lang") == "all")
    assert rollup.get_column("validation").unique().to_list() == [
        f"{HIDDEN_PART} (de: published by iso_week; fr: published by iso_week)"
    ]
    assert rollup.get_column("adjusted_prevalence").null_count() == 7
    shown = queries.daily(con, lang="all", rates=rates)
    assert shown.get_column("validation").to_list() == rollup.get_column("validation").to_list()


def test_every_day_of_a_rollup_week_reads_its_week_whatever_languages_post_that_day(con):
    """The week is published whole; es has no cell on Tuesday. Combined day by day, Tuesday's
    roll-up was combined from en's week alone (a validated 0.103, where the week's roll-up
    reads 0.105: a step inside a week published as one value); every day now reads the
    week's row."""
    days = _week_of(
        con,
        {
            "en": (1000, [200] * 6 + [3], 3000, 900),
            "es": (300, [60, None, 60, 60, 60, 60, 5], 1200, 250),
            "all": (1300, [260, 200, 260, 260, 260, 260, 8], 4200, 1150),
        },
    )
    week = queries.published(con, rates=RATES).filter(pl.col("lang") == "all").row(0, named=True)
    assert week["grain"] == "iso_week" and week["validation"] == VALIDATED
    shown = queries.daily(con, lang="all", rates=RATES)
    assert shown.get_column("day").to_list() == days
    for column in ADJUSTED_COLUMNS:
        assert shown.get_column(column).to_list() == [week[column]] * 7
