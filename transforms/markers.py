"""Markers as data: loading marker files, their versions, and lexicon tagging of posts."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from transforms.text import fold_str

BUILTIN_DIR = Path(__file__).parent / "markers"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
RULES = ("lexicon", "model", "either", "both")


class MarkerError(ValueError):
    """A marker file is malformed; the message names the file and the field to fix."""


@dataclass(frozen=True)
class Marker:
    """One concept across languages (DESIGN.md, Marker). `terms` maps a language to its terms."""

    name: str
    description: str
    dimensions: tuple[str, ...]
    rule: str
    terms: Mapping[str, tuple[str, ...]]
    version: str

    @property
    def languages(self) -> frozenset[str]:
        """Languages with a lexicon source for this marker."""
        return frozenset(lang for lang, terms in self.terms.items() if terms)


def parse_marker(raw: Mapping, *, origin: str) -> Marker:
    """Validate a parsed marker file and build its Marker; `origin` names it in errors."""
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise MarkerError(f"{origin}: 'name' must match {NAME_PATTERN.pattern}, got {name!r}")
    rule = raw.get("rule", "lexicon")
    if rule not in RULES:
        raise MarkerError(f"{origin}: 'rule' must be one of {', '.join(RULES)}, got {rule!r}")
    dimensions = raw.get("dimensions", [])
    if not isinstance(dimensions, list) or not all(isinstance(d, str) for d in dimensions):
        raise MarkerError(f"{origin}: 'dimensions' must be a list of strings")
    terms: dict[str, tuple[str, ...]] = {}
    for lang, source in sorted(raw.get("lang", {}).items()):
        listed = source.get("terms", []) if isinstance(source, Mapping) else None
        if not isinstance(listed, list) or not all(
            isinstance(t, str) and t.strip() for t in listed
        ):
            raise MarkerError(
                f"{origin}: [lang.{lang}] 'terms' must be a list of non-empty strings"
            )
        terms[lang] = tuple(listed)
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Marker(
        name=name,
        description=str(raw.get("description", "")),
        dimensions=tuple(dimensions),
        rule=rule,
        terms=terms,
        version=hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12],
    )


def load_markers(*directories: Path, names: Iterable[str] | None = None) -> dict[str, Marker]:
    """Markers from `BUILTIN_DIR` then each directory in order (a later file of the same name
    replaces an earlier one), sorted by name; only `names` when given.

    Raises MarkerError for a malformed file, a file whose `name` differs from its file name, or
    an unknown name in `names`.
    """
    markers: dict[str, Marker] = {}
    for directory in (BUILTIN_DIR, *directories):
        for path in sorted(Path(directory).glob("*.toml")):
            try:
                raw = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise MarkerError(f"{path}: {exc}") from exc
            marker = parse_marker(raw, origin=str(path))
            if marker.name != path.stem:
                raise MarkerError(
                    f"{path}: 'name' is {marker.name!r}; rename the file or the marker"
                )
            markers[marker.name] = marker
    if names is not None:
        wanted = list(names)
        unknown = sorted(set(wanted) - set(markers))
        if unknown:
            raise MarkerError(
                f"unknown marker(s) {', '.join(unknown)}; known: {', '.join(markers)}"
            )
        markers = {name: markers[name] for name in wanted}
    return dict(sorted(markers.items()))


@functools.cache
def term_regex(terms: tuple[str, ...]) -> str:
    """One case-folded regular expression matching any of `terms` (FORMAT.md semantics)."""
    worded, symbols = [], []
    for term in sorted({fold_str(t.strip()) for t in terms}, key=lambda t: (-len(t), t)):
        prefix = term.endswith("*")
        words = term.rstrip("*").split()
        body = r"\s+".join(re.escape(word) for word in words)
        if not any(ch.isalnum() for ch in term):
            symbols.append(body)
        else:
            worded.append(body + (r"\w*" if prefix else ""))
    parts = []
    if worded:
        parts.append(r"\b(?:" + "|".join(worded) + r")\b")
    parts.extend(symbols)
    return "|".join(parts) if parts else r"[^\s\S]"


def tag(
    posts: pl.DataFrame, markers: Mapping[str, Marker], *, text: str = "text_folded"
) -> pl.DataFrame:
    """Add one Boolean column per marker: whether the post's folded `text` matches the marker's
    terms in the post's `lang`. Null where the marker has no source in that language."""
    columns = []
    for marker in markers.values():
        expr = None
        for lang, terms in marker.terms.items():
            if not terms:
                continue
            hit = pl.col(text).str.contains(term_regex(terms))
            expr = (
                pl.when(pl.col("lang") == lang)
                if expr is None
                else expr.when(pl.col("lang") == lang)
            ).then(hit)
        columns.append(
            (pl.lit(None, pl.Boolean) if expr is None else expr.otherwise(None)).alias(marker.name)
        )
    return posts.with_columns(columns)


def marker_versions(markers: Mapping[str, Marker]) -> dict[str, str]:
    """Name → version, for the ledger."""
    return {name: marker.version for name, marker in markers.items()}


def supported_languages(markers: Mapping[str, Marker]) -> frozenset[str]:
    """Languages in which at least one marker has a source."""
    return frozenset().union(*(marker.languages for marker in markers.values()))
