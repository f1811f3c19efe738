"""Marker versions that cover the sentence model: a marker measured with another model, or at
another cut on it, is another series, so its version names both.

It reads the markers, the configured models (transforms.model_markers.ModelConfig), the cut
each model source decides at (transforms.model_markers.threshold) and the weights of a
configured model folder (transforms.model_folders); it scores no post and decides nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

from transforms.embedding import DEFAULT_MODEL, ModelError, resolve_model_path
from transforms.markers import Marker
from transforms.model_folders import folder_digest, weights_digest
from transforms.model_markers import ModelConfig, setting_error, threshold, uses_model

EMBEDDING_HEADS = ("embedding", "hybrid")
"""Head families that weigh the configured sentence model's embedding (Head)."""


def model_versioned(markers: Mapping[str, Marker], config: ModelConfig) -> dict[str, Marker]:
    """`markers`, with a new version for each whose rule lets a zero-shot source, or a trained
    head of EMBEDDING_HEADS, decide (uses_model) in a language whose configured model is not
    the shipped one (DEFAULT_MODEL): one covering, per such language, that model and the
    threshold its scores are cut at (`threshold`: the head's; else model/thresholds.toml's for
    it, else the marker file's, else the default): the same marker measured with another
    model, or with another cut for it, is another series, and the ledger, rates and warehouse
    tell them apart. The model is named by its weights (transforms.model_folders.weights_digest;
    folder_digest for a folder without a weights file, read once per language per call), so
    any copy of the same weights gives the same version. The others are returned as they are:
    the shipped model's cuts are the marker files' (or the adapted table's), already in their
    versions, and a marker whose decision uses neither (the lexicon, an n-gram head, a static
    or finetune head with its own model) has decisions no configured model changes.

    Raises ModelError naming the config key `models.<lang>` when such a model's folder is not
    there.
    """
    versioned = dict(markers)
    digests: dict[str, str] = {}
    for name, marker in markers.items():
        langs = [
            lang
            for lang in sorted(uses_model(marker, config, None))
            if config.models.get(lang, DEFAULT_MODEL) != DEFAULT_MODEL
            and (
                marker.heads[lang].family in EMBEDDING_HEADS
                if lang in marker.heads
                else marker.prototypes.get(lang)
            )
        ]
        if not langs:
            continue
        for lang in langs:
            if lang not in digests:
                digests[lang] = _model_digest(config.models[lang], lang)
        basis = [marker.version] + [
            f"{lang}:{digests[lang]}:{threshold(marker, lang, config.models[lang])!r}"
            for lang in langs
        ]
        version = hashlib.sha256(":".join(basis).encode()).hexdigest()[:12]
        versioned[name] = replace(marker, version=version)
    return versioned


def _model_digest(spec: str, lang: str) -> str:
    """The digest that names the sentence model `spec` configured for `lang` (model_versioned)."""
    try:
        path = resolve_model_path(spec)
    except ModelError as exc:
        raise setting_error(exc, lang) from exc
    return weights_digest(path) or folder_digest(path)
