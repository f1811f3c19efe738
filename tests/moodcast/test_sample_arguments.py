"""`moodcast sample` and `demo` with unusual arguments: a negative seed (a numpy traceback), days
past 9998 (an OverflowError traceback), a sample larger than the disk or the memory (a numpy
MemoryError traceback, or hours of writing without a word), and `demo --posts` beside a sample
it does not regenerate (ignored silently)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from moodcast.cli import main


def test_a_negative_seed_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["sample", "-o", str(tmp_path / "s"), "--seed", "-1"])
    assert result.exit_code == 2, result.output
    assert "'--seed': -1 is not in the range x>=0" in result.output


def test_days_past_the_last_date_are_a_usage_error(tmp_path):
    args = ["sample", "-o", str(tmp_path / "s"), "--posts", "10", "--start", "9998-12-01"]
    result = CliRunner().invoke(main, [*args, "--days", "32"])
    assert result.exit_code == 2, result.output
    assert "'--days': 32 days from 9998-12-01 run past 9998-12-31, the last day" in result.output
    assert CliRunner().invoke(main, [*args, "--days", "31"]).exit_code == 0


def test_a_sample_larger_than_the_disk_is_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "s"
    args = ["sample", "-o", str(out), "--posts", str(10**15), "--days", "3"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "'--posts': 1,000,000,000,000,000 posts need about 300.0 PB, more than" in result.output
    assert not out.exists()
    per_day = ["sample", "-o", str(out), "--authors-per-day", str(10**13), "--days", "3"]
    assert "Invalid value for '--authors-per-day'" in CliRunner().invoke(main, per_day).output


def test_a_sample_says_how_many_posts_and_bytes_it_writes(tmp_path):
    result = CliRunner().invoke(
        main, ["sample", "-o", str(tmp_path), "--posts", "40", "--days", "2"]
    )
    assert result.exit_code == 0, result.output
    assert f"generating 40 sample posts (about 12.0 KB) into {tmp_path}" in result.stderr


def test_demo_says_that_posts_does_not_remake_a_sample_it_finds(tmp_path):
    """The sample found is not posts, so the run after the message fails quickly (exit 4)."""
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "posts.jsonl").write_text(json.dumps({"note": "no post"}) + "\n", encoding="utf-8")
    args = ["demo", "--data-dir", str(tmp_path / "data"), "--sample-dir", str(sample)]
    result = CliRunner().invoke(main, [*args, "--posts", "500", "--no-dashboard"])
    assert f"using the sample already in {sample}: --posts 500 makes a sample only" in result.stderr
    assert result.exit_code == 4, result.output
