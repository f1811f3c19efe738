"""Lines that transforms.json_lines.plain_lines sends to polars.read_ndjson must get the values
the per-line path (orjson, then coerce_record) gives them: a line's value never depends on its
path. The lines are built from fragments chosen at each known difference of the two parsers."""

import json

import orjson
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.json_lines import plain_lines
from transforms.records import (
    FIELD_FLAGS,
    LOCATED_SCHEMA,
    coerce_record,
    json_problem,
    parse_json_lines,
)

KEYS = [
    *(f'"{k}"'.encode() for k in FIELD_FLAGS),
    b'"te\\u0078t"',
    b'"extra"',
    b'""',
    b'"caf\xc3\xa9"',
]
VALUES = [
    b'"plain"', b'"caf\xc3\xa9 \xf0\x9f\x99\x82"', b'"caf\\u00e9"', b'"\\ud83d\\ude00"', b'"\\ud800"',
    b'"\\udc00x"', b'"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"', b'"\\u0000"', b'"\\x"', b'"a\tb"', b'"\xff"',
    b'"\xed\xa0\x80"', b'"\xc0\xaf"', b'"\xf4\x90\x80\x80"', b'"unterminated', b"12", b"-0", b"-12",
    b"0.5", b"1.0", b"1e5", b"1E-2", b"1e400", b"99999999999999999999", b"123456789012345678",
    b"1234567890123456789", b"01", b"-", b"1.", b"true", b"false", b"null", b"nul", b"NaN",
    b'{"a": [1, {"b": null}], "a": 2.5}', b"[]", b"{}", b"[1,]", b'{"a" 1}', b"[[[[[[[[]]]]]]]]",
    b"[" * 70 + b"]" * 70, b'{"x": "\\ud800"}',
]  # fmt: skip
SPACE = st.sampled_from([b"", b" ", b"\t", b"\r", b"  ", b"\r\n"])
member = st.tuples(st.sampled_from(KEYS), SPACE, st.sampled_from(VALUES), SPACE)


def _object(members, tail) -> bytes:
    return b"{" + b",".join(k + b":" + s + v + t for k, s, v, t in members) + b"}" + tail


line = st.one_of(
    st.builds(_object, st.lists(member, max_size=6), st.sampled_from([b"", b" ", b" x", b"}"])),
    st.builds(
        lambda record, ascii: json.dumps(record, ensure_ascii=ascii).encode(
            "utf-8", "surrogatepass"
        ),
        st.fixed_dictionaries(
            {"id": st.text(max_size=8), "created_at": st.integers(-(10**20), 10**20)},
            optional={"text": st.text(max_size=20), "is_repost": st.booleans()},
        ),
        st.booleans(),
    ),
    st.sampled_from([b"", b"  ", b"[1]", b'"text"', b"\xff", b"{", b"\xef\xbb\xbf{}"]),
)


def _one_by_one(lines: list[bytes]) -> tuple[list[dict], list[tuple[int, str]]]:
    rows, dead = [], []
    for number, raw in enumerate(lines, start=1):
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            if raw.strip():
                dead.append((number, json_problem(raw)))
            continue
        if not isinstance(obj, dict):
            dead.append((number, "not a JSON object"))
            continue
        row, problem = coerce_record(obj)
        if problem:
            dead.append((number, problem))
        else:
            rows.append({**row, "line": number})
    return rows, dead


@settings(max_examples=300, deadline=None)
@given(st.lists(line, min_size=1, max_size=10))
def test_lines_parsed_in_bulk_equal_the_same_lines_one_by_one(lines):
    records, dead = parse_json_lines(lines, source="f", first_line=1, engine="compiled")
    rows, reasons = _one_by_one(lines)
    assert records.drop("source").to_dicts() == rows
    assert list(dead.select("line", "reason").iter_rows()) == reasons


def test_plain_lines_take_the_bulk_path_and_the_known_differences_do_not():
    plain = [
        b'{"id": "1", "created_at": 1736158502, "text": "caf\xc3\xa9 \\ud83d\\ude00", "n": [1.5, {}]}',
        b'{"text": null, "is_repost": false, "parent_id": "7"}',
        b"{}",
    ]
    different = [
        b'{"id": "1", "id": "2"}', b'{"te\\u0078t": "a"}', b'{"id": 1.0}', b'{"text": {"a": 1}}',
        b'{"text": true}', b'{"text": "\\ud800"}', b'{"is_repost": 1}', b'{"n": 1e400}',
        b'{"id": 12345678901234567890}', b'{"id": "1"} x', b"[1]", b"", b'{"text": "\xff"}',
    ]  # fmt: skip
    assert plain_lines(plain + different, FIELD_FLAGS).tolist() == [True] * 3 + [False] * 13
    records, _ = parse_json_lines(plain, source="f", first_line=1, engine="compiled")
    assert records.drop("source").to_dicts() == _one_by_one(plain)[0]
    assert records["text"].to_list() == ["café 😀", None, None]


def test_a_chunk_of_plain_lines_is_one_frame_in_line_order():
    lines = [orjson.dumps({"id": str(i), "created_at": i, "text": "t"}) for i in range(50)]
    lines[20] = b"not json"
    records, dead = parse_json_lines(lines, source="f", first_line=101, engine="compiled")
    assert records["line"].to_list() == [101 + i for i in range(50) if i != 20]
    assert records["created_at"].to_list()[:3] == ["0", "1", "2"]
    assert dead["line"].to_list() == [121]
    assert records.schema == pl.Schema(LOCATED_SCHEMA)


def test_a_record_with_raw_line_breaks_keeps_the_per_line_path():
    # A stream message is one record that may be pretty-printed; read_ndjson would cut it apart.
    lines = [b'{\n  "id": "1",\n  "text": "a"\n}', b'{"id": "2",\r\n"text": "b"}', b'{"id": "3"}']
    assert plain_lines(lines, FIELD_FLAGS).tolist() == [False, False, True]
    records, dead = parse_json_lines(lines, source="s", first_line=1, engine="compiled")
    assert records.drop("source").to_dicts() == _one_by_one(lines)[0]
    assert records["id"].to_list() == ["1", "2", "3"] and dead.is_empty()
