"""Arrow buffers of a polars string column, for compiled loops over its UTF-8 bytes."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa


def utf8_buffers(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """`(data, offsets)` of `texts`: text `i` is the UTF-8 bytes `data[offsets[i]:offsets[i + 1]]`
    (uint8 and int64 arrays, no copy where polars already holds one large-string chunk; a null
    is an empty text)."""
    array = texts.rechunk().to_arrow()
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return data, offsets
