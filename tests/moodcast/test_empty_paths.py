"""An empty directory option, as an unset shell variable gives it (`--data-dir "$DATA"`), is a
usage error: `--data-dir ""` used ./moodcast-data (or $MOODCAST_HOME) without a word, and
`sample -o ""` wrote its posts into the current directory."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from moodcast.cli import main


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["export", "-o", "out", "--data-dir", ""], "'--data-dir'"),
        (["sample", "-o", "", "--posts", "10", "--days", "2"], "'-o' / '--output'"),
        (["demo", "--sample-dir", " ", "--no-dashboard"], "'--sample-dir'"),
    ],
)
def test_an_empty_directory_option_is_a_usage_error(tmp_path, monkeypatch, args, option):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MOODCAST_HOME", raising=False)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {option}: an empty path names no directory" in result.output
    assert list(tmp_path.iterdir()) == []
