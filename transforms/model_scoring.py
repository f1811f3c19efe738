"""Model scores of markers: the text a model source reads, and the score it gives.

A model source scores a post from its sentence embedding (transforms/embedding.py), or, for a
trained head of the `ngram` family, from its hashed n-grams (transforms/ngram.py; any language,
no sentence model), or, for a `hybrid` head, from both side by side, or, for a `static` head,
from its own static model's embedding (transforms/static_embedding.py) beside the n-grams (any
language, no sentence model). A trained head gives a probability. Otherwise the score is
zero-shot (transforms/zero_shot.py). transforms.model_markers decides with these scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from transforms.embedding import Encoder, load_encoder
from transforms.markers import Marker
from transforms.model_folders import check_model_folder
from transforms.ngram import ngram_head_logits
from transforms.static_embedding import StaticEncoder, load_static_encoder
from transforms.zero_shot import SourceError, zero_shot

KEY_SEED = 20211
SCORE_BATCH_TEXTS = 2048
"""The most texts model_scores hands a model at once. A text costs ~7-10 KB while it is scored
(its tokens and embedding), so a chunk's texts are scored in slices of this many: peak memory is
bounded by the slice, not by the chunk (a 50,000-record chunk holds up to 50,000 texts). With
the ONNX backends and n-gram heads a text's score does not depend on the texts scored beside it;
with `torch` it did already, by float rounding (docs/throughput.md, "A sentence model's memory")."""


def model_text(text: pl.Expr) -> pl.Expr:
    """The text a model embeds: trimmed, runs of whitespace as one space (the regex replace
    only where some run is not already one space: ~4x cheaper on posts, the same text)."""
    trimmed = text.str.strip_chars()
    return (
        pl.when(trimmed.str.contains(r"[\s&&[^ ]]|  "))
        .then(trimmed.str.replace_all(r"\s+", " "))
        .otherwise(trimmed)
    )


def model_texts(posts: pl.DataFrame, *, text: str = "text", normalise: bool = True) -> pl.DataFrame:
    """What model_scores scores, from posts with `lang` and column `text`: `lang`, `key` (a
    UInt64 hash of the model text, equal for texts that embed alike, within one run) and `text`
    (model_text), the model text computed once. With `normalise=False` the text is kept as it
    is, for texts no sentence model or static model reads: an n-gram head's features (its
    words, and their characters) are the same for a text and its model_text, and the whitespace
    check costs ~0.25 µs a text (a static model's are not: model2vec cuts a long text at a number
    of characters before it tokenises)."""
    model = model_text(pl.col(text)) if normalise else pl.col(text)
    texts = posts.select("lang", model.alias("text"))
    return texts.select("lang", pl.col("text").hash(seed=KEY_SEED).alias("key"), "text")


def score_embeddings(
    embeddings: np.ndarray,
    *,
    lang: str,
    markers: Mapping[str, Marker],
    encoder: Encoder,
    ngram_logits: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Model score of each embedded post for every marker with a model source in `lang`.

    N-gram heads are left out (score_texts scores them); a hybrid or static head adds its
    n-gram part, `ngram_logits[name]`, to its logit. Raises SourceError when a trained head does
    not fit the encoder's embedding size, a finetune or static head is given another model's
    embeddings, or a hybrid or static head's n-gram part is not given.
    """
    scores = {}
    for marker in markers.values():
        if lang not in marker.model_languages - marker.ngram_languages:
            continue
        head = marker.heads.get(lang)
        if head is not None:
            if head.family in ("finetune", "static") and Path(encoder.name) != Path(head.model):
                raise SourceError(
                    f"the {head.family} head of {marker.name} needs its own model ({head.model}), "
                    f"not {encoder.name}: score it with score_texts"
                )
            if len(head.coef) != encoder.dim:
                raise SourceError(
                    f"the trained head of {marker.name} ({head.model}, {len(head.coef)} "
                    f"dimensions) does not fit the model configured for {lang} ({encoder.dim}); "
                    "retrain it with `moodcast markers train`"
                )
            logits = embeddings @ np.asarray(head.coef, dtype=np.float32) + head.intercept
            if head.family in ("hybrid", "static"):
                if ngram_logits is None or marker.name not in ngram_logits:
                    raise SourceError(
                        f"the {head.family} head of {marker.name} needs the texts, not only their "
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
    both, finetune heads from the embeddings of their own model (tuned_encoder), and static
    heads from their own static model's embeddings (load_static_encoder) and the texts, with
    or without `encoder`. Raises ModelError when the files of a finetune or static head's own
    model folder do not have the digest its head file records (check_model_folder)."""
    heads = {n: m.heads[lang] for n, m in markers.items() if lang in m.heads}
    ngram = {n: head for n, head in heads.items() if head.family == "ngram"}
    tuned = {n: markers[n] for n, head in heads.items() if head.family == "finetune"}
    static = {n: markers[n] for n, head in heads.items() if head.family == "static"}
    own_model = ngram.keys() | tuned.keys() | static.keys()
    for name in static.keys() | (tuned.keys() if encoder is not None else set()):
        check_model_folder(name, heads[name])
    embedded = {
        n: m for n, m in markers.items() if n not in own_model and lang in m.model_languages
    }
    parts = {
        n: head.ngram_weights
        for n, head in heads.items()
        if head.ngram_weights is not None and (n in ngram or n in static or encoder is not None)
    }
    logits = ngram_head_logits(texts, parts) if parts else {}
    scores = {n: 1.0 / (1.0 + np.exp(-logits[n])) for n in ngram}
    for model in sorted({heads[n].model for n in static}):
        encoded = load_static_encoder(model)
        group = {n: m for n, m in static.items() if heads[n].model == model}
        scores |= score_embeddings(
            encoded.encode(list(texts)),
            lang=lang,
            markers=group,
            encoder=encoded,
            ngram_logits=logits,
        )
    if embedded and encoder is not None:
        embeddings = encoder.encode(list(texts))
        scores |= score_embeddings(
            embeddings, lang=lang, markers=embedded, encoder=encoder, ngram_logits=logits
        )
    if tuned and encoder is not None:
        for model in sorted({heads[n].model for n in tuned}):
            own = tuned_encoder(model, encoder)
            group = {n: m for n, m in tuned.items() if heads[n].model == model}
            scores |= score_embeddings(
                own.encode(list(texts)), lang=lang, markers=group, encoder=own
            )
    return {n: scores[n] for n in markers if n in scores}


def tuned_encoders(
    markers: Mapping[str, Marker], encoders: Mapping[str, Encoder]
) -> dict[str, Encoder]:
    """The fine-tuned model of every finetune head of `markers` in a language of `encoders`
    (the configured ones, load_encoders), by path: for a Beam worker's `setup`, so the models
    load there, once per process, and a missing, altered (check_model_folder) or broken one
    fails before any chunk."""
    own = [
        (marker.name, head, lang)
        for marker in markers.values()
        for lang, head in sorted(marker.heads.items())
        if head.family == "finetune" and lang in encoders
    ]
    for name, head, _ in own:
        check_model_folder(name, head)
    return {head.model: tuned_encoder(head.model, encoders[lang]) for _, head, lang in own}


def static_encoders(markers: Mapping[str, Marker]) -> dict[str, StaticEncoder]:
    """The static model of every static head of `markers`, by path: for a Beam worker's
    `setup`, so the models load there, once per process, and a missing or altered one
    (check_model_folder) fails before any chunk."""
    own = [
        (marker.name, head)
        for marker in markers.values()
        for head in marker.heads.values()
        if head.family == "static"
    ]
    for name, head in own:
        check_model_folder(name, head)
    return {head.model: load_static_encoder(head.model) for _, head in own}


def static_languages(markers: Mapping[str, Marker]) -> frozenset[str]:
    """Languages in which some marker of `markers` has a static head: its static model reads
    the model text (model_text), as a sentence model does."""
    return frozenset(
        lang for m in markers.values() for lang, head in m.heads.items() if head.family == "static"
    )


def tuned_encoder(model: str, encoder: Encoder) -> Encoder:
    """The fine-tuned model at `model` (a finetune head's), on the backend and ONNX cache
    directory of `encoder`, the language's configured one; loaded once per process
    (transforms.embedding.load_encoder)."""
    return load_encoder(model, backend=encoder.backend, cache_dir=encoder.cache_dir)


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
    whose sources need one, see encoder_languages). A language with a sentence model or a
    static head (its embeddings, ~1 KB a text) is scored SCORE_BATCH_TEXTS texts at a time; one
    without (n-gram heads alone, whose memory does not grow with the texts) in one call, so
    their weights are laid out once, not once a slice."""
    sliced = set(encoders) | static_languages(markers)
    distinct = texts.unique(["lang", "key"], keep="first", maintain_order=True)
    frames = [
        scores_frame(
            lang,
            batch.get_column("key"),
            batch.get_column("text"),
            markers=markers,
            encoder=encoders.get(lang),
        )
        for (lang,), group in distinct.group_by("lang", maintain_order=True)
        for batch in group.iter_slices(
            SCORE_BATCH_TEXTS if lang in sliced else max(group.height, 1)
        )
    ]
    empty = pl.DataFrame(schema={"lang": pl.String, "key": pl.UInt64})
    return pl.concat([empty, *frames], how="diagonal_relaxed")
