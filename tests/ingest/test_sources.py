"""The readers: damaged compressed streams, CSV byte-order marks and quotes, Parquet types,
and inputs that are not files."""

import bz2
import gzip
import io
import lzma
import os
import random
import tarfile
import zipfile

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from apache_beam.io import fileio
from apache_beam.io.filesystem import FileMetadata
from apache_beam.io.filesystems import FileSystems
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.sources import (
    InputError,
    ReadChunksFn,
    _Lines,
    changed_inputs,
    literal_pattern,
    match_inputs,
)
from transforms.records import TRUNCATED, UNREADABLE_PARQUET, map_rows


def _read(path, chunk_records=1000) -> tuple[pl.DataFrame, pl.DataFrame]:
    readable = fileio.ReadableFile(FileMetadata(str(path), os.path.getsize(path)))
    chunks = list(ReadChunksFn(chunk_records).process(readable))
    return pl.concat([c.records for c in chunks]), pl.concat([c.dead for c in chunks])


def _jsonl(n: int) -> bytes:
    return b"".join(
        orjson.dumps({"id": str(i), "created_at": "2025-01-01T00:00:00Z", "text": f"post {i}"})
        + b"\n"
        for i in range(n)
    )


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".gz", gzip.compress), (".zst", lambda b: zstandard.ZstdCompressor().compress(b))],
)
def test_a_truncated_compressed_file_keeps_what_it_read_and_records_the_loss(
    tmp_path, suffix, compress
):
    data = compress(_jsonl(5000))
    whole, cut = tmp_path / f"whole.jsonl{suffix}", tmp_path / f"cut.jsonl{suffix}"
    whole.write_bytes(data)
    cut.write_bytes(data[: len(data) // 2])
    records, dead = _read(whole)
    assert records.height == 5000 and dead.is_empty()
    records, dead = _read(cut)
    assert dead["reason"].to_list() == [TRUNCATED]
    assert dead["line"].item() == records.height + 1
    assert records["line"].to_list() == list(range(1, records.height + 1))


def test_concatenated_gzip_members_are_read_in_full(tmp_path):
    path = tmp_path / "two.jsonl.gz"
    path.write_bytes(gzip.compress(_jsonl(3)) + gzip.compress(_jsonl(4)))
    records, dead = _read(path)
    assert records.height == 7 and dead.is_empty()


def test_a_csv_with_a_byte_order_mark_reads_its_first_column(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffid,created_at,text\n1,2025-01-01,a\n2,2025-01-01,b\n".encode("utf-8"))
    records, dead = _read(path)
    assert records["id"].to_list() == ["1", "2"] and dead.is_empty()


def test_a_json_lines_file_with_a_byte_order_mark_keeps_its_first_record(tmp_path):
    path = tmp_path / "notepad.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _jsonl(3).replace(b"\n", b"\r\n"))
    records, dead = _read(path, chunk_records=2)
    assert records["id"].to_list() == ["0", "1", "2"] and dead.is_empty()
    assert records["line"].to_list() == [1, 2, 3]


def _listed(stream: _Lines, size: int) -> list[list[bytes]]:
    """The lines of `stream` in lists of `size`, cut one by one (how JSON Lines were read)."""
    lines: list[bytes] = []
    for block, _ in stream.line_lists():
        lines += block
    if lines:
        lines[0] = lines[0].removeprefix(b"\xef\xbb\xbf")
    lines = [raw.removesuffix(b"\r") for raw in lines]
    return [lines[at : at + size] for at in range(0, len(lines), size)]


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(
        st.sampled_from([b"\n", b"\r\n", b"\r", b"{}", b"ab", b"\xef\xbb\xbf", b" "])
    ).map(b"".join),
    size=st.integers(1, 5),
    block=st.integers(1, 9),
    kind=st.sampled_from([None, "gzip"]),
    cut=st.booleans(),
)
def test_line_buffers_hold_the_lines_cut_one_by_one(data, size, block, kind, cut):
    raw = gzip.compress(data) if kind else data
    raw = raw[: len(raw) * 2 // 3] if cut else raw
    fast, listed = _Lines(io.BytesIO(raw), kind, block), _Lines(io.BytesIO(raw), kind, block)
    assert [list(lines) for lines in fast.line_buffers(size)] == _listed(listed, size)
    assert (fast.number, fast.rest, fast.problem) == (listed.number, listed.rest, listed.problem)


def test_an_unclosed_quote_in_a_csv_costs_one_row(tmp_path):
    rows = [f"{i},2025-01-01,post {i}\n" for i in range(3, 201)]
    path = tmp_path / "quote.csv"
    path.write_text('id,created_at,text\n1,2025-01-01,"fine"\n2,2025-01-01,"oops\n' + "".join(rows))
    records, dead = _read(path, chunk_records=50)
    assert dead.select("line", "reason").rows() == [(3, "unclosed quote")]
    assert records.height == 199


def test_parquet_rows_of_every_type_are_coerced_or_dead_lettered_one_by_one(tmp_path):
    table = pa.table(
        {
            "id": pa.array([b"1", b"\xff", b"3", b"4"], pa.binary()),
            "created_at": ["2025-01-01"] * 4,
            "text": ["a", "b", "c", "d"],
            "is_repost": ["false", "true", "perhaps", None],
            "region": pa.array([["x"], None, None, None], pa.list_(pa.string())),
        }
    )
    path = tmp_path / "types.parquet"
    pq.write_table(table, path)
    records, dead = _read(path)
    assert records.select("id", "is_repost").rows() == [("4", None)]
    assert dead.select("line", "reason").rows() == [
        (1, "field region must be a string"),
        (2, "invalid UTF-8"),
        (3, "field is_repost must be true or false"),
    ]


def test_a_file_that_is_not_parquet_is_one_recorded_loss(tmp_path):
    path = tmp_path / "junk.parquet"
    path.write_bytes(b"not parquet at all")
    records, dead = _read(path)
    assert records.is_empty() and dead["reason"].to_list() == [UNREADABLE_PARQUET]


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_inputs_that_are_not_regular_files_are_refused(tmp_path, kind):
    path = tmp_path / "in.jsonl"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path = "/dev/zero"
    expected = "is a directory: give the files in it" if kind == "directory" else "not a regular"
    with pytest.raises(InputError, match=expected):
        match_inputs([str(path)])


_RECORDS = '{"id": "1", "text": "hola"}\n{"id": "2", "text": "adiós"}\n'


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("wide.jsonl", _RECORDS.encode("utf-16"), "is UTF-16 or UTF-32 text"),
        ("wide.jsonl.gz", gzip.compress(_RECORDS.encode("utf-16")), "is UTF-16 or UTF-32 text"),
        ("wide.csv", "id,text\n1,hola\n".encode("utf-32"), "is UTF-16 or UTF-32 text"),
        ("mac.csv", b"id,text\r1,hola\r2,adios\r", "carriage returns alone"),
        ("mac.jsonl", _RECORDS.replace("\n", "\r").encode(), "carriage returns alone"),
    ],
)
def test_text_that_cannot_be_split_into_utf8_lines_is_refused_before_the_run(
    tmp_path, name, data, expected
):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=expected):
        match_inputs([str(path)])


