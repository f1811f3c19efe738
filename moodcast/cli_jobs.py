"""`moodcast run` and `moodcast stream`: the jobs that ingest posts (files, a spool directory or
Pub/Sub) into the warehouse, with Beam's own flags after `--`."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import click

from moodcast.cli_options import (
    Folder,
    data_dir_option,
    duration_option,
    input_options,
    input_overrides,
    iso_date,
    parsing_callback,
)
from moodcast.config import load_settings

tz_option = click.option(
    "--tz",
    help="Analysis time zone (IANA name) that local days are counted in. Default: UTC or config.toml.",
)


@click.command()
@click.argument("inputs", nargs=-1)
@click.option(
    "--follow",
    "spool",
    type=Folder(path_type=Path),
    help="Follow mode: load new files of this spool directory every --every, until SIGTERM/SIGINT.",
)
@duration_option(
    "--every", "How often follow mode (--follow) looks for new files: 30s, 5m, 1h.", default="5m"
)
@duration_option(
    "--allowed-lateness",
    "Posts on days closed longer than this (whole days) are filtered as too late. Default: 2d with --follow, else none.",
)
@data_dir_option
@click.option(
    "--as-of",
    callback=iso_date,
    help="The run's date, YYYY-MM-DD (default: today in the analysis time zone). Posts dated after it + 1 day are filtered. Whatever it is, a day is published only once it has ended: today's (the clock's) posts are counted, not published, forecast or alerted on.",
)
@tz_option
@click.option(
    "--model-sample-rate",
    type=click.FloatRange(0, 1, min_open=True),
    help="Share of posts that model-based markers score (deterministic per post id). Default: 1 or config.toml.",
)
@input_options
@click.option(
    "--keep-partial",
    is_flag=True,
    help="Keep the readable part of a truncated or corrupt compressed (or Parquet) input and record the loss, instead of failing the run. Default: off, or on where config.toml sets keep_partial_inputs = true.",
)
@click.option(
    "--allow-small-k",
    is_flag=True,
    help="Allow k below 11 (internal releases only; printed as a warning on every run). Default: off, or on where config.toml sets allow_small_k = true.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the run summary as one JSON object on stdout."
)
def run(
    inputs: tuple[str, ...],
    spool: Path | None,
    every,
    allowed_lateness,
    data_dir: str | None,
    as_of: date | None,
    tz: str | None,
    model_sample_rate: float | None,
    input_preset: str | None,
    mapping: Path | None,
    keep_partial: bool,
    allow_small_k: bool,
    default_lang: str | None,
    as_json: bool,
) -> None:
    """The daily job: ingest INPUT files → load → forecast → alerts → export.

    INPUT is a file or glob (JSON Lines or CSV, plain/.gz/.zst/.bz2/.xz; Parquet) on any
    filesystem Beam supports; an INPUT that names an existing file as written ('posts
    [1].jsonl') is that file, not a glob. A glob skips hidden files, as a shell does; `*` stays
    in one folder, `**` also enters subfolders ('posts/**.jsonl'). Beam's own flags go after
    `--` and pass through untouched, e.g.
    `moodcast run 'gs://b/posts/*.jsonl.gz' -- --runner=DataflowRunner --project=P`.
    Exports of X, Reddit, Mastodon or Bluesky are read with --preset; other field names with
    --mapping. With --follow DIR instead of INPUTs, it runs as an incremental micro-batch: each
    cycle loads the spool's new files and recomputes the days they touch; safe to stop and
    restart at any point. --lang is the
    inputs' language where a post states none and its text is too short or unclear to identify.
    It does not load the files a `moodcast stream` session left unloaded (stopped under
    another run's lock, or killed): `moodcast stream --recover` does.
    """
    from moodcast.run import daily_run

    if not inputs and not spool:
        raise click.UsageError("give the INPUT files to read, or --follow DIR to follow a spool")
    if inputs and spool:
        raise click.UsageError("give INPUT files, or --follow DIR, not both")
    every_given = click.get_current_context().get_parameter_source("every")
    if not spool and every_given is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--every is how often follow mode runs: give it with --follow DIR")
    beam_args = _beam_args()
    settings = load_settings(
        data_dir,
        tz=tz,
        model_sample_rate=model_sample_rate,
        keep_partial_inputs=keep_partial or None,
        allow_small_k=allow_small_k or None,
        **input_overrides(input_preset, mapping, default_lang),
    )
    if spool is not None:
        from moodcast.follow import follow

        done = follow(
            spool,
            settings=settings,
            every=every,
            allowed_lateness=allowed_lateness or timedelta(days=2),
            as_of=as_of,
            beam_args=beam_args,
        )
        if as_json and done.last is not None:
            click.echo(json.dumps(done.last.as_json(), sort_keys=True))
        return
    summary = daily_run(
        list(inputs),
        settings=settings,
        as_of=as_of,
        beam_args=beam_args,
        allowed_lateness=allowed_lateness,
    )
    click.echo(summary.describe(), err=True)
    if as_json:
        click.echo(json.dumps(summary.as_json(), sort_keys=True))


def _check_subscription(value: str) -> str:
    """The --subscription value, checked before anything starts (ingest.stream.check_subscription)."""
    from ingest.stream import check_subscription

    return check_subscription(value)


@click.command()
@click.option(
    "--subscription",
    callback=parsing_callback(_check_subscription),
    help="Pub/Sub subscription to read, projects/P/subscriptions/S ($PUBSUB_EMULATOR_HOST for the emulator).",
)
@click.option(
    "--recover",
    is_flag=True,
    help="Only load what stream sessions killed outright (or stopped after a failed last load) left unloaded, recording a killed one killed (every start does this first), and exit.",
)
@duration_option(
    "--early-every",
    "How often an open day's provisional numbers are counted (early panes); a day is published once it has ended.",
    default="60s",
)
@duration_option(
    "--allowed-lateness",
    "How long after a day ends its late posts still count (whole days); older ones are filtered as too late.",
    default="2d",
)
@duration_option(
    "--load-every", "How often the panes written so far are loaded and published.", default="10s"
)
@duration_option("--duration", "Stop after this long (default: run until SIGTERM/SIGINT).")
@data_dir_option
@tz_option
@input_options
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the session's run_id, status (ok or incomplete), unpublished (posts read and counted in no day, not kept out: a failure), unpublished_is_floor (true where more than that are, how many not known), kept_out (each day another run holds, which its panes did not replace: day, posts, held_by; not a failure) and counts as one JSON object on stdout, an incomplete session's too before it exits 1. With --recover: {\"recovered\": [...]}, one such object per session recovered (its status as recorded, killed among them; unpublished a floor for a killed or failed one), with days_loaded.",
)
def stream(
    subscription: str | None,
    recover: bool,
    early_every,
    allowed_lateness,
    load_every,
    duration,
    data_dir: str | None,
    tz: str | None,
    input_preset: str | None,
    mapping: Path | None,
    default_lang: str | None,
    as_json: bool,
) -> None:
    """The streaming job: posts from Pub/Sub counted in today's numbers as they arrive.

    Event time is each post's created_at; local days in the analysis time zone are windows
    with early panes every --early-every (provisional: "today so far", counted but not
    published), an on-time pane when the day ends (from which the day is published) and late
    panes for posts up to --allowed-lateness later. Each message is one
    Post as JSON (or a record of --preset/--mapping). Beam's own flags go after `--`, e.g.
    `-- --runner=DataflowRunner --project=P --region=R --temp_location=gs://b/tmp`.
    A session that stops with posts read and in no day loaded (its drain's time ran out with
    them still in the job's windows) is recorded `incomplete`, with their count, and exits 1.
    Posts of its panes of a day another run holds (a pane never replaces a day a file run
    loaded) are kept out: counted in no day and named (summary, --json, the ledger's
    `kept_out` counts, a warning saying how to publish them), not a failure (exit 0). A
    second stream on a data directory where one runs is refused (exit 75). A subscription
    that Pub/Sub does not answer for within 10 s ($PUBSUB_EMULATOR_HOST, credentials), or
    does not hold, is refused before the job starts (exit 4); a session that read no post
    and finds Pub/Sub gone as it stops is recorded failed (exit 4).
    """
    from moodcast.stream import StreamIncomplete, stream_run
    from moodcast.stream_recovery import recover_killed_sessions

    beam_args = _beam_args()
    settings = load_settings(
        data_dir,
        reads_posts=not recover,
        tz=tz,
        **input_overrides(input_preset, mapping, default_lang),
    )
    if recover:
        recovered = recover_killed_sessions(settings)
        click.echo(
            f"recovered {len(recovered)} stream session(s) that left files unloaded", err=True
        )
        if as_json:
            sessions = [{**r.as_json(), "days_loaded": r.days} for r in recovered]
            click.echo(json.dumps({"recovered": sessions}, sort_keys=True))
        return
    if subscription is None:
        raise click.UsageError("give --subscription (or --recover)")
    try:
        summary = stream_run(
            subscription,
            settings=settings,
            early_every=early_every,
            allowed_lateness=allowed_lateness,
            load_every=load_every,
            duration=duration,
            beam_args=beam_args,
        )
    except StreamIncomplete as exc:  # its message ends with the summary
        if as_json:
            click.echo(json.dumps(exc.summary.as_json(), sort_keys=True))
        raise
    click.echo(summary.describe(), err=True)
    if as_json:
        click.echo(json.dumps(summary.as_json(), sort_keys=True))


def _beam_args() -> list[str]:
    """The arguments after `--` (Beam's own flags); UsageError where one is this command's option."""
    ctx = click.get_current_context()
    beam_args = list((ctx.find_root().obj or {}).get("beam_args", []))
    ours = {opt for param in ctx.command.params for opt in getattr(param, "opts", [])}
    misplaced = [arg.split("=")[0] for arg in beam_args if arg.split("=")[0] in ours]
    if misplaced:
        raise click.UsageError(
            f"{misplaced[0]} is an option of moodcast {ctx.info_name}: put it before `--` "
            "(what follows `--` goes to Beam untouched)"
        )
    return beam_args
