"""Corpus-adapted zero-shot scoring (`zero_shot = "adapted"`, docs/markers.md): centroids fitted
once per language on a corpus of the user's posts by `moodcast markers adapt`, kept in the data
directory, and the markers every command and the Beam workers score with (configured_markers).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import polars as pl

from ingest.files import read_file
from moodcast.config import Settings
from moodcast.tagging import ReadPosts, with_languages
from transforms.markers import Marker, load_markers, score
from transforms.model_markers import check_source, load_encoders
from transforms.model_scoring import model_text
from transforms.model_versions import model_versioned
from transforms.records import LOCATED_SCHEMA, validate
from transforms.text import LanguageRule
from transforms.zero_shot import (
    ADAPT_MIN_POSTS,
    ADAPT_WEIGHT,
    SourceError,
    adapt_markers,
    adapted_centroids,
    adapted_thresholds,
    check_adapted_models,
)

ADAPTED_DIR = "adapted"
"""The data directory's folder of fitted centroids, one `<lang>.json` per language."""
MAX_POSTS = 20_000
"""The most posts of a language `markers adapt` embeds by default (a sample fixed by
sample_key)."""


@dataclass(frozen=True)
class Adapted:
    """What `markers adapt` wrote for one language: its file, the posts it was fitted on, and
    each moved centroid's count of posts flagged for that marker alone."""

    lang: str
    path: Path
    posts: int
    moved: dict[str, int]


def markers_digest(markers: Mapping[str, Marker]) -> str:
    """A digest of what a fit depends on: each marker's terms, guards and cue (which posts the
    lexicon flags) and its prototypes and the languages where they alone make its centroid (its
    centroid's phrases). A trained head does not count."""
    basis = {
        n: [m.terms, m.guards, m.cue, m.prototypes, sorted(m.prototypes_alone)]
        for n, m in sorted(markers.items())
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]


def fit_basis(markers: Mapping[str, Marker], model: str) -> dict[str, object]:
    """What a fit of `markers` with the sentence model `model` depends on, as its file records
    it: markers_digest, the model, ADAPT_WEIGHT, and the moodcast version, whose matching rules
    (normalisation, negation, the first-person cue) decide with the terms which posts the
    lexicon flags and so which posts move a centroid."""
    return {
        "markers": markers_digest(markers),
        "model": model,
        "package": version("moodcast"),
        "weight": ADAPT_WEIGHT,
    }


def sample_key(texts: pl.Expr) -> pl.Expr:
    """The UInt64 that fixes `markers adapt`'s sample: the first 8 bytes of BLAKE2b of each
    text's UTF-8, big-endian (hashlib's, the same on every polars and Python version)."""

    def keys(batch: pl.Series) -> pl.Series:
        digests = (
            None if t is None else hashlib.blake2b(t.encode(), digest_size=8).digest()
            for t in batch
        )
        return pl.Series(
            batch.name,
            [None if d is None else int.from_bytes(d, "big") for d in digests],
            dtype=pl.UInt64,
        )

    return texts.map_batches(keys, return_dtype=pl.UInt64)


def base_markers(settings: Settings) -> dict[str, Marker]:
    """The shipped markers and the user's (settings.user_markers_dir)."""
    user = [settings.user_markers_dir] if settings.user_markers_dir.is_dir() else []
    return load_markers(*user)


def configured_markers(settings: Settings) -> dict[str, Marker]:
    """base_markers, scored and versioned as configured (scored_as_configured)."""
    return scored_as_configured(base_markers(settings), settings)


