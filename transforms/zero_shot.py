"""The zero-shot model source: a marker's score from a post's sentence embedding, with no labels.

The score is the post's cosine similarity to the centroid of the marker's phrases (its
prototypes and, unless its file says `centroid_terms = false` there, its lexicon terms:
`prototype_phrases`), standardised against the neutral reference posts' similarities to that
centroid. A marker of the CONTRASTED dimension (the basic emotions, which rarely share a post)
is scored by its share of a softmax over its rivals (the
neutral reference set and every shipped marker of that dimension); any other marker by its
similarity less part of the post's similarity to the neutral set. The statistic is set against
the same statistic of the neutral reference posts as a z-score (how many standard deviations
above the neutral posts it lies), so scores of different markers and models are on one scale.
transforms.model_markers decides with it where a marker has no trained head.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np

from transforms.embedding import DEFAULT_MODEL, Encoder, ModelError, resolve_model_path
from transforms.markers import BUILTIN_DIR, Marker, MarkerError, load_markers
from transforms.model_folders import weights_digest

NEUTRAL_FILE = BUILTIN_DIR / "model" / "neutral.toml"
ADAPTED_FILE = BUILTIN_DIR / "model" / "adapted.toml"
"""The thresholds of the adapted scoring (adapt_markers), per language and marker; where they
come from is in its header."""
MODEL_THRESHOLDS_FILE = BUILTIN_DIR / "model" / "thresholds.toml"
"""The thresholds of the zero-shot scoring on sentence models other than the shipped one (whose
are in the marker files), per model (keyed by weights_digest), language and marker
(model_threshold); where they come from is in its header."""
DEFAULT_THRESHOLD = 3.5
"""The z-score threshold of a prototype source whose language has none calibrated in its
marker file (the best single threshold over the shipped English markers)."""
CONTRASTED = "emotion"
"""The first dimension of markers scored against their rivals (a softmax, see the module doc):
on the English dev splits this lifts the emotions' zero-shot macro-F1, while a margin among the
risk markers, which co-occur, lowers theirs (benchmarks/RESULTS.md, `zero-shot`)."""
SOFTMAX_TEMPERATURE = 2.0
"""Temperature of the softmax over standardised cosines that scores a CONTRASTED marker (of 1,
2 and 4 on the English dev splits, 2 was best on CovidEmo and near best on XED and ISEAR)."""
NEUTRAL_WEIGHT = 0.5
"""How much of its standardised closeness to the neutral centroid a marker outside CONTRASTED
loses (of 0, 0.5 and 1 on the English dev splits: 0.5 lifts stress on balanced sad_stress and on
rmhd27's anxiety/depression posts without lowering rmhd27's markers; benchmarks/zero_shot.py)."""
NEUTRAL = "__neutral__"
"""The key of the neutral centroid among zero_shot's `centroids`."""
ADAPT_WEIGHT = 0.25
"""adapted_centroids' share of the corpus posts in a moved centroid (of 0.25 and 0.5, 0.25 was
as good on the English dev splits and moves less; benchmarks/zero_shot_adapted.py)."""
ADAPT_MIN_POSTS = 10
"""The fewest lexicon-flagged corpus posts that move a centroid (adapted_centroids' default;
`markers adapt` raises it to the small-cell minimum k where that is higher)."""
MIN_TERM_LETTERS = 3
"""Lexicon terms with fewer letters (emoji, `:)`) are left out of a marker's centroid."""


class SourceError(MarkerError):
    """A marker was asked to decide with a source it does not have."""


def prototype_phrases(marker: Marker, lang: str) -> tuple[str, ...]:
    """The phrases whose embeddings' centroid stands for `marker` in `lang`: its prototypes,
    then (except in its languages of `prototypes_alone`) its lexicon terms of at least
    MIN_TERM_LETTERS letters (wildcards dropped)."""
    if lang in marker.prototypes_alone:
        return tuple(marker.prototypes.get(lang, ()))
    terms = (
        term.replace("*", "")
        for term in marker.terms.get(lang, ())
        if sum(ch.isalpha() for ch in term) >= MIN_TERM_LETTERS
    )
    return (*marker.prototypes.get(lang, ()), *terms)


