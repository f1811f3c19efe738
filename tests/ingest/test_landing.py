"""Where the landing files go, how they are written, and when a remote runner's are removed
(ingest.landing)."""

import logging
from pathlib import Path
from typing import ClassVar

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.io.filesystem import BeamIOError, FileMetadata, FileSystem
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline

from ingest.landing import (
    COUNTS_SCHEMA,
    LANDING_FILES,
    LANDING_SCHEMAS,
    WriteLanding,
    files_table,
    landing_location,
    remote_landing,
    remote_prefix,
)
from transforms.errors import ConfigError


def test_landing_goes_where_remote_workers_and_this_host_both_reach(tmp_path):
    local = tmp_path / "landing"
    assert landing_location([], local_dir=local, run_id="r") == str(local / "r")
    remote = ["--runner=DataflowRunner", "--temp_location=gs://bucket/tmp/"]
    location = landing_location(remote, local_dir=local, run_id="r")
    assert location == f"{remote_prefix(remote, local_dir=local)}/r"
    assert location.startswith("gs://bucket/tmp/moodcast-landing/")
    with pytest.raises(ValueError, match="temp_location"):
        landing_location(["--runner=FlinkRunner"], local_dir=local, run_id="r")


def _remote(tmp_path) -> list[str]:
    return ["--runner=DataflowRunner", f"--temp_location={tmp_path / 'temp'}"]


def test_two_warehouses_with_the_same_run_id_never_share_a_remote_prefix(tmp_path):
    """The prefix comes from an id kept in the data directory, not from the host or the path:
    another warehouse has another; the same one, moved (a new pod, a new mount), keeps its."""
    beam_args = _remote(tmp_path)
    ours, theirs = tmp_path / "a" / "landing", tmp_path / "b" / "landing"
    first = landing_location(beam_args, local_dir=ours, run_id="r")
    assert first != landing_location(beam_args, local_dir=theirs, run_id="r")
    assert (tmp_path / "a" / "landing.id").is_file()
    (tmp_path / "a").rename(tmp_path / "moved")
    assert (
        landing_location(beam_args, local_dir=tmp_path / "moved" / "landing", run_id="r") == first
    )


def test_an_empty_id_file_is_refused_rather_than_shared(tmp_path):
    """A run stopped between creating `landing.id` and writing it leaves it empty: every such
    warehouse would hash to the same prefix and clear the others' landing files."""
    beam_args = _remote(tmp_path)
    ours = tmp_path / "a" / "landing"
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "landing.id").write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="delete it"):
        landing_location(beam_args, local_dir=ours, run_id="r")
    (tmp_path / "a" / "landing.id").unlink()
    assert landing_location(beam_args, local_dir=ours, run_id="r").startswith(
        str(tmp_path / "temp" / "moodcast-landing")
    )


def _plant(location: str, *names: str) -> None:
    for name in names:
        path = Path(location) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def test_a_killed_runs_files_are_cleared_and_a_good_runs_removed_once_loaded(tmp_path):
    beam_args, ours, theirs = _remote(tmp_path), tmp_path / "a", tmp_path / "b"
    killed = landing_location(beam_args, local_dir=ours, run_id="killed")
    running = landing_location(beam_args, local_dir=theirs, run_id="r")
    _plant(killed, "spill/0.arrows", "daily.parquet")
    _plant(running, "spill/1.arrows")
    with remote_landing(beam_args, local_dir=ours):
        assert not Path(killed).exists()
        _plant(landing_location(beam_args, local_dir=ours, run_id="r"), "daily.parquet")
    assert not Path(remote_prefix(beam_args, local_dir=ours)).exists()
    assert (Path(running) / "spill" / "1.arrows").is_file(), "another warehouse's run"


def test_a_failed_runs_remote_files_are_kept_and_said_so(tmp_path, caplog):
    beam_args, ours = _remote(tmp_path), tmp_path / "a"
    failed = landing_location(beam_args, local_dir=ours, run_id="r")
    with (
        caplog.at_level(logging.WARNING, logger="ingest.landing"),
        pytest.raises(RuntimeError, match="load failed"),
        remote_landing(beam_args, local_dir=ours),
    ):
        _plant(failed, "daily.parquet")
        raise RuntimeError("load failed")
    assert (Path(failed) / "daily.parquet").is_file()
    assert remote_prefix(beam_args, local_dir=ours) in caplog.text
    assert "no text or author id" in caplog.text and "next run" in caplog.text


