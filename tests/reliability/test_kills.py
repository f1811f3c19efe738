"""Every stop leaves a clean state: `moodcast run` killed at random points (SIGKILL, so nothing
of it can clean up), then rerun; a disk that fills up; a SIGTERM."""

import os
import resource
import shutil
import signal

import pytest

from benchmarks.kills import (
    clean_run,
    exports,
    kill_and_rerun,
    ledger,
    leftovers,
    moodcast,
    wait_for_note,
)
from benchmarks.small_run import LEXICON_ONLY
from moodcast.sample import generate_sample

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    generate_sample(folder, posts=1500, days=30, seed=3)
    return [folder / "posts.jsonl"]


def _data_dir(path):
    path.mkdir()
    (path / "config.toml").write_text(LEXICON_ONLY)
    return path


@pytest.fixture(scope="module")
def clean(tmp_path_factory, corpus):
    """A data directory after one uninterrupted run of `corpus`, and that run (its exports and
    timing: benchmarks.kills.CleanRun); tests work on copies (`_copy`)."""
    data = _data_dir(tmp_path_factory.mktemp("clean") / "data")
    return data, clean_run(data, corpus)


def _copy(clean, path):
    shutil.copytree(clean[0], path, symlinks=True)
    assert exports(path) == clean[1].exports
    return path


def test_runs_killed_at_random_points_leave_a_clean_state(tmp_path, corpus, clean):
    data = _copy(clean, tmp_path / "data")
    report = kill_and_rerun(data, corpus, kills=3, seed=17, reference=clean[1])
    assert report.problems == []
    assert report.kills == 3 and report.recorded == report.noted


def test_sigterm_is_a_failed_run_and_cleans_up(tmp_path, corpus):
    """Regression: it waited for `"run"` in the lock file's text, there from the moment the
    lock is taken (the holder's `"run": null`), slept 0.5 s and sent SIGTERM: under load the
    run had not noted itself yet, so it had no ledger row to record, and the published
    warehouse the test reads did not exist. It now waits for the note itself."""
    data = _data_dir(tmp_path / "data")
    proc = moodcast(data, corpus)
    assert wait_for_note(data, proc) is not None, "the run ended before it noted itself"
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err.decode()[-3000:]
    assert "Traceback" not in err.decode()
    assert leftovers(data) == []
    assert [status for *_, status in ledger(data)] == ["failed"]
    assert exports(data) == {}


def _file_size_limit(limit: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_file_size_limit_is_a_clean_one_paragraph_error(tmp_path, corpus, clean):
    """The limit (RLIMIT_FSIZE, EFBIG) stands in for a full disk, whose path is the same;
    the message names the limit, not a full disk (warehouse.room.out_of_room)."""
    data = _copy(clean, tmp_path / "data")
    before = exports(data)
    proc = moodcast(data, corpus, preexec_fn=_file_size_limit(512 * 1024))
    _, err = proc.communicate(timeout=600)
    text = err.decode()
    assert proc.returncode == 7, text[-3000:]  # a WarehouseError
    assert "Traceback" not in text and "largest file allowed" in text, text[-3000:]
    assert exports(data) == before
    assert leftovers(data) == []
