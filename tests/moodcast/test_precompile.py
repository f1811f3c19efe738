"""infra/precompile.sh (the install's last step) compiles the numba kernels into the cache a
later process loads them from: a fresh clone's first demo compiled them (~40 CPU s, in the
first minutes a user waits for the dashboard). After it, a `moodcast tag` taking the compiled
paths compiles nothing: it writes no file into the cache (numba writes each kernel it compiles
there)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from transforms.engines import COMPILED_FROM

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_after_the_precompile_a_later_process_compiles_no_kernel(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), "PYTHON": sys.executable}
    env["PYTHONPATH"] = str(ROOT)
    subprocess.run(
        ["bash", str(ROOT / "infra" / "precompile.sh")], env=env, check=True, timeout=900
    )
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "".join(
            json.dumps({"id": str(i), "created_at": 1736158502 + i, "text": f"so sad {i}"}) + "\n"
            for i in range(COMPILED_FROM)
        )
    )
    cache = tmp_path / "numba"
    before = _files(cache)
    assert any(name.endswith(".nbc") for name, _ in before)
    args = ["tag", str(posts), "-o", str(tmp_path / "t.parquet"), "--lang", "en"]
    done = subprocess.run(
        [sys.executable, "-c", "from moodcast.cli import cli; cli()", *args,
         "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _files(cache) == before


def _files(folder: Path) -> set[tuple[str, int]]:
    """Each file under `folder` (relative path) with its modification time."""
    return {
        (str(path.relative_to(folder)), path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file() and path.name != "compiling.notice"
    }
