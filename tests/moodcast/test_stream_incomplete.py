"""A stream's end is recorded as it was: a session that stopped with posts read and in no
day loaded is recorded `incomplete` with their count, not `ok`; and the files a stopping
stream could not publish under another run's lock are published, once, by the next
`moodcast stream --recover` (or start)."""

from __future__ import annotations

import json
import os
import signal
import threading
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from click.testing import CliRunner

import moodcast.stream
import warehouse
from moodcast.cli import main
from moodcast.stream import StreamIncomplete
from moodcast.stream_landing import UNPUBLISHED
from tests.moodcast.stream_stops import (
    PARSING,
    assert_published,
    landed,
    one_post_subscription,
    read_counted,
    signalling_parse,
    stream_stopped_while_parsing,
    waited_for,
)
from warehouse import queries

pytestmark = pytest.mark.slow

EARLY_EVERY, DRAIN_SLACK = timedelta(seconds=300), timedelta(seconds=-580)
"""A drain of 20 s (2 × EARLY_EVERY + DRAIN_SLACK), begun once a load has counted the post read
(`read_counted`: the stream is stopped on that condition, not as the job parses, which left a
loaded machine's job still processing the post as 20 s ran out: read 0, a floor), so that it
only waits for the idle job to take its stand-in's first pull; a fifteenth of the early-pane
interval, so the post's pane cannot fire, however long the load took."""


def test_a_stream_stopped_with_a_post_in_its_window_is_recorded_incomplete(
    emulator, tmp_path, monkeypatch
):
    """Before, a drain whose time ran out with a post read and still waiting in the job's
    window for its pane warned, cancelled the job (dropping the post), and recorded the run
    `ok`: the ledger said every post read was published. Now the run is `incomplete`, its
    `unpublished` count is 1, and the stream raises (exit 1) saying what to do. The drain's
    time is cut to 20 s, a third of the early-pane interval (EARLY_EVERY, DRAIN_SLACK)."""
    monkeypatch.setattr(moodcast.stream, "DRAIN_SLACK", DRAIN_SLACK)
    data_dir, now = tmp_path / "data", datetime.now(UTC)
    with pytest.raises(StreamIncomplete, match=r"1 post\(s\) it read are counted in no day") as err:
        stream_stopped_while_parsing(
            emulator,
            data_dir,
            monkeypatch,
            now=now,
            early_every=EARLY_EVERY,
            name="incomplete",
            stop_when=lambda: read_counted(data_dir),
        )
    assert "publish them to the subscription again" in str(err.value)
    assert (err.value.summary.counts["read"], err.value.summary.counts["valid"]) == (1, 1)
    con = warehouse.open_published(data_dir)
    try:
        assert queries.runs(con).select("status", "read").rows() == [("incomplete", 1)]
        unpublished = queries.run_counts(con).filter(pl.col("category") == "unpublished")
        assert unpublished.select("reason", "n").rows() == [(UNPUBLISHED, 1)]
        assert now.date() not in queries.provisional_days(con).get_column("day").to_list()
    finally:
        con.close()
    assert not list((data_dir / "stream").iterdir()), "nothing was left to load"


def test_stream_json_of_an_incomplete_session_is_printed_before_it_exits_1(
    emulator, tmp_path, monkeypatch
):
    """`moodcast stream --json` printed nothing on stdout for an incomplete session (the error
    left before the summary), so an operator's script read no status: it now prints its JSON,
    `status` `incomplete` and `unpublished` 1, and exits 1. The session is the one above,
    stopped by SIGTERM as an operator stops it, once a load has counted the post read."""
    monkeypatch.setattr(moodcast.stream, "DRAIN_SLACK", DRAIN_SLACK)
    data_dir = tmp_path / "data"
    subscription = one_post_subscription(
        emulator, data_dir, monkeypatch, signalling_parse, datetime.now(UTC), name="json"
    )
    assert threading.current_thread() is threading.main_thread(), "SIGTERM must reach the CLI"

    def terminate() -> None:
        PARSING.wait(timeout=240)
        waited_for(lambda: read_counted(data_dir))
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=terminate, daemon=True)
    stopper.start()
    result = CliRunner().invoke(
        main,
        ["stream", "--subscription", subscription, "--early-every", "300s", "--load-every", "1s"]
        + ["--duration", "300s", "--data-dir", str(data_dir), "--json"],
    )
    stopper.join()
    assert result.exit_code == 1, result.output
    assert "stopped incomplete" in result.stderr
    summary = json.loads(result.stdout)
    con = warehouse.open_published(data_dir)
    try:
        (run,) = queries.runs(con).select("status", "read").rows()
        unpublished = queries.run_counts(con).filter(pl.col("category") == "unpublished")
    finally:
        con.close()
    assert run == ("incomplete", summary["read"])
    assert (summary["status"], summary["unpublished"]) == ("incomplete", unpublished.item(0, "n"))
    assert summary["unpublished_is_floor"] is False, "the job had processed what it pulled"


def test_files_a_stream_could_not_publish_under_a_lock_are_published_once_by_recover(
    emulator, tmp_path, monkeypatch
):
    """A stopping stream whose drain and last load both met a batch run's lock keeps the
    files its job wrote (the post's pane among them) and says that the next `moodcast stream`
    (or `moodcast stream --recover`) publishes them: that is true, and a second recovery
    publishes nothing again. The stream stops once its job has written the post's pane and
    counts (`landed`: the lock keeps every load from them), so its drain's time (3 s) and the
    last load's wait (1 s) only have to run out."""
    monkeypatch.setattr(moodcast.stream, "DRAIN_SLACK", timedelta(seconds=1))
    monkeypatch.setattr(moodcast.stream, "LAST_LOAD_WAIT", timedelta(seconds=1))
    data_dir, now = tmp_path / "data", datetime.now(UTC)
    data_dir.mkdir()
    batch_run = warehouse.RunLock(data_dir, command="moodcast run (a batch run)").acquire()
    try:
        with pytest.raises(
            warehouse.RunLocked, match=r"next `moodcast stream` \(or `moodcast stream --recover`\)"
        ):
            stream_stopped_while_parsing(
                emulator,
                data_dir,
                monkeypatch,
                now=now,
                name="kept",
                stop_when=lambda: landed(data_dir),
            )
    finally:
        batch_run.release()
    assert list((data_dir / "stream").glob("*/panes/*/*.parquet")), "the post's pane is kept"

    def recover() -> str:
        result = CliRunner().invoke(main, ["stream", "--recover", "--data-dir", str(data_dir)])
        assert result.exit_code == 0, result.output
        return result.stderr

    assert "recovered 1 stream session(s)" in recover()
    assert "recovered 0 stream session(s)" in recover()
    assert_published(data_dir, now.date(), [("failed", 1)])
