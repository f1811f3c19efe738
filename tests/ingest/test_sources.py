"""The readers: damaged compressed streams, CSV byte-order marks and quotes, Parquet types,
and stray bytes in files the input checks let through."""

import gzip
import json
import os

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from apache_beam.io import fileio
from apache_beam.io.filesystem import FileMetadata

from ingest import peek
from ingest.inputs import match_inputs
from ingest.peek import peek_fields, peek_record
from ingest.sources import ReadChunksFn
from tests.ingest.posts import jsonl_posts, spanish_posts
from transforms.presets import mapping_from_table
from transforms.records import TRUNCATED, UNREADABLE_PARQUET, map_rows


def _read(path, chunk_records=1000) -> tuple[pl.DataFrame, pl.DataFrame]:
    readable = fileio.ReadableFile(FileMetadata(str(path), os.path.getsize(path)))
    chunks = list(ReadChunksFn(chunk_records).process(readable))
    return pl.concat([c.records for c in chunks]), pl.concat([c.dead for c in chunks])


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".gz", gzip.compress), (".zst", lambda b: zstandard.ZstdCompressor().compress(b))],
)
def test_a_truncated_compressed_file_keeps_what_it_read_and_records_the_loss(
    tmp_path, suffix, compress
):
    data = compress(jsonl_posts(5000))
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
    path.write_bytes(gzip.compress(jsonl_posts(3)) + gzip.compress(jsonl_posts(4)))
    records, dead = _read(path)
    assert records.height == 7 and dead.is_empty()