@cache
def contrasted_phrases(lang: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`(name, prototype_phrases)` of every shipped CONTRASTED marker with prototypes in
    `lang`: the rivals of a contrasted marker (fixed, whichever markers a run selects)."""
    return tuple(
        (name, prototype_phrases(marker, lang))
        for name, marker in load_markers().items()
        if marker.dimensions[:1] == (CONTRASTED,) and marker.prototypes.get(lang)
    )


def rivals(marker: Marker, lang: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The rivals of `marker`'s zero-shot score in `lang`: contrasted_phrases but its own name
    for a CONTRASTED marker, none for another. With its own phrases and the neutral set they
    are everything its score depends on but the sentence model (score_basis)."""
    if marker.dimensions[:1] != (CONTRASTED,):
        return ()
    return tuple(
        (name, phrases) for name, phrases in contrasted_phrases(lang) if name != marker.name
    )


def rivals_digest(marker: Marker, lang: str) -> str | None:
    """12 hex digits naming `marker`'s rivals in `lang` (rivals: each one's name and centroid
    phrases), None for a marker that is not CONTRASTED. A change to a rival's prototypes, or to
    its terms where they feed its centroid, changes it; the marker's own file does not."""
    if marker.dimensions[:1] != (CONTRASTED,):
        return None
    return _digest(rivals(marker, lang))


def score_basis(marker: Marker, lang: str) -> str:
    """12 hex digits naming what `marker`'s zero-shot score in `lang` depends on but the
    sentence model and the neutral reference set: its centroid's phrases (prototype_phrases),
    whether it is CONTRASTED and, if so, its rivals' phrases (rivals_digest). Two markers of
    one score_basis in `lang` score every post alike there on any one model, so a table of cuts
    chosen on those scores records it (model/thresholds.toml, model_threshold)."""
    return _digest((prototype_phrases(marker, lang), rivals_digest(marker, lang)))


@cache
def _digest(value: tuple) -> str:
    """12 hex digits of the SHA-256 of `value` as JSON (tuples as lists)."""
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:12]


