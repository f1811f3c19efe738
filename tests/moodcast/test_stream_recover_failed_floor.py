"""A session recovered `failed` (its last load or its job failed) is reported with the posts
its files leave in no day, a floor, as a killed one is: not as a session that lost none."""

from __future__ import annotations

import json

from click.testing import CliRunner

from moodcast.cli import main
from tests.moodcast import stream_files


def test_recover_json_of_a_failed_session_counts_its_posts_in_no_day_as_a_floor(tmp_path):
    """4 posts read and valid, 1 in its one pane; its last load failed (a batch run held the
    lock). Before, `moodcast stream --recover --json` said `unpublished` 0 and
    `unpublished_is_floor` false, that no post it read was in no day, and its log line said
    nothing of them; 3 are, and more may be (its job's windows were lost with it)."""
    stream_files.stopped_after_a_failed_last_load(tmp_path, posts=1, read=4, valid=4)

    result = CliRunner().invoke(
        main, ["stream", "--recover", "--data-dir", str(tmp_path), "--json"], obj={}
    )

    assert result.exit_code == 0, result.output
    (recovered,) = json.loads(result.stdout.splitlines()[-1])["recovered"]
    assert (recovered["status"], recovered["days_loaded"]) == ("failed", 1)
    assert (recovered["unpublished"], recovered["unpublished_is_floor"]) == (3, True)
    assert "recorded it failed; 3 post(s) it read are counted in no day, and more may be" in (
        result.stderr
    )
