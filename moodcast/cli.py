"""The `moodcast` command: a thin shell over the packages' typed functions.

Domain errors become one-line messages (exit 1); progress and logs go to stderr; stdout carries
only what a command is asked to print (`--json`).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path

import click

from moodcast.cli_backtest import backtest
from moodcast.cli_markers import input_options, input_overrides, markers, tag
from moodcast.config import DATA_DIR_HELP, ConfigError, load_settings


def _errors() -> tuple[type[Exception], ...]:
    from ingest.sources import InputError
    from transforms.contracts import ContractError
    from transforms.markers import MarkerError
    from warehouse.errors import WarehouseError

    return (ConfigError, InputError, MarkerError, ContractError, WarehouseError)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
        force=True,
    )
    logging.getLogger().handlers[0].addFilter(_drop_beam_gcp_notice)
    quiet = logging.INFO if verbose else logging.WARNING
    for noisy in ("apache_beam", "statsforecast", "py.warnings", "urllib3", "httpx"):
        logging.getLogger(noisy).setLevel(quiet)


def _drop_beam_gcp_notice(record: logging.LogRecord) -> bool:
    """Beam warns at import that Google Cloud clients are missing; they are optional here."""
    return not str(record.msg).startswith("apitools not found")


def _iso_date(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2025-03-01") from exc


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _errors() as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
@click.version_option(package_name="moodcast")
def main(verbose: bool) -> None:
    """moodcast: population-level mental-health signals from public posts.

    Every signal is a population statistic (the share of authors or posts matching a marker),
    never a statement about a person.
    """
    _setup_logging(verbose)


@main.command()
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write posts.jsonl and waves.csv into.",
)
@click.option(
    "--posts",
    default=200_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Number of posts.",
)
@click.option(
    "--days", default=365, show_default=True, type=click.IntRange(min=1), help="Number of days."
)
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed.")
@click.option(
    "--start",
    default="2025-01-06",
    show_default=True,
    callback=_iso_date,
    help="First day, YYYY-MM-DD.",
)
@click.option(
    "--malformed-share",
    default=0.002,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of deliberately malformed records.",
)
@click.option(
    "--profile",
    type=click.Choice(["default", "forum"]),
    default="default",
    show_default=True,
    help="default: three regions, English and Spanish, common markers. forum: one region, "
    "English, rare markers (0.5-3%), like a real discussion forum.",
)
@click.option(
    "--authors-per-day",
    type=click.IntRange(min=1),
    help="About this many distinct authors a day (e.g. 300 with --profile forum); replaces --posts.",
)
def sample(
    out_dir: Path,
    posts: int,
    days: int,
    seed: int,
    start: date,
    malformed_share: float,
    profile: str,
    authors_per_day: int | None,
) -> None:
    """Write a seeded synthetic corpus with planted waves (and waves.csv saying where)."""
    from moodcast.sample import generate_sample

    summary = generate_sample(
        out_dir,
        posts=posts,
        days=days,
        seed=seed,
        start=start,
        malformed_share=malformed_share,
        profile=profile,
        authors_per_day=authors_per_day,
    )
    click.echo(f"wrote {summary.posts_path} and {summary.waves_path}", err=True)


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
@click.option(
    "--as-of",
    callback=_iso_date,
    help="The run's date, YYYY-MM-DD (default: today in the analysis time zone). Posts dated after it + 1 day are filtered.",
)
@click.option(
    "--tz",
    help="Analysis time zone (IANA name) that local days are counted in. Default: UTC or config.toml.",
)
@click.option(
    "--model-sample-rate",
    type=click.FloatRange(0, 1, min_open=True),
    help="Share of posts that model-based markers score (deterministic per post id). Default: 1 or config.toml.",
)
@input_options
@click.option(
    "--json", "as_json", is_flag=True, help="Print the run summary as one JSON object on stdout."
)
def run(
    inputs: tuple[str, ...],
    data_dir: str | None,
    as_of: date | None,
    tz: str | None,
    model_sample_rate: float | None,
    input_preset: str | None,
    mapping: Path | None,
    as_json: bool,
) -> None:
    """The daily job: ingest INPUT files → load → forecast → alerts → export.

    INPUT is a file or glob (JSON Lines, plain/.gz/.zst; CSV; Parquet) on any filesystem Beam
    supports. Beam's own flags go after `--` and pass through untouched, e.g.
    `moodcast run 'gs://b/posts/*.jsonl.gz' -- --runner=DataflowRunner --project=P`.
    Exports of X, Reddit, Mastodon or Bluesky are read with --preset; other field names with
    --mapping.
    """
    from moodcast.run import daily_run

    ctx = click.get_current_context()
    beam_args = list((ctx.find_root().obj or {}).get("beam_args", []))
    settings = load_settings(
        data_dir,
        tz=tz,
        model_sample_rate=model_sample_rate,
        **input_overrides(input_preset, mapping),
    )
    summary = daily_run(list(inputs), settings=settings, as_of=as_of, beam_args=beam_args)
    click.echo(summary.describe(), err=True)
    if as_json:
        click.echo(json.dumps(summary.as_json(), sort_keys=True))


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True
)
@click.option(
    "-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def export(fmt: str, out_dir: Path, data_dir: str | None) -> None:
    """Write timelines, forecasts and alerts with a data dictionary (small cells suppressed)."""
    from moodcast.run import export_published

    settings = load_settings(data_dir)
    for path in export_published(settings, out_dir=out_dir, fmt=fmt):
        click.echo(str(path))


@main.command()
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
def dashboard(port: int, host: str, data_dir: str | None) -> None:
    """Serve the Streamlit dashboard (read-only on the warehouse)."""
    from dashboard.serve import serve

    settings = load_settings(data_dir)
    raise SystemExit(
        serve(
            settings.data_dir,
            host=host,
            port=port,
            k=settings.k,
            tz=settings.tz,
            privacy=settings.privacy,
        )
    )


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_DIR_HELP)
@click.option(
    "--sample-dir",
    default="moodcast-sample",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the sample corpus goes: outside the data directory, since it holds raw text.",
)
@click.option("--posts", default=200_000, show_default=True, type=click.IntRange(min=1))
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--no-dashboard", is_flag=True, help="Stop after the exports instead of serving the dashboard."
)
def demo(data_dir: str | None, sample_dir: Path, posts: int, port: int, no_dashboard: bool) -> None:
    """End to end on the embedded defaults: sample corpus → run → exports → dashboard."""
    from dashboard.serve import serve
    from moodcast.run import daily_run
    from moodcast.sample import generate_sample

    settings = load_settings(data_dir)
    corpus = sample_dir.resolve()
    if not (corpus / "posts.jsonl").exists():
        click.echo(f"generating {posts:,} sample posts into {corpus} …", err=True)
        generate_sample(corpus, posts=posts)
    summary = daily_run([str(corpus / "posts.jsonl")], settings=settings, as_of=None, beam_args=[])
    click.echo(summary.describe(), err=True)
    if not no_dashboard:
        click.echo(f"dashboard on http://127.0.0.1:{port} (Ctrl-C to stop)", err=True)
        raise SystemExit(
            serve(
                settings.data_dir,
                host="127.0.0.1",
                port=port,
                k=settings.k,
                tz=settings.tz,
                privacy=settings.privacy,
            )
        )


main.add_command(backtest)


main.add_command(tag)
main.add_command(markers)


def _split_beam_args(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1 :]
    return argv, []


def cli(argv: list[str] | None = None) -> None:
    """Entry point with Beam pass-through: everything after `--` goes to Beam untouched."""
    ours, beam_args = _split_beam_args(list(sys.argv[1:] if argv is None else argv))
    main.main(args=ours, prog_name="moodcast", obj={"beam_args": beam_args})
