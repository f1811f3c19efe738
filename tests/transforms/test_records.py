from datetime import date, datetime

import orjson
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.records import local_day, parse_json_lines, parse_timestamp, validate


def _lines(*objs) -> list[bytes]:
    return [o if isinstance(o, bytes) else orjson.dumps(o) for o in objs]


def test_one_bad_byte_in_a_thousand_lines_gives_999_records_and_one_dead_letter():
    lines = _lines(
        *({"id": str(i), "created_at": "2025-01-01T00:00:00Z", "text": "ok"} for i in range(1000))
    )
    lines[500] = lines[500].replace(b"ok", b"o\xffk")
    records, dead = parse_json_lines(lines, source="f.jsonl", first_line=1)
    assert records.height == 999
    assert dead.to_dicts() == [
        {
            "source": "f.jsonl",
            "line": 501,
            "reason": "invalid UTF-8",
            "record_sha256": dead["record_sha256"][0],
        }
    ]
    assert len(dead["record_sha256"][0]) == 64


def test_dead_letters_name_the_reason_and_never_carry_the_payload():
    lines = [
        b'{"id": "1", "text": "secret words"',
        b"[1, 2]",
        b'{"id": "2", "created_at": 1, "text": {"a": 1}}',
    ]
    _, dead = parse_json_lines(lines, source="f", first_line=10)
    assert dead["reason"].to_list() == [
        "invalid JSON",
        "not a JSON object",
        "field text must be a string",
    ]
    assert dead["line"].to_list() == [10, 11, 12]
    assert "secret" not in str(dead.to_dicts())


def test_blank_lines_are_not_records_but_keep_line_numbers():
    lines = (
        _lines({"id": "1", "created_at": "2025-01-01", "text": "a"})
        + [b"", b"  "]
        + _lines({"id": "2", "created_at": "2025-01-01", "text": "b"})
    )
    records, dead = parse_json_lines(lines, source="f", first_line=1)
    assert records["line"].to_list() == [1, 4]
    assert dead.is_empty()


scalar = st.one_of(st.none(), st.text(max_size=5), st.integers(-(10**12), 10**12), st.booleans())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {}, optional={"id": scalar, "created_at": scalar, "text": scalar, "lang": scalar}
        ),
        min_size=1,
        max_size=8,
    )
)
def test_fast_and_line_by_line_paths_agree(objs):
    clean = _lines(*objs)
    fast, fast_dead = parse_json_lines(clean, source="f", first_line=1)
    slow, slow_dead = parse_json_lines([*clean, b"{broken"], source="f", first_line=1)
    # Where polars accepts a chunk, the per-line path must accept and coerce the same way.
    if fast_dead.is_empty() and fast.height == len(objs):
        assert slow.to_dicts() == fast.to_dicts()
    assert slow_dead["reason"].to_list()[-1] == "invalid JSON"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-01-01T10:00:00Z", datetime(2025, 1, 1, 10)),
        ("2025-01-01T10:00:00.250+02:00", datetime(2025, 1, 1, 8, 0, 0, 250000)),
        ("2025-01-01 10:00:00", datetime(2025, 1, 1, 10)),
        ("1735725600", datetime(2025, 1, 1, 10)),
        ("1735725600123", datetime(2025, 1, 1, 10, 0, 0, 123000)),
        ("2025-01-01", datetime(2025, 1, 1)),
        ("yesterday-ish", None),
        ("2025-13-01T00:00:00Z", None),
    ],
)
def test_timestamps_in_every_accepted_form(raw, expected):
    parsed = pl.select(parse_timestamp(pl.lit(raw), source_tz="UTC")).item()
    assert (parsed.replace(tzinfo=None) if parsed else None) == expected


def test_naive_timestamps_are_read_in_the_source_zone_and_days_are_right_across_dst():
    # Madrid springs forward at 02:00 on 2025-03-30 and falls back at 03:00 on 2025-10-26.
    frame = pl.DataFrame(
        {
            "created_at": [
                "2025-03-30T00:30:00",
                "2025-03-30T02:30:00",
                "2025-10-26T23:30:00",
                "2025-03-29T23:30:00Z",
            ]
        }
    )
    days = frame.select(
        local_day(
            parse_timestamp(pl.col("created_at"), source_tz="Europe/Madrid"), tz="Europe/Madrid"
        )
    )
    assert days.to_series().to_list() == [
        date(2025, 3, 30),
        date(2025, 3, 30),
        date(2025, 10, 26),
        date(2025, 3, 30),
    ]


def test_validate_refuses_missing_fields_oversized_text_and_bad_timestamps():
    lines = _lines(
        {"id": "1", "created_at": "2025-01-01", "text": "fine"},
        {"id": "2", "text": "no time"},
        {"id": "3", "created_at": "2025-01-01", "text": "x" * 40_001},
        {"id": "4", "created_at": "soon", "text": "bad time"},
        {"created_at": "2025-01-01", "text": "no id"},
    )
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    valid, dead = validate(records, source_tz="UTC")
    assert valid["id"].to_list() == ["1"]
    assert dead["reason"].to_list() == [
        "missing field created_at",
        "oversized text",
        "unparseable timestamp",
        "missing field id",
    ]


def test_the_text_limit_fits_a_long_reddit_submission_and_is_a_setting():
    lines = _lines({"id": "1", "created_at": "2025-01-01", "text": "x" * 39_000})
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    assert validate(records, source_tz="UTC")[0].height == 1
    valid, dead = validate(records, source_tz="UTC", max_text_chars=10_000)
    assert valid.is_empty() and dead["reason"].to_list() == ["oversized text"]
