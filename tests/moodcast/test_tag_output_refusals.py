"""`moodcast tag INPUT -o OUT` and `backtest --series FILE --predictions OUT` where OUT is a
mistake: the input itself, or a name that says another format. Each is a usage error (exit 2)
naming the file, and nothing is written, where tag replaced the analyst's posts with its Parquet
output (backtest their series), or wrote Parquet under a `.csv` name that a spreadsheet then
shows as garbage."""

from __future__ import annotations

from datetime import date, timedelta

import orjson
import polars as pl
import pytest
from click.testing import CliRunner

from moodcast.cli import main

POSTS = b"".join(
    orjson.dumps(
        {"id": str(i), "created_at": "2025-03-01T10:00:00Z", "text": "feeling sad today",
         "lang": "en"}
    ) + b"\n"
    for i in range(5)
)  # fmt: skip


def _tag(posts, out, data):
    return CliRunner().invoke(
        main,
        ["tag", str(posts), "-o", str(out), "--markers", "sadness", "--source", "lexicon",
         "--data-dir", str(data)],
    )  # fmt: skip


def test_tag_refuses_to_write_over_its_input(tmp_path):
    posts = tmp_path / "posts.parquet"
    pl.read_ndjson(POSTS).write_parquet(posts)
    before = posts.read_bytes()
    result = _tag(posts, tmp_path / "." / "posts.parquet", tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "is INPUT itself" in " ".join(result.output.split())
    assert posts.read_bytes() == before


@pytest.mark.parametrize("name", ["tagged.jsonl", "tagged.csv", "tagged.json"])
def test_tag_refuses_an_output_named_as_another_format(tmp_path, name):
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(POSTS)
    out = tmp_path / name
    result = _tag(posts, out, tmp_path / "data")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"{out} is not named as a Parquet file" in said
    assert posts.read_bytes() == POSTS
    assert not out.exists()


DAYS = [date(2025, 1, 1) + timedelta(days=n) for n in range(60)]
"""60 days: long enough for a backtest of 14 test days, which then writes its predictions."""


def test_backtest_refuses_to_write_its_predictions_over_the_series(tmp_path):
    """Regression: `--predictions` naming the `--series` file replaced the analyst's series
    with Parquet (exit 0)."""
    series = tmp_path / "series.csv"
    series.write_text(
        "unique_id,ds,y\n" + "".join(f"a,{day},{n % 7 + 1}\n" for n, day in enumerate(DAYS))
    )
    before = series.read_bytes()
    result = CliRunner().invoke(
        main,
        [
            "backtest",
            "--series",
            str(series),
            "--predictions",
            str(series),
            "--test-periods",
            "14",
            "--windows",
            "14",
            "--jobs",
            "1",
        ],
    )
    assert result.exit_code == 2, result.output
    assert f"{series} is --series itself" in " ".join(result.output.split())
    assert series.read_bytes() == before
