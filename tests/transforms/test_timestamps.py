"""The compiled read of created_at's common shapes (transforms.timestamps) must give what the
general parse_timestamp expression gives, value for value and dead letter for dead letter."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from transforms.records import LOCATED_SCHEMA, parse_timestamp, parse_timestamps, validate
from transforms.timestamps import INSTANT, OTHER, WALL, common_timestamps

ZONES = ["UTC", "Europe/Madrid", "America/St_Johns", "Australia/Lord_Howe"]
_MICROSECOND = timedelta(microseconds=1)


@st.composite
def iso(draw) -> str:
    """An ISO-8601-like timestamp: mostly a real one in a form the general path reads, else
    with one part out of range, written at another width, or in another form."""
    at = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    parts = [f"{at.year:04d}", f"{at.month:02d}", f"{at.day:02d}", f"{at.hour:02d}",
             f"{at.minute:02d}", f"{at.second:02d}"]  # fmt: skip
    if draw(st.integers(0, 3)) == 0:
        i = draw(st.integers(0, 5))
        parts[i] = draw(st.sampled_from(["0", "00", "13", "24", "29", "30", "31", "32", "60", "61",
                                         "99", "0000", "1900", "2100", "02025", "2", "1"]))  # fmt: skip
    date = "-".join(parts[:3])
    if draw(st.integers(0, 5)) == 0:
        return date
    sep = draw(st.sampled_from(["T", "T", " ", "t", "  ", "_"]))
    digits = draw(st.integers(0, 10))
    fraction = draw(
        st.sampled_from(
            ["", f".{at.microsecond:06d}"[: digits + 1], f".{at.microsecond:06d}{digits}"]
        )
    )
    hours = draw(st.one_of(st.integers(0, 23), st.integers(0, 99)))
    offset = draw(
        st.one_of(
            st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+0100", "+01", "UTC", " Z", "U"]),
            st.builds(
                lambda sign, m: f"{sign}{hours:02d}:{m:02d}",
                st.sampled_from("+-"), st.one_of(st.sampled_from([0, 30, 45]), st.integers(0, 61)),
            ),
        )
    )  # fmt: skip
    return f"{date}{sep}{':'.join(parts[3:])}{fraction}{offset}"


epochs = st.one_of(
    st.integers(-(10**16), 10**16).map(str),
    st.integers(0, 10**14).map(lambda n: f"0{n}"),
    st.sampled_from(["100000000000", "100000000001", "253402300799999", "253402300800000"]),
    st.from_regex(r"-?[0-9]{1,16}(\.[0-9]{0,4})?", fullmatch=True),
)
timestamps = st.one_of(
    iso(),
    epochs,
    st.builds(lambda pad, v: f"{pad}{v}{pad}", st.sampled_from([" ", "\t", "\u3000"]), iso()),
    st.text(max_size=30),
    st.none(),
)


@settings(max_examples=400, deadline=None)
@given(values=st.lists(timestamps, max_size=40), source_tz=st.sampled_from(ZONES))
@example(values=["2025-03-30T02:30:00", "2025-10-26 02:30:00.5", "2025-03-09"], source_tz="UTC")
@example(values=["2024-02-29T23:59:59.999999-23:59", "2023-02-29", "1000-01-01"], source_tz="UTC")
@example(values=["1900-02-29", "2000-02-29T00:00:00Z", "2100-02-29 12:00:00"], source_tz="UTC")
@example(
    values=["2025-01-06T24:00:00Z", "2025-01-06T23:60:00", "2025-11-31", "1800-02-29"],
    source_tz="UTC",
)
def test_the_fast_path_gives_the_general_values_and_dead_letters(values, source_tz):
    series = pl.Series("created_at", values, dtype=pl.String)
    general = pl.select(parse_timestamp(pl.lit(series), source_tz=source_tz)).to_series()
    fast = parse_timestamps(series, source_tz=source_tz)
    assert fast.dtype == general.dtype == pl.Datetime("us", "UTC")
    assert fast.cast(pl.Int64).to_list() == general.cast(pl.Int64).to_list()
    records = pl.DataFrame(
        {"id": [str(i) for i in range(len(values))], "created_at": series, "text": "x"},
        schema_overrides={"created_at": pl.String},
    ).with_columns(pl.lit("f").alias("source"), pl.int_range(pl.len()).alias("line"))
    start = (datetime(2000, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // _MICROSECOND
    expected = [
        "missing field created_at" if blank in (None, True)
        else "unparseable timestamp" if at is None
        else "timestamp before 2000-01-01" if at < start
        else None
        for blank, at in zip(
            (series.str.strip_chars() == "").to_list(), general.cast(pl.Int64).to_list(), strict=True
        )
    ]  # fmt: skip
    _, dead = validate(_complete(records), source_tz=source_tz)
    assert dead.sort("line")["reason"].to_list() == [r for r in expected if r is not None]


def _complete(records: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([pl.DataFrame(schema=LOCATED_SCHEMA), records], how="diagonal_relaxed")


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("2025-01-06T00:00:53.460Z", INSTANT, datetime(2025, 1, 6, 0, 0, 53, 460000)),
        ("2025-01-06T05:44:54+05:30", INSTANT, datetime(2025, 1, 6, 0, 14, 54)),
        ("2025-01-06 00:00:54", WALL, datetime(2025, 1, 6, 0, 0, 54)),
        ("2024-02-29", WALL, datetime(2024, 2, 29)),
        ("1736122008", INSTANT, datetime(2025, 1, 6, 0, 6, 48)),
        ("1736122476643", INSTANT, datetime(2025, 1, 6, 0, 14, 36, 643000)),
        ("2025-01-06T00:00:60Z", OTHER, None),
        ("2025-01-06T00:00:53.1234567Z", OTHER, None),
        ("2023-02-29", OTHER, None),
        (" 2025-01-06", OTHER, None),
        ("-1736122008", OTHER, None),
    ],
)
def test_common_shapes_are_read_and_the_rest_left_to_the_general_path(raw, kind, expected):
    micros, kinds = common_timestamps(pl.Series([raw]))
    assert kinds[0] == kind
    if expected is not None:
        assert micros[0] == (expected - datetime(1970, 1, 1)) // _MICROSECOND
