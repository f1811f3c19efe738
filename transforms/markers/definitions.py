"""Markers as data: marker files and trained heads, parsed and validated, and their versions
(DESIGN.md, Marker). What matches them is built from these by `transforms.markers.compiled`."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from transforms.errors import MarkerError as MarkerError
from transforms.markers.file_checks import (
    FILE_KEYS,
    LANG_KEYS,
    check_language,
    check_terms,
    did_you_mean,
    directory_files,
    refuse_guarded_terms,
    refuse_unknown_keys,
    warn_of_dropped_shipped_heads,
    warn_of_lone_dimensions,
)
from transforms.ngram import RECIPES, NgramWeights
from transforms.static_embedding import STATIC_WEIGHTS

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).parent
"""The shipped marker files (`<name>.toml`), beside this package's code."""
DEFAULT_HEADS_DIR = BUILTIN_DIR / "heads"
"""Shipped trained heads, one folder per language (`heads/<lang>/<name>.head.json`), trained by
`moodcast markers train` on public labelled sets whose licence allows it; their provenance and
test metrics are in heads/PROVENANCE.md."""
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
RULES = ("lexicon", "model", "either", "both")
FAMILIES = ("embedding", "ngram", "hybrid", "finetune", "static")
SELF_CONTAINED = ("ngram", "static")
"""Head families that need no configured sentence model: n-gram features, or a static model
saved beside the head."""
OWN_MODEL_FILE = {"static": STATIC_WEIGHTS, "finetune": "modules.json"}
"""Head families with their own model folder saved beside the head file, and the file that
folder always holds."""
DIGEST_FIELD = {"static": "static_digest", "finetune": "encoder_digest"}
"""The field of a head file that records the digest of its own model folder's files."""
CUES = ("first_person",)
LITERAL_STAR = "|literal-star"
"""Added to the hashed JSON of a marker file with a term ending in a `*` after a symbol
(_file_version)."""
VERSION_FREE = ("threshold_basis",)
"""Keys of a marker file's `[lang.xx]` table that its version leaves out: metadata about a
value, not the value (a version change restarts the marker's series, and a note on where its
threshold was chosen changes no score or flag)."""


@dataclass(frozen=True)
class Head:
    """A trained model source: P(marker | post) = sigmoid(features · coef + intercept), a hit at
    `threshold` or above. `family` says what the features are: `embedding`, the sentence
    embedding of the model named by `model`; `ngram`, the hashed n-grams of transforms/ngram.py
    (`model` names the recipe), of which `indices` are the buckets with a weight in `coef`;
    `hybrid`, both side by side: `coef` weighs the embedding of the model named by `model`,
    `ngram_coef` the buckets `indices` of the n-gram recipe `recipe`; `finetune`, the sentence
    embedding of its own fine-tuned model, saved beside the head file: `model` is that
    directory's resolved path; `static`, as `hybrid` but on the embedding of its own static
    model (transforms/static_embedding.py), saved beside the head file: `model` is that
    directory's resolved path. `digest` is, for those two, the digest of that folder's files
    the head file records (transforms.model_folders.folder_digest; None when it records none).
    `cv_f1` is its cross-validated (`finetune`: held-out) F1 on the training labels."""

    coef: tuple[float, ...]
    intercept: float
    threshold: float
    model: str
    languages: tuple[str, ...]
    cv_f1: float | None = None
    family: str = "embedding"
    indices: tuple[int, ...] = ()
    recipe: str | None = None
    ngram_coef: tuple[float, ...] = ()
    digest: str | None = None

    @property
    def ngram_weights(self) -> NgramWeights | None:
        """The n-gram part of the head's logit (with the intercept for an `ngram` head, which
        has no other part); None for an `embedding` or `finetune` head."""
        if self.family == "ngram":
            return NgramWeights(self.model, self.indices, self.coef, self.intercept)
        if self.family in ("hybrid", "static"):
            return NgramWeights(str(self.recipe), self.indices, self.ngram_coef)
        return None


