from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import orjson
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from transforms.records import coerce_record, parse_json_lines, validate
from transforms.timestamp_forms import (
    AMBIGUOUS_TIMESTAMP,
    UNPARSEABLE_TIMESTAMP,
    ZONE_NAMED_TIMESTAMP,
    timestamp_advice,
    timestamps_alone,
)
from transforms.timestamp_parsing import local_day, parse_timestamp, parse_timestamps


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


scalar = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(-(10**12), 10**12),
    st.booleans(),
    st.lists(st.integers(-5, 5), max_size=2),
)
raw_line = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"id": scalar, "created_at": scalar, "text": scalar, "is_repost": scalar}
    ).map(orjson.dumps),
    st.binary(max_size=12),
    st.sampled_from([b'{"id": "\\ud800", "text": "x"}', b'{"id": "1", "id": 2}', b"[]", b"\xff"]),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(raw_line, min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_a_lines_fate_never_depends_on_its_neighbours(lines, random):
    def fates(chunks: list[list[tuple[int, bytes]]]) -> dict[int, tuple]:
        out = {}
        for chunk in chunks:
            for i, raw in chunk:
                records, dead = parse_json_lines([raw], source="f", first_line=i)
                alone = (records.drop("source").to_dicts(), dead["reason"].to_list())
                out.setdefault(i, alone)
                assert out[i] == alone
            numbered = [raw for _, raw in chunk]
            records, dead = parse_json_lines(
                numbered, source="f", first_line=chunk[0][0], engine="compiled"
            )
            for i, _ in chunk:
                got = (
                    records.filter(pl.col("line") == i).drop("source").to_dicts(),
                    dead.filter(pl.col("line") == i)["reason"].to_list(),
                )
                assert got == out[i], f"line {i} fared differently inside a chunk"
        return out

    numbered = list(enumerate(lines, start=1))
    cuts = sorted(random.sample(range(1, len(numbered)), random.randint(0, len(numbered) - 1)))
    chunks = [numbered[a:b] for a, b in zip([0, *cuts], [*cuts, len(numbered)], strict=True)]
    fates(chunks)


@settings(max_examples=80, deadline=None)
@given(st.lists(raw_line, min_size=1, max_size=12))
def test_rows_built_in_bulk_equal_coerce_record_line_by_line(lines):
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    expected = []
    for line, raw in enumerate(lines, start=1):
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        row, problem = coerce_record(obj) if isinstance(obj, dict) else ({}, "not an object")
        if problem is None:
            expected.append({**row, "line": line})
    assert records.drop("source").to_dicts() == expected


@pytest.mark.parametrize(
    "raw",
    [
        "99999999999999999999",
        "0000-01-01T00:00:00Z",
        "1700000000000000",
        "-99999999999",
        "9223372036854775807",
        "1e30",
        "NaN",
        "0001-01-01",
        "1999-12-31T23:59:59Z",
    ],
)
def test_implausible_or_overflowing_timestamps_are_dead_letters_not_crashes(raw):
    lines = _lines({"id": "1", "created_at": raw, "text": "t"})
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    valid, dead = validate(records, source_tz="Europe/Madrid")
    assert valid.is_empty()
    assert dead["reason"].to_list()[0] in ("unparseable timestamp", "timestamp before 2000-01-01")


def test_the_plausible_date_window_starts_where_configured():
    lines = _lines({"id": "1", "created_at": "2010-05-01", "text": "t"})
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    assert validate(records, source_tz="UTC")[0].height == 1
    _, dead = validate(records, source_tz="UTC", earliest=date(2015, 1, 1))
    assert dead["reason"].to_list() == ["timestamp before 2015-01-01"]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"id": ["1"], "created_at": "2025-01-01", "text": "t"}, "field id must be a string"),
        ({"id": "1", "created_at": "2025-01-01", "text": "t", "is_repost": "maybe"},
         "field is_repost must be true or false"),
        ({"id": float("nan"), "created_at": "2025-01-01", "text": "t"}, "field id must be a string"),
        ({"id": b"\xff", "created_at": "2025-01-01", "text": "t"}, "invalid UTF-8"),
        ({"id": "\udcff", "created_at": "2025-01-01", "text": "t"}, "invalid UTF-8"),
    ],
)  # fmt: skip
def test_every_field_type_problem_is_a_reason(record, reason):
    assert coerce_record(record)[1] == reason


