"""`moodcast tag` and `moodcast markers list|show|evaluate`: inspect and validate markers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from moodcast.cli_options import input_options, input_overrides
from moodcast.config import DATA_DIR_HELP, load_settings
from transforms.errors import InputError

if TYPE_CHECKING:
    from transforms.markers import Marker

SOURCE_CHOICE = click.Choice(["lexicon", "model"])


def _markers(data_dir: str | None, names: str | None = None):
    from moodcast.adapting import configured_markers

    wanted = [n.strip() for n in names.split(",") if n.strip()] if names else None
    return configured_markers(load_settings(data_dir), wanted)


def _fail(exc: Exception) -> InputError:
    """A file that polars cannot read, as the InputError the CLI reports (moodcast.cli)."""
    return InputError(str(exc))


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Parquet file to write: one row per valid post.",
)  # fmt: skip
@click.option("--markers", "names", help="Comma-separated marker names (default: all).")
@click.option(
    "--source", type=SOURCE_CHOICE, help="Let this source alone decide every marker (default: each marker's rule)."
)  # fmt: skip
@click.option("--explain", is_flag=True, help="Add a `<marker>__terms` list of matched terms.")
@click.option(
    "--keep-text", is_flag=True, help="Keep the post text in the output (off by default: raw text)."
)  # fmt: skip
@input_options
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def tag(
    input_path: Path,
    out: Path,
    names: str | None,
    source: str | None,
    explain: bool,
    keep_text: bool,
    input_preset: str | None,
    mapping: Path | None,
    default_lang: str | None,
    data_dir: str | None,
) -> None:
    """Tag each valid post of INPUT (any file `moodcast run` reads, read the same way) with every
    marker: `id`, `lang`, `<marker>` (hit) and `<marker>__score` (matches per word). No author
    column; text only with --keep-text. Prints what became of every record."""
    from moodcast.tagging import tag_file
    from transforms.markers import supported_languages
    from transforms.text import LanguageRule

    settings = load_settings(data_dir, **input_overrides(input_preset, mapping, default_lang))
    markers = _markers(data_dir, names)
    rule = LanguageRule(
        languages=tuple(sorted(supported_languages(markers))), default=settings.default_lang
    )
    read = tag_file(
        str(input_path), out, markers, config=settings.model_config, source=source,
        explain=explain, keep_text=keep_text, source_tz=settings.source_tz,
        mapping=settings.record_mapping, max_text_chars=settings.max_text_chars, rule=rule,
    )  # fmt: skip
    if not read.valid:
        from ingest.sources import peek_fields
        from transforms.presets import suggest_reading

        fields = peek_fields(str(input_path))
        held = f" It has the fields {', '.join(fields)}." if fields else ""
        raise InputError(
            f"No usable post in {input_path}: {read.describe()}.{held} "
            f"{suggest_reading(fields) if fields else ''}".strip()
        )
    click.echo(read.describe(), err=True)
    click.echo(f"tagged {read.valid:,} posts with {len(markers)} markers into {out}", err=True)


@click.group()
def markers() -> None:
    """List, show and evaluate the markers (shipped and your own)."""


@markers.command("list")
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def list_markers(data_dir: str | None) -> None:
    """One line per marker: name, languages, dimensions, description."""
    for marker in _markers(data_dir).values():
        langs = ",".join(sorted(marker.languages))
        click.echo(f"{marker.name}\t{langs}\t{','.join(marker.dimensions)}\t{marker.description}")


@markers.command("show")
@click.argument("name")
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def show_marker(name: str, data_dir: str | None) -> None:
    """A marker's definition: description, dimensions, rule, version, and per language its
    terms and model source (or why the lexicon decides alone)."""
    from transforms.model_markers import describe_sources

    marker = _markers(data_dir, name)[name]
    click.echo(f"{marker.name} (version {marker.version}, rule {marker.rule})")
    click.echo(marker.description)
    click.echo(f"dimensions: {', '.join(marker.dimensions)}")
    if marker.cue:
        click.echo(f"cue: {marker.cue}")
    for lang, terms in sorted(marker.terms.items()):
        if terms:
            click.echo(f"[{lang}] {len(terms)} terms: {', '.join(terms)}")
    for line in describe_sources(marker, load_settings(data_dir).model_config):
        click.echo(line)


@markers.command("evaluate")
@click.option(
    "--labels", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CSV with a text column and 0/1 columns named after markers (optional `lang`).",
)  # fmt: skip
@click.option("--text-col", default="text", show_default=True, help="Name of the text column.")
@click.option("--source", type=SOURCE_CHOICE, help="Let this source alone decide every marker.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def evaluate(
    labels: Path, text_col: str, source: str | None, as_json: bool, data_dir: str | None
) -> None:
    """Precision, recall and F1 of each labelled marker on your annotated CSV, and macro-F1;
    beside them the true share of the file, the share flagged and (without --source) the
    share adjusted for marker error with the recorded rates (yours from `markers calibrate`,
    else the shipped ones): where those rates hold the statistics of a per-post score (the
    marker's model probability, or the lexicon's term count), the adjusted flagged share
    blended with the adjusted mean score (`estimator` blend), else the adjusted flagged share
    alone (acc)."""
    import polars as pl

    from moodcast.calibration import evaluate_labels
    from transforms.rates import merged_rates

    settings = load_settings(data_dir)
    try:
        frame = pl.read_csv(labels, infer_schema_length=10_000)
        result = evaluate_labels(
            frame,
            _markers(data_dir),
            config=settings.model_config,
            text_col=text_col,
            source=source,
            rates=merged_rates(settings.data_dir) if source is None else None,
        )
    except pl.exceptions.PolarsError as exc:
        raise _fail(exc) from exc
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


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@markers.command("import")
@click.argument("lexicon", type=click.Choice(["empath", "vader", "nrc", "liwc"]))
@click.argument(
    "path", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option("--preset", help="Empath only: a preset of categories and dimensions (tommasel2021).")
@click.option("--categories", help="Empath or LIWC: comma-separated categories (default: all).")
@click.option("--lang", help="NRC or LIWC: language of the file's terms (default: en).")
@click.option(
    "--min-valence", type=float,
    help="VADER only: mean valence magnitude at or above which a token is affect (default: 1.5).",
)  # fmt: skip
@click.option(
    "-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the marker files. Default: your marker directory (<data dir>/markers).",
)  # fmt: skip
@click.option(
    "--force", is_flag=True, help="Replace marker files of the same name in the directory."
)
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def import_lexicon(
    lexicon: str,
    path: Path | None,
    preset: str | None,
    categories: str | None,
    lang: str | None,
    min_valence: float | None,
    out_dir: Path | None,
    force: bool,
    data_dir: str | None,
) -> None:
    """Write marker files from a lexicon you have: Empath or VADER (installed packages), or your
    NRC EmoLex word-level file or LIWC .dic file at PATH (never copied into moodcast)."""
    from moodcast.marker_import import import_markers, write_markers

    wanted = [c.strip() for c in categories.split(",") if c.strip()] if categories else None
    target = out_dir or load_settings(data_dir).user_markers_dir
    found, origin = import_markers(
        lexicon, path, preset=preset, categories=wanted, lang=lang, min_valence=min_valence
    )
    written = write_markers(found, target, origin=origin, force=force)
    for marker_path in written:
        click.echo(str(marker_path))
    click.echo(f"wrote {len(written)} marker files from {origin} into {target}", err=True)


def _label_frame(labels: Path, text_col: str, label_cols: str | None):
    import polars as pl

    from moodcast.training import label_frame

    wanted = [c.strip() for c in label_cols.split(",") if c.strip()] if label_cols else None
    frame = pl.read_csv(labels, infer_schema=False)
    return label_frame(frame, text_col=text_col, label_cols=wanted)


def _c_grid(ctx, param, value: str | None) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        return tuple(float(part) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a list of numbers, e.g. 1,4,16") from exc


@markers.command("train")
@click.option(
    "--labels", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CSV with a text column and 0/1 label columns, or a column of class names (optional `id`, `lang`).",
)  # fmt: skip
@click.option("--text-col", default="text", show_default=True, help="Name of the text column.")
@click.option(
    "--label-cols", help="Comma-separated label columns (default: all but the text, `id` and `lang`)."
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
    "--c-grid", callback=_c_grid, metavar="C,C,...",
    help="Inverse regularisation strengths (C) each family is cross-validated at, on the same folds; each head keeps the C of best cross-validated F1 [default: each family at its own: ngram 4, embedding, hybrid and static 1].",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per head.")
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def train(
    labels: Path,
    text_col: str,
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

    settings = load_settings(data_dir)
    try:
        frame = _label_frame(labels, text_col, label_cols)
        heads = train_heads(
            frame,
            markers=base_markers(settings),
            config=settings.model_config,
            out_dir=settings.user_markers_dir,
            origin=str(labels),
            family=family,
            recipe=recipe,
            c_grid=c_grid,
            settings=FinetuneSettings(epochs=epochs),
        )
    except pl.exceptions.PolarsError as exc:
        raise _fail(exc) from exc
    left_out = frame.height - (heads[0].rows if heads else 0)
    if left_out:
        click.echo(
            f"{left_out} labelled rows are in languages without a configured model "
            "(`models` in config.toml) and were left out",
            err=True,
        )
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
                f"{'held-out' if family == 'finetune' else 'cross-validated'} "
                f"F1 {head.cv_f1:.3f}{f' ({others})' if others else ''}{strength}  "
                f"{head.positives}/{head.rows} positive  {head.path}{new}"
            )


@markers.command("calibrate")
@click.option(
    "--labels", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CSV with a text column, `lang` (optional) and 0/1 columns named after markers.",
)  # fmt: skip
@click.option("--text-col", default="text", show_default=True, help="Name of the text column.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object per marker and language."
)
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def calibrate(labels: Path, text_col: str, as_json: bool, data_dir: str | None) -> None:
    """Measure each labelled marker's true- and false-positive rates per language on your
    labelled CSV (about 1,000 posts from your own source is enough) and record them in the
    data directory (marker_rates.json): published shares are then adjusted for marker error
    with your rates. The mean and variance of a per-post score on the labelled positives and
    negatives are recorded too, for `markers evaluate`: the marker's model probability where
    it has a model source in the language (a trained head, or zero-shot with a configured
    model) that is higher on the positives, else the lexicon's term count capped at 2, over 2.
    Reports the margin those rates alone leave on adjusted shares of 10% and 40% (label more
    posts to narrow it), and the F1-optimal threshold of each zero-shot model source, beside
    the current one; set a new value as `threshold` under `[lang.xx]` in the marker file
    (with `zero_shot = "adapted"`, an adapted marker's threshold is the adapted table's, which
    overrides the marker file's)."""
    import polars as pl

    from moodcast.calibration import (
        measure_rates,
        rate_lines,
        with_margins,
        zero_shot_thresholds,
    )
    from transforms.rates import write_user_rates

    settings = load_settings(data_dir)
    try:
        frame = _label_frame(labels, text_col, None)
        markers = _markers(data_dir)
        rows = zero_shot_thresholds(frame, markers=markers, config=settings.model_config)
        rates = measure_rates(frame, markers, config=settings.model_config, source=labels)
        written = write_user_rates(settings.data_dir, rates)
    except pl.exceptions.PolarsError as exc:
        raise _fail(exc) from exc
    if as_json:
        thresholds = {(row["marker"], row["lang"]): row for row in rows}
        for rate in with_margins(rates).iter_rows(named=True):
            row = thresholds.pop((rate["marker"], rate["lang"]), {}) | rate
            click.echo(json.dumps(row | _adapted(markers, row), sort_keys=True))
        for row in thresholds.values():
            click.echo(json.dumps(row | _adapted(markers, row), sort_keys=True))
        click.echo(f"recorded {rates.height} marker × language rates in {written}", err=True)
        return
    for row in rows:
        current = (
            f"current {row['current_threshold']:g} (F1 {row['current_f1']:.3f})"
            if row["current_threshold"] is not None
            else "current: default"
        )
        adapted = _adapted(markers, row)["adapted"]
        click.echo(
            f"{row['marker']:<16} [{row['lang']}] threshold {row['threshold']:g} "
            f"F1 {row['f1']:.3f}  {current}  support {row['support']}"
            + ("  (adapted: the adapted table sets it, not the marker file)" if adapted else "")
        )
    for line in rate_lines(rates):
        click.echo(line)
    click.echo(f"recorded {rates.height} marker × language rates in {written}", err=True)


def _adapted(markers: Mapping[str, Marker], row: Mapping) -> dict[str, bool]:
    """calibrate --json's `adapted`: whether the row's marker scores its language with the
    centroids `markers adapt` fitted (zero_shot = "adapted"), so its threshold is the adapted
    table's and its score source names the fit."""
    marker = markers.get(row["marker"])
    return {"adapted": marker is not None and row["lang"] in marker.adapted}


@markers.command("adapt")
@click.argument("corpus", metavar="CORPUS", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--max-posts", type=click.IntRange(min=1),
    help="Posts of each language to fit on at most, a sample fixed by a hash of the text. Default: 20000.",
)  # fmt: skip
@input_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per language.")
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def adapt(
    corpus: Path,
    max_posts: int | None,
    input_preset: str | None,
    mapping: Path | None,
    default_lang: str | None,
    as_json: bool,
    data_dir: str | None,
) -> None:
    """Fit the zero-shot centroids to CORPUS, a file of your own posts (no labels; read as
    `moodcast run` reads it): in each language with a configured model, each marker's centroid
    moves a quarter of the way toward the posts the lexicon flags for that marker alone. Saved
    as <data dir>/adapted/<lang>.json; with `zero_shot = "adapted"` in config.toml, `tag`,
    `markers evaluate` and `run` score with them, at the adapted thresholds. Rerun it after a
    marker or model changes."""
    from moodcast.adapting import (
        MAX_POSTS,
        adapt_min_posts,
        base_markers,
        corpus_posts,
        fit_adaptation,
    )
    from transforms.markers import supported_languages
    from transforms.text import LanguageRule
    from transforms.zero_shot import SourceError

    settings = load_settings(data_dir, **input_overrides(input_preset, mapping, default_lang))
    rule = LanguageRule(
        languages=tuple(sorted(supported_languages(base_markers(settings)))),
        default=settings.default_lang,
    )
    posts, read = corpus_posts(corpus, settings, rule=rule, max_posts=max_posts or MAX_POSTS)
    if posts.is_empty():
        raise InputError(f"No usable post in {corpus}: {read.describe()}")
    click.echo(read.describe(), err=True)
    fitted = fit_adaptation(posts, settings, origin=str(corpus))
    if not fitted:
        raise SourceError(
            f"no post of {corpus} is in a language with a configured model and adapted "
            "thresholds (English); nothing was fitted"
        )
    for one in fitted:
        if as_json:
            row = {"lang": one.lang, "path": str(one.path), "posts": one.posts, "moved": one.moved}
            click.echo(json.dumps(row, sort_keys=True))
            continue
        moved = ", ".join(f"{n} ({k})" for n, k in one.moved.items()) or "none"
        click.echo(f"[{one.lang}] fitted on {one.posts:,} posts into {one.path}; moved: {moved}")
        if not one.moved:
            click.echo(
                f"[{one.lang}] no marker has {adapt_min_posts(settings)} posts flagged for it alone: "
                "every marker keeps the shipped scoring; give more posts",
                err=True,
            )
