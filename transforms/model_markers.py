"""Model sources of markers, and the decision rules that combine them with the lexicon.

A model source scores a post from its sentence embedding (transforms/embedding.py), or, for a
trained head of the `ngram` family, from its hashed n-grams (transforms/ngram.py; any language,
no sentence model), or, for a `hybrid` head, from both side by side. A trained head gives a
probability. Otherwise the score is zero-shot (transforms/zero_shot.py). A score at or above
the language's threshold is a hit.

Per language, a marker's rule decides: `lexicon`, `model`, `either` (a hit from one of them) or
`both` (a lexicon hit confirmed by the model). Where a language has only one of the sources (for
example no model configured for it), that source decides. Model sources can run on a
deterministic sample of posts: an unsampled post is not scored for a marker whose decision needs
the model, so `n_scored` counts the posts that were.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from transforms.embedding import (
    DEFAULT_BACKEND,
    DEFAULT_MODEL,
    Encoder,
    ModelError,
    load_encoder,
)
from transforms.markers import Marker, score
from transforms.ngram import ngram_head_logits
from transforms.zero_shot import (
    CONTRASTED,
    DEFAULT_THRESHOLD,
    SourceError,
    prototype_phrases,
    zero_shot,
)

"""Decisions identical to torch's (benchmarks/RESULTS.md, `embedding`), several times faster."""

KEY_SEED = 20211


@dataclass(frozen=True)
class ModelConfig:
    """Which sentence model embeds each language, how, and on what share of posts.

    `models` maps a language to a model spec (DEFAULT_MODEL, the shipped English
    all-MiniLM-L6-v2, or a local sentence-transformers directory); a language not in it has no
    model source. `backend` is one of transforms.embedding.BACKENDS; `cache_dir` holds ONNX
    exports (default: transforms.embedding.default_cache_dir()). `sample_rate` is the share of
    posts the model sources score (0 < rate ≤ 1).
    """

    models: Mapping[str, str] = field(default_factory=lambda: {"en": DEFAULT_MODEL})
    backend: str = DEFAULT_BACKEND
    sample_rate: float = 1.0
    cache_dir: Path | None = None


def model_languages(marker: Marker, config: ModelConfig) -> frozenset[str]:
    """Languages in which `marker` has a model source that can run: an n-gram head (any
    language), or another source where `config` has a model."""
    return (marker.model_languages & frozenset(config.models)) | marker.ngram_languages


