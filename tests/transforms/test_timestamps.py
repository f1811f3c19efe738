"""The compiled read of created_at's common shapes (transforms.timestamps) must give what the
general parse_timestamp expression gives, value for value and dead letter for dead letter."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from transforms.records import LOCATED_SCHEMA, validate
from transforms.timestamp_forms import (
    AMBIGUOUS_TIMESTAMP,
    DAY_MONTH_ORDER,
    UNPARSEABLE_TIMESTAMP,
    ZONE_NAMED_TIMESTAMP,
    zone_name,
    zone_name_as_utc,
)
from transforms.timestamp_parsing import parse_timestamp, parse_timestamps
from transforms.timestamps import INSTANT, OTHER, WALL, common_timestamps

ZONES = ["UTC", "Europe/Madrid", "America/St_Johns", "Australia/Lord_Howe"]
_MICROSECOND = timedelta(microseconds=1)


@st.composite
def iso(draw) -> str:
    """An ISO-8601-like timestamp (extended, with `/` in the date too, or basic): mostly a real
    one in a form the general path reads, else with one part out of range, written at another
    width, or in another form."""
    at = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    parts = [f"{at.year:04d}", f"{at.month:02d}", f"{at.day:02d}", f"{at.hour:02d}",
             f"{at.minute:02d}", f"{at.second:02d}"]  # fmt: skip
    if draw(st.integers(0, 3)) == 0:
        i = draw(st.integers(0, 5))
        parts[i] = draw(st.sampled_from(["0", "00", "13", "24", "29", "30", "31", "32", "60", "61",
                                         "99", "0000", "1900", "2100", "02025", "2", "1"]))  # fmt: skip
    basic = draw(st.integers(0, 4)) == 0
    seps = "" if basic else draw(st.sampled_from(["--", "--", "//", "-/", ".."]))
    date = f"{parts[0]}{seps[:1]}{parts[1]}{seps[1:]}{parts[2]}"
    if draw(st.integers(0, 5)) == 0:
        return date
    sep = draw(st.sampled_from(["T", "T", " ", "t", "  ", "_"]))
    digits = draw(st.integers(0, 10))
    fraction = draw(
        st.sampled_from(
            ["", f".{at.microsecond:06d}"[: digits + 1], f".{at.microsecond:06d}{digits}"]
        )
    )
    clock = parts[3:] if draw(st.integers(0, 3)) else parts[3:5]
    fraction = fraction if len(clock) == 3 or draw(st.integers(0, 5)) == 0 else ""
    return f"{date}{sep}{('' if basic else ':').join(clock)}{fraction}{draw(zones(at.hour))}"


def zones(hours: int):
    """A time zone after an ISO time: the forms read and near misses (zone names, Go's form)."""
    return st.one_of(
        st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+0100", "+01", "UTC", " Z", "U",
                         " UTC", "GMT", " GMT", "  UTC", "utc", " +01:00", "+1", "+010",
                         " EST", "CST", " CEST", " ChST", " ABCDEF", " PM", "AM", " +0000 UTC", " -0500 EST",
                         " +0300 +03", " +0545 +0545", " +00:00 UTC", " +0000  UTC",
                         "+0000 UTC", " +0000 utc", " +0000 ABCDEF", " +000 UTC", " +0000 +3",
                         " +0000 U", " +0000 ", " -2400 EST", " +0000 UTC m=+0.000123001",
                         " -0500 EST m=-12.5", " +0000 UTC m=+1", " UTC m=+0.1", " +0000 UTC m=",
                         "  Z", " z", " GMT+01:00", "GMT-05:30", " UTC+14:00", " GMT+1",
                         " GMT+0100", " gmt+01:00", " GMT+24:00", " UTC+01:60"]),
        st.builds(
            lambda sign, m, name: f" {sign}{hours:02d}{m:02d} {name}",
            st.sampled_from("+-"), st.integers(0, 61), st.sampled_from(["UTC", "CET", "+01"]),
        ),
        st.builds(
            lambda sign, m, colon: f"{sign}{hours:02d}{colon}{m:02d}",
            st.sampled_from("+-"), st.one_of(st.sampled_from([0, 30, 45]), st.integers(0, 61)),
            st.sampled_from([":", ":", ""]),
        ),
        st.builds(lambda sign: f"{sign}{hours:02d}", st.sampled_from("+-")),
    )  # fmt: skip


