"""The daily job through Beam's PortableRunner: Beam's local job service and an EXTERNAL worker
pool (ingest.worker_pool) on loopback, as a Flink or Spark job server would drive workers. The
workers are separate processes, so everything the job needs must pickle and set itself up there;
the published warehouse must equal the in-process run's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import polars as pl
import pytest
from click.testing import CliRunner

import warehouse
from benchmarks.small_run import AS_OF
from ingest.job import IngestJob
from ingest.landing import remote_prefix
from ingest.pipeline import run_ingest
from moodcast.cli import main
from moodcast.config import load_settings
from moodcast.run import daily_run
from tests.moodcast.sad_head import SAD_TEXTS, train_sad_static_head
from transforms.errors import ModelError, WorkerOSError
from transforms.markers import BUILTIN_DIR, load_markers
from transforms.model_folders import MARKERS_DIR_ENV
from transforms.model_markers import ModelConfig
from transforms.posts import PostOptions
from warehouse import queries

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


def _start(
    args: list[str], port_file: Path, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        **(env or {}),
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


WORKER_MARKERS = "worker-markers"
"""The folder of the services' work directory that the second pool's MOODCAST_MARKERS_DIR names."""
WORKER_CACHE = "worker-cache"
"""The folder of the services' work directory that the second pool's XDG_CACHE_HOME names."""


@pytest.fixture(scope="module")
def portable_services(tmp_path_factory) -> Iterator[tuple[int, int, int, Path]]:
    """(job service port, worker pool port, port of a second pool whose workers have
    MOODCAST_MARKERS_DIR set, the directory it names), all on loopback, stopped afterwards. The
    second pool's workers keep their model cache in WORKER_CACHE (XDG_CACHE_HOME)."""
    work = tmp_path_factory.mktemp("portable")
    job = _start(
        ["apache_beam.runners.portability.local_job_service_main", "--port=0", "--port_file"],
        work / "job.port",
        work / "job.log",
    )
    pools = [
        _start(
            ["ingest.worker_pool", "--address=127.0.0.1:0", "--port-file"],
            work / f"{name}.port",
            work / f"{name}.log",
            env,
        )
        for name, env in (
            ("pool", {}),
            (
                "image",
                {
                    MARKERS_DIR_ENV: str(work / WORKER_MARKERS),
                    "XDG_CACHE_HOME": str(work / WORKER_CACHE),
                },
            ),
        )
    ]
    try:
        yield (
            _port(job, work / "job.port", work / "job.log"),
            _port(pools[0], work / "pool.port", work / "pool.log"),
            _port(pools[1], work / "image.port", work / "image.log"),
            work / WORKER_MARKERS,
        )
    finally:
        for process in (*pools, job):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _portable(job_port: int, pool_port: int) -> list[str]:
    return [
        "--runner=PortableRunner",
        f"--job_endpoint=localhost:{job_port}",
        "--environment_type=EXTERNAL",
        f"--environment_config=127.0.0.1:{pool_port}",
    ]


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


@pytest.fixture(scope="module")
def quarter_corpus(small_corpus, tmp_path_factory) -> Path:
    """Every fourth line of the small corpus (3,000 posts over its 70 days, some malformed): the
    two runs compared embed a quarter of its posts with the sentence model, which costs per
    post, while what is compared (the published warehouse) does not depend on the size."""
    folder = tmp_path_factory.mktemp("quarter")
    lines = (small_corpus / "posts.jsonl").read_bytes().splitlines(keepends=True)
    (folder / "posts.jsonl").write_bytes(b"".join(lines[::4]))
    return folder


