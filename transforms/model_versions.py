"""Marker versions that cover what a model source's scores depend on beyond the marker's own
file: the sentence model and the cut on it (a marker measured with another model, or at
another cut on it, is another series) and, for a basic emotion (CONTRASTED), its rivals'
phrases (its score is a softmax over them).

It reads the markers, the configured models (transforms.model_markers.ModelConfig), the cut
each model source decides at (transforms.model_markers.threshold), the shipped rivals
(transforms.zero_shot.rivals_digest) and the weights of a configured model folder
(transforms.model_folders); it scores no post and decides nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

from transforms.embedding import DEFAULT_MODEL, ModelError, resolve_model_path
from transforms.markers import Marker
from transforms.model_folders import folder_digest, weights_digest
from transforms.model_markers import ModelConfig, setting_error, threshold, uses_model
from transforms.zero_shot import rivals_digest

EMBEDDING_HEADS = ("embedding", "hybrid")
"""Head families that weigh the configured sentence model's embedding (Head)."""


def model_versioned(markers: Mapping[str, Marker], config: ModelConfig) -> dict[str, Marker]:
    """`markers`, with a new version for each whose rule lets a model source decide
    (uses_model) where its scores depend on more than its own file, one that also covers it:

    - per language whose configured model is not the shipped one (DEFAULT_MODEL) and where a
      zero-shot source or a trained head of EMBEDDING_HEADS decides, that model and the
      threshold its scores are cut at (`threshold`: the head's; else model/thresholds.toml's
      for it, else the marker file's, else the default): the same marker measured with another
      model, or with another cut for it, is another series. The model is named by its weights
      (transforms.model_folders.weights_digest; folder_digest for a folder without a weights
      file, read once per language per call), so any copy of the same weights gives the same
      version;
    - per language where a CONTRASTED marker's zero-shot source decides, on any model, its
      rivals' phrases (transforms.zero_shot.rivals_digest): a shipped emotion's changed
      prototypes move its scores, so it is another series too.

    The ledger, rates and warehouse tell them apart. The others are returned as they are: the
    shipped model's cuts are the marker files' (or the adapted table's), already in their
    versions; a marker whose decision uses no model source (the rule `lexicon` in a language
    with terms), or only an n-gram head or a static or finetune head with its own model, has
    decisions no configured model or rival changes; and another zero-shot marker's score
    depends on its own phrases alone (and the neutral set, which no version covers).

    Raises ModelError naming the config key `models.<lang>` when such a model's folder is not
    there.
    """
    versioned = dict(markers)
    digests: dict[str, str] = {}
    for name, marker in markers.items():
        decided = sorted(uses_model(marker, config, None))
        langs = _other_models(marker, config, decided)
        contrasted = _rivals(marker, decided)
        if not langs and not contrasted:
            continue
        for lang in langs:
            if lang not in digests:
                digests[lang] = _model_digest(config.models[lang], lang)
        basis = [
            marker.version,
            *(
                f"{lang}:{digests[lang]}:{threshold(marker, lang, config.models[lang])!r}"
                for lang in langs
            ),
            *(f"{lang}:rivals:{digest}" for lang, digest in contrasted),
        ]
        version = hashlib.sha256(":".join(basis).encode()).hexdigest()[:12]
        versioned[name] = replace(marker, version=version)
    return versioned


def _other_models(marker: Marker, config: ModelConfig, decided: list[str]) -> list[str]:
    """Those languages of `decided` whose configured model is not the shipped one and where a
    zero-shot source or a head of EMBEDDING_HEADS decides (model_versioned)."""
    return [
        lang
        for lang in decided
        if config.models.get(lang, DEFAULT_MODEL) != DEFAULT_MODEL
        and (
            marker.heads[lang].family in EMBEDDING_HEADS
            if lang in marker.heads
            else marker.prototypes.get(lang)
        )
    ]


def _rivals(marker: Marker, decided: list[str]) -> list[tuple[str, str]]:
    """`(lang, rivals_digest)` for those languages of `decided` where `marker`, a CONTRASTED
    marker, decides with its zero-shot source (prototypes, no head) (model_versioned)."""
    return [
        (lang, digest)
        for lang in decided
        if lang not in marker.heads
        and marker.prototypes.get(lang)
        and (digest := rivals_digest(marker, lang)) is not None
    ]


def _model_digest(spec: str, lang: str) -> str:
    """The digest that names the sentence model `spec` configured for `lang` (model_versioned)."""
    try:
        path = resolve_model_path(spec)
    except ModelError as exc:
        raise setting_error(exc, lang) from exc
    return weights_digest(path) or folder_digest(path)
