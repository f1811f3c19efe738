"""The job's reading of post files: file patterns matched on any filesystem Beam supports (local
paths, gs://, s3://) and read into parsed chunks by ingest.files (JSON Lines, CSV, Parquet). The
files are found and checked by ingest.inputs and cut into lines by ingest.lines; ingest.peek
reads what a file's first record holds, for advice on how to read it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import apache_beam as beam
from apache_beam.coders import registry
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes

from ingest.coders import FramesCoder
from ingest.files import CHUNK_RECORDS, ParsedChunk, read_chunks
from ingest.worker_errors import ours_ungrouped
from transforms.errors import InputError as InputError
from transforms.presets import InputMapping

registry.register_coder(ParsedChunk, FramesCoder)


@ours_ungrouped
class ReadChunksFn(beam.DoFn):
    """A matched file → ParsedChunks of up to CHUNK_RECORDS records each (ingest.files.read_chunks:
    a damaged stream or unreadable Parquet data ends in one dead letter). A file with an entry
    in `mappings` (path → a preset or user mapping, transforms.presets) has each record mapped
    onto the Post fields before it is coerced; the others already use them."""

    def __init__(
        self,
        chunk_records: int = CHUNK_RECORDS,
        mappings: Mapping[str, InputMapping] | None = None,
    ):
        self._chunk = chunk_records
        self._mappings = dict(mappings or {})

    def process(self, readable: fileio.ReadableFile) -> Iterator[ParsedChunk]:
        path = readable.metadata.path
        with readable.open(compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            yield from read_chunks(
                handle, path, mapping=self._mappings.get(path), chunk_records=self._chunk
            )


class ReadPostChunks(beam.PTransform):
    """File patterns → ParsedChunks. Patterns that match nothing fail the run with their name.
    `mappings` (path → a preset or user mapping) maps the records of those files onto the Post
    fields."""

    def __init__(
        self,
        patterns: list[str],
        *,
        chunk_records: int = CHUNK_RECORDS,
        mappings: Mapping[str, InputMapping] | None = None,
    ):
        super().__init__()
        self._patterns = patterns
        self._chunk = chunk_records
        self._mappings = dict(mappings or {})

    def expand(self, pipeline):
        return (
            pipeline
            | "Patterns" >> beam.Create(self._patterns)
            | "MatchFiles"
            >> fileio.MatchAll(empty_match_treatment=fileio.EmptyMatchTreatment.DISALLOW)
            | "OpenFiles" >> fileio.ReadMatches()
            | "ReadChunks"
            >> beam.ParDo(ReadChunksFn(self._chunk, self._mappings)).with_output_types(ParsedChunk)
        )