@dataclass(frozen=True)
class Marker:
    """One concept across languages (DESIGN.md, Marker). Per language: lexicon `terms`; a
    zero-shot model source (`prototypes` with a `thresholds` entry, when calibrated) and/or a
    trained `heads` entry, which replaces the prototypes of its language. `guards` are phrases
    in which a term does not count (`less stressful`): matched like terms, never counted.
    `adapted` holds, per language, corpus-adapted zero-shot centroids (marker name → unit
    vector: this marker's and its rivals'), which replace those of their phrases
    (transforms.zero_shot.adapt_markers, `moodcast markers adapt`). `prototypes_alone` holds
    the languages whose zero-shot centroid leaves the lexicon terms out (`centroid_terms =
    false` in the file; transforms.zero_shot.prototype_phrases). `threshold_bases` says, per
    language, where the file's `threshold` there was chosen (its `threshold_basis`, free text:
    `real-dev:<set>` for a labelled set's dev split, `written` for the written calibration set);
    no version covers it (VERSION_FREE). `file` is the marker file it was read from, where
    `load_markers` read it (no version covers it either)."""

    name: str
    description: str
    dimensions: tuple[str, ...]
    rule: str
    terms: Mapping[str, tuple[str, ...]]
    version: str
    cue: str | None = None
    prototypes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)
    heads: Mapping[str, Head] = field(default_factory=dict)
    guards: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    adapted: Mapping[str, Mapping[str, tuple[float, ...]]] = field(default_factory=dict)
    prototypes_alone: frozenset[str] = frozenset()
    threshold_bases: Mapping[str, str] = field(default_factory=dict)
    file: Path | None = field(default=None, compare=False)

    @property
    def replaces_shipped(self) -> bool:
        """Whether the marker was read from a file of a user's directory that replaces the
        shipped marker file of the same name (load_markers: a later directory wins)."""
        return (
            self.file is not None
            and self.file.parent != BUILTIN_DIR
            and (BUILTIN_DIR / f"{self.name}.toml").is_file()
        )

    @property
    def dropped_shipped_heads(self) -> dict[str, Path]:
        """Language → the shipped head file (DEFAULT_HEADS_DIR) of the marker's name that no
        longer decides there, for a marker read from a user's file that replaces the shipped one
        (replaces_shipped) with no head of its own in that language: load_markers attaches the
        shipped heads to the shipped file only. Empty for any other marker."""
        if not self.replaces_shipped:
            return {}
        shipped = shipped_head_files().get(self.name, {})
        return {lang: path for lang, path in shipped.items() if lang not in self.heads}

    @property
    def languages(self) -> frozenset[str]:
        """Languages with a lexicon source for this marker."""
        return frozenset(lang for lang, terms in self.terms.items() if terms)

    @property
    def model_languages(self) -> frozenset[str]:
        """Languages with a model source (prototypes or a trained head) for this marker."""
        return frozenset(lang for lang, p in self.prototypes.items() if p) | frozenset(self.heads)

    @property
    def ngram_languages(self) -> frozenset[str]:
        """Languages whose model source is an n-gram head (it needs no sentence model)."""
        return frozenset(lang for lang, head in self.heads.items() if head.family == "ngram")

    @property
    def self_contained_languages(self) -> frozenset[str]:
        """Languages whose model source is a head that needs no configured sentence model (an
        n-gram head, or a static head with its own model): it runs in any language."""
        return frozenset(lang for lang, head in self.heads.items() if head.family in SELF_CONTAINED)


def marker_name(value: str) -> str:
    """`value` as a marker name: lower-cased, each run of other characters than letters,
    digits and `_` made one `_`, stripped of `_` at the ends (`Emotional Turmoil` →
    `emotional_turmoil`); it may still not match NAME_PATTERN (`1st` → `1st`)."""
    return re.sub(r"[^a-z0-9_]+", "_", value.lower()).strip("_")


