"""Who holds a day: a stream pane never replaces a day a file run loaded, and the posts of a
stream's panes that are in no day (kept out of a file run's day, or of a later-started
stream's, or replaced by either since) are counted and named, never silently lost, and are
not a failure of the stream (tests/moodcast/test_stream_kept_out.py); a second
stream on a data directory where one runs is refused at start; a session killed outright gets
the `unpublished` count an `incomplete` one gets, a floor."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import orjson
import polars as pl
import pytest

import warehouse
from benchmarks.small_run import LEXICON_ONLY
from moodcast.config import load_settings
from moodcast.run import daily_run
from moodcast.stream import (
    StreamRunning,
    StreamSummary,
    load_landing,
    publish_last,
    stream_run,
)
from moodcast.stream_landing import UNPUBLISHED_AT_LEAST, session_lock
from moodcast.stream_recovery import recover_killed_sessions
from tests.emulator import post, stopped_when, stream_process, topic_and_subscription
from tests.moodcast import stream_files
from warehouse import queries

DAY = stream_files.DAY


def _day(data_dir) -> list[tuple[str, int]]:
    """DAY's rows in the warehouse of `data_dir`, as (run, posts)."""
    con = warehouse.open_published(data_dir)
    try:
        return con.execute(
            "SELECT run_id, n_posts FROM daily_aggregates WHERE day = ? ORDER BY ALL", [DAY]
        ).fetchall()
    finally:
        con.close()


def _recorded(data_dir, run_id: str) -> tuple[str, list[tuple]]:
    """Run `run_id`'s status and its `unpublished` counts as (reason, n)."""
    con = warehouse.open_published(data_dir)
    try:
        status = queries.runs(con).filter(pl.col("run_id") == run_id).item(0, "status")
        counts = queries.run_counts(con, run_id).filter(pl.col("category") == "unpublished")
    finally:
        con.close()
    return status, counts.select("reason", "n").rows()


def test_a_stream_pane_never_replaces_a_day_a_file_run_loaded(tmp_path):
    """Before, the file run's load deleted the day's pane row, so the stream's later pane of
    the day found nothing to outrank and replaced the day: the file run's 40 posts were gone
    from the warehouse, and the stream ended `ok`. Now the day keeps the file run's rows, and
    the stream's 3 posts are counted in no day, named with the day and the run that holds it
    (kept out: the session still ends `ok`)."""
    stream_files.file_run(tmp_path)
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=3, valid=3)
    stream_files.write_pane(session.landing, posts=3)

    ending = publish_last(session, wait=timedelta(0))

    assert _day(tmp_path) == [("run-batch", 40)]
    assert (ending.status, ending.unpublished, ending.floor, ending.kept_out) == (
        "ok",
        0,
        False,
        3,
    )
    assert session.kept_out == {DAY: (3, "run-batch")}
    assert _recorded(tmp_path, "stream-test") == ("ok", [])
    said = StreamSummary.of(session, ending).describe()
    assert f"{DAY} (3 post(s); held by run-batch)" in said


def test_a_file_run_over_a_streamed_day_leaves_the_streams_posts_counted_in_no_day(tmp_path):
    """A file run recomputes the day and holds it; the stream's pane loaded before no longer
    is in it. Before, the stream took that pane's posts as in a day and ended `ok` without a
    word; now they are kept out, named (the session still ends `ok`)."""
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=3, valid=3)
    stream_files.write_pane(session.landing, posts=3)
    assert load_landing(session) and session.undelivered() == 0
    stream_files.file_run(tmp_path)

    ending = publish_last(session, wait=timedelta(0))

    assert _day(tmp_path) == [("run-batch", 40)]
    assert (ending.status, ending.unpublished) == ("ok", 0)
    assert ending.kept_out == 3
    assert session.waiting() == 0, "a drain does not wait for posts no pane can land"


