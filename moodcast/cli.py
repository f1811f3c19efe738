"""The `moodcast` command: a thin shell over the packages' typed functions.

Errors raised on purpose (transforms.errors.MoodcastError) become a one-paragraph message and
the exit code of their kind (EXIT_CODES, the one table, documented in the README); progress and
logs go to stderr; stdout carries only what a command is asked to print (`--json`). Importing
this module loads no forecasting, model or Beam library: commands import what they use.
"""

from __future__ import annotations

import logging
import shlex
import sys
import sysconfig
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from click.core import ParameterSource

from moodcast.cli_alerts import alerts
from moodcast.cli_backtest import backtest
from moodcast.cli_connect import connect
from moodcast.cli_jobs import run, stream
from moodcast.cli_markers import markers, tag
from moodcast.cli_options import Folder, count_option, data_dir_option, iso_date, port_option
from moodcast.config import Settings, load_settings
from transforms.errors import (
    BusyError,
    ConfigError,
    ContractError,
    InputError,
    MarkerError,
    ModelError,
    MoodcastError,
    WarehouseError,
    WorkerError,
)

if TYPE_CHECKING:
    from moodcast.sample import SampleSummary

log = logging.getLogger(__name__)

EXIT_CODES: tuple[tuple[type[BaseException], int, str], ...] = (
    (BusyError, 75, "another run holds the data directory: try again when it ends"),
    (ConfigError, 3, "a setting is invalid (config.toml, an option, an environment variable, Beam flags)"),
    (InputError, 4, "an input cannot be used (no such file, a directory, unreadable, no usable post)"),
    (MarkerError, 5, "a marker file or lexicon is invalid"),
    (ModelError, 6, "a sentence model cannot be loaded"),
    (WarehouseError, 7, "the warehouse cannot do it (no run yet, another version's file)"),
    (ContractError, 8, "a table does not follow its contract (missing or mistyped columns)"),
    (OSError, 9, "the operating system refused a file operation (permissions, disk full, disk quota)"),
    (WorkerError, 10, "a step of the Beam job failed on a worker (the step and its error named)"),
    (MoodcastError, 1, "any other error moodcast reports on purpose"),
)  # fmt: skip
"""Kind of error → exit code and what it means; the first kind that matches wins. Usage errors
(an unknown option, a bad option value, a typed marker name that names no marker) exit 2, as
click's do; an interrupt exits 130."""

DEMO_START, DEMO_DAYS = date(2025, 1, 6), 365
"""The demo's sample: its first day and length (its run is as of its last day)."""

DEMO_PLANTED = (
    "The sample plants malformed records, repeated lines, reposts and posts dated in the future "
    "on purpose (moodcast.sample): they are the dead letters, duplicates and filtered posts "
    "counted above, which the dashboard's Data health page lists by reason."
)
"""What the demo says after its run's summary, whose dead letters would otherwise read as
errors."""

BEAM_COMMANDS = frozenset({"run"})
"""Commands that pass the flags after `--` to Beam."""


def exit_code(exc: BaseException) -> int:
    """The exit code of an error, from EXIT_CODES."""
    return next(code for kind, code, _ in EXIT_CODES if isinstance(exc, kind))


def error_message(exc: BaseException) -> str:
    """The one paragraph shown for an error: its message, or for an OSError the file and the
    operating system's reason (its kind where it has neither reason nor message)."""
    if isinstance(exc, OSError) and not isinstance(exc, MoodcastError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or str(exc) or type(exc).__name__}"
    return " ".join(str(exc).split()) or type(exc).__name__


class _Failure(click.ClickException):
    """An error of EXIT_CODES as click shows it: `Error: <message>` on stderr, its exit code."""

    def __init__(self, exc: BaseException):
        super().__init__(error_message(exc))
        self.exit_code = exit_code(exc)


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
    for noisy in (
        "apache_beam",
        "statsforecast",
        "py.warnings",
        "urllib3",
        "httpx",
        "skeletoken",
        "model2vec",
    ):
        logging.getLogger(noisy).setLevel(quiet)


