"""The checks of a marker directory and the files in it: which files are read (directory_files),
what a marker file or head file holds before any Marker is built (its keys, language codes and
terms), and the warnings of a loaded set (a lone dimension, a shipped head a copy leaves out).
transforms.markers.definitions calls them as it loads."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from transforms.errors import MarkerError
from transforms.text import APOSTROPHES, language_code

if TYPE_CHECKING:
    from transforms.markers.definitions import Marker

log = logging.getLogger(__name__)

FILE_KEYS = ("name", "description", "dimensions", "rule", "cue", "lang")
"""The keys of a marker file's top level (FORMAT.md); any other is refused."""
LANG_KEYS = ("terms", "prototypes", "guards", "threshold", "threshold_basis", "centroid_terms")
"""The keys of a marker file's `[lang.xx]` tables (FORMAT.md); any other is refused."""
MISPLACED_STAR = re.compile(r"[^\W_]\*+(?![^\W_]|\*|$)|(?<![^\W_])(?<!\*)\*+[^\W_]")
"""A `*` that ends a word before the term's end (`cry* out`, `cry*!`) or opens one (`*ness`):
written as a wildcard, where matching reads a `*` as a wildcard only at the end, and anywhere
else as the character itself. Between two letters or digits a `*` masks a letter as posts write
it (`k*ll`, `f**k`) and is that character."""


def refuse_unknown_keys(table: Mapping, known: tuple[str, ...], *, where: str, kind: str) -> None:
    """Raise MarkerError, naming `where`, for a key of `table` not in `known`: a misspelt or
    misplaced key would otherwise be ignored (`treshold`, `term`, a top-level `terms`)."""
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise MarkerError(
            f"{where} unknown key(s) {', '.join(map(repr, unknown))}"
            f"{did_you_mean(unknown, known)}; {kind} may hold {', '.join(known)}"
            + (" (terms and the others go under [lang.xx])" if known == FILE_KEYS else "")
        )


def check_language(lang: str, *, origin: str, form: str = "[lang.{}]") -> None:
    """Raise MarkerError unless `lang` is a language code as posts' languages are decided
    (transforms.text.language_code, a marker's own language allowed): a source in any other
    (`EN`, `eng`, `english`) would match no post. `form` shows a code where it was written."""
    try:
        code = language_code(lang, adding=True)
    except ValueError as exc:
        raise MarkerError(f"{origin}: {form.format(lang)} is not a language code: {exc}") from exc
    if code != lang:
        raise MarkerError(
            f"{origin}: {form.format(lang)} matches no post: posts in that language are "
            f"{code!r}; write {form.format(code)}"
        )


def is_empty_term(term: str) -> bool:
    """Whether `term` is apostrophes and `*` alone, which matching drops, leaving nothing to
    match (`*`, `'`, `'*`, `**`)."""
    return not term.rstrip("*").strip().strip("".join(APOSTROPHES) + " ")


def check_terms(terms: list[str], *, origin: str) -> None:
    """Raise MarkerError, naming `origin`, for a term that could never match as written: one
    of apostrophes and `*` alone (matching drops both, leaving nothing), or one with a `*`
    written as a wildcard before its end (MISPLACED_STAR, on its rules.unmarked form)."""
    from transforms.markers.rules import unmarked

    for term in terms:
        if is_empty_term(term):
            raise MarkerError(
                f"{origin}: the term {term!r} is empty once matching drops its apostrophes and "
                "trailing '*'; remove it, or write the word it should match"
            )
        if MISPLACED_STAR.search(unmarked(term)):
            raise MarkerError(
                f"{origin}: the term {term!r} has a '*' before its end, which matches only a "
                "written '*'; a '*' is a wildcard only at the end of a term (cry* matches "
                "crying): write each form as a term of its own"
            )