def parse_marker(raw: Mapping, *, origin: str) -> Marker:
    """Validate a parsed marker file and build its Marker; `origin` names it in errors."""
    refuse_unknown_keys(raw, FILE_KEYS, where=f"{origin}:", kind="a marker file")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise MarkerError(f"{origin}: 'name' must match {NAME_PATTERN.pattern}, got {name!r}")
    if not isinstance(raw.get("description", ""), str):
        raise MarkerError(f"{origin}: 'description' must be a string (one line)")
    languages = raw.get("lang", {})
    if not isinstance(languages, Mapping):
        raise MarkerError(
            f"{origin}: 'lang' must be tables of sources per language, [lang.en] with "
            f"terms = [...], got {languages!r}"
        )
    rule = raw.get("rule", "lexicon")
    if rule not in RULES:
        raise MarkerError(f"{origin}: 'rule' must be one of {', '.join(RULES)}, got {rule!r}")
    dimensions = raw.get("dimensions", [])
    if not isinstance(dimensions, list) or not all(isinstance(d, str) for d in dimensions):
        raise MarkerError(f"{origin}: 'dimensions' must be a list of strings")
    cue = raw.get("cue")
    if cue is not None and cue not in CUES:
        raise MarkerError(f"{origin}: 'cue' must be one of {', '.join(CUES)}, got {cue!r}")
    terms: dict[str, tuple[str, ...]] = {}
    prototypes: dict[str, tuple[str, ...]] = {}
    guards: dict[str, tuple[str, ...]] = {}
    thresholds: dict[str, float] = {}
    threshold_bases: dict[str, str] = {}
    prototypes_alone: set[str] = set()
    for lang, source in sorted(languages.items()):
        if not isinstance(source, Mapping):
            raise MarkerError(f"{origin}: [lang.{lang}] must be a table")
        check_language(lang, origin=origin)
        refuse_unknown_keys(source, LANG_KEYS, where=f"{origin}: [lang.{lang}]", kind="it")
        for key, into in (("terms", terms), ("prototypes", prototypes), ("guards", guards)):
            listed = source.get(key, [])
            if not isinstance(listed, list) or not all(
                isinstance(t, str) and t.strip() for t in listed
            ):
                raise MarkerError(
                    f"{origin}: [lang.{lang}] '{key}' must be a list of non-empty strings"
                )
            if key != "prototypes":
                check_terms(listed, origin=f"{origin}: [lang.{lang}] '{key}'")
            into[lang] = tuple(listed)
        refuse_guarded_terms(terms[lang], guards[lang], origin=f"{origin}: [lang.{lang}]")
        if "threshold" in source:
            threshold = source["threshold"]
            if (
                not isinstance(threshold, int | float)
                or isinstance(threshold, bool)
                or not math.isfinite(threshold)
            ):
                raise MarkerError(
                    f"{origin}: [lang.{lang}] 'threshold' must be a finite number (a z-score "
                    f"such as 3.5), got {threshold!r}"
                )
            thresholds[lang] = float(threshold)
        if "threshold_basis" in source:
            threshold_bases[lang] = _threshold_basis(source, origin=f"{origin}: [lang.{lang}]")
        centroid_terms = source.get("centroid_terms", True)
        if not isinstance(centroid_terms, bool):
            raise MarkerError(f"{origin}: [lang.{lang}] 'centroid_terms' must be true or false")
        if not centroid_terms:
            prototypes_alone.add(lang)
    return Marker(
        name=name,
        description=str(raw.get("description", "")),
        dimensions=tuple(dimensions),
        rule=rule,
        terms=terms,
        version=_file_version(raw),
        cue=cue,
        prototypes=prototypes,
        thresholds=thresholds,
        guards={lang: g for lang, g in guards.items() if g},
        prototypes_alone=frozenset(prototypes_alone),
        threshold_bases=threshold_bases,
    )


def _threshold_basis(source: Mapping, *, origin: str) -> str:
    """A `[lang.xx]` table's `threshold_basis`, checked: a non-empty string beside a
    `threshold`. Raises MarkerError naming `origin` otherwise."""
    basis = source["threshold_basis"]
    if not isinstance(basis, str) or not basis.strip():
        raise MarkerError(
            f"{origin} 'threshold_basis' must be a non-empty string saying where its threshold "
            'was chosen ("real-dev:<set>" or "written")'
        )
    if "threshold" not in source:
        raise MarkerError(
            f"{origin} 'threshold_basis' says where a threshold was chosen, and the table sets "
            "no 'threshold': add one, or remove 'threshold_basis'"
        )
    return basis


