"""Where the landing files go, and when a remote runner's are removed (ingest.landing)."""

import logging
from pathlib import Path

import pytest

from ingest.landing import landing_location, remote_landing, remote_prefix


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