def _drop_beam_gcp_notice(record: logging.LogRecord) -> bool:
    """Beam warns at import that Google Cloud clients are missing; they are optional here
    (the Pub/Sub client is installed for `moodcast stream`, the storage client is not)."""
    return not str(record.msg).startswith(("apitools not found", "Failed to import GCSFileSystem"))


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (MoodcastError, OSError) as exc:
            log.debug("the error's traceback (shown with --verbose):", exc_info=exc)
            raise _Failure(exc) from exc
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except click.NoSuchOption as exc:
            if exc.ctx is not None and exc.ctx.command.name in BEAM_COMMANDS:
                exc.message = exc.message.rstrip(".") + (
                    f". If {exc.option_name} is one of Beam's flags, put it after `--`: "
                    f"moodcast {exc.ctx.command.name} INPUT -- {exc.option_name}=…"
                )
            raise


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit codes: "
    + ", ".join(
        f"{code} {what}"
        for code, what in sorted(
            [(0, "done"), (2, "usage"), (130, "interrupted")]
            + [(code, kind.__name__) for kind, code, _ in EXIT_CODES]
        )
    )
    + " (README: Errors and exit codes).",
)
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
    type=Folder(path_type=Path),
    help="Directory to write posts.jsonl and waves.csv into.",
)
@count_option("--posts", 200_000, "Number of posts.")
@count_option("--days", 365, "Number of days.")
@click.option(
    "--seed",
    default=7,
    show_default=True,
    type=click.IntRange(min=0),
    help="Random seed (0 or more).",
)
@click.option(
    "--start",
    default="2025-01-06",
    show_default=True,
    callback=iso_date,
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
    """Write a seeded synthetic corpus with planted waves (and waves.csv saying where).

    Says first how many posts and about how many bytes it writes; a sample larger than the
    free disk space or the machine's memory is refused, and so are days past 9998-12-31."""
    from moodcast.sample import LAST_DAY, planned_posts

    if (LAST_DAY - start).days < days - 1:
        raise click.BadParameter(
            f"{days:,} days from {start} run past {LAST_DAY}, the last day a sample can hold",
            param_hint="'--days'",
        )
    summary = write_sample(
        out_dir,
        planned_posts(posts, days=days, authors_per_day=authors_per_day),
        option="--posts" if authors_per_day is None else "--authors-per-day",
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="File format of the three tables.",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=Folder(path_type=Path),
    help="Directory to write timelines, forecasts, alerts, data_dictionary.md and "
    "manifest.json into (not the data directory's own exports, which each run replaces).",
)
@data_dir_option
def export(fmt: str, out_dir: Path, data_dir: str | None) -> None:
    """Write timelines, forecasts and alerts with a data dictionary (small cells suppressed).

    The -o directory gets a manifest.json of the files written; files an earlier export there
    listed and this one does not write (another --format) are deleted unless changed since,
    others kept."""
    from moodcast.exports import export_published

    settings = load_settings(data_dir, reads_posts=False)
    for path in export_published(settings, out_dir=out_dir, fmt=fmt):
        click.echo(str(path))


@main.command()
@port_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to serve on; a non-loopback one needs sign-in configured or --insecure-no-auth.",
)
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    help="Serve on a non-loopback --host without sign-in (every page shows a warning).",
)
@data_dir_option
def dashboard(port: int, host: str, insecure_no_auth: bool, data_dir: str | None) -> None:
    """Serve the Streamlit dashboard (read-only on the warehouse). A non-loopback --host needs
    sign-in configured, or --insecure-no-auth."""
    settings = load_settings(data_dir, reads_posts=False)
    _serve(settings, host=host, port=port, insecure_no_auth=insecure_no_auth)


