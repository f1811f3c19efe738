"""The command the demo names to serve its dashboard again runs as it is written: the README's
first command never puts `.venv/bin` on PATH, and a demo served on another `--port` is served
there again."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from moodcast.cli import demo_outputs
from moodcast.config import load_settings


def _named_command(line: str) -> list[str]:
    return shlex.split(re.search(r"`([^`]+)`", line).group(1))


def test_the_dashboard_command_the_demo_names_needs_no_venv_on_path(tmp_path):
    """Regression: it said `moodcast dashboard …`, a command not found after the README's
    `bash infra/install.sh && .venv/bin/moodcast demo` (the README itself says
    `.venv/bin/moodcast dashboard`)."""
    settings = load_settings(str(tmp_path / "data"), reads_posts=False)
    for port in (8502, None):
        command = _named_command(demo_outputs(settings, port=port).splitlines()[1])
        program = Path(command[0])
        assert program.is_absolute() and program.is_file(), command
        assert os.access(program, os.X_OK), command
        assert command[1:4] == ["dashboard", "--data-dir", str(settings.data_dir)]


def test_the_dashboard_command_the_demo_names_serves_on_the_demos_port(tmp_path):
    """Regression: a demo served on --port 8502 named a command that serves on 8501."""
    settings = load_settings(str(tmp_path / "data"), reads_posts=False)
    command = _named_command(demo_outputs(settings, port=8502).splitlines()[1])
    assert command[-2:] == ["--port", "8502"]
