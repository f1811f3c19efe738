"""One exported view as a zip archive in memory: its file and the data dictionary.

The dashboard's downloads: any frame with the columns of an export (`timelines`, `forecasts`
or `alerts`, filtered however the analyst chose) is written exactly as `export` writes it
(same sorting, float formatting and compression) next to `data_dictionary.md`.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import polars as pl

from warehouse.dictionary import data_dictionary
from warehouse.exports import DICTIONARY_NAME, EXPORT_ORDER, Format, export_writer, in_export_order

VIEWS = tuple(EXPORT_ORDER)
"""The views a bundle can hold: `timelines`, `forecasts`, `alerts`."""


def export_bundle(
    view: str, frame: pl.DataFrame, *, fmt: Format, k: int, tz: str, week_grain: str = "iso_week"
) -> bytes:
    """A zip of `<view>.<fmt>` (the rows of `frame`, sorted as `export` sorts) and
    `data_dictionary.md` describing its columns under suppression threshold `k`, time zone
    `tz` and week `week_grain`. Raises ValueError for an unknown `view` or `fmt`, and KeyError
    for a column the dictionary does not describe."""
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    frame = in_export_order(frame, EXPORT_ORDER[view])
    dictionary = data_dictionary({view: frame.schema}, ext=fmt, k=k, tz=tz, week_grain=week_grain)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w") as archive:
        path = Path(tmp) / f"{view}.{fmt}"
        export_writer(frame, fmt)(path)
        for name, content in ((path.name, path.read_bytes()), (DICTIONARY_NAME, dictionary)):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
