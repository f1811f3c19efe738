"""Model sources from labelled texts: trained heads (`moodcast markers train`); the thresholds
of the zero-shot sources are calibrated in moodcast.calibration."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from moodcast.finetune import FinetuneSettings, finetune
from moodcast.static_models import (
    STATIC_PREFIX,
    StaticSettings,
    distilled,
    placing,
    remove_abandoned,
    remove_damaged,
    remove_unnamed,
    saved_beside,
    staging_folder,
)
from moodcast.tagging import TaggingError
from transforms.adapters import toml_with_header
from transforms.embedding import Encoder, resolve_model_path
from transforms.markers import BUILTIN_DIR, FAMILIES, Marker
from transforms.model_folders import folder_digest
from transforms.model_markers import ModelConfig, load_encoders
from transforms.model_scoring import model_text
from transforms.ngram import NGRAM_FEATURES, RECIPES, ngram_features
from transforms.static_embedding import load_static_encoder

MIN_CLASS_ROWS = 2
FOLDS = 5
NGRAM_WEIGHTS = 10_000
"""An n-gram head keeps its largest weights only (a file of ~200 kB; no measurable F1 loss on
the shared sets, benchmarks/markers.py)."""
FINETUNED_PREFIX = "finetuned-"
"""A `finetune` head's encoder is saved beside it as `finetuned-<digest of its files>/`."""
FINETUNED_STAGING = ".finetuning-"
"""A `finetune` training saves its encoder into a folder of its own with this prefix
(moodcast.static_models.staging_folder), then renames it `finetuned-<digest>/`; any training
removes those a killed fine-tuning left (remove_abandoned)."""
LEGACY_FINETUNED_STAGING = ".finetuning"
"""The one staging folder of every `finetune` training before FINETUNED_STAGING, not held (each
training removed it before saving, so two at once were never safe); one a killed training left
(about 90 MB) is removed as FINETUNED_STAGING's are."""
AUTO = "auto"
CANDIDATES = ("ngram", "embedding", "hybrid")
"""The families `--family auto` compares, cheapest first: an `ngram` head costs microseconds per
post, `embedding` the sentence model's milliseconds, `hybrid` the model and the n-grams."""
AUTO_MARGIN = 0.02
"""The cross-validated F1 a family that needs the sentence model must gain over the `ngram` head
for `auto` to keep it, chosen on dev splits (docs/markers.md, "Choosing the family per
marker")."""
DEFAULT_C = {"ngram": 4.0, "embedding": 1.0, "hybrid": 1.0, "static": 1.0}
"""Each family's inverse regularisation strength (scikit-learn's `C`) when no grid is given,
chosen on the dev splits of every shared set (docs/markers.md, "Regularisation strength"):
`ngram` heads gain at 4 on every set, the others are best at 1 (`static`: measured at 1 only)."""


@dataclass(frozen=True)
class TrainedHead:
    """What `train_heads` wrote for one label column."""

    name: str
    path: Path
    positives: int
    rows: int
    cv_f1: float
    new_marker: bool
    family: str
    candidates: Mapping[str, float] = field(default_factory=dict)
    """With `--family auto`, the cross-validated F1 of every family compared (each at its best
    C)."""
    c: float | None = None
    """The inverse regularisation strength of the head's logistic regression, chosen from the
    grid by cross-validated F1 (None for `finetune`)."""


def _texts(frame: pl.DataFrame) -> list[str]:
    return frame.select(model_text(pl.col("text"))).to_series().to_list()


def _model_rows(labels: pl.DataFrame, config: ModelConfig) -> pl.DataFrame:
    """The rows of `labels` in a language with a configured model; raises TaggingError when
    there are none or they need two different models."""
    kept = labels.filter(pl.col("lang").is_in(sorted(config.models)))
    langs = sorted(kept.get_column("lang").unique().to_list())
    if kept.is_empty():
        raise TaggingError(
            f"no labelled row is in a language with a configured model ({', '.join(config.models)}); "
            "`--family ngram` needs no model"
        )
    if len({config.models[lang] for lang in langs}) > 1:
        raise TaggingError(
            f"languages {', '.join(langs)} use different models; train one file per model"
        )
    return kept