def test_a_local_runner_leaves_the_remote_side_alone(tmp_path):
    _plant(str(tmp_path / "landing" / "r"), "daily.parquet")
    with remote_landing([], local_dir=tmp_path / "landing"):
        pass
    assert (tmp_path / "landing" / "r" / "daily.parquet").is_file()


class _ObjectStore(FileSystem):
    """A store without directories, as Cloud Storage and S3 are (`memstore://`): objects by
    full path; a path ending in `/` deletes every object under it, as theirs does."""

    objects: ClassVar[dict[str, bytes]] = {}

    @classmethod
    def scheme(cls) -> str:
        return "memstore"

    def join(self, basepath: str, *paths: str) -> str:
        return "/".join([basepath.rstrip("/"), *paths])

    def split(self, path: str) -> tuple[str, str]:
        head, _, tail = path.rpartition("/")
        return head, tail

    def mkdirs(self, path: str) -> None:
        pass

    def has_dirs(self) -> bool:
        return False

    def _list(self, dir_or_prefix: str):
        for path, data in sorted(self.objects.items()):
            if path.startswith(dir_or_prefix):
                yield FileMetadata(path, len(data))

    def create(self, path, mime_type=None, compression_type=None):
        raise NotImplementedError

    def open(self, path, mime_type=None, compression_type=None):
        raise NotImplementedError

    def copy(self, source_file_names, destination_file_names):
        raise NotImplementedError

    def rename(self, source_file_names, destination_file_names):
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        return path in self.objects

    def size(self, path: str) -> int:
        return len(self.objects[path])

    def last_updated(self, path: str) -> float:
        return 0.0

    def checksum(self, path: str) -> str:
        return str(len(self.objects[path]))

    def metadata(self, path: str) -> FileMetadata:
        return FileMetadata(path, len(self.objects[path]))

    def delete(self, paths) -> None:
        for path in paths:
            doomed = (
                [p for p in self.objects if p.startswith(path)] if path.endswith("/") else [path]
            )
            for name in doomed:
                del self.objects[name]


def test_a_store_without_directories_has_the_prefix_cleared_object_by_object(tmp_path):
    """On Cloud Storage or S3 every landing object sits a level or more under the warehouse's
    prefix (`<run id>/daily.parquet`, `<run id>/spill/<file>.arrows`): all of them go."""
    beam_args = ["--runner=DataflowRunner", "--temp_location=memstore://bucket/tmp"]
    ours, theirs = tmp_path / "a" / "landing", tmp_path / "b" / "landing"
    killed = landing_location(beam_args, local_dir=ours, run_id="killed")
    running = landing_location(beam_args, local_dir=theirs, run_id="r")
    _ObjectStore.objects = {
        f"{killed}/daily.parquet": b"x",
        f"{killed}/spill/0.arrows": b"x",
        f"{running}/spill/1.arrows": b"x",
    }
    with remote_landing(beam_args, local_dir=ours):
        assert list(_ObjectStore.objects) == [f"{running}/spill/1.arrows"]
        _ObjectStore.objects[f"{landing_location(beam_args, local_dir=ours, run_id='r')}/x"] = b""
    assert list(_ObjectStore.objects) == [f"{running}/spill/1.arrows"]


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


def test_a_remote_prefix_that_cannot_be_cleared_stops_the_run_with_what_to_fix(
    tmp_path, monkeypatch
):
    def denied(prefix):
        raise BeamIOError("Delete operation failed", {prefix: PermissionError("403")})

    monkeypatch.setattr("ingest.landing.remove_spill", denied)
    with (
        pytest.raises(ConfigError, match=r"could not clear .*--temp_location"),
        remote_landing(_remote(tmp_path), local_dir=tmp_path / "landing"),
    ):
        pytest.fail("the run must not start")
