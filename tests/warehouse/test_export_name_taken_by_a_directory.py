"""A directory in -o that has the name of a file the export writes (`timelines.csv`,
`manifest.json`) is named as the problem (exit 9) before anything is written. Before, the
error named the export's temporary file (`.timelines.csv.tmp: Is a directory`), and with
`manifest.json` a directory every other file was already in place, unlisted."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from moodcast.cli import main
from tests.warehouse.conftest import cell, publish
from transforms.contracts import DAILY_SCHEMA


@pytest.mark.parametrize("name", ["timelines.csv", "manifest.json", "data_dictionary.md"])
def test_a_directory_named_as_an_export_file_is_named_and_nothing_written(tmp_path, name):
    data_dir = tmp_path / "data"
    publish(data_dir, pl.DataFrame([cell()], schema=DAILY_SCHEMA))
    out = tmp_path / "out"
    (out / name).mkdir(parents=True)
    result = CliRunner().invoke(
        main, ["export", "-o", str(out), "--data-dir", str(data_dir)], obj={"beam_args": []}
    )
    assert result.exit_code == 9, result.output
    assert f"Error: {out / name}: a directory where the export writes its file" in result.output
    assert [p.name for p in Path(out).iterdir()] == [name]
