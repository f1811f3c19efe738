"""The Data health page's records set aside show a stream's kept-out posts with their day (a
date, from `run_counts.day`) and say that the run named held the day when the row was written,
by the stream or by the run that replaced its day, not necessarily now (docs/streaming.md,
who holds a day)."""

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

import warehouse

APP = Path(__file__).resolve().parents[2] / "dashboard"
DAY = date(2025, 3, 1)


def test_kept_out_posts_show_their_day_and_whose_day_it_was_then(tmp_path, monkeypatch):
    with warehouse.writing(tmp_path) as con:
        warehouse.record_kept_out(con, "stream-a", {DAY: warehouse.Kept(3, "run-batch")})
    monkeypatch.setenv("MOODCAST_HOME", str(tmp_path))

    at = AppTest.from_file(str(APP / "screens" / "health.py"), default_timeout=60).run()

    assert not at.exception
    set_aside = at.table[1].value
    assert set_aside[["category", "day", "held_by", "n"]].values.tolist() == [
        ["kept_out", "2025-03-01", "run-batch", 3]
    ]
    said = " ".join(c.value for c in at.caption)
    assert "held it when the row was written (`held_by`: by the stream, or by the run" in said
