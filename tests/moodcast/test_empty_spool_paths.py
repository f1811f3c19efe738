"""The README says any empty directory option is refused (exit 2); `run --follow ""` followed
the current directory as a spool, loading whatever post files lay there, and `connect --spool ""`
wrote its spool files into the current directory, both without a word."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from moodcast.cli import main


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--follow", "", "--every", "30s"],
        ["connect", "mastodon", "--server", "http://127.0.0.1:9", "--spool", ""],
        ["connect", "bluesky", "--spool", " "],
    ],
    ids=["run --follow", "connect mastodon --spool", "connect bluesky --spool"],
)
def test_an_empty_spool_directory_is_a_usage_error(tmp_path, monkeypatch, args):
    """The data directory's config.toml is refused (exit 3) once a command runs, so a spool
    option taken as the current directory ends the command there instead of following or
    connecting for ever."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "config.toml").write_text('k = "eleven"\n', encoding="utf-8")
    result = CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2, result.output
    assert "an empty path names no directory" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["data"]
