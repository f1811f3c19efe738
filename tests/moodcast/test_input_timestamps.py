"""`moodcast run` reads `created_at` in the forms other people's exports write, each onto the
day its instant falls on (transforms.timestamp_parsing.parse_timestamp, end to end)."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
from click.testing import CliRunner

from benchmarks.published import published_tables
from benchmarks.small_run import LEXICON_ONLY
from moodcast.cli import main

FORMS = {
    "12 digits, a wall time": "202403012200",
    "a spreadsheet's number, a date": 20240301.0,
    "Java's Date.toString in UTC": "Fri Mar 01 22:00:00 UTC 2024",
    "Go's time.Time String with its clock reading": "2024-03-01 22:00:00.5 +0000 UTC m=+0.000123001",
    "RFC 2822 with a zone comment": "Fri, 01 Mar 2024 22:00:00 +0000 (UTC)",
    "minutes and a spaced Z": "2024-03-01 22:00 Z",
}
"""Each form (unread, or read as a 1970s epoch, before) → a `created_at` on 2024-03-01."""


def test_a_run_reads_each_form_onto_the_day_of_its_instant(tmp_path):
    """Read in source_tz America/St_Johns (-03:30), days counted in UTC: the wall times move
    by 3.5 hours (22:00 to 01:30 the next day, midnight to 03:30), the zoned ones do not."""
    posts = tmp_path / "posts.jsonl"
    rows = [
        {"id": f"{i}-{n}", "created_at": at, "text": "so sad today", "author_id": f"{i}-{n}"}
        for i, at in enumerate(FORMS.values())
        for n in range(3)
    ]
    posts.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(LEXICON_ONLY + 'source_tz = "America/St_Johns"\n')
    result = CliRunner().invoke(
        main,
        ["run", str(posts), "--data-dir", str(data), "--as-of", "2024-03-05", "--json"],
        env={"MOODCAST_SECRET": "a-test-secret-of-at-least-32-bytes!"},
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["read"], summary["valid"], summary["dead_lettered"]) == (18, 18, 0)
    assert summary["filtered"] == {}
    daily = published_tables(data)["daily"].filter(
        (pl.col("region") == "all") & (pl.col("lang") == "all") & (pl.col("marker") == "sadness")
    )
    assert dict(daily.select("day", "n_posts").iter_rows()) == {
        date(2024, 3, 1): 15,
        date(2024, 3, 2): 3,
    }