def test_a_later_started_streams_day_counts_the_earlier_streams_posts_in_no_day(tmp_path):
    """Two stream sessions on one data directory: the later-started one's pane of the day
    replaces the earlier's (ordered by run start), and the earlier's next pane is skipped.
    Before, the earlier session took its first pane's 3 posts as in the day and ended `ok`
    while the day held only the later session's 5; now its 4 posts are counted in no day,
    kept out, named with the run that holds the day."""
    earlier = stream_files.session(tmp_path, "stream-earlier")
    stream_files.write_counts(earlier.landing, read=3, valid=3)
    stream_files.write_pane(earlier.landing, index=0, posts=3)
    assert load_landing(earlier)
    later = stream_files.session(tmp_path, "stream-later")
    stream_files.write_counts(later.landing, read=5, valid=5)
    stream_files.write_pane(later.landing, index=0, posts=5)
    assert publish_last(later, wait=timedelta(0)).status == "ok"
    stream_files.write_counts(earlier.landing, read=1, valid=1)
    stream_files.write_pane(earlier.landing, index=1, posts=4)

    ending = publish_last(earlier, wait=timedelta(0))

    assert _day(tmp_path) == [("stream-later", 5)]
    assert (ending.status, ending.unpublished) == ("ok", 0)
    assert ending.kept_out == 4
    assert earlier.kept_out == {DAY: (4, "stream-later")}
    assert _recorded(tmp_path, "stream-earlier") == ("ok", [])


def test_a_restarted_stream_replacing_an_ended_sessions_day_names_its_posts(tmp_path, caplog):
    """The earlier session ended `ok` with its 3 posts in the day; the restarted one's pane
    replaces the day (its windows start afresh). Before, nothing said that those 3 posts left
    the warehouse; now the load that replaced the day warns, naming the run, day and posts."""
    earlier = stream_files.session(tmp_path, "stream-earlier")
    stream_files.write_counts(earlier.landing, read=3, valid=3)
    stream_files.write_pane(earlier.landing, posts=3)
    assert publish_last(earlier, wait=timedelta(0)).status == "ok"
    later = stream_files.session(tmp_path, "stream-later")
    stream_files.write_pane(later.landing, posts=2)

    with caplog.at_level(logging.WARNING, logger="moodcast.stream_landing"):
        assert load_landing(later)

    assert _day(tmp_path) == [("stream-later", 2)]
    assert (
        f"stream stream-later: its pane of {DAY} replaced the day stream run stream-earlier had "
        "loaded: that run's 3 post(s) there are in no day now"
    ) in caplog.text


@pytest.mark.slow
def test_a_file_run_over_a_streamed_day_names_the_streams_posts_it_replaces(tmp_path, caplog):
    """A file run is final over a day a stream loaded; before, it replaced the stream's 3
    posts there without a word. Now the run warns, naming the stream run, the day and its
    posts; and the finished stream's ledger, which still said `ok` with nothing in no day,
    counts them `kept_out`, held by the file run (the same file run done again changes
    nothing: tests/moodcast/test_stream_kept_out.py for a restarted stream's)."""
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=3, valid=3)
    stream_files.write_pane(session.landing, posts=3)
    assert publish_last(session, wait=timedelta(0)).status == "ok"
    filed = [post(i, datetime(2025, 3, 1, 9, i, tzinfo=UTC), author=i) for i in range(4)]
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(b"\n".join(orjson.dumps(p) for p in filed) + b"\n")
    (tmp_path / "config.toml").write_text(LEXICON_ONLY)

    with caplog.at_level(logging.WARNING, logger="moodcast.run_load"):
        filed_run = daily_run(
            [str(posts)], settings=load_settings(tmp_path), as_of=DAY, beam_args=[]
        )

    assert {run for run, _ in _day(tmp_path)} != {"stream-test"}
    kept = {DAY: (3, filed_run.run_id)}
    con = warehouse.open_published(tmp_path)
    try:
        assert warehouse.recorded_kept_out(con, "stream-test") == kept
    finally:
        con.close()
    daily_run([str(posts)], settings=load_settings(tmp_path), as_of=DAY, beam_args=[])
    con = warehouse.open_published(tmp_path)
    try:
        assert warehouse.recorded_kept_out(con, "stream-test") == kept
        assert queries.runs(con).filter(pl.col("run_id") == "stream-test").item(0, "status") == "ok"
    finally:
        con.close()
    assert (
        f"replaces {DAY}, which stream run stream-test had loaded: a file run's day is final, "
        "so that stream's 3 post(s) there that these inputs do not hold are in no day now"
    ) in caplog.text