_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Wen", "mon"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
           "jan", "Sept", "Foo"]  # fmt: skip


@st.composite
def named(draw) -> str:
    """Twitter API v1.1's and RFC 2822's forms: mostly real ones, else with a part out of range,
    at another width or misspelt."""
    at = draw(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)))
    weekday = draw(st.sampled_from([at.strftime("%a"), *_WEEKDAYS]))
    month = draw(st.sampled_from([at.strftime("%b"), at.strftime("%b"), *_MONTHS]))
    day = draw(st.sampled_from([f"{at.day:02d}", f"{at.day:02d}", str(at.day), "0", "32", "31"]))
    clock = f"{at.hour:02d}:{at.minute:02d}"
    second = draw(st.sampled_from([f":{at.second:02d}", f":{at.second:02d}", "", ":60", ":7"]))
    sign, hours, minutes = (
        draw(st.sampled_from("+-")),
        draw(st.integers(0, 25)),
        draw(st.integers(0, 61)),
    )
    offset = draw(st.sampled_from([f"{sign}{hours:02d}{minutes:02d}", "+0000", "-0000",
                                   f"{sign}{hours:02d}:{minutes:02d}", "+01"]))  # fmt: skip
    if draw(st.booleans()):
        java = f"GMT{sign}{hours:02d}:{minutes:02d}"
        zone = draw(st.sampled_from([offset, offset, "EST", "CST", "UTC", "GMT", "UT", "X", java]))
        return f"{weekday} {month} {day} {clock}{second} {zone} {at.year}"
    zone = draw(st.sampled_from([offset, offset, "GMT", "UT", "UTC", "Z", "EST", "z", "gmt",
                                 f"UTC{sign}{hours:02d}:{minutes:02d}"]))  # fmt: skip
    comment = draw(st.sampled_from(["", "", " (UTC)", " (EST)", " ()", " ((x))", "(UTC)"]))
    start = draw(st.sampled_from([f"{weekday}, ", f"{weekday}, ", "", f"{weekday} "]))
    return f"{start}{day} {month} {at.year} {clock}{second} {zone}{comment}"


@st.composite
def leap_seconds(draw) -> str:
    """A second 60: mostly a UTC leap second (23:59:60 UTC) written at an offset, or as a wall
    time that is one in some zone, else a second 60 at another time of day."""
    day = draw(st.datetimes(min_value=datetime(1972, 6, 30), max_value=datetime(2037, 12, 31)))
    minutes = draw(st.sampled_from([0, 60, -480, 330, 345, -210, 840]) | st.integers(-1439, 1439))
    last = day.replace(hour=23, minute=59) if draw(st.integers(0, 3)) else day
    wall = last + timedelta(minutes=minutes)
    offset = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    zone = draw(st.sampled_from([offset, offset, "", "Z", " UTC"]))
    fraction = draw(st.sampled_from(["", "", ".5", ".999999", ".123456789"]))
    form = draw(st.sampled_from(["%Y-%m-%dT%H:%M:60", "%Y-%m-%d %H:%M:60", "%Y%m%dT%H%M60",
                                 "%Y%m%d%H%M60", "%a, %d %b %Y %H:%M:60"]))  # fmt: skip
    if form == "%Y%m%d%H%M60":
        return wall.strftime(form)
    if form.startswith("%a"):
        return f"{wall.strftime(form)} {offset.replace(':', '') if zone == offset else 'GMT'}"
    return f"{wall.strftime(form)}{fraction}{zone}"


@st.composite
def compact(draw) -> str:
    """ISO-8601 basic dates without `T`, digits alone (8, 12 or 14): mostly real, some out of
    range, some followed by a fraction as a spreadsheet's number is."""
    at = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    date = f"{at.year:04d}{at.month:02d}{at.day:02d}"
    digits = draw(st.sampled_from([
        date, f"{date}{at.hour:02d}{at.minute:02d}{at.second:02d}", f"{date}{at.hour:02d}{at.minute:02d}",
        f"{at.year:04d}{at.month:02d}{at.day + 1:02d}",
        f"{at.year:04d}{at.month + 3:02d}{at.day:02d}{at.hour + 1:02d}0000",
        f"{date}{at.hour + 1:02d}{at.minute + 1:02d}",
    ]))  # fmt: skip
    return digits + draw(st.sampled_from(["", "", "", ".0", ".00", ".5", "."]))


