"""A dimension of the analyst's own whose name contains a shipped one, or is one with letters
added, is a new dimension, not a typo (psychological `distress` beside `stress`, `eustress`,
`substance_abuse` beside `substance_use`): it is not warned of, where the typo warning named
it and the shipped dimension as the one "probably meant". A letter dropped, added or swapped
(`stres`, `emotoin`) is still warned of (test_dimension_typos)."""

import logging

import pytest

from transforms.markers import load_markers


def _warned(tmp_path, caplog, dimension):
    (tmp_path / "mine.toml").write_text(
        f'name = "mine"\ndimensions = ["{dimension}"]\n[lang.en]\nterms = ["sad"]\n'
    )
    with caplog.at_level(logging.WARNING, logger="transforms.markers.definitions"):
        load_markers(tmp_path)
    return caplog.text


@pytest.mark.parametrize("dimension", ["distress", "eustress", "substance_abuse"])
def test_a_new_dimension_longer_than_a_shipped_one_is_not_warned_of(tmp_path, caplog, dimension):
    assert _warned(tmp_path, caplog, dimension) == ""
