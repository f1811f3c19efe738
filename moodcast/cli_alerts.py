"""`moodcast alerts replay|score`: alert methods evaluated as they would have run."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from moodcast.cli_options import iso_date


def _methods(ctx, param, value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    from forecasting.methods import check_methods

    names = tuple(part.strip() for part in value.split(",") if part.strip())
    try:
        return check_methods(names)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.group()
def alerts() -> None:
    """Replay alert methods prospectively and score them."""


@alerts.command()
@click.option(
    "--series",
    "series_path",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CSV in long format (unique_id, ds, y); y may be any non-negative rate or index.",
)
@click.option(
    "--freq",
    type=click.Choice(["D", "W"]),
    help="Period of the series: daily or weekly (default: read from the dates).",
)
@click.option(
    "--methods", callback=_methods, help="Comma-separated methods (default: the default method)."
)
@click.option(
    "--from", "first_run", callback=iso_date, help="First run date replayed (YYYY-MM-DD)."
)
@click.option(
    "--reporting-delay",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Periods between a period and the first run that sees its data.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the alerts as a JSON list on stdout.")
def replay(series_path, freq, methods, first_run, reporting_delay, as_json) -> None:
    """Run alert methods as they would have run, one cut-off at a time (each run date sees
    only the data up to it, less the reporting delay): one row per alert with `unique_id`,
    `method`, `start`, `end`, `issued_on` (the first run date that raised it), `severity`."""
    from forecasting.methods import DEFAULT_METHODS
    from moodcast.alert_replay import AlertReplayError, replay_file

    try:
        rows, used = replay_file(
            series_path,
            freq_code=freq,
            methods=methods or DEFAULT_METHODS,
            first_run=first_run,
            reporting_delay=reporting_delay,
        )
    except AlertReplayError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"replay: {rows.height} alerts, {used.name} periods", err=True)
    out = [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
        for r in rows.to_dicts()
    ]
    if as_json:
        click.echo(json.dumps(out))
    else:
        click.echo("\t".join(rows.columns))
        for row in out:
            click.echo("\t".join(str(v) for v in row.values()))


@alerts.command()
@click.option(
    "--alerts",
    "alerts_path",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The JSON list `moodcast alerts replay --json` printed.",
)
@click.option(
    "--truth",
    "truth_path",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CSV of high periods: unique_id, start, end (and optionally peak).",
)
@click.option(
    "--series",
    "series_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The replayed series CSV, for the exact span of each series (false alerts per year).",
)
@click.option(
    "--from", "first_run", callback=iso_date, help="Score truth periods and alerts from this date."
)
@click.option(
    "--early-window",
    default=4,
    show_default=True,
    type=click.IntRange(min=0),
    help="Periods before a truth onset in which an alert period still counts for it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as a JSON list on stdout.")
def score(alerts_path, truth_path, series_path, first_run, early_window, as_json) -> None:
    """Score replayed alerts per method: share of truth onsets flagged, median lead of
    `issued_on` against the onset (periods; negative is early), share flagged by the peak,
    false alert periods per series-year, and precision."""
    from moodcast.alert_replay import AlertReplayError, score_files

    try:
        rows = score_files(
            alerts_path,
            truth_path,
            series_path=series_path,
            first_run=first_run,
            early_window=early_window,
        )
    except AlertReplayError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(rows.to_dicts()))
        return
    click.echo("\t".join(rows.columns))
    for row in rows.iter_rows():
        click.echo(
            "\t".join(
                "" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v) for v in row
            )
        )
