"""Exports for analysts: timelines, forecasts and alerts as CSV or Parquet, plus a dictionary.

The timelines are the published ones (transforms.publish), exactly as on the dashboard. The files are
deterministic (sorted rows, fixed float formatting, no timestamps), so exporting the same
warehouse twice gives byte-identical files, and each is written atomically.

`export` writes them into a directory with a `manifest.json` of every file's SHA-256; only
what moodcast wrote (a file its manifest, exactly as moodcast wrote it, lists and that still
holds the listed SHA-256) is ever deleted. `warehouse.export_versions.publish` publishes the
same files as versions behind a link, with the helpers here that it shares (`export_writers`,
`write_manifest`, `manifest_files`, `remove_written`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, get_args

import duckdb
import polars as pl

from transforms.contracts import ALERT_SCHEMA, FORECAST_SCHEMA
from transforms.dp import Budget
from transforms.releases import WeekGrain
from transforms.series import DERIVED_GRAIN_SCHEMA
from warehouse import forecast_queries, queries, release_record
from warehouse.dictionary import CSV_DECIMALS, data_dictionary
from warehouse.errors import WarehouseError
from warehouse.room import out_of_room_in_words
from warehouse.store import fsync_path, read_failure

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
    that name, for `os.replace` onto `path`. Removes it when writing fails; an OSError that
    names no file (polars' writers give only the system's words) is raised again naming `path`,
    in warehouse.room's words where it is a want of room (a full disk, a used-up quota)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        fsync_path(tmp)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename is None:
            words = out_of_room_in_words(str(exc), path.parent) or exc.strerror or str(exc)
            raise OSError(exc.errno, words, str(path)) from exc
        raise
    return tmp


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write the file `path` with `write` under a temporary name beside it (`.<name>.tmp`,
    fsynced, removed when writing fails), then rename it onto `path`."""
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
    `forecast_queries.forecast_grains`, as `forecast_queries.forecasts_with_grain`), asked
    only where there is a forecast or alert to label: where a run stored no grains (it
    forecast nothing), forecast_grains would read the daily cells a second time to derive
    them.
    Raises ReleaseSettingsChanged where the last write published at other settings
    (`release_record.check_release_settings`; in DP mode, another `privacy`).
    """
    release_record.check_release_settings(con, privacy=privacy, k=k, week_grain=week_grain)
    forecasts, alerts = forecast_queries.forecasts(con), forecast_queries.alerts(con)
    grains = (
        forecast_queries.forecast_grains(con, k=k, week_grain=week_grain, privacy=privacy)
        if forecasts.height or alerts.height
        else pl.DataFrame(schema=DERIVED_GRAIN_SCHEMA)
    )
    frames = {
        "timelines": _with_provisional(
            _dp_timelines(queries.dp_released(con))
            if privacy == "dp"
            else queries.published(con, k=k, week_grain=week_grain, rates=rates),
            queries.provisional_days(con)["day"].to_list(),
        ),
        "forecasts": forecast_queries.with_grain(forecasts, grains, "ds", week_grain).select(
            *FORECAST_SCHEMA, "grain"
        ),
        "alerts": forecast_queries.with_grain(alerts, grains, "start", week_grain).select(
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


def versions_dir(out_dir: Path | str) -> Path:
    """Where the version directories behind a published `out_dir` live
    (`warehouse.export_versions.publish`)."""
    out = Path(out_dir)
    return out.parent / f".{out.name}.versions"


def in_published_versions(path: Path | str) -> bool:
    """True when `path`, its symbolic links resolved, is or lies in the versions directory of
    a published export set, the target of its link included: a directory `.<name>.versions`
    (`versions_dir`) beside a symbolic link `<name>` to one of its versions. A directory so
    named without that link beside it is not one. The link is looked for beside `path` as
    given as well as resolved, so a versions directory that is itself a link (moved to another
    disk) still guards its set."""
    resolved = Path(path).resolve()
    given = Path(os.path.abspath(path))
    links = {p for p in [given, *given.parents] if p.is_symlink()} | {
        p.parent / named[1]
        for p in [resolved, *resolved.parents, given, *given.parents]
        if (named := re.fullmatch(r"\.(.+)\.versions", p.name))
    }
    return any(
        _published_link(link) and resolved.is_relative_to(versions_dir(link).resolve())
        for link in links
    )


def _published_link(link: Path) -> bool:
    """Whether `link` is a symbolic link to a directory of its `versions_dir`."""
    return link.is_symlink() and link.resolve().parent == versions_dir(link).resolve()


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
    `manifest.json` lists every file (SHA-256, as `export_versions.publish` does); the files
    that the manifest it replaces listed, that this export did not write (an earlier export in
    another format) and that still hold what moodcast wrote (their SHA-256 as listed) are
    deleted, so `out_dir` holds exactly this export's files besides those moodcast did not
    write or that were changed since. No file is in place unlisted: each is written under a
    temporary name, their digests go into `.manifest-pending.json`, then the files take their
    names, the earlier ones go, `manifest.json` is replaced and the pending list removed; an
    export killed on the way leaves both lists and its temporary files, and the next one
    deletes what either lists and, once done, every temporary name an export uses
    (`.<name>.tmp`, in any format). Returns the paths written in export order, then
    `manifest.json`. Raises ValueError for an unknown format or `privacy="dp"` without its
    `budget`, WarehouseError for an `out_dir` inside a published set
    (`export_versions.publish`: its files would change a version behind its manifest), and
    DamagedWarehouse where a table of `con` cannot be read (`export_writers`), writing nothing,
    and IsADirectoryError naming a directory that has the name of a file it writes.
    """
    check_export_options(formats, privacy=privacy, budget=budget)
    out = Path(out_dir)
    if in_published_versions(out):
        raise WarehouseError(
            f"{out} is inside a published export set ({out.resolve()}), which `publish` "
            "replaces as a whole (manifest.json holds every file's SHA-256); export to "
            "another directory"
        )
    earlier = _listed(out)
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
    out.mkdir(parents=True, exist_ok=True)
    for name in [*writers, MANIFEST_NAME]:
        if (out / name).is_dir():
            raise IsADirectoryError(
                errno.EISDIR, "a directory where the export writes its file", str(out / name)
            )
    staged: dict[str, Path] = {}
    try:
        for name, write in writers.items():
            staged[name] = _staged(out / name, write)
        digests = {name: file_sha256(tmp) for name, tmp in staged.items()}
        write_manifest(out / PENDING_NAME, digests)
        for name, tmp in staged.items():
            os.replace(tmp, out / name)
    finally:
        for tmp in staged.values():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    for name in sorted(earlier.keys() - digests.keys()):
        with contextlib.suppress(OSError):
            if file_sha256(out / name) in earlier[name]:
                (out / name).unlink()
    write_manifest(out / MANIFEST_NAME, digests)
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
        for name, digest in manifest_files(out / manifest).items():
            listed.setdefault(name, set()).add(digest)
    return listed