def test_textual_flags_and_typed_values_are_read():
    row, problem = coerce_record(
        {"id": 7, "created_at": datetime(2025, 1, 1, 10), "text": b"hi", "is_repost": "No"}
    )
    assert problem is None
    assert (row["id"], row["created_at"], row["text"], row["is_repost"]) == (
        "7",
        "2025-01-01T10:00:00",
        "hi",
        False,
    )


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
        # Forms other people's exports write (dead letters before).
        ("2025-01-01 10:00", datetime(2025, 1, 1, 10)),
        ("2025-01-01T10:00Z", datetime(2025, 1, 1, 10)),
        ("2025/01/01 10:00:00", datetime(2025, 1, 1, 10)),
        ("Wed Jan 01 10:00:00 +0000 2025", datetime(2025, 1, 1, 10)),
        ("Wed, 01 Jan 2025 10:00:00 +0000", datetime(2025, 1, 1, 10)),
        ("1 Jan 2025 11:00 +0100", datetime(2025, 1, 1, 10)),
        ("Wed, 1 Jan 2025 10:00:00 GMT", datetime(2025, 1, 1, 10)),
        ("2025-01-01 10:00:00 UTC", datetime(2025, 1, 1, 10)),
        ("2025-01-01 10:00:00.123456 UTC", datetime(2025, 1, 1, 10, 0, 0, 123456)),
        ("20250101T100000Z", datetime(2025, 1, 1, 10)),
        ("20250101T1130+0130", datetime(2025, 1, 1, 10)),
        ("2025-01-01T11:00:00+01", datetime(2025, 1, 1, 10)),
        ("2025-01-01 05:30:00.5-04:30", datetime(2025, 1, 1, 10, 0, 0, 500000)),
        ("2025-01-01T11:00:00+0100", datetime(2025, 1, 1, 10)),
        # Near misses and forms left unread.
        ("01/01/2025 10:00", None),
        ("2025/01-01 10:00", None),
        ("Wed, 01 Jan 2025 10:00:00 EST", None),
        ("Wed Jan 01 10:00:00 2025", None),
        ("2025-01-01 10:00 +01:00:00", None),
        ("2025-01-01T10", None),
        # ISO-8601 basic dates without T (epochs in 1970-1973 or after 2286 before), Go's
        # time.Time String (unread before), leap seconds (any second 60 read as the next
        # minute before).
        ("20250101", datetime(2025, 1, 1)),
        ("20250101100000", datetime(2025, 1, 1, 10)),
        ("20251301", None),
        ("12345678", None),
        ("2025-01-01 10:00:00 +0000 UTC", datetime(2025, 1, 1, 10)),
        ("2025-01-01 04:00:00.123456789 -0600 CST", datetime(2025, 1, 1, 10, 0, 0, 123456)),
        ("2025-01-01 13:00:00 +0300 +03", datetime(2025, 1, 1, 10)),
        ("2016-12-31T23:59:60Z", datetime(2017, 1, 1)),
        ("1990-12-31T15:59:60-08:00", datetime(1991, 1, 1)),  # RFC 3339's own example
        ("Sat, 31 Dec 2016 23:59:60 GMT", datetime(2017, 1, 1)),
        ("2025-01-01T10:00:60Z", None),
        ("2025-01-01 10:00:60", None),
        ("2025-01-01T10:0:60Z", None),
        ("20250101T100060Z", None),
        ("1735725600", datetime(2025, 1, 1, 10)),  # epochs of 10 and 13 digits, as before
        ("1735725600000", datetime(2025, 1, 1, 10)),
        # 12 digits: YYYYMMDDhhmm, not epoch milliseconds of 1973-1998 (2024-03-01 12:30 read
        # 1976-05-31 before), but from 9 (years 9000 on) the milliseconds of 1998-2001; digits
        # alone written as a number (20240301.0, a spreadsheet's) the same date, not a 1970
        # epoch; Java's Date.toString in UTC, Go's monotonic clock reading, RFC 2822's zone
        # comment and ` Z` after minutes (all unread before).
        ("100000000001", None),
        ("202501011000", datetime(2025, 1, 1, 10)),
        ("946684800000", datetime(2000, 1, 1)),
        ("999999999999", datetime(2001, 9, 9, 1, 46, 39, 999000)),
        ("20250101.0", datetime(2025, 1, 1)),
        ("202501011000.0", datetime(2025, 1, 1, 10)),
        ("20250101100000.00", datetime(2025, 1, 1, 10)),
        ("20250101.5", None),
        ("1735725600.0", datetime(2025, 1, 1, 10)),
        ("Wed Jan 01 10:00:00 UTC 2025", datetime(2025, 1, 1, 10)),
        ("Wed Jan 01 10:00:00 GMT 2025", datetime(2025, 1, 1, 10)),
        ("2025-01-01 10:00:00.5 +0000 UTC m=+0.000123001", datetime(2025, 1, 1, 10, 0, 0, 500000)),
        ("2025-01-01 04:00:00 -0600 CST m=+3600.5", datetime(2025, 1, 1, 10)),
        ("Wed, 01 Jan 2025 10:00:00 +0000 (UTC)", datetime(2025, 1, 1, 10)),
        ("Wed, 01 Jan 2025 05:00:00 -0500 (EST)", datetime(2025, 1, 1, 10)),
        ("2025-01-01 10:00 Z", datetime(2025, 1, 1, 10)),
        ("2025-01-01T10:00 z", datetime(2025, 1, 1, 10)),
        ("Wed Jan 01 10:00:00 UT 2025", None),
        ("2025-01-01 10:00:00 UTC m=+0.1", None),
        ("Wed, 01 Jan 2025 10:00:00 (UTC)", None),
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


