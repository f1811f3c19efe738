"""What `moodcast run --follow` says before it watches a spool."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from moodcast.config import load_settings
from moodcast.follow import follow, format_duration, parse_duration

ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_spool_is_refused_before_anything_says_it_is_watched(tmp_path):
    """`--follow nodir` logged 'follow: watching nodir every 0:05:00' and then refused with
    exit 4: the refusal now comes first and alone."""
    done = subprocess.run(
        [sys.executable, "-c", "from moodcast.cli import cli; cli()", "run"]
        + ["--follow", str(tmp_path / "nodir"), "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert done.returncode == 4, done.stderr
    assert "no such directory" in done.stderr
    assert "watching" not in done.stderr


@pytest.mark.parametrize("given", ["30s", "5m", "90m", "1h", "2d"])
def test_the_interval_is_logged_in_the_short_form_it_was_given_in(tmp_path, caplog, given):
    """The log printed `--every 5m` as 0:05:00."""
    spool = tmp_path / "spool"
    spool.mkdir()
    caplog.set_level(logging.INFO, logger="moodcast.follow")
    follow(
        spool,
        settings=load_settings(tmp_path / "data"),
        every=parse_duration(given),
        allowed_lateness=timedelta(days=2),
        as_of=date(2025, 6, 1),
        beam_args=[],
        max_cycles=1,
    )
    assert f"follow: watching {spool} every {given}" in caplog.text


def test_a_duration_reads_back_as_it_was_parsed():
    assert [format_duration(parse_duration(t)) for t in ("45s", "120s", "25h")] == [
        "45s",
        "2m",
        "25h",
    ]
