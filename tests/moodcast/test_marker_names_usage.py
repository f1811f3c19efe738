"""A marker name typed on the command line that names no marker (`moodcast markers show`,
`moodcast tag --markers`) is a usage error, exit 2, as a bad option value is; an invalid
marker file stays exit 5 (README, "Errors and exit codes")."""

from __future__ import annotations

from click.testing import CliRunner

from moodcast.cli import main

UNKNOWN = "Error: unknown marker(s) Sadnes (did you mean sadness?); known: anger,"


def _invoke(*args: str):
    result = CliRunner().invoke(main, list(args), obj={"beam_args": []})
    return result.exit_code, " ".join(result.output.split())


def test_markers_show_of_no_marker_is_a_usage_error(tmp_path):
    """Regression: it exited 5, which the README keeps for a marker file or lexicon that is
    invalid."""
    code, output = _invoke("markers", "show", "Sadnes", "--data-dir", str(tmp_path / "data"))
    assert code == 2 and UNKNOWN in output, output
    assert "Usage: main markers show [OPTIONS] NAME" in output


def test_tag_markers_naming_no_marker_is_a_usage_error_and_writes_nothing(tmp_path):
    posts, out = tmp_path / "posts.jsonl", tmp_path / "tagged.parquet"
    posts.write_text('{"id": "1", "created_at": "2025-03-01", "text": "so sad today"}\n')
    code, output = _invoke(
        "tag", str(posts), "-o", str(out), "--markers", "Sadnes,anger",
        "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert code == 2 and UNKNOWN in output, output
    assert not out.exists()


def test_an_invalid_marker_file_is_still_exit_5_when_a_name_is_unknown_too(tmp_path):
    (tmp_path / "data" / "markers").mkdir(parents=True)
    (tmp_path / "data" / "markers" / "broken.toml").write_text("name = [unclosed\n")
    code, output = _invoke("markers", "show", "Sadnes", "--data-dir", str(tmp_path / "data"))
    assert code == 5 and "broken.toml" in output and "unknown marker" not in output, output


def test_a_known_name_whose_adapted_centroids_are_missing_is_not_a_usage_error(tmp_path):
    """Regression: the missing fit (transforms.zero_shot.SourceError, a MarkerError) of a
    correctly named marker was turned into a usage error, exit 2, as an unknown name is."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text('zero_shot = "adapted"\n')
    posts, out = tmp_path / "posts.jsonl", tmp_path / "tagged.parquet"
    posts.write_text('{"id": "1", "created_at": "2025-03-01", "text": "so sad today"}\n')
    code, output = _invoke(
        "tag", str(posts), "-o", str(out), "--markers", "sadness", "--data-dir", str(data)
    )
    assert code == 5 and "moodcast markers adapt" in output, output
    assert "Usage:" not in output
