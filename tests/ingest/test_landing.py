"""Where the landing files go and how they are written (ingest.landing)."""

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline

from ingest.landing import (
    COUNTS_SCHEMA,
    LANDING_FILES,
    LANDING_SCHEMAS,
    WriteLanding,
    files_table,
    landing_location,
)


def test_landing_goes_where_remote_workers_and_this_host_both_reach(tmp_path):
    assert landing_location([], local_dir=tmp_path, run_id="r") == str(tmp_path / "r")
    remote = ["--runner=DataflowRunner", "--temp_location=gs://bucket/tmp/"]
    assert (
        landing_location(remote, local_dir=tmp_path, run_id="r")
        == "gs://bucket/tmp/moodcast-landing/r"
    )
    with pytest.raises(ValueError, match="temp_location"):
        landing_location(["--runner=FlinkRunner"], local_dir=tmp_path, run_id="r")


def test_write_landing_writes_one_file_per_table_with_every_row(tmp_path):
    counts = [pa.table([["read"], [""], [n]], schema=COUNTS_SCHEMA) for n in (3, 4)]
    with BeamTestPipeline(runner="FnApiRunner") as p:
        tables = {
            "counts": p | "Counts" >> beam.Create(counts),
            "files": p | "Files" >> beam.Create([files_table(("a.jsonl", (7, 1)))]),
            "dead_letters": p | "Dead" >> beam.Create([]),
        }
        tables | WriteLanding(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(LANDING_FILES)
    for name, schema in LANDING_SCHEMAS.items():
        assert pq.read_schema(tmp_path / f"{name}.parquet").equals(schema)
    assert sorted(pq.read_table(tmp_path / "counts.parquet")["n"].to_pylist()) == [3, 4]
    assert pq.read_table(tmp_path / "files.parquet").to_pylist() == [
        {"source": "a.jsonl", "n_read": 7, "n_dead_lettered": 1}
    ]
    assert pq.read_table(tmp_path / "daily.parquet").num_rows == 0
