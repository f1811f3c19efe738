"""Small click helpers shared by the CLI modules (`cli`, `cli_alerts`, `cli_backtest`,
`cli_connect`): a module of its own because `cli` imports the others. One definition of each
option that several commands take, and of the tab-separated table they print."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import click


def iso_date(ctx, param, value: str | None) -> date | None:
    """click callback: `value` (YYYY-MM-DD) as a date; None stays None."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2025-03-01") from exc


def duration(ctx, param, value: str | None) -> timedelta | None:
    """click callback: `value` (`30s`, `5m`, `1h`, `2d`: moodcast.follow.parse_duration) as a
    timedelta; None stays None."""
    if value is None:
        return None
    from moodcast.follow import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


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
