"""A load of py3langid's decompressed model from the user's cache (transforms.langid_model)
marks its file used and removes the folder's files of other py3langid versions or model digests
unused for KEEP_UNUSED_DAYS (a recent one, another install's, stays) and the temporary files a
killed writer left, keeps a concurrent writer's fresh one, and still loads the model where
nothing can be removed."""

from __future__ import annotations

import os
import stat
import subprocess
import time

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from transforms.langid_model import KEEP_UNUSED_DAYS, STALE_TMP_S, cache_dir, load_identifier

SAMPLE = "I could not sleep again last night"
EXPECTED = LanguageIdentifier.from_model_file(MODEL_FILE).classify(SAMPLE)
UNUSED = (KEEP_UNUSED_DAYS + 1) * 86400


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """cache_dir() under a fresh XDG_CACHE_HOME, created empty."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache_dir().mkdir(parents=True)
    return cache_dir()


def _aged(path, seconds, *, folder=False):
    """`path` created (a small file, or an empty folder), last modified `seconds` ago."""
    if folder:
        path.mkdir()
    else:
        path.write_bytes(b"x" * 100)
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def _current_cache():
    """The one model file in cache_dir()."""
    (path,) = (p for p in cache_dir().glob("py3langid-*.npz") if p.is_file())
    return path


def test_other_versions_files_unused_for_long_are_removed_and_recent_ones_kept(folder):
    older = _aged(folder / "py3langid-0.2.2-0123456789abcdef.npz", UNUSED)
    other_digest = _aged(folder / "py3langid-0.3.0-fedcba9876543210.npz", UNUSED)
    other_install = _aged(folder / "py3langid-0.3.1-0123456789abcdef.npz", 86400)
    unrelated = _aged(folder / "notes.txt", UNUSED)
    assert load_identifier().classify(SAMPLE) == EXPECTED
    assert not older.exists() and not other_digest.exists()
    assert other_install.exists() and unrelated.exists()
    (current,) = set(folder.glob("py3langid-*.npz")) - {other_install}
    assert current.stat().st_size > 1_000_000


def test_a_load_that_reads_the_cache_marks_it_used_and_prunes(folder):
    assert load_identifier().classify(SAMPLE) == EXPECTED
    current = _current_cache()
    then = time.time() - UNUSED
    os.utime(current, (then, then))
    older = _aged(folder / "py3langid-0.2.2-0123456789abcdef.npz", UNUSED)
    written = current.stat().st_size
    assert load_identifier().classify(SAMPLE) == EXPECTED
    assert current.stat().st_size == written
    assert time.time() - current.stat().st_mtime < 3600
    assert not older.exists()


def test_a_stale_temporary_file_is_removed_and_a_fresh_one_kept(folder):
    stale = _aged(folder / "tmpkilled.tmp", STALE_TMP_S + 60)
    fresh = _aged(folder / "tmpwriting.tmp", 5)
    assert load_identifier().classify(SAMPLE) == EXPECTED
    assert not stale.exists()
    assert fresh.exists()


def test_entries_that_cannot_be_removed_are_left_and_the_model_loads(folder):
    older = _aged(folder / "py3langid-0.2.2-0123456789abcdef.npz", UNUSED, folder=True)
    stale = _aged(folder / "tmpkilled.tmp", STALE_TMP_S + 60, folder=True)
    removable = _aged(folder / "py3langid-0.2.1-0123456789abcdef.npz", UNUSED)
    assert load_identifier().classify(SAMPLE) == EXPECTED
    assert older.is_dir() and stale.is_dir()
    assert not removable.exists()
    assert _current_cache().is_file()


def _read_only(path) -> bool:
    """Make folder `path` refuse new and removed entries (its mode; as root, whom modes do not
    stop, its immutable attribute where the file system has one); whether that worked."""
    path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        (path / "probe").touch()
    except OSError:
        return True
    (path / "probe").unlink()
    return _chattr("+i", path)


def _writable(path) -> None:
    _chattr("-i", path)
    path.chmod(stat.S_IRWXU)


def _chattr(flag: str, path) -> bool:
    """Whether `chattr flag path` ran and succeeded (False where there is no chattr, as on
    macOS)."""
    try:
        done = subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False)
    except OSError:
        return False
    return done.returncode == 0


def test_a_read_only_cache_folder_still_loads_and_is_cleaned_once_writable(folder):
    older = _aged(folder / "py3langid-0.2.2-0123456789abcdef.npz", UNUSED)
    stale = _aged(folder / "tmpkilled.tmp", STALE_TMP_S + 60)
    if not _read_only(folder):
        _writable(folder)
        pytest.skip("no way to make a folder read-only here")
    try:
        assert load_identifier().classify(SAMPLE) == EXPECTED
        assert sorted(p.name for p in folder.iterdir()) == [older.name, stale.name]
    finally:
        _writable(folder)
    assert load_identifier().classify(SAMPLE) == EXPECTED
    assert [p.name for p in folder.iterdir()] == [_current_cache().name]
