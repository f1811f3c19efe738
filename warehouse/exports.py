"""Exports for analysts: timelines, forecasts and alerts as CSV or Parquet, plus a dictionary.

Small cells are suppressed in the timelines exactly as on the dashboard. The files are
deterministic (sorted rows, fixed float formatting, no timestamps), so exporting the same
warehouse twice gives byte-identical files, and each is written atomically.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl

from transforms.contracts import ALERT_SCHEMA, FORECAST_SCHEMA
from warehouse import queries
from warehouse.dictionary import CSV_DECIMALS, data_dictionary

Format = Literal["csv", "parquet"]

DICTIONARY_NAME = "data_dictionary.md"

_SORT = {
    "timelines": ("marker", "region", "lang", "day", "marker_version"),
    "forecasts": ("unique_id", "model", "ds"),
    "alerts": ("unique_id", "start", "method", "peak", "end"),
}


def _sorted(frame: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    order = [*keys, *(c for c in frame.columns if c not in keys)]
    return frame.sort(order, nulls_last=True, maintain_order=True)


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _writer(frame: pl.DataFrame, fmt: Format) -> Callable[[Path], None]:
    if fmt == "csv":
        return lambda path: frame.write_csv(
            path,
            float_precision=CSV_DECIMALS,
            float_scientific=False,
            date_format="%Y-%m-%d",
            null_value="",
            line_terminator="\n",
        )
    return lambda path: frame.write_parquet(
        path, compression="zstd", compression_level=3, statistics=True, row_group_size=100_000
    )


def export_frames(con: duckdb.DuckDBPyConnection, *, k: int) -> dict[str, pl.DataFrame]:
    """The exported tables by file stem (`timelines`, `forecasts`, `alerts`), sorted.

    `timelines` is `queries.daily(con, k=k)`: current marker versions, suppressed at `k`, and
    `provisional`, true on a day still open in a streaming job (its counts may still grow).
    `forecasts` and `alerts` have exactly the Forecast and Alert contract columns.
    """
    open_days = queries.provisional_days(con).select("day", provisional=pl.lit(True))
    timelines = (
        queries.daily(con, k=k)
        .join(open_days, on="day", how="left")
        .with_columns(pl.col("provisional").fill_null(False))
    )
    frames = {
        "timelines": timelines,
        "forecasts": queries.forecasts(con).select(list(FORECAST_SCHEMA)),
        "alerts": queries.alerts(con).select(list(ALERT_SCHEMA)),
    }
    return {stem: _sorted(frame, _SORT[stem]) for stem, frame in frames.items()}


def export(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path | str,
    *,
    fmt: Format,
    k: int,
    tz: str,
) -> list[Path]:
    """Write `timelines`, `forecasts` and `alerts` as `fmt`, and `data_dictionary.md`.

    `k` is the suppression threshold applied to the timelines, `tz` the analysis time zone
    the days are in (named in the dictionary). Creates `out_dir`, replaces files of the same
    names atomically, and returns the paths written in that order. Raises ValueError for an
    unknown `fmt`.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames = export_frames(con, k=k)
    written = []
    for stem, frame in frames.items():
        path = out / f"{stem}.{fmt}"
        _atomic(path, _writer(frame, fmt))
        written.append(path)
    text = data_dictionary(
        {stem: frame.schema for stem, frame in frames.items()}, ext=fmt, k=k, tz=tz
    )
    path = out / DICTIONARY_NAME
    _atomic(path, lambda p: p.write_text(text, encoding="utf-8", newline="\n"))
    written.append(path)
    return written
