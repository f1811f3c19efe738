"""A new process runs a changed kernel's new code, even in a cached kernel whose file did not change.

numba keys a cached kernel on its own file's bytes only and inlines the kernels it calls; the
tests build a caller and a callee kernel in a copy of the `transforms` package and change the
callee only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from transforms import kernel_cache

GUARD = "from transforms.kernel_cache import use_kernel_cache\n\nuse_kernel_cache()\n"
CALLEE = "import numba\n{guard}\n@numba.njit(cache=True)\ndef answer():\n    return {value}\n"
CALLER = (
    "import numba\n\nfrom transforms.callee import answer\n{guard}\n"
    "@numba.njit(cache=True)\ndef ask():\n    return answer()\n"
)


def build(root: Path, *, guard: bool, value: int) -> None:
    package = root / "transforms"
    package.mkdir(parents=True, exist_ok=True)
    for name in ("__init__.py", "kernel_cache.py"):
        shutil.copy(kernel_cache.PACKAGE / name, package / name)
    (package / "callee.py").write_text(CALLEE.format(guard=GUARD if guard else "", value=value))
    (package / "caller.py").write_text(CALLER.format(guard=GUARD if guard else ""))


ASK = (
    "import logging; logging.basicConfig(level=logging.INFO)\n"
    "from transforms.caller import ask; print(ask())"
)


def start(root: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", ASK],
        cwd=root,
        env={**env, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def answers(
    root: Path, env: dict[str, str], *, processes: int = 1, logged: list[str] | None = None
) -> list[int]:
    started = [start(root, env) for _ in range(processes)]
    results = []
    for process in started:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(int(out))
        if logged is not None:
            logged.append(err)
    return results


def environment(tmp_path: Path, *, numba_cache_dir: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")
    if numba_cache_dir:
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-cache")
    return env


def cached_files(tmp_path: Path) -> list[Path]:
    return [p for p in tmp_path.rglob("*") if p.suffix in (".nbi", ".nbc")]


@pytest.mark.parametrize("numba_cache_dir", [False, True], ids=["in-tree", "NUMBA_CACHE_DIR"])
def test_a_changed_callee_reaches_its_unchanged_cached_caller(tmp_path, numba_cache_dir):
    root, env = tmp_path / "tree", environment(tmp_path, numba_cache_dir=numba_cache_dir)
    build(root, guard=True, value=1)
    assert answers(root, env, processes=2) == [1, 1]
    assert answers(root, env) == [1]
    assert cached_files(tmp_path)
    build(root, guard=True, value=2)
    assert answers(root, env, processes=2) == [2, 2]
    assert not list((tmp_path / "user-cache").rglob("*.nbi"))


def test_without_the_guard_numba_runs_the_old_callee(tmp_path):
    """The failure the guard prevents (numba 0.68); if this starts to fail, numba keys a cached
    kernel on its callees too and the guard may go."""
    root, env = tmp_path / "tree", environment(tmp_path, numba_cache_dir=False)
    build(root, guard=False, value=1)
    assert answers(root, env) == [1]
    build(root, guard=False, value=2)
    assert answers(root, env) == [1]


def transforms_kernels() -> list:
    """Every numba kernel (Dispatcher) bound to a name in a module of the `transforms` package."""
    from numba.core.dispatcher import Dispatcher

    import transforms.author_bits
    import transforms.json_lines
    import transforms.langid
    import transforms.markers.engine
    import transforms.ngram_hashing
    import transforms.timestamps  # noqa: F401

    kernels = [
        value
        for module in list(sys.modules.values())
        if module and module.__name__.startswith("transforms")
        for value in vars(module).values()
        if isinstance(value, Dispatcher)
    ]
    assert len(kernels) > 30
    return kernels


def test_every_kernel_of_transforms_is_cached_in_the_versioned_folder():
    """Every module that defines a kernel calls use_kernel_cache before its first one: numba
    reads `numba.config.CACHE_DIR` when a kernel is defined. The cache folder is read from numba
    internals (`Dispatcher._cache._impl.locator`, numba 0.68)."""
    kernels = transforms_kernels()
    folder = kernel_cache.use_kernel_cache()
    paths = {kernel._cache._impl.locator.get_cache_path() for kernel in kernels}
    assert all(Path(path).is_relative_to(folder) for path in paths), paths


def test_every_kernel_of_transforms_releases_the_gil():
    """No kernel holds a Python object, so each releases the GIL while Python calls it: threads
    of one worker process (Beam's multi_threading mode, a threaded SDK harness) run the scanner
    and the other compiled passes side by side. A kernel that only other kernels call is held
    to it too, so that it stays true of whichever kernel Python calls next."""
    kernels = transforms_kernels()
    assert [k.py_func.__name__ for k in kernels if not k.targetoptions.get("nogil")] == []


def test_the_digest_follows_every_source_file(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    (tmp_path / "data.toml").write_text("z = 3\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "c.py").write_text("")
    before = kernel_cache.source_digest(tmp_path)
    (tmp_path / "data.toml").write_text("z = 4\n")
    (tmp_path / "__pycache__" / "c.py").write_text("w = 5\n")
    assert kernel_cache.source_digest(tmp_path) == before
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    assert kernel_cache.source_digest(tmp_path) != before


def test_an_unwritable_place_is_passed_over(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert kernel_cache.first_writable([blocked / "cache", tmp_path / "ok"]) == tmp_path / "ok"
    assert kernel_cache.first_writable([blocked / "cache"]) is None


def test_choosing_again_gives_the_same_folder_not_one_inside_it():
    assert kernel_cache.use_kernel_cache.__wrapped__() == kernel_cache.use_kernel_cache()


def cache_folder(base: Path, name: str, *, days_old: float, extra: str | None = None) -> Path:
    """A kernel folder `base/name` like numba's (an index and a data file in a subfolder), with
    everything in it last modified `days_old` days ago; `extra` adds a file of that name."""
    folder = base / name
    (folder / "transforms_0a1b").mkdir(parents=True)
    names = ["caller.ask-5.py311.nbi", "caller.ask-5.py311.1.nbc", *([extra] if extra else [])]
    for file in names:
        (folder / "transforms_0a1b" / file).write_bytes(b"")
    stamp = time.time() - days_old * 86400
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (stamp, stamp))
    return folder


def test_only_other_versions_unused_for_long_enough_are_pruned(tmp_path):
    days = kernel_cache.KEEP_UNUSED_DAYS
    ours = cache_folder(tmp_path, "00000000000000aa", days_old=days + 30)
    stale = cache_folder(tmp_path, "00000000000000bb", days_old=days + 1)
    recent = cache_folder(tmp_path, "00000000000000cc", days_old=days - 1)
    foreign = cache_folder(tmp_path, "00000000000000dd", days_old=days + 1, extra="notes.txt")
    other_name = cache_folder(tmp_path, "not-a-digest", days_old=days + 1)
    deleted = kernel_cache.prune_unused(tmp_path, keep=ours.name)
    assert deleted == [stale]
    assert [p for p in (ours, stale, recent, foreign, other_name) if p.exists()] == [
        ours, recent, foreign, other_name
    ]  # fmt: skip


def test_a_file_written_lately_keeps_its_folder(tmp_path):
    stale = cache_folder(tmp_path, "00000000000000bb", days_old=kernel_cache.KEEP_UNUSED_DAYS + 1)
    fresh = stale / "transforms_0a1b" / "caller.ask-5.py311.2.nbc"
    fresh.write_bytes(b"")
    assert kernel_cache.prune_unused(tmp_path, keep="00000000000000aa") == []
    assert fresh.exists()


def test_a_new_version_prunes_the_old_folder_once_unused(tmp_path):
    """A process of a new version leaves the old version's folder while it was used lately and
    deletes it once unused for KEEP_UNUSED_DAYS; its own folder is marked used as it starts."""
    root, env = tmp_path / "tree", environment(tmp_path, numba_cache_dir=True)
    base = tmp_path / "numba-cache"
    build(root, guard=True, value=1)
    assert answers(root, env) == [1]
    [old] = [p for p in base.iterdir() if p.is_dir()]
    build(root, guard=True, value=2)
    assert answers(root, env) == [2]
    assert old.exists()
    stamp = time.time() - (kernel_cache.KEEP_UNUSED_DAYS + 1) * 86400
    for path in [old, *old.rglob("*")]:
        os.utime(path, (stamp, stamp))
    [new] = [p for p in base.iterdir() if p.is_dir() and p != old]
    os.utime(new, (stamp, stamp))
    assert answers(root, env) == [2]
    assert not old.exists()
    assert new.stat().st_mtime > stamp + 86400


def test_the_first_process_of_a_version_says_it_compiles_the_kernels(tmp_path):
    """A fresh install's first run compiles for tens of seconds: it says so, once."""
    root, env = tmp_path / "tree", environment(tmp_path, numba_cache_dir=True)
    build(root, guard=True, value=1)
    first, again = [], []
    assert answers(root, env, logged=first) == [1]
    assert answers(root, env, logged=again) == [1]
    assert "compiling the marker kernels for this version" in first[0]
    assert "compiling" not in again[0]


def test_processes_compiling_a_new_version_together_say_so_once(tmp_path):
    """Regression: on a fresh install each of Beam's workers logged that it compiles the
    kernels, one line per worker."""
    root, env = tmp_path / "tree", environment(tmp_path, numba_cache_dir=True)
    build(root, guard=True, value=1)
    logged = []
    assert answers(root, env, processes=4, logged=logged) == [1] * 4
    assert sum("compiling the marker kernels" in err for err in logged) == 1
    [folder] = [p for p in (tmp_path / "numba-cache").iterdir() if p.is_dir()]
    assert (folder / kernel_cache.NOTICE_FILE).exists()
    assert kernel_cache.unused_since(folder, time.time() + 1)


def test_a_notice_left_by_a_compilation_long_ago_does_not_silence_the_next(tmp_path):
    """Regression: the notice file, once written, silenced every later compilation into its
    folder: one killed while compiling (nothing written) or one numba had to redo (numba
    upgraded, the cache files deleted) compiled for tens of seconds without a word."""
    root, env = tmp_path / "tree", environment(tmp_path, numba_cache_dir=True)
    build(root, guard=True, value=1)
    assert answers(root, env) == [1]
    [folder] = [p for p in (tmp_path / "numba-cache").iterdir() if p.is_dir()]
    for path in cached_files(tmp_path):
        path.unlink()
    notice = folder / kernel_cache.NOTICE_FILE
    stale = time.time() - kernel_cache.NOTICE_FRESH_S - 60
    os.utime(notice, (stale, stale))
    logged = []
    assert answers(root, env, logged=logged) == [1]
    assert "compiling the marker kernels for this version" in logged[0]
    assert notice.stat().st_mtime > stale + 60
    assert sorted(p.name for p in folder.iterdir() if "notice" in p.name) == [notice.name]


def test_a_notice_written_lately_still_silences_another_process(tmp_path):
    root, env = tmp_path / "tree", environment(tmp_path, numba_cache_dir=True)
    build(root, guard=True, value=1)
    assert answers(root, env) == [1]
    for path in cached_files(tmp_path):
        path.unlink()
    logged = []
    assert answers(root, env, logged=logged) == [1]
    assert "compiling" not in logged[0]
