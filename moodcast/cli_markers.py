"""`moodcast tag` and `moodcast markers list|show|import|adapt`: tag posts, inspect markers,
write marker files from a lexicon and fit the zero-shot centroids to your posts. The `markers`
commands that read a labelled CSV (evaluate, train, calibrate) live in moodcast.cli_labelled."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from moodcast.cli_labelled import calibrate, evaluate, train
from moodcast.cli_options import (
    SOURCE_CHOICE,
    Folder,
    configured_and_named,
    data_dir_option,
    input_options,
    input_overrides,
    markers_of,
    refuse_parquet_output,
)
from moodcast.config import language, load_settings
from transforms.errors import InputError


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Parquet file to write (.parquet or .pq; not INPUT): one row per valid post.",
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
@data_dir_option
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
    """Tag each valid post of INPUT (any file `moodcast run` reads, read the same way, its
    languages identified among every marker's as a run's are, whatever --markers names) with
    each marker of --markers (default: all): `id`, `lang`, `<marker>` (the decision of its
    rule, or of --source alone) and `<marker>__score` (matches per word where the lexicon alone
    decides, else the model's score). No author column; text only with --keep-text. Prints
    what became of every record."""
    from moodcast.tagging import tag_file
    from transforms.model_markers import language_rule

    refuse_parquet_output(out, over=input_path, over_name="INPUT", option="'-o' / '--output'")
    settings = load_settings(data_dir, **input_overrides(input_preset, mapping, default_lang))
    every, markers = configured_and_named(settings, names)
    rule = language_rule(every, settings.model_config, default=settings.default_lang)
    read = tag_file(
        str(input_path), out, markers, config=settings.model_config, source=source,
        explain=explain, keep_text=keep_text, source_tz=settings.source_tz,
        mapping=settings.record_mapping, max_text_chars=settings.max_text_chars, rule=rule,
    )  # fmt: skip
    if not read.valid:
        raise _no_usable_post(input_path, read, settings.record_mapping)
    click.echo(read.describe(), err=True)
    click.echo(
        f"tagged {read.valid:,} post{'s' * (read.valid != 1)} with {len(markers)} "
        f"marker{'s' * (len(markers) != 1)} into {out}",
        err=True,
    )


def _no_usable_post(input_path: Path, read, mapping) -> InputError:
    """The error for a file of which no record was a valid post (`read`, moodcast.tagging's
    ReadPosts), read with `mapping` (InputMapping or None): what became of its records, what it
    holds and how to read it (moodcast.reading.file_reading, as a run is told)."""
    from moodcast.reading import file_reading

    told = file_reading(str(input_path), read.dead_letters, mapping=mapping)
    return InputError(f"No usable post in {input_path}: {read.describe()}. {told}".strip())


@click.group()
def markers() -> None:
    """List, show and evaluate the markers (shipped and your own)."""


markers.add_command(evaluate)
markers.add_command(train)
markers.add_command(calibrate)


@markers.command("list")
@data_dir_option
def list_markers(data_dir: str | None) -> None:
    """One line per marker: name, languages, dimensions, description; on stderr, each of your
    marker files that replaces a shipped marker of its name (and, as every command that loads
    markers does, a warning for each that leaves out the shipped head of its name)."""
    for marker in markers_of(data_dir).values():
        langs = ",".join(sorted(marker.languages))
        click.echo(f"{marker.name}\t{langs}\t{','.join(marker.dimensions)}\t{marker.description}")
        if marker.replaces_shipped:
            click.echo(f"{marker.name}: {marker.file} replaces the shipped marker", err=True)


@markers.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@data_dir_option
def show_marker(name: str, as_json: bool, data_dir: str | None) -> None:
    """A marker's definition: description, dimensions, rule, version, and per language its
    terms, its model source with the threshold it is a hit at and where that threshold comes
    from (named as `markers calibrate` names it: the marker file's, model/thresholds.toml's for
    the configured model, the adapted table's, a trained head's or the default; for the marker
    file's, what it was chosen on where the file says, its `threshold_basis`:
    `real-dev:<set>` or `written`), and which source decides; where the lexicon decides alone
    (the rule `lexicon`, or no model configured for the language), the threshold decides none
    of the marker's flags; the marker file it was read from, and whether it replaces the
    shipped marker of its name; where that file leaves out the shipped head of its name, per
    language of the head, that the head no longer decides there, what does instead and where to
    copy the head to keep it. With --json, the same as one object (`file`,
    `replaces_shipped`): per language under `languages`, `model`, `threshold`,
    `threshold_from`, `threshold_basis`, `decides`, `threshold_decides`, `unused` and
    `dropped_shipped_head`."""
    from transforms.marker_descriptions import describe_sources, marker_sources

    marker = markers_of(data_dir, name)[name]
    config = load_settings(data_dir, reads_posts=False).model_config
    if as_json:
        shown = {
            "name": marker.name,
            "version": marker.version,
            "rule": marker.rule,
            "description": marker.description,
            "dimensions": list(marker.dimensions),
            "cue": marker.cue,
            "file": str(marker.file),
            "replaces_shipped": marker.replaces_shipped,
            "terms": {lang: list(terms) for lang, terms in sorted(marker.terms.items()) if terms},
            "languages": [asdict(row) for row in marker_sources(marker, config)],
        }
        click.echo(json.dumps(shown, ensure_ascii=False))
        return
    click.echo(f"{marker.name} (version {marker.version}, rule {marker.rule})")
    click.echo(marker.description)
    click.echo(f"dimensions: {', '.join(marker.dimensions)}")
    if marker.cue:
        click.echo(f"cue: {marker.cue}")
    replacing = " (replaces the shipped marker of this name)" * marker.replaces_shipped
    click.echo(f"file: {marker.file}{replacing}")
    for lang, terms in sorted(marker.terms.items()):
        if terms:
            click.echo(f"[{lang}] {len(terms)} terms: {', '.join(terms)}")
    for line in describe_sources(marker, config):
        click.echo(line)


@markers.command("import")
@click.argument("lexicon", type=click.Choice(["empath", "vader", "nrc", "liwc"]))
@click.argument(
    "path", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option("--preset", help="Empath only: a preset of categories and dimensions (tommasel2021).")
@click.option("--categories", help="Empath or LIWC: comma-separated categories (default: all).")
@click.option(
    "--lang",
    help="NRC or LIWC: language of the file's terms, as `moodcast run --lang` reads it, or "
    "any other 2-3 letter code, which stderr says posts are never identified in (default: en).",
)
@click.option(
    "--min-valence", type=float,
    help="VADER only: mean valence magnitude at or above which a token is affect (default: 1.5).",
)  # fmt: skip
@click.option(
    "-o", "--output", "out_dir", type=Folder(path_type=Path),
    help="Directory for the marker files. Default: your marker directory (<data dir>/markers).",
)  # fmt: skip
@click.option(
    "--force", is_flag=True, help="Replace marker files of the same name in the directory."
)
@data_dir_option
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
    NRC EmoLex word-level file or LIWC .dic file at PATH (never copied into moodcast). Terms no
    post can match (`*` or an apostrophe alone) are left out, each named on stderr."""
    from moodcast.marker_import import import_markers, write_markers

    wanted = [c.strip() for c in categories.split(",") if c.strip()] if categories else None
    if categories is not None and not wanted:
        raise click.BadParameter(
            f"{categories!r} names no category (comma-separated names, e.g. sadness,fear)",
            param_hint="'--categories'",
        )
    if min_valence is not None and not min_valence > 0:
        raise click.BadParameter(
            f"the valence cut-off must be above 0, got {min_valence:g}",
            param_hint="'--min-valence'",
        )
    settings = load_settings(data_dir, reads_posts=False)
    target = out_dir or settings.user_markers_dir
    if lang is not None:
        lang = language(lang, settings, option="--lang", adding=True)
    found, origin, dropped = import_markers(
        lexicon, path, preset=preset, categories=wanted, lang=lang, min_valence=min_valence
    )
    written = write_markers(found, target, origin=origin, force=force)
    for name, terms in dropped.items():
        where = f"{name} (not written: no term left)" if name not in found else name
        click.echo(
            f"left out of {where}, as no post can match them (nothing left once written as "
            f"posts are matched): {', '.join(repr(t) for t in terms)}",
            err=True,
        )
    for marker_path in written:
        click.echo(str(marker_path))
    click.echo(f"wrote {len(written)} marker files from {origin} into {target}", err=True)


@markers.command("adapt")
@click.argument("corpus", metavar="CORPUS", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--max-posts", type=click.IntRange(min=1),
    help="Posts of each language to fit on at most, a sample fixed by a hash of the text. Default: 20000.",
)  # fmt: skip
@input_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per language.")
@data_dir_option
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
    from transforms.model_markers import language_rule
    from transforms.zero_shot import SourceError, check_adapted_models

    settings = load_settings(data_dir, **input_overrides(input_preset, mapping, default_lang))
    check_adapted_models(settings.models)
    rule = language_rule(
        base_markers(settings), settings.model_config, default=settings.default_lang
    )
    posts, read = corpus_posts(corpus, settings, rule=rule, max_posts=max_posts or MAX_POSTS)
    if posts.is_empty():
        raise _no_usable_post(corpus, read, settings.record_mapping)
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
