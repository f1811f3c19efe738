import polars as pl

from dashboard.data import not_validated, validated_in_part
from transforms.validation import BOUNDED, HIDDEN_PART, MIXED, VALIDATED


def _rows(*statuses):
    return pl.DataFrame({"validation": list(statuses)})


def test_a_rollup_validated_in_part_is_shown_adjusted_and_names_its_bounded_languages():
    bounded = f"{BOUNDED} (en: no labelled data for this marker and language, 2.0% of authors)"
    rows = _rows(VALIDATED, bounded)
    assert not_validated(rows) is None
    assert validated_in_part(rows) == bounded
    assert validated_in_part(_rows(VALIDATED)) is None


def test_a_withheld_rollup_says_which_languages_withhold_it():
    withheld = f"{MIXED} (en: no labelled data for this marker and language, 6.0% of authors)"
    assert not_validated(_rows(VALIDATED, withheld)) == withheld


def test_a_rollup_day_whose_validated_languages_are_suppressed_is_a_gap_not_a_reason():
    assert (
        not_validated(_rows(VALIDATED, f"{HIDDEN_PART} (en: suppressed; es: suppressed)")) is None
    )


def test_a_series_whose_every_day_is_hidden_part_says_so_instead_of_charting_gaps():
    """Regression: a roll-up series whose days were all HIDDEN_PART (its languages published by
    week) had no reason, so it was badged `validated` over an adjusted line of gaps alone."""
    hidden = f"{HIDDEN_PART} (en: published by iso_week; es: published by iso_week)"
    assert not_validated(_rows(hidden, hidden)) == hidden
