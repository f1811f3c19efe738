"""A CSV file named as JSON Lines: every line a dead letter `invalid JSON`, and the refusal
said only that no field could be read. It now says the file looks like CSV and the name to give
it; JSON Lines whose records are no posts, and a `.txt` of lines with commas, are not said to
be CSV (moodcast.reading.file_reading, ingest.peek.looks_like_csv); a run that keeps other
inputs' posts warns of such a file (moodcast.run._warn_csv_named_json)."""

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


def test_a_run_warns_of_a_csv_named_jsonl_beside_good_inputs(tmp_path):
    """Regression: a run of two inputs, one a CSV named .jsonl, published the other's posts and
    counted the CSV's lines as `invalid JSON` dead letters, with no word of why."""
    good = tmp_path / "good.jsonl"
    good.write_text(
        "".join(
            json.dumps({"id": str(i), "created_at": "2025-03-01T10:00:00Z", "text": "so sad"})
            + "\n"
            for i in range(5)
        )
    )
    bad = tmp_path / "more.jsonl"
    bad.write_text(CSV)
    result = CliRunner().invoke(
        main,
        ["run", str(good), str(bad), "--data-dir", str(tmp_path / "data"), "--as-of", "2025-03-02"],
        obj={"beam_args": []},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert (
        f"{bad}: every one of its 3 records is a dead letter: its first line holds commas and "
        "no {, so it looks like CSV; rename it more.csv" in said
    )
