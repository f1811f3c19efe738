"""Exports for analysts: timelines, forecasts and alerts as CSV or Parquet, plus a dictionary.

The timelines are the published ones (transforms.publish), exactly as on the dashboard. The files are
deterministic (sorted rows, fixed float formatting, no timestamps), so exporting the same
warehouse twice gives byte-identical files, and each is written atomically.

`publish` replaces a whole export set at once: the files go into a new version directory
(`.<name>.versions/<content hash>/`, with a `manifest.json` of every file's SHA-256) and
`<name>` is a symbolic link swapped onto it with one rename. A reader that opens the directory
once (`os.open(path, os.O_DIRECTORY)` then files relative to it, or `os.path.realpath` first)
sees one complete set, never files of two runs; the two previous versions stay for readers
still inside them. Only what moodcast wrote is ever deleted: an older version loses the export
files its manifest (exactly as moodcast wrote it) lists that still hold what moodcast wrote,
and keeps anything else.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, get_args

import duckdb
import polars as pl

from transforms.contracts import ALERT_SCHEMA, FORECAST_SCHEMA
from transforms.dp import Budget
from transforms.publish import WeekGrain
from warehouse import queries
from warehouse.dictionary import CSV_DECIMALS, data_dictionary
from warehouse.errors import WarehouseError

log = logging.getLogger(__name__)

Format = Literal["csv", "parquet"]

DICTIONARY_NAME = "data_dictionary.md"
MANIFEST_NAME = "manifest.json"
PENDING_NAME = ".manifest-pending.json"

EXPORT_ORDER = {
    "timelines": ("marker", "region", "lang", "period_start", "day", "marker_version"),
    "forecasts": ("unique_id", "model", "ds"),
    "alerts": ("unique_id", "start", "method", "peak", "end"),
}
"""The exported views and the columns each is sorted by, first to last."""

EXPORT_NAMES = frozenset(
    [*(f"{stem}.{fmt}" for fmt in get_args(Format) for stem in EXPORT_ORDER), DICTIONARY_NAME]
)
"""Every name of a file an export writes besides its manifest, in every format: the only names
a manifest's files are deleted by (keep here a name exports stop writing, so that the files of
older exports still go)."""


def in_export_order(frame: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    """`frame` sorted by those of `keys` it has, then by its other columns (nulls last)."""
    keys = tuple(c for c in keys if c in frame.columns)
    order = [*keys, *(c for c in frame.columns if c not in keys)]
    return frame.sort(order, nulls_last=True, maintain_order=True)


def _staged(path: Path, write: Callable[[Path], None]) -> Path:
    """Write a file for `path` beside it under a temporary name (`write`, then fsync); return
    that name, for `os.replace` onto `path`. Removes it when writing fails."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return tmp


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    os.replace(_staged(path, write), path)


def export_writer(frame: pl.DataFrame, fmt: Format) -> Callable[[Path], None]:
    """A function that writes `frame` to a path as an export writes it in format `fmt` (CSV:
    CSV_DECIMALS, ISO dates, empty nulls; Parquet: zstd level 3, statistics, row groups of
    100,000)."""
    if fmt == "csv":
        return lambda path: frame.write_csv(
            path,
            float_precision=CSV_DECIMALS,
            float_scientific=False,
            date_format="%Y-%m-%d",
            null_value="",
            line_terminator="\n",
        )
    return lambda path: frame.write_parquet(
        path, compression="zstd", compression_level=3, statistics=True, row_group_size=100_000
    )


