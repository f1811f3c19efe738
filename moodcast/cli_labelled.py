"""`moodcast markers evaluate|train|calibrate`: the marker commands that read your labelled CSV
(a text column and label columns named after markers, read by moodcast.label_files);
moodcast.cli_markers adds them to the `markers` group."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from moodcast.cli_options import (
    SOURCE_CHOICE,
    data_dir_option,
    file_option,
    markers_of,
    parsing_callback,
)
from moodcast.config import load_settings
from transforms.errors import InputError

if TYPE_CHECKING:
    from moodcast.config import Settings
    from moodcast.training import TrainedHead
    from transforms.markers import Marker


def _labels_options(labels_help: str):
    """`--labels` (an existing CSV file, described by `labels_help`), `--text-col` (the name
    of its text column, `text` by default) and `--lang` (the file's language, passed as
    `default_lang`): the options every command here takes first."""

    def options(command):
        command = click.option(
            "--lang",
            "default_lang",
            help="Language of the rows that state none and are too short or unclear to identify among the markers' languages, e.g. es (spa: read as es), as `moodcast run --lang` (docs/languages.md). Default: none or config.toml.",
        )(command)  # fmt: skip
        command = click.option(
            "--text-col", default="text", show_default=True, help="Name of the text column."
        )(command)
        return file_option("--labels", "labels", labels_help, required=True)(command)

    return options


@click.command("evaluate")
@_labels_options(
    "CSV with a text column and label columns named after markers (1/0, true/false, yes/no; a blank is no label, or a 0 beside 1s alone), or a column of their names named as such (`label`, `class`, `emotion`, ...; optional `lang`, else identified as `moodcast run` identifies posts; docs/markers.md)."
)  # fmt: skip
@click.option("--source", type=SOURCE_CHOICE, help="Let this source alone decide every marker.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@data_dir_option
def evaluate(
    labels: Path,
    text_col: str,
    default_lang: str | None,
    source: str | None,
    as_json: bool,
    data_dir: str | None,
) -> None:
    """Precision, recall and F1 of each labelled marker on your annotated CSV, and macro-F1;
    beside them the true share of the file, the share flagged and (without --source) the
    share adjusted for marker error with the recorded rates (yours from `markers calibrate`,
    else the shipped ones): where those rates hold the statistics of a per-post score (the
    marker's model probability, or the lexicon's term count), the adjusted flagged share
    blended with the adjusted mean score (`estimator` blend-model or blend-lexicon), else the
    adjusted flagged share alone (acc); and, per marker and language, the file those rates were measured on."""
    import polars as pl

    from moodcast.calibration import evaluate_labels
    from transforms.rates import merged_rates

    settings = load_settings(data_dir, default_lang=default_lang)
    markers = markers_of(data_dir)
    try:
        frame = _read_labels(labels, text_col, None, markers, settings, evaluated=True)
        result = evaluate_labels(
            frame,
            markers,
            config=settings.model_config,
            source=source,
            rates=merged_rates(settings.data_dir) if source is None else None,
        )
    except pl.exceptions.PolarsError as exc:
        raise InputError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result, sort_keys=True))
        return
    click.echo(
        f"{'marker':<16} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8} "
        f"{'true':>6} {'flagged':>7} {'adjusted':>8}"
    )
    for name, m in result["markers"].items():
        click.echo(
            f"{name:<16} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>6.3f} "
            f"{m['support']:>8} {_share(m['prevalence']):>6} "
            f"{_share(m['flagged_share']):>7} {_share(m['adjusted_prevalence']):>8}"
            + ("" if m["validation"] in ("validated", None) else f"  {m['validation']}")
            + (f"  ({m['estimator']})" if m["estimator"] else "")
        )
    click.echo(f"macro-F1 {result['macro_f1']:.3f}")
    for name, m in result["markers"].items():
        for used in m["rates"] or ():
            click.echo(
                f"{name} [{used['lang']}] rates in force: measured on {used['source']} "
                f"({used['n']} labelled posts, {used['measured_on']})"
            )


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _read_labels(
    labels: Path,
    text_col: str,
    label_cols: str | None,
    markers: Mapping[str, Marker],
    settings: Settings,
    *,
    evaluated: bool,
):
    """The CSV `labels` read by moodcast.label_files.read_labels (`label_cols`:
    comma-separated, or None for its default), each row's language decided as a run of
    `markers` under `settings` decides it (transforms.model_markers.language_rule, with
    `settings.default_lang`; `train`, not `evaluated`, also identifies that language: the
    language of the heads it trains), its notes on stderr; with `evaluated`, notes too on the
    label columns named after no marker of `markers` and the rows in languages none of them
    has (left out of the scores), else on the blank labels (which train_heads reads as
    negatives). Raises InputError, with `evaluated`, where every row is in such a language
    (nothing left to score), besides what read_labels raises."""
    from moodcast.label_files import read_labels
    from transforms.markers.file_checks import did_you_mean
    from transforms.model_markers import language_rule

    rule = language_rule(markers, settings.model_config, default=settings.default_lang)
    if not evaluated and settings.default_lang is not None:
        rule = replace(rule, languages=tuple(sorted({*rule.languages, settings.default_lang})))
    wanted = [c.strip() for c in label_cols.split(",") if c.strip()] if label_cols else None
    read = read_labels(labels, text_col=text_col, label_cols=wanted, rule=rule, markers=markers)
    notes = list(read.notes)
    unknown = [c for c in read.frame.columns if c not in ("text", "lang", *markers)]
    if evaluated and unknown and any(c in markers for c in read.frame.columns):
        notes.append(
            f"label columns named after no marker, left out: {', '.join(unknown)}"
            f"{did_you_mean(unknown, markers)} (`moodcast markers list` names the markers)"
        )
    blanks = read.frame.drop("text", "lang").null_count().row(0, named=True)
    if not evaluated and any(blanks.values()):
        counted = ", ".join(f"{c} {n}" for c, n in blanks.items() if n)
        notes.append(f"blank labels, trained as negatives: {counted}")
    lang = read.frame.get_column("lang")
    other = lang.filter(~lang.is_in(rule.languages))
    if evaluated and not other.is_empty():
        counts = ", ".join(f"{code} {n}" for code, n in other.value_counts(sort=True).rows())
        if other.len() == lang.len():
            raise InputError(
                f"all {other.len()} rows of {labels} are in languages no marker has ({counts}), "
                "so none is left to score (the markers' languages: "
                f"{', '.join(rule.languages) or 'none'}): where a `lang` column states these "
                "wrongly, correct or blank it; else label posts in one of the markers' "
                "languages (docs/languages.md)"
            )
        notes.append(
            f"{other.len()} rows of {labels} are in languages no marker has ({counts}) and are "
            "left out of the scores"
        )
    for note in notes:
        click.echo(note, err=True)
    return read.frame


def _c_grid(value: str) -> tuple[float, ...]:
    """`--c-grid` (comma-separated numbers) as a tuple of floats."""
    return tuple(float(part) for part in value.split(",") if part.strip())


@click.command("train")
@_labels_options(
    "CSV with a text column and label columns (1/0, true/false, yes/no; a blank is trained as a negative), or a column of class names named as such (`label`, `class`, `emotion`, ...; optional `id`, `lang`, else identified as `moodcast run` identifies posts; docs/markers.md)."
)  # fmt: skip
@click.option(
    "--label-cols", help="Comma-separated label columns (default: all but the text, `id` and `lang` that hold labels or class names)."
)  # fmt: skip
@click.option(
    "--family", type=click.Choice(["auto", "embedding", "ngram", "hybrid", "static", "finetune"]), default="auto", show_default=True,
    help="Features of the head: per label ngram unless embedding or hybrid gains more than 0.02 cross-validated F1, then the better of those two (auto; ngram alone where no row's language has a configured model), sentence embeddings of the configured model, character/word n-grams (any language, no model), both side by side (hybrid), a static model distilled from the configured model beside the n-grams (static: 5-7x ngram's cost per post, 1/100 of the model's; the distillation takes about a minute once per model; the run needs no sentence model), or the configured model itself fine-tuned on the labels (finetune: minutes of CPU, see docs/markers.md).",
)  # fmt: skip
@click.option(
    "--recipe", type=click.Choice(["ngram-v1", "ngram-words"]), default="ngram-v1", show_default=True,
    help="With --family ngram, hybrid or static: word 1-2-grams and character 2-5-grams, or word 1-2-grams alone (about 4x cheaper per post).",
)  # fmt: skip
@click.option(
    "--epochs", type=click.IntRange(min=1), default=3, show_default=True,
    help="With --family finetune: passes over the labelled rows (each costs about 0.02-0.1 CPU s per row).",
)  # fmt: skip
@click.option(
    "--c-grid", metavar="C,C,...",
    callback=parsing_callback(_c_grid, message="{value!r} is not a list of numbers, e.g. 1,4,16"),
    help="Inverse regularisation strengths (C) each family is cross-validated at, on the same folds; each head keeps the C of best cross-validated F1 [default: each family at its own: ngram 4, embedding, hybrid and static 1].",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per head.")
@data_dir_option
def train(
    labels: Path,
    text_col: str,
    default_lang: str | None,
    label_cols: str | None,
    family: str,
    recipe: str,
    epochs: int,
    c_grid: tuple[float, ...] | None,
    as_json: bool,
    data_dir: str | None,
) -> None:
    """Train a linear head for every label, on whichever of sentence embeddings, n-grams and
    both cross-validates best for that label, preferring n-grams (`--family auto`, the
    default), or on sentence embeddings (`--family embedding`), character/word n-grams
    (`--family ngram`), both side by side (`--family hybrid`), a static model distilled from
    the configured model beside the n-grams (`--family static`: distilled once per model into
    the model cache, about a minute, and saved beside the heads as `static-<digest>/`), or
    (`--family finetune`) on the configured model fine-tuned on the labels (saved beside the
    heads as `finetuned-<digest>/`), saved into your marker directory as `<name>.head.json`:
    the model source of the marker of that name (a new marker with rule `model` when none has
    it). Each family is cross-validated at every C of `--c-grid` and keeps its best. Reports
    each head's family, C and cross-validated (finetune: held-out) F1, and with `auto` every
    family's. Needs no `markers adapt` fit: heads learn from the labels, not the
    zero-shot centroids."""
    import polars as pl

    from moodcast.adapting import base_markers
    from moodcast.finetune import FinetuneSettings
    from moodcast.training import train_heads

    settings = load_settings(data_dir, default_lang=default_lang, writes_markers=True)
    markers = base_markers(settings)
    try:
        frame = _read_labels(labels, text_col, label_cols, markers, settings, evaluated=False)
        heads = train_heads(
            frame,
            markers=markers,
            config=settings.model_config,
            out_dir=settings.user_markers_dir,
            origin=str(labels),
            family=family,
            recipe=recipe,
            c_grid=c_grid,
            settings=FinetuneSettings(epochs=epochs),
        )
    except pl.exceptions.PolarsError as exc:
        raise InputError(str(exc)) from exc
    left_out = frame.height - (heads[0].rows if heads else 0)
    if left_out:
        click.echo(
            f"{left_out} labelled rows are in languages without a configured model "
            "(`models` in config.toml) and were left out",
            err=True,
        )
    _echo_heads(heads, as_json=as_json, held_out=family == "finetune")


def _echo_heads(heads: list[TrainedHead], *, as_json: bool, held_out: bool) -> None:
    """One line per trained head on stdout: a JSON object, or its name, family, F1 (`held_out`:
    on held-out rows, else cross-validated) beside the other families', C, positives and path."""
    for head in heads:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "marker": head.name,
                        "family": head.family,
                        "path": str(head.path),
                        "cv_f1": head.cv_f1,
                        "c": head.c,
                        "candidates": head.candidates,
                        "positives": head.positives,
                        "rows": head.rows,
                        "new_marker": head.new_marker,
                    },
                    sort_keys=True,
                )
            )
        else:
            new = " (new marker, rule model)" if head.new_marker else ""
            others = ", ".join(
                f"{f} {f1:.3f}" for f, f1 in head.candidates.items() if f != head.family
            )
            strength = "" if head.c is None else f"  C {head.c:g}"
            click.echo(
                f"{head.name:<16} {head.family:<9} "
                f"{'held-out' if held_out else 'cross-validated'} "
                f"F1 {head.cv_f1:.3f}{f' ({others})' if others else ''}{strength}  "
                f"{head.positives}/{head.rows} positive  {head.path}{new}"
            )


