"""`moodcast dashboard --host ''` (every address of the machine, to Streamlit) is refused
without sign-in like any non-loopback host, and the message shows the empty value quoted.
Before, it read `--host would serve every page`, the value lost."""

from __future__ import annotations

from click.testing import CliRunner

from moodcast.cli import main


def test_an_empty_host_is_refused_showing_it_quoted(tmp_path):
    result = CliRunner().invoke(
        main,
        ["dashboard", "--host", "", "--port", "18777", "--data-dir", str(tmp_path / "data")],
        obj={"beam_args": []},
    )
    assert result.exit_code == 3, result.output
    assert "Error: --host '' would serve every page" in result.output