def _file_version(raw: Mapping) -> str:
    """The first 12 hex digits of the SHA-256 of the parsed marker file `raw` as canonical JSON
    (keys sorted), less the keys of VERSION_FREE in its `[lang.xx]` tables; followed by
    LITERAL_STAR where a term or guard ends in a `*` after a symbol (`:*`), which was a
    wildcard until 2026-12, so that such a marker's series restart where its matches changed
    (no shipped marker has one: their versions stay)."""
    from transforms.markers.rules import is_prefix

    languages = raw.get("lang", {})
    literal_star = any(
        term.strip().endswith("*") and not is_prefix(term)
        for table in languages.values()
        for key in ("terms", "guards")
        for term in table.get(key, ())
    )
    if any(key in table for table in languages.values() for key in VERSION_FREE):
        kept = {
            lang: {k: v for k, v in table.items() if k not in VERSION_FREE}
            for lang, table in languages.items()
        }
        raw = {**raw, "lang": kept}
    canonical_json = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    canonical_json += LITERAL_STAR * literal_star
    return hashlib.sha256(canonical_json.encode("utf-8")).hexdigest()[:12]


def read_head(path: Path) -> Head:
    """The trained head in `path` (`<marker>.head.json`, written by `moodcast markers train`).

    Raises MarkerError naming the file when it cannot be read or lacks a field.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        head = Head(
            coef=tuple(float(c) for c in raw["coef"]),
            intercept=float(raw["intercept"]),
            threshold=float(raw["threshold"]),
            model=str(raw["model"]),
            languages=tuple(str(lang) for lang in raw["languages"]),
            cv_f1=None if raw.get("cv_f1") is None else float(raw["cv_f1"]),
            family=str(raw.get("family", "embedding")),
            indices=tuple(int(i) for i in raw.get("indices", ())),
            recipe=raw.get("recipe"),
            ngram_coef=tuple(float(c) for c in raw.get("ngram_coef", ())),
        )
        family = head.family
        if family in DIGEST_FIELD and raw.get(DIGEST_FIELD[family]) is not None:
            head = replace(head, digest=str(raw[DIGEST_FIELD[family]]))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise MarkerError(f"{path}: not a readable trained head ({exc})") from exc
    if head.family not in FAMILIES:
        raise MarkerError(f"{path}: 'family' must be one of {', '.join(FAMILIES)}")
    if not isinstance(raw["languages"], list) or not head.languages:
        raise MarkerError(
            f"{path}: 'languages' must be a list of the language codes it was trained on "
            f'(["en"]), got {raw["languages"]!r}'
        )
    for lang in head.languages:
        check_language(lang, origin=str(path), form="{!r} in 'languages'")
    numbers = (head.threshold, head.intercept, *head.coef, *head.ngram_coef)
    if not all(map(math.isfinite, numbers)) or not 0 <= head.threshold <= 1:
        raise MarkerError(
            f"{path}: 'threshold' must be a probability from 0 to 1 and 'coef', 'intercept' "
            "and 'ngram_coef' finite numbers (a head file holds NaN or Infinity, or a "
            "threshold out of range); retrain it with `moodcast markers train`"
        )
    if head.family == "ngram" and (
        head.model not in RECIPES or len(head.indices) != len(head.coef)
    ):
        raise MarkerError(
            f"{path}: an ngram head needs a model of {', '.join(map(repr, RECIPES))} and one "
            "index per weight; "
            "retrain it with `moodcast markers train --family ngram`"
        )
    if head.family in ("hybrid", "static") and (
        head.recipe not in RECIPES or len(head.indices) != len(head.ngram_coef)
    ):
        raise MarkerError(
            f"{path}: a {head.family} head needs a recipe of {', '.join(map(repr, RECIPES))} "
            "and one index per n-gram weight; retrain it with "
            f"`moodcast markers train --family {head.family}`"
        )
    if head.family in OWN_MODEL_FILE:
        model_dir = (path.parent / head.model).resolve()
        if not (model_dir / OWN_MODEL_FILE[head.family]).is_file():
            kind = "static model" if head.family == "static" else "fine-tuned model"
            raise MarkerError(
                f"{path}: its {kind} {model_dir} is missing; keep the folder beside the head "
                f"file, or retrain it with `moodcast markers train --family {head.family}`"
            )
        head = replace(head, model=str(model_dir))
    return head


@functools.cache
def shipped_head_files() -> dict[str, dict[str, Path]]:
    """Marker name → language → the shipped head file (DEFAULT_HEADS_DIR) that load_markers
    makes the shipped marker's model source in that language (the head's `languages`). It
    depends on the release only: read once per process."""
    found: dict[str, dict[str, Path]] = {}
    for directory in sorted(p for p in DEFAULT_HEADS_DIR.glob("*") if p.is_dir()):
        for path in directory_files(directory)[1]:
            name = path.name.removesuffix(".head.json")
            found.setdefault(name, {}).update(dict.fromkeys(read_head(path).languages, path))
    return found


def _with_head(marker: Marker, head: Head, head_bytes: bytes) -> Marker:
    """`marker` with `head` as the model source of its languages, and a version covering both."""
    digest = hashlib.sha256(marker.version.encode() + head_bytes).hexdigest()[:12]
    heads = {**marker.heads, **{lang: head for lang in head.languages}}
    return replace(marker, heads=heads, version=digest)


def load_markers(*directories: Path, names: Iterable[str] | None = None) -> dict[str, Marker]:
    """Markers from `BUILTIN_DIR` (with the shipped heads of DEFAULT_HEADS_DIR) then each
    directory in order (a later file of the same name replaces an earlier one), sorted by name;
    only `names` when given. A `<name>.head.json` in a directory becomes the model source of the
    marker of that name in its languages.

    Raises MarkerError for a malformed file, a file whose `name` differs from its file name, a
    head without its marker, a marker with no source in any language or whose `rule` asks for
    a model source it has in none (_check_sources), or an unknown name in `names`.
    """
    markers: dict[str, Marker] = {}
    shipped = sorted(p for p in DEFAULT_HEADS_DIR.glob("*") if p.is_dir())
    for directory in (BUILTIN_DIR, *shipped, *directories):
        marker_files, head_files = directory_files(Path(directory))
        for path in marker_files:
            try:
                raw = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise MarkerError(f"{path}: {exc}") from exc
            marker = parse_marker(raw, origin=str(path))
            if marker.name != path.stem:
                raise MarkerError(
                    f"{path}: 'name' is {marker.name!r}; rename the file or the marker"
                )
            markers[marker.name] = replace(marker, file=path)
        for path in head_files:
            name = path.name.removesuffix(".head.json")
            if name not in markers:
                raise MarkerError(f"{path}: no marker named {name!r} to attach this head to")
            markers[name] = _with_head(markers[name], read_head(path), path.read_bytes())
    for marker in markers.values():
        _check_sources(marker, origin=str(marker.file))
    warn_of_lone_dimensions(markers)
    warn_of_dropped_shipped_heads(markers)
    if names is not None:
        markers = pick_markers(markers, names)
    return dict(sorted(markers.items()))


def _check_sources(marker: Marker, *, origin: str) -> None:
    """Raise MarkerError, naming `origin` (its file), for a marker with neither terms,
    prototypes nor a trained head in any language (it would match no post), or whose `rule`
    lets a model decide (`model`, `either`, `both`) with no model source in any language
    (the lexicon would decide alone, the rule ignored)."""
    if not marker.languages and not marker.model_languages:
        raise MarkerError(
            f"{origin}: no language has terms, prototypes or a trained head, so it matches no "
            "post; add [lang.xx] tables with terms = [...] (or prototypes = [...], or train a "
            "head with `moodcast markers train`)"
        )
    if marker.rule != "lexicon" and not marker.model_languages:
        raise MarkerError(
            f"{origin}: 'rule' is {marker.rule!r}, which needs a model source, and no language "
            f"has prototypes or a trained head ({marker.name}.head.json); add prototypes = "
            '[...] under [lang.xx], train a head, or set rule = "lexicon"'
        )


def pick_markers(markers: Mapping[str, Marker], names: Iterable[str]) -> dict[str, Marker]:
    """Those of `markers` that `names` names, by name, in the order named. Raises MarkerError
    for a name that is no marker, saying which names are, and the one meant where a name is
    close to one (did_you_mean)."""
    wanted = list(names)
    unknown = sorted(set(wanted) - set(markers))
    if unknown:
        raise MarkerError(
            f"unknown marker(s) {', '.join(unknown)}{did_you_mean(unknown, markers)}; "
            f"known: {', '.join(markers)}"
        )
    return {name: markers[name] for name in wanted}


def marker_versions(markers: Mapping[str, Marker]) -> dict[str, str]:
    """Name → version, for the ledger."""
    return {name: marker.version for name, marker in markers.items()}


def supported_languages(markers: Mapping[str, Marker]) -> frozenset[str]:
    """Languages in which at least one marker has a source."""
    return frozenset().union(*(marker.languages for marker in markers.values()))