# Days on which a zone's clocks jump (gaps) or repeat (folds) by an odd amount, in years where
# every zone database agrees.
_ODD_CLOCK_CHANGES = {
    "Australia/Lord_Howe": [date(2025, 10, 5), date(2025, 4, 6)],  # 30 minutes
    "Antarctica/Troll": [date(2025, 3, 30), date(2025, 10, 26)],  # two hours
    "Pacific/Apia": [date(2011, 12, 30), date(2011, 9, 24), date(2012, 4, 1)],  # a skipped day
    "Pacific/Chatham": [date(2025, 9, 28), date(2025, 4, 6)],  # at 02:45
    "America/St_Johns": [date(2025, 3, 9), date(2025, 11, 2)],  # at 02:00, offset -03:30
    "Europe/Madrid": [date(2025, 3, 30), date(2025, 10, 26)],
}


@settings(max_examples=300, deadline=None)
@given(
    change=st.sampled_from([(z, d) for z, days in _ODD_CLOCK_CHANGES.items() for d in days]),
    days_after=st.integers(-1, 1),
    at=st.times(),
    sep=st.sampled_from("T "),
)
@example(change=("Australia/Lord_Howe", date(2025, 10, 5)), days_after=0, at=time(2, 15), sep="T")
@example(change=("Antarctica/Troll", date(2025, 3, 30)), days_after=0, at=time(1, 30), sep="T")
@example(change=("Pacific/Apia", date(2011, 12, 30)), days_after=0, at=time(12), sep=" ")
def test_wall_times_in_daylight_saving_gaps_and_folds_read_as_zoneinfo_reads_them(
    change, days_after, at, sep
):
    zone, day = change
    wall = datetime.combine(day + timedelta(days=days_after), at.replace(fold=0))
    expected = wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    raw = pl.Series("created_at", [wall.isoformat(sep)])
    assert pl.select(parse_timestamp(pl.lit(raw), source_tz=zone)).item() == expected
    assert parse_timestamps(raw, source_tz=zone).item() == expected


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


def test_dates_in_day_month_order_are_dead_letters_that_say_so_not_guesses():
    raw = ["03/01/2024 12:30", "3/1/24", "25.12.2024 08:00", " 01-03-2024T12:30:00Z", "2024/03/01",
           "1/3/2024, 9:15:00 PM", "2024-03-01 12:30 soon", "03/01"]  # fmt: skip
    lines = _lines(*({"id": str(i), "created_at": at, "text": "x"} for i, at in enumerate(raw)))
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    valid, dead = validate(records, source_tz="UTC")
    assert valid["created_at"].to_list() == ["2024/03/01"]
    assert dead["reason"].to_list() == [AMBIGUOUS_TIMESTAMP] * 5 + [UNPARSEABLE_TIMESTAMP] * 2


