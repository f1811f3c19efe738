"""`moodcast stream --recover` loads what killed sessions landed, already counted: it reads no
post and scores none, so a model folder or markers_dir of config.toml that is not there (moved,
or a mount not up yet) does not stop it; it was refused (exit 3) with the commands that read
posts, leaving those days unpublished."""

from __future__ import annotations

from click.testing import CliRunner

from moodcast.cli import main


def test_recover_is_not_refused_for_a_missing_model_or_markers_dir(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(
        f'markers_dir = "gone"\n[models]\nen = "{tmp_path / "moved-model"}"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["stream", "--recover", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "recovered 0 stream session(s)" in result.stderr
    subscription = "projects/local-dev/subscriptions/posts"
    started = CliRunner().invoke(
        main, ["stream", "--subscription", subscription, "--data-dir", str(data)]
    )
    assert started.exit_code == 3, started.output
    assert "markers_dir" in started.output or "models.en" in started.output
