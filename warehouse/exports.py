"""Exports for analysts: timelines, forecasts and alerts as CSV or Parquet, plus a dictionary.

The timelines are the published ones (transforms.publish), exactly as on the dashboard. The files are
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
from transforms.dp import Budget
from transforms.publish import WeekGrain
from warehouse import queries
from warehouse.dictionary import CSV_DECIMALS, data_dictionary

Format = Literal["csv", "parquet"]

DICTIONARY_NAME = "data_dictionary.md"

_SORT = {
    "timelines": ("marker", "region", "lang", "period_start", "day", "marker_version"),
    "forecasts": ("unique_id", "model", "ds"),
    "alerts": ("unique_id", "start", "method", "peak", "end"),
}


def _sorted(frame: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    keys = tuple(c for c in keys if c in frame.columns)
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


def export_frames(
    con: duckdb.DuckDBPyConnection,
    *,
    k: int,
    week_grain: WeekGrain = "iso_week",
    privacy: str = "suppress",
    rates: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """The exported tables by file stem (`timelines`, `forecasts`, `alerts`), sorted.

    `timelines` is `queries.published(con, k=k, week_grain=week_grain, rates=rates)`: current
    marker versions, each period at the finest grain that meets `k`, or withheld, with shares
    adjusted with `rates` (default: the shipped table); with `privacy="dp"`,
    `queries.dp_released(con)` as daily rows (noisy counts, `noise_sd` and the budget on every
    row).
    `provisional` is true on a row whose period holds a day still open in a streaming job
    (its counts may still grow).
    `forecasts` and `alerts` have exactly the Forecast and Alert contract columns.
    """
    frames = {
        "timelines": _with_provisional(
            _dp_timelines(queries.dp_released(con))
            if privacy == "dp"
            else queries.published(con, k=k, week_grain=week_grain, rates=rates),
            queries.provisional_days(con)["day"].to_list(),
        ),
        "forecasts": queries.forecasts(con).select(list(FORECAST_SCHEMA)),
        "alerts": queries.alerts(con).select(list(ALERT_SCHEMA)),
    }
    return {stem: _sorted(frame, _SORT[stem]) for stem, frame in frames.items()}


def _with_provisional(timelines: pl.DataFrame, open_days: list) -> pl.DataFrame:
    """`timelines` with `provisional`: true where the row's period holds one of `open_days`."""
    holds = pl.lit(False)
    for day in open_days:
        holds = holds | ((pl.col("period_start") <= day) & (pl.col("period_end") >= day))
    return timelines.with_columns(holds.alias("provisional"))


def _dp_timelines(release: pl.DataFrame) -> pl.DataFrame:
    return release.select(
        "marker",
        "region",
        "lang",
        "marker_version",
        pl.lit("day").alias("grain"),
        pl.col("day").alias("period_start"),
        pl.col("day").alias("period_end"),
        pl.lit("published").alias("status"),
        "n_authors",
        "n_marked_authors",
        "noise_sd",
        "epsilon",
        "delta",
        "prevalence",
        "prevalence_lo",
        "prevalence_hi",
        "same_as",
    )


def export(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path | str,
    *,
    fmt: Format,
    k: int,
    tz: str,
    week_grain: WeekGrain = "iso_week",
    privacy: str = "suppress",
    budget: Budget | None = None,
    rates: pl.DataFrame | None = None,
) -> list[Path]:
    """Write `timelines`, `forecasts` and `alerts` as `fmt`, and `data_dictionary.md`.

    `k` is the suppression threshold applied to the timelines, `tz` the analysis time zone
    the days are in (named in the dictionary), `week_grain` the week that periods coarser
    than a day use, `privacy` the publishing mode (`dp` needs its `budget`, stated in the
    dictionary), `rates` the marker rates the adjusted shares use (transforms.rates; default:
    the shipped table). Creates `out_dir`, replaces files of the same
    names atomically, and returns the paths written in that order. Raises ValueError for an
    unknown `fmt`.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if privacy == "dp" and budget is None:
        raise ValueError("privacy='dp' needs the budget it was released under")
    frames = export_frames(con, k=k, week_grain=week_grain, privacy=privacy, rates=rates)
    written = []
    for stem, frame in frames.items():
        path = out / f"{stem}.{fmt}"
        _atomic(path, _writer(frame, fmt))
        written.append(path)
    text = data_dictionary(
        {stem: frame.schema for stem, frame in frames.items()},
        ext=fmt,
        k=k,
        tz=tz,
        week_grain=week_grain,
        budget=budget if privacy == "dp" else None,
    )
    path = out / DICTIONARY_NAME
    _atomic(path, lambda p: p.write_text(text, encoding="utf-8", newline="\n"))
    written.append(path)
    return written