def refuse_guarded_terms(terms: tuple[str, ...], guards: tuple[str, ...], *, origin: str) -> None:
    """Raise MarkerError, naming `origin`, for a guard written as one of the terms (case and
    accents aside): a phrase cannot both count and hide what it contains."""
    if not guards or not terms:
        return
    from transforms.markers.rules import canonical_terms, is_prefix

    forms = canonical_terms([*terms, *guards])
    term_forms = {(form, is_prefix(term)) for form, term in zip(forms, terms, strict=False)}
    for guard, form in zip(guards, forms[len(terms) :], strict=True):
        if (form, is_prefix(guard)) in term_forms:
            raise MarkerError(
                f"{origin}: the guard {guard!r} is also one of its terms; a guard is a longer "
                'phrase in which a term does not count (guards = ["sad to say"] beside '
                '"sad"): remove it from one of the two lists'
            )


def did_you_mean(unknown: Iterable[str], known: Iterable[str]) -> str:
    """' (did you mean sadness?)' after names that are no marker, for those a known name is
    close to (a typo, another case: difflib at 0.75, compared lower-cased); '' for none."""
    known = list(known)
    unknown = list(unknown)
    pairs = [
        (name, close[0])
        for name in unknown
        if (close := difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.75))
    ]
    if not pairs:
        return ""
    if len(unknown) == 1:
        return f" (did you mean {pairs[0][1]}?)"
    return f" (did you mean {', '.join(f'{good} for {name}' for name, good in pairs)}?)"


def directory_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """The marker files (`*.toml`) and head files (`*.head.json`) of `directory`, by name, less
    hidden ones (`.#anger.toml`, an editor's lock; `._anger.toml`, macOS metadata). Logs a
    warning naming each other file that looks meant as one (`anger.TOML`, `anger.json`, a
    hidden one): it is not read."""
    if not directory.is_dir():
        return [], []
    names = sorted(path.name for path in directory.iterdir())
    shown = [name for name in names if not name.startswith(".")]
    markers = [directory / name for name in shown if name.endswith(".toml")]
    heads = [directory / name for name in shown if name.endswith(".head.json")]
    read = {path.name for path in (*markers, *heads)}
    for name in names:
        if name.lower().endswith((".toml", ".json")) and name not in read:
            log.warning(
                "%s is not read: marker files are named <name>.toml and trained heads "
                "<name>.head.json, in lower case, and hidden files are skipped",
                directory / name,
            )
    return markers, heads


def warn_of_lone_dimensions(markers: Mapping[str, Marker]) -> None:
    """Log a warning for each dimension that one marker alone feeds and that is close to another
    marker's (did_you_mean: `emotoin`, `Depression`) and at most one letter longer or shorter:
    it would form a dimension of its own, its marker left out of the one meant (and, for
    `emotion` first, out of the emotions' rivals). A name longer by more (`distress` beside
    `stress`, `substance_abuse`) is a dimension of its own, as meant."""
    feeding: dict[str, set[str]] = {}
    for marker in markers.values():
        for dimension in marker.dimensions:
            feeding.setdefault(dimension, set()).add(marker.name)
    for dimension, names in sorted(feeding.items()):
        others = [d for d, n in feeding.items() if n - names and abs(len(d) - len(dimension)) <= 1]
        if len(names) == 1 and (close := did_you_mean([dimension], others)):
            marker = markers[next(iter(names))]
            log.warning(
                "%s: dimension %r is no other marker's%s; as written, %s forms a dimension of "
                "its own",
                marker.file or marker.name,
                dimension,
                close,
                marker.name,
            )


def warn_of_dropped_shipped_heads(markers: Mapping[str, Marker]) -> None:
    """Log a warning for each shipped head that a user's file of its marker's name leaves out
    (Marker.dropped_shipped_heads), naming the file, the head, its languages and how to keep
    it: that head no longer decides there, the marker's own sources do, under a new version."""
    for marker in markers.values():
        dropped: dict[Path, list[str]] = {}
        for lang, path in sorted(marker.dropped_shipped_heads.items()):
            dropped.setdefault(path, []).append(lang)
        for path, langs in dropped.items():
            log.warning(
                "%s replaces the shipped marker %s without its shipped head %s, so in %s that "
                "head no longer decides: your file's own sources there do (`moodcast markers "
                "show %s` says which), a different measurement under a new version; to keep "
                "the shipped head, copy it beside your file as %s",
                marker.file,
                marker.name,
                path,
                ", ".join(langs),
                marker.name,
                Path(str(marker.file)).with_name(f"{marker.name}.head.json"),
            )