@pytest.fixture(scope="module")
def sad_head(tmp_path_factory) -> Path:
    """A marker directory holding the static head of marker `sad` (tests.moodcast.sad_head),
    trained once; tests copy it where they need it."""
    work = tmp_path_factory.mktemp("sad-head")
    train_sad_static_head(work / "markers", cache_dir=work / "cache")
    return work / "markers"


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
    quarter_corpus, portable_services, tmp_path
):
    job_port, pool_port, _, _ = portable_services
    beam_args = [*_portable(job_port, pool_port), f"--temp_location={tmp_path / 'beam-temp'}"]
    in_process = _run(quarter_corpus, tmp_path / "in-process", [])
    stale = Path(remote_prefix(beam_args, local_dir=tmp_path / "portable" / "landing"))
    (stale / "killed" / "spill").mkdir(parents=True)
    (stale / "killed" / "spill" / "0.arrows").write_bytes(b"left by a run killed outright")
    summary = _run(quarter_corpus, tmp_path / "portable", beam_args)
    assert summary.as_json() == in_process.as_json()
    ours, theirs = _published(tmp_path / "portable"), _published(tmp_path / "in-process")
    assert ours["daily"].height > 0
    sadness = ours["daily"].filter(pl.col("marker") == "sadness")
    assert (sadness["sample_rate"] == 0.25).any(), "the sentence model did not decide sadness"
    assert ours["daily"].equals(theirs["daily"])
    assert ours["runs"].equals(theirs["runs"])
    assert not list((tmp_path / "beam-temp" / "moodcast-landing").iterdir()), "landing removed"


def test_a_worker_lacking_the_submitters_model_folder_reads_its_markers_dir_or_says_what_to_do(
    portable_services, sad_head, tmp_path
):
    """A static head names its model folder by the path where the markers were loaded. Here
    that folder is gone once the job is submitted, as on workers that never had it: workers
    without MOODCAST_MARKERS_DIR fail in setup with a message naming the head, the folder and
    what to do; workers whose MOODCAST_MARKERS_DIR holds a copy of the marker directory give
    the in-process run's aggregates."""
    job_port, pool_port, image_port, worker_markers = portable_services
    texts = SAD_TEXTS
    submitted = tmp_path / "submitter" / "markers"
    shutil.copytree(sad_head, submitted)
    markers = load_markers(submitted, names=["sad"])
    posts = tmp_path / "posts.jsonl"
    rows = [
        {"id": f"p{i}", "created_at": f"2025-03-0{1 + i % 2}T10:00:00Z", "lang": "en",
         "text": f"{texts[i % len(texts)]} {i % 7}", "author_id": f"a{i % 40}", "region": "north"}
        for i in range(300)
    ]  # fmt: skip
    posts.write_bytes(b"\n".join(orjson.dumps(row) for row in rows))

    def daily(landing: str, beam_args: list[str]) -> pl.DataFrame:
        job = IngestJob(inputs=[str(posts)], landing_dir=str(tmp_path / landing),
                        markers=markers, key=b"k" * 32, run_id="r1",
                        options=PostOptions(models=ModelConfig(models={})))  # fmt: skip
        return pl.read_parquet(Path(run_ingest(job, beam_args=beam_args)) / "daily.parquet")

    in_process = daily("in-process", [])
    assert in_process.filter(pl.col("marker") == "sad")["n_marked"].sum() > 0
    shutil.copytree(submitted, worker_markers, dirs_exist_ok=True)
    shutil.rmtree(submitted)
    (folder,) = worker_markers.glob("static-*")

    with pytest.raises(ModelError) as failed:
        daily("lacking", _portable(job_port, pool_port))
    for part in ("static head of marker sad (en)", folder.name, MARKERS_DIR_ENV,
                 "Heads with their own model on remote workers"):  # fmt: skip
        assert part in str(failed.value)
    assert "Traceback" not in str(failed.value) and "[while running" not in str(failed.value)
    found = daily("found", _portable(job_port, image_port))
    assert found.sort(pl.all()).equals(in_process.sort(pl.all()))


def test_a_model_error_on_a_worker_is_the_runs_model_error_with_its_exit_code(
    portable_services, sad_head, tmp_path
):
    """Regression: a worker's ModelError reached `moodcast run` as the PortableRunner's
    RuntimeError holding the worker's traceback: exit 1 and that traceback, not ModelError's
    exit code and message. Here the workers find the static head's model folder damaged after
    the run loaded the markers."""
    job_port, pool_port, _, _ = portable_services
    data = tmp_path / "data"
    shutil.copytree(sad_head, data / "markers")
    (folder,) = (data / "markers").glob("static-*")
    (folder / "tokenizer.json").write_text("damaged after the run loaded its markers")
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(orjson.dumps({"id": "p1", "created_at": "2025-03-01T10:00:00Z",
                                    "lang": "en", "text": "so sad today", "author_id": "a1"}))  # fmt: skip
    beam_args = [*_portable(job_port, pool_port), f"--temp_location={tmp_path / 'beam-temp'}"]
    result = CliRunner().invoke(
        main,
        ["run", str(posts), "--as-of", "2025-03-01", "--data-dir", str(data)],
        obj={"beam_args": beam_args},
    )
    assert result.exit_code == 6, result.output
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert "static head of marker sad was trained with the model folder" in error
    assert "Traceback" not in result.output and "[while running" not in error


