"""py3langid's model is kept decompressed in the user's cache (transforms.langid_model): the
first load writes it, later loads read it, and a cached file that is corrupt, truncated or
made from another model file is rebuilt, never used. Every load gives the identifier
py3langid's own `from_model_file` gives."""

from __future__ import annotations

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from transforms.langid_model import cache_dir, load_identifier, read_cached

SHIPPED = LanguageIdentifier.from_model_file(MODEL_FILE)


def _same_as_shipped(identifier) -> bool:
    return (
        identifier.nb_classes == SHIPPED.nb_classes
        and identifier.tk_nextmove == SHIPPED.tk_nextmove
        and identifier.tk_row == SHIPPED.tk_row
        and identifier.tk_output == SHIPPED.tk_output
        and identifier.nb_ptc.dtype == SHIPPED.nb_ptc.dtype
        and np.array_equal(identifier.nb_ptc, SHIPPED.nb_ptc)
        and np.array_equal(identifier.nb_pc, SHIPPED.nb_pc)
        and identifier.classify("I could not sleep again last night")
        == SHIPPED.classify("I could not sleep again last night")
    )


@pytest.fixture
def cached(tmp_path, monkeypatch):
    """The cache file a first load writes under a fresh XDG_CACHE_HOME, and its digest."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _same_as_shipped(load_identifier())
    (path,) = cache_dir().glob("*.npz")
    with np.load(path) as data:
        digest = str(data["source"])
    return path, digest


def test_the_first_load_writes_the_cache_and_the_next_reads_it(cached):
    path, digest = cached
    assert read_cached(path, digest) is not None
    before = path.stat().st_ino, path.stat().st_size
    assert _same_as_shipped(load_identifier())
    assert (path.stat().st_ino, path.stat().st_size) == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def _flipped(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(_flipped, id="a byte flipped"),
        pytest.param(lambda data: data[: len(data) // 3], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_a_corrupt_cache_is_rebuilt(cached, damage):
    path, digest = cached
    path.write_bytes(damage(path.read_bytes()))
    assert read_cached(path, digest) is None
    assert _same_as_shipped(load_identifier())
    assert read_cached(path, digest) is not None


def test_a_cache_made_from_another_model_file_is_rebuilt(cached):
    path, digest = cached
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["classes"] = np.array(["xx"] * arrays["classes"].size)
    np.savez_compressed(path, **{**arrays, "source": np.array("0" * 64)})
    assert read_cached(path, digest) is None
    assert _same_as_shipped(load_identifier())
    assert read_cached(path, digest) is not None


def test_a_cache_that_cannot_be_written_still_loads_the_model(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert _same_as_shipped(load_identifier())
