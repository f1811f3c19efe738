"""Published export sets: each run's export files as a version directory behind a link.

`publish` replaces a whole export set at once: the files go into a new version directory
(`.<name>.versions/<content hash>/`, with a `manifest.json` of every file's SHA-256) and
`<name>` is a symbolic link swapped onto it with one rename. A reader that opens the directory
once (`os.open(path, os.O_DIRECTORY)` then files relative to it, or `os.path.realpath` first)
sees one complete set, never files of two runs; the two previous versions stay for readers
still inside them. Only what moodcast wrote is ever deleted: an older version loses the export
files its manifest (exactly as moodcast wrote it) lists that still hold what moodcast wrote,
and keeps anything else. The files of a version, its manifest and what counts as written by
moodcast are defined in `warehouse.exports`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb
import polars as pl

from transforms.dp import Budget
from transforms.releases import WeekGrain
from warehouse.exports import (
    MANIFEST_NAME,
    Format,
    check_export_options,
    export_writers,
    file_sha256,
    manifest_files,
    remove_written,
    versions_dir,
    write_atomically,
    write_manifest,
)
from warehouse.store import fsync_path

log = logging.getLogger(__name__)

KEEP_VERSIONS = 3


def publish(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path | str,
    *,
    formats: Sequence[Format],
    k: int,
    tz: str,
    week_grain: WeekGrain = "iso_week",
    privacy: str = "suppress",
    budget: Budget | None = None,
    rates: pl.DataFrame | None = None,
) -> list[Path]:
    """Export in every format of `formats` into a new version directory, then make `out_dir`
    (a symbolic link) point at it with one atomic rename; return the paths as seen through
    `out_dir`, in export order, then `manifest.json`.

    The version is named by the content's hash, so an unchanged export republishes the same
    version, once it is checked to hold exactly its manifest's files with their SHA-256; one
    that does not (a file edited, added or removed by hand) is not served: the new copy is
    published beside it (`<hash>-<ns>`), then it is renamed `<hash>.damaged-<ns>` and pruned
    as any version. An `out_dir` that is still a plain directory (from an older moodcast) is
    moved into the versions directory first (`legacy-<ns>`). Of the versions beyond the newest
    KEEP_VERSIONS, only what moodcast wrote is deleted (`_remove_own`): the export files
    (`warehouse.exports.EXPORT_NAMES`) that their manifest lists and that still hold its
    SHA-256, and the manifest; other files stay, in the version's directory. A directory
    without a manifest moodcast wrote (a legacy one written by a moodcast without manifests,
    one whose manifest was edited by hand, another tool's `manifest.json`) is not a version and
    is left whole. A temporary directory or link left by a killed publish is removed on the
    next one, so two publishes to one `out_dir` must not overlap (the later would remove the
    earlier's directory and fail it): `moodcast run` holds the data directory's RunLock.
    `week_grain`, `privacy`, `budget` and `rates` are as in `warehouse.exports.export`; the
    tables are queried once for all formats.
    """
    check_export_options(formats, privacy=privacy, budget=budget)
    out = Path(out_dir)
    store = versions_dir(out)
    store.mkdir(parents=True, exist_ok=True)
    for leftover in store.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (out.parent / f".{out.name}.link").unlink()
    staging = store / f".tmp-{os.getpid()}-{time.time_ns()}"
    try:
        staging.mkdir()
        writers = export_writers(
            con,
            formats=formats,
            k=k,
            tz=tz,
            week_grain=week_grain,
            privacy=privacy,
            budget=budget,
            rates=rates,
        )
        for name, write in writers.items():
            write_atomically(staging / name, write)
        names = list(writers)
        text = write_manifest(
            staging / MANIFEST_NAME, {name: file_sha256(staging / name) for name in names}
        )
        version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        final = store / version
        damaged = None
        if _intact(final, text):
            shutil.rmtree(staging)
            os.utime(final)
        else:
            if os.path.lexists(final):
                damaged, final = final, store / f"{version}-{time.time_ns()}"
            os.rename(staging, final)
            fsync_path(store)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _point(out, final)
    if damaged is not None:
        aside = store / f"{version}.damaged-{time.time_ns()}"
        os.rename(damaged, aside)
        log.warning(
            "published version %s no longer held exactly the files its manifest lists (one "
            "edited, added or removed by hand), so a fresh copy is published in %s; it is kept "
            "as %s and pruned like any older version (files moodcast did not write stay)",
            damaged,
            final,
            aside,
        )
    _prune(store, keep=final)
    return [out / name for name in [*names, MANIFEST_NAME]]


def _intact(version: Path, manifest: str) -> bool:
    """True when `version` is a directory holding exactly the files the manifest text
    `manifest` lists, each with its SHA-256, and that manifest."""
    if version.is_symlink() or not version.is_dir():
        return False
    try:
        listed = json.loads(manifest)["files"]
        return (
            (version / MANIFEST_NAME).read_text(encoding="utf-8") == manifest
            and sorted(os.listdir(version)) == sorted([*listed, MANIFEST_NAME])
            and all(
                not (version / name).is_symlink() and file_sha256(version / name) == digest
                for name, digest in listed.items()
            )
        )
    except OSError:
        return False


def _point(out: Path, target: Path) -> None:
    """Make `out` a symbolic link to `target` (relative), replacing it atomically; anything
    else at `out` (a plain directory, a file) is moved into the versions directory first."""
    if os.path.lexists(out) and not out.is_symlink():
        legacy = versions_dir(out) / f"legacy-{time.time_ns()}"
        os.rename(out, legacy)
        log.warning(
            "%s was not a link (a directory written before exports were published as "
            "versions, or a file); it is now %s, where files moodcast did not write stay",
            out,
            legacy,
        )
    link = out.parent / f".{out.name}.link"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    os.symlink(os.path.relpath(target, out.parent), link)
    os.replace(link, out)
    fsync_path(out.parent)


def _prune(store: Path, *, keep: Path) -> None:
    """Remove what moodcast wrote (`_remove_own`) from every version in `store` but `keep` and
    the newest KEEP_VERSIONS - 1 others (by modification time). A version is a directory with
    a manifest moodcast wrote (`manifest_files`); any other directory is left whole."""
    versions = sorted(
        (
            p
            for p in store.iterdir()
            if not p.name.startswith(".")
            and not p.is_symlink()
            and manifest_files(p / MANIFEST_NAME)
        ),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    for path in [p for p in versions if p != keep][KEEP_VERSIONS - 1 :]:
        _remove_own(path)


def _remove_own(version: Path) -> None:
    """Delete from `version` what moodcast wrote (`remove_written`: the files its manifest or
    pending list names that still hold a listed SHA-256, an export's temporary files, the lists
    themselves), and the directory once empty. Anything else stays (an analyst's file, a
    listed one changed since), with a warning naming the directory."""
    remove_written(version)
    try:
        version.rmdir()
    except OSError:
        log.warning(
            "kept %s after deleting the files moodcast wrote there: it holds files moodcast did "
            "not write (or changed since); move them elsewhere, then delete it",
            version,
        )