@click.command("calibrate")
@_labels_options(
    "CSV with a text column, `lang` (optional, else identified as `moodcast run` identifies posts) and label columns named after markers (1/0, true/false, yes/no; a blank is no label, or a 0 beside 1s alone), or a column of their names named as such (`label`, `class`, `emotion`, ...; docs/markers.md)."
)  # fmt: skip
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object per marker and language."
)
@data_dir_option
def calibrate(
    labels: Path, text_col: str, default_lang: str | None, as_json: bool, data_dir: str | None
) -> None:
    """Measure each labelled marker's true- and false-positive rates per language on your
    labelled CSV (about 1,000 posts from your own source is enough) and record them in the
    data directory (marker_rates.json): published shares are then adjusted for marker error
    with your rates. The mean and variance of a per-post score on the labelled positives and
    negatives are recorded too, for `markers evaluate`: the marker's model probability where
    it has a model source in the language (a trained head, or zero-shot with a configured
    model) that is higher on the positives, else the lexicon's term count capped at 2, over 2.
    Rates measured on fewer labelled positives or negatives than validation needs (25) do not
    replace validated rates in force for that marker and language, and are named on stderr.
    Reports the margin those rates alone leave on adjusted shares of 10% and 40% (label more
    posts to narrow it), and the F1-optimal threshold of each zero-shot model source, beside
    the current one: the threshold the configured model decides at, and where it comes from
    (the marker file's; for a sentence model other than the shipped one, the one chosen for it
    in model/thresholds.toml where that lists it; the adapted table's under `zero_shot =
    "adapted"`). To decide at a new value, set it as `threshold` under `[lang.xx]` in the
    marker's file in your marker directory (a copy of the shipped file there replaces it; set
    its `threshold_basis` to where you chose yours, or remove it, since the copy's names where
    the shipped threshold was chosen and `markers show` prints it beside yours; where the
    marker has a shipped head, copy that head beside it under its name too, as the advice's
    `cp` line says, else the copy drops it): a
    threshold of your own holds with whichever model is configured, in place of
    model/thresholds.toml's, but not of the adapted table's. The marker then has a new
    version: run calibrate again to record its rates."""
    import polars as pl

    from moodcast.calibration import (
        measure_rates,
        rate_lines,
        recorded_rates,
        with_margins,
        zero_shot_thresholds,
    )
    from transforms.model_markers import THRESHOLD_ORIGINS
    from transforms.quantify import MIN_CLASS_LABELS
    from transforms.rates import merged_rates, write_user_rates

    settings = load_settings(data_dir, default_lang=default_lang)
    markers = markers_of(data_dir)
    try:
        frame = _read_labels(labels, text_col, None, markers, settings, evaluated=True)
        rows = zero_shot_thresholds(frame, markers=markers, config=settings.model_config)
        rates = measure_rates(frame, markers, config=settings.model_config, source=labels)
        recorded = recorded_rates(rates, merged_rates(settings.data_dir))
        written = write_user_rates(settings.data_dir, recorded)
    except pl.exceptions.PolarsError as exc:
        raise InputError(str(exc)) from exc
    kept = set(recorded.select("marker", "lang").iter_rows())
    held = [f"{m} [{lang}]" for m, lang in rates.select("marker", "lang").iter_rows()
            if (m, lang) not in kept]  # fmt: skip
    done = f"recorded {recorded.height} marker × language rates in {written}" + (
        f"; not recorded, too few labelled positives or negatives to replace the validated "
        f"rates in force: {', '.join(held)} (label at least {MIN_CLASS_LABELS} positives and "
        f"{MIN_CLASS_LABELS} negatives of a language to record yours)"
        if held
        else ""
    )
    if as_json:
        thresholds = {(row["marker"], row["lang"]): row for row in rows}
        for rate in with_margins(rates).iter_rows(named=True):
            row = thresholds.pop((rate["marker"], rate["lang"]), {}) | rate
            row |= {"recorded": (row["marker"], row["lang"]) in kept}
            click.echo(json.dumps(row | _adapted(markers, row), sort_keys=True))
        for row in thresholds.values():
            click.echo(json.dumps(row | _adapted(markers, row), sort_keys=True))
        click.echo(done, err=True)
        return
    for row in rows:
        current = (
            f"current {row['current_threshold']:g} (F1 {row['current_f1']:.3f}, "
            f"{THRESHOLD_ORIGINS[row['current_from']]})"
            if row["current_threshold"] is not None
            else "current: default"
        )
        adapted = _adapted(markers, row)["adapted"]
        click.echo(
            f"{row['marker']:<16} [{row['lang']}] threshold {row['threshold']:g} "
            f"F1 {row['f1']:.3f}  {current}  support {row['support']}"
            + ("  (adapted: the adapted table sets it, not the marker file)" if adapted else "")
        )
    if rows:
        click.echo(
            "To decide at a threshold found here, set it as `threshold` under [lang.xx] in the "
            f"marker's file in {settings.user_markers_dir} (copy the shipped file there, and "
            "set its `threshold_basis` to where you chose yours, or remove it: the copy's names "
            "where the shipped threshold was chosen): it "
            "then holds with whichever model is configured, in place of model/thresholds.toml's "
            '(under zero_shot = "adapted", the adapted table\'s still overrides it); the marker '
            "gets a new version, so run calibrate again to record its rates."
            + _head_advice(markers, {row["marker"] for row in rows}, settings.user_markers_dir)
        )
    for line, key in zip(
        rate_lines(rates), rates.select("marker", "lang").iter_rows(), strict=True
    ):
        click.echo(line + ("" if key in kept else "; not recorded"))
    click.echo(done, err=True)


