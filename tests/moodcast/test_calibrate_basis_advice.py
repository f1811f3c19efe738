"""`markers calibrate` advises copying the shipped marker file to set a threshold of your own,
and a copy carries the shipped `threshold_basis` (where the shipped cut was chosen, printed by
`markers show` beside the threshold): the advice says to change or remove it, else `show`
credits your cut to the shipped file's labelled set. Real all-MiniLM-L6-v2."""

import polars as pl
import pytest
from click.testing import CliRunner

from moodcast.cli import main
from tests.moodcast.test_calibrate_advice import TEXTS

pytestmark = pytest.mark.slow


def test_the_advice_to_copy_a_marker_file_says_to_change_its_threshold_basis(tmp_path):
    labels = tmp_path / "labels.csv"
    pl.DataFrame({"text": TEXTS, "lang": ["en"] * 4, "anger": [1, 0, 0, 1]}).write_csv(labels)
    args = ["markers", "calibrate", "--labels", str(labels), "--data-dir", str(tmp_path / "d")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (advice,) = [line for line in result.stdout.splitlines() if line.startswith("To decide")]
    assert "`threshold_basis`" in advice
    assert "remove" in advice