def zero_shot(
    embeddings: np.ndarray,
    *,
    marker: Marker,
    lang: str,
    encoder: Encoder,
    centroids: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """The zero-shot score of each embedded post for `marker` in `lang` (see the module doc).

    Each cosine to a centroid is first standardised against the neutral reference posts' cosines
    to it. A CONTRASTED marker's statistic is its log-probability under a softmax (temperature
    SOFTMAX_TEMPERATURE) over the neutral centroid and every shipped CONTRASTED centroid; any
    other marker's is its standardised cosine minus NEUTRAL_WEIGHT × that of the neutral centroid.
    The statistic is returned as a z-score against the neutral posts' own statistic.
    `centroids` replaces the centroids of the markers it names (NEUTRAL for the neutral one),
    for example by adapted_centroids; by default, the marker's own `adapted` centroids in
    `lang` do (adapt_markers).

    Raises SourceError when the neutral reference set has under two phrases in `lang`.
    """
    neutral_posts = _embedded(encoder, neutral_phrases(lang))
    if len(neutral_posts) < 2:
        raise SourceError(
            f"the neutral reference set has no {lang} phrases: add some to {NEUTRAL_FILE}"
        )
    given = marker.adapted.get(lang, {}) if centroids is None else centroids

    def centroid(name: str, phrases: tuple[str, ...]) -> np.ndarray:
        if name in given:
            return np.asarray(given[name], dtype=np.float32)
        return _centroid(encoder, phrases)

    own = centroid(marker.name, prototype_phrases(marker, lang))
    reference = centroid(NEUTRAL, neutral_phrases(lang))
    contrasted = marker.dimensions[:1] == (CONTRASTED,)
    others = [centroid(name, phrases) for name, phrases in rivals(marker, lang)]
    centroids = np.stack([own, reference, *others])
    base = neutral_posts @ centroids.T
    centre, spread = base.mean(axis=0), np.maximum(base.std(axis=0), 1e-6)

    def statistic(rows: np.ndarray) -> np.ndarray:
        closeness = (rows @ centroids.T - centre) / spread
        if not contrasted:
            return closeness[:, 0] - NEUTRAL_WEIGHT * closeness[:, 1]
        logits = closeness / SOFTMAX_TEMPERATURE
        top = logits.max(axis=1)
        return logits[:, 0] - top - np.log(np.exp(logits - top[:, None]).sum(axis=1))

    neutral = statistic(neutral_posts)
    return (statistic(embeddings) - neutral.mean()) / max(float(neutral.std()), 1e-6)


def adapted_centroids(
    embeddings: np.ndarray,
    hits: Mapping[str, np.ndarray],
    *,
    markers: Mapping[str, Marker],
    lang: str,
    encoder: Encoder,
    weight: float = ADAPT_WEIGHT,
    neutral: bool = False,
    min_posts: int = ADAPT_MIN_POSTS,
) -> dict[str, np.ndarray]:
    """zero_shot's `centroids` moved toward the corpus being scored (`embeddings`, unlabelled).

    Each of `markers` with prototypes in `lang` whose lexicon hit (`hits[name]`, Boolean per
    post) is the post's only hit among `hits` on at least `min_posts` posts gets the
    unit-length blend of (1 - `weight`) × its centroid and `weight` × those posts' unit centroid;
    with `neutral`, NEUTRAL likewise with the posts no marker of `hits` flags. Markers with too
    few such posts are left out (zero_shot keeps their centroid)."""
    flags = np.stack([np.asarray(h, dtype=bool) for h in hits.values()])
    alone = flags.sum(axis=0) == 1
    chosen = {
        name: (np.asarray(hits[name], dtype=bool) & alone, prototype_phrases(marker, lang))
        for name, marker in markers.items()
        if name in hits and marker.prototypes.get(lang)
    }
    if neutral:
        chosen[NEUTRAL] = (~flags.any(axis=0), neutral_phrases(lang))
    return {
        name: _unit(
            (1 - weight) * _centroid(encoder, phrases)
            + weight * _unit(embeddings[rows].mean(axis=0))
        )
        for name, (rows, phrases) in chosen.items()
        if rows.sum() >= min_posts
    }


@cache
def adapted_thresholds(lang: str) -> dict[str, float]:
    """The adapted scoring's threshold of each marker in `lang` (ADAPTED_FILE): the markers a
    corpus adaptation applies to (none for a language the file does not cover)."""
    with ADAPTED_FILE.open("rb") as handle:
        return dict(tomllib.load(handle).get("lang", {}).get(lang, {}))


@cache
def adapted_bases(lang: str) -> dict[str, str]:
    """The score_basis each of ADAPTED_FILE's cuts in `lang` was chosen for, by marker (its
    `basis` table; a marker it records none for is missing)."""
    with ADAPTED_FILE.open("rb") as handle:
        return dict(tomllib.load(handle).get("basis", {}).get(lang, {}))


def check_adapted_models(models: Mapping[str, str]) -> None:
    """Refuse the adapted scoring where its thresholds do not apply: ADAPTED_FILE's were chosen
    on the adapted scores of the shipped model (DEFAULT_MODEL, all-MiniLM-L6-v2), and a z-score
    is on one scale across markers, not across models, so on another model's scores they would
    flag by chance (model/thresholds.toml holds no adapted cut for any other model).

    Raises SourceError naming `models.<lang>` for each language of `models` (ModelConfig.models)
    that ADAPTED_FILE has thresholds for and whose model is another.
    """
    others = {
        lang: spec
        for lang, spec in sorted(models.items())
        if spec != DEFAULT_MODEL and adapted_thresholds(lang)
    }
    if others:
        named = ", ".join(f"models.{lang} = {spec!r}" for lang, spec in others.items())
        raise SourceError(
            f'zero_shot = "adapted" has thresholds only for the shipped model\'s adapted scores '
            f"({ADAPTED_FILE.name}, chosen on all-MiniLM-L6-v2), and config.toml sets {named}: "
            'set zero_shot = "shipped" to score that model with the thresholds chosen for it '
            "(model/thresholds.toml, where it lists the model; else the marker files'), or "
            f'set {" and ".join(f"models.{lang}" for lang in others)} = "default" to adapt '
            "the shipped model"
        )


def adapt_markers(
    markers: Mapping[str, Marker], centroids: Mapping[str, Mapping[str, np.ndarray]]
) -> dict[str, Marker]:
    """`markers`, those that adapted_thresholds names in a language of `centroids` (language →
    adapted_centroids' output for a corpus) scored with the adapted centroids: each gets them
    as its `adapted` centroids in that language and the adapted threshold there; where its
    rule lets the model decide (any but `lexicon`), a version covering both too. Under the rule
    `lexicon` its decisions, and so its version and the rates measured on it, are unchanged.
    The other markers, and languages, are as they were; so is a marker none of whose scoring
    centroids moved (`scoring_centroids`): its scores are the shipped ones, and so are its
    threshold and version; and so is a marker whose score_basis in a language is not the one
    the table's cut there was chosen for (adapted_bases: a copy with other phrases, or an
    emotion after a rival's changed), or one of whose rivals' centroids in `centroids` was
    moved from a marker of `markers` with other phrases than the shipped rival's (a user's
    copy: shipped_rivals_moved), since that cut was chosen on other scores."""
    adapted = dict(markers)
    for lang, moved in sorted(centroids.items()):
        vectors = {name: tuple(float(v) for v in moved[name]) for name in sorted(moved)}
        chosen_for = adapted_bases(lang)
        for name, cut in adapted_thresholds(lang).items():
            marker = adapted.get(name)
            if marker is None or not marker.prototypes.get(lang) or lang in marker.heads:
                continue
            if not chosen_for_now(chosen_for, marker, lang):
                continue
            if not shipped_rivals_moved(marker, lang, moved, markers):
                continue
            if not scoring_centroids(marker, lang) & set(moved):
                continue
            marker = replace(
                marker,
                adapted={**marker.adapted, lang: vectors},
                thresholds={**marker.thresholds, lang: float(cut)},
            )
            if marker.rule != "lexicon":
                version = f"{marker.version}:{lang}:{adapted_digest(marker, lang)}"
                marker = replace(marker, version=hashlib.sha256(version.encode()).hexdigest()[:12])
            adapted[name] = marker
    return adapted


def shipped_rivals_moved(
    marker: Marker, lang: str, moved: Mapping[str, np.ndarray], markers: Mapping[str, Marker]
) -> bool:
    """Whether each of `marker`'s rivals in `lang` (rivals) whose centroid `moved` holds was
    moved from the shipped rival's phrases: its marker of that name in `markers`, which the
    centroids were fitted with, has them (adapt_markers). A rival moved from a copy with other
    phrases is another rival than the shipped one that score_basis names."""
    return all(
        name not in markers or prototype_phrases(markers[name], lang) == phrases
        for name, phrases in rivals(marker, lang)
        if name in moved
    )


def model_threshold(marker: Marker, lang: str, model: str) -> float | None:
    """The threshold of `marker`'s zero-shot score in `lang` chosen for the sentence model
    `model` (a spec of transforms.embedding.resolve_model_path) in MODEL_THRESHOLDS_FILE, found
    by the digest of the model's weights (weights_digest), so any copy of the same weights finds
    it. None (the marker file's threshold holds) for the shipped model, a model or marker the
    file does not list, a folder that is not there (loading the model says so), a marker whose
    zero-shot source in `lang` is not the shipped one (zero_shot_basis differs: a user's own
    threshold there, or other prototypes or worded terms there), a cut chosen on other scores
    than the marker's now (the table's `basis`, the score_basis each cut was chosen for,
    differs: the shipped prototypes or terms changed since, the marker's own or, for a
    CONTRASTED marker, a rival's; a cut the table records no basis for is read as chosen for
    the current one), a marker with a trained head
    in `lang` (the head's threshold holds) and a marker adapted to a corpus in `lang`
    (adapt_markers: the adapted table's threshold holds). A marker's version
    is not compared: a version that covers the model (transforms.model_versions.model_versioned)
    or another language's terms does not change which cut its scores in `lang` were chosen for."""
    if model == DEFAULT_MODEL or lang in marker.adapted or lang in marker.heads:
        return None
    shipped = _shipped_markers().get(marker.name)
    if shipped is None or zero_shot_basis(shipped, lang) != zero_shot_basis(marker, lang):
        return None
    try:
        digest = weights_digest(resolve_model_path(model))
    except ModelError:
        return None
    table = _model_tables(MODEL_THRESHOLDS_FILE).get(digest, {})
    cut = table.get("lang", {}).get(lang, {}).get(marker.name)
    if cut is None or not chosen_for_now(table.get("basis", {}).get(lang, {}), marker, lang):
        return None
    return float(cut)


def chosen_for_now(recorded: Mapping[str, str], marker: Marker, lang: str) -> bool:
    """Whether a table's cut of `marker` in `lang` was chosen on the scores it has now:
    `recorded` (the table's score_basis by marker, in `lang`) names its score_basis there, or
    names none (read as chosen for the current one: a table written before bases were kept)."""
    basis = score_basis(marker, lang)
    return recorded.get(marker.name, basis) == basis


@cache
def _model_tables(file: Path) -> dict:
    """MODEL_THRESHOLDS_FILE's tables by model digest."""
    with file.open("rb") as handle:
        return tomllib.load(handle).get("model", {})


def zero_shot_basis(marker: Marker, lang: str) -> tuple[str, float | None]:
    """What a zero-shot threshold of `marker` in `lang` is chosen for: what its score depends on
    (score_basis: its centroid's phrases and, for a CONTRASTED marker, its rivals') and the
    marker file's threshold there (a user's own). Not its heads: the table's cuts were chosen on
    the zero-shot source alone (benchmarks/zero_shot.py drops the heads), so a copy lacking the
    shipped head has the very source they were chosen for."""
    return score_basis(marker, lang), marker.thresholds.get(lang)


@cache
def _shipped_markers() -> dict[str, Marker]:
    return load_markers()


def adapted_digest(marker: Marker, lang: str) -> str:
    """12 hex digits naming `marker`'s adapted scoring in `lang` (adapt_markers): its fitted
    centroids there and its threshold, which together fix its scores and decisions."""
    basis = f"{marker.thresholds[lang]}:{marker.adapted[lang]!r}"
    return hashlib.sha256(basis.encode()).hexdigest()[:12]


def scoring_centroids(marker: Marker, lang: str) -> set[str]:
    """The centroids (`zero_shot`'s `centroids` keys) that `marker`'s score in `lang` uses: its
    own and NEUTRAL's, and for a CONTRASTED marker its rivals' too (rivals)."""
    return {marker.name, NEUTRAL} | {name for name, _ in rivals(marker, lang)}


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _centroid(encoder: Encoder, phrases: tuple[str, ...]) -> np.ndarray:
    """The unit-length mean of the embeddings of `phrases`."""
    return _unit(_embedded(encoder, phrases).mean(axis=0))


@cache
def neutral_phrases(lang: str) -> tuple[str, ...]:
    """The neutral reference posts of `lang` (none for a language the set does not cover)."""
    with NEUTRAL_FILE.open("rb") as handle:
        tables = tomllib.load(handle).get("lang", {})
    return tuple(tables.get(lang, {}).get("phrases", ()))


_EMBEDDED: dict[tuple[Encoder, tuple[str, ...]], np.ndarray] = {}


def _embedded(encoder: Encoder, phrases: tuple[str, ...]) -> np.ndarray:
    """`phrases` embedded once per encoder (keyed on the encoder itself, never on its id(),
    which a later object may reuse)."""
    key = (encoder, phrases)
    if key not in _EMBEDDED:
        _EMBEDDED[key] = encoder.encode(list(phrases))
    return _EMBEDDED[key]