epochs = st.one_of(
    st.integers(-(10**16), 10**16).map(str),
    st.integers(0, 10**14).map(lambda n: f"0{n}"),
    st.sampled_from(["100000000000", "100000000001", "253402300799999", "253402300800000"]),
    st.from_regex(r"-?[0-9]{1,16}(\.[0-9]{0,4})?", fullmatch=True),
)
timestamps = st.one_of(
    iso(),
    named(),
    epochs,
    compact(),
    leap_seconds(),
    st.builds(
        lambda pad, v: f"{pad}{v}{pad}", st.sampled_from([" ", "\t", "\u3000"]), iso() | named()
    ),
    st.text(max_size=30),
    st.none(),
)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(timestamps, max_size=40), source_tz=st.sampled_from(ZONES))
@example(values=["2025-03-30T02:30:00", "2025-10-26 02:30:00.5", "2025-03-09"], source_tz="UTC")
@example(values=["2024-02-29T23:59:59.999999-23:59", "2023-02-29", "1000-01-01"], source_tz="UTC")
@example(values=["1900-02-29", "2000-02-29T00:00:00Z", "2100-02-29 12:00:00"], source_tz="UTC")
@example(
    values=["2025-01-06T24:00:00Z", "2025-01-06T23:60:00", "2025-11-31", "1800-02-29"],
    source_tz="UTC",
)
@example(
    values=["2016-12-31T23:59:60Z", "2016-12-31T15:59:60-08:00", "2016-12-31 23:59:60.5 UTC",
            "2024-03-01T12:30:60Z", "20161231235960", "20240301123060", "20240301", "12345678",
            "2018-10-10 20:19:24.123456789 +0000 UTC", "Fri Mar 01 12:30:00 CST 2024"],
    source_tz="Europe/Madrid",
)  # fmt: skip
@example(
    values=["Fri, 13 OCT 2023 12:30 +0000", "Fri, 13 Okt 2023 12:30 +0000", "13 Oct 23 12:30 GMT",
            "20240301", "2024-03-01 12:30:00.123+01", "2024-03-01T12:30:60-0330", "2024/13/01",
            "20240301T123000.5+0545", "1.3.24", "01/13/2024 12:30"],
    source_tz="America/St_Johns",
)  # fmt: skip
def test_the_fast_path_gives_the_general_values_and_dead_letters(values, source_tz):
    series = pl.Series("created_at", values, dtype=pl.String)
    general = pl.select(parse_timestamp(pl.lit(series), source_tz=source_tz)).to_series()
    fast = parse_timestamps(series, source_tz=source_tz, engine="compiled")
    assert fast.dtype == general.dtype == pl.Datetime("us", "UTC")
    assert fast.cast(pl.Int64).to_list() == general.cast(pl.Int64).to_list()
    records = pl.DataFrame(
        {"id": [str(i) for i in range(len(values))], "created_at": series, "text": "x"},
        schema_overrides={"created_at": pl.String},
    ).with_columns(pl.lit("f").alias("source"), pl.int_range(pl.len()).alias("line"))
    start = (datetime(2000, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // _MICROSECOND
    stripped = series.str.strip_chars()
    named = pl.select(
        zone_name(pl.lit(stripped)),
        parse_timestamp(zone_name_as_utc(pl.lit(stripped)), source_tz=source_tz)
        .is_not_null()
        .alias("as_utc"),
    )
    expected = [
        "missing field created_at" if blank in (None, True)
        else AMBIGUOUS_TIMESTAMP if at is None and day_first
        else ZONE_NAMED_TIMESTAMP.format(name) if at is None and name and as_utc
        else UNPARSEABLE_TIMESTAMP if at is None
        else "timestamp before 2000-01-01" if at < start
        else None
        for blank, at, day_first, (name, as_utc) in zip(
            (stripped == "").to_list(), general.cast(pl.Int64).to_list(),
            stripped.str.contains(DAY_MONTH_ORDER).to_list(), named.iter_rows(), strict=True,
        )
    ]  # fmt: skip
    _, dead = validate(_complete(records), source_tz=source_tz)
    assert dead.sort("line")["reason"].to_list() == [r for r in expected if r is not None]


_WRITTEN = {
    "%Y-%m-%dT%H:%M:%S.%f": ["", "Z", "+hh:mm", "+hhmm", "+hh", " UTC"],
    "%Y-%m-%d %H:%M": ["", "z", "+hh:mm", "+hhmm", "GMT", " Z"],
    "%Y/%m/%d %H:%M:%S": ["", "+hh:mm", "+hh", " GMT"],
    "%Y%m%dT%H%M%S.%f": ["", "Z", "+hhmm", "+hh:mm"],
    "%Y%m%dT%H%M": ["", "+hhmm", "+hh"],
    "%a %b %d %H:%M:%S +hhmm %Y": [""],
    "%a, %d %b %Y %H:%M:%S": [" +hhmm", " GMT", " UT", " +hhmm (UTC)", " GMT+hh:mm"],
    "%d %b %Y %H:%M": [" +hhmm", " Z", " UTC"],
    "%Y-%m-%d %H:%M:%S": [" +hhmm UTC", " +hhmm CEST", " +hhmm +hh", " GMT+hh:mm", "UTC+hh:mm"],
    "%a %b %d %H:%M:%S": [" GMT+hh:mm %Y", " UTC+hh:mm %Y"],
    "%Y-%m-%d %H:%M:%S.%f": [" +hhmm MST", " +hhmm UTC m=+0.000123001"],
    "%a %b %d %H:%M:%S UTC %Y": [""],
    "%Y%m%d%H%M%S": ["", ".0"],
    "%Y%m%d%H%M": ["", ".0"],
    "%Y%m%d": ["", ".0"],
}
"""Forms as `strftime` formats → the zones written after them (`hh`, `mm`: the offset's)."""


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),
    minutes=st.sampled_from([0, 60, -60, 330, -210, 345, 840, -720]) | st.integers(-1439, 1439),
    form=st.sampled_from(sorted(_WRITTEN)),
    choice=st.integers(0, 5),
    source_tz=st.sampled_from(ZONES),
)
def test_every_form_reads_the_instant_it_was_written_from(at, minutes, form, choice, source_tz):
    """Against Python's own clock arithmetic, not the other path: an instant written in a form
    with an offset (any, minutes and west included), a UTC name, or none (a wall time, which
    zoneinfo reads in source_tz with fold=0) reads back as that instant on both paths."""
    zone = _WRITTEN[form][choice % len(_WRITTEN[form])]
    at = (at if "%H" in form else at.replace(hour=0, minute=0)).replace(fold=0)
    at = at.replace(second=at.second if "%S" in form else 0)
    at = at.replace(microsecond=at.microsecond if "%f" in form else 0)
    if "+hh" not in zone + form:
        minutes = 0
    elif zone.endswith("+hh"):
        minutes = 60 * int(minutes / 60)
    offset = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    written = at.strftime(
        form.replace("+hhmm", offset) + zone.replace("+hh:mm", f"{offset[:3]}:{offset[3:]}")
        .replace("+hhmm", offset).replace("+hh", offset[:3])
    )  # fmt: skip
    if zone.strip(".0") or "+hhmm" in form or "UTC" in form:
        expected = (at - timedelta(minutes=minutes)).replace(tzinfo=UTC)
    else:
        expected = at.replace(tzinfo=ZoneInfo(source_tz)).astimezone(UTC)
    series = pl.Series([written])
    general = pl.select(parse_timestamp(pl.lit(series), source_tz=source_tz)).item()
    assert (parse_timestamps(series, source_tz=source_tz, engine="compiled").item(), general) == (
        expected,
    ) * 2


