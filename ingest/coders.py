"""Beam coders for the polars frames that go from one step of the job to the next.

Beam samples the size of the elements that leave each step (`OperationCounters`: the first
ten, then about seven per doubling of the count) through the coder of their PCollection.
An element without a type hint gets FastPrimitivesCoder, which pickles a frame whole to
learn its size: the chunks' records, texts included, and the prepared posts cost ~0.5 CPU s
at 1M posts that way, in a step that never encodes them (it is fused with the next one). A
PCollection typed `pl.DataFrame` (FrameCoder, registered here) or a NamedTuple of frames
(FramesCoder: ingest.files.ParsedChunk, registered by ingest.sources) reads polars' own
estimate instead. Where a runner does encode them, a frame travels as polars' binary
serialisation, the bytes that pickling it gave before.

Beam's Python SDK picks a PCollection's coder from its element type through one registry per
process (there is no coder per PCollection), so FrameCoder serves every PCollection typed
`pl.DataFrame`, including those Beam types itself from a function that returns a frame. Neither
coder is deterministic (equal frames chunked differently serialise to different bytes), so
Beam refuses a frame or a ParsedChunk as a GroupByKey key when the pipeline is built (unless
it is run with --allow_non_deterministic_key_coders); `as_deterministic_coder` says why and
what to key by instead.
"""

from __future__ import annotations

import io
from typing import Any

import polars as pl
from apache_beam.coders import Coder, TupleCoder, registry


def _not_a_key(coder: Coder, step_label: str) -> ValueError:
    return ValueError(
        f"{step_label}: a {coder.to_type_hint().__name__} cannot be a GroupByKey key: "
        f"{type(coder).__name__} is not deterministic (equal frames may encode differently). "
        "Key by hashable values (e.g. a tuple of the frame's key columns) and keep the frame "
        "in the value."
    )


class FrameCoder(Coder):
    """A polars DataFrame: its size is `estimated_size()`; its bytes polars' serialisation
    (not deterministic: never a GroupByKey key)."""

    def encode(self, value: pl.DataFrame) -> bytes:
        return value.serialize()

    def decode(self, encoded: bytes) -> pl.DataFrame:
        return pl.DataFrame.deserialize(io.BytesIO(encoded))

    def estimate_size(self, value: pl.DataFrame) -> int:
        return int(value.estimated_size())

    def to_type_hint(self) -> type:
        return pl.DataFrame

    def as_deterministic_coder(self, step_label: str, error_message: str | None = None) -> Coder:
        raise _not_a_key(self, step_label)


class FramesCoder(Coder):
    """A NamedTuple `kind` whose fields are all polars DataFrames, each as FrameCoder (not
    deterministic: never a GroupByKey key)."""

    def __init__(self, kind: type) -> None:
        self._kind = kind
        self._frames = TupleCoder([FrameCoder() for _ in kind._fields])

    @classmethod
    def from_type_hint(cls, typehint: Any, registry: Any) -> FramesCoder:
        return cls(typehint)

    def encode(self, value) -> bytes:
        return self._frames.encode(tuple(value))

    def decode(self, encoded: bytes):
        return self._kind(*self._frames.decode(encoded))

    def estimate_size(self, value) -> int:
        return sum(int(frame.estimated_size()) for frame in value)

    def to_type_hint(self) -> type:
        return self._kind

    def as_deterministic_coder(self, step_label: str, error_message: str | None = None) -> Coder:
        raise _not_a_key(self, step_label)


registry.register_coder(pl.DataFrame, FrameCoder)
