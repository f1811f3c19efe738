"""Where numba caches our compiled kernels: one folder per version of the `transforms` source.

numba 0.68 keys a cached kernel on the bytes of its own file only, while the cached machine
code holds every kernel it calls from other files and the module constants it reads (inlined).
After an upgrade that changes a callee but not its caller, numba would load the caller's old
code. So every module that defines a kernel calls `use_kernel_cache` before its first one: the
cache directory (`numba.config.CACHE_DIR`, which numba reads when a kernel is defined) becomes
a folder named after a digest of every `.py` file of the `transforms` package, under the first
writable of `NUMBA_CACHE_DIR`, the package's own `__pycache__/numba` and
`$XDG_CACHE_HOME/moodcast/numba` (`~/.cache/moodcast/numba`). A new version compiles into a new
folder, so processes of two versions, or two processes starting together, never see each other's
kernels half written (numba writes each file atomically). A process marks its folder used when
it starts; the folders of other versions are deleted once unused for KEEP_UNUSED_DAYS
(`prune_unused`)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import numba
import numba.core.event

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent

KEEP_UNUSED_DAYS = 14
"""How long the kernel folder of another source version is kept after its last use (a process
of that version starting, or numba writing a kernel there). A version that runs at all, daily or
weekly, keeps its folder. Deleting one is safe in any case but one: numba loads a kernel whose
file is gone as a cache miss and recompiles it, creating the folder again before it writes; only
a process of that version writing a kernel at the moment the folder goes would fail."""

NOTICE_FILE = "compiling.notice"
"""The empty file that the first process to compile into a version's folder creates there, so
that of the processes compiling it (Beam's workers, starting together) only that one says so."""
NOTICE_FRESH_S = 600
"""How long a NOTICE_FILE silences the notice of another process compiling into its folder
(seconds since it was written): long enough for workers starting together, so that one left by a
compilation that never finished (a killed process), or by the last time numba had to compile
(numba or the CPU changed, cache files deleted), does not silence the next one."""

DIGEST_NAME = re.compile(r"[0-9a-f]{16}")
CACHE_FILE = re.compile(rf".+\.(nbi|nbc)(\.tmp\.[0-9a-f]+)?|{re.escape(NOTICE_FILE)}(\.\d+)?")


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
    and return it; the same folder on every call of a process. The folder's time is set to now
    (its last use) and the folders of other versions unused for KEEP_UNUSED_DAYS are deleted
    (prune_unused). None when no candidate is writable: numba's own locators then choose, as
    without this guard. The first compilation of one of our kernels into the folder is logged
    once, by one process (CompilingNotice): on a new install or version it takes tens of seconds
    of the first run."""
    base = first_writable(base_candidates())
    if base is None:
        return None
    folder = base / source_digest()
    folder.mkdir(exist_ok=True)
    numba.core.event.register("numba:compile", CompilingNotice(folder))
    with contextlib.suppress(OSError):
        os.utime(folder)
    prune_unused(base, keep=folder.name)
    numba.config.CACHE_DIR = str(folder)
    return folder


class CompilingNotice(numba.core.event.Listener):
    """Logs (INFO) that numba compiles a kernel of the `transforms` package into `folder`, in
    the one process that compiles into it first (first_to_compile: the first to create
    NOTICE_FILE there, atomically, or to replace a stale one), so that Beam's workers compiling
    together on a fresh install give one line, not one each. numba's event fires on a cache miss
    only, never for a cached kernel."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.told = False

    def on_start(self, event: numba.core.event.Event) -> None:
        dispatcher = (event.data or {}).get("dispatcher")
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if self.told or module.split(".")[0] != PACKAGE.name:
            return
        self.told = True
        if not first_to_compile(self.folder):
            return
        log.info(
            "compiling the marker kernels for this version into %s: about 30 s of CPU in each "
            "process that starts before they are written (Beam's workers on a fresh install), "
            "then never again",
            self.folder,
        )

    def on_end(self, event: numba.core.event.Event) -> None:
        pass


def first_to_compile(folder: Path) -> bool:
    """Whether this process is the first to compile into `folder` lately: it creates NOTICE_FILE
    there (atomically), or replaces one older than NOTICE_FRESH_S (renaming the old one away
    first, which one process only can do, and putting back one that another process had just
    written). True where the folder cannot be written."""
    notice = folder / NOTICE_FILE
    try:
        notice.open("x").close()
        return True
    except FileExistsError:
        pass
    except OSError:
        return True
    taken = notice.with_name(f"{NOTICE_FILE}.{os.getpid()}")
    try:
        if time.time() - notice.stat().st_mtime < NOTICE_FRESH_S:
            return False
        notice.rename(taken)
        if time.time() - taken.stat().st_mtime < NOTICE_FRESH_S:
            taken.rename(notice)
            return False
        taken.unlink()
        notice.open("x").close()
    except OSError:
        return False
    return True


def prune_unused(
    base: Path, *, keep: str, days: float = KEEP_UNUSED_DAYS, now: float | None = None
) -> list[Path]:
    """Delete the folders of `base` named like a source digest, other than `keep`, that are
    `unused_since` `days` days before `now` (default: the current time); return them. A folder
    that another process deletes or writes to meanwhile is passed over."""
    cutoff = (time.time() if now is None else now) - days * 86400
    deleted = []
    for folder in sorted(base.iterdir()):
        if folder.name == keep or not DIGEST_NAME.fullmatch(folder.name) or folder.is_symlink():
            continue
        try:
            if unused_since(folder, cutoff):
                shutil.rmtree(folder)
                deleted.append(folder)
        except OSError:
            continue
    return deleted


def unused_since(folder: Path, cutoff: float) -> bool:
    """Whether `folder` is a directory that holds numba cache files only (`.nbi`, `.nbc`,
    numba's temporary files and NOTICE_FILE, in any subfolders) and in which nothing, the
    folder itself included, was modified at or after `cutoff` (seconds since the epoch)."""
    if not folder.is_dir() or folder.stat().st_mtime >= cutoff:
        return False
    paths = list(folder.rglob("*"))
    if any(not path.is_dir() and not CACHE_FILE.fullmatch(path.name) for path in paths):
        return False
    return all(path.stat().st_mtime < cutoff for path in paths)
