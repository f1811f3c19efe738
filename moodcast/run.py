"""The daily run: ingest → load → forecast → alerts → export, under the data directory's lock.

This module runs the steps in order and names the run; each step beyond the Beam job has its
module: moodcast.run_load (landing files into the warehouse), moodcast.run_forecast (forecasts
and alerts), moodcast.exports; moodcast.run_stops keeps every stop clean, and
moodcast.run_summary says what the run did.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

import warehouse
from ingest.inputs import InputFile, InputFileError, changed_inputs, literal_pattern, match_inputs
from ingest.job import IngestJob
from ingest.landing import fetch_landing, landing_location, remote_landing
from ingest.peek import looks_like_csv
from ingest.pipeline import run_ingest
from ingest.runner import check_runner
from moodcast.adapting import configured_markers
from moodcast.config import Settings, author_key
from moodcast.exports import publish_exports
from moodcast.jobs import ingest_job
from moodcast.progress import heartbeat
from moodcast.reading import csv_name, file_reading, unread_mapped_fields
from moodcast.run_forecast import forecast_step
from moodcast.run_load import load_landing, older_inputs_covering, unavailable_older
from moodcast.run_stops import Attempt, clean_os_errors, ledgered_if_it_fails, sigterm_as_exit
from moodcast.run_summary import RunSummary, release_protection
from transforms.contracts import MAX_TEXT_CHARS
from transforms.markers import marker_versions
from transforms.presets import InputMapping
from transforms.privacy import DEFAULT_K
from transforms.records import FILE_LOSS_REASONS

log = logging.getLogger(__name__)


def daily_run(
    inputs: Sequence[str],
    *,
    settings: Settings,
    as_of: date | None,
    beam_args: Sequence[str],
    allowed_lateness: timedelta | None = None,
) -> RunSummary:
    """Run the daily job on `inputs` (files or globs) and publish the result.

    A day is always computed from all of its posts: when the new inputs cover days that earlier
    inputs in the ledger also cover, those inputs are read again with the new ones and the days
    recomputed. Rerunning the same inputs with the same `as_of` publishes identical tables.
    With `allowed_lateness`, posts on days closed before `as_of` by that horizon
    (transforms.posts.lateness_horizon) are filtered as `too late`, so older days stay as loaded.
    Inputs are matched (and anything but a regular file refused) before the lock is taken.
    Every stop leaves a clean state: a failure, SIGTERM or Ctrl-C records a `failed` run, a
    SIGKILL is recorded as `killed` by the next run, and landing files are removed either way
    (a remote runner's after a failure by the next run: ingest.landing.remote_landing).
    Raises InputError, ConfigError, MarkerError, ModelError (a model folder `models` names is
    not there: configured_markers) or a WarehouseError (e.g. RunLocked; also for a full disk or
    a read-only data directory).
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    remote = check_runner(beam_args)
    files = match_inputs(inputs)
    for field in unread_mapped_fields(files[0].path, settings.record_mapping):
        log.warning(
            "your mapping reads %s, which none of the first records of %s holds: where no record "
            "holds it, no post has a %s",
            field,
            files[0].path,
            field.partition(" ")[0],
        )
    markers = configured_markers(settings)
    today = datetime.now(ZoneInfo(settings.tz)).date()
    as_of = as_of or today
    if settings.dp_budget is None:
        _announce_k(settings.k)
    else:
        log.info("publishing with %s", release_protection(settings))
    with clean_os_errors(settings.data_dir), sigterm_as_exit():
        key = author_key(settings.data_dir, remote=remote)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with (
            warehouse.RunLock(settings.data_dir, command="moodcast run") as lock,
            remote_landing(beam_args, local_dir=settings.landing_dir),
        ):
            shutil.rmtree(settings.landing_dir, ignore_errors=True)
            try:
                summary = _run_locked(
                    files,
                    markers,
                    key,
                    settings,
                    as_of,
                    beam_args,
                    lock,
                    started,
                    today=today,
                    allowed_lateness=allowed_lateness,
                )
                exports = publish_exports(settings)
            finally:
                shutil.rmtree(settings.landing_dir, ignore_errors=True)
    log.info("run %s done in %.1f s", summary.run_id, time.perf_counter() - clock)
    return replace(summary, exports=tuple(exports))


def _announce_k(k: int) -> None:
    if k < DEFAULT_K:
        log.warning(
            "!!! k = %d: cells of fewer than %d authors will be PUBLISHED (allow_small_k). "
            "Use this for an internal release only.",
            k,
            DEFAULT_K,
        )
    else:
        log.info("publishing cells of at least k = %d authors", k)


def _run_locked(
    files: list[InputFile],
    markers: Mapping,
    key: bytes,
    settings: Settings,
    as_of: date,
    beam_args: Sequence[str],
    lock: warehouse.RunLock,
    started: datetime,
    *,
    today: date,
    allowed_lateness: timedelta | None = None,
) -> RunSummary:
    """Ingest, load, forecast and record the run, holding `lock`; the warehouse is published
    on success, and a `failed` row on any failure. `today` is the clock's day the run started
    on: its release publishes only the days before it (warehouse.record_release), whatever
    `as_of`, and the forecast step, after it, reads only those."""
    log.info("run: %d input file(s), %s bytes", len(files), f"{sum(f.bytes for f in files):,}")
    attempt = Attempt()
    with (
        ledgered_if_it_fails(settings.data_dir, lock, attempt),
        warehouse.writing(settings.data_dir, lock=lock) as con,
    ):
        ledgered = warehouse.ledgered_sha256s(con)
        run_id = _run_id(
            ledgered | {f.sha256 for f in files},
            as_of,
            settings,
            marker_versions(markers),
            allowed_lateness=allowed_lateness,
        )
        attempt.row = warehouse.RunRecord(
            run_id=run_id,
            started_at=started,
            as_of=as_of,
            tz=settings.tz,
            package_version=_package_version(),
            marker_versions=json.dumps(marker_versions(markers), sort_keys=True),
            status="failed",
        )
        lock.note(attempt.row.as_note())
        job = ingest_job(
            settings,
            markers,
            key=key,
            run_id=run_id,
            landing=landing_location(beam_args, local_dir=settings.landing_dir, run_id=run_id),
            sources=[f.path for f in files],
            inputs=[literal_pattern(f.path) for f in files],
            as_of=as_of,
            allowed_lateness=allowed_lateness,
        )
        landing, job, files, days = _ingest_covering(con, job, files, beam_args, settings)
        summary = load_landing(
            con, landing, files=files, mappings=job.mappings, days=days, run_id=run_id,
            open_from=min(as_of, today),
        )  # fmt: skip
        if summary.valid == 0:
            raise _no_usable_post(summary, files, settings.record_mapping, as_of=as_of)
        if _authorless(landing):
            _warn_authorless(summary, settings)
        _warn_csv_named_json(summary)
        warehouse.record_release(
            con,
            k=settings.k,
            week_grain=settings.week_grain,
            privacy=settings.privacy,
            as_of=as_of,
            today=today,
        )
        summary = forecast_step(con, summary, settings=settings, markers=markers)
        warehouse.record_run(con, _finished(attempt.row, summary))
    return replace(summary, k=settings.k, release=release_protection(settings))


def _ingest_covering(
    con, job: IngestJob, files: list[InputFile], beam_args: Sequence[str], settings: Settings
) -> tuple[Path, IngestJob, list[InputFile], set[date]]:
    """Run `job` on `files`; where earlier inputs in the ledger also cover the days they touch,
    run it again on all of them, each read as it was loaded. Returns the landing files, the
    job and the files as last run, and the days the new inputs cover. Raises InputFileError
    when an input changed or went away while it was read (changed_inputs), naming the new
    inputs whose periods it covers where it is an earlier input; likewise for an earlier input
    gone or changed since it was loaded (older_inputs_covering)."""
    local_dir = settings.landing_dir / job.run_id
    older: list[tuple[InputFile, InputMapping | None]] = []
    days_of: dict[str, set[date]] = {}
    try:
        landing = _ingest(job, beam_args, local_dir=local_dir, settings=settings)
        coverage = pl.read_parquet(landing / "coverage.parquet")
        days = set(coverage.get_column("day").to_list())
        days_of = {
            source: set(group.get_column("day").to_list())
            for (source,), group in coverage.group_by("source")
        }
        older = older_inputs_covering(con, days_of, read={f.sha256 for f in files})
        if older:
            log.info(
                "run: %d earlier input(s) also cover these days; recomputing them from all "
                "inputs, each read as it was loaded",
                len(older),
            )
            files = sorted(files + [f for f, _ in older], key=lambda f: f.path)
            job = replace(
                job,
                inputs=[literal_pattern(f.path) for f in files],
                mappings={**job.mappings, **{f.path: m for f, m in older if m is not None}},
            )
            landing = _ingest(job, beam_args, local_dir=local_dir, settings=settings)
    except Exception as exc:
        _refuse_changed(con, files, older, days_of, cause=exc)
        raise
    _refuse_changed(con, files, older, days_of)
    return landing, job, files, days


def _refuse_changed(
    con,
    files: list[InputFile],
    older: list[tuple[InputFile, InputMapping | None]],
    days_of: Mapping[str, set[date]],
    *,
    cause: Exception | None = None,
) -> None:
    """Raise InputFileError (from `cause`, the job's own failure, if any) when an input
    changed or went away since it was hashed (changed_inputs): naming the new inputs whose
    periods it covers when it is one of the `older` inputs (run_load.unavailable_older;
    `days_of`: a new input's path → its days), else naming it."""
    changed = changed_inputs(files)
    if unavailable := {
        f.sha256: f"{f.path} was loaded before and changed or went away while the run read it"
        for f, _ in older
        if f.path in changed
    }:
        raise unavailable_older(con, unavailable, days_of) from cause
    if changed:
        raise InputFileError(
            f"{', '.join(changed)} changed or went away while the run read it, so what was read "
            "may be neither its old content nor its new one. Nothing was published. Put input "
            "files in place whole (write a temporary name, then rename it), leave them there, "
            "and run again.",
            paths=changed,
        ) from cause


def _finished(row: warehouse.RunRecord, summary: RunSummary) -> warehouse.RunRecord:
    """The ledger row of run `row` that ended well, with what `summary` counted."""
    return replace(
        row,
        finished_at=datetime.now(UTC),
        status="ok",
        read=summary.read,
        valid=summary.valid,
        dead_lettered=summary.dead_lettered,
        duplicates=summary.duplicates,
        filtered=sum(summary.filtered.values()),
        days=summary.days,
        series=summary.series,
        alerts=summary.alerts,
    )


def _no_usable_post(
    summary: RunSummary, files: Sequence[InputFile], mapping: InputMapping | None, *, as_of: date
) -> InputFileError:
    """The error of a run that kept no post: that its inputs hold no record, or what became of
    the records, what the first input holds and how to read it (moodcast.reading.file_reading:
    its fields or, for one JSON document, what it is; a preset, mapping or `jq` line; the
    timestamp forms read when some `created_at` could not be, and for a date in day/month order
    how to rewrite it), and which dates the run keeps when posts were filtered by their dates."""
    if summary.read == 0:
        return InputFileError(
            f"No usable post: {', '.join(f.path for f in files)} "
            f"{'is' if len(files) == 1 else 'are'} empty (no record to read). Nothing was "
            "published.",
            paths=[f.path for f in files],
        )
    fates = [
        f"{n:,} {what} ({', '.join(f'{m:,} {r}' for r, m in sorted(reasons.items()))})"
        for what, n, reasons in (
            ("dead-lettered", summary.dead_lettered, summary.dead_letter_reasons),
            ("filtered", sum(summary.filtered.values()), summary.filtered),
        )
        if n
    ]
    advice = [file_reading(files[0].path, summary.dead_letter_reasons, mapping=mapping)]
    if summary.filtered.get("future timestamp"):
        advice.append(
            f"Posts dated after the run's date ({as_of}: --as-of, else today) are filtered as "
            "future timestamps: give --as-of the last day the data cover."
        )
    if summary.filtered.get("too late"):
        advice.append(
            f"Posts on days closed longer than --allowed-lateness before {as_of} are filtered "
            "as too late: give a longer --allowed-lateness to load older days."
        )
    told = " ".join(a for a in [*advice, "Nothing was published."] if a)
    return InputFileError(
        f"No usable post: read {summary.read:,} record(s), "
        f"{'; '.join(fates) or 'none of them a post'}. {told}",
        paths=[f.path for f in files],
    )


def _authorless(landing: Path) -> bool:
    """Whether no valid post of the landing's daily aggregates has an author id (no cell
    counts an author)."""
    authors = pl.scan_parquet(landing / "daily.parquet").select(pl.col("n_authors").max())
    return not authors.collect().item()


def _warn_csv_named_json(summary: RunSummary) -> None:
    """Warn about each input of which every record was a dead letter and that looks like CSV
    under a JSON name (ingest.peek.looks_like_csv): the run kept the other inputs' posts and
    none of its."""
    for path, (read, dead) in sorted(summary.files.items()):
        if read and dead == read and looks_like_csv(path):
            log.warning(
                "%s: every one of its %s records is a dead letter: its first line holds commas "
                "and no {, so it looks like CSV; rename it %s (moodcast reads a file as its name "
                "says) and run again",
                path,
                f"{read:,}",
                csv_name(path),
            )


def _warn_authorless(summary: RunSummary, settings: Settings) -> None:
    """Warn that no valid post of the run has an author id, naming where the mapping reads
    it from: no cell reaches k (DP mode: no cell counts an author), so nothing is published."""
    mapping = settings.record_mapping
    if mapping is None or mapping.reads_post_fields:
        source = "the field author_id, which the input's records lack or leave empty"
    elif fields := mapping.paths.get("author_id"):
        source = f"{' or '.join(map(repr, fields))}, which the mapping names for author_id"
    else:
        source = "no field: the mapping names none for author_id"
    log.warning(
        "none of the %s valid post(s) has an author id (read from %s): posts without one count "
        "towards no cell's k, so nothing of this run is published. Name the field that holds "
        'each post\'s author in the mapping (--mapping mapping.toml: author_id = "..."), then run '
        "again",
        f"{summary.valid:,}",
        source,
    )


def _ingest(
    job: IngestJob, beam_args: Sequence[str], *, local_dir: Path, settings: Settings
) -> Path:
    """Run the ingest job; its landing files, locally. Raises InputError for an input whose
    compressed stream or Parquet data is damaged, unless `settings.keep_partial_inputs`."""
    clock = time.perf_counter()
    log.info("ingest: reading %d file(s) with Beam", len(job.inputs))
    with heartbeat(log, "ingest"):
        location = run_ingest(job, beam_args=beam_args)
    log.info("ingest: done in %.1f s", time.perf_counter() - clock)
    landing = fetch_landing(location, local_dir)
    damaged = (
        pl.read_parquet(landing / "dead_letters.parquet")
        .filter(pl.col("reason").is_in(FILE_LOSS_REASONS))
        .get_column("source")
        .unique()
        .sort()
        .to_list()
    )
    if damaged and not settings.keep_partial_inputs:
        raise InputFileError(
            f"{', '.join(damaged)}: the file ends early or is corrupt, so some of its posts "
            f"cannot be read. Nothing was published. Fetch the file again, or run with "
            f"--keep-partial to keep its readable part (the loss is recorded as a dead letter "
            f"naming the file and line).",
            paths=damaged,
        )
    for path in damaged:
        log.warning("%s is damaged: keeping its readable part (--keep-partial)", path)
    return landing


def _run_id(
    shas: set[str],
    as_of: date,
    settings: Settings,
    versions: dict[str, str],
    *,
    allowed_lateness: timedelta | None = None,
) -> str:
    """Deterministic: the same ledgered inputs, date, settings and markers give the same id (an
    input preset or mapping, and a lateness horizon, count; without them, ids are as before)."""
    parts = {
        "inputs": sorted(shas),
        "as_of": as_of.isoformat(),
        "tz": settings.tz,
        "source_tz": settings.source_tz,
        "include_reposts": settings.include_reposts,
        "markers": versions,
        "models": dict(sorted(settings.models.items())),
        "model_backend": settings.model_backend,
        "model_sample_rate": settings.model_sample_rate,
        "package": _package_version(),
    }
    if settings.record_mapping is not None:
        parts["input_mapping"] = settings.record_mapping.key
    if allowed_lateness:
        parts["allowed_lateness_s"] = allowed_lateness.total_seconds()
    if settings.default_lang is not None:
        parts["default_lang"] = settings.default_lang
    if settings.max_text_chars != MAX_TEXT_CHARS:
        parts["max_text_chars"] = settings.max_text_chars
    material = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _package_version() -> str:
    from importlib.metadata import version

    return version("moodcast")