def test_a_csv_with_a_byte_order_mark_reads_its_first_column(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffid,created_at,text\n1,2025-01-01,a\n2,2025-01-01,b\n".encode("utf-8"))
    records, dead = _read(path)
    assert records["id"].to_list() == ["1", "2"] and dead.is_empty()


def test_a_json_lines_file_with_a_byte_order_mark_keeps_its_first_record(tmp_path):
    path = tmp_path / "notepad.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl_posts(3).replace(b"\n", b"\r\n"))
    records, dead = _read(path, chunk_records=2)
    assert records["id"].to_list() == ["0", "1", "2"] and dead.is_empty()
    assert records["line"].to_list() == [1, 2, 3]


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


def test_a_32_bit_float_field_is_a_dead_letter_not_its_rounded_digits(tmp_path):
    """Regression: a date stored as a 32-bit float (20240303 rounds to 20240304, 2**24 being
    its last exact whole number) read as the neighbouring day since digits alone followed by
    `.0` are dates; a 64-bit float keeps every digit, and a 32-bit one up to 2**24 its whole
    number, and reads as before."""
    table = pa.table(
        {
            "id": pa.array([1.0, 2.0, 16_777_216.0], pa.float32()),
            "created_at": pa.array([20240303.0, None, 20240305.0], pa.float32()),
            "text": ["a", "b", "c"],
            "stamp": pa.array([20240303.0] * 3, pa.float64()),
        }
    )
    path = tmp_path / "floats.parquet"
    pq.write_table(table, path)
    records, dead = _read(path)
    assert records["id"].to_list() == ["2.0"]
    reason = "field created_at is a 32-bit float, its digits rounded: store it as text"
    assert dead.select("line", "reason").rows() == [(1, reason), (3, reason)]
    pq.write_table(table.drop_columns("created_at").rename_columns(
        ["id", "text", "created_at"]), path)  # fmt: skip
    records, dead = _read(path)
    assert records["created_at"].to_list() == ["20240303.0"] * 3 and dead.is_empty()


def test_a_32_bit_float_nested_in_a_struct_or_list_is_a_dead_letter_too(tmp_path):
    """Regression: only top-level float columns were checked, so a 32-bit float read through a
    mapping's dotted path (`post.stamp`, `stamps.0`) still gave its rounded digits, 20240303
    reading as 20240304."""
    stamps = pa.array([20240303.0, 20240305.0, 1.0], pa.float32())
    table = pa.table(
        {
            "post": pa.StructArray.from_arrays(
                [pa.array(["1", "2", "3"]), stamps], names=["id", "stamp"]
            ),
            "stamps": pa.array([[s] for s in stamps.to_pylist()], pa.list_(pa.float32())),
            "text": ["a", "b", "c"],
        }
    )
    path = tmp_path / "nested.parquet"
    pq.write_table(table, path)
    reason = "field created_at is a 32-bit float, its digits rounded: store it as text"
    for stamp in ("post.stamp", "stamps.0"):
        mapping = mapping_from_table(
            {"id": "post.id", "created_at": stamp, "text": "text"}, origin="t"
        )
        readable = fileio.ReadableFile(FileMetadata(str(path), os.path.getsize(path)))
        chunks = list(ReadChunksFn(1000, {str(path): mapping}).process(readable))
        records, dead = pl.concat([c.records for c in chunks]), pl.concat([c.dead for c in chunks])
        assert records.select("id", "created_at").rows() == [("3", "1.0")]
        assert dead.select("line", "reason").rows() == [(1, reason), (2, reason)]


def test_a_file_that_is_not_parquet_is_one_recorded_loss(tmp_path):
    path = tmp_path / "junk.parquet"
    path.write_bytes(b"not parquet at all")
    records, dead = _read(path)
    assert records.is_empty() and dead["reason"].to_list() == [UNREADABLE_PARQUET]


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


_TWO = jsonl_posts(2)
_FIRST, _SECOND = _TWO.splitlines(keepends=True)


@pytest.mark.parametrize(
    ("name", "data", "ids", "dead"),
    [
        ("empty.jsonl", b"", [], []),
        ("blank.jsonl", b"\n\n  \n", [], []),
        ("mark.jsonl", b"\xef\xbb\xbf", [], []),
        ("empty.jsonl.gz", gzip.compress(b"", mtime=0), [], []),
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


def test_a_post_with_ustar_where_a_tar_header_has_it_is_not_refused_as_a_tar_archive(tmp_path):
    """A JSON Lines file whose byte 257 starts 'ustar' (a Spanish 'gustar' there) was refused
    as a tar archive: a tar is known by its header's checksum too."""
    head = b'{"id": "1", "created_at": "2025-01-01", "lang": "es", "text": "'
    line = head + b"x" * (256 - len(head)) + b'gustaria ir"}\n'
    assert line[257:262] == b"ustar"
    path = tmp_path / "posts.jsonl"
    path.write_bytes(line + jsonl_posts(3))
    assert match_inputs([str(path)])
    records, dead = _read(path)
    assert (records.height, dead.height) == (4, 0)


def test_stray_bytes_in_a_utf8_file_stay_one_dead_letter_each(tmp_path):
    ascii_only = jsonl_posts(30).replace(b"post 7", b"post \xff7").replace(b"post 9", b"post \x009")
    mostly_utf8 = (
        spanish_posts("utf-8").replace(b"buen", b"bu\xe9n", 2) + b'{"id": "z", "text": "\xe9"}\n'
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


def test_peek_record_gives_the_first_record_as_read_nested_objects_included(tmp_path):
    lines = tmp_path / "posts.jsonl"
    lines.write_text('\n{"uuid": "p1", "content": {"body": "hi"}}\n{"uuid": "p2"}\n')
    assert peek_record(str(lines)) == {"uuid": "p1", "content": {"body": "hi"}}
    table = tmp_path / "posts.csv"
    table.write_text('PostID,Text\n7,"two\nlines"\n8,x\n')
    assert peek_record(str(table)) == {"PostID": "7", "Text": "two\nlines"}
    table.write_text("PostID,Text\n")
    assert peek_record(str(table)) == {"PostID": "", "Text": ""}
    parquet = tmp_path / "posts.parquet"
    pl.DataFrame({"id": ["1", "2"], "meta": [{"at": "a"}, {"at": "b"}]}).write_parquet(parquet)
    assert peek_record(str(parquet)) == {"id": "1", "meta": {"at": "a"}}
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    assert peek_record(str(tmp_path / "bad.jsonl")) == {}


def test_peek_record_reads_the_first_record_of_a_json_document(tmp_path):
    """Regression: a JSON array of posts (one line, or pretty-printed) and a pretty-printed
    object gave no record, so the advice drafted a mapping of placeholders."""
    posts = [{"post_id": "1", "meta": {"at": "2024-03-01"}}, {"post_id": "2"}]
    written = {
        "array.json": json.dumps(posts),
        "pretty.json": json.dumps(posts, indent=2),
        "object.jsonl.gz": json.dumps(posts[0], indent=2),
    }
    for name, text in written.items():
        path = tmp_path / name
        data = ("\ufeff" + text + "\n").encode()
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        assert peek_record(str(path)) == posts[0], name
    (tmp_path / "cut.json").write_text(json.dumps(posts)[:20])
    (tmp_path / "numbers.json").write_text("[1, 2]\n")
    assert peek_record(str(tmp_path / "cut.json")) == peek_record(str(tmp_path / "numbers.json"))
    assert peek_record(str(tmp_path / "numbers.json")) == {}


def test_peek_record_reads_a_csv_record_as_the_job_reads_it(tmp_path):
    """Regression: a first record whose quoted text held a blank line (paragraphs) lost it, and
    a malformed first record (a field over the csv module's limit, a CR-only file) raised."""
    table = tmp_path / "posts.csv"
    table.write_text('PostID,Text\n7,"one\n\ntwo"\n8,x\n')
    assert peek_record(str(table)) == {"PostID": "7", "Text": "one\n\ntwo"}
    table.write_text(f'PostID,Text\n7,"{"x" * 140_000}"\n8,\n')
    assert peek_record(str(table)) == {"PostID": "8", "Text": None}
    table.write_bytes(b"PostID,Text\r7,x\r")
    assert (peek_record(str(table)), peek_fields(str(table))) == ({}, [])


def test_peek_fields_reads_a_csv_header_with_a_quoted_newline(tmp_path):
    """Regression: the header was read from its first line alone (`Post`)."""
    table = tmp_path / "posts.csv"
    table.write_text('\n"Post\nID",Text\n7,x\n')
    assert peek_fields(str(table)) == ["Post\nID", "Text"]
    assert peek_record(str(table)) == {"Post\nID": "7", "Text": "x"}


def test_peek_record_reads_no_further_than_peek_chars_of_a_one_line_array(tmp_path, monkeypatch):
    """Regression: a JSON array on one line was read whole (a line at a time), however long,
    where PEEK_CHARS said it bounded what is read."""
    monkeypatch.setattr(peek, "PEEK_CHARS", 100)
    path = tmp_path / "array.json"
    path.write_text(json.dumps([{"id": "1"}] + [{"id": "2", "text": "x" * 1000}]))
    assert peek_record(str(path)) == {"id": "1"}
    path.write_text(json.dumps([{"id": "1", "text": "x" * 1000}, {"id": "2"}]))
    assert peek_record(str(path)) == {}


def test_peek_fields_reads_the_csv_header_the_job_reads(tmp_path):
    """Regression: peek_fields read the header with its own csv.reader, which a header's
    unclosed quote made run on into the rows (its last field held their text), where the job
    (transforms.csv_rows) makes that line a dead letter and takes the next well-formed record
    as the header, as peek_record does: one rule now, csv_rows.csv_header."""
    table = tmp_path / "posts.csv"
    table.write_text('PostID,"Text\nid,text,created_at\n7,so sad,2024-03-01\n')
    assert peek_fields(str(table)) == ["id", "text", "created_at"]
    assert list(peek_record(str(table))) == peek_fields(str(table))
    records, dead = _read(table)
    assert dead["reason"].to_list() == ["unclosed quote"]
    assert records.get_column("text").to_list() == ["so sad"]


def test_peek_fields_reads_no_further_than_peek_chars_of_a_json_line(tmp_path, monkeypatch):
    """Regression: peek_fields read a JSON file's first line whole (a 1 GB document on one line
    into memory) where peek_record reads at most PEEK_CHARS."""
    monkeypatch.setattr(peek, "PEEK_CHARS", 100)
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "x" * 50}) + "\n")
    assert peek_fields(str(path)) == ["id", "text"]
    path.write_text(json.dumps({"id": "1", "text": "x" * 1000}) + "\n")
    assert peek_fields(str(path)) == []
    path.write_text(json.dumps([{"id": "1"}, {"id": "2", "text": "x" * 1000}]))
    assert peek_fields(str(path)) == ["id"]