def export_frames(
    con: duckdb.DuckDBPyConnection,
    *,
    k: int,
    week_grain: WeekGrain = "iso_week",
    privacy: str = "suppress",
    rates: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """The exported tables by file stem (`timelines`, `forecasts`, `alerts`), sorted.

    `timelines` is `queries.published(con, k=k, week_grain=week_grain, rates=rates)`: current
    marker versions, each period at the finest grain that meets `k`, or withheld, with shares
    adjusted with `rates` (default: the shipped table); with `privacy="dp"`,
    `queries.dp_released(con)` as daily rows (noisy counts, `noise_sd` and the budget on every
    row).
    `provisional` is true on a row whose period holds a day still open in a streaming job
    (its counts may still grow).
    `forecasts` and `alerts` have the Forecast and Alert contract columns and `grain`, the
    grain the series was forecast and alerted at (`day`, `week_grain` or its 8-week grain;
    `queries.forecast_series` under the same settings, as `queries.forecasts_with_grain`).
    """
    grains = queries.forecast_series(con, k=k, week_grain=week_grain, privacy=privacy)[1]
    frames = {
        "timelines": _with_provisional(
            _dp_timelines(queries.dp_released(con))
            if privacy == "dp"
            else queries.published(con, k=k, week_grain=week_grain, rates=rates),
            queries.provisional_days(con)["day"].to_list(),
        ),
        "forecasts": queries.with_grain(queries.forecasts(con), grains, "ds", week_grain).select(
            *FORECAST_SCHEMA, "grain"
        ),
        "alerts": queries.with_grain(queries.alerts(con), grains, "start", week_grain).select(
            *ALERT_SCHEMA, "grain"
        ),
    }
    return {stem: in_export_order(frame, EXPORT_ORDER[stem]) for stem, frame in frames.items()}


def _with_provisional(timelines: pl.DataFrame, open_days: list) -> pl.DataFrame:
    """`timelines` with `provisional`: true where the row's period holds one of `open_days`."""
    holds = pl.lit(False)
    for day in open_days:
        holds = holds | ((pl.col("period_start") <= day) & (pl.col("period_end") >= day))
    return timelines.with_columns(holds.alias("provisional"))


def _dp_timelines(release: pl.DataFrame) -> pl.DataFrame:
    return release.select(
        "marker",
        "region",
        "lang",
        "marker_version",
        pl.lit("day").alias("grain"),
        pl.col("day").alias("period_start"),
        pl.col("day").alias("period_end"),
        pl.lit("published").alias("status"),
        "n_authors",
        "n_marked_authors",
        "noise_sd",
        "epsilon",
        "delta",
        "prevalence",
        "prevalence_lo",
        "prevalence_hi",
        "same_as",
    )


def export(
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
    """Write `timelines`, `forecasts` and `alerts` in each of `formats`, and
    `data_dictionary.md` for each, from one query of the tables.

    `k` is the suppression threshold applied to the timelines, `tz` the analysis time zone
    the days are in (named in the dictionary), `week_grain` the week that periods coarser
    than a day use, `privacy` the publishing mode (`dp` needs its `budget`, stated in the
    dictionary), `rates` the marker rates the adjusted shares use (transforms.rates; default:
    the shipped table). Creates `out_dir` and replaces files of the same names atomically.
    `manifest.json` lists every file (SHA-256, as `publish` does); the files that the manifest
    it replaces listed, that this export did not write (an earlier export in another format)
    and that still hold what moodcast wrote (their SHA-256 as listed) are deleted, so `out_dir`
    holds exactly this export's files besides those moodcast did not write or that were
    changed since. No file is in place unlisted: each is written under a temporary name, their
    digests go into `.manifest-pending.json`, then the files take their names, the earlier
    ones go, `manifest.json` is replaced and the pending list removed; an export killed on the
    way leaves both lists and its temporary files, and the next one deletes what either lists
    and, once done, every temporary name an export uses (`.<name>.tmp`, in any format).
    Returns the paths written in export order, then `manifest.json`. Raises ValueError for an
    unknown format, and WarehouseError for an `out_dir` inside a published set (`publish`:
    its files would change a version behind its manifest).
    """
    if privacy == "dp" and budget is None:
        raise ValueError("privacy='dp' needs the budget it was released under")
    _check_formats(formats)
    out = Path(out_dir)
    if in_published_versions(out):
        raise WarehouseError(
            f"{out} is inside a published export set ({out.resolve()}), which `publish` "
            "replaces as a whole (manifest.json holds every file's SHA-256); export to "
            "another directory"
        )
    earlier = _listed(out)
    frames = export_frames(con, k=k, week_grain=week_grain, privacy=privacy, rates=rates)
    shown = budget if privacy == "dp" else None
    writers = _writers(frames, formats=formats, k=k, tz=tz, week_grain=week_grain, budget=shown)
    out.mkdir(parents=True, exist_ok=True)
    staged: dict[str, Path] = {}
    try:
        for name, write in writers.items():
            staged[name] = _staged(out / name, write)
        digests = {name: _sha256(tmp) for name, tmp in staged.items()}
        _write_manifest(out / PENDING_NAME, digests)
        for name, tmp in staged.items():
            os.replace(tmp, out / name)
    finally:
        for tmp in staged.values():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    for name in sorted(earlier.keys() - digests.keys()):
        with contextlib.suppress(OSError):
            if _sha256(out / name) in earlier[name]:
                (out / name).unlink()
    _write_manifest(out / MANIFEST_NAME, digests)
    (out / PENDING_NAME).unlink()
    for tmp in _temporaries(out):
        with contextlib.suppress(OSError):
            tmp.unlink()
    return [*(out / name for name in digests), out / MANIFEST_NAME]


def _temporaries(out: Path) -> list[Path]:
    """The temporary names (`_staged`) of every file an export into `out` writes, in every
    format: an export killed before its files took their names leaves them, unlisted."""
    names = sorted(EXPORT_NAMES | {MANIFEST_NAME, PENDING_NAME})
    return [out / f".{name}.tmp" for name in names]


def _listed(out: Path) -> dict[str, set[str]]:
    """The files that `out`'s manifest and pending list (an export killed before its manifest)
    name, each with the SHA-256 sums they give it."""
    listed: dict[str, set[str]] = {}
    for manifest in (MANIFEST_NAME, PENDING_NAME):
        for name, digest in _manifest_files(out / manifest).items():
            listed.setdefault(name, set()).add(digest)
    return listed


def _manifest_files(path: Path) -> dict[str, str]:
    """The export files (EXPORT_NAMES) that the manifest `path` lists and the SHA-256 it gives
    each; empty when there is none, or when `path` is not a manifest moodcast wrote: a link,
    or not exactly the text `_write_manifest` gives its list (edited by hand, another
    tool's `manifest.json`)."""
    try:
        text = "" if path.is_symlink() else path.read_text(encoding="utf-8")
        files = json.loads(text)["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not isinstance(files, dict) or text != _manifest_text(files):
        return {}
    return {
        name: digest
        for name, digest in files.items()
        if name in EXPORT_NAMES and isinstance(digest, str)
    }


def _manifest_text(digests: dict[str, str]) -> str:
    return json.dumps({"files": digests}, indent=1, sort_keys=True) + "\n"


def _write_manifest(path: Path, digests: dict[str, str]) -> str:
    """Write the manifest `path` listing `digests` (file name → SHA-256); return its text."""
    text = _manifest_text(digests)
    _atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
    return text


def _check_formats(formats: Sequence[str]) -> None:
    """Raise ValueError for a format that is not `csv` or `parquet`."""
    for fmt in formats:
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet', not {fmt!r}")


def _writers(
    frames: dict[str, pl.DataFrame],
    *,
    formats: Sequence[Format],
    k: int,
    tz: str,
    week_grain: WeekGrain,
    budget: Budget | None,
) -> dict[str, Callable[[Path], None]]:
    """`export`'s files from `export_frames`' tables, by name in export order (format by
    format, then one data dictionary describing them in every format; `budget` only in DP
    mode), each with the function that writes it to a path."""
    formats = list(dict.fromkeys(formats))
    writers = {
        f"{stem}.{fmt}": export_writer(frame, fmt)
        for fmt in formats
        for stem, frame in frames.items()
    }
    text = data_dictionary(
        {stem: frame.schema for stem, frame in frames.items()},
        ext=formats,
        k=k,
        tz=tz,
        week_grain=week_grain,
        budget=budget,
    )
    writers[DICTIONARY_NAME] = lambda p: p.write_text(text, encoding="utf-8", newline="\n")
    return writers


KEEP_VERSIONS = 3


def versions_dir(out_dir: Path | str) -> Path:
    """Where the version directories behind a published `out_dir` live."""
    out = Path(out_dir)
    return out.parent / f".{out.name}.versions"


def in_published_versions(path: Path | str) -> bool:
    """True when `path`, its symbolic links resolved, is or lies in the versions directory of
    a published export set (`.<name>.versions`, `versions_dir`), the target of its link
    included."""
    resolved = Path(path).resolve()
    return any(re.fullmatch(r"\..+\.versions", p.name) for p in [resolved, *resolved.parents])


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
    (EXPORT_NAMES) that their manifest lists and that still hold its SHA-256, and the manifest;
    other files stay, in the version's directory. A directory without a manifest moodcast wrote
    (a legacy one written by a moodcast without manifests, one whose manifest was edited by
    hand, another tool's `manifest.json`) is not a version and is left whole. A temporary directory or link left
    by a killed publish is removed on the next one, so two publishes to one `out_dir` must not
    overlap (the later would remove the earlier's directory and fail it): `moodcast run` holds
    the data directory's RunLock. `week_grain`, `privacy`, `budget` and `rates` are as in
    `export`; the tables are queried once for all formats.
    """
    if privacy == "dp" and budget is None:
        raise ValueError("privacy='dp' needs the budget it was released under")
    _check_formats(formats)
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
        frames = export_frames(con, k=k, week_grain=week_grain, privacy=privacy, rates=rates)
        shown = budget if privacy == "dp" else None
        writers = _writers(frames, formats=formats, k=k, tz=tz, week_grain=week_grain, budget=shown)
        for name, write in writers.items():
            _atomic(staging / name, write)
        names = list(writers)
        text = _write_manifest(
            staging / MANIFEST_NAME, {name: _sha256(staging / name) for name in names}
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
            _fsync_dir(store)
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
                not (version / name).is_symlink() and _sha256(version / name) == digest
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
    _fsync_dir(out.parent)


def _prune(store: Path, *, keep: Path) -> None:
    """Remove what moodcast wrote (`_remove_own`) from every version in `store` but `keep` and
    the newest KEEP_VERSIONS - 1 others (by modification time). A version is a directory with
    a manifest moodcast wrote (`_manifest_files`); any other directory is left whole."""
    versions = sorted(
        (
            p
            for p in store.iterdir()
            if not p.name.startswith(".")
            and not p.is_symlink()
            and _manifest_files(p / MANIFEST_NAME)
        ),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    for path in [p for p in versions if p != keep][KEEP_VERSIONS - 1 :]:
        _remove_own(path)


def _remove_own(version: Path) -> None:
    """Delete from `version` the files its manifest (or pending list) names that still hold
    what moodcast wrote (a listed SHA-256), an export's temporary files, then the lists
    themselves (those moodcast wrote: `_manifest_files`), and the directory once empty.
    Anything else stays (an analyst's file, a listed one changed since), with a warning naming
    the directory."""
    lists = [p for p in (version / PENDING_NAME, version / MANIFEST_NAME) if _manifest_files(p)]
    for name, digests in _listed(version).items():
        with contextlib.suppress(OSError):
            if not (version / name).is_symlink() and _sha256(version / name) in digests:
                (version / name).unlink()
    for path in [*_temporaries(version), *lists]:
        with contextlib.suppress(OSError):
            path.unlink()
    try:
        version.rmdir()
    except OSError:
        log.warning(
            "kept %s after deleting the files moodcast wrote there: it holds files moodcast did "
            "not write (or changed since); move them elsewhere, then delete it",
            version,
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
