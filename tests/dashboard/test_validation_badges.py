import polars as pl

from dashboard.data import not_validated, validated_in_part
from transforms.quantify import BOUNDED, HIDDEN_PART, MIXED, VALIDATED


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
