"""A run whose valid posts carry no author id: nothing reaches k, and the run says so in its
warning, its forecast line and its summary (firsthour's analyst saw silence)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from moodcast.cli import main
from moodcast.run_summary import RunSummary
from transforms.series import left_out_reason


@pytest.fixture(scope="module")
def authorless_run(tmp_path_factory) -> str:
    """The output of `moodcast run` on posts whose mapped author field is empty in every one."""
    folder = tmp_path_factory.mktemp("authorless")
    rows = [
        f"{i},2026-01-{1 + i % 10:02d}T10:00:00Z,{'so sad and lonely today' if i % 3 else 'lunch'},"
        for i in range(300)
    ]
    posts = folder / "posts.csv"
    posts.write_text("post_id,posted,body,user\n" + "\n".join(rows) + "\n", encoding="utf-8")
    mapping = folder / "mapping.toml"
    mapping.write_text(
        'id = "post_id"\ncreated_at = "posted"\ntext = "body"\nauthor_id = "user"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        ["run", str(posts), "--mapping", str(mapping), "--data-dir", str(folder / "data"),
         "--as-of", "2026-01-12"],
        obj={"beam_args": []},
        env={"MOODCAST_SECRET": "a-test-secret-of-at-least-32-bytes!"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_a_run_whose_posts_have_no_author_id_warns_naming_the_mappings_author_field(
    authorless_run,
):
    """Regression: 300 valid posts, no author id, nothing published, and no word of why."""
    (warning,) = [line for line in authorless_run.splitlines() if "has an author id" in line]
    assert "WARNING" in warning and "none of the 300 valid post(s)" in warning
    assert "'user', which the mapping names for author_id" in warning
    assert "nothing of this run is published" in warning


@pytest.mark.slow
def test_the_forecast_line_says_no_series_has_a_grain(authorless_run):
    """Regression: it read `18 distinct series: ; 18 left out`."""
    (line,) = [line for line in authorless_run.splitlines() if "distinct series" in line]
    assert re.search(r"forecast: (\d+) distinct series: none by any grain; \1 left out", line)


def test_the_summary_gives_a_reason_written_as_a_sentence_as_a_clause():
    """Regression: the summary read `Not forecast: 18 series, Its cells … noisy days)..`."""
    summary = RunSummary(
        run_id="r", read=1, valid=1, dead_lettered=0, duplicates=0, filtered={}, days=1,
        series=0, alerts=0, not_forecast={left_out_reason(k=11): 18, "too short a history": 2},
    )  # fmt: skip
    described = summary.describe()
    assert "Not forecast: 18 series, each: its cells fall below k = 11 on more than" in described
    assert described.endswith("noisy days); 2 series: too short a history.")
    assert ".." not in described and ", Its" not in described
