"""Where numba caches our compiled kernels: one folder per version of the `transforms` source.

numba 0.68 keys a cached kernel on the bytes of its own file only, while the cached machine
code holds every kernel it calls from other files and the module constants it reads (inlined).
After an upgrade that changes a callee but not its caller, numba would load the caller's old
code. So every module that defines a kernel calls `use_kernel_cache` before its first one: the
cache directory (`numba.config.CACHE_DIR`, which numba reads when a kernel is defined) becomes
a folder named after a digest of every `.py` file of the `transforms` package, under the first
writable of `NUMBA_CACHE_DIR`, the package's own `__pycache__/numba` and
`$XDG_CACHE_HOME/moodcast/numba` (`~/.cache/moodcast/numba`). A new version compiles into a new
folder; nothing is deleted, so processes of two versions, or two processes starting together,
never see each other's kernels half written or removed (numba writes each file atomically)."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numba

PACKAGE = Path(__file__).resolve().parent


def source_files(package: Path = PACKAGE) -> list[Path]:
    """Every `.py` file under `package`, in path order; `__pycache__` folders (which hold the
    compiled kernels) are not walked."""
    found = []
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        found += [Path(folder, name) for name in files if name.endswith(".py")]
    return sorted(found)


def source_digest(package: Path = PACKAGE) -> str:
    """A hex digest (16 characters) of the relative paths and bytes of `source_files(package)`."""
    digest = hashlib.sha256()
    for path in source_files(package):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def first_writable(candidates: Iterable[Path]) -> Path | None:
    """The first of `candidates` that exists or can be created and takes a new file (numba's own
    test of a cache directory), or None."""
    for path in candidates:
        try:
            path.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=path).close()
        except OSError:
            continue
        return path
    return None


def base_candidates() -> list[Path]:
    """Where the versioned folders may go, in order of preference: the environment's
    `NUMBA_CACHE_DIR` when set (not `numba.config.CACHE_DIR`, which holds a versioned folder
    once this module chose one), the package's `__pycache__/numba`, then the user's cache
    directory."""
    user_cache = Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"))
    candidates = [PACKAGE / "__pycache__" / "numba", user_cache / "moodcast" / "numba"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        candidates.insert(0, Path(os.environ["NUMBA_CACHE_DIR"]))
    return candidates


@functools.cache
def use_kernel_cache() -> Path | None:
    """Point numba's cache of the kernels defined from now on at this source version's folder
    and return it; the same folder on every call of a process. None when no candidate is
    writable: numba's own locators then choose, as without this guard."""
    base = first_writable(base_candidates())
    if base is None:
        return None
    folder = base / source_digest()
    folder.mkdir(exist_ok=True)
    numba.config.CACHE_DIR = str(folder)
    return folder
