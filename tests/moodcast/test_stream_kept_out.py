"""Posts of a stream's panes kept out of a day another run holds are not a failure of the
stream: the session ends `ok` (exit 0) unless something else is incomplete, the posts counted
and named (summary, `--json`, the ledger's `kept_out` counts, a warning saying how to publish
them); a finished stream whose day another run replaces has that written into its ledger; and
`moodcast stream --recover --json` says per session what its log line says."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
from click.testing import CliRunner

import warehouse
from moodcast.cli import main
from moodcast.stream import StreamIncomplete, load_landing, publish_last
from moodcast.stream_landing import UNPUBLISHED, UNPUBLISHED_AT_LEAST
from moodcast.stream_summary import StreamSummary
from tests.moodcast import stream_files
from warehouse import queries
from warehouse.schema import KEPT_OUT_REASON

DAY = stream_files.DAY
OTHER_DAY = date(2025, 3, 2)


def _ledger(data_dir, run_id: str) -> tuple[str, list[tuple]]:
    """Run `run_id`'s status and its `unpublished` and `kept_out` counts as (category, day,
    held_by, reason, n)."""
    con = warehouse.open_published(data_dir)
    try:
        status = queries.runs(con).filter(pl.col("run_id") == run_id).item(0, "status")
        counts = queries.run_counts(con, run_id).filter(
            pl.col("category").is_in(["unpublished", "kept_out"])
        )
    finally:
        con.close()
    return status, counts.select("category", "day", "held_by", "reason", "n").rows()


def test_posts_kept_out_of_a_file_runs_day_end_the_session_ok_and_are_named(tmp_path):
    """A file run holds the day; the stream's pane of it (3 posts) is kept out. Before, the
    session ended `incomplete` (exit 1) with the 3 posts as `unpublished`, as if it had failed:
    a follow-mode run beside it made every stop exit 1. Now it ends `ok`, `unpublished` 0, the
    posts named in `--json` and in the ledger (`kept_out`: day, holder, posts), and its warning
    says how many, which day, and how to publish them."""
    stream_files.file_run(tmp_path)
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=3, valid=3)
    stream_files.write_pane(session.landing, posts=3)

    ending = publish_last(session, wait=timedelta(0))

    assert (ending.status, ending.unpublished, ending.floor, ending.kept_out) == ("ok", 0, False, 3)
    assert _ledger(tmp_path, "stream-test") == (
        "ok",
        [("kept_out", DAY, "run-batch", KEPT_OUT_REASON, 3)],
    )
    summary = StreamSummary.of(session, ending)
    said = summary.as_json()
    assert (said["status"], said["unpublished"]) == ("ok", 0)
    assert said["kept_out"] == [{"day": DAY.isoformat(), "posts": 3, "held_by": "run-batch"}]
    warning = summary.kept_out_warning()
    assert "3 post(s) it read are kept out of days another run holds" in warning
    assert f"{DAY} (3 post(s); held by run-batch)" in warning
    assert "Not a failure of the stream" in warning
    assert "`moodcast run` it" in warning, "how to publish them"


def test_a_session_with_posts_kept_out_and_posts_lost_is_incomplete_counting_only_the_lost(
    tmp_path,
):
    """5 posts read: 3 in a pane of the file run's day (kept out), 1 in a pane of another day
    (published), 1 in no pane (its drain ran out). Before, `unpublished` was 4, the kept-out
    posts among them. Now the session is `incomplete` for the 1 lost post only: `unpublished`
    1, and the 3 kept out named apart, in the ledger too."""
    stream_files.file_run(tmp_path)
    session = stream_files.session(tmp_path)
    stream_files.write_counts(session.landing, read=5, valid=5)
    stream_files.write_pane(session.landing, posts=3)
    stream_files.write_pane(session.landing, posts=1, day=OTHER_DAY)

    ending = publish_last(session, wait=timedelta(0))

    assert (ending.status, ending.unpublished, ending.floor, ending.kept_out) == (
        "incomplete",
        1,
        False,
        3,
    )
    assert _ledger(tmp_path, "stream-test") == (
        "incomplete",
        [
            ("kept_out", DAY, "run-batch", KEPT_OUT_REASON, 3),
            ("unpublished", None, None, UNPUBLISHED, 1),
        ],
    )
    message = str(StreamIncomplete.of(StreamSummary.of(session, ending)))
    assert "stopped incomplete: 1 post(s) it read are counted in no day" in message
    assert f"{DAY} (3 post(s); held by run-batch)" in message


def test_a_finished_streams_day_a_restarted_stream_replaces_is_written_into_its_ledger(
    tmp_path,
):
    """The earlier session ended `ok` with its 3 posts in the day; a restarted stream's pane
    replaces the day. Before, the earlier run's ledger still said `ok` with nothing in no day
    (only a warning named the loss). Now its ledger counts the 3 posts `kept_out`, held by the
    restarted run; a second load of the restarted run's panes writes nothing more."""
    earlier = stream_files.session(tmp_path, "stream-earlier")
    stream_files.write_counts(earlier.landing, read=3, valid=3)
    stream_files.write_pane(earlier.landing, posts=3)
    assert publish_last(earlier, wait=timedelta(0)).status == "ok"
    later = stream_files.session(tmp_path, "stream-later")
    stream_files.write_pane(later.landing, index=0, posts=2)
    assert load_landing(later)
    stream_files.write_pane(later.landing, index=1, posts=4)
    assert load_landing(later)

    assert _ledger(tmp_path, "stream-earlier") == (
        "ok",
        [("kept_out", DAY, "stream-later", KEPT_OUT_REASON, 3)],
    )
    # a file run replacing a streamed day does the same: test_stream_day_holders.py


