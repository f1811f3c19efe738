"""What `moodcast markers show` says of a marker's sources, per language: its model source in
words, the threshold that source is a hit at and where that threshold comes from
(transforms.model_markers.threshold_origin, as `markers calibrate` names it, and for the marker
file's, the `threshold_basis` it records: a labelled set's dev split or the written set), and which source
decides under the marker's rule and the configured models.

It reads the markers and the configured models' names (transforms.model_markers.ModelConfig);
it loads no model and scores no post.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from transforms.markers import Marker
from transforms.model_markers import (
    THRESHOLD_ORIGINS,
    ModelConfig,
    model_languages,
    threshold,
    threshold_origin,
    uses_lexicon,
    uses_model,
)
from transforms.zero_shot import CONTRASTED, prototype_phrases


@dataclass(frozen=True)
class LanguageSources:
    """What `markers show` says of one language of a marker (marker_sources).

    `model` is its model source in words (None: it has none); `threshold` the cut that source
    is a hit at (`threshold`) and `threshold_from` where that comes from (threshold_origin),
    both None without a model source; `threshold_basis` where the marker file's threshold
    was chosen (its `threshold_basis` there; None where the threshold is not the marker file's
    or the file does not say); `decides` which source decides its flags under the
    marker's rule: `lexicon`, `model`, `lexicon or model`, `lexicon and model` or `nothing`;
    `threshold_decides` whether the threshold takes part in that (False where the lexicon
    decides alone: under the rule `lexicon`, or with no model configured for the language);
    `unused` why a model source there does not run (None where it runs or there is none);
    `dropped_shipped_head` the shipped head file that decided there until the marker's file, a
    user's copy, replaced the shipped one without it (Marker.dropped_shipped_heads; None
    otherwise): `model` and `decides` say what decides there instead.
    """

    lang: str
    model: str | None
    threshold: float | None
    threshold_from: str | None
    threshold_basis: str | None
    decides: str
    threshold_decides: bool
    unused: str | None
    dropped_shipped_head: str | None = None


def marker_sources(marker: Marker, config: ModelConfig) -> list[LanguageSources]:
    """Per language of `marker` (sorted), its model source under `config` and which source
    decides there (LanguageSources); a language where a shipped head no longer decides
    (Marker.dropped_shipped_heads) is one of them even where the marker has no source left."""
    rows = []
    dropped = marker.dropped_shipped_heads
    for lang in sorted(marker.languages | marker.model_languages | set(dropped)):
        model = _model_source(marker, lang)
        spec = config.models.get(lang)
        cut = None if model is None else threshold(marker, lang, spec)
        origin = None if model is None else threshold_origin(marker, lang, spec)
        basis = marker.threshold_bases.get(lang) if origin == "marker" else None
        lexicon = lang in uses_lexicon(marker, config, None)
        modelled = lang in uses_model(marker, config, None)
        unused = None
        if model is not None and lang not in model_languages(marker, config):
            configured = next(iter(config.models.values()), None)
            unused = (
                f"{configured!r} is configured for {', '.join(sorted(config.models))} only"
                if configured
                else "no model is configured"
            )
        if lexicon and modelled:
            decides = "lexicon or model" if marker.rule == "either" else "lexicon and model"
        else:
            decides = "model" if modelled else "lexicon" if lexicon else "nothing"
        head = str(dropped[lang]) if lang in dropped else None
        rows.append(
            LanguageSources(lang, model, cut, origin, basis, decides, modelled, unused, head)
        )
    return rows


def _model_source(marker: Marker, lang: str) -> str | None:
    """`marker`'s model source in `lang` in words, without its threshold (None: it has none)."""
    head = marker.heads.get(lang)
    if head is not None:
        features = (
            f"{Path(head.model).name} and {head.recipe}"
            if head.family in ("hybrid", "static")
            else head.model
        )
        return f"trained {head.family} head on {features}"
    if not marker.prototypes.get(lang):
        return None
    phrases = len(marker.prototypes[lang])
    terms = len(prototype_phrases(marker, lang)) - phrases
    margin = ", softmax over the other emotions" if marker.dimensions[:1] == (CONTRASTED,) else ""
    adapted = ", adapted to a corpus (markers adapt)" if lang in marker.adapted else ""
    held = f"{phrases} prototypes and {terms} terms" if terms else f"{phrases} prototypes"
    return f"{held} as one centroid{margin}{adapted}, against the neutral set"


def describe_sources(marker: Marker, config: ModelConfig) -> list[str]:
    """One line per language of `marker` (marker_sources): its model source, the threshold it
    is a hit at and where that comes from (for the marker file's, what it was chosen on where
    the file says: its `threshold_basis`), and which source decides there; where the lexicon
    decides alone, that the threshold decides none of the marker's flags. Where a shipped head
    no longer decides (LanguageSources.dropped_shipped_head), a second line says so, what
    decides instead and how to keep the head."""
    lines = []
    for row in marker_sources(marker, config):
        lines.append(_language_line(marker, row))
        if row.dropped_shipped_head is not None:
            lines.append(_dropped_head_line(marker, row))
    return lines


def _language_line(marker: Marker, row: LanguageSources) -> str:
    """describe_sources' line for one language of `marker`."""
    model = "none"
    if row.model is not None:
        head = marker.heads.get(row.lang)
        kind = "held-out" if head and head.family == "finetune" else "cross-validated"
        f1 = f", {kind} F1 {head.cv_f1:.2f}" if head and head.cv_f1 is not None else ""
        origin = THRESHOLD_ORIGINS[row.threshold_from]
        if row.threshold_basis is not None:
            origin = f"{origin}, threshold_basis {row.threshold_basis}"
        model = f"{row.model} (threshold {row.threshold:g}, {origin}{f1})"
    if row.unused is not None:
        return (
            f"[{row.lang}] model: {model}; not used: {row.unused}, so the lexicon decides "
            f"(set models.{row.lang} in config.toml to a multilingual model to use it)"
        )
    ignored = (
        f" (rule {marker.rule}: the threshold decides none of its flags)"
        if row.model is not None and not row.threshold_decides
        else ""
    )
    return f"[{row.lang}] model: {model}; decides: {row.decides}{ignored}"


def _dropped_head_line(marker: Marker, row: LanguageSources) -> str:
    """The line saying that the shipped head of `row`'s language no longer decides there, what
    decides instead (`row.decides`, the model source being the file's own) and how to keep it."""
    instead = {
        "lexicon": "the lexicon alone",
        "model": "the model source above alone",
        "lexicon or model": "the lexicon or the model source above",
        "lexicon and model": "the lexicon and the model source above together",
    }.get("lexicon" if row.unused is not None else row.decides)
    now = f"{instead} decides instead" if instead else "nothing decides instead (no source)"
    kept = Path(str(marker.file)).with_name(f"{marker.name}.head.json")
    return (
        f"[{row.lang}] the shipped head {row.dropped_shipped_head} no longer decides here: "
        f"this file replaces the shipped marker without it, so {now}, a different measurement "
        f"under a new version; to keep the shipped head, copy it beside this file as {kept}"
    )
