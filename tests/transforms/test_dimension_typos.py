"""A dimension that one marker of the analyst's alone feeds, close to another marker's
(`emotoin`, `Depression`), is warned of naming the file: it silently formed a dimension of its
own, its marker left out of the dimension meant."""

import logging

import pytest

from transforms.markers import load_markers


def _load(tmp_path, caplog, dimensions):
    (tmp_path / "mine.toml").write_text(
        f'name = "mine"\ndimensions = {dimensions}\n[lang.en]\nterms = ["sad"]\n'
    )
    with caplog.at_level(logging.WARNING, logger="transforms.markers.file_checks"):
        load_markers(tmp_path)
    return caplog.text


def test_a_misspelt_dimension_is_warned_of_with_the_one_meant(tmp_path, caplog):
    said = _load(tmp_path, caplog, '["emotoin", "Depression", "stres"]')
    assert f"{tmp_path / 'mine.toml'}: dimension 'emotoin' is no other marker's" in said
    assert "(did you mean emotion?)" in said and "(did you mean depression?)" in said
    assert "(did you mean stress?)" in said


def test_a_new_dimension_or_none_is_not_warned_of(tmp_path, caplog):
    assert _load(tmp_path, caplog, '["grief", "emotion"]') == ""
    assert _load(tmp_path, caplog, "[]") == ""


@pytest.mark.parametrize("dimension", ["distress", "eustress", "substance_abuse"])
def test_a_new_dimension_longer_than_another_by_more_than_a_letter_is_not_warned_of(
    tmp_path, caplog, dimension
):
    """Psychological `distress` beside `stress`: a dimension of its own, not a typo."""
    assert _load(tmp_path, caplog, f'["{dimension}"]') == ""
