"""A compressed post file whose bytes are no such stream (a CSV named `.xz`, a damaged file)
ends its lines and sets `problem`, in every compression: a dead letter `corrupt ...` and a
refusal that says so. Before, xz's LZMAError escaped FileLines (only gzip's, zstd's and bz2's
errors were caught): `moodcast tag posts.jsonl.xz` ended in a traceback, and
ingest.peek.looks_like_csv, documented never to raise, raised (review90)."""

from __future__ import annotations

import io

import pytest

from ingest.lines import FileLines
from ingest.peek import looks_like_csv

NOT_COMPRESSED = b"garbage,data\nmore,data\n"


@pytest.mark.parametrize("kind", ["gzip", "zstd", "bz2", "xz"])
def test_bytes_that_are_no_stream_of_the_kind_end_the_lines_with_a_problem(kind):
    lines = FileLines(io.BytesIO(NOT_COMPRESSED), kind)
    assert list(lines) == []
    assert lines.problem.startswith(f"corrupt {kind} stream")


@pytest.mark.parametrize("name", ["posts.jsonl.gz", "posts.jsonl.zst", "posts.jsonl.xz"])
def test_looks_like_csv_reads_a_corrupt_compressed_file_as_no_csv(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(NOT_COMPRESSED)
    assert looks_like_csv(str(path)) is False
