"""The second-stream check (stream.refuse_second_session) beside what earlier sessions left
under `<data dir>/stream/`."""

from __future__ import annotations

import os

from moodcast.config import load_settings
from moodcast.stream import refuse_second_session
from moodcast.stream_recovery import recover_killed_sessions
from warehouse.lock import LOCK_NAME


def test_an_emptied_lock_file_an_earlier_session_left_does_not_refuse_every_start(tmp_path):
    """A session of an earlier moodcast left its lock file behind, emptied, long ago. A start
    checks for a running stream, recovers, takes its own lock and checks again (stream_run).
    Before, the first check locked that file and gave it back emptied, so it read as a session
    starting this minute: the recovery left it, and the second check refused the start (exit
    75) naming it; every later start did the same."""
    old = tmp_path / "stream" / "stream-finished-earlier"
    old.mkdir(parents=True)
    (old / LOCK_NAME).write_text("")
    os.utime(old / LOCK_NAME, (0, 0))
    settings = load_settings(tmp_path)

    refuse_second_session(settings)
    recover_killed_sessions(settings)
    refuse_second_session(settings, besides="stream-new")

    assert not old.exists()
