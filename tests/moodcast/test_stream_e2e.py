"""`moodcast stream` end to end: the Pub/Sub emulator on 127.0.0.1, a topic and subscription,
posts published on time, late, too late, repeated and malformed; the published warehouse then
holds what a batch run of the same posts (less the too-late ones) holds, today provisional."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import polars as pl
import pytest

import warehouse
from benchmarks.published import published_days
from moodcast.config import load_settings
from moodcast.run import daily_run
from tests.emulator import PROJECT, post, stopped_when, stream_process, topic_and_subscription
from tests.moodcast.sad_head import train_sad_static_head
from warehouse import queries

pytestmark = pytest.mark.slow


def test_stream_counts_on_time_and_late_posts_once_and_accounts_the_too_late(
    emulator, tmp_path, monkeypatch
):
    publisher, topic, subscription = topic_and_subscription(emulator, monkeypatch, "late")

    now = datetime.now(UTC)
    today, yesterday = now.date(), now.date() - timedelta(days=1)
    on_time = [post(i, now - timedelta(minutes=i % 50), author=i % 13) for i in range(60)]
    late = [post(100 + i, now - timedelta(days=1, minutes=i), author=i % 12) for i in range(30)]
    too_late = [post(200 + i, now - timedelta(days=4), author=i) for i in range(3)]
    messages = [orjson.dumps(p) for p in on_time + late + too_late]
    messages += [orjson.dumps(on_time[0]), b"{not json"]
    batch_dir, posts = tmp_path / "batch", tmp_path / "posts.jsonl"
    posts.write_bytes(b"\n".join(orjson.dumps(p) for p in on_time + late) + b"\n")
    daily_run([str(posts)], settings=load_settings(batch_dir), as_of=today, beam_args=[])
    batched = published_days(batch_dir, [today, yesterday])

    data_dir, log = tmp_path / "data", tmp_path / "stream.log"
    process = stream_process(
        emulator, subscription, data_dir, log, early_every="5s", load_every="3s"
    )
    try:
        time.sleep(5)
        for message in messages:
            publisher.publish(topic, message)

        def counted() -> bool:
            """Every message read, today open, and every post read in its published day."""
            if not warehouse.published_path(data_dir).exists():
                return False
            con = warehouse.open_published(data_dir)
            try:
                open_days = queries.provisional_days(con).get_column("day").to_list()
                ledger = queries.runs(con)
            finally:
                con.close()
            return (
                today in open_days
                and int(ledger.get_column("read").max()) == len(messages)
                and published_days(data_dir, [today, yesterday]).equals(batched)
            )

        out = stopped_when(process, log, counted, timeout_s=180)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, log.read_text(errors="replace")
    summary = orjson.loads(out)
    assert (summary["status"], summary["unpublished"]) == ("ok", 0)
    assert summary["read"] == len(messages)
    assert summary["filtered"] == {"too late": 3}
    assert (summary["duplicates"], summary["dead_lettered"]) == (1, 1)
    assert summary["valid"] == len(on_time) + len(late)

    streamed = published_days(data_dir, [today, yesterday])
    assert streamed.height > 0
    assert streamed.equals(batched)
    con = warehouse.open_published(data_dir)
    try:
        assert queries.runs(con).get_column("status").to_list() == ["ok"]
    finally:
        con.close()
    text = log.read_bytes() + b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert b"lonely tonight" not in text and b"author-1" not in text


def test_a_missing_subscription_fails_clearly_before_the_job_starts(emulator, tmp_path):
    data_dir = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-c", "from moodcast.cli import cli; cli()", "stream"]
        + ["--subscription", f"projects/{PROJECT}/subscriptions/missing", "--load-every", "2s"]
        + ["--duration", "120s", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "PUBSUB_EMULATOR_HOST": emulator},
    )
    assert result.returncode == 4, result.stderr  # an InputError
    last_line = result.stderr.strip().splitlines()[-1]
    missing = f"Error: --subscription projects/{PROJECT}/subscriptions/missing: "
    assert last_line.startswith(missing) and "exists" in last_line, result.stderr
    assert not (data_dir / "stream").exists()  # no job started, no run recorded


def _stream(subscription: str, data_dir: Path, emulator: str, log: Path, *flags: str):
    return subprocess.Popen(
        [sys.executable, "-c", "from moodcast.cli import cli; cli()", "stream"]
        + ["--subscription", subscription, "--early-every", "3s", *flags]
        + ["--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
        env={**os.environ, "PUBSUB_EMULATOR_HOST": emulator},
    )


def _landed(data_dir: Path) -> tuple[int, int]:
    """Posts in the newest pane files of today and records counted as read, of every file the
    stream sessions have written and not loaded."""
    panes = [
        p.name.removesuffix(".parquet").split("-") for p in data_dir.glob("stream/*/panes/*/*")
    ]
    read = sum(
        int(pl.read_parquet(p).filter(pl.col("category") == "read")["n"].sum())
        for p in data_dir.glob("stream/*/counts/*.parquet")
    )
    return max((int(posts) for *_, posts in panes), default=0), read


def test_panes_of_a_stream_killed_outright_are_loaded_once_by_the_next_start(
    emulator, tmp_path, monkeypatch
):
    """The files a killed stream wrote stayed unloaded under stream/<run id>/ for ever: its
    days never reached the warehouse."""
    publisher, topic, subscription = topic_and_subscription(emulator, monkeypatch, "killed")
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    times = [max(now - timedelta(minutes=i % 30), midnight) for i in range(40)]
    posts = [post(i, at, author=i % 13) for i, at in enumerate(times)]
    messages = [orjson.dumps(p) for p in posts] + [b"{not json"]

    data_dir, log = tmp_path / "data", tmp_path / "stream.log"
    killed = _stream(subscription, data_dir, emulator, log, "--load-every", "1h")
    try:
        time.sleep(5)
        for message in messages:
            publisher.publish(topic, message)
        published_at = time.monotonic()
        while _landed(data_dir) != (len(posts), len(messages)):
            assert killed.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() - published_at < 180, log.read_text(errors="replace")
            time.sleep(1)
    finally:
        killed.kill()
        killed.wait()
    assert not warehouse.published_path(data_dir).exists()

    restarted = _stream(subscription, data_dir, emulator, log, "--duration", "2s")
    assert restarted.wait(timeout=240) == 0, log.read_text(errors="replace")
    assert not list(data_dir.glob("stream/*/panes/*/*")), "loaded files are deleted"
    batch_dir, batch_posts = tmp_path / "batch", tmp_path / "posts.jsonl"
    batch_posts.write_bytes(b"\n".join(orjson.dumps(p) for p in posts) + b"\n")
    daily_run([str(batch_posts)], settings=load_settings(batch_dir), as_of=now.date(), beam_args=[])
    streamed = published_days(data_dir, [now.date()])
    assert streamed.height > 0 and streamed.equals(published_days(batch_dir, [now.date()]))
    con = warehouse.open_published(data_dir)
    try:
        runs = queries.runs(con).sort("started_at")
    finally:
        con.close()
    assert runs["status"].to_list() == ["killed", "ok"]
    assert runs.row(0, named=True)["read"] == len(messages)
    assert runs.row(0, named=True)["dead_lettered"] == 1

    from moodcast.stream_recovery import recover_killed_sessions

    assert [r.run_id for r in recover_killed_sessions(load_settings(data_dir))] == []
    assert published_days(data_dir, [now.date()]).equals(streamed)


def test_a_model_error_of_the_streaming_job_is_reported_as_itself(emulator, tmp_path, monkeypatch):
    """Regression: every failure of the streaming job was reported as an InputError (exit 4)
    saying to check the subscription, a ModelError its workers raised too (here a static head's
    model folder damaged after the marker directory was written). Regression: the in-process
    runner logged the worker's traceback once per retry of the bundle before that line."""
    data_dir = tmp_path / "data"
    folder = train_sad_static_head(data_dir / "markers", cache_dir=tmp_path / "cache")
    (folder / "tokenizer.json").write_text("damaged")
    publisher, topic, subscription = topic_and_subscription(emulator, monkeypatch, "model")
    publisher.publish(topic, orjson.dumps(post(0, datetime.now(UTC), author=0))).result()
    result = subprocess.run(
        [sys.executable, "-c", "from moodcast.cli import cli; cli()", "stream"]
        + ["--subscription", subscription, "--load-every", "2s"]
        + ["--duration", "120s", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "PUBSUB_EMULATOR_HOST": emulator},
    )
    assert result.returncode == 6, result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        "Error: the static head of marker sad was trained with the model folder"
    ), result.stderr
    assert "Traceback" not in result.stderr and "Giving up" not in result.stderr, result.stderr
