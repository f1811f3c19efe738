"""What the job writes: the landing tables' output tags and schemas, the one-row tables of
counts, coverage and per-file counts, the Parquet writer (WriteTable), and where the landing
files go and how this host fetches them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems

from ingest.runner import check_runner, pipeline_options

DEAD, COUNTS, COVERAGE, FILES = "dead", "counts", "coverage", "files"
COUNTS_SCHEMA = pa.schema([("category", pa.string()), ("reason", pa.string()), ("n", pa.int64())])
COVERAGE_SCHEMA = pa.schema(
    [("source", pa.string()), ("day", pa.date32()), ("n_records", pa.int64())]
)
FILES_SCHEMA = pa.schema(
    [("source", pa.string()), ("n_read", pa.int64()), ("n_dead_lettered", pa.int64())]
)


def files_table(item: tuple[str, tuple[int, int]]) -> pa.Table:
    """(source, (n_read, n_dead_lettered)) → a one-row table of per-file counts."""
    source, (n_read, n_dead) = item
    return pa.table([[source], [n_read], [n_dead]], schema=FILES_SCHEMA)


def coverage_table(item: tuple[tuple[str, str], int]) -> pa.Table:
    """((source, ISO day), n_records) → a one-row coverage table."""
    (source, day), n = item
    return pa.table([[source], [date.fromisoformat(day)], [n]], schema=COVERAGE_SCHEMA)


class WriteTable(beam.PTransform):
    """Write Arrow tables to exactly one Parquet file `<landing>/<name>.parquet` (empty if none)."""

    def __init__(self, landing_dir: str, name: str, schema: pa.Schema):
        super().__init__()
        self._prefix = f"{landing_dir.rstrip('/')}/{name}"
        self._schema = schema

    def expand(self, tables):
        return tables | beam.io.WriteToParquetBatched(
            self._prefix,
            schema=self._schema,
            file_name_suffix=".parquet",
            num_shards=1,
            shard_name_template="",
        )


LANDING_FILES = (
    "daily.parquet",
    "periods.parquet",
    "dp_daily.parquet",
    "dead_letters.parquet",
    "counts.parquet",
    "coverage.parquet",
    "files.parquet",
)


def landing_location(beam_args: Sequence[str], *, local_dir: Path, run_id: str) -> str:
    """Where the job writes its landing files: `local_dir/run_id` on a local runner; on a remote
    runner, `<--temp_location>/moodcast-landing/<run_id>`, which workers and this host both reach.

    Raises ConfigError when a remote runner is named without `--temp_location`.
    """
    if not check_runner(beam_args):
        return str(local_dir / run_id)
    temp = pipeline_options(beam_args).get_all_options()["temp_location"]
    return f"{temp.rstrip('/')}/moodcast-landing/{run_id}"


def fetch_landing(location: str, local_dir: Path) -> Path:
    """The landing files as local files: `location` itself when local, else copied into
    `local_dir` (any filesystem Beam supports)."""
    if Path(location) == local_dir:
        return local_dir
    local_dir.mkdir(parents=True, exist_ok=True)
    for name in LANDING_FILES:
        with (
            FileSystems.open(f"{location}/{name}") as source,
            (local_dir / name).open("wb") as target,
        ):
            while block := source.read(1 << 20):
                target.write(block)
    return local_dir
