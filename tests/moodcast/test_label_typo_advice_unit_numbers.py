"""A marker column's values that are 0 or 1 written otherwise (`01`, `1.00`) are no scale: the
advice never calls them "numbers other than 0 and 1 (1)", it says to correct them."""

from __future__ import annotations

from tests.moodcast.test_label_typo_advice import _refused


def test_0_and_1_written_otherwise_are_to_be_corrected_not_cut(tmp_path):
    said = _refused(tmp_path, ["0", "1", "01", "0", "1", "1.00", "0", "1", "0", "1"])
    assert "'01' (row 4), '1.00' (row 7)" in said
    assert "scale" not in said
    assert "correct them, or blank those a row is not labelled for" in said


def test_a_scale_beside_them_names_only_its_other_numbers(tmp_path):
    said = _refused(tmp_path, ["0", "1", "01", "0", "1", "3", "0", "1", "0", "1"])
    assert "numbers other than 0 and 1 (3): a scale?" in said
    assert "correct them" in said