def _serve(settings: Settings, *, host: str, port: int, insecure_no_auth: bool = False) -> NoReturn:
    """Become the dashboard server (dashboard.serve.serve) on `host:port`, showing the
    published warehouse of `settings` with their k, time zone, privacy mode and week grain.
    Raises ConfigError for a non-loopback `host` without sign-in or `insecure_no_auth`, and for
    a `port` already in use."""
    from dashboard.serve import serve

    try:
        serve(
            settings.data_dir,
            host=host,
            port=port,
            k=settings.k,
            tz=settings.tz,
            insecure_no_auth=insecure_no_auth,
            privacy=settings.privacy,
            week_grain=settings.week_grain,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


@main.command()
@data_dir_option
@click.option(
    "--sample-dir",
    default="moodcast-sample",
    show_default=True,
    type=Folder(path_type=Path),
    help="Where the sample corpus goes: outside the data directory, since it holds raw text.",
)
@count_option("--posts", 200_000, "Number of sample posts, when --sample-dir holds none yet.")
@port_option
@click.option(
    "--no-dashboard", is_flag=True, help="Stop after the exports instead of serving the dashboard."
)
def demo(data_dir: str | None, sample_dir: Path, posts: int, port: int, no_dashboard: bool) -> None:
    """End to end on the embedded defaults: sample corpus → run (as of the sample's last day) →
    exports → dashboard."""
    from dashboard.serve import port_problem

    settings = load_settings(data_dir)
    if not no_dashboard and (problem := port_problem("127.0.0.1", port)):
        raise ConfigError(
            f"{problem} moodcast demo ends by serving the dashboard there, so it stopped before "
            "its run (--no-dashboard runs it without serving)."
        )
    from moodcast.run import daily_run

    corpus = sample_dir.resolve()
    if not (corpus / "posts.jsonl").exists():
        write_sample(corpus, posts, option="--posts", posts=posts, start=DEMO_START, days=DEMO_DAYS)
    elif click.get_current_context().get_parameter_source("posts") is ParameterSource.DEFAULT:
        click.echo(f"using the sample already in {corpus}", err=True)
    else:
        click.echo(
            f"using the sample already in {corpus}: --posts {posts:,} makes a sample only where "
            "there is none yet (delete its posts.jsonl, or give another --sample-dir)",
            err=True,
        )
    as_of = DEMO_START + timedelta(days=DEMO_DAYS - 1)
    click.echo(f"running as of {as_of}, the sample's last day", err=True)
    summary = daily_run([str(corpus / "posts.jsonl")], settings=settings, as_of=as_of, beam_args=[])
    click.echo(summary.describe(), err=True)
    click.echo(DEMO_PLANTED, err=True)
    click.echo(demo_outputs(settings, port=None if no_dashboard else port), err=True)
    if not no_dashboard:
        _serve(settings, host="127.0.0.1", port=port)


def write_sample(out_dir: Path, planned: int, *, option: str, **arguments) -> SampleSummary:
    """moodcast.sample.generate_sample(out_dir, **arguments), which writes `planned` posts,
    announced on stderr with its size and logged each minute while it runs. A sample that does
    not fit (room_problem, or a MemoryError) is a bad value of `option` (click.BadParameter)."""
    from moodcast.progress import heartbeat
    from moodcast.sample import BYTES_PER_POST, generate_sample, room_problem, size_words

    if problem := room_problem(out_dir, planned):
        raise click.BadParameter(problem, param_hint=f"'{option}'")
    about = size_words(planned * BYTES_PER_POST)
    click.echo(f"generating {planned:,} sample posts (about {about}) into {out_dir} …", err=True)
    try:
        with heartbeat(log, "sample"):
            return generate_sample(out_dir, **arguments)
    except MemoryError as exc:
        raise click.BadParameter(
            f"{planned:,} posts do not fit in this machine's memory; ask for fewer",
            param_hint=f"'{option}'",
        ) from exc


def demo_outputs(settings: Settings, *, port: int | None) -> str:
    """What the demo says once its run is done: where its exports and the rest of its data
    directory are, and the dashboard, served on `port` (None: not served), and how to serve it
    again after Ctrl-C, or at all: this installation's moodcast command (moodcast_command) with
    the data directory and the port."""
    command = [moodcast_command(), "dashboard", "--data-dir", str(settings.data_dir)]
    serve = f"`{shlex.join(command if port is None else [*command, '--port', str(port)])}`"
    return "\n".join(
        [
            f"exports (CSV, Parquet, data dictionary) in {settings.exports_dir}; the warehouse "
            f"(moodcast.duckdb) and the rest of the run's state in {settings.data_dir}",
            f"dashboard on http://127.0.0.1:{port} (Ctrl-C stops it; {serve} serves it again)"
            if port is not None
            else f"{serve} serves the dashboard",
        ]
    )


def moodcast_command() -> str:
    """The path of the `moodcast` script beside the running Python (a virtual environment's
    `bin`, which need not be on PATH), else `moodcast` where no such script is there."""
    script = Path(sysconfig.get_path("scripts")) / "moodcast"
    return str(script) if script.is_file() else "moodcast"


main.add_command(connect)
main.add_command(backtest)
main.add_command(alerts)
main.add_command(run)
main.add_command(stream)


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
