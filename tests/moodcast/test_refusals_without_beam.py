"""A first run's wrong input is refused without importing Apache Beam (~1.2 CPU s): a local
path that names no file (ingest.files), and a file with no usable post, whose first record is
read for the advice (ingest.peek). The messages are the ones Beam's matching and opening give
(a glob still goes through Beam's matching)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.file_checks import InputFileError
from ingest.files import is_local_file, read_file
from ingest.inputs import matched_files
from ingest.peek import peek_document, peek_fields, peek_record
from tests.moodcast.test_tag_without_beam import tag_in_a_fresh_process


def _posts_of(tmp_path: Path) -> dict[str, Path]:
    """Files of no usable post: wrong field names (JSON Lines, CSV), one JSON document."""
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"uuid": "p1", "body": "so sad"}\n{"uuid": "p2", "body": "fine"}\n')
    table = tmp_path / "wrong.csv"
    table.write_text("PostID,Text\n7,so sad\n")
    document = tmp_path / "document.jsonl"
    document.write_text(
        json.dumps([{"id": "1", "created_at": 1736158502, "text": "so sad"}] * 2) + "\n"
    )
    return {"fields": wrong, "csv": table, "document": document}


@pytest.mark.parametrize("kind", ["missing", "fields", "csv", "document"])
def test_a_first_runs_wrong_input_is_refused_without_beam(tmp_path, kind):
    path = tmp_path / "nothing-here.jsonl" if kind == "missing" else _posts_of(tmp_path)[kind]
    out = ["-o", str(tmp_path / "tagged.parquet"), "--data-dir", str(tmp_path / "d")]
    code, stderr, beam = tag_in_a_fresh_process([str(path), *out])
    assert code == 4, stderr
    said = {
        "missing": f"no input file matches {str(path)!r}: check the path",
        "fields": "has the fields uuid, body",
        "csv": "has the fields PostID, Text",
        "document": "is one JSON document, an array of 2 items",
    }[kind]
    assert said in " ".join(stderr.split()), stderr
    assert not beam


def test_a_missing_path_is_refused_as_beams_matching_refuses_it(tmp_path):
    missing = str(tmp_path / "nothing-here.jsonl")
    with pytest.raises(InputFileError) as direct:
        list(read_file(missing))
    with pytest.raises(InputFileError) as matched:
        matched_files([missing])
    assert (str(direct.value), direct.value.paths) == (str(matched.value), matched.value.paths)


def test_peeking_at_a_local_file_reads_what_beams_filesystems_read(tmp_path):
    files = _posts_of(tmp_path)
    packed = tmp_path / "wrong.jsonl.gz"
    packed.write_bytes(gzip.compress(files["fields"].read_bytes()))
    pq.write_table(pa.table({"id": ["1"], "txt": ["x"]}), tmp_path / "posts.parquet")
    paths = [*files.values(), packed, tmp_path / "posts.parquet"]
    globbed = tmp_path / "copies[1]"  # a glob character: not a plain local path, opened by Beam
    globbed.mkdir()
    copies = [globbed / p.name for p in paths]
    for path, copy in zip(paths, copies, strict=True):
        copy.write_bytes(path.read_bytes())
    assert not any(is_local_file(str(c)) for c in copies)
    local = [(peek_record(str(p)), peek_fields(str(p)), peek_document(str(p))) for p in paths]
    through_beam = [
        (peek_record(str(c)), peek_fields(str(c)), peek_document(str(c))) for c in copies
    ]
    assert local == through_beam
    assert local[0][1] == ["uuid", "body"] and local[-1][0] == {"id": "1", "txt": "x"}
