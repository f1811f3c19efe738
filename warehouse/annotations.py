"""Crisis-event annotations that analysts add to timelines, kept in their own small file.

They live in `<data dir>/annotations.jsonl`, one JSON object per line, never in the DuckDB
file: the dashboard writes them while it only ever reads the warehouse. Every change takes an
exclusive lock on `annotations.lock` and replaces the file atomically, so concurrent writers
(several dashboard sessions or processes) never lose an event and readers never see half a file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from transforms.contracts import ALL
from transforms.errors import InputError
from warehouse.room import out_of_room

ANNOTATIONS_NAME = "annotations.jsonl"
MAX_LABEL_CHARS = 120

ANNOTATION_SCHEMA = {
    "id": pl.String,
    "day": pl.Date,
    "region": pl.String,
    "label": pl.String,
    "created_at": pl.Datetime("us", "UTC"),
}
"""An event on a local `day`, in one `region` (`all`: everywhere), with a short `label`. `id`
is a hash of the other fields, stable across rewrites."""


class AnnotationError(InputError):
    """An annotation that cannot be stored; the message says what to change."""


def annotations_path(data_dir: Path | str) -> Path:
    """The annotations file of a data directory."""
    return Path(data_dir) / ANNOTATIONS_NAME


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """Hold `annotations.lock` while changing the file; an OSError on the way becomes an
    AnnotationError that says why, by its errno (`_unsaved`)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with open(data_dir / "annotations.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError as exc:
        raise _unsaved(exc, data_dir) from exc


def _unsaved(exc: OSError, data_dir: Path) -> AnnotationError:
    """Why events cannot be saved in `data_dir`, by `exc`'s errno: a read-only file system
    (EROFS, or EACCES / EPERM where the data directory's file system is mounted read-only, as
    infra/'s dashboard files mount it), a permission refused (EACCES, EPERM) to create a file
    in a directory (the directory named) or to change one path, a write refused for want of
    room (warehouse.room.out_of_room: ENOSPC, EDQUOT, EFBIG), a directory where a file belongs
    (EISDIR), a file where a directory belongs (ENOTDIR, or EEXIST from making the data
    directory), a missing directory on the way (ENOENT); any other error in the operating
    system's words."""
    path = exc.filename2 or exc.filename or data_dir  # a rename's target, else the one path
    kept = f"They are kept in {annotations_path(data_dir)}"
    code = exc.errno
    if code == errno.EROFS or (code in (errno.EACCES, errno.EPERM) and _read_only(data_dir)):
        why = (
            f"{data_dir} is on a read-only file system. {kept}, so the dashboard needs write "
            "access to the data directory; infra/'s dashboard files mount it read-only "
            '(infra/README.md, "Events").'
        )
    elif code in (errno.EACCES, errno.EPERM) and not os.path.lexists(path):
        why = (
            f"permission to create files in {Path(path).parent} is refused ({exc.strerror}). "
            f"{kept}: give the dashboard's user write access to that directory."
        )
    elif code in (errno.EACCES, errno.EPERM):
        why = (
            f"permission to change {path} is refused ({exc.strerror}). {kept}: give the "
            "dashboard's user write access to that path."
        )
    elif room := out_of_room(exc, path):
        why = f"{room}. {kept}: add the event again once there is room."
    elif code == errno.EISDIR:
        why = f"{path} is a directory, where a file belongs. {kept}: move that directory away."
    elif code in (errno.ENOTDIR, errno.EEXIST):
        why = (
            f"{_not_a_directory(data_dir) or path} is not a directory (a file, or a link to "
            f"nothing), where the data directory needs one. {kept}: move it away, or choose "
            "another data directory."
        )
    elif code == errno.ENOENT:
        why = (
            f"a directory on the way to {path} does not exist (moved or removed, or a link to "
            f"nothing). {kept}: make sure the data directory and its files are in place."
        )
    else:
        why = f"{path}: {exc.strerror or exc}. {kept}."
    return AnnotationError(f"Events cannot be saved: {why}")


def _read_only(path: Path) -> bool:
    """Whether the file system of `path` (or of its nearest existing parent) is mounted
    read-only; a path that cannot be looked at counts as absent."""
    existing = next(p for p in (path, *path.absolute().parents) if os.path.exists(p))
    return bool(os.statvfs(existing).f_flag & os.ST_RDONLY)


def _not_a_directory(path: Path) -> Path | None:
    """The first of `path` and its parents, from the root down, that is there but is not a
    directory (a file, a dangling link); None when there is none."""
    path = path.absolute()
    chain = (*reversed(path.parents), path)
    return next((p for p in chain if (p.is_symlink() or p.exists()) and not p.is_dir()), None)


def _rows(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _write(path: Path, rows: list[dict]) -> None:
    """Replace `path` with `rows`, one JSON object a line, atomically: written to a temporary
    file beside it, then renamed over it; the temporary file is removed when writing or
    renaming fails (a directory in its place is left alone)."""
    tmp = path.with_name(f".{path.name}.tmp")
    body = "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if not tmp.is_dir():
            tmp.unlink(missing_ok=True)
        raise


def read_annotations(data_dir: Path | str, *, region: str | None = None) -> pl.DataFrame:
    """Every annotation (ANNOTATION_SCHEMA) sorted by day then label; with `region`, only that
    region's and the `all` ones. An absent file reads as no annotations."""
    rows = _rows(annotations_path(data_dir))
    frame = pl.DataFrame(
        [{**row, "day": date.fromisoformat(row["day"])} for row in rows],
        schema={**ANNOTATION_SCHEMA, "created_at": pl.String},
    ).with_columns(pl.col("created_at").str.to_datetime(time_zone="UTC", time_unit="us"))
    if region is not None:
        frame = frame.filter(pl.col("region").is_in([region, ALL]))
    return frame.sort("day", "label")


def add_annotation(data_dir: Path | str, *, day: date, label: str, region: str = ALL) -> str:
    """Store an event on `day` in `region` and return its id.

    `label` is trimmed and must be 1 to MAX_LABEL_CHARS characters (AnnotationError
    otherwise, and where the file cannot be changed). Adding the same day, region and label
    again changes nothing.
    """
    label = " ".join(label.split())
    if not label or len(label) > MAX_LABEL_CHARS:
        raise AnnotationError(
            f"An event label needs 1 to {MAX_LABEL_CHARS} characters; this one has {len(label)}."
        )
    key = f"{day.isoformat()}|{region}|{label}"
    annotation_id = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    data_dir = Path(data_dir)
    with _locked(data_dir):
        path = annotations_path(data_dir)
        rows = _rows(path)
        if all(row["id"] != annotation_id for row in rows):
            created = datetime.now(UTC).isoformat(timespec="seconds")
            rows.append(
                {
                    "id": annotation_id,
                    "day": day.isoformat(),
                    "region": region,
                    "label": label,
                    "created_at": created,
                }
            )
            _write(path, rows)
    return annotation_id


def remove_annotation(data_dir: Path | str, annotation_id: str) -> bool:
    """Delete the annotation with `annotation_id`; False when there was none. AnnotationError
    where the file cannot be changed."""
    data_dir = Path(data_dir)
    with _locked(data_dir):
        path = annotations_path(data_dir)
        rows = _rows(path)
        kept = [row for row in rows if row["id"] != annotation_id]
        if len(kept) == len(rows):
            return False
        _write(path, kept)
    return True