def scored_as_configured(markers: Mapping[str, Marker], settings: Settings) -> dict[str, Marker]:
    """`markers` (every marker of base_markers, which a fit is checked against), scored as
    `settings.zero_shot` says and versioned for the configured models
    (transforms.model_versions.model_versioned: a marker a zero-shot source decides on a model
    other than the shipped one gets a version covering that model and its cut). With
    `adapted`, those of transforms.zero_shot.adapted_thresholds carry the centroids `markers
    adapt` fitted for each configured language that has an adapted table (adapt_markers).

    Raises SourceError when `adapted` is set and a language of the adapted table has another
    model than the one its thresholds were chosen on (check_adapted_models), or its centroids
    are missing, unreadable or stale: fitted on another fit_basis (other markers, another
    model, ADAPT_WEIGHT or moodcast version), or on fewer posts per centroid than
    adapt_min_posts asks now (read_fit); ModelError when a model it versions for is not there;
    SourceError (a MarkerError) for a marker that no source of the configuration can decide in
    any language (check_source).
    """
    check_source(markers, settings.model_config, None)
    return model_versioned(_adapted(markers, settings), settings.model_config)


def _adapted(markers: Mapping[str, Marker], settings: Settings) -> dict[str, Marker]:
    """scored_as_configured before model_versioned."""
    if settings.zero_shot != "adapted":
        return dict(markers)
    check_adapted_models(settings.models)
    centroids = {}
    for lang, spec in sorted(settings.models.items()):
        if not adapted_thresholds(lang):
            continue
        path = settings.data_dir / ADAPTED_DIR / f"{lang}.json"
        if not path.is_file():
            raise SourceError(
                f'zero_shot = "adapted" needs centroids fitted on your posts, and {path} is '
                "missing: run `moodcast markers adapt CORPUS` on a file of your posts, or set "
                'zero_shot = "shipped" in config.toml'
            )
        centroids[lang] = read_fit(
            path, fit_basis(markers, spec), min_posts=adapt_min_posts(settings)
        )
    return adapt_markers(markers, centroids)


def adapt_min_posts(settings: Settings) -> int:
    """The fewest posts flagged for a marker alone that move its centroid: ADAPT_MIN_POSTS, or
    the small-cell minimum `k` where higher (a moved centroid holds those posts' mean
    embedding, so it is held to the bar of a published cell)."""
    return max(ADAPT_MIN_POSTS, settings.k)


def read_fit(path: Path, basis: Mapping[str, object], *, min_posts: int) -> dict[str, np.ndarray]:
    """The centroids of the fit at `path` (fit_adaptation's file): marker name → finite
    vector, all of one length.

    Raises SourceError when the file is not such a fit (unreadable, cut short, edited), was
    fitted on another `basis` (fit_basis), or moved a centroid on fewer than `min_posts` posts.
    """
    try:
        fitted = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(
            f"{path} is not a fit of `moodcast markers adapt` ({exc}): run it again"
        ) from exc
    if not isinstance(fitted, dict) or not isinstance(fitted.get("centroids"), dict):
        raise SourceError(f"{path} is not a fit of `moodcast markers adapt`: run it again")
    if fitted.get("package") != basis["package"]:
        made_by = (
            f"moodcast {fitted['package']}" if "package" in fitted else "a moodcast before 2026-12"
        )
        raise SourceError(
            f"{path} was fitted by {made_by}, not this one ({basis['package']}), whose lexicon "
            "may flag other posts: run `moodcast markers adapt CORPUS` again"
        )
    if any(fitted.get(k) != v for k, v in basis.items()):
        raise SourceError(
            f"{path} was fitted for other markers or another model (a marker was added or "
            "removed, its terms or prototypes changed, or `models` changed since): run "
            "`moodcast markers adapt CORPUS` again"
        )
    fitted_min = fitted.get("min_posts")
    if not isinstance(fitted_min, int) or fitted_min < min_posts:
        raise SourceError(
            f"{path} let fewer than {min_posts} posts move a centroid, the least that the "
            "small-cell minimum k asks now: run `moodcast markers adapt CORPUS` again"
        )
    try:
        vectors = {n: np.asarray(v, dtype=np.float32) for n, v in fitted["centroids"].items()}
    except (TypeError, ValueError) as exc:
        raise SourceError(f"{path} holds a centroid that is not a vector: run it again") from exc
    if len({v.shape for v in vectors.values()}) > 1 or any(
        v.ndim != 1 or not np.isfinite(v).all() for v in vectors.values()
    ):
        raise SourceError(f"{path} holds a centroid that is not a vector: run it again")
    return vectors