def test_utf8_with_crlf_or_a_lone_carriage_return_in_a_line_is_read(tmp_path):
    for name, data in [
        ("crlf.jsonl", _RECORDS.replace("\n", "\r\n")),
        ("cr.csv", 'id,text\r\n1,"a\rb"\r\n'),
    ]:
        (tmp_path / name).write_bytes(data.encode())
    assert [f.path.rsplit("/", 1)[1] for f in match_inputs([str(tmp_path / "*")])] == [
        "cr.csv",
        "crlf.jsonl",
    ]


def test_a_parquet_file_of_text_columns_reads_in_bulk_as_row_by_row(tmp_path):
    table = pa.table(
        {
            "id": ["1", "2", None],
            "created_at": ["2025-01-01", "bad", "2025-01-02"],
            "text": ["a", "ñ 🙂", ""],
            "is_repost": [True, None, False],
            "extra": [1, 2, 3],
        }
    )
    path = tmp_path / "plain.parquet"
    pq.write_table(table, path)
    records, dead = _read(path)
    by_row, by_row_dead = map_rows(enumerate(table.to_pylist(), start=1), None, source=str(path))
    assert records.to_dicts() == by_row.to_dicts() and dead.is_empty() and by_row_dead.is_empty()


_TWO = _jsonl(2)
_FIRST, _SECOND = _TWO.splitlines(keepends=True)