def _head_advice(markers: Mapping[str, Marker], names: set[str], user_dir: Path) -> str:
    """The end of calibrate's advice for the markers `names` whose shipped head a copy of their
    file leaves out (moodcast.calibration.heads_to_copy): copy each head beside the copy; ''
    where none has one."""
    from moodcast.calibration import heads_to_copy

    copies = {
        name: heads_to_copy(markers[name], user_dir) for name in sorted(names) if name in markers
    }
    steps = [f"cp {head} {to}" for copied in copies.values() for head, to in copied.items()]
    if not steps:
        return ""
    named = ", ".join(name for name, copied in copies.items() if copied)
    return (
        f" A copy of a marker file leaves out the shipped head of its name ({named}): in the "
        "head's languages the copy's own sources would decide instead, a different "
        f"measurement under a new version; copy the head beside it, under its name: "
        f"{'; '.join(steps)}."
    )


def _adapted(markers: Mapping[str, Marker], row: Mapping) -> dict[str, bool]:
    """calibrate --json's `adapted`: whether the row's marker scores its language with the
    centroids `markers adapt` fitted (zero_shot = "adapted"), so its threshold is the adapted
    table's and its score source names the fit."""
    marker = markers.get(row["marker"])
    return {"adapted": marker is not None and row["lang"] in marker.adapted}
