"""Run Python code with a small tmpfs mounted in a mount namespace of its own, to meet real
file-system conditions (a read-only file system, a full disk) that root's permissions cannot
fake."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]


def on_tmpfs(mount: Path, code: str, *, options: str) -> subprocess.CompletedProcess:
    """Run Python `code` (cwd: the repository) with an empty tmpfs mounted at the existing
    directory `mount` with `options` (e.g. `ro,size=64k`, `size=8k`), in a mount namespace of
    its own (`unshare`: root, or an unprivileged user namespace); skip the test where the
    machine allows neither."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare (util-linux)")
    script = f'mount -t tmpfs -o {options} moodcast "{mount}" || exit 97; exec "$0" -c "$1"'
    run = subprocess.run(
        [unshare, "--map-root-user", "--mount", "sh", "-c", script, sys.executable, code],
        capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    if run.returncode == 97 or run.stderr.startswith("unshare:"):
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip()}")
    return run


def moodcast_on_tmpfs(
    mount: Path, args: list[str], *, options: str, listed: Path
) -> subprocess.CompletedProcess:
    """Run `moodcast ARGS` on a tmpfs at `mount` (`on_tmpfs`); its stdout is then the names in
    the directory `listed`, as a Python list, once the command ended (by an error too)."""
    code = (
        "import os\n"
        "from moodcast.cli import cli\n"
        "try:\n"
        f"    cli({args!r})\n"
        "finally:\n"
        f"    print(sorted(os.listdir({str(listed)!r})))\n"
    )
    return on_tmpfs(mount, code, options=options)
