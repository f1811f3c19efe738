"""`moodcast tag` reads its file without importing Apache Beam (~1.2 CPU s of a small tag): the
reader lives in ingest.files, which the job's DoFn shares. A local file read that way gives the
records, dead letters and refusals that Beam's matching and opening of the same file give."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.file_checks import InputFileError
from ingest.files import read_file
from ingest.inputs import literal_pattern, matched_files
from transforms.presets import mapping_from_table

ROOT = Path(__file__).resolve().parents[2]


def test_tagging_a_small_file_imports_no_apache_beam(tmp_path):
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "".join(
            json.dumps({"id": str(i), "created_at": 1736158502 + i, "text": "so sad today"}) + "\n"
            for i in range(5)
        )
        + "not json\n"
    )
    out = tmp_path / "tagged.parquet"
    args = [str(posts), "-o", str(out), "--lang", "en", "--data-dir", str(tmp_path / "d")]
    code, stderr, beam = tag_in_a_fresh_process(args)
    assert (code, beam) == (0, False), stderr
    assert "5 valid, 1 dead-lettered" in stderr
    assert pl.read_parquet(out)["sadness"].to_list() == [True] * 5


def tag_in_a_fresh_process(args: list[str]) -> tuple[int, str, bool]:
    """Exit code, stderr and whether Apache Beam was imported, of `moodcast tag ARGS` run in a
    fresh process."""
    script = (
        "import sys\n"
        "from moodcast.cli import cli\n"
        f"try:\n    cli({['tag', *args]!r})\nexcept SystemExit as exc:\n    code = exc.code\n"
        "print(code, 'apache_beam' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    code, beam = done.stdout.strip().splitlines()[-1].split()
    return int(code), done.stderr, beam == "True"


def _chunks(path: str, **options) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    chunks = list(read_file(path, **options))
    return pl.concat(c.records for c in chunks), pl.concat(c.dead for c in chunks), len(chunks)


def _inputs(folder: Path) -> dict[str, Path]:
    lines = [
        json.dumps({"id": str(i), "created_at": 1736158502 + i, "text": f"post {i}"})
        for i in range(7)
    ]
    lines[2], lines[4] = '{"id": "x", "text": ', json.dumps({"id": "y", "text": "no time"})
    jsonl = ("\n".join(lines) + "\n").encode()
    files = {
        "plain.jsonl": jsonl,
        "cut.jsonl.gz": gzip.compress(jsonl)[:-12],
        "posts.csv": b'\xef\xbb\xbfid,created_at,text\n1,1736158502,"a\nb"\n2,,x\n4,1,a,b\n3,1736158503,"open\n',
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    table = pa.table({"PostID": ["1", "2"], "Body": ["a", "b"], "At": [1.5e9, None]})
    pq.write_table(table, folder / "posts.parquet")
    return {name: folder / name for name in (*files, "posts.parquet")}


@pytest.mark.parametrize("name", ["plain.jsonl", "cut.jsonl.gz", "posts.csv", "posts.parquet"])
def test_a_local_file_reads_as_beams_matching_of_it_reads(tmp_path, name):
    path = str(_inputs(tmp_path)[name])
    glob = path[:-1] + "[" + path[-1] + "]"
    for options in ({"chunk_records": 2}, {}):
        direct, through_beam = _chunks(path, **options), _chunks(glob, **options)
        assert direct[2] == through_beam[2]
        assert direct[0].equals(through_beam[0]) and direct[1].equals(through_beam[1])
    assert _chunks(path)[0].height + _chunks(path)[1].height > 0


def test_a_mapped_local_file_reads_as_beams_matching_of_it_reads(tmp_path):
    path = str(_inputs(tmp_path)["posts.parquet"])
    mapping = mapping_from_table(
        {"id": "PostID", "text": "Body", "created_at": "At"}, origin="test"
    )
    direct = _chunks(path, mapping=mapping)
    through_beam = _chunks(literal_pattern(path) + "*", mapping=mapping)
    assert direct[0].equals(through_beam[0]) and direct[1].equals(through_beam[1])
    assert direct[0]["id"].to_list() == ["1", "2"]


def _refusal(read, path: str) -> str:
    with pytest.raises(InputFileError) as refused:
        list(read([path]))
    return str(refused.value)


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("latin1.jsonl", "is not UTF-8"),
        ("folder", "is a directory: give the files in it"),
        ("utf16.csv", "is UTF-16 or UTF-32 text"),
        ("missing.jsonl", "no input file matches"),
    ],
)
def test_a_local_file_is_refused_as_beams_matching_refuses_it(tmp_path, name, refused):
    (tmp_path / "latin1.jsonl").write_bytes("caf\xe9 \xe0 la cr\xe8me\n".encode("latin-1") * 5)
    (tmp_path / "folder").mkdir()
    (tmp_path / "utf16.csv").write_bytes("id,text\n1,x\n".encode("utf-16"))
    path = str(tmp_path / name)
    direct = _refusal(lambda paths: read_file(paths[0]), path)
    assert direct == _refusal(matched_files, path)
    assert refused in direct
