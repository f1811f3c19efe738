"""Small click helpers shared by the CLI modules (`cli`, `cli_alerts`, `cli_backtest`,
`cli_connect`, `cli_jobs`, `cli_labelled`, `cli_markers`): a module of its own because `cli`
imports the others. One definition of each option that several commands take, of how an
option's value is parsed before a command starts (`parsing_callback`), of the tab-separated
table they print, and of the marker set the marker commands read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from moodcast.config import DATA_DIR_HELP, Settings, load_settings
from transforms.errors import MarkerError
from transforms.presets import PRESETS

if TYPE_CHECKING:
    from transforms.markers import Marker


def parsing_callback(parse: Callable[[str], object], *, message: str | None = None) -> Callable:
    """A click callback that gives an option's value as `parse` reads it, None staying None;
    a ValueError from `parse` is a click.BadParameter (exit 2) with its message, or with
    `message` (a format string of `value`) where given. The one rule of every option whose
    value is parsed or checked before the command starts."""

    def callback(ctx, param, value: str | None):
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(message.format(value=value) if message else str(exc)) from exc

    return callback


iso_date = parsing_callback(date.fromisoformat, message="{value!r} is not a date like 2025-03-01")
"""click callback: `value` (YYYY-MM-DD) as a date; None stays None."""


def _duration(value: str) -> timedelta:
    from moodcast.follow import parse_duration

    return parse_duration(value)


duration = parsing_callback(_duration)
"""click callback: `value` (`30s`, `5m`, `1h`, `2d`: moodcast.follow.parse_duration) as a
timedelta; None stays None."""


class Folder(click.Path):
    """A directory's path (click.Path with file_okay=False) that is not empty: `--data-dir ""`,
    as an unset shell variable gives it, would name the default data directory (or `-o ""` the
    current directory) without a word."""

    def __init__(self, **kwargs):
        super().__init__(file_okay=False, **kwargs)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("an empty path names no directory (an unset shell variable?)", param, ctx)
        return super().convert(value, param, ctx)


data_dir_option = click.option("--data-dir", type=Folder(), help=DATA_DIR_HELP)
"""`--data-dir DIR`: the directory holding all state (moodcast.config.load_settings)."""


def date_option(name: str, dest: str, help: str):
    """An option `name` taking a day (YYYY-MM-DD), passed as `dest` (a date or None)."""
    return click.option(name, dest, callback=iso_date, help=help)


def file_option(name: str, dest: str, help: str, *, required: bool = False):
    """An option `name` naming an existing file, passed as `dest` (a Path)."""
    return click.option(
        name,
        dest,
        required=required,
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help=help,
    )


def refuse_parquet_output(out: Path, *, over: Path, over_name: str, option: str) -> None:
    """Raise click.BadParameter (exit 2, for `option`) for a Parquet file a command is about to
    write, `out`, that is its input `over` itself (`over_name` says which: `INPUT`,
    `--series`), whose contents it would replace, or named other than `.parquet` or `.pq`,
    which a reader (a spreadsheet for `.csv`, moodcast for `.jsonl`) would take for another
    format."""
    if over.is_file() and out.is_file() and out.samefile(over):
        raise click.BadParameter(
            f"{out} is {over_name} itself, which writing it would replace; name another file",
            param_hint=option,
        )
    if out.suffix and out.suffix.lower() not in (".parquet", ".pq"):
        raise click.BadParameter(
            f"{out} is not named as a Parquet file, which is what is written there: name it "
            f"{out.with_suffix('.parquet').name}",
            param_hint=option,
        )


def freq_option(default: str | None = None):
    """`--freq D|W`: the period of a series file (without a default, read from the dates)."""
    return click.option(
        "--freq",
        type=click.Choice(["D", "W"]),
        default=default,
        show_default=default is not None,
        help="Period of the series: daily or weekly"
        + ("." if default else " (default: read from the dates)."),
    )


def count_option(name: str, default: int, help: str, *, minimum: int = 1):
    """A whole-number option with a shown default, at least `minimum`."""
    return click.option(
        name, default=default, show_default=True, type=click.IntRange(min=minimum), help=help
    )


def duration_option(name: str, help: str, *, default: str | None = None):
    """An option `name` taking a duration (`30s`, `5m`, `1h`, `2d`), passed as a timedelta
    (`duration`); a `default` is shown."""
    return click.option(
        name, default=default, show_default=default is not None, callback=duration, help=help
    )


port_option = click.option(
    "--port",
    default=8501,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to serve the dashboard on; one that another server holds is refused (exit 3).",
)
"""`--port N`: the local port the dashboard is served on (`dashboard`, `demo`)."""


def json_option(what: str):
    """`--json` (passed as `as_json`): print `what` as a JSON list on stdout."""
    return click.option(
        "--json", "as_json", is_flag=True, help=f"Print {what} as a JSON list on stdout."
    )


def echo_table(columns: list[str], rows) -> None:
    """Print `rows` (tuples in the order of `columns`) tab-separated under a header line;
    floats to 4 significant digits, None as an empty field."""
    lines = ["\t".join(columns)]
    for row in rows:
        lines.append(
            "\t".join(
                "" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v) for v in row
            )
        )
    click.echo("\n".join(lines))


PRESET_CHOICE = click.Choice(sorted(PRESETS))


def input_options(command):
    """`--preset NAME` and `--mapping FILE.toml`: how input field names map onto the Post fields
    (mutually exclusive; either overrides config.toml's input_preset and input_mapping); `--lang`:
    the inputs' default language (config.toml's default_lang)."""
    command = click.option(
        "--lang",
        "default_lang",
        help="Language of posts that state none and are too short or unclear to identify, e.g. en (eng, spa: read as en, es; docs/languages.md). Default: none or config.toml.",
    )(command)
    command = click.option(
        "--mapping",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help='TOML file mapping Post fields to source paths, e.g. text = "body". Default: none or config.toml.',
    )(command)
    return click.option(
        "--preset",
        "input_preset",
        type=PRESET_CHOICE,
        help="Read the field names of this platform's exports. Default: none or config.toml.",
    )(command)


def input_overrides(
    input_preset: str | None, mapping: Path | None, default_lang: str | None = None
) -> dict:
    """load_settings overrides from --preset / --mapping / --lang; refuses a preset and a
    mapping at once."""
    if input_preset is not None and mapping is not None:
        raise click.UsageError("--preset and --mapping are mutually exclusive: give one of them")
    return {"input_preset": input_preset, "input_mapping": mapping, "default_lang": default_lang}


SOURCE_CHOICE = click.Choice(["lexicon", "model"])
"""`--source` of `tag` and `markers evaluate`: the source that alone decides every marker."""


def markers_of(data_dir: str | None, names: str | None = None) -> dict[str, Marker]:
    """The markers of `data_dir`'s settings by name (configured_and_named), only those of
    `names` (comma-separated) when given. A configured markers_dir that is not a directory is
    refused, as by the commands that read posts (load_settings)."""
    settings = load_settings(data_dir, reads_posts=False, reads_markers=True)
    return configured_and_named(settings, names)[1]


def configured_and_named(
    settings: Settings, names: str | None
) -> tuple[dict[str, Marker], dict[str, Marker]]:
    """Every marker of `settings` by name, scored as configured
    (moodcast.adapting.scored_as_configured), and those of them that `names` (comma-separated,
    named_markers) names. An invalid marker file is a MarkerError (exit 5); then a name that is
    no marker, a usage error (exit 2), found before the markers' fit is read; then a missing or
    stale fit (SourceError), a MarkerError."""
    from moodcast.adapting import base_markers, scored_as_configured

    base = base_markers(settings)
    wanted = named_markers(base, names)
    every = scored_as_configured(base, settings)
    return every, {name: every[name] for name in wanted}


def named_markers(markers: Mapping[str, Marker], names: str | None) -> dict[str, Marker]:
    """Those of `markers` that `names` (comma-separated) names, by name; all of them without
    `names`. A name that is no marker is a usage error (click.UsageError, exit 2) in
    transforms.markers.definitions.pick_markers' words."""
    from transforms.markers.definitions import pick_markers

    if not names:
        return dict(markers)
    wanted = sorted({n.strip() for n in names.split(",") if n.strip()})
    try:
        return pick_markers(markers, wanted)
    except MarkerError as exc:
        raise click.UsageError(str(exc)) from exc
