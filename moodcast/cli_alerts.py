"""`moodcast alerts replay|score`: alert methods evaluated as they would have run."""

from __future__ import annotations

import json
from datetime import date

import click

from moodcast.cli_options import (
    count_option,
    date_option,
    echo_table,
    file_option,
    freq_option,
    json_option,
    parsing_callback,
)


def _methods(value: str) -> tuple[str, ...]:
    """`--methods` (comma-separated) as checked method names (forecasting.methods.check_methods)."""
    from forecasting.methods import check_methods

    return check_methods(tuple(part.strip() for part in value.split(",") if part.strip()))


@click.group()
def alerts() -> None:
    """Replay alert methods prospectively and score them."""


@alerts.command()
@file_option(
    "--series",
    "series_path",
    "CSV in long format (unique_id, ds, y): ds a date as YYYY-MM-DD (also YYYY/MM/DD or "
    "YYYYMMDD; 01/02/2025 is refused, not guessed), y any non-negative rate or index, empty "
    "for a missing period.",
    required=True,
)
@freq_option()
@click.option(
    "--methods",
    callback=parsing_callback(_methods),
    help="Comma-separated methods (default: the default method).",
)
@date_option("--from", "first_run", "First run date replayed (YYYY-MM-DD).")
@count_option(
    "--reporting-delay",
    0,
    "Periods between a period and the first run that sees its data.",
    minimum=0,
)
@json_option("the alerts")
def replay(series_path, freq, methods, first_run, reporting_delay, as_json) -> None:
    """Run alert methods as they would have run, one cut-off at a time (each run date sees
    only the data up to it, less the reporting delay): one row per alert with `unique_id`,
    `method`, `start`, `end`, `issued_on` (the first run date that raised it: the last day of
    that run's period), `severity`."""
    from forecasting.methods import DEFAULT_METHODS
    from moodcast.alert_replay import replay_file

    rows, used = replay_file(
        series_path,
        freq_code=freq,
        methods=methods or DEFAULT_METHODS,
        first_run=first_run,
        reporting_delay=reporting_delay,
    )
    click.echo(f"replay: {rows.height} alerts, {used.name} periods", err=True)
    out = [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
        for r in rows.to_dicts()
    ]
    if as_json:
        click.echo(json.dumps(out))
    else:
        echo_table(rows.columns, (row.values() for row in out))


@alerts.command()
@file_option(
    "--alerts",
    "alerts_path",
    "The JSON list `moodcast alerts replay --json` printed.",
    required=True,
)
@file_option(
    "--truth",
    "truth_path",
    "CSV of high periods: unique_id, start, end (and optionally peak), dates as the series' "
    "ds; at least one period.",
    required=True,
)
@file_option(
    "--series",
    "series_path",
    "The replayed series CSV, for the exact span of each series (false alerts per year).",
)
@date_option(
    "--from",
    "first_run",
    "Score truth periods from this date, and the alerts of runs whose period starts on or after "
    "it (as replay --from).",
)
@count_option(
    "--early-window",
    4,
    "Periods before a truth onset in which an alert period still counts for it.",
    minimum=0,
)
@json_option("the scores")
def score(alerts_path, truth_path, series_path, first_run, early_window, as_json) -> None:
    """Score replayed alerts per method: share of truth onsets flagged, median lead of
    `issued_on`'s period against the onset (periods; negative is early), share flagged by the peak,
    false alert periods per series-year, and precision."""
    from moodcast.alert_replay import score_files

    rows = score_files(
        alerts_path,
        truth_path,
        series_path=series_path,
        first_run=first_run,
        early_window=early_window,
    )
    if as_json:
        click.echo(json.dumps(rows.to_dicts()))
        return
    echo_table(rows.columns, rows.iter_rows())
