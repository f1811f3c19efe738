"""A seeded fuzz corpus: good posts mixed with every kind of bad record the readers must survive,
each with the fate it must meet (valid, or a dead letter with this reason).

Cases are data, not code paths: each is a function of a random generator and a serial number
that returns the record and its expected fate. Files are written as JSON Lines (plain, gzip,
zstd), CSV (with a byte-order mark) and Parquet; `Expected` maps every record's (path, line) to
its fate and to an identity that survives reordering, so the same record can be found again in
a shuffled copy.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from apache_beam.io import fileio
from apache_beam.io.filesystem import FileMetadata

from ingest.sources import ReadChunksFn
from transforms.contracts import MAX_TEXT_CHARS
from transforms.records import validate

VALID = "valid"
GOOD_TIME = "2025-03-04T10:00:00Z"


def _good(rng: random.Random, n: int) -> dict:
    words = rng.choice(
        ["a calm day", 'quotes " inside', "comma, here", "línea\ncon salto", "🙂 ok"]
    )
    stamp = rng.choice([GOOD_TIME, "2025-03-04 10:00:00", "1741082400", "1741082400000"])
    return {
        "id": f"g{n}",
        "created_at": stamp,
        "text": f"{words} {n}",
        "author_id": f"a{n % 97}",
        "is_repost": rng.choice([None, False, True]),
    }


def _with(**changes) -> Callable[[random.Random, int], dict]:
    def make(rng: random.Random, n: int) -> dict:
        record = _good(rng, n)
        record.update(changes)
        return {k: v for k, v in record.items() if v is not _DROP}

    return make


_DROP = object()

RECORD_CASES: list[tuple[Callable[[random.Random, int], dict], str]] = [
    (_with(created_at="99999999999999999999"), "unparseable timestamp"),
    (_with(created_at="1700000000000000"), "unparseable timestamp"),
    (_with(created_at="0000-01-01T00:00:00Z"), "timestamp before 2000-01-01"),
    (_with(created_at="0001-01-01"), "timestamp before 2000-01-01"),
    (_with(created_at="-99999999999"), "timestamp before 2000-01-01"),
    (_with(created_at="1999-12-31T23:59:59Z"), "timestamp before 2000-01-01"),
    (_with(created_at="2025-02-30T00:00:00"), "unparseable timestamp"),
    (_with(created_at="soon"), "unparseable timestamp"),
    (_with(created_at=_DROP), "missing field created_at"),
    (_with(id=_DROP), "missing field id"),
    (_with(text="   "), "missing field text"),
    (_with(text="x" * (MAX_TEXT_CHARS + 1)), "oversized text"),
    (_with(is_repost="maybe"), "field is_repost must be true or false"),
]
"""Records that parse but must be refused, in every format."""

JSON_ONLY_CASES: list[tuple[Callable[[random.Random, int], object], str]] = [
    (_with(id=["g"]), "field id must be a string"),
    (_with(text={"nested": 1}), "field text must be a string"),
    (_with(region=[1, 2]), "field region must be a string"),
    (_with(is_repost=2), "field is_repost must be true or false"),
]
"""Records whose field types only JSON can carry (CSV cells are text)."""

RAW_JSON_LINES: list[tuple[bytes, str]] = [
    (b'{"id": "b", "created_at": "2025-03-04", "text": "caf\xe9 \xff"}', "invalid UTF-8"),
    (b'{"id": "b", "created_at": "2025-03-04", "text": "\\ud800"}', "invalid JSON"),
    (b'{"id": "b", "created_at": "2025-03-04", "text": "cut', "invalid JSON"),
    (b'{"id": NaN, "created_at": "2025-03-04", "text": "t"}', "invalid JSON"),
    (b"[" * 2000 + b"]" * 2000, "invalid JSON"),
    (b'["an", "array"]', "not a JSON object"),
    (b"42", "not a JSON object"),
]
"""Lines that are not JSON objects at all."""


@dataclass
class Expected:
    """The fate of every record written: `(path, line)` → (identity, fate)."""

    fates: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)

    def add(self, path: Path, line: int, identity: str, fate: str) -> None:
        self.fates[(str(path), line)] = (identity, fate)

    @property
    def bad(self) -> int:
        return sum(fate != VALID for _, fate in self.fates.values())


def _records(rng: random.Random, n: int, bad_share: float, cases) -> list[tuple[str, object, str]]:
    """`n` (identity, record, fate) triples; a record is a dict or raw bytes."""
    out = []
    for i in range(n):
        if rng.random() >= bad_share:
            out.append((f"good-{i}", _good(rng, i), VALID))
            continue
        which = rng.randrange(len(cases))
        make, fate = cases[which]
        record = make if isinstance(make, bytes | str) else make(rng, i)
        out.append((f"bad-{which}-{i}", record, fate))
    return out


def write_jsonl(path: Path, rows, expected: Expected, *, compress: str | None = None) -> Path:
    """JSON Lines, one record a line (a blank line now and then, which is no record)."""
    lines, number = [], 0
    for identity, record, fate in rows:
        if number % 500 == 499:
            lines.append(b"")
            number += 1
        number += 1
        lines.append(record if isinstance(record, bytes) else orjson.dumps(record))
        expected.add(path, number, identity, fate)
    data = b"\n".join(lines) + b"\n"
    if compress == "gzip":
        data = gzip.compress(data)
    elif compress == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


CSV_COLUMNS = ["id", "created_at", "text", "author_id", "is_repost"]
RAW_CSV_ROWS: list[tuple[str, str]] = [
    ('bad,2025-03-04,"never closed\n', "unclosed quote"),
    ("bad,2025-03-04," + "y" * 140_000 + "\n", "oversized field"),
    ("bad,2025-03-04,t,a,false,extra\n", "more fields than the header"),
    ("bad,2025-03-04,caf\udce9,a,false\n", "invalid UTF-8"),
]
"""Raw CSV lines (surrogate escapes stand for invalid bytes) and the fate of each."""


def write_csv(path: Path, rows, expected: Expected) -> Path:
    """CSV with a UTF-8 byte-order mark, as Excel writes it; quoted newlines included."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    line = 2
    for identity, record, fate in rows:
        if isinstance(record, str):
            text = record
        else:
            cells = io.StringIO(newline="")
            csv.writer(cells, lineterminator="\n").writerow(
                ["" if record.get(c) is None else str(record[c]).lower()
                 if isinstance(record.get(c), bool) else record[c] for c in CSV_COLUMNS]
            )  # fmt: skip
            text = cells.getvalue()
        buffer.write(text)
        expected.add(path, line, identity, fate)
        line += text.count("\n")
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8", "surrogateescape"))
    return path