def _families(labels: pl.DataFrame, family: str, config: ModelConfig) -> tuple[str, ...]:
    """The families to train for `family`: itself, or for `auto` the CANDIDATES, or `ngram`
    alone when no labelled row is in a language with a configured model."""
    if family != AUTO:
        return (family,)
    if labels.filter(pl.col("lang").is_in(sorted(config.models))).is_empty():
        return ("ngram",)
    return CANDIDATES


def _features(
    labels: pl.DataFrame,
    *,
    families: Sequence[str],
    config: ModelConfig,
    encoder: Encoder | None,
    recipe: str,
) -> tuple[pl.DataFrame, dict[str, object], str, int]:
    """The rows the heads of `families` can learn from, each family's features of those rows
    (the embeddings computed once), the `model` an embedding or hybrid head names (empty for
    `ngram` alone) and the number of embedding columns. A hybrid or static head's features are
    the embedding's columns (a static head's: of `encoder`, its static model), then the n-gram
    buckets. Only where `families` is `ngram` alone are rows in a language without a configured
    model kept."""
    if tuple(families) == ("ngram",):
        return labels, {"ngram": ngram_features(_texts(labels), recipe)}, "", 0
    kept = _model_rows(labels, config)
    langs = sorted(kept.get_column("lang").unique().to_list())
    encoder = encoder or load_encoders(config, langs[:1])[langs[0]]
    texts = _texts(kept)
    features: dict[str, object] = {"embedding": encoder.encode(texts)}
    if set(families) - {"embedding"}:
        features["ngram"] = ngram_features(texts, recipe)
    for both in {"hybrid", "static"} & set(families):
        from scipy import sparse

        features[both] = sparse.hstack([features["embedding"], features["ngram"]], format="csr")
    return kept, features, Path(encoder.name).name, encoder.dim


def choose_family(cv_f1: Mapping[str, float], *, margin: float = AUTO_MARGIN) -> str:
    """The family `auto` keeps of those in `cv_f1` (cross-validated F1 by name in CANDIDATES):
    `ngram` unless a family that needs the sentence model scores more than `margin` higher;
    then the better of `embedding` and `hybrid`, `embedding` on a tie (per post they cost the
    same within measurement noise: the sentence model is nearly all of either)."""
    encoded = [f for f in ("embedding", "hybrid") if f in cv_f1]
    best = max(encoded, key=lambda f: cv_f1[f], default="ngram")
    if "ngram" in cv_f1 and (best == "ngram" or cv_f1[best] <= cv_f1["ngram"] + margin):
        return "ngram"
    return best


def _weights(model, family: str, recipe: str, dim: int) -> dict:
    """The head file's weights: every coefficient of an `embedding` head; the NGRAM_WEIGHTS
    largest of an `ngram` head; for a `hybrid` or `static` head, every weight of the `dim`
    embedding columns and the NGRAM_WEIGHTS largest of the n-gram buckets after them."""
    coef = model.coef_[0]
    if family == "embedding":
        return {"coef": [round(float(c), 7) for c in coef]}
    buckets = coef if family == "ngram" else coef[dim:]
    kept = np.argsort(-np.abs(buckets), kind="stable")[:NGRAM_WEIGHTS]
    kept = np.sort(kept[buckets[kept] != 0])
    ngram = [round(float(c), 6) for c in buckets[kept]]
    if family == "ngram":
        return {"indices": kept.tolist(), "coef": ngram}
    dense = [round(float(c), 7) for c in coef[:dim]]
    return {"coef": dense, "recipe": recipe, "indices": kept.tolist(), "ngram_coef": ngram}


