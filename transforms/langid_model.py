"""py3langid's model, kept decompressed in the user's cache.

py3langid stores its model as an LZMA-compressed npz (4.5 MB); decompressing it takes about
0.3 of the 0.45 CPU s its load costs, on every process that identifies a language (a small
`moodcast tag`). The first load writes the same arrays to `$XDG_CACHE_HOME/moodcast/langid`
(`~/.cache/moodcast/langid`) as a deflated npz (10 MB, about 0.2 CPU s to read), named after
py3langid's version and a digest of its model file, and written atomically (a temporary file,
then `os.replace`), so an upgraded model gets a file of its own and two processes starting
together never read one half written. A cached file is used only where it reads whole (the
zip's checksums), holds the digest of the model file it was made from and the arrays of the
expected types and shapes; any other (corrupt, truncated, a deflate stream that does not
inflate, from another model) is rebuilt from py3langid's file. Where no cache can be written (a
read-only home) the model loads as before.

Every load marks its file used (its modification time set to now) and removes, from the same
folder, the other `py3langid-*.npz` files (other py3langid versions or model digests: 10 MB
each, one per upgrade) that no load has used for KEEP_UNUSED_DAYS, as the numba kernel cache
prunes its folders (transforms.kernel_cache), so two installs of different versions sharing
the folder keep a file each; and the `*.tmp` files not modified for STALE_TMP_S (left by a
writer that was killed; a concurrent writer's is younger and stays). A file that cannot be
touched or removed (a read-only folder, a file already gone) is left, and the load goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
import zipfile
import zlib
from array import array
from importlib.metadata import version
from pathlib import Path

import numpy as np

ARRAYS = {
    "ptc": np.float16,
    "pc": np.float32,
    "classes": np.str_,
    "nextmove": np.unsignedinteger,
    "nextmove_row": np.unsignedinteger,
    "out_feat": np.int32,
}
"""The arrays of py3langid's model file (py3langid.modelio.save_model), by the type each has."""

KEEP_UNUSED_DAYS = 14
"""Days after its last use (its modification time) that a load removes another version's model
file from cache_dir(): the numba kernel cache's rule (transforms.kernel_cache.KEEP_UNUSED_DAYS,
not imported here: that module loads numba)."""

STALE_TMP_S = 3600
"""Seconds since a `*.tmp` file in cache_dir() was last modified after which a load that writes
the cache removes it: writing the file takes about a second, so only a killed writer leaves one
this old."""


def cache_dir() -> Path:
    """Where the decompressed model is kept: `$XDG_CACHE_HOME/moodcast/langid`, by default
    `~/.cache/moodcast/langid`."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "moodcast" / "langid"


def load_identifier():
    """py3langid's LanguageIdentifier of its shipped model (as `from_model_file` loads it), its
    arrays read from the decompressed copy in cache_dir(), which is written first where it is
    missing or not usable, the folder's other model files and stale temporary files then
    removed (remove_others; module docstring)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    source = MODEL_DIR / MODEL_FILE
    with open(source, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    cached = cache_dir() / f"py3langid-{version('py3langid')}-{digest[:16]}.npz"
    arrays = read_cached(cached, digest)
    if arrays is None:
        from py3langid.modelio import load_model

        ptc, pc, classes, nextmove, row, output = load_model(source)
        arrays = {
            "ptc": np.asarray(ptc),
            "pc": np.asarray(pc),
            "classes": np.array(classes),
            "nextmove": np.frombuffer(nextmove, dtype=np.dtype(nextmove.typecode)),
            "nextmove_row": np.frombuffer(row, dtype=np.dtype(row.typecode)),
            "out_feat": np.asarray(output, dtype=np.int32),
        }
        write_cached(cached, digest, arrays)
    remove_others(cached)
    return LanguageIdentifier(
        arrays["ptc"],
        arrays["pc"],
        arrays["classes"].tolist(),
        _typed(arrays["nextmove"]),
        arrays["out_feat"].tolist(),
        tk_row=_typed(arrays["nextmove_row"]),
    )


def read_cached(path: Path, digest: str) -> dict[str, np.ndarray] | None:
    """The model's arrays from the cached file at `path`, or None where it is missing, cannot be
    read whole, was made from a model file of another `digest`, or holds arrays of other names,
    types or shapes than py3langid's model."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if sorted(data.files) != sorted([*ARRAYS, "source"]):
                return None
            if str(data["source"]) != digest:
                return None
            arrays = {name: data[name] for name in ARRAYS}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
        return None
    typed = all(np.issubdtype(arrays[n].dtype, kind) for n, kind in ARRAYS.items())
    if not typed or arrays["ptc"].ndim != 2 or arrays["nextmove"].size % 256:
        return None
    classes = arrays["ptc"].shape[1] == arrays["pc"].size == arrays["classes"].size
    states = arrays["nextmove_row"].size == arrays["out_feat"].size
    return arrays if classes and states else None


def write_cached(path: Path, digest: str, arrays: dict[str, np.ndarray]) -> None:
    """Write `arrays` and the model file's `digest` to `path` as an npz deflated at level 1
    (numpy's savez_compressed deflates at 6: 10 MB instead of 8, but a load that writes the file
    takes 0.9 CPU s instead of 1.65, benchmarks/langid_cache.py), atomically; nothing where the
    folder cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with (
            os.fdopen(handle, "wb") as out,
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        ):
            for key, values in {"source": np.array(digest), **arrays}.items():
                with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, values, allow_pickle=False)
        os.replace(name, path)
    except OSError:
        Path(name).unlink(missing_ok=True)


def remove_others(path: Path, now: float | None = None) -> None:
    """Mark `path` used (its modification time set to `now`, default the current time), then
    remove the `py3langid-*.npz` files in its folder other than `path` not modified for
    KEEP_UNUSED_DAYS, and the `*.tmp` files there not modified for STALE_TMP_S seconds; a file
    that cannot be touched or removed (a read-only folder, a file gone meanwhile) is left, and
    nothing is raised."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError):
        os.utime(path, (now, now))
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return
    cutoffs = {"py3langid-*.npz": now - KEEP_UNUSED_DAYS * 86400, "*.tmp": now - STALE_TMP_S}
    for entry in entries:
        with contextlib.suppress(OSError):
            cutoff = next((c for glob, c in cutoffs.items() if entry.match(glob)), None)
            if cutoff is not None and entry != path and entry.stat().st_mtime < cutoff:
                entry.unlink()


def _typed(values: np.ndarray) -> array:
    """An unsigned integer array as the stdlib array py3langid walks."""
    out = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out
