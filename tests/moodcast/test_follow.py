"""Follow mode: spool listing, durations, and the real loop killed and restarted while files
arrive, ending where one batch run over all the files ends."""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest

from benchmarks.published import published_tables
from benchmarks.small_run import LEXICON_ONLY
from ingest.inputs import InputFileError, file_sha256
from moodcast.config import load_settings
from moodcast.follow import Spool, follow, ledgered_contents, parse_duration, spool_files
from moodcast.run import daily_run

AS_OF = date(2026, 3, 20)
CONFIG = "forecast_jobs = 1\n" + LEXICON_ONLY
"""Follow mode and the batch run it is compared with: lexicon markers (no sentence model to load
in every cycle), one forecasting process."""


def test_durations_take_one_unit():
    assert parse_duration("30s") == timedelta(seconds=30)
    assert parse_duration("5m") == timedelta(minutes=5)
    assert parse_duration("1h") == timedelta(hours=1)
    assert parse_duration("2d") == timedelta(days=2)
    for bad in ("5", "0s", "1.5h", "5 minutes", "-1m"):
        with pytest.raises(ValueError, match="30s, 5m, 1h or 2d"):
            parse_duration(bad)


def test_the_spool_lists_complete_files_only(tmp_path):
    for name in ("b.jsonl", "a.jsonl.gz", "c.jsonl.tmp", "d.part", ".e.jsonl", "sub/f.csv"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"{}\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "g.jsonl").write_bytes(b"{}\n")
    assert [p.relative_to(tmp_path).as_posix() for p in spool_files(tmp_path)] == [
        "a.jsonl.gz",
        "b.jsonl",
        "sub/f.csv",
    ]


def test_pending_files_are_those_whose_content_is_not_ledgered(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(b"1\n")
    (tmp_path / "b.jsonl").write_bytes(b"2\n")
    (tmp_path / "copy-of-b.jsonl").write_bytes(b"2\n")
    spool = Spool(tmp_path)
    everything = spool.pending(set())
    assert [p.name for p in everything] == ["a.jsonl", "b.jsonl"]
    assert spool.pending({file_sha256(str(tmp_path / "a.jsonl"))}) == [tmp_path / "b.jsonl"]


def _posts(day: date, n: int, *, seed: int) -> list[bytes]:
    """`n` posts on `day` by 15 authors in two regions: enough authors to publish cells."""
    texts = ["so sad and lonely tonight", "happy and calm today", "worried, cannot sleep"]
    lines = []
    for i in range(n):
        created = f"{day.isoformat()}T{(i * 7) % 24:02d}:{i % 60:02d}:00Z"
        post = {
            "id": f"{seed}-{day.isoformat()}-{i}",
            "created_at": created,
            "text": texts[(i + seed) % len(texts)],
            "author_id": f"author-{(i + seed) % 15}",
            "lang": "en",
            "region": ("north", "south")[i % 2],
        }
        lines.append(orjson.dumps(post) + b"\n")
    return lines


def _drop(spool: Path, name: str, lines: list[bytes]) -> None:
    """Put a file into the spool whole, as writers must: write a .tmp, then rename it."""
    tmp = spool / f"{name}.tmp"
    tmp.write_bytes(b"".join(lines))
    tmp.rename(spool / name)


def _start(spool: Path, data_dir: Path, log_path: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-c",
        "from moodcast.cli import cli; cli()",
        "run",
        "--follow",
        str(spool),
        "--every",
        "1s",
        "--allowed-lateness",
        "10d",
        "--as-of",
        AS_OF.isoformat(),
        "--data-dir",
        str(data_dir),
    ]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=log_path.open("ab"), env=os.environ.copy()
    )


def _wait_for(condition, *, what: str, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def _spool_and_data(tmp_path: Path) -> tuple[Path, Path]:
    """An empty spool and a data directory holding the test configuration."""
    spool, data = tmp_path / "spool", tmp_path / "data"
    spool.mkdir()
    data.mkdir()
    (data / "config.toml").write_text(CONFIG)
    return spool, data


def _one_cycle(spool: Path, settings, *, lateness_days: int):
    """One follow-mode check of `spool` at AS_OF, with no wait between cycles."""
    return follow(
        spool,
        settings=settings,
        every=timedelta(seconds=0),
        allowed_lateness=timedelta(days=lateness_days),
        as_of=AS_OF,
        beam_args=[],
        max_cycles=1,
    )


@pytest.mark.slow
def test_follow_killed_and_restarted_ends_like_one_batch_run(tmp_path):
    spool, data_dir, log_path = tmp_path / "spool", tmp_path / "data", tmp_path / "follow.log"
    spool.mkdir()
    data_dir.mkdir()
    (data_dir / "config.toml").write_text(CONFIG)
    days = [AS_OF - timedelta(days=d) for d in range(8, -1, -1)]
    batches = {
        "01.jsonl": [line for d in days[:5] for line in _posts(d, 30, seed=1)],
        "02.jsonl": [line for d in days[3:7] for line in _posts(d, 25, seed=2)],
        "03.jsonl": _posts(days[6], 20, seed=3) + _posts(AS_OF - timedelta(days=30), 5, seed=3),
        "04.jsonl": [line for d in days[5:] for line in _posts(d, 30, seed=4)],
        "05.jsonl": _posts(days[0], 10, seed=5) + _posts(days[-1], 20, seed=5),
    }

    def ledgered(n: int) -> bool:
        return len(ledgered_contents(data_dir)) >= n

    process = _start(spool, data_dir, log_path)
    try:
        _drop(spool, "01.jsonl", batches["01.jsonl"])
        _drop(spool, "02.jsonl", batches["02.jsonl"])
        _wait_for(lambda: ledgered(2), what="the first two files")
        process.send_signal(signal.SIGKILL)  # while idle
        process.wait()
        marks = log_path.read_bytes().count(b"new file(s)")
        process = _start(spool, data_dir, log_path)
        _drop(spool, "03.jsonl", batches["03.jsonl"])
        _wait_for(
            lambda: log_path.read_bytes().count(b"new file(s)") > marks,
            what="a cycle to start",
        )
        process.send_signal(signal.SIGKILL)  # in the middle of a cycle
        process.wait()
        assert ledgered(2) and not ledgered(3)
        process = _start(spool, data_dir, log_path)
        _drop(spool, "04.jsonl", batches["04.jsonl"])
        _wait_for(lambda: ledgered(4), what="the third and fourth files")
        _drop(spool, "05.jsonl", batches["05.jsonl"])
        _wait_for(lambda: ledgered(5), what="the fifth file")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert b"stopping after this cycle" in log_path.read_bytes()

    batch_dir = tmp_path / "batch"
    batch_dir.mkdir()
    (batch_dir / "config.toml").write_text(CONFIG)
    summary = daily_run(
        [str(p) for p in spool_files(spool)],
        settings=load_settings(batch_dir),
        as_of=AS_OF,
        beam_args=[],
        allowed_lateness=timedelta(days=10),
    )
    assert summary.filtered == {"too late": 5}
    followed, batch = published_tables(data_dir), published_tables(batch_dir)
    assert followed["daily"].height > 0
    for name in followed:
        assert followed[name].equals(batch[name]), name


def test_follow_stops_when_asked_and_loads_nothing_twice(tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    _drop(spool, "a.jsonl", _posts(AS_OF, 30, seed=1))
    settings = load_settings(tmp_path / "data", forecast_jobs=1)
    first = follow(
        spool,
        settings=settings,
        every=timedelta(seconds=0),
        allowed_lateness=timedelta(days=2),
        as_of=AS_OF,
        beam_args=[],
        max_cycles=2,
    )
    assert (first.cycles, first.files) == (1, 1)
    assert first.last is not None and first.last.valid == 30


@pytest.mark.slow
def test_a_bad_file_in_the_spool_is_set_aside_and_never_holds_up_the_others(tmp_path, caplog):
    """A damaged, non-UTF-8 or postless file used to fail follow mode, which stopped (and,
    restarted by its service, failed on the same file again): the good files never loaded."""
    spool, data = _spool_and_data(tmp_path)
    _drop(spool, "good.jsonl", _posts(AS_OF, 30, seed=1))
    _drop(spool, "cut.jsonl.gz", [gzip.compress(b"".join(_posts(AS_OF, 400, seed=2)))[:500]])
    _drop(spool, "wide.jsonl", [b"".join(_posts(AS_OF, 5, seed=3)).decode().encode("utf-16")])
    settings = load_settings(data)

    def one_check():
        return _one_cycle(spool, settings, lateness_days=2)

    first = one_check()
    assert (first.cycles, first.files) == (1, 1) and first.last.valid == 30
    _drop(spool, "postless.jsonl", [b'{"no": "post"}\n'])
    assert (one_check().cycles, len(ledgered_contents(data))) == (0, 1)
    caplog.clear()
    restarted = one_check()
    assert (restarted.cycles, restarted.files) == (0, 0)
    for name in ("cut.jsonl.gz", "wide.jsonl", "postless.jsonl"):
        assert f"Leaving {spool / name} aside until its content changes" in caplog.text
    assert ledgered_contents(data) == {file_sha256(str(spool / "good.jsonl"))}


def test_a_spool_file_removed_before_its_cycle_reads_it_is_passed_over(tmp_path, monkeypatch):
    """Removed between the listing and the run (a retention job): follow mode stopped with
    'no input file matches'."""
    import moodcast.follow

    spool, data = _spool_and_data(tmp_path)
    _drop(spool, "a.jsonl", _posts(AS_OF, 30, seed=1))
    _drop(spool, "b.jsonl", _posts(AS_OF, 20, seed=2))
    real_run = moodcast.follow.daily_run

    def run_after_a_removal(inputs, **kwargs):
        (spool / "b.jsonl").unlink(missing_ok=True)
        return real_run(inputs, **kwargs)

    monkeypatch.setattr(moodcast.follow, "daily_run", run_after_a_removal)
    summary = _one_cycle(spool, load_settings(data), lateness_days=2)
    assert (summary.cycles, summary.files) == (1, 1) and summary.last.valid == 30


def test_a_file_set_aside_taken_out_and_put_back_is_tried_again(tmp_path):
    """The contents set aside (and every version hashed) were kept for follow mode's life: a
    file moved out and back in, as it was, stayed hidden until a restart, and the list grew
    with every file the spool ever held."""
    bad, kept = tmp_path / "bad.jsonl", tmp_path / "kept.jsonl"
    bad.write_bytes(b"1\n")
    kept.write_bytes(b"2\n")
    spool = Spool(tmp_path)
    listed = spool.pending(set())
    assert spool.set_aside(listed, InputFileError("refused", paths=[str(bad)])) == [kept]
    assert spool.pending(set()) == [kept]
    bad.rename(tmp_path.parent / "bad.jsonl")
    assert spool.pending(set()) == [kept]
    (tmp_path.parent / "bad.jsonl").rename(bad)
    assert spool.pending(set()) == [bad, kept]


@pytest.mark.slow
def test_a_spool_file_named_like_a_glob_is_loaded_as_itself(tmp_path):
    """`posts [1].jsonl` went to the run as a pattern, which matched `posts 1.jsonl`: the file
    was never loaded and every cycle ran again on the other."""
    spool, data = _spool_and_data(tmp_path)
    _drop(spool, "posts [1].jsonl", _posts(AS_OF, 30, seed=1))
    _drop(spool, "posts 1.jsonl", _posts(AS_OF, 20, seed=2))
    summary = _one_cycle(spool, load_settings(data), lateness_days=2)
    assert (summary.cycles, summary.files) == (1, 2) and summary.last.valid == 50
    assert ledgered_contents(data) == {file_sha256(str(p)) for p in spool_files(spool)}


@pytest.mark.slow
def test_new_files_that_need_a_loaded_file_gone_since_are_set_aside(tmp_path, caplog):
    """A spool file loaded before and then deleted (a retention job), with new files covering
    its days, failed every cycle with a plain InputError: follow mode stopped, and restarted by
    its service stopped again, so no file ever loaded. Now the new files whose periods the gone
    file covers (the same day, and the day before: the same week) are set aside, a file of
    another 8-week period loads, and once the gone file is back they load."""
    spool, data = _spool_and_data(tmp_path)
    settings = load_settings(data)

    def one_check():
        return _one_cycle(spool, settings, lateness_days=90)

    files = {
        "a.jsonl": _posts(AS_OF, 30, seed=1),
        "b.jsonl": _posts(AS_OF, 20, seed=2),
        "c.jsonl": _posts(AS_OF - timedelta(days=1), 20, seed=3),
        "d.jsonl": _posts(AS_OF - timedelta(days=70), 25, seed=4),
    }
    _drop(spool, "a.jsonl", files["a.jsonl"])
    assert one_check().files == 1
    (spool / "a.jsonl").unlink()
    for name in ("b.jsonl", "c.jsonl", "d.jsonl"):
        _drop(spool, name, files[name])
    caplog.clear()
    summary = one_check()
    assert (summary.cycles, summary.files) == (1, 1) and summary.last.valid == 25
    assert f"{spool / 'a.jsonl'} was loaded before" in caplog.text
    assert f"Leaving {spool / 'b.jsonl'}, {spool / 'c.jsonl'} aside" in caplog.text
    assert ledgered_contents(data) == {
        hashlib.sha256(b"".join(files[name])).hexdigest() for name in ("a.jsonl", "d.jsonl")
    }

    _drop(spool, "a.jsonl", files["a.jsonl"])
    assert (one_check().files, len(ledgered_contents(data))) == (2, 4)
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "config.toml").write_text(CONFIG)
    daily_run(
        [str(p) for p in spool_files(spool)],
        settings=load_settings(batch),
        as_of=AS_OF,
        beam_args=[],
        allowed_lateness=timedelta(days=90),
    )
    followed, batch_run = published_tables(data), published_tables(batch)
    for name in followed:
        assert followed[name].equals(batch_run[name]), name


@pytest.mark.slow
def test_a_loaded_file_deleted_while_a_cycle_reads_it_again_sets_aside_the_files_needing_it(
    tmp_path, monkeypatch, caplog
):
    """Deleted after the run found it among the earlier inputs but before Beam read it, the
    earlier file made the run fail naming that file, which no spool file is: follow mode
    stopped. Now the new files of its weeks are set aside, and the cycle goes on."""
    import moodcast.run

    spool, data = _spool_and_data(tmp_path)
    settings = load_settings(data)

    def one_check():
        return _one_cycle(spool, settings, lateness_days=90)

    _drop(spool, "a.jsonl", _posts(AS_OF, 30, seed=1))
    assert one_check().files == 1
    _drop(spool, "b.jsonl", _posts(AS_OF, 20, seed=2))
    _drop(spool, "d.jsonl", _posts(AS_OF - timedelta(days=70), 25, seed=4))
    real_older = moodcast.run.older_inputs_covering

    def older_then_a_removal(*args, **kwargs):
        older = real_older(*args, **kwargs)
        (spool / "a.jsonl").unlink(missing_ok=True)
        return older

    monkeypatch.setattr(moodcast.run, "older_inputs_covering", older_then_a_removal)
    caplog.clear()
    summary = one_check()
    assert (summary.cycles, summary.files) == (1, 1) and summary.last.valid == 25
    assert f"{spool / 'a.jsonl'} was loaded before and changed or went away" in caplog.text
    assert f"Leaving {spool / 'b.jsonl'} aside" in caplog.text
