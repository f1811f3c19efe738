"""Marker error measured on labelled posts: the rates that `moodcast markers calibrate`
records in the data directory (transforms.rates) for the adjusted shares (transforms.quantify),
the F1-optimal thresholds of the zero-shot sources it prints, and `moodcast markers evaluate`'s
scores and shares on a labelled file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from moodcast.tagging import TaggingError, with_languages
from moodcast.training import best_threshold
from transforms.markers import BUILTIN_DIR, Marker, score, shipped_head_files
from transforms.model_markers import (
    ModelConfig,
    classify,
    load_encoders,
    model_languages,
    score_probability,
    threshold_origin,
)
from transforms.model_scoring import model_text, score_embeddings
from transforms.quantify import (
    ADJUSTED_COLUMNS,
    LEXICON_SOURCE,
    MARGIN_SHARES,
    labelled_shares,
    lexicon_score,
    margins,
    preferred_scores,
    rates_status,
)
from transforms.rates import RATES_SCHEMA, SCORE_COLUMNS, confusion_rates
from transforms.validation import FEW_LABELS, NO_RATES, VALIDATED
from transforms.zero_shot import adapted_digest, model_threshold, rivals_digest


def labelled_markers(labels: pl.DataFrame, markers: Mapping[str, Marker]) -> dict[str, Marker]:
    """The markers with a label column of their name in `labels`; TaggingError when none,
    naming the labels there are (0/1 columns, or the classes of a column of class names, which
    label_files.read_labels makes columns) and what to do."""
    labelled = {name: marker for name, marker in markers.items() if name in labels.columns}
    if not labelled:
        found = [c for c in labels.columns if c not in ("id", "text", "lang")]
        raise TaggingError(
            f"no label is named after a marker (label columns, or classes of a column of "
            f"class names: {', '.join(found) or 'none'}); rename each 0/1 column, or write each "
            f"class, as the marker it labels (`sad` → `sadness`), one of {', '.join(markers)}, "
            "or make markers of those names with `moodcast markers train`"
        )
    return labelled


def measure_rates(
    labels: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    config: ModelConfig,
    source: Path,
    probabilities: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """True- and false-positive rates (transforms.rates.RATES_SCHEMA) of every marker with a
    label column in `labels` (`text`, `lang` and 0/1 columns: label_files.label_frame's output),
    per language, deciding each post as a run does (the marker's rule under `config`), and the
    mean and variance of a per-post score on the labelled positives and negatives
    (SCORE_COLUMNS): the marker's model probability where it has a model source in the
    language and that probability is higher on the positives, else the lexicon's graded score
    (`lexicon_scores`; transforms.quantify.preferred_scores). `probabilities`
    (score_probabilities of these labels, computed when not given) saves scoring them again.
    `source` is the labelled file, recorded by name and SHA-256."""
    chosen = labelled_markers(labels, markers)
    hits = classify(labels, chosen, config=config)
    if probabilities is None:
        probabilities = score_probabilities(labels, chosen, config=config)
    versions = {name: marker.version for name, marker in chosen.items()}
    model, lexicon = (
        confusion_rates(
            labels, hits, versions=versions, source=source, scores=scores, score_sources=sources
        )
        for scores, sources in (
            (probabilities, score_sources(chosen, config)),
            (lexicon_scores(labels, chosen), lexicon_sources(chosen)),
        )
    )
    return preferred_scores(model, lexicon)


def lexicon_sources(markers: Mapping[str, Marker]) -> dict[tuple[str, str], str]:
    """`(marker, lang)` → LEXICON_SOURCE wherever the marker has terms in the language."""
    return {
        (name, lang): LEXICON_SOURCE
        for name, marker in markers.items()
        for lang in marker.languages
    }


def lexicon_scores(
    labels: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    only: set[tuple[str, str]] | None = None,
    text: str = "text",
) -> pl.DataFrame:
    """One Float64 column per marker of `markers`: each post's graded lexicon score
    (transforms.quantify.lexicon_score of the lexicon's term count), null where the marker
    has no terms in the post's `lang`, or (with `only`) where `(marker, lang)` is not in
    `only`."""
    counts = score(labels.select(text, "lang"), markers, text=text)
    wanted = {name: sorted(lang for n, lang in only or () if n == name) for name in markers}
    return counts.with_columns(labels.get_column("lang")).select(
        pl.when(pl.lit(True) if only is None else pl.col("lang").is_in(wanted[name]))
        .then(lexicon_score(pl.col(f"{name}__count")))
        .alias(name)
        for name in markers
    )


def score_sources(markers: Mapping[str, Marker], config: ModelConfig) -> dict[tuple[str, str], str]:
    """`(marker, lang)` → the model source whose probability score_probabilities gives there:
    `<family> head` for a trained head (its weights are in the marker's version),
    `adapted zero-shot on <model> <digest>` where `zero_shot = "adapted"` gave it centroids
    fitted on a corpus (transforms.zero_shot.adapted_digest: the fit and its threshold), else
    `zero-shot on <model>` with the model configured for the language, `zero-shot on <model> at
    <cut> (model/thresholds.toml)` where the threshold is the one chosen for that model's
    weights (transforms.zero_shot.model_threshold), the probability's centre; a zero-shot source
    of a CONTRASTED marker ends with `against rivals <digest>` (transforms.zero_shot.
    rivals_digest: its score is a softmax over them, and its version covers them only where its
    rule lets the model decide). Rates record it, and their probability statistics apply only
    while it is unchanged (`scored_rates`)."""
    return {
        (name, lang): _score_source(marker, lang, config)
        for name, marker in markers.items()
        for lang in sorted(model_languages(marker, config))
    }


def _score_source(marker: Marker, lang: str, config: ModelConfig) -> str:
    if lang in marker.heads:
        return f"{marker.heads[lang].family} head"
    rivals = rivals_digest(marker, lang)
    against = "" if rivals is None else f" against rivals {rivals}"
    model = config.models[lang]
    if lang in marker.adapted:
        return f"adapted zero-shot on {model} {adapted_digest(marker, lang)}{against}"
    cut = model_threshold(marker, lang, model)
    if cut is not None:
        return f"zero-shot on {model} at {cut:g} (model/thresholds.toml){against}"
    return f"zero-shot on {model}{against}"


def score_probabilities(
    labels: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    config: ModelConfig,
    only: set[tuple[str, str]] | None = None,
    text: str = "text",
) -> pl.DataFrame:
    """One Float64 column per marker of `markers`: each post's model probability in 0-1
    (transforms.model_markers.score_probability of its model source, whatever the marker's
    rule), null where it has no model source in the post's `lang`, or (with `only`) where
    `(marker, lang)` is not in `only`. Every post of a language with a source is scored
    (`text` names the text column)."""
    wanted = {
        name: langs
        for name, marker in markers.items()
        if (
            langs := {
                lang
                for lang in model_languages(marker, config)
                if only is None or (name, lang) in only
            }
        )
    }
    part = labels.with_row_index("_row").filter(
        pl.col("lang").is_in(sorted(set().union(*wanted.values())))
    )
    if part.is_empty():
        return pl.DataFrame(
            {name: [None] * labels.height for name in markers},
            schema=dict.fromkeys(markers, pl.Float64),
        )
    scored = classify(
        part, {n: markers[n] for n in wanted}, config=config, source="model", text=text
    )
    probabilities = scored.with_columns(part.get_column("lang")).select(
        part.get_column("_row"),
        *(
            pl.when(pl.col("lang").is_in(sorted(langs)))
            .then(score_probability(markers[name], sorted(langs), config.models))
            .alias(name)
            for name, langs in wanted.items()
        ),
    )
    return (
        pl.DataFrame({"_row": pl.arange(0, labels.height, dtype=pl.UInt32, eager=True)})
        .join(probabilities, on="_row", how="left", maintain_order="left")
        .select(
            pl.col(name) if name in wanted else pl.lit(None, pl.Float64).alias(name)
            for name in markers
        )
    )


def scored_rates(
    rates: pl.DataFrame, markers: Mapping[str, Marker], config: ModelConfig
) -> dict[tuple[str, str], str]:
    """`(marker, lang)` → `score_source` of the rows of `rates` whose score statistics
    (SCORE_COLUMNS) apply now: recorded, on the marker's current version, from the model
    source it has now (score_sources) or from its lexicon (LEXICON_SOURCE)."""
    model, lexicon = score_sources(markers, config), lexicon_sources(markers)
    versions = {name: marker.version for name, marker in markers.items()}
    found = {}
    for row in rates.iter_rows(named=True):
        key = (row["marker"], row["lang"])
        if (
            all(row[c] is not None for c in SCORE_COLUMNS)
            and versions.get(row["marker"]) == row["marker_version"]
            and row["score_source"] in (model.get(key), lexicon.get(key))
        ):
            found[key] = row["score_source"]
    return found


def rated_scores(
    labels: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    config: ModelConfig,
    sources: Mapping[tuple[str, str], str],
    text: str = "text",
) -> pl.DataFrame:
    """One Float64 column per marker: each post's score from the source that `sources`
    (scored_rates) names for its marker and language (`lexicon_scores` for LEXICON_SOURCE,
    else score_probabilities), null where it names none. The model runs only where needed."""
    lexical = {key for key, found in sources.items() if found == LEXICON_SOURCE}
    modelled = set(sources) - lexical
    model = score_probabilities(labels, markers, config=config, only=modelled, text=text)
    lexicon = lexicon_scores(labels, markers, only=lexical, text=text)
    return lexicon.select(pl.coalesce(lexicon.get_column(n), model.get_column(n)) for n in markers)


def evaluate_labels(
    labels: pl.DataFrame,
    markers: Mapping[str, Marker],
    *,
    config: ModelConfig,
    text_col: str = "text",
    source: str | None = None,
    rates: pl.DataFrame | None = None,
) -> dict:
    """Precision, recall, F1 and support of each marker with a 0/1 label column of its name,
    and their macro-F1: `{"markers": {name: {...}}, "macro_f1": …}`. Rows whose language has
    no source for a marker (with `source`, or under its rule) are left out of its scores.
    Each marker also gets the shares of transforms.quantify.labelled_shares: its true
    `prevalence` in the file, the `flagged_share`, and `adjusted_prevalence` (with bounds,
    `validation` and `estimator`) by `rates` (transforms.rates): blended with the score their
    statistics were measured on (rated_scores: the model probability or the lexicon's graded
    score) in the languages whose rates hold statistics that apply (scored_rates), else by
    ACC. `estimator` names what was used: `acc`, or the blends of its languages
    (`blend-model`, `blend-lexicon`, both joined by `+` where languages differ); `rates`
    names the rates it used per language (source file, labelled posts, day measured) and
    the `estimator` of that language's posts alone (_estimators). The adjusted figures,
    `validation`, `estimator` and `rates` are None without `rates`."""
    if text_col not in labels.columns:
        raise TaggingError(f"no text column {text_col!r}; name it with --text-col")
    labelled = labelled_markers(labels, markers)
    frame = with_languages(labels.with_columns(pl.col(text_col).cast(pl.String)), text=text_col)
    hits = classify(frame, labelled, config=config, source=source, text=text_col)
    scored = {} if rates is None else scored_rates(rates, labelled, config)
    probabilities = (
        rated_scores(frame, labelled, config=config, sources=scored, text=text_col)
        if scored
        else None
    )
    result = {}
    for name in labelled:
        gold = labels.get_column(name).cast(pl.Int8) == 1
        pair = pl.DataFrame({"gold": gold, "hit": hits.get_column(name)}).drop_nulls()
        tp = (pair["gold"] & pair["hit"]).sum()
        fp = (~pair["gold"] & pair["hit"]).sum()
        fn = (pair["gold"] & ~pair["hit"]).sum()
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[name] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(pair["gold"].sum()),
        }
        pairs = pl.DataFrame(
            {
                "lang": frame.get_column("lang"),
                "gold": gold,
                "hit": hits.get_column(name),
                **({} if probabilities is None else {"prob": probabilities.get_column(name)}),
            }
        ).drop_nulls(["lang", "gold", "hit"])
        shares = labelled_shares(
            pairs,
            marker=name,
            version=markers[name].version,
            rates=pl.DataFrame(schema=RATES_SCHEMA) if rates is None else rates,
        )
        if rates is None:
            shares |= {**dict.fromkeys(ADJUSTED_COLUMNS), "validation": None, "estimator": None}
            result[name] |= shares | {"rates": None}
            continue
        used = _estimators(pairs, markers[name], rates=rates, scored=scored)
        if shares["estimator"] == "blend":
            shares["estimator"] = "+".join(sorted({e for e in used.values() if e != "acc"}))
        result[name] |= shares | {
            "rates": [
                row | {"estimator": used.get(row["lang"])}
                for row in _rates_used(rates, markers[name], pairs)
            ]
        }
    macro = sum(m["f1"] for m in result.values()) / len(result)
    return {"markers": result, "macro_f1": macro}


def _estimators(
    pairs: pl.DataFrame,
    marker: Marker,
    *,
    rates: pl.DataFrame,
    scored: Mapping[tuple[str, str], str],
) -> dict[str, str]:
    """Language → the estimator that labelled_shares adjusts its posts of `pairs` alone with:
    `acc`, or the blend with the score whose statistics `rates` hold (scored_rates):
    `blend-lexicon` (transforms.quantify.lexicon_score) or `blend-model` (the model
    probability). Languages without an adjusted share are left out."""
    found = {}
    for (lang,), part in pairs.group_by("lang"):
        estimator = labelled_shares(part, marker=marker.name, version=marker.version, rates=rates)[
            "estimator"
        ]
        if estimator == "blend":
            lexical = scored.get((marker.name, lang)) == LEXICON_SOURCE
            estimator = "blend-lexicon" if lexical else "blend-model"
        if estimator is not None:
            found[lang] = estimator
    return found


def _rates_used(rates: pl.DataFrame, marker: Marker, pairs: pl.DataFrame) -> list[dict]:
    """Where the rates of `marker`'s version in force for the languages of `pairs` come from:
    `lang`, `source` (the labelled file they were measured on), `n` (its labelled posts) and
    `measured_on`, one dict per language that has them."""
    return (
        rates.filter(
            (pl.col("marker") == marker.name)
            & (pl.col("marker_version") == marker.version)
            & pl.col("lang").is_in(pairs.get_column("lang").unique().to_list())
        )
        .select("lang", "source", "n", "measured_on")
        .sort("lang")
        .to_dicts()
    )


def with_margins(rates: pl.DataFrame) -> pl.DataFrame:
    """`rates` (transforms.rates) with their `validation` (transforms.quantify.rates_status) and
    the `rates_margin_<percent>` columns of transforms.quantify.margins: the ± that these rates
    alone put on an adjusted share of each MARGIN_SHARES true value (null where not validated).
    More labelled positives narrow it at high shares, more negatives at low ones."""
    n_pos, n_neg = pl.col("tp") + pl.col("fn"), pl.col("fp") + pl.col("tn")
    return (
        rates.join(rates_status(rates), on=["marker", "lang"], how="left")
        .with_columns(n_pos.alias("n_pos"), n_neg.alias("n_neg"))
        .with_columns(margins(pl.col("validation")))
        .drop("n_pos", "n_neg")
    )


def recorded_rates(measured: pl.DataFrame, in_force: pl.DataFrame) -> pl.DataFrame:
    """The rows of `measured` (measure_rates) that `markers calibrate` records: all but those
    of a marker × language measured on too few labelled posts to be validated (NO_RATES,
    FEW_LABELS) where `in_force` (transforms.rates.merged_rates) holds rates validated on the
    same marker version. A few rows of a file identified in a second language (1% of Spanish
    tweets are identified as English) would otherwise put rates that no adjustment uses in place
    of rates that one uses."""
    keys = ["marker", "lang", "marker_version"]
    thin = with_margins(measured).filter(pl.col("validation").is_in([NO_RATES, FEW_LABELS]))
    validated = in_force.join(rates_status(in_force), on=["marker", "lang"], how="left").filter(
        pl.col("validation") == VALIDATED
    )
    held = thin.join(validated, on=keys, how="semi").select(keys)
    return measured.join(held, on=keys, how="anti")


def rate_lines(rates: pl.DataFrame) -> list[str]:
    """One readable line per marker × language of `rates`: its rates, and the margin they
    leave on adjusted shares (`with_margins`) or its validation status when not validated;
    where recorded, the mean score (model probability or lexicon score) of the positives and
    negatives and its source."""
    lines = []
    for row in with_margins(rates).iter_rows(named=True):
        if row["validation"] == VALIDATED:
            margins = ", ".join(
                f"±{row[f'rates_margin_{round(s * 100)}']:.3f} at {s:.0%}" for s in MARGIN_SHARES
            )
            flag = f"  (adjusted shares {margins} from these rates alone)"
        else:
            flag = f"  ({row['validation']})"
        lines.append(
            f"{row['marker']:<16} [{row['lang']}] tpr {_pct(row['tpr'])} of {row['tp'] + row['fn']} "
            f"positives, fpr {_pct(row['fpr'])} of {row['fp'] + row['tn']} negatives{flag}"
            + (
                f"; mean score {row['score_pos_mean']:.3f} on positives, "
                f"{_pct(row['score_neg_mean'])} on negatives ({row['score_source']})"
                if row["score_pos_mean"] is not None
                else ""
            )
        )
    return lines


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def zero_shot_thresholds(
    labels: pl.DataFrame, *, markers: Mapping[str, Marker], config: ModelConfig
) -> list[dict]:
    """The F1-optimal threshold of each zero-shot model source with a label column in
    `labels` (label_frame's output), per language with a configured model: one dict per
    marker × language with `marker, lang, threshold, f1, current_threshold, current_from,
    current_f1, support`; the current threshold is the one the configured model decides at: the
    one chosen for its weights (transforms.zero_shot.model_threshold) where it has one, else the
    marker file's (None: the default), and `current_from` says which
    (transforms.model_markers.threshold_origin: `model`, `adapted`, `marker` or `default`). A
    language none of whose labelled markers has a zero-shot source loads no model."""
    rows = []
    for lang in sorted(set(labels.get_column("lang").unique().to_list()) & set(config.models)):
        part = labels.filter(pl.col("lang") == lang)
        chosen = {
            n: m
            for n, m in markers.items()
            if n in part.columns and lang in m.prototypes and lang not in m.heads
        }
        if not chosen:
            continue
        encoder = load_encoders(config, [lang])[lang]
        embeddings = encoder.encode(part.select(model_text(pl.col("text"))).to_series().to_list())
        scores = score_embeddings(embeddings, lang=lang, markers=chosen, encoder=encoder)
        for name, values in scores.items():
            gold = part.get_column(name).fill_null(0).to_numpy().astype(bool)
            best, best_f1 = best_threshold(values, gold)
            current = model_threshold(chosen[name], lang, config.models[lang])
            if current is None:
                current = chosen[name].thresholds.get(lang)
            rows.append(
                {
                    "marker": name,
                    "lang": lang,
                    "threshold": best,
                    "f1": best_f1,
                    "current_threshold": current,
                    "current_from": threshold_origin(chosen[name], lang, config.models[lang]),
                    "current_f1": None if current is None else _f1(values >= current, gold),
                    "support": int(gold.sum()),
                }
            )
    return rows


def heads_to_copy(marker: Marker, user_dir: Path) -> dict[Path, Path]:
    """Shipped head file → where to copy it so that `marker`, set in a file of the user's own,
    keeps the shipped heads of its name (load_markers attaches them to the shipped file only):
    for the shipped marker, each of its shipped heads, beside the copy of its file `user_dir`
    would hold; for a user's copy, those it lacks (Marker.dropped_shipped_heads), beside it;
    none for any other marker."""
    if marker.file is not None and marker.file.parent == BUILTIN_DIR:
        heads, folder = shipped_head_files().get(marker.name, {}), user_dir
    else:
        heads, folder = marker.dropped_shipped_heads, Path(str(marker.file)).parent
    return dict.fromkeys(sorted(set(heads.values())), folder / f"{marker.name}.head.json")


def _f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    tp = float((predicted & gold).sum())
    denominator = float(predicted.sum() + gold.sum())
    return 2 * tp / denominator if denominator else 0.0
