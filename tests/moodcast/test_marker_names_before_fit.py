"""A mistyped marker name is a usage error (exit 2) before anything that needs the markers'
adapted fit: with `zero_shot = "adapted"` and no centroids fitted, the commands that take a
marker name still say which names are known (README, "Errors and exit codes")."""

from __future__ import annotations

import inspect

import pytest
from click.testing import CliRunner

from moodcast import adapting
from moodcast.cli import main

UNKNOWN = "Error: unknown marker(s) Sadnes (did you mean sadness?); known: anger,"


@pytest.fixture
def adapted_without_fit(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text('zero_shot = "adapted"\n', encoding="utf-8")
    return data


def _invoke(*args: str):
    result = CliRunner().invoke(main, list(args), obj={"beam_args": []})
    return result.exit_code, " ".join(result.output.split())


def test_tag_with_a_mistyped_name_is_a_usage_error_before_the_missing_fit(
    tmp_path, adapted_without_fit
):
    """Regression: it exited 5 (centroids missing), hiding the typo."""
    posts, out = tmp_path / "posts.jsonl", tmp_path / "tagged.parquet"
    posts.write_text('{"id": "1", "created_at": "2025-03-01", "text": "so sad today"}\n')
    code, output = _invoke(
        "tag", str(posts), "-o", str(out), "--markers", "Sadnes",
        "--data-dir", str(adapted_without_fit),
    )  # fmt: skip
    assert code == 2 and UNKNOWN in output, output
    assert "moodcast markers adapt" not in output
    assert not out.exists()


def test_markers_show_of_a_mistyped_name_is_a_usage_error_before_the_missing_fit(
    adapted_without_fit,
):
    code, output = _invoke("markers", "show", "Sadnes", "--data-dir", str(adapted_without_fit))
    assert code == 2 and UNKNOWN in output, output


def test_configured_markers_takes_no_names():
    """configured_markers(names=) served one test only; the product picks names itself
    (cli_options.configured_and_named)."""
    assert list(inspect.signature(adapting.configured_markers).parameters) == ["settings"]
