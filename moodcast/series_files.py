"""The long-series CSV (`unique_id`, `ds`, `y`) that `moodcast backtest --series` and `moodcast
alerts replay|score` read, and the dates of a truth file: read as written, never guessed."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from transforms.errors import InputError
from transforms.timestamp_forms import DAY_MONTH_ORDER


class SeriesFileError(InputError):
    """A series or truth CSV cannot be used; the message names the file, the column and the
    first value at fault, and what to write instead."""


SERIES_DATE = (
    r"^(\d{4})[-/]?(\d{2})[-/]?(\d{2})"
    r"(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
"""A date as a series file gives it: YYYY-MM-DD, also YYYY/MM/DD or YYYYMMDD, the date forms
`moodcast run` reads (transforms.timestamp_forms), optionally with a time of midnight (a
datetime column written at midnight), with or without a UTC offset (a zoned column, as pandas
and polars write one: the date written, whatever the offset); any time of day is refused, not
dropped."""

DATE_FORM = "YYYY-MM-DD (also YYYY/MM/DD or YYYYMMDD)"


def read_series_csv(path: Path) -> pl.DataFrame:
    """A long-format CSV (`unique_id`, `ds`, `y`) as a frame with `unique_id` text, `ds` dates
    (series_dates) and `y` numbers (series_values), with at least one row; raises
    SeriesFileError."""
    try:
        frame = pl.read_csv(
            path,
            schema_overrides={c: pl.String for c in ("unique_id", "ds", "y")},
            infer_schema_length=10_000,
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SeriesFileError(f"{path}: cannot read it as CSV ({exc})") from exc
    missing = [c for c in ("unique_id", "ds", "y") if c not in frame.columns]
    if missing:
        raise SeriesFileError(
            f"{path}: needs the columns unique_id, ds, y (long format); missing {', '.join(missing)}"
        )
    if frame.is_empty():
        raise SeriesFileError(
            f"{path}: it has the columns unique_id, ds, y but no row; give one row per series "
            "and period"
        )
    return series_values(series_dates(frame, ["ds"], path=path), path=path)


def series_dates(
    frame: pl.DataFrame, columns: list[str], *, path: Path, optional: tuple[str, ...] = ()
) -> pl.DataFrame:
    """`frame` with each text column of `columns` read as dates (SERIES_DATE). Raises
    SeriesFileError naming `path`, the column, the first value at fault and its data row (1 is
    the row after the header): for a date in day/month order such as 01/02/2025 (1 February or
    2 January: not guessed, as `moodcast run` does not guess a created_at), for any other form,
    an impossible date (2025-02-30), or an empty or blank cell (_cell) in a column not in
    `optional`."""
    for column in columns:
        text = _cell(column)
        parts = text.str.extract_groups(SERIES_DATE)
        read = pl.concat_str(
            [parts.struct.field(str(i)) for i in (1, 2, 3)], separator="-"
        ).str.to_date("%Y-%m-%d", strict=False)
        checked = frame.with_row_index("_row", offset=1).with_columns(
            read.alias("_date"), text.alias("_text")
        )
        bad = checked.filter(
            pl.col("_date").is_null()
            & (pl.col("_text").is_not_null() | pl.lit(column not in optional))
        )
        if bad.height:
            raise SeriesFileError(_date_refusal(bad, column, path=path))
        frame = frame.with_columns(checked["_date"].alias(column))
    return frame


def _cell(column: str) -> pl.Expr:
    """The text of `column` without surrounding spaces, null where that leaves nothing: a
    quoted empty cell (`""`, as csv.QUOTE_ALL writes one) or one of spaces is an empty cell."""
    text = pl.col(column).str.strip_chars()
    return pl.when(text != "").then(text)


def _date_refusal(bad: pl.DataFrame, column: str, *, path: Path) -> str:
    """The message for the rows of `bad` (`_row`, `_text`) whose `column` is no date, naming
    the first in day/month order where one is (the advice is about it), else the first."""
    day_month = bad.filter(pl.col("_text").str.contains(DAY_MONTH_ORDER))
    row, value = (day_month if day_month.height else bad).select("_row", "_text").row(0)
    others = _more_rows(bad)
    if value is None:
        return f"{path}: row {row}{others} has no {column}; give each row its date as {DATE_FORM}"
    where = f"{path}: {column} {value!r} in row {row}{others}"
    if day_month.height:
        return (
            f"{where} is not a date as {DATE_FORM}. A date such as 01/02/2025 puts a day and a "
            "month first in an order the value does not tell (1 February or 2 January), and "
            f"moodcast does not guess it: write the {column} column as YYYY-MM-DD, reading it "
            "in the order your export uses (pandas: pd.to_datetime(column, dayfirst=True) "
            "where the day comes first)."
        )
    return (
        f"{where} is not a date as {DATE_FORM}: write each {column} as the date of its "
        "period (weekly data: the first day of the week), without a time of day."
    )


def _more_rows(bad: pl.DataFrame) -> str:
    """` (and N more rows)` after the first of the rows `bad`, "" where it holds one."""
    more = bad.height - 1
    return f" (and {more} more row{'s' * (more > 1)})" if more else ""


def series_values(frame: pl.DataFrame, *, path: Path) -> pl.DataFrame:
    """`frame` with its text `y` read as numbers, an empty cell (or a blank one, _cell) a
    missing period (null).
    Raises SeriesFileError naming `path` and the first row (1 is the row after the header,
    with its `unique_id` and `ds`) whose `y` is not a number, is NaN or infinite, or is
    negative: `y` is a share, a rate or a count."""
    text = _cell("y")
    number = text.cast(pl.Float64, strict=False)
    checked = frame.with_row_index("_row", offset=1).with_columns(
        number.alias("_y"), text.alias("_text")
    )
    problems = (
        (pl.col("_text").is_not_null() & pl.col("_y").is_null(), "is not a number"),
        (pl.col("_y").is_nan() | pl.col("_y").is_infinite(), "is not a finite number"),
        (pl.col("_y") < 0, "is negative"),
    )
    for wrong, said in problems:
        bad = checked.filter(wrong)
        if bad.height:
            row, uid, ds, value = bad.select("_row", "unique_id", "ds", "_text").row(0)
            raise SeriesFileError(
                f"{path}: y {value!r} in row {row} (unique_id {uid!r}, ds {ds}){_more_rows(bad)} "
                f"{said}: "
                "y is a non-negative share, rate or count; leave the cell empty for a period "
                "without a value"
            )
    return frame.with_columns(number.alias("y"))
