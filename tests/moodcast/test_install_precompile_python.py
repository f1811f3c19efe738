"""infra/install.sh reads PYTHON as the interpreter that creates `.venv`; infra/precompile.sh, its
last step, reads PYTHON as the interpreter that runs moodcast. An install started as
`PYTHON=python3.12 bash infra/install.sh` must still precompile with `.venv/bin/python`: the
other has none of moodcast's packages, so the precompile failed, the install only warned, and
the first demo compiled the kernels after all. Both interpreters here are stand-ins that write
down how they were called (the real install downloads ~2 GB)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _recorder(path: Path, log: Path) -> None:
    """An executable at `path` that appends its name and arguments to `log` and succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/usr/bin/env bash\necho "{path.name}|$*" >> {log}\n')
    path.chmod(0o755)


def test_the_install_precompiles_with_the_venvs_python_whatever_python_names(tmp_path):
    tree = tmp_path / "tree"
    (tree / "infra").mkdir(parents=True)
    for name in ("infra/install.sh", "infra/precompile.sh", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tree / name)
    log = tmp_path / "calls.log"
    _recorder(tree / ".venv" / "bin" / "python", log)
    _recorder(tmp_path / "bin" / "system-python", log)

    env = {**os.environ, "PYTHON": str(tmp_path / "bin" / "system-python")}
    done = subprocess.run(
        ["bash", str(tree / "infra" / "install.sh")],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    demos = [line.split("|")[0] for line in log.read_text().splitlines() if " demo " in line]
    assert demos == ["python"], log.read_text()
