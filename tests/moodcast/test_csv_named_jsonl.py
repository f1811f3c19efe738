"""A CSV file named as JSON Lines: every line a dead letter `invalid JSON`, and the refusal
said only that no field could be read. It now says the file looks like CSV and the name to give
it; JSON Lines whose records are no posts, and a `.txt` of lines with commas, are not said to
be CSV (moodcast.reading.file_reading, ingest.peek.looks_like_csv)."""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner

from moodcast.cli import main

CSV = 'id,created_at,text\n1,2025-03-01T10:00:00Z,"sad, so sad"\n2,2025-03-01T11:00:00Z,fine\n'


def _refusal(tmp_path, path):
    result = CliRunner().invoke(
        main,
        ["tag", str(path), "-o", str(tmp_path / "tagged.parquet"), "--source", "lexicon",
         "--data-dir", str(tmp_path / "data")],
    )  # fmt: skip
    assert result.exit_code == 4, result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    "name, renamed", [("posts.jsonl", "posts.csv"), ("x.ndjson.gz", "x.csv.gz")]
)
def test_a_csv_named_as_json_lines_is_said_to_look_like_csv_and_no_other_file_is(
    tmp_path, name, renamed
):
    path = tmp_path / name
    path.write_bytes(gzip.compress(CSV.encode()) if name.endswith(".gz") else CSV.encode())
    said = _refusal(tmp_path, path)
    assert "3 invalid JSON" in said
    assert (
        f"its first line holds commas and no {{, so it looks like CSV; rename it {renamed}" in said
    )
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps({"a": 1, "b": "x, y"}) + "\n" for _ in range(3)))
    prose = tmp_path / "notes.txt"
    prose.write_text("Hello, world\nanother, line\n")
    for path in (records, prose):
        assert "looks like CSV" not in _refusal(tmp_path, path)
