"""An export that runs out of room names the file it was writing and says the disk is full
(exit 9), leaving no file of it behind. Before, polars' error named no file: `Error: No space
left on device (os error 28)`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from tests.warehouse.conftest import D1, cell, publish
from transforms.contracts import DAILY_SCHEMA

REPO = Path(__file__).resolve().parents[2]


def test_an_export_onto_a_full_disk_names_the_file_and_the_want_of_room(tmp_path):
    rows = [
        cell(D1 + timedelta(days=i), marker=marker, region=region)
        for i in range(60)
        for marker in ("sadness", "joy")
        for region in ("all", "north", "south")
    ]
    data_dir = tmp_path / "data"
    publish(data_dir, pl.DataFrame(rows, schema=DAILY_SCHEMA))
    mount = tmp_path / "small"
    mount.mkdir()
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare (util-linux)")
    out = mount / "out"
    code = (
        "from moodcast.cli import cli\n"
        f"cli(['export', '-o', {str(out)!r}, '--data-dir', {str(data_dir)!r}])\n"
    )
    script = f'mount -t tmpfs -o size=8k moodcast "{mount}" || exit 97; "$0" -c "$1"; echo "rc=$?"; ls -A "{out}"'
    run = subprocess.run(
        [unshare, "--map-root-user", "--mount", "sh", "-c", script, sys.executable, code],
        capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    if run.returncode == 97 or run.stderr.startswith("unshare:"):
        pytest.skip(f"cannot mount a small file system here: {run.stderr.strip()}")
    assert "Traceback" not in run.stderr, run.stderr
    assert run.stdout.splitlines() == ["rc=9"], run.stdout + run.stderr
    message = " ".join(run.stderr.split())
    assert f"Error: {out / 'timelines.csv'}: the disk holding {out} is full" in message