def manifest_files(path: Path) -> dict[str, str]:
    """The export files (EXPORT_NAMES) that the manifest `path` lists and the SHA-256 it gives
    each; empty when there is none, or when `path` is not a manifest moodcast wrote: a link,
    or not exactly the text `write_manifest` gives its list (edited by hand, another
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


def write_manifest(path: Path, digests: dict[str, str]) -> str:
    """Write the manifest `path` listing `digests` (file name → SHA-256) atomically
    (`write_atomically`); return its text."""
    text = _manifest_text(digests)
    write_atomically(path, lambda p: p.write_text(text, encoding="utf-8"))
    return text


def check_export_options(formats: Sequence[str], *, privacy: str, budget: Budget | None) -> None:
    """Raise ValueError for `privacy="dp"` without the `budget` it was released under, or for
    a format that is not `csv` or `parquet`."""
    if privacy == "dp" and budget is None:
        raise ValueError("privacy='dp' needs the budget it was released under")
    for fmt in formats:
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet', not {fmt!r}")


def export_writers(
    con: duckdb.DuckDBPyConnection,
    *,
    formats: Sequence[Format],
    k: int,
    tz: str,
    week_grain: WeekGrain,
    privacy: str,
    budget: Budget | None,
    rates: pl.DataFrame | None,
) -> dict[str, Callable[[Path], None]]:
    """The files an export writes from one query of the tables (`export_frames`), by name in
    export order (format by format, then one data dictionary describing them in every format,
    which states `budget` only when `privacy="dp"`), each with the function that writes it to
    a path. The options are as in `export`. Raises DamagedWarehouse where a table of `con`
    cannot be read (a damaged file: `warehouse.store.read_failure`)."""
    try:
        frames = export_frames(con, k=k, week_grain=week_grain, privacy=privacy, rates=rates)
    except duckdb.Error as exc:
        raise read_failure(con, exc) from exc
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
        budget=budget if privacy == "dp" else None,
    )
    writers[DICTIONARY_NAME] = lambda p: p.write_text(text, encoding="utf-8", newline="\n")
    return writers


def remove_written(directory: Path) -> None:
    """Delete from `directory` the files its manifest and pending list (those moodcast wrote:
    `manifest_files`) name that still hold what moodcast wrote (a listed SHA-256) and are not
    symbolic links, an export's temporary files (in every format), then those lists. Anything
    else stays (an analyst's file, a listed one changed since); errors deleting are ignored."""
    lists = [p for p in (directory / PENDING_NAME, directory / MANIFEST_NAME) if manifest_files(p)]
    for name, digests in _listed(directory).items():
        with contextlib.suppress(OSError):
            if not (directory / name).is_symlink() and file_sha256(directory / name) in digests:
                (directory / name).unlink()
    for path in [*_temporaries(directory), *lists]:
        with contextlib.suppress(OSError):
            path.unlink()


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file at `path` (read in 1 MiB blocks), as lowercase hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