@pytest.mark.parametrize(
    ("name", "data", "ids", "dead"),
    [
        ("empty.jsonl", b"", [], []),
        ("blank.jsonl", b"\n\n  \n", [], []),
        ("mark.jsonl", b"\xef\xbb\xbf", [], []),
        ("empty.jsonl.gz", gzip.compress(b""), [], []),
        ("empty.csv", b"", [], []),
        ("header.csv", b"id,created_at,text\n", [], []),
        ("unterminated.jsonl", _TWO.rstrip(b"\n"), ["0", "1"], []),
        ("crlf.jsonl", _TWO.replace(b"\n", b"\r\n"), ["0", "1"], []),
        ("nul.jsonl", _FIRST + b"\x00\x00\n" + _SECOND, ["0", "1"], [(2, "invalid JSON")]),
        ("huge.jsonl", _FIRST + b"y" * (10 << 20) + b"\n" + _SECOND, ["0", "1"], [(2, "invalid JSON")]),
    ],
)  # fmt: skip
def test_empty_files_odd_line_ends_and_huge_lines_lose_no_good_record(
    tmp_path, name, data, ids, dead
):
    path = tmp_path / name
    path.write_bytes(data)
    readable = fileio.ReadableFile(FileMetadata(str(path), os.path.getsize(path)))
    chunks = list(ReadChunksFn(1000).process(readable))
    records = [r for c in chunks for r in c.records.select("id", "line").iter_rows()]
    letters = [d for c in chunks for d in c.dead.select("line", "reason").iter_rows()]
    assert [i for i, _ in records] == ids
    assert letters == dead
    assert sorted([line for _, line in records] + [line for line, _ in letters]) == list(
        range(1, len(records) + len(letters) + 1)
    )


def _posts_in(encoding: str, n: int = 40) -> bytes:
    """JSON Lines of Spanish posts, every third with an accented word, in `encoding`."""
    texts = ("hoy fue un buen día", "qué cansancio, mañana más", "sin acentos aquí no")
    lines = (
        orjson.dumps({"id": str(i), "created_at": "2025-01-01", "text": texts[i % 3]}).decode()
        for i in range(n)
    )
    return "".join(f"{line}\n" for line in lines).encode(encoding)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("latin1.jsonl", _posts_in("latin-1")),
        ("cp1252.jsonl.gz", gzip.compress(_posts_in("cp1252"))),
        ("latin1.csv", "id,created_at,text\n1,2025-01-01,día\n2,2025-01-01,año\n3,x,ñu\n".encode("latin-1")),
    ],
)  # fmt: skip
def test_a_file_mostly_in_another_encoding_is_refused_with_the_command_that_converts_it(
    tmp_path, name, data
):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=r"is not UTF-8.*iconv -f CP1252 -t UTF-8"):
        match_inputs([str(path)])


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40),
        ("no-bom.jsonl", _jsonl(10).decode().encode("utf-16-le")),
    ],
)
def test_binary_data_or_utf16_without_a_byte_order_mark_is_refused_as_not_text(
    tmp_path, name, data
):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=r"holds NUL bytes .* binary data \(or UTF-16"):
        match_inputs([str(path)])


_NOISE = random.Random(1).randbytes(64)


def _archive(kind: str, records: bytes) -> bytes:
    """`records` as one member `posts.jsonl` of a real archive of `kind` (zip, tar, tar.gz)."""
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("posts.jsonl", records)
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz" if kind == "tar.gz" else "w") as archive:
            member = tarfile.TarInfo("posts.jsonl")
            member.size = len(records)
            archive.addfile(member, io.BytesIO(records))
    return buffer.getvalue()


