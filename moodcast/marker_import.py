"""`moodcast markers import`: read a lexicon users already have (Empath and VADER from their
installed packages, NRC EmoLex and LIWC from a path the user gives) and write its markers as
marker files into the user's marker directory. Shipped marker files are never overwritten, and
nothing is written into the package."""

from __future__ import annotations

import codecs
import errno
import importlib.metadata
import importlib.resources
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from ingest.file_checks import not_utf8
from transforms.adapters import (
    VADER_MIN_VALENCE,
    Adapted,
    empath_markers,
    liwc_markers,
    marker_toml,
    nrc_markers,
    vader_markers,
)
from transforms.markers import BUILTIN_DIR, Marker, MarkerError
from warehouse.room import out_of_room

KINDS = ("empath", "vader", "nrc", "liwc")
LANG_PATTERN = re.compile(r"^[a-z]{2,3}$")


class ImportLexiconError(MarkerError):
    """A lexicon cannot be imported as asked; the message says what to change."""


def _package_file(package: str, *parts: str) -> tuple[str, str]:
    """The text of a data file shipped inside an installed package, and its provenance."""
    try:
        resource = importlib.resources.files(package).joinpath(*parts)
        text = resource.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ImportLexiconError(
            f"cannot read {'/'.join(parts)} from the {package} package: {exc}"
        ) from exc
    version = importlib.metadata.version(package)
    return text, f"{package} {version} ({'/'.join(parts)})"


