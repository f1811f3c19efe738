"""`moodcast connect mastodon|bluesky`: a live public stream written, post by post, to a spool
directory or a Pub/Sub topic."""

from __future__ import annotations

from pathlib import Path

import click

from moodcast.cli_options import Folder, data_dir_option, duration_option
from moodcast.config import load_settings
from moodcast.connect import JETSTREAM


@click.group()
def connect() -> None:
    """Read a live public stream and write each post, as a Post, to a spool directory (for
    `moodcast run --follow`) or a Pub/Sub topic (for `moodcast stream`)."""


def _sink_options(command):
    for option in reversed(
        [
            click.option(
                "--spool",
                type=Folder(path_type=Path),
                help="Write rotating JSON Lines files here (each renamed into place whole; a hidden one a failed flush left is removed at start once an hour old).",
            ),
            click.option("--topic", help="Publish to this Pub/Sub topic, projects/P/topics/T."),
            duration_option(
                "--rotate-every",
                "Close a spool file (or wait for the topic's acknowledgements) this often.",
                default="1m",
            ),
            click.option(
                "--rotate-posts",
                default=5000,
                show_default=True,
                type=click.IntRange(min=1),
                help="Close a spool file after this many posts.",
            ),
            click.option(
                "--max-posts", type=click.IntRange(min=1), help="Stop after this many posts."
            ),
            data_dir_option,
        ]
    ):
        command = option(command)
    return command


def _connect(
    source_name: str, source, spool, topic, rotate_every, rotate_posts, max_posts, data_dir
):
    import threading

    from moodcast.connect import SpoolSink, TopicSink, run_connector
    from moodcast.follow import stop_on_signals

    if bool(spool) == bool(topic):
        raise click.UsageError("give --spool DIR or --topic projects/P/topics/T (one of them)")
    settings = load_settings(data_dir, reads_posts=False)
    sink = (
        SpoolSink(spool, source=source_name, rotate_every=rotate_every, rotate_posts=rotate_posts)
        if spool
        else TopicSink(topic, rotate_every=rotate_every)
    )
    stop = threading.Event()
    with stop_on_signals(stop, name="connect"):
        summary = run_connector(
            source,
            sink,
            cursor_file=settings.data_dir / "connect" / f"{source_name}.cursor",
            stop=stop,
            max_posts=max_posts,
        )
    click.echo(
        f"{summary.posts:,} posts written, {summary.repeats:,} repeats skipped, "
        f"{summary.malformed:,} malformed messages skipped",
        err=True,
    )


@connect.command("mastodon")
@click.option("--server", required=True, help="The Mastodon server, e.g. https://mastodon.social.")
@click.option(
    "--token-env",
    default="MASTODON_TOKEN",
    show_default=True,
    help="Environment variable holding an access token, if the server requires one.",
)
@_sink_options
def connect_mastodon(server, token_env, **sink) -> None:
    """The public timeline of a Mastodon server (streaming API), reconnecting with backoff; a
    refusal no retry changes (an HTTP 4xx but 408 and 429) before the server has sent anything
    stops it, exit 3."""
    import os

    from moodcast.connect import mastodon_source

    source = mastodon_source(server, token=os.environ.get(token_env), token_env=token_env)
    _connect("mastodon", source, **sink)


@connect.command("bluesky")
@click.option(
    "--jetstream",
    default=JETSTREAM,
    show_default=True,
    help="Jetstream endpoint.",
)
@_sink_options
def connect_bluesky(jetstream, **sink) -> None:
    """Bluesky posts from Jetstream, resuming from the saved cursor, reconnecting with backoff;
    a refusal no retry changes (an HTTP 4xx but 408 and 429, no ws:// URL) before Jetstream has
    sent anything stops it, exit 3."""
    from moodcast.connect import bluesky_source

    _connect("bluesky", bluesky_source(jetstream), **sink)
