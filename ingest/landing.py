"""What the job writes: the landing tables' output tags and schemas, the one-row tables of
counts, coverage and per-file counts, the Parquet writer (WriteLanding), where the landing
files go, how this host fetches them, and when a remote runner's are removed."""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path

import apache_beam as beam
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from ingest.runner import check_runner, pipeline_options
from ingest.spill import remove_spill
from ingest.worker_errors import ours_ungrouped
from transforms.contracts import DAILY_SCHEMA, DEAD_LETTER_SCHEMA, PERIOD_SCHEMA
from transforms.dp import DP_CELL_SCHEMA
from transforms.errors import ConfigError

log = logging.getLogger(__name__)

DEAD, COUNTS, COVERAGE, FILES = "dead", "counts", "coverage", "files"
COUNTS_SCHEMA = pa.schema([("category", pa.string()), ("reason", pa.string()), ("n", pa.int64())])
COVERAGE_SCHEMA = pa.schema(
    [("source", pa.string()), ("day", pa.date32()), ("n_records", pa.int64())]
)
FILES_SCHEMA = pa.schema(
    [("source", pa.string()), ("n_read", pa.int64()), ("n_dead_lettered", pa.int64())]
)


@ours_ungrouped
def files_table(item: tuple[str, tuple[int, int]]) -> pa.Table:
    """(source, (n_read, n_dead_lettered)) → a one-row table of per-file counts."""
    source, (n_read, n_dead) = item
    return pa.table([[source], [n_read], [n_dead]], schema=FILES_SCHEMA)


@ours_ungrouped
def coverage_table(item: tuple[tuple[str, str], int]) -> pa.Table:
    """((source, ISO day), n_records) → a one-row coverage table."""
    (source, day), n = item
    return pa.table([[source], [date.fromisoformat(day)], [n]], schema=COVERAGE_SCHEMA)


def _arrow_schema(schema: Mapping[str, pl.DataType]) -> pa.Schema:
    return pl.DataFrame(schema=schema).to_arrow().schema


LANDING_SCHEMAS = {
    "daily": _arrow_schema(DAILY_SCHEMA),
    "periods": _arrow_schema(PERIOD_SCHEMA),
    "dp_daily": _arrow_schema(DP_CELL_SCHEMA),
    "dead_letters": _arrow_schema(DEAD_LETTER_SCHEMA),
    "counts": COUNTS_SCHEMA,
    "coverage": COVERAGE_SCHEMA,
    "files": FILES_SCHEMA,
}
"""Each landing table's name and Arrow schema: the job writes `<name>.parquet` for each."""
LANDING_FILES = tuple(f"{name}.parquet" for name in LANDING_SCHEMAS)


class WriteLanding(beam.PTransform):
    """`{name: PCollection of Arrow tables}` → exactly one Parquet file `<landing>/<name>.parquet`
    for each name of LANDING_SCHEMAS, holding the rows of every table under that name (empty
    if none).

    All the landing tables go through one GroupByKey and one write: a Beam file sink per
    table (WriteToParquetBatched) cost ~0.1 CPU s each in transforms, stages and bundles
    whatever its size (docs/throughput.md), and with one shard it grouped its rows all the
    same."""

    def __init__(self, landing_dir: str):
        super().__init__()
        self._landing = landing_dir.rstrip("/")

    def expand(self, tables: Mapping[str, beam.PCollection]):
        pipeline = next(iter(tables.values())).pipeline
        names = (
            pipeline
            | "LandingNames" >> beam.Create(list(LANDING_SCHEMAS), reshuffle=False)
            | "NoRowsYet" >> beam.Map(lambda name: (name, None))
        )
        keyed = [pcoll | f"Key {name}" >> beam.WithKeys(name) for name, pcoll in tables.items()]
        return (
            [names, *keyed]
            | "AllLanding" >> beam.Flatten()
            | "GroupByLandingFile" >> beam.GroupByKey()
            | "WriteLandingFiles" >> beam.Map(write_landing, landing_dir=self._landing)
        )