def test_an_os_error_on_a_remote_worker_is_one_error_naming_its_step_and_not_logged(
    portable_services, tmp_path, caplog
):
    """Regression: an error of another kind than moodcast's on a worker (here the job's spill
    folder is a file, so the workers cannot write the posts' keys there) was the
    PortableRunner's RuntimeError (exit 1) after the job's message, the worker's traceback, was
    logged twice."""
    job_port, pool_port, _, _ = portable_services
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(orjson.dumps({"id": "p1", "created_at": "2025-03-01T10:00:00Z",
                                    "text": "so sad today", "author_id": "a1"}))  # fmt: skip
    job = IngestJob(inputs=[str(posts)], landing_dir=str(tmp_path / "landing"),
                    markers=load_markers(BUILTIN_DIR, names=["sadness"]), key=b"k" * 32,
                    run_id="r1", options=PostOptions(models=ModelConfig(models={})))  # fmt: skip
    Path(job.landing_dir).mkdir()
    Path(job.spill_dir).write_text("not a folder")
    with pytest.raises(WorkerOSError) as failed:
        run_ingest(job, beam_args=_portable(job_port, pool_port))
    assert str(failed.value).startswith(
        "step 'KeyPosts/FlatMap(key_posts)' of the Beam job failed on a worker with "
        f"FileExistsError: [Errno 17] File exists: '{job.spill_dir}'"
    )
    assert "Traceback" in str(failed.value.__cause__)
    assert "Traceback" not in caplog.text


def test_a_finetune_heads_onnx_export_on_a_worker_goes_to_the_workers_own_cache(
    portable_services, tmp_path
):
    """A finetune head's model is exported to ONNX on first use (the onnx-fp32 backend), into
    the model cache of the language's configured model. `moodcast run` names no cache directory
    (ModelConfig.cache_dir is None in the job), so a worker exports into its own
    (`$XDG_CACHE_HOME/moodcast/onnx` there), never into a directory named on the submitting
    machine, which a worker may lack."""
    from moodcast.finetune import FinetuneSettings
    from moodcast.training import train_heads

    job_port, _, image_port, worker_markers = portable_services
    texts = SAD_TEXTS
    labels = pl.DataFrame({"text": texts, "lang": "en", "sad": [1, 1, 0, 0] * 3})
    submitted = tmp_path / "markers"
    tiny = FinetuneSettings(epochs=1, batch_size=4, max_seq_length=16, max_steps=2)
    train_heads(labels, markers={}, config=ModelConfig(backend="torch"), out_dir=submitted,
                origin="t", family="finetune", settings=tiny)  # fmt: skip
    (folder,) = submitted.glob("finetuned-*")
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(b"\n".join(
        orjson.dumps({"id": f"p{i}", "created_at": "2025-03-01T10:00:00Z", "lang": "en",
                      "text": texts[i % len(texts)], "author_id": f"a{i}"})
        for i in range(40)
    ))  # fmt: skip
    job = IngestJob(inputs=[str(posts)], landing_dir=str(tmp_path / "landing"),
                    markers=load_markers(submitted, names=["sad"]), key=b"k" * 32, run_id="r1",
                    options=PostOptions(models=ModelConfig(backend="onnx-fp32")))  # fmt: skip
    assert job.options.models.cache_dir is None

    daily = pl.read_parquet(
        Path(run_ingest(job, beam_args=_portable(job_port, image_port))) / "daily.parquet"
    )

    assert daily.filter(pl.col("marker") == "sad")["n_scored"].sum() > 0
    exports = worker_markers.parent / WORKER_CACHE / "moodcast" / "onnx"
    assert list(exports.glob(f"{folder.name}-onnx-fp32-*/encoder.json"))