def test_zone_names_are_dead_letters_that_name_them_not_guesses():
    raw = ["2024-03-01 12:30:00 EST", "Fri, 01 Mar 2024 12:30:00 CST", "2024-03-01T12:30IST",
           "Fri Mar 01 12:30:00 CST 2024", "2024-03-01 12:30:00 -0500 EST", "12:30 EST",
           "2024-03-01 12:30:00 ABCDEF", "Fri Mar 01 12:30:00 UTC 2024", "2024-13-01 12:30 EST"]  # fmt: skip
    lines = _lines(*({"id": str(i), "created_at": at, "text": "x"} for i, at in enumerate(raw)))
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    valid, dead = validate(records, source_tz="UTC")
    assert valid["created_at"].to_list() == [
        "2024-03-01 12:30:00 -0500 EST", "Fri Mar 01 12:30:00 UTC 2024"
    ]  # fmt: skip
    named = [ZONE_NAMED_TIMESTAMP.format(name) for name in ["EST", "CST", "IST", "CST"]]
    assert dead["reason"].to_list() == named + [UNPARSEABLE_TIMESTAMP] * 3
    assert named[0] == "timestamp with zone name EST instead of an offset"


def test_a_zone_name_before_an_rfc_2822_comment_is_named_too():
    """Regression: `... EST (Eastern Standard Time)` was an unparseable timestamp where
    `... EST` alone named its zone; a comment after an offset is still read."""
    raw = ["Fri, 01 Mar 2024 12:30:00 EST (Eastern Standard Time)",
           "Fri, 01 Mar 2024 12:30:00 +0000 (UTC)", "Fri, 01 Mar 2024 12:30:00 EST (a (b))"]  # fmt: skip
    lines = _lines(*({"id": str(i), "created_at": at, "text": "x"} for i, at in enumerate(raw)))
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    valid, dead = validate(records, source_tz="UTC")
    assert valid["id"].to_list() == ["1"]
    assert dead["reason"].to_list() == [ZONE_NAMED_TIMESTAMP.format("EST"), UNPARSEABLE_TIMESTAMP]


def test_a_12_hour_clocks_am_or_pm_is_not_taken_for_a_zone_name():
    """Regression: `2024-03-01 01:30:00 PM` was a dead letter with zone name PM, whose advice
    (write the offset in its place) turned 13:30 into 01:30."""
    raw = ["2024-03-01 01:30:00 PM", "2024-03-01T12:30 AM", "Fri Mar 01 01:30:00 PM 2024"]
    lines = _lines(*({"id": str(i), "created_at": at, "text": "x"} for i, at in enumerate(raw)))
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    _, dead = validate(records, source_tz="UTC")
    assert dead["reason"].to_list() == [UNPARSEABLE_TIMESTAMP] * 3
    reasons = dict(dead.group_by("reason").len().iter_rows())
    assert not any("is a name" in advice for advice in timestamp_advice(reasons))


def test_the_advice_on_zone_names_names_them_and_says_to_write_an_offset():
    reasons = {ZONE_NAMED_TIMESTAMP.format("IST"): 2, ZONE_NAMED_TIMESTAMP.format("CST"): 1}
    advice = timestamp_advice(reasons)
    assert advice[0].startswith("A created_at whose zone is a name (CST, IST) is not read")
    assert "write the offset in its place (2026-01-11 04:36:00-06:00)" in advice[0]
    assert advice[1].startswith("moodcast reads created_at as")
    assert timestamps_alone({**reasons, UNPARSEABLE_TIMESTAMP: 1})
    assert not timestamps_alone({**reasons, "invalid JSON": 1})
    assert timestamp_advice({"invalid JSON": 3, ZONE_NAMED_TIMESTAMP.format("EST"): 0}) == []


def test_eight_and_fourteen_digits_are_dates_read_in_the_source_zone_not_1970_epochs():
    """Regression: 20240301 read as an epoch (1970-08-23) and was dead-lettered as a timestamp
    before 2000-01-01; 20240301123000 as milliseconds in the year 2611."""
    raw = ["20240301", "20240301123000", "20241301", "1709296200", "1709296200000"]
    lines = _lines(*({"id": str(i), "created_at": at, "text": "x"} for i, at in enumerate(raw)))
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    valid, dead = validate(records, source_tz="Europe/Madrid")
    assert valid["created_utc"].dt.replace_time_zone(None).to_list() == [
        datetime(2024, 2, 29, 23), datetime(2024, 3, 1, 11, 30), datetime(2024, 3, 1, 12, 30),
        datetime(2024, 3, 1, 12, 30),
    ]  # fmt: skip
    assert dead["reason"].to_list() == [UNPARSEABLE_TIMESTAMP]