def test_posts_kept_out_before_a_session_was_killed_stay_kept_out_when_it_is_recovered(tmp_path):
    """A session whose pane of a file run's day was skipped (3 posts kept out) is killed; the
    skipped pane's file was deleted by that load, so its recovery finds it nowhere but in the
    ledger. Before, the recovery counted those 3 posts `unpublished` (a killed session's floor),
    as if lost; now they stay kept out, named, and the floor counts none."""
    stream_files.file_run(tmp_path)
    stream_files.killed_after_a_load(tmp_path, read=3, posts=3, run_id="stream-dead")

    runner = CliRunner().invoke(
        main, ["stream", "--recover", "--data-dir", str(tmp_path), "--json"], obj={}
    )

    assert runner.exit_code == 0, runner.output
    (recovered,) = json.loads(runner.stdout.splitlines()[-1])["recovered"]
    assert (recovered["status"], recovered["unpublished"], recovered["unpublished_is_floor"]) == (
        "killed",
        0,
        True,
    )
    assert recovered["kept_out"] == [{"day": DAY.isoformat(), "posts": 3, "held_by": "run-batch"}]
    assert _ledger(tmp_path, "stream-dead")[1] == [
        ("kept_out", DAY, "run-batch", KEPT_OUT_REASON, 3),
        ("unpublished", None, None, UNPUBLISHED_AT_LEAST, 0),
    ]


def test_recover_json_says_per_session_what_its_log_line_says(tmp_path):
    """`moodcast stream --recover --json` printed only the recovered run ids; the posts each
    recovered session read, how many it left in no day (a floor for a killed one) and the days
    it loaded were in its log line only. Now each session's object holds them."""
    session = stream_files.killed_after_a_load(tmp_path, read=3, posts=1, run_id="stream-dead")
    stream_files.write_pane(session.landing, posts=1, day=OTHER_DAY)

    runner = CliRunner().invoke(
        main, ["stream", "--recover", "--data-dir", str(tmp_path), "--json"], obj={}
    )

    assert runner.exit_code == 0, runner.output
    (recovered,) = json.loads(runner.stdout.splitlines()[-1])["recovered"]
    assert recovered["run_id"] == "stream-dead"
    assert (recovered["status"], recovered["days_loaded"]) == ("killed", 1)
    assert (recovered["read"], recovered["valid"]) == (3, 3)
    assert (recovered["unpublished"], recovered["unpublished_is_floor"]) == (1, True)
    assert recovered["kept_out"] == []