_ARCHIVES = [
    ("posts.zip", _archive("zip", _jsonl(3)), "a zip archive.*unzip"),
    ("big.zip", _archive("zip", random.Random(0).randbytes(200_000)), "a zip archive.*unzip"),
    ("posts.tar", _archive("tar", _jsonl(3)), "a tar archive.*tar -xf"),
    ("posts.tar.gz", _archive("tar.gz", _jsonl(3)), "a tar archive.*tar -xf"),
    ("posts.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + _NOISE, "a 7z archive.*7z x"),
    ("posts.rar", b"Rar!\x1a\x07\x01\x00" + _NOISE, "a RAR archive.*unrar x"),
    ("posts.jsonl", gzip.compress(_jsonl(3)), r"gzip-compressed.*\.gz"),
    ("posts.json", lzma.compress(_jsonl(3)), r"xz-compressed.*\.xz"),
    ("posts.csv", bz2.compress(_jsonl(3)), r"bzip2-compressed.*\.bz2"),
    ("posts.ndjson", zstandard.compress(_jsonl(3)), r"zstd-compressed.*\.zst"),
    ("posts.jsonl.lz4", b"\x04\x22\x4d\x18" + _NOISE, "lz4-compressed.*lz4 -d"),
]


@pytest.mark.parametrize(
    ("name", "data", "expected"), _ARCHIVES, ids=[name for name, *_ in _ARCHIVES]
)
def test_an_archive_or_a_compressed_file_moodcast_cannot_read_is_refused_with_what_to_do(
    tmp_path, name, data, expected
):
    """A small .zip was read as JSON Lines (a few dead letters) and a larger one refused as
    binary data; an archive is refused by its magic bytes with the command that extracts it."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=expected):
        match_inputs([str(path)])


def test_a_post_with_ustar_where_a_tar_header_has_it_is_not_refused_as_a_tar_archive(tmp_path):
    """A JSON Lines file whose byte 257 starts 'ustar' (a Spanish 'gustar' there) was refused
    as a tar archive: a tar is known by its header's checksum too."""
    head = b'{"id": "1", "created_at": "2025-01-01", "lang": "es", "text": "'
    line = head + b"x" * (256 - len(head)) + b'gustaria ir"}\n'
    assert line[257:262] == b"ustar"
    path = tmp_path / "posts.jsonl"
    path.write_bytes(line + _jsonl(3))
    assert match_inputs([str(path)])
    records, dead = _read(path)
    assert (records.height, dead.height) == (4, 0)


def test_stray_bytes_in_a_utf8_file_stay_one_dead_letter_each(tmp_path):
    ascii_only = _jsonl(30).replace(b"post 7", b"post \xff7").replace(b"post 9", b"post \x009")
    mostly_utf8 = (
        _posts_in("utf-8").replace(b"buen", b"bu\xe9n", 2) + b'{"id": "z", "text": "\xe9"}\n'
    )
    for name, data, reasons in [
        ("a.jsonl", ascii_only, ["invalid UTF-8", "invalid JSON"]),
        ("b.jsonl", mostly_utf8, ["invalid UTF-8"] * 3),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        assert match_inputs([str(path)])
        records, dead = _read(path)
        assert dead["reason"].to_list() == reasons
        assert records.height + len(reasons) == data.count(b"\n")


def test_a_character_cut_at_the_end_of_the_sampled_block_is_not_counted(tmp_path):
    stray = _jsonl(20).replace(b"post 3", b"post \xff3").replace(b"post 5", b"post \xff5")
    line = orjson.dumps({"id": "1", "created_at": "2025-01-01", "text": "é" * 100}) + b"\n"
    pad = b" " * ((1 << 16) - len(stray) - len(line) // 2 - 1) + b"\n"
    data = stray + pad + line * 3
    assert data[(1 << 16) - 1 : (1 << 16) + 1] == "é".encode(), "the block must end inside a é"
    path = tmp_path / "long.jsonl"
    path.write_bytes(data)
    assert match_inputs([str(path)])


def test_an_input_appended_to_or_removed_after_matching_is_changed(tmp_path):
    kept, grown, gone = (tmp_path / f"{name}.jsonl" for name in ("kept", "grown", "gone"))
    for path in (kept, grown, gone):
        path.write_bytes(_jsonl(3))
    files = match_inputs([str(tmp_path / "*.jsonl")])
    assert changed_inputs(files) == []
    with grown.open("ab") as handle:
        handle.write(_jsonl(1))
    gone.unlink()
    assert changed_inputs(files) == [str(gone), str(grown)]


def test_an_input_touched_after_matching_is_unchanged_and_one_rewritten_is_changed(tmp_path):
    """Only the modification time moving failed the run; the bytes decide."""
    touched, rewritten = tmp_path / "touched.jsonl", tmp_path / "rewritten.jsonl"
    for path in (touched, rewritten):
        path.write_bytes(_jsonl(3))
    files = match_inputs([str(tmp_path / "*.jsonl")])
    rewritten.write_bytes(_jsonl(3).replace(b"post", b"pots"))
    for path in (touched, rewritten):
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 60))
    assert [f.bytes for f in match_inputs([str(rewritten)])] == [files[0].bytes]
    assert changed_inputs(files) == [str(rewritten)]


def test_a_path_given_as_it_is_named_is_that_file_even_when_it_reads_as_a_glob(tmp_path):
    """`posts [1].jsonl` given on the command line was matched as a glob: it read
    `posts 1.jsonl` instead, or failed with 'no input file matches' when there was none."""
    (tmp_path / "posts [1].jsonl").write_bytes(_jsonl(3))
    named = str(tmp_path / "posts [1].jsonl")
    assert [f.path for f in match_inputs([named])] == [named]
    (tmp_path / "posts 1.jsonl").write_bytes(_jsonl(5))
    assert [f.path for f in match_inputs([named])] == [named]
    assert [f.path for f in match_inputs([str(tmp_path / "posts [0-9].jsonl")])] == [
        str(tmp_path / "posts 1.jsonl")
    ]


def test_an_input_named_like_a_glob_is_unchanged_and_matched_alone(tmp_path):
    """`posts [1].jsonl` was matched again as a glob, which finds `posts 1.jsonl`: changed_inputs
    called it gone."""
    for name in ("posts [1].jsonl", "posts 1.jsonl", "a*b?.jsonl", "ab.jsonl"):
        (tmp_path / name).write_bytes(_jsonl(3))
    files = match_inputs([str(tmp_path / "*.jsonl")])
    assert len(files) == 4 and changed_inputs(files) == []
    for f in files:
        (only,) = FileSystems.match([literal_pattern(f.path)])[0].metadata_list
        assert only.path == f.path