def test_twelve_digits_and_spreadsheet_numbers_are_dates_in_the_source_zone_not_epochs():
    """Regression: 202403011230 read as epoch milliseconds (1976-05-31) and 20240301.0, digits
    alone written as a spreadsheet's number, as epoch seconds (1970-08-23): both were dead
    letters 'timestamp before 2000-01-01', and could have been posts with the earliest date set
    back. Twelve digits from 9 are still the epoch milliseconds of 1998-2001."""
    raw = ["202403011230", "20240301.0", "20240301123000.0", "202403011230.0", "999999999999",
           "20240301.5", "202413011230"]  # fmt: skip
    lines = _lines(*({"id": str(i), "created_at": at, "text": "x"} for i, at in enumerate(raw)))
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    valid, dead = validate(records, source_tz="Europe/Madrid")
    assert valid["created_utc"].dt.replace_time_zone(None).to_list() == [
        datetime(2024, 3, 1, 11, 30), datetime(2024, 2, 29, 23), datetime(2024, 3, 1, 11, 30),
        datetime(2024, 3, 1, 11, 30), datetime(2001, 9, 9, 1, 46, 39, 999000),
    ]  # fmt: skip
    assert dead["reason"].to_list() == [UNPARSEABLE_TIMESTAMP] * 2


def test_a_json_number_that_is_a_date_reads_as_that_date():
    """Regression: a JSON `20240301.0` (a date a spreadsheet exported as a number, then JSON)
    became the text 20240301.0 and was read as epoch seconds in 1970."""
    lines = [b'{"id": "1", "created_at": 20240301.0, "text": "x"}\n']
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    valid, _ = validate(records, source_tz="UTC")
    assert valid["created_utc"].to_list() == [datetime(2024, 3, 1, tzinfo=UTC)]


def test_a_second_60_is_read_only_as_a_utc_leap_second():
    """Regression: 12:30:60 read as 12:31:00. A wall time's second 60 is a leap second only
    where it is 23:59:60 UTC in the source zone (00:59:60 in Madrid's winter)."""
    raw = pl.Series(
        "created_at",
        ["2016-12-31 23:59:60", "2017-01-01 00:59:60", "2024-03-01 12:30:60",
         "20161231235960.0", "20170101005960.0", "20240301123060.0"],
    )  # fmt: skip
    expected = [None, datetime(2017, 1, 1, tzinfo=UTC), None] * 2
    assert parse_timestamps(raw, source_tz="Europe/Madrid").to_list() == expected
    general = pl.select(parse_timestamp(pl.lit(raw), source_tz="Europe/Madrid")).to_series()
    assert general.to_list() == expected


def test_naive_forms_without_seconds_are_read_in_the_source_zone():
    raw = pl.Series("created_at", ["2025-03-30 02:30", "2025/10/26 02:30", "20251026T0230"])
    expected = [datetime(2025, 3, 30, 1, 30), datetime(2025, 10, 26, 0, 30)] + [
        datetime(2025, 10, 26, 0, 30)
    ]
    parsed = parse_timestamps(raw, source_tz="Europe/Madrid")
    assert [at.replace(tzinfo=None) for at in parsed.to_list()] == expected
    general = pl.select(parse_timestamp(pl.lit(raw), source_tz="Europe/Madrid")).to_series()
    assert general.to_list() == parsed.to_list()


def test_the_text_limit_fits_a_long_reddit_submission_and_is_a_setting():
    lines = _lines({"id": "1", "created_at": "2025-01-01", "text": "x" * 39_000})
    records, _ = parse_json_lines(lines, source="f", first_line=1)
    assert validate(records, source_tz="UTC")[0].height == 1
    valid, dead = validate(records, source_tz="UTC", max_text_chars=10_000)
    assert valid.is_empty() and dead["reason"].to_list() == ["oversized text"]


def test_utc_sources_skip_the_daylight_saving_branches_with_the_same_values():
    raw = ["2025-01-01T10:00:00", "2025-03-30 02:30:00", "2025-01-01", "2025-01-01T10:00:00.5",
           "2025-01-01T10:00:00Z", "2025-01-01T10:00:00+02:00", "1736122008", "1736122008123",
           "", "  2025-06-01T00:00:00  ", "2025-13-01T00:00:00", "garbage", None]  # fmt: skip
    frame = pl.DataFrame({"created_at": raw}, schema={"created_at": pl.String})
    utc = frame.select(parse_timestamp(pl.col("created_at"), source_tz="UTC")).to_series()
    general = frame.select(parse_timestamp(pl.col("created_at"), source_tz="Etc/UTC")).to_series()
    assert utc.dtype == general.dtype == pl.Datetime("us", "UTC")
    assert utc.to_list() == general.to_list()
    assert utc.null_count() == 4