def encoder_languages(
    markers: Mapping[str, Marker], config: ModelConfig, languages: Sequence[str]
) -> list[str]:
    """Those of `languages` in which some marker's model source needs the sentence model (all
    but n-gram heads)."""
    return sorted(
        lang
        for lang in set(languages) & set(config.models)
        if any(lang in m.model_languages - m.ngram_languages for m in markers.values())
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
    """Raise SourceError unless every marker can decide with `source` alone (None: its rule)."""
    if source is not None and source not in ("lexicon", "model"):
        raise SourceError(f"source must be lexicon or model, got {source!r}")
    for marker in markers.values():
        if source == "model" and not model_languages(marker, config):
            raise SourceError(
                f"marker {marker.name} has no model source in a language with a configured model "
                f"({', '.join(sorted(config.models)) or 'none'}): give it prototypes, train a "
                "head with `moodcast markers train`, or configure a model for its languages"
            )
        if source == "lexicon" and not marker.languages:
            raise SourceError(f"marker {marker.name} has no lexicon terms")


def load_encoders(config: ModelConfig, languages: Sequence[str]) -> dict[str, Encoder]:
    """The encoder of each of `languages` (each model loaded once per process).

    Raises ModelError naming the config key `models.<lang>` when a model cannot be loaded.
    """
    encoders = {}
    for lang in sorted(set(languages)):
        spec = config.models[lang]
        try:
            encoders[lang] = load_encoder(spec, backend=config.backend, cache_dir=config.cache_dir)
        except ModelError as exc:
            raise ModelError(
                f"{exc}; set models.{lang} in config.toml to a local sentence-transformers "
                "model directory"
            ) from exc
    return encoders


def model_text(text: pl.Expr) -> pl.Expr:
    """The text a model embeds: trimmed, runs of whitespace as one space (the regex replace
    only where some run is not already one space: ~4x cheaper on posts, the same text)."""
    trimmed = text.str.strip_chars()
    return (
        pl.when(trimmed.str.contains(r"[\s&&[^ ]]|  "))
        .then(trimmed.str.replace_all(r"\s+", " "))
        .otherwise(trimmed)
    )


def text_key(text: pl.Expr) -> pl.Expr:
    """A UInt64 key of the model text, equal for texts that embed alike (within one run)."""
    return _key(model_text(text))


def _key(model_text: pl.Expr) -> pl.Expr:
    return model_text.hash(seed=KEY_SEED)


def model_texts(posts: pl.DataFrame, *, text: str = "text") -> pl.DataFrame:
    """What model_scores scores, from posts with `lang` and column `text`: `lang`, `key`
    (text_key) and `text` (model_text), the model text computed once."""
    texts = posts.select("lang", model_text(pl.col(text)).alias("text"))
    return texts.select("lang", _key(pl.col("text")).alias("key"), "text")


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


def score_embeddings(
    embeddings: np.ndarray,
    *,
    lang: str,
    markers: Mapping[str, Marker],
    encoder: Encoder,
    ngram_logits: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Model score of each embedded post for every marker with a model source in `lang`.

    N-gram heads are left out (score_texts scores them); a hybrid head adds its n-gram part,
    `ngram_logits[name]`, to its logit. Raises SourceError when a trained head does not fit
    the encoder's embedding size, or a hybrid head's n-gram part is not given.
    """
    scores = {}
    for marker in markers.values():
        if lang not in marker.model_languages - marker.ngram_languages:
            continue
        head = marker.heads.get(lang)
        if head is not None:
            if head.family == "finetune" and Path(encoder.name) != Path(head.model):
                raise SourceError(
                    f"the finetune head of {marker.name} needs its own model ({head.model}), "
                    f"not {encoder.name}: score it with score_texts"
                )
            if len(head.coef) != encoder.dim:
                raise SourceError(
                    f"the trained head of {marker.name} ({head.model}, {len(head.coef)} "
                    f"dimensions) does not fit the model configured for {lang} ({encoder.dim}); "
                    "retrain it with `moodcast markers train`"
                )
            logits = embeddings @ np.asarray(head.coef, dtype=np.float32) + head.intercept
            if head.family == "hybrid":
                if ngram_logits is None or marker.name not in ngram_logits:
                    raise SourceError(
                        f"the hybrid head of {marker.name} needs the texts, not only their "
                        "embeddings: score it with score_texts"
                    )
                logits = logits + ngram_logits[marker.name]
            scores[marker.name] = 1.0 / (1.0 + np.exp(-logits))
        else:
            scores[marker.name] = zero_shot(embeddings, marker=marker, lang=lang, encoder=encoder)
    return scores


def score_texts(
    texts: Sequence[str] | pl.Series,
    *,
    lang: str,
    markers: Mapping[str, Marker],
    encoder: Encoder | None,
) -> dict[str, np.ndarray]:
    """Model score of each text (model_text already applied) for every marker with a model
    source in `lang`: n-gram heads from the texts, the others from their embeddings by
    `encoder` (None: those are left out, as where no model is configured), hybrid heads from
    both, and finetune heads from the embeddings of their own model (tuned_encoder)."""
    ngram = {n: m.heads[lang] for n, m in markers.items() if lang in m.ngram_languages}
    tuned = {
        n: m for n, m in markers.items() if lang in m.heads and m.heads[lang].family == "finetune"
    }
    embedded = {
        n: m
        for n, m in markers.items()
        if n not in ngram and n not in tuned and lang in m.model_languages
    }
    parts = {
        n: m.heads[lang].ngram_weights
        for n, m in markers.items()
        if lang in m.heads
        and m.heads[lang].ngram_weights is not None
        and (n in ngram or encoder is not None)
    }
    logits = ngram_head_logits(texts, parts) if parts else {}
    scores = {n: 1.0 / (1.0 + np.exp(-logits[n])) for n in ngram}
    if embedded and encoder is not None:
        embeddings = encoder.encode(list(texts))
        scores |= score_embeddings(
            embeddings, lang=lang, markers=embedded, encoder=encoder, ngram_logits=logits
        )
    if tuned and encoder is not None:
        for model in sorted({m.heads[lang].model for m in tuned.values()}):
            own = tuned_encoder(model, encoder)
            group = {n: m for n, m in tuned.items() if m.heads[lang].model == model}
            scores |= score_embeddings(
                own.encode(list(texts)), lang=lang, markers=group, encoder=own
            )
    return {n: scores[n] for n in markers if n in scores}


def tuned_encoders(
    markers: Mapping[str, Marker], encoders: Mapping[str, Encoder]
) -> dict[str, Encoder]:
    """The fine-tuned model of every finetune head of `markers` in a language of `encoders`
    (the configured ones, load_encoders), by path: for a Beam worker's `setup`, so the models
    load there, once per process, and a missing or broken one fails before any chunk."""
    return {
        head.model: tuned_encoder(head.model, encoders[lang])
        for marker in markers.values()
        for lang, head in sorted(marker.heads.items())
        if head.family == "finetune" and lang in encoders
    }


def tuned_encoder(model: str, encoder: Encoder) -> Encoder:
    """The fine-tuned model at `model` (a finetune head's), on the backend and ONNX cache
    directory of `encoder`, the language's configured one; loaded once per process
    (transforms.embedding.load_encoder)."""
    return load_encoder(model, backend=encoder.backend, cache_dir=encoder.cache_dir)


def threshold(marker: Marker, lang: str) -> float:
    """The score at or above which the marker's model source in `lang` is a hit."""
    head = marker.heads.get(lang)
    if head is not None:
        return head.threshold
    return marker.thresholds.get(lang, DEFAULT_THRESHOLD)


def score_probability(marker: Marker, languages: Sequence[str]) -> pl.Expr:
    """`decide`'s `<marker>__score` of a post whose language (`lang`) is one of `languages`
    where the model decides, as a number in 0-1 for probabilistic quantification
    (transforms.rates.confusion_rates): a trained head's probability as it is, a zero-shot score
    through the logistic function centred on its threshold (0.5 at the cut)."""
    langs = sorted(languages)
    score = pl.col(f"{marker.name}__score")
    cut = pl.col("lang").replace_strict(
        {lang: threshold(marker, lang) for lang in langs}, default=None, return_dtype=pl.Float64
    )
    heads = sorted(set(langs) & set(marker.heads))
    return (
        pl.when(pl.col("lang").is_in(heads))
        .then(score)
        .otherwise(1.0 / (1.0 + (cut - score).exp()))
        .alias(marker.name)
    )


def scores_frame(
    lang: str,
    keys: Sequence[int] | pl.Series,
    texts: Sequence[str] | pl.Series,
    *,
    markers: Mapping[str, Marker],
    encoder: Encoder | None,
) -> pl.DataFrame:
    """`lang, key` and a Float64 `<marker>__model` per marker with a model source in `lang`."""
    scores = score_texts(texts, lang=lang, markers=markers, encoder=encoder)
    return pl.DataFrame(
        {
            "lang": pl.Series([lang] * len(keys), dtype=pl.String),
            "key": pl.Series(keys, dtype=pl.UInt64),
            **{f"{n}__model": pl.Series(s, dtype=pl.Float64) for n, s in scores.items()},
        }
    )


def model_scores(
    texts: pl.DataFrame, *, markers: Mapping[str, Marker], encoders: Mapping[str, Encoder]
) -> pl.DataFrame:
    """Model scores of `texts` (`lang, key, text`, as model_texts gives them: the text is the
    model text already), each distinct `lang, key` scored once: `lang, key, <marker>__model…`
    (null where a marker has no model source in the language; `encoders` holds the languages
    whose sources need one, see encoder_languages)."""
    distinct = texts.unique(["lang", "key"], keep="first", maintain_order=True)
    frames = [
        scores_frame(
            lang,
            group.get_column("key"),
            group.get_column("text"),
            markers=markers,
            encoder=encoders.get(lang),
        )
        for (lang,), group in distinct.group_by("lang", maintain_order=True)
    ]
    empty = pl.DataFrame(schema={"lang": pl.String, "key": pl.UInt64})
    return pl.concat([empty, *frames], how="diagonal_relaxed")


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
            {lg: threshold(marker, lg) for lg in mod_langs}, default=None, return_dtype=pl.Float64
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
    texts = model_texts(frame[rows], text="_text")
    keys = pl.repeat(None, frame.height, dtype=pl.UInt64, eager=True)
    frame = frame.with_columns(keys.scatter(rows, texts.get_column("key")).alias("key"))
    langs = texts.get_column("lang").unique().to_list()
    modelled = modelled_markers(markers, config, source)
    encoders = load_encoders(config, encoder_languages(modelled, config, langs))
    model = model_scores(texts, markers=modelled, encoders=encoders)
    decided = decide(frame, model, markers=markers, config=config, source=source)
    if not explain:
        return decided
    return decided.with_columns(lexicon.select(pl.col(r"^.*__terms$")))


def describe_sources(marker: Marker, config: ModelConfig) -> list[str]:
    """One line per language of `marker`: its model source and which source decides there."""
    lines = []
    for lang in sorted(marker.languages | marker.model_languages):
        head = marker.heads.get(lang)
        if head is not None:
            kind = "held-out" if head.family == "finetune" else "cross-validated"
            f1 = f", {kind} F1 {head.cv_f1:.2f}" if head.cv_f1 is not None else ""
            features = f"{head.model} and {head.recipe}" if head.family == "hybrid" else head.model
            model = f"trained {head.family} head on {features} (threshold {head.threshold:g}{f1})"
        elif marker.prototypes.get(lang):
            phrases = len(marker.prototypes[lang])
            terms = len(prototype_phrases(marker, lang)) - phrases
            margin = (
                ", softmax over the other emotions"
                if marker.dimensions[:1] == (CONTRASTED,)
                else ""
            )
            adapted = ", adapted to a corpus (markers adapt)" if lang in marker.adapted else ""
            model = (
                f"{phrases} prototypes and {terms} terms as one centroid{margin}{adapted}, "
                f"against the neutral set (threshold {threshold(marker, lang):g})"
            )
        else:
            model = "none"
        if lang not in model_languages(marker, config) and model != "none":
            spec = next(iter(config.models.values()), None)
            why = (
                f"{spec!r} is configured for {', '.join(sorted(config.models))} only"
                if spec
                else "no model is configured"
            )
            lines.append(
                f"[{lang}] model: {model}; not used: {why}, so the lexicon decides "
                f"(set models.{lang} in config.toml to a multilingual model to use it)"
            )
            continue
        lexicon = lang in uses_lexicon(marker, config, None)
        modelled = lang in uses_model(marker, config, None)
        if lexicon and modelled:
            deciding = "lexicon or model" if marker.rule == "either" else "lexicon and model"
        else:
            deciding = "model" if modelled else "lexicon" if lexicon else "nothing"
        lines.append(f"[{lang}] model: {model}; decides: {deciding}")
    return lines