def write_parquet(path: Path, rows, expected: Expected) -> Path:
    """Parquet with a binary `id`, a textual `is_repost` and a list `region` column."""
    ids, stamps, texts, reposts, regions = [], [], [], [], []
    for line, (identity, record, fate) in enumerate(rows, start=1):
        ids.append(record.get("id", "").encode("utf-8") if isinstance(record, dict) else record)
        stamps.append(record.get("created_at") if isinstance(record, dict) else GOOD_TIME)
        texts.append(record.get("text") if isinstance(record, dict) else "t")
        repost = record.get("is_repost") if isinstance(record, dict) else None
        reposts.append(None if repost is None else str(repost).lower())
        regions.append(record.get("region") if isinstance(record, dict) else None)
        expected.add(path, line, identity, fate)
    table = pa.table(
        {
            "id": pa.array([i or None for i in ids], pa.binary()),
            "created_at": pa.array(stamps, pa.string()),
            "text": pa.array(texts, pa.string()),
            "is_repost": pa.array(reposts, pa.string()),
            "region": pa.array(regions, pa.list_(pa.string())),
        }
    )
    pq.write_table(table, path, row_group_size=3000)
    return path


PARQUET_CASES: list[tuple[object, str]] = [
    (b"\xffbad", "invalid UTF-8"),
    (_with(region=["ES-MD"]), "field region must be a string"),
]


def write_corpus(folder: Path, *, n: int, seed: int, bad_share: float = 0.3) -> Expected:
    """About `n` records over JSONL (plain, gzip, zstd), CSV and Parquet files, `bad_share` of
    them bad, plus the same records in two orders (`ordered.jsonl`, `shuffled.jsonl`); and
    each one's expected fate."""
    rng = random.Random(seed)
    expected = Expected()
    json_cases = RECORD_CASES + JSON_ONLY_CASES + RAW_JSON_LINES
    per = n // 5
    for name, compress in (("plain.jsonl", None), ("gz.jsonl.gz", "gzip"), ("z.jsonl.zst", "zstd")):
        rows = _records(rng, per, bad_share, json_cases)
        write_jsonl(folder / name, rows, expected, compress=compress)
    write_csv(
        folder / "excel.csv", _records(rng, per, bad_share, RECORD_CASES + RAW_CSV_ROWS), expected
    )
    parquet_cases = [c for c in RECORD_CASES if c[1] != "oversized text"] + PARQUET_CASES
    write_parquet(folder / "typed.parquet", _records(rng, per, bad_share, parquet_cases), expected)
    rows = _records(rng, per // 4, bad_share, json_cases)
    write_jsonl(folder / "ordered.jsonl", rows, expected)
    rng.shuffle(rows)
    write_jsonl(folder / "shuffled.jsonl", rows, expected)
    return expected


def fates(path: str, chunk_records: int) -> dict[tuple[str, int], str]:
    """The fate each record of the file at `path` meets in the readers (ingest.sources'
    ReadChunksFn in chunks of `chunk_records`, then validation), by (source, line): VALID or its
    dead letter's reason. Raises AssertionError when a record meets two fates."""
    readable = fileio.ReadableFile(FileMetadata(path, os.path.getsize(path)))
    met: dict[tuple[str, int], str] = {}
    for chunk in ReadChunksFn(chunk_records).process(readable):
        valid, invalid = validate(chunk.records, source_tz="UTC")
        for source, line in valid.select("source", "line").iter_rows():
            assert (source, line) not in met
            met[(source, line)] = VALID
        for source, line, reason in (
            pl.concat([chunk.dead, invalid]).select("source", "line", "reason").iter_rows()
        ):
            assert (source, line) not in met, f"{source}:{line} counted twice"
            met[(source, line)] = reason
    return met