def test_a_session_killed_outright_is_recorded_killed_with_a_floor_of_unpublished_posts(
    tmp_path, caplog
):
    """A session killed with 2 of the 3 posts it counted in no pane loaded: its recovery
    records it `killed` with `unpublished` 2, a floor (what its job held unwritten when killed
    is known nowhere), and says so. Before, a killed run got no count: as if 0."""
    stream_files.killed_after_a_load(tmp_path, read=3, posts=1, run_id="stream-dead")

    with caplog.at_level(logging.WARNING, logger="moodcast.stream_recovery"):
        assert [r.run_id for r in recover_killed_sessions(load_settings(tmp_path))] == [
            "stream-dead"
        ]

    assert _recorded(tmp_path, "stream-dead") == ("killed", [(UNPUBLISHED_AT_LEAST, 2)])
    assert "recorded it killed; 2 post(s) it read are counted in no day, and more may be" in (
        caplog.text
    )


@pytest.mark.slow
def test_a_second_stream_is_refused_while_one_runs_on_the_data_directory(
    emulator, tmp_path, monkeypatch
):
    """Before, a second `moodcast stream` on the data directory started and the two replaced
    each other's days. Now it is refused before anything starts (BusyError: exit 75), naming
    the running session and what to do; it leaves no folder and no ledger row."""
    _, _, subscription = topic_and_subscription(emulator, monkeypatch, "second")
    (tmp_path / "config.toml").write_text(LEXICON_ONLY)
    running = stream_files.session(tmp_path, "stream-running")
    alive = session_lock(running)
    try:
        with pytest.raises(StreamRunning, match=r"stream session stream-running .* is running"):
            stream_run(
                subscription,
                settings=load_settings(tmp_path),
                early_every=timedelta(seconds=3),
                allowed_lateness=timedelta(days=2),
                load_every=timedelta(seconds=1),
                duration=timedelta(seconds=1),
                beam_args=[],
            )
    finally:
        alive.release()
    assert [p.name for p in (tmp_path / "stream").iterdir()] == ["stream-running"]
    assert not warehouse.published_path(tmp_path).exists()


@pytest.mark.slow
def test_a_streamed_late_post_of_a_file_runs_day_is_named_in_the_json(
    emulator, tmp_path, monkeypatch
):
    """End to end on the emulator: a file run loaded yesterday (12 posts); a stream then
    reads 3 posts of yesterday (late, within the allowed lateness). Before, their late pane
    replaced yesterday with their 3 posts and the stream exited 0. Now yesterday keeps the file
    run's 12, and `moodcast stream --json` names the day, its 3 posts and the file run that
    holds it, and exits 0, `ok`: posts kept out of a file run's day are not a failure of the
    stream (before this, it exited 1, `incomplete`); a warning says how to publish them."""
    publisher, topic, subscription = topic_and_subscription(emulator, monkeypatch, "held")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "config.toml").write_text(LEXICON_ONLY)
    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).date()
    filed = [post(i, now - timedelta(days=1, minutes=i), author=i) for i in range(12)]
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(b"\n".join(orjson.dumps(p) for p in filed) + b"\n")
    daily_run([str(posts)], settings=load_settings(data_dir), as_of=now.date(), beam_args=[])
    con = warehouse.open_published(data_dir)
    try:
        (batch,) = queries.runs(con).get_column("run_id").to_list()
    finally:
        con.close()

    log = tmp_path / "stream.log"
    process = stream_process(
        emulator, subscription, data_dir, log, early_every="3s", load_every="2s"
    )
    late = [post(100 + i, now - timedelta(days=1, minutes=i), author=50 + i) for i in range(3)]
    for message in late:
        publisher.publish(topic, orjson.dumps(message)).result()
    out = stopped_when(process, log, lambda: b"read 3 so far" in log.read_bytes(), timeout_s=180)
    assert process.returncode == 0, log.read_text(errors="replace")
    summary = orjson.loads(out)
    assert (summary["status"], summary["unpublished"], summary["read"]) == ("ok", 0, 3)
    assert summary["kept_out"] == [{"day": yesterday.isoformat(), "posts": 3, "held_by": batch}]
    con = warehouse.open_published(data_dir)
    try:
        held = con.execute(
            "SELECT DISTINCT run_id FROM daily_aggregates WHERE day = ?", [yesterday]
        ).fetchall()
        posts_held = con.execute(
            "SELECT max(n_posts) FROM daily_aggregates WHERE day = ?", [yesterday]
        ).fetchall()
    finally:
        con.close()
    assert (held, posts_held) == ([(batch,)], [(12,)])
    said = log.read_text(errors="replace")
    assert "3 post(s) it read are kept out of days another run holds" in said
    assert f"{yesterday} (3 post(s); held by {batch})" in said
