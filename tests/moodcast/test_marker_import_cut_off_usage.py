"""`moodcast markers import vader --min-valence` of 0, below 0 or not a number is a usage error
(exit 2, the option named), as the README's exit codes say a bad option value is. Before, it
exited 5, the code of an invalid marker file or lexicon."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from moodcast.cli import main


@pytest.mark.parametrize("cut", ["0", "-1", "nan"])
def test_a_cut_off_not_above_0_is_a_usage_error(tmp_path, cut):
    out = tmp_path / "markers"
    result = CliRunner().invoke(
        main,
        ["markers", "import", "vader", "--min-valence", cut, "-o", str(out),
         "--data-dir", str(tmp_path / "data")],
        obj={"beam_args": []},
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "'--min-valence'" in result.output and "above 0" in result.output
    assert not out.exists()
