"""The run named as holding a day a stream's posts were kept out of is the one that holds it
when the session (or its recovery) says so, not the one that held it when its pane was
skipped."""

from __future__ import annotations

import json

from click.testing import CliRunner

import warehouse
from moodcast.cli import main
from tests.moodcast import stream_files

DAY = stream_files.DAY


def test_a_recovered_sessions_kept_out_day_names_the_run_that_holds_it_now(tmp_path):
    """A session's pane of a file run's day (3 posts) was skipped, then the session was killed;
    a second file run recomputed the day before the recovery. Before, the recovery named the
    first file run, which no longer holds the day (the ledger's `kept_out` row, written when
    the pane was skipped), in its --json, its warning and the ledger; now it names the second."""
    stream_files.file_run(tmp_path, run_id="run-batch")
    stream_files.killed_after_a_load(tmp_path, read=3, posts=3, run_id="stream-dead")
    stream_files.file_run(tmp_path, run_id="run-batch-again")

    result = CliRunner().invoke(
        main, ["stream", "--recover", "--data-dir", str(tmp_path), "--json"], obj={}
    )

    assert result.exit_code == 0, result.output
    (recovered,) = json.loads(result.stdout.splitlines()[-1])["recovered"]
    assert recovered["kept_out"] == [
        {"day": DAY.isoformat(), "posts": 3, "held_by": "run-batch-again"}
    ]
    con = warehouse.open_published(tmp_path)
    try:
        assert warehouse.recorded_kept_out(con, "stream-dead") == {DAY: (3, "run-batch-again")}
    finally:
        con.close()
