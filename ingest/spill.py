"""Shuffled frames spilled to files: a shuffle carries where a frame is, not the frame.

FnApiRunner holds every GroupByKey's values in memory until the stage that reads them has run,
and copies them as it groups, so a shuffle of the post rows held memory in proportion to the
corpus (docs/throughput.md). Instead, the call that makes the frames writes them, `packed`, one
after another into a file of its own under the job's spill directory (any filesystem Beam
supports: a remote runner's workers write beside the landing files), and the shuffle carries
each frame's `Spilled` address; the stage that reads the group reads those bytes back. The files
hold what the shuffles held (hashes, days, cells, decisions: no text, no author id) and are
deleted when the job ends (remove_spill).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import polars as pl
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

RAW = CompressionTypes.UNCOMPRESSED


class Spilled(NamedTuple):
    """Where one packed frame is: `size` bytes from `offset` in the file at `path`; it holds
    `rows` rows."""

    path: str
    offset: int
    size: int
    rows: int


def packed(frame: pl.DataFrame) -> bytes:
    """`frame` as zstd-compressed Arrow IPC: what is spilled, and what the small shuffles carry."""
    out = io.BytesIO()
    frame.write_ipc(out, compression="zstd")
    return out.getvalue()


def unpacked(data: bytes) -> pl.DataFrame:
    """The frame `packed` wrote."""
    return pl.read_ipc(io.BytesIO(data))


def spill(directory: str, frames: Sequence[pl.DataFrame]) -> list[Spilled]:
    """Write `frames` packed into one new file under `directory` (a random name, so a retried
    bundle never overwrites a file another attempt's output points to); their addresses, in
    order. No file when there are no frames."""
    if not frames:
        return []
    path = f"{directory.rstrip('/')}/{uuid.uuid4().hex}.arrows"
    addresses, offset = [], 0
    with FileSystems.create(path, compression_type=RAW) as out:
        for frame in frames:
            data = packed(frame)
            out.write(data)
            addresses.append(Spilled(path, offset, len(data), frame.height))
            offset += len(data)
    return addresses


def read_spilled(addresses: Iterable[Spilled]) -> Iterator[pl.DataFrame]:
    """The frames at `addresses`, in order, each read as it is asked for."""
    for path, offset, size, _ in addresses:
        with FileSystems.open(path, compression_type=RAW) as handle:
            handle.seek(offset)
            data = handle.read(size)
        if len(data) != size:
            raise OSError(
                f"{path} holds {len(data)} of the {size} bytes spilled at {offset}: the job's "
                "spill directory was changed while it ran; run it again"
            )
        yield unpacked(data)


def remove_spill(directory: str) -> None:
    """Delete `directory` and every file under it, if it is there: a local directory as a
    whole; on an object store (no directories) the objects under its prefix, at any depth."""
    root = directory.rstrip("/")
    if FileSystems.get_filesystem(root).has_dirs():
        if FileSystems.exists(root):
            FileSystems.delete([root])
    elif FileSystems.match([f"{root}/**"])[0].metadata_list:
        FileSystems.delete([f"{root}/"])
