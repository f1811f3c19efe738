"""A directory standing where `moodcast markers import` writes a marker file is named before
anything is written (exit 9), with `--force` too. Before, the import wrote every other marker
file, then stopped at that one naming its temporary file (`.empath_zest.toml.tmp: Is a
directory`), which it left behind: neither all nor none."""

from __future__ import annotations

from click.testing import CliRunner

from moodcast.cli import main


def test_a_directory_at_a_marker_files_name_is_named_and_nothing_is_written(tmp_path):
    out = tmp_path / "markers"
    (out / "empath_zest.toml").mkdir(parents=True)
    result = CliRunner().invoke(
        main,
        ["markers", "import", "empath", "--categories", "anger,zest,fear", "-o", str(out),
         "--force", "--data-dir", str(tmp_path / "data")],
        obj={"beam_args": []},
    )  # fmt: skip
    assert result.exit_code == 9, result.output
    assert f"Error: {out / 'empath_zest.toml'}: a directory where" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["empath_zest.toml"]