def train_heads(
    labels: pl.DataFrame,
    *,
    markers: Mapping[str, Marker],
    config: ModelConfig,
    out_dir: Path,
    origin: str,
    family: str = "embedding",
    encoder: Encoder | None = None,
    recipe: str = NGRAM_FEATURES,
    c_grid: Sequence[float] | None = None,
    settings: FinetuneSettings | None = None,
    static: StaticSettings | None = None,
) -> list[TrainedHead]:
    """Fit a logistic-regression head for every label column of `labels` (label_frame's output)
    and write `<name>.head.json` into `out_dir`, plus a `<name>.toml` with rule `model` when no
    marker has that name. `family` is `embedding` (on the sentence embeddings of the configured
    model, or of `encoder` when given: rows in a language without a configured model are left
    out, and the rows kept must all use one model), `ngram` (on transforms/ngram.py's hashed
    n-grams of `recipe`, a name in transforms.ngram.RECIPES: every row, any language) or
    `hybrid` (one model on both side by side: the rows of `embedding`), `static` (as `hybrid`,
    on the embeddings of a static model distilled from the configured model as `static` says,
    moodcast.static_models: cached once per model, saved into `out_dir` as `static-<digest>/`,
    which the head file names; `encoder` is not used), `auto` (per label, the
    family of CANDIDATES that choose_family keeps by cross-validated F1, on the rows of
    `embedding` and the same folds, the embeddings computed once; `ngram` alone, on every row,
    when no row is in a language with a configured model; the head file adds `candidates`,
    each family's F1, and `margin`), or `finetune` (the configured sentence model itself
    fine-tuned with one linear output per label, trained as `settings` say: the rows of
    `embedding`; see moodcast.finetune and `_finetuned`; its thresholds and reported F1 come
    from the held-out part of the rows, not from folds).

    A head's threshold is the F1-optimal cut of its held-out probabilities (FOLDS folds,
    stratified), not 0.5: class weighting moves the probabilities, and a label's best cut
    depends on its prevalence. Every family compared is cross-validated on those folds at each
    C of `c_grid` (the inverse regularisation strength; None: each family at its DEFAULT_C
    alone) and keeps the C of best F1 (best_c), whose held-out probabilities give the
    threshold; `auto` compares the families each at its best C. The head file records `c` and
    `c_cv_f1` (the kept family's F1 at each C), which loading ignores. Returns what was written, with each head's cross-validated F1 at that
    threshold and its C (None for `finetune`, which has no C).
    Raises TaggingError when `out_dir` is the shipped marker directory, when a label has fewer
    than MIN_CLASS_ROWS positives or negatives, when the rows need two different models, or
    when `c_grid` is empty or not positive.
    """
    from sklearn.model_selection import StratifiedKFold

    if family not in (*FAMILIES, AUTO):
        raise TaggingError(f"family must be one of {', '.join((*FAMILIES, AUTO))}, got {family!r}")
    if recipe not in RECIPES:
        raise TaggingError(f"n-gram recipe must be one of {', '.join(RECIPES)}, got {recipe!r}")
    if out_dir.resolve() == BUILTIN_DIR.resolve():
        raise TaggingError("trained heads go into your marker directory, never the shipped one")
    if family == "finetune":
        return _finetuned(
            _model_rows(labels, config),
            markers=markers,
            config=config,
            out_dir=out_dir,
            origin=origin,
            settings=settings or FinetuneSettings(),
        )
    families = _families(labels, family, config)
    grids = {
        one: _checked_grid((DEFAULT_C[one],) if c_grid is None else c_grid) for one in families
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    static = static or StaticSettings()
    if family == "static":
        lang = _model_rows(labels, config).get_column("lang").min()
        distilled_dir = distilled(config.models[lang], cache_dir=config.cache_dir, settings=static)
        encoder = load_static_encoder(distilled_dir)
    kept, features, model_name, dim = _features(
        labels, families=families, config=config, encoder=encoder, recipe=recipe
    )
    langs = sorted(kept.get_column("lang").unique().to_list())
    own_model = {}
    if family == "static":
        digest = folder_digest(distilled_dir)
        model_name = f"{STATIC_PREFIX}{digest}"
        own_model = {"static_digest": digest, "static_settings": asdict(static)}
    heads = {}
    for name in [c for c in kept.columns if c not in ("text", "lang")]:
        y = kept.get_column(name).fill_null(0).to_numpy()
        smallest = _check_label(name, y, langs)
        folds = StratifiedKFold(n_splits=min(FOLDS, smallest), shuffle=True, random_state=0)
        scored = {one: cross_validate(features[one], y, family=one, folds=folds, c_grid=grids[one])
                  for one in families}  # fmt: skip
        best = {one: best_c(by_c) for one, by_c in scored.items()}
        chosen = (
            choose_family({one: scored[one][c][1] for one, c in best.items()})
            if family == AUTO
            else family
        )
        c = best[chosen]
        cut, cv_f1 = scored[chosen][c]
        model = _classifier(chosen, c).fit(features[chosen], y)
        compared = {f: round(scored[f][best[f]][1], 4) for f in families} if family == AUTO else {}
        head = {
            "family": chosen,
            **_weights(model, chosen, recipe, dim),
            "intercept": float(model.intercept_[0]),
            "threshold": cut,
            "model": recipe if chosen == "ngram" else model_name,
            "languages": langs,
            "cv_f1": round(cv_f1, 4),
            "c": c,
            "c_cv_f1": {f"{g:g}": round(f1, 4) for g, (_, f1) in scored[chosen].items()},
            **({"candidates": compared, "margin": AUTO_MARGIN} if compared else {}),
            **own_model,
            "trained_on": origin,
            "rows": len(y),
            "positives": int(y.sum()),
        }
        heads[name] = head
    with placing(out_dir):
        if family == "static":
            saved_beside(distilled_dir, out_dir, digest)
        written = [
            _write_head(out_dir, n, h, markers=markers, origin=origin) for n, h in heads.items()
        ]
        remove_unnamed(out_dir, STATIC_PREFIX)
        remove_abandoned(out_dir, FINETUNED_STAGING, legacy=(LEGACY_FINETUNED_STAGING,))
    return written


def _checked_grid(c_grid: Sequence[float]) -> tuple[float, ...]:
    """`c_grid` as distinct floats in ascending order; raises TaggingError when it is empty or
    holds a value that is not positive."""
    grid = tuple(sorted({float(c) for c in c_grid}))
    if not grid or grid[0] <= 0:
        raise TaggingError(f"the C grid needs positive values (e.g. 1,4,16), got {list(c_grid)!r}")
    return grid


def cross_validate(
    features, y: np.ndarray, *, family: str, folds, c_grid: Sequence[float]
) -> dict[float, tuple[float, float]]:
    """For each C of `c_grid`: the F1-optimal cut of the out-of-fold probabilities of a head of
    `family` at that C on `folds`, and its F1 there (`best_threshold`)."""
    from sklearn.model_selection import cross_val_predict

    scored = {}
    for c in c_grid:
        held_out = cross_val_predict(
            _classifier(family, c), features, y, cv=folds, method="predict_proba"
        )
        scored[c] = best_threshold(held_out[:, 1], y.astype(bool))
    return scored


def best_c(scored: Mapping[float, tuple[float, float]]) -> float:
    """The C of `scored` (cross_validate's output) with the highest cross-validated F1; ties:
    the smallest C (the strongest regularisation)."""
    return min(scored, key=lambda c: (-scored[c][1], c))


def _classifier(family: str, c: float = 1.0):
    """The logistic regression a head of `family` learns at inverse regularisation strength `c`
    (balanced classes): lbfgs on the dense embeddings, liblinear where there are n-grams."""
    from sklearn.linear_model import LogisticRegression

    solver = {"max_iter": 2000} if family == "embedding" else {"solver": "liblinear"}
    return LogisticRegression(C=c, class_weight="balanced", **solver)


def _check_label(name: str, y: np.ndarray, langs: Sequence[str]) -> int:
    """The count of `y`'s rarer class; raises TaggingError below MIN_CLASS_ROWS."""
    smallest = int(min(y.sum(), len(y) - y.sum()))
    if smallest < MIN_CLASS_ROWS:
        raise TaggingError(
            f"label {name!r} needs at least {MIN_CLASS_ROWS} positive and negative rows "
            f"in {', '.join(langs)}; it has {int(y.sum())} of {len(y)} positive"
        )
    return smallest


def _write_head(
    out_dir: Path, name: str, head: dict, *, markers: Mapping[str, Marker], origin: str
) -> TrainedHead:
    """Write `<name>.head.json` into `out_dir`, and `<name>.toml` (rule `model`) when no marker
    has that name."""
    path = out_dir / f"{name}.head.json"
    path.write_text(json.dumps(head, indent=1) + "\n", encoding="utf-8")
    new_marker = name not in markers
    if new_marker:
        (out_dir / f"{name}.toml").write_text(
            toml_with_header(
                {
                    "name": name,
                    "description": f"Trained on {Path(origin).name}.",
                    "dimensions": [],
                    "rule": "model",
                },
                f"Written by `moodcast markers train` from {origin}; its model source is "
                f"{name}.head.json.",
            ),
            encoding="utf-8",
        )
    return TrainedHead(
        name,
        path,
        head["positives"],
        head["rows"],
        head["cv_f1"],
        new_marker,
        head["family"],
        head.get("candidates", {}),
        head.get("c"),
    )


def _finetuned(
    kept: pl.DataFrame,
    *,
    markers: Mapping[str, Marker],
    config: ModelConfig,
    out_dir: Path,
    origin: str,
    settings: FinetuneSettings,
) -> list[TrainedHead]:
    """`finetune` heads (moodcast.finetune): the language's sentence model fine-tuned on every
    label of `kept` at once, saved into a folder of its own in `out_dir` (FINETUNED_STAGING)
    and renamed `finetuned-<digest>/`, and one head file per label that names it. Saved
    encoders no head file names any more are removed, and staging folders a killed fine-tuning
    left; the rename, the head files and the removals happen holding the directory's training
    lock (moodcast.static_models.placing)."""
    langs = sorted(kept.get_column("lang").unique().to_list())
    names = [c for c in kept.columns if c not in ("text", "lang")]
    y = np.stack([kept.get_column(n).fill_null(0).to_numpy() for n in names], axis=1)
    for k, name in enumerate(names):
        _check_label(name, y[:, k], langs)
    out_dir.mkdir(parents=True, exist_ok=True)
    with staging_folder(out_dir, FINETUNED_STAGING) as staging:
        tuned = finetune(
            _texts(kept),
            y,
            model_path=resolve_model_path(config.models[langs[0]]),
            out_dir=staging / "model",
            settings=settings,
            best_threshold=best_threshold,
        )
        encoder_dir = out_dir / f"{FINETUNED_PREFIX}{tuned.digest}"
        heads = {
            name: {
                "family": "finetune",
                "coef": [round(float(c), 7) for c in tuned.coef[k]],
                "intercept": round(float(tuned.intercept[k]), 7),
                "threshold": float(tuned.threshold[k]),
                "model": encoder_dir.name,
                "encoder_digest": tuned.digest,
                "languages": langs,
                "cv_f1": round(float(tuned.holdout_f1[k]), 4),
                "held_out_rows": tuned.holdout_rows,
                "settings": asdict(settings),
                "trained_on": origin,
                "rows": len(y),
                "positives": int(y[:, k].sum()),
            }
            for k, name in enumerate(names)
        }
        with placing(out_dir):
            remove_damaged(encoder_dir, tuned.digest)
            if not encoder_dir.exists():
                tuned.encoder_dir.rename(encoder_dir)
            written = [
                _write_head(out_dir, n, h, markers=markers, origin=origin) for n, h in heads.items()
            ]
            remove_unnamed(out_dir, FINETUNED_PREFIX)
            remove_abandoned(out_dir, FINETUNED_STAGING, legacy=(LEGACY_FINETUNED_STAGING,))
    return written


def best_threshold(scores: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """The cut (midway between two neighbouring scores, at 4 decimals) with the highest F1 of
    `scores >= cut`; ties: the higher cut."""
    values = np.unique(np.round(scores, 4))
    cuts = np.concatenate([(values[:-1] + values[1:]) / 2, values[-1:] + 1e-4])
    ordered = np.sort(scores)
    positives = np.sort(scores[gold])
    flagged = len(scores) - np.searchsorted(ordered, cuts, side="left")
    hits = len(positives) - np.searchsorted(positives, cuts, side="left")
    denominator = flagged + len(positives)
    f1 = np.divide(2.0 * hits, denominator, out=np.zeros(len(cuts)), where=denominator > 0)
    best = len(cuts) - 1 - int(np.argmax(f1[::-1]))
    return round(float(cuts[best]), 4), float(f1[best])
