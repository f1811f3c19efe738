"""Model sources of markers, and the decision rules that combine them with the lexicon.

A model source gives each post a score (transforms/model_scoring.py: from its sentence
embedding, its hashed n-grams, or both; a trained head's probability, else a zero-shot score).
A score at or above the language's threshold is a hit.

Per language, a marker's rule decides: `lexicon`, `model`, `either` (a hit from one of them) or
`both` (a lexicon hit confirmed by the model). Where a language has only one of the sources (for
example no model configured for it), that source decides. Model sources can run on a
deterministic sample of posts: an unsampled post is not scored for a marker whose decision needs
the model, so `n_scored` counts the posts that were.

It reads the markers, the configured models (loading them: load_encoders) and the posts, and
returns decisions and scores; it writes nothing and never changes a marker. The versions that
cover a configured model are transforms/model_versions.py's; how `markers show` words a
marker's sources, transforms/marker_descriptions.py's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from transforms.embedding import (
    DEFAULT_BACKEND,
    DEFAULT_MODEL,
    Encoder,
    ModelError,
    load_encoder,
    resolve_model_path,
)
from transforms.markers import Marker, score
from transforms.model_folders import weights_digest
from transforms.model_scoring import model_scores, model_texts, static_languages
from transforms.text import LanguageRule
from transforms.zero_shot import DEFAULT_THRESHOLD, SourceError, model_threshold


@dataclass(frozen=True)
class ModelConfig:
    """Which sentence model embeds each language, how, and on what share of posts.

    `models` maps a language to a model spec (DEFAULT_MODEL, the shipped English
    all-MiniLM-L6-v2, or a local sentence-transformers directory); a language not in it has no
    model source but n-gram and static heads. `backend` is one of
    transforms.embedding.BACKENDS; `cache_dir` holds ONNX exports and distilled static models
    (default: transforms.embedding.default_cache_dir()). `sample_rate` is the share of posts the
    model sources score (0 < rate ≤ 1).
    """

    models: Mapping[str, str] = field(default_factory=lambda: {"en": DEFAULT_MODEL})
    backend: str = DEFAULT_BACKEND
    sample_rate: float = 1.0
    cache_dir: Path | None = None


def model_languages(marker: Marker, config: ModelConfig) -> frozenset[str]:
    """Languages in which `marker` has a model source that can run: an n-gram or static head
    (any language), or another source where `config` has a model."""
    return (marker.model_languages & frozenset(config.models)) | marker.self_contained_languages


def encoder_languages(
    markers: Mapping[str, Marker], config: ModelConfig, languages: Sequence[str]
) -> list[str]:
    """Those of `languages` in which some marker's model source needs the sentence model (all
    but n-gram and static heads)."""
    return sorted(
        lang
        for lang in set(languages) & set(config.models)
        if any(lang in m.model_languages - m.self_contained_languages for m in markers.values())
    )


def reads_model_text(
    markers: Mapping[str, Marker], config: ModelConfig, languages: Sequence[str]
) -> bool:
    """Whether, in some of `languages`, a model source of `markers` reads the model text itself:
    a sentence model (encoder_languages) or a static head's model. When none does, n-gram heads
    alone score the texts, and their features are the same for a text and its model_text
    (transforms.model_scoring.model_texts' `normalise`)."""
    return bool(encoder_languages(markers, config, languages)) or bool(
        static_languages(markers) & set(languages)
    )


def uses_model(marker: Marker, config: ModelConfig, source: str | None) -> frozenset[str]:
    """Languages in which the model takes part in the marker's decision."""
    modelled = model_languages(marker, config)
    if source == "lexicon":
        return frozenset()
    if source == "model" or marker.rule != "lexicon":
        return modelled
    return modelled - marker.languages


def modelled_markers(
    markers: Mapping[str, Marker], config: ModelConfig, source: str | None
) -> dict[str, Marker]:
    """Those of `markers` whose decision uses a model in some language (uses_model): the only
    ones a model scores. A lexicon-rule marker's prototypes would be embedded for nothing."""
    return {name: m for name, m in markers.items() if uses_model(m, config, source)}


def uses_lexicon(marker: Marker, config: ModelConfig, source: str | None) -> frozenset[str]:
    """Languages in which the lexicon takes part in the marker's decision."""
    if source == "model":
        return frozenset()
    if source == "lexicon" or marker.rule != "model":
        return marker.languages
    return marker.languages - model_languages(marker, config)


def check_source(markers: Mapping[str, Marker], config: ModelConfig, source: str | None) -> None:
    """Raise SourceError unless every marker can decide with `source` alone (None: its rule,
    which needs terms, or a model source that `config` can run, in some language)."""
    if source is not None and source not in ("lexicon", "model"):
        raise SourceError(f"source must be lexicon or model, got {source!r}")
    for marker in markers.values():
        if source is None and not marker.languages and not model_languages(marker, config):
            raise SourceError(
                f"{marker.file or f'marker {marker.name}'}: it has no terms, and its model "
                f"source is in {', '.join(sorted(marker.model_languages))}, where no sentence "
                "model is configured (`models` has "
                f"{', '.join(sorted(config.models)) or 'no language'}), so it would match no "
                "post: set models.<lang> in config.toml to a local model for that language, or "
                "add terms"
            )
        if source == "model" and not model_languages(marker, config):
            raise SourceError(
                f"marker {marker.name} has no model source in a language with a configured model "
                f"({', '.join(sorted(config.models)) or 'none'}): give it prototypes, train a "
                "head with `moodcast markers train`, or configure a model for its languages"
            )
        if source == "lexicon" and not marker.languages:
            raise SourceError(f"marker {marker.name} has no lexicon terms")


def load_encoders(config: ModelConfig, languages: Sequence[str]) -> dict[str, Encoder]:
    """The encoder of each of `languages` (each model loaded once per process, and the digest
    of a model folder's weights read with it, where a Beam worker's setup loads it, not in its
    first chunk's decisions: transforms.zero_shot.model_threshold).

    Raises ModelError naming the config key `models.<lang>` when a model cannot be loaded.
    """
    encoders = {}
    for lang in sorted(set(languages)):
        spec = config.models[lang]
        try:
            encoders[lang] = load_encoder(spec, backend=config.backend, cache_dir=config.cache_dir)
            if spec != DEFAULT_MODEL:
                weights_digest(resolve_model_path(spec))
        except ModelError as exc:
            raise setting_error(exc, lang) from exc
    return encoders


def in_sample(ids: pl.Series, *, key: bytes, rate: float) -> pl.Series:
    """Whether each post is in the model sample: its id's keyed BLAKE2b hash, read as a number
    in [0, 1), is below `rate`. Deterministic for a key, so reruns sample the same posts."""
    if rate >= 1:
        return pl.Series("in_sample", [True] * len(ids), dtype=pl.Boolean)
    limit = int(rate * 2**64)
    digest_key = hashlib.sha256(key).digest()
    return pl.Series(
        "in_sample",
        [
            int.from_bytes(hashlib.blake2b(str(i).encode(), key=digest_key, digest_size=8).digest())
            < limit
            for i in ids
        ],
        dtype=pl.Boolean,
    )


def needs_model(markers: Mapping[str, Marker], config: ModelConfig, source: str | None) -> pl.Expr:
    """Whether a post must be embedded, from `lang`, `in_sample` and the lexicon hit columns:
    it is sampled and some marker's decision in its language needs the model (under `both`,
    only after a lexicon hit)."""
    needed = pl.lit(False)
    for marker in markers.values():
        langs = uses_model(marker, config, source)
        if not langs:
            continue
        confirm_only = uses_lexicon(marker, config, source) if marker.rule == "both" else set()
        lexicon_hit = pl.col(marker.name).fill_null(False) if confirm_only else pl.lit(True)
        needed = needed | (
            pl.col("lang").is_in(sorted(langs))
            & (~pl.col("lang").is_in(sorted(confirm_only)) | lexicon_hit)
        )
    return needed & pl.col("in_sample")


def threshold(marker: Marker, lang: str, model: str | None = None) -> float:
    """The score at or above which the marker's model source in `lang` is a hit: a trained
    head's own threshold, else (the zero-shot source) the one chosen for the sentence `model`
    configured for `lang` where transforms/markers/model/thresholds.toml has one
    (transforms.zero_shot.model_threshold), else the marker file's."""
    head = marker.heads.get(lang)
    if head is not None:
        return head.threshold
    chosen = model_threshold(marker, lang, model) if model else None
    return marker.thresholds.get(lang, DEFAULT_THRESHOLD) if chosen is None else chosen


def setting_error(exc: ModelError, lang: str) -> ModelError:
    """`exc`, saying which setting names the model that failed: `models.<lang>` in config.toml
    (load_encoders, and transforms.model_versions where it names the model by its weights)."""
    return ModelError(
        f"{exc}; set models.{lang} in config.toml to a local sentence-transformers model directory"
    )


def score_probability(
    marker: Marker, languages: Sequence[str], models: Mapping[str, str]
) -> pl.Expr:
    """`decide`'s `<marker>__score` of a post whose language (`lang`) is one of `languages`
    where the model decides, as a number in 0-1 for probabilistic quantification
    (transforms.rates.confusion_rates): a trained head's probability as it is, a zero-shot score
    through the logistic function centred on the threshold `decide` uses with the sentence
    model `models` (ModelConfig.models) names for the language (0.5 at the cut)."""
    langs = sorted(languages)
    score = pl.col(f"{marker.name}__score")
    cut = pl.col("lang").replace_strict(
        {lang: threshold(marker, lang, models.get(lang)) for lang in langs},
        default=None,
        return_dtype=pl.Float64,
    )
    heads = sorted(set(langs) & set(marker.heads))
    return (
        pl.when(pl.col("lang").is_in(heads))
        .then(score)
        .otherwise(1.0 / (1.0 + (cut - score).exp()))
        .alias(marker.name)
    )


def decide(
    posts: pl.DataFrame,
    model: pl.DataFrame,
    *,
    markers: Mapping[str, Marker],
    config: ModelConfig,
    source: str | None,
) -> pl.DataFrame:
    """Each marker's decision per post, one row per post in order.

    `posts` has `lang`, `key`, `in_sample`, and from the lexicon (transforms.markers.score) a
    Boolean `<marker>` and, optionally, Float64 `<marker>__score` per marker; `model` is `model_scores`'s
    output for the posts that needed the model. Returns a Boolean `<marker>` (null where the
    marker has no source in the post's language, or its decision needs the model and the post
    is not in the sample) and `<marker>__score`: the lexicon's intensity where the lexicon
    alone decides, else the model's score (null where the model did not run on the post).
    Each set of languages is looked up in `lang` once per call, however many markers share it.
    """
    joined = posts.join(model, on=["lang", "key"], how="left", maintain_order="left")
    langs = joined.get_column("lang")
    masks: dict[frozenset[str], pl.Expr] = {}
    columns = []
    for marker in markers.values():
        lex_langs = uses_lexicon(marker, config, source)
        mod_langs = uses_model(marker, config, source)
        for group in (lex_langs, mod_langs):
            if group not in masks:
                masks[group] = pl.lit(langs.is_in(sorted(group)).fill_null(False))
        in_lex, in_mod = masks[lex_langs], masks[mod_langs]
        lexicon = pl.col(marker.name)
        model_col = f"{marker.name}__model"
        score = pl.col(model_col) if model_col in joined.columns else pl.lit(None, pl.Float64)
        lexicon_col = f"{marker.name}__score"
        intensity = (
            pl.col(lexicon_col) if lexicon_col in joined.columns else pl.lit(None, pl.Float64)
        )
        if not mod_langs:
            columns += [
                pl.when(in_lex).then(lexicon).alias(marker.name),
                pl.when(in_lex).then(intensity).alias(f"{marker.name}__score"),
            ]
            continue
        cut = pl.col("lang").replace_strict(
            {lg: threshold(marker, lg, config.models.get(lg)) for lg in mod_langs},
            default=None,
            return_dtype=pl.Float64,
        )
        modelled = pl.when(score.is_null()).then(pl.lit(False)).otherwise(score >= cut)
        if marker.rule == "either" and source is None:
            combined = lexicon | modelled
        else:
            combined = lexicon & modelled
        hit = (
            pl.when(in_mod & ~pl.col("in_sample"))
            .then(pl.lit(None, pl.Boolean))
            .when(in_lex & in_mod)
            .then(combined)
            .when(in_mod)
            .then(modelled)
            .when(in_lex)
            .then(lexicon)
        )
        columns += [
            hit.alias(marker.name),
            pl.when(in_mod).then(score).when(in_lex).then(intensity).alias(f"{marker.name}__score"),
        ]
    return joined.select(columns)


def sample_rates(
    markers: Mapping[str, Marker], config: ModelConfig, source: str | None
) -> pl.DataFrame:
    """`marker, lang, sample_rate`: the share of posts scored, for every language in which a
    marker can decide (the configured rate where its decision needs the model, else 1)."""
    rows = [
        (name, lang, config.sample_rate if lang in uses_model(m, config, source) else 1.0)
        for name, m in markers.items()
        for lang in sorted(uses_model(m, config, source) | uses_lexicon(m, config, source))
    ]
    return pl.DataFrame(
        rows,
        schema={"marker": pl.String, "lang": pl.String, "sample_rate": pl.Float64},
        orient="row",
    )


def language_rule(
    markers: Mapping[str, Marker], config: ModelConfig, *, default: str | None
) -> LanguageRule:
    """The rule by which a run gives a post that states no language one
    (transforms.text.LanguageRule): identified among the languages in which some marker of
    `markers` can decide under `config` (sample_rates' languages: its lexicon, or a model
    source that runs there), else `default` (the input's `--lang`) for a short or unclear text.
    Runs, `moodcast tag` and the labelled-file commands all decide by it."""
    languages = sample_rates(markers, config, None).get_column("lang").unique().sort()
    return LanguageRule(languages=tuple(languages), default=default)


def classify(
    posts: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    config: ModelConfig,
    source: str | None = None,
    text: str = "text",
    explain: bool = False,
) -> pl.DataFrame:
    """Every marker's decision on every post (`posts` has `text` and `lang`), outside Beam:
    `decide`'s columns, plus the lexicon's `<marker>__terms` with `explain`. Each distinct text
    that needs a model is embedded once; every post is scored (no sampling).

    Raises SourceError (see check_source) or ModelError (a configured model cannot be loaded).
    """
    check_source(markers, config, source)
    lexicon = score(posts, markers, text=text, explain=explain)
    frame = pl.concat(
        [
            posts.select(
                pl.col("lang"), pl.lit(True).alias("in_sample"), pl.col(text).alias("_text")
            ),
            lexicon,
        ],
        how="horizontal",
    )
    rows = frame.select(needs_model(markers, config, source)).to_series().arg_true()
    langs = frame.get_column("lang").gather(rows).unique().to_list()
    modelled = modelled_markers(markers, config, source)
    encoded = encoder_languages(modelled, config, langs)
    read = reads_model_text(modelled, config, langs)
    texts = model_texts(frame[rows], text="_text", normalise=read)
    keys = pl.repeat(None, frame.height, dtype=pl.UInt64, eager=True)
    frame = frame.with_columns(keys.scatter(rows, texts.get_column("key")).alias("key"))
    encoders = load_encoders(config, encoded)
    model = model_scores(texts, markers=modelled, encoders=encoders)
    decided = decide(frame, model, markers=markers, config=config, source=source)
    if not explain:
        return decided
    return decided.with_columns(lexicon.select(pl.col(r"^.*__terms$")))


THRESHOLD_ORIGINS = {
    "head": "the trained head's",
    "model": "model/thresholds.toml's for this model",
    "adapted": "the adapted table's",
    "marker": "the marker file's",
    "default": "the default",
}
"""threshold_origin's values, and how `markers show` and `markers calibrate` word them."""


def threshold_origin(marker: Marker, lang: str, model: str | None) -> str:
    """Where `threshold`'s cut for `marker` in `lang` with the sentence `model` comes from (a
    key of THRESHOLD_ORIGINS): `head`, a trained head's own; `model`, the zero-shot cut chosen
    for that model's weights (transforms.zero_shot.model_threshold); `adapted`, the adapted
    table's (adapt_markers); `marker`, the marker file's `threshold`; `default`,
    DEFAULT_THRESHOLD."""
    if lang in marker.heads:
        return "head"
    if model is not None and model_threshold(marker, lang, model) is not None:
        return "model"
    if lang in marker.adapted:
        return "adapted"
    return "marker" if lang in marker.thresholds else "default"
