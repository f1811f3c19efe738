"""A CSV separated by ';', tabs or '|' gets one sentence, with the command that converts it,
from every command that reads posts or labelled posts (transforms.presets.separator_advice)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from moodcast.cli import main
from transforms.presets import separator_advice

HEADER = ["id", "created_at", "text", "lang", "author_id", "sadness"]
ROWS = [
    ["1", "2026-01-01T10:00:00Z", "so sad today", "en", "a1", "1"],
    ["2", "2026-01-01T11:00:00Z", "a calm day", "en", "a2", "0"],
]


@pytest.mark.parametrize("separator", [";", "\t", "|"])
@pytest.mark.parametrize(
    "command",
    [["run"], ["tag", "-o", "{out}"], ["markers", "adapt"], ["markers", "evaluate", "--labels"]],
)
def test_every_command_reading_a_file_gives_the_same_separator_advice(tmp_path, command, separator):
    """Regression: `markers adapt` said only 'No usable post' for a ';' file, which `run` and
    `tag` read the same way and converted with a command; `markers evaluate` put the advice,
    capitalised, after a semicolon."""
    path = tmp_path / "posts.csv"
    path.write_text("\n".join(separator.join(r) for r in [HEADER, *ROWS]) + "\n", encoding="utf-8")
    args = [a.format(out=tmp_path / "out.parquet") for a in command]
    result = CliRunner().invoke(main, [*args, str(path), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 4, result.output
    advice = separator_advice([separator.join(HEADER)])
    assert advice and advice in result.output
    assert f". {advice}" in result.output and "Traceback" not in result.output