@ours_ungrouped
def write_landing(item: tuple[str, Iterable[pa.Table | None]], landing_dir: str) -> str:
    """Write one landing file (WriteLanding): the tables of `item` (None: no rows) as
    `<landing_dir>/<name>.parquet`, its schema that of LANDING_SCHEMAS; its path. A retried
    write rewrites the whole file."""
    name, tables = item
    schema = LANDING_SCHEMAS[name]
    table = pa.concat_tables([schema.empty_table(), *(t for t in tables if t is not None)])
    path = f"{landing_dir}/{name}.parquet"
    with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        pq.write_table(table, handle)
    return path


def landing_location(beam_args: Sequence[str], *, local_dir: Path, run_id: str) -> str:
    """Where the job writes its landing files: `local_dir/run_id` on a local runner; on a remote
    runner, `<warehouse prefix>/<run_id>` (remote_prefix), which workers and this host both
    reach.

    Raises ConfigError when a remote runner is named without `--temp_location`.
    """
    if not check_runner(beam_args):
        return str(local_dir / run_id)
    return f"{remote_prefix(beam_args, local_dir=local_dir)}/{run_id}"


def remote_prefix(beam_args: Sequence[str], *, local_dir: Path) -> str:
    """The warehouse's own prefix for a remote runner's landing files:
    `<--temp_location>/moodcast-landing/<id>`, `<id>` being landing_id of `local_dir`, so two
    warehouses that run the same inputs with the same settings and as-of date (one run id)
    never share landing or spill files, whatever their hosts and paths."""
    temp = pipeline_options(beam_args).get_all_options()["temp_location"]
    return f"{temp.rstrip('/')}/moodcast-landing/{landing_id(local_dir)}"


def landing_id(local_dir: Path) -> str:
    """16 hex digits naming the remote counterpart of the local landing directory `local_dir`:
    a hash of the file `<local_dir>.id` beside it (`<data dir>/landing.id` for `moodcast run`),
    made with a random id on first use. It lives in the data directory, so it outlives
    containers and hosts (a pod's host name changes every run); a copied data directory keeps
    it, so delete it in the copy to give the copy a prefix of its own.

    Raises ConfigError when the file holds no id (a run stopped between creating and writing
    it): every such warehouse would share one prefix and clear the others' files."""
    path = local_dir.with_name(f"{local_dir.name}.id")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(uuid.uuid4().hex + "\n")
    held = path.read_bytes()
    if not held.strip():
        raise ConfigError(
            f"{path} holds no id (a run stopped while making it): delete it and run again; the "
            f"next run makes a new one (this warehouse's remote landing prefix changes)."
        )
    return hashlib.sha256(held).hexdigest()[:16]


@contextmanager
def remote_landing(beam_args: Sequence[str], *, local_dir: Path) -> Iterator[None]:
    """Around one run of the warehouse at `local_dir`, holding its lock: on a remote runner,
    clear the warehouse's remote prefix (remote_prefix) first, since whatever is there was left
    by a run that was killed outright (its landing files, spilled frames, Beam's temporary
    files), and delete it again once the run has succeeded (its rows are loaded). After a
    failure it is kept for inspection, logged, and removed by the warehouse's next run: it
    holds cell counts before small-cell suppression (as the warehouse does) and dead letters
    (reasons, record hashes), never a text or an author id.
    Nothing on a local runner (the run removes its local landing directory itself)."""
    if not check_runner(beam_args):
        yield
        return
    prefix = remote_prefix(beam_args, local_dir=local_dir)
    try:
        remove_spill(prefix)
    except OSError as exc:
        raise ConfigError(
            f"could not clear {prefix} before the run ({exc}): the runner's credentials need "
            "to list and delete objects under --temp_location"
        ) from exc
    try:
        yield
    except BaseException:
        log.warning(
            "the run failed: its remote landing files stay in %s for inspection (cell counts "
            "before small-cell suppression and dead letters, no text or author id); the next run "
            "of this warehouse removes them",
            prefix,
        )
        raise
    try:
        remove_spill(prefix)
    except OSError as exc:
        log.warning("could not remove %s (the next run will): %s", prefix, exc)


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
