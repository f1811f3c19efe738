"""The input checks before a run: files that are not regular, text that cannot be split into
UTF-8 lines, archives, and inputs that change after they were matched."""

import bz2
import gzip
import io
import lzma
import os
import random
import tarfile
import zipfile

import orjson
import pytest
import zstandard
from apache_beam.io.filesystems import FileSystems

from ingest.inputs import changed_inputs, literal_pattern, match_inputs
from tests.ingest.posts import jsonl_posts, spanish_posts
from transforms.errors import InputError


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
        (
            "wide.jsonl.gz",
            gzip.compress(_RECORDS.encode("utf-16"), mtime=0),
            "is UTF-16 or UTF-32 text",
        ),
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


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("latin1.jsonl", spanish_posts("latin-1")),
        ("cp1252.jsonl.gz", gzip.compress(spanish_posts("cp1252"))),
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
        ("no-bom.jsonl", jsonl_posts(10).decode().encode("utf-16-le")),
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


def _spreadsheet(members: dict[str, bytes]) -> bytes:
    """A zip of `members`, as Excel and LibreOffice write a workbook."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


_XLSX = _spreadsheet(
    {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
     "xl/worksheets/sheet1.xml": b"<worksheet/>"}
)  # fmt: skip
_ODS = _spreadsheet(
    {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}
)

_ARCHIVES = [
    ("posts.xlsx", _XLSX, "is a spreadsheet .*Save it as CSV"),
    ("export.csv", _XLSX, "is a spreadsheet .*Save it as CSV"),
    ("posts.ods", _ODS, "is a spreadsheet .*Save it as CSV"),
    ("posts.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + _NOISE * 300, "is a spreadsheet"),
    ("posts.zip", _archive("zip", jsonl_posts(3)), "a zip archive.*unzip"),
    ("big.zip", _archive("zip", random.Random(0).randbytes(200_000)), "a zip archive.*unzip"),
    ("posts.tar", _archive("tar", jsonl_posts(3)), "a tar archive.*tar -xf"),
    ("posts.tar.gz", _archive("tar.gz", jsonl_posts(3)), "a tar archive.*tar -xf"),
    ("posts.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + _NOISE, "a 7z archive.*7z x"),
    ("posts.rar", b"Rar!\x1a\x07\x01\x00" + _NOISE, "a RAR archive.*unrar x"),
    ("posts.jsonl", gzip.compress(jsonl_posts(3)), r"gzip-compressed.*\.gz"),
    ("posts.json", lzma.compress(jsonl_posts(3)), r"xz-compressed.*\.xz"),
    ("posts.csv", bz2.compress(jsonl_posts(3)), r"bzip2-compressed.*\.bz2"),
    ("posts.ndjson", zstandard.compress(jsonl_posts(3)), r"zstd-compressed.*\.zst"),
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


def test_a_character_cut_at_the_end_of_the_sampled_block_is_not_counted(tmp_path):
    stray = jsonl_posts(20).replace(b"post 3", b"post \xff3").replace(b"post 5", b"post \xff5")
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
        path.write_bytes(jsonl_posts(3))
    files = match_inputs([str(tmp_path / "*.jsonl")])
    assert changed_inputs(files) == []
    with grown.open("ab") as handle:
        handle.write(jsonl_posts(1))
    gone.unlink()
    assert changed_inputs(files) == [str(gone), str(grown)]


def test_an_input_touched_after_matching_is_unchanged_and_one_rewritten_is_changed(tmp_path):
    """Only the modification time moving failed the run; the bytes decide."""
    touched, rewritten = tmp_path / "touched.jsonl", tmp_path / "rewritten.jsonl"
    for path in (touched, rewritten):
        path.write_bytes(jsonl_posts(3))
    files = match_inputs([str(tmp_path / "*.jsonl")])
    rewritten.write_bytes(jsonl_posts(3).replace(b"post", b"pots"))
    for path in (touched, rewritten):
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 60))
    assert [f.bytes for f in match_inputs([str(rewritten)])] == [files[0].bytes]
    assert changed_inputs(files) == [str(rewritten)]


def test_a_path_given_as_it_is_named_is_that_file_even_when_it_reads_as_a_glob(tmp_path):
    """`posts [1].jsonl` given on the command line was matched as a glob: it read
    `posts 1.jsonl` instead, or failed with 'no input file matches' when there was none."""
    (tmp_path / "posts [1].jsonl").write_bytes(jsonl_posts(3))
    named = str(tmp_path / "posts [1].jsonl")
    assert [f.path for f in match_inputs([named])] == [named]
    (tmp_path / "posts 1.jsonl").write_bytes(jsonl_posts(5))
    assert [f.path for f in match_inputs([named])] == [named]
    assert [f.path for f in match_inputs([str(tmp_path / "posts [0-9].jsonl")])] == [
        str(tmp_path / "posts 1.jsonl")
    ]


def test_an_input_named_like_a_glob_is_unchanged_and_matched_alone(tmp_path):
    """`posts [1].jsonl` was matched again as a glob, which finds `posts 1.jsonl`: changed_inputs
    called it gone."""
    for name in ("posts [1].jsonl", "posts 1.jsonl", "a*b?.jsonl", "ab.jsonl"):
        (tmp_path / name).write_bytes(jsonl_posts(3))
    files = match_inputs([str(tmp_path / "*.jsonl")])
    assert len(files) == 4 and changed_inputs(files) == []
    for f in files:
        (only,) = FileSystems.match([literal_pattern(f.path)])[0].metadata_list
        assert only.path == f.path