@pytest.mark.parametrize(
    "written",
    [
        "Sun Jan 11 05:36:00 GMT+01:00 2026",
        "Sat Jan 10 23:36:00 GMT-05:00 2026",
        "2026-01-11 05:36:00 GMT+01:00",
        "2026-01-11T10:06:00.000UTC+05:30",
        "Sun, 11 Jan 2026 05:36 GMT+01:00",
    ],
)
def test_java_gmt_and_utc_offsets_are_read_as_the_offset(written):
    """Regression: Java writes a zone that is a fixed offset as `GMT+01:00` (Date.toString,
    SimpleDateFormat's `z`; java.time's `UTC+01:00`), which was an unparseable timestamp.
    The offset is east of UTC, as ISO-8601's."""
    series = pl.Series([written])
    general = pl.select(parse_timestamp(pl.lit(series), source_tz="Europe/Madrid")).item()
    expected = datetime(2026, 1, 11, 4, 36, tzinfo=UTC)
    assert (
        parse_timestamps(series, source_tz="Europe/Madrid", engine="compiled").item(),
        general,
    ) == (expected,) * 2


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
        ("2025-01-06 00:14", WALL, datetime(2025, 1, 6, 0, 14)),
        ("2025/01/06", WALL, datetime(2025, 1, 6)),
        ("2025-01-06T05:44+05:30", INSTANT, datetime(2025, 1, 6, 0, 14)),
        ("2025-01-06T01:14:54+01", INSTANT, datetime(2025, 1, 6, 0, 14, 54)),
        ("2025-01-05T23:14:54-0100", INSTANT, datetime(2025, 1, 6, 0, 14, 54)),
        ("2025-01-06 00:14:54.5 UTC", INSTANT, datetime(2025, 1, 6, 0, 14, 54, 500000)),
        ("20250106T001454Z", INSTANT, datetime(2025, 1, 6, 0, 14, 54)),
        ("20250106T0014", WALL, datetime(2025, 1, 6, 0, 14)),
        ("Mon Jan 06 00:14:54 +0000 2025", INSTANT, datetime(2025, 1, 6, 0, 14, 54)),
        ("Mon, 6 Jan 2025 01:14 +0100", INSTANT, datetime(2025, 1, 6, 0, 14)),
        ("06 Jan 2025 00:14:54 GMT", INSTANT, datetime(2025, 1, 6, 0, 14, 54)),
        ("2025-01-06T00:14:54 Z", OTHER, None),
        ("202501060014", WALL, datetime(2025, 1, 6, 0, 14)),
        ("902501060014", INSTANT, datetime(1998, 8, 7, 14, 44, 20, 14000)),
        ("012501060014", INSTANT, datetime(2366, 2, 22, 4, 40, 14)),
        ("202501062414", OTHER, None),
        ("20250106.0", OTHER, None),
        ("Mon, 06 Jan 2025 00:14:54 EST", OTHER, None),
        ("06/01/2025 00:14", OTHER, None),
        ("20250106", WALL, datetime(2025, 1, 6)),
        ("20250106001454", WALL, datetime(2025, 1, 6, 0, 14, 54)),
        ("20251306", OTHER, None),
        ("20250106001460", OTHER, None),
        ("2025-01-06 00:14:54 +0000 UTC", INSTANT, datetime(2025, 1, 6, 0, 14, 54)),
        ("2025-01-06 05:44:54.5 +0530 IST", INSTANT, datetime(2025, 1, 6, 0, 14, 54, 500000)),
        ("2025-01-06 03:14:54 +0300 +03", INSTANT, datetime(2025, 1, 6, 0, 14, 54)),
        ("2025-01-06 00:14:54 +0000 utc", OTHER, None),
        ("2025-01-06 00:14:54 EST", OTHER, None),
        ("2016-12-31T23:59:60Z", OTHER, None),
    ],
)
def test_common_shapes_are_read_and_the_rest_left_to_the_general_path(raw, kind, expected):
    micros, kinds = common_timestamps(pl.Series([raw]))
    assert kinds[0] == kind
    if expected is not None:
        assert micros[0] == (expected - datetime(1970, 1, 1)) // _MICROSECOND


def test_a_null_is_left_unread_whatever_bytes_arrow_keeps_under_it():
    """Regression: a null made by `when/then` keeps its value's bytes in the Arrow buffer, and
    the compiled pass read them: parse_timestamps gave a null created_at an instant."""
    values = pl.select(
        pl.when(pl.Series([True, False])).then(pl.lit(pl.Series(["1736122008"] * 2)))
    ).to_series()
    assert common_timestamps(values)[1].tolist() == [INSTANT, OTHER]
    assert parse_timestamps(values, source_tz="UTC", engine="compiled").to_list() == [
        datetime(2025, 1, 6, 0, 6, 48, tzinfo=UTC),
        None,
    ]