def corpus_posts(
    path: str | Path, settings: Settings, *, rule: LanguageRule, max_posts: int = MAX_POSTS
) -> tuple[pl.DataFrame, ReadPosts]:
    """`lang, text` (model_text) of the distinct valid posts of one file, read and validated
    as `moodcast tag` reads them: per language, the `max_posts` of lowest sample_key (a
    deterministic sample, the same on every rerun and every polars version), in that order;
    and what became of every record."""
    kept = pl.DataFrame(schema={"lang": pl.String, "text": pl.String, "key": pl.UInt64})
    languages: Counter[str] = Counter()
    dead_letters: Counter[str] = Counter()
    read = 0
    for chunk in read_file(str(path), mapping=settings.record_mapping):
        valid, invalid = validate(
            chunk.records.cast(LOCATED_SCHEMA),
            source_tz=settings.source_tz,
            max_text_chars=settings.max_text_chars,
        )
        refused = pl.concat([chunk.dead, invalid])
        read += valid.height + refused.height
        dead_letters.update(dict(refused.get_column("reason").value_counts().iter_rows()))
        if valid.is_empty():
            continue
        posts = (
            with_languages(valid, text="text", rule=rule)
            .select("lang", model_text(pl.col("text")).alias("text"))
            .with_columns(sample_key(pl.col("text")).alias("key"))
        )
        languages.update(dict(posts.get_column("lang").value_counts().iter_rows()))
        kept = (
            pl.concat([kept, posts])
            .unique(["lang", "key"], keep="first")
            .sort("lang", "key")
            .group_by("lang", maintain_order=True)
            .head(max_posts)
        )
    return kept.drop("key"), ReadPosts(dict(languages), read, dict(dead_letters))


def fit_adaptation(posts: pl.DataFrame, settings: Settings, *, origin: str) -> list[Adapted]:
    """Fit and write the adapted centroids of each language of `posts` (corpus_posts) that has
    a configured model and an adapted threshold table (transforms.zero_shot.adapted_centroids,
    with the lexicon hits of base_markers, moving a centroid on at least adapt_min_posts
    posts), as `<data dir>/adapted/<lang>.json`, which records its fit_basis and `origin`.
    Languages without a model or table are left out; a rerun on the same posts writes the same
    files, each through a temporary file of its own (two runs at once never write into one; a
    failed write leaves none behind)."""
    check_adapted_models(settings.models)
    markers = base_markers(settings)
    config = settings.model_config
    langs = sorted(
        lang
        for lang in set(posts.get_column("lang").unique().to_list()) & set(config.models)
        if adapted_thresholds(lang)
    )
    written = []
    for lang, encoder in load_encoders(config, langs).items():
        part = posts.filter(pl.col("lang") == lang)
        lexicon = score(part, markers)
        hits = {n: lexicon.get_column(n).fill_null(False).to_numpy() for n in markers}
        x = encoder.encode(part.get_column("text").to_list())
        moved = adapted_centroids(
            x,
            hits,
            markers=markers,
            lang=lang,
            encoder=encoder,
            min_posts=adapt_min_posts(settings),
        )
        flags = np.stack(list(hits.values()))
        alone = flags.sum(axis=0) == 1
        path = settings.data_dir / ADAPTED_DIR / f"{lang}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        counts = {n: int((hits[n] & alone).sum()) for n in sorted(moved)}
        document = {
            "lang": lang,
            **fit_basis(markers, config.models[lang]),
            "min_posts": adapt_min_posts(settings),
            "posts": part.height,
            "corpus": origin,
            "moved": counts,
            "centroids": {n: [round(float(v), 7) for v in moved[n]] for n in sorted(moved)},
        }
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as partial:
            try:
                partial.write(json.dumps(document, indent=1) + "\n")
                partial.close()
                Path(partial.name).replace(path)
            except BaseException:
                Path(partial.name).unlink(missing_ok=True)
                raise
        written.append(Adapted(lang, path, part.height, counts))
    return written
