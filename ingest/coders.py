"""Beam coders for the polars frames that go from one step of the job to the next.

Beam samples the size of the elements that leave each step (`OperationCounters`: the first
ten, then about seven per doubling of the count) through the coder of their PCollection.
An element without a type hint gets FastPrimitivesCoder, which pickles a frame whole to
learn its size: the chunks' records, texts included, and the prepared posts cost ~0.5 CPU s
at 1M posts that way, in a step that never encodes them (it is fused with the next one). A
PCollection typed `pl.DataFrame` (FrameCoder, registered here) or a NamedTuple of frames
(FramesCoder: ingest.sources.ParsedChunk) reads polars' own estimate instead. Where a
runner does encode them, a frame travels as polars' binary serialisation, the bytes that
pickling it gave before.
"""

from __future__ import annotations

import io
from typing import Any

import polars as pl
from apache_beam.coders import Coder, TupleCoder, registry


class FrameCoder(Coder):
    """A polars DataFrame: its size is `estimated_size()`; its bytes polars' serialisation."""

    def encode(self, value: pl.DataFrame) -> bytes:
        return value.serialize()

    def decode(self, encoded: bytes) -> pl.DataFrame:
        return pl.DataFrame.deserialize(io.BytesIO(encoded))

    def estimate_size(self, value: pl.DataFrame) -> int:
        return int(value.estimated_size())

    def to_type_hint(self) -> type:
        return pl.DataFrame


class FramesCoder(Coder):
    """A NamedTuple `kind` whose fields are all polars DataFrames, each as FrameCoder."""

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


registry.register_coder(pl.DataFrame, FrameCoder)
