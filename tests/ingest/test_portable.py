"""The daily job through Beam's PortableRunner: Beam's local job service and an EXTERNAL worker
pool (ingest.worker_pool) on loopback, as a Flink or Spark job server would drive workers. The
workers are separate processes, so everything the job needs must pickle and set itself up there;
the published warehouse must equal the in-process run's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

import warehouse
from benchmarks.small_run import AS_OF
from ingest.landing import remote_prefix
from moodcast.config import load_settings
from moodcast.run import daily_run
from transforms.markers import BUILTIN_DIR
from warehouse import queries

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


def _start(args: list[str], port_file: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *args, str(port_file)], stdout=out, stderr=out, env=env, cwd=ROOT
        )


def _port(process: subprocess.Popen, port_file: Path, log: Path) -> int:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return int(port_file.read_text())
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"{' '.join(process.args)} did not start:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def portable_services(tmp_path_factory) -> Iterator[tuple[int, int]]:
    """(job service port, worker pool port), both on loopback, stopped afterwards."""
    work = tmp_path_factory.mktemp("portable")
    job = _start(
        ["apache_beam.runners.portability.local_job_service_main", "--port=0", "--port_file"],
        work / "job.port",
        work / "job.log",
    )
    pool = _start(
        ["ingest.worker_pool", "--address=127.0.0.1:0", "--port-file"],
        work / "pool.port",
        work / "pool.log",
    )
    try:
        yield (
            _port(job, work / "job.port", work / "job.log"),
            _port(pool, work / "pool.port", work / "pool.log"),
        )
    finally:
        for process in (pool, job):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _published(data_dir: Path) -> dict[str, pl.DataFrame]:
    con = warehouse.open_published(data_dir)
    try:
        return {
            "daily": queries.current_daily(con).sort(pl.all()),
            "runs": queries.runs(con).select(
                "run_id", "read", "valid", "dead_lettered", "duplicates", "filtered", "days"
            ),
        }
    finally:
        con.close()


def _run(corpus: Path, data_dir: Path, beam_args: list[str]):
    """A run whose sadness the default sentence model decides on a quarter of the posts, so
    that the workers load it (the default markers need no sentence model)."""
    (data_dir / "markers").mkdir(parents=True)
    sadness = (BUILTIN_DIR / "sadness.toml").read_text(encoding="utf-8")
    assert 'rule = "lexicon"' in sadness
    (data_dir / "markers" / "sadness.toml").write_text(
        sadness.replace('rule = "lexicon"', 'rule = "model"', 1), encoding="utf-8"
    )
    (data_dir / "config.toml").write_text("model_sample_rate = 0.25\n", encoding="utf-8")
    return daily_run(
        [str(corpus / "posts.jsonl")],
        settings=load_settings(data_dir),
        as_of=AS_OF,
        beam_args=beam_args,
    )


def test_portable_runner_with_external_workers_publishes_the_in_process_warehouse(
    small_corpus, portable_services, tmp_path
):
    job_port, pool_port = portable_services
    beam_args = [
        "--runner=PortableRunner",
        f"--job_endpoint=localhost:{job_port}",
        "--environment_type=EXTERNAL",
        f"--environment_config=127.0.0.1:{pool_port}",
        f"--temp_location={tmp_path / 'beam-temp'}",
    ]
    in_process = _run(small_corpus, tmp_path / "in-process", [])
    stale = Path(remote_prefix(beam_args, local_dir=tmp_path / "portable" / "landing"))
    (stale / "killed" / "spill").mkdir(parents=True)
    (stale / "killed" / "spill" / "0.arrows").write_bytes(b"left by a run killed outright")
    summary = _run(small_corpus, tmp_path / "portable", beam_args)
    assert summary.as_json() == in_process.as_json()
    ours, theirs = _published(tmp_path / "portable"), _published(tmp_path / "in-process")
    assert ours["daily"].height > 0
    sadness = ours["daily"].filter(pl.col("marker") == "sadness")
    assert (sadness["sample_rate"] == 0.25).any(), "the sentence model did not decide sadness"
    assert ours["daily"].equals(theirs["daily"])
    assert ours["runs"].equals(theirs["runs"])
    assert not list((tmp_path / "beam-temp" / "moodcast-landing").iterdir()), "landing removed"