def _user_file(path: Path | None, kind: str) -> tuple[str, str]:
    """The text of the user's lexicon file at `path` (UTF-8, with or without a byte-order
    mark) and its provenance. Raises ImportLexiconError for no `path`, a file that cannot be
    read, or one that is not UTF-8 (ingest.file_checks.not_utf8): read with its bytes replaced,
    every accented term would become one no post matches."""
    if path is None:
        raise ImportLexiconError(f"`{kind}` needs the path of your own {kind.upper()} file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportLexiconError(f"{path}: {exc}") from exc
    text = data.removeprefix(codecs.BOM_UTF8)
    if advice := not_utf8(str(path), text):
        raise ImportLexiconError(f"{advice} (read otherwise, its accented terms match no post)")
    return text.decode("utf-8"), f"{path.name} (your file)"


def import_markers(
    kind: str,
    path: Path | None = None,
    *,
    preset: str | None = None,
    categories: Iterable[str] | None = None,
    lang: str | None = None,
    min_valence: float | None = None,
) -> tuple[dict[str, Marker], str, dict[str, list[str]]]:
    """The markers of one lexicon (`kind` in KINDS), a line saying where they came from, and
    the terms left out of them because no post can match them, by marker name
    (transforms.adapters.Adapted; a marker left with no term is left out).

    Empath and VADER are read from their installed packages (`path` must be None; their terms
    are English); NRC EmoLex (word-level file) and LIWC (`.dic`) from `path`, as terms of `lang`
    (default `en`). `min_valence` is VADER's cut-off (default VADER_MIN_VALENCE). An option
    that does not apply to `kind` raises ImportLexiconError, as does any other input to change
    (MarkerError for a malformed lexicon; for a file at `path`, an ImportLexiconError naming
    it), as does a lexicon of which no term can be matched.
    """
    found, origin = _read_lexicon(
        kind, path, preset=preset, categories=categories, lang=lang, min_valence=min_valence
    )
    if not found:
        raise ImportLexiconError(
            f"{path or origin}: no term of it can be matched in a post (each is empty once "
            "written as posts are matched, e.g. `*` or an apostrophe alone)"
        )
    return dict(found), origin, found.dropped


def _read_lexicon(
    kind: str,
    path: Path | None,
    *,
    preset: str | None,
    categories: Iterable[str] | None,
    lang: str | None,
    min_valence: float | None,
) -> tuple[Adapted, str]:
    """The markers of one lexicon as its adapter reads it, and where they came from
    (`import_markers`, which checks the options and the terms)."""
    if kind not in KINDS:
        raise ImportLexiconError(f"lexicon must be one of {', '.join(KINDS)}, got {kind!r}")
    if lang is not None and not LANG_PATTERN.match(lang):
        raise ImportLexiconError(f"--lang must be a language code like en or es, got {lang!r}")
    for option, given, applies in (
        ("PATH", path is not None, ("nrc", "liwc")),
        ("--lang", lang is not None, ("nrc", "liwc")),
        ("--preset", preset is not None, ("empath",)),
        ("--categories", bool(categories), ("empath", "liwc")),
        ("--min-valence", min_valence is not None, ("vader",)),
    ):
        if given and kind not in applies:
            raise ImportLexiconError(
                f"{option} does not apply to {kind} (only {', '.join(applies)})"
            )
    wanted = list(categories) if categories else None
    if kind == "empath":
        text, origin = _package_file("empath", "data", "categories.tsv")
        return empath_markers(text, preset=preset, categories=wanted), origin
    if kind == "vader":
        text, origin = _package_file("vaderSentiment", "vader_lexicon.txt")
        cut = VADER_MIN_VALENCE if min_valence is None else min_valence
        return vader_markers(text, min_valence=cut), origin
    text, origin = _user_file(path, kind)
    try:
        if kind == "nrc":
            return nrc_markers(text, lang=lang or "en"), origin
        return liwc_markers(text, lang=lang or "en", categories=wanted), origin
    except MarkerError as exc:
        raise ImportLexiconError(f"{path}: {exc}") from exc


def write_markers(
    markers: Mapping[str, Marker], out_dir: Path, *, origin: str, force: bool = False
) -> list[Path]:
    """Write each marker as `<out_dir>/<name>.toml`; returns the paths written.

    Raises ImportLexiconError, writing nothing, when `out_dir` is the shipped marker directory,
    a name is a shipped marker's, or a file exists already and `force` is off, and
    IsADirectoryError, writing nothing, where a directory has a marker file's name. Each file is
    written under a temporary name (`.<name>.toml.tmp`, which no marker directory reads) and
    all take their names once every one is written: an OSError (a full disk) leaves none and is
    raised again naming the file it stopped at, in warehouse.room's words where it is a want of
    room.
    """
    out_dir = Path(out_dir)
    shipped = {path.stem for path in BUILTIN_DIR.glob("*.toml")}
    if out_dir.resolve() == BUILTIN_DIR.resolve():
        raise ImportLexiconError("never write into the shipped marker directory; choose -o DIR")
    clash = sorted(set(markers) & shipped)
    if clash:
        raise ImportLexiconError(f"{', '.join(clash)} would replace shipped marker(s); not written")
    for name in markers:
        if (out_dir / f"{name}.toml").is_dir():
            raise IsADirectoryError(
                errno.EISDIR,
                "a directory where the import writes its marker file; nothing was written",
                str(out_dir / f"{name}.toml"),
            )
    existing = [out_dir / f"{name}.toml" for name in markers if (out_dir / f"{name}.toml").exists()]
    if existing and not force:
        raise ImportLexiconError(
            f"{', '.join(str(p) for p in existing)} exist(s); pass --force to replace them"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    header = f"Imported by `moodcast markers import` from {origin}."
    staged: dict[Path, Path] = {}
    try:
        for name, marker in markers.items():
            path = out_dir / f"{name}.toml"
            staged[path] = path.with_name(f".{path.name}.tmp")
            staged[path].write_text(marker_toml(marker, header=header), encoding="utf-8")
    except BaseException as exc:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            words = out_of_room(exc, out_dir) or exc.strerror or str(exc)
            raise OSError(exc.errno, f"{words}; no marker file was written", str(path)) from exc
        raise
    try:
        for path, tmp in staged.items():
            os.replace(tmp, path)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    return list(staged)
