"""The daily run: ingest → load → forecast → alerts → export, under the data directory's lock."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import shutil
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

import warehouse
from forecasting import forecast_and_alert
from forecasting.chosen import published_choice
from forecasting.frequency import (
    DAY,
    EIGHT_EPIWEEK,
    EIGHT_WEEK,
    EPIWEEK,
    WEEK,
    Frequency,
    FrequencyError,
)
from forecasting.inputs import InputRule, complete_days
from forecasting.methods import MethodRules, check_methods, marker_dimensions
from forecasting.series import NOTES_SCHEMA
from ingest.job import IngestJob
from ingest.landing import fetch_landing, landing_location
from ingest.pipeline import run_ingest
from ingest.runner import check_runner
from ingest.sources import InputError, InputFile, match_inputs, peek_fields
from moodcast.adapting import configured_markers
from moodcast.config import Settings, author_key
from moodcast.exports import publish_exports
from transforms.aggregate import EIGHT_WEEKS, touched_days
from transforms.contracts import MAX_TEXT_CHARS
from transforms.markers import marker_versions
from transforms.posts import PostOptions, lateness_horizon
from transforms.presets import InputMapping, from_key, suggest_reading, with_default_lang
from transforms.privacy import DEFAULT_K
from transforms.records import FILE_LOSS_REASONS
from transforms.series import (
    derived_series,
    dp_series,
    left_out_reason,
    same_series,
    to_post_counts,
)
from warehouse.schema import RUN_INPUT_SCHEMA

log = logging.getLogger(__name__)

RUN_INPUT_COLUMNS = {k: v for k, v in RUN_INPUT_SCHEMA.items() if k != "run_id"}


@dataclass(frozen=True)
class RunSummary:
    """What a run did. `read = valid + dead_lettered + duplicates + sum(filtered)`."""

    run_id: str
    read: int
    valid: int
    dead_lettered: int
    duplicates: int
    filtered: dict[str, int]
    days: int
    series: int
    alerts: int
    dead_letter_reasons: dict[str, int] = field(default_factory=dict)
    exports: tuple[Path, ...] = ()
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    relabelled: dict[str, int] = field(default_factory=dict)
    k: int = DEFAULT_K
    not_forecast: dict[str, int] = field(default_factory=dict)
    release: str = ""
    """How the release is protected (`release_protection`); empty: `k = {k}`."""

    def as_json(self) -> dict:
        """The `--json` object: read, valid, dead_lettered, duplicates, filtered, days, series,
        alerts (and run_id); `files`: per input path, records read and dead-lettered;
        `relabelled`: values replaced (e.g. regions counted as unknown); `k`."""
        return {
            "files": {
                path: {"read": read, "dead_lettered": dead}
                for path, (read, dead) in sorted(self.files.items())
            },
            "relabelled": dict(sorted(self.relabelled.items())),
            "k": self.k,
            "run_id": self.run_id,
            "read": self.read,
            "valid": self.valid,
            "dead_lettered": self.dead_lettered,
            "duplicates": self.duplicates,
            "filtered": dict(sorted(self.filtered.items())),
            "days": self.days,
            "series": self.series,
            "alerts": self.alerts,
        }

    def describe(self) -> str:
        """A short human summary for stderr."""
        filtered = (
            ", ".join(f"{n:,} {reason}" for reason, n in sorted(self.filtered.items())) or "none"
        )
        dead = ", ".join(
            f"{n:,} {reason}" for reason, n in sorted(self.dead_letter_reasons.items())
        )
        damaged = [(p, r, d) for p, (r, d) in sorted(self.files.items()) if d]
        per_file = "; ".join(f"{p}: {r:,} read, {d:,} dead-lettered" for p, r, d in damaged[:5])
        relabelled = ", ".join(f"{n:,} {why}" for why, n in sorted(self.relabelled.items()))
        skipped = ", ".join(f"{n:,} series, {why}" for why, n in sorted(self.not_forecast.items()))
        return (
            f"run {self.run_id}: read {self.read:,} posts from {len(self.files):,} file(s); "
            f"{self.valid:,} valid; "
            f"{self.dead_lettered:,} dead-lettered{f' ({dead})' if dead else ''}; "
            f"{self.duplicates:,} duplicates; filtered: {filtered}. "
            + (f"Relabelled: {relabelled}. " if relabelled else "")
            + (
                f"Files with dead letters: {per_file}{f'; {len(damaged) - 5} more' if len(damaged) > 5 else ''}. "
                if damaged
                else ""
            )
            + f"{self.days:,} days loaded, {self.series:,} series forecast, "
            f"{self.alerts:,} alert periods; published with {self.release or f'k = {self.k}'}."
            + (f" Not forecast: {skipped}." if skipped else "")
        )


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
    SIGKILL is recorded as `killed` by the next run, and landing files are removed either way.
    Raises InputError, ConfigError, MarkerError or a WarehouseError (e.g. RunLocked; also for a
    full disk or a read-only data directory).
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    remote = check_runner(beam_args)
    files = match_inputs(inputs)
    markers = configured_markers(settings)
    as_of = as_of or datetime.now(ZoneInfo(settings.tz)).date()
    if settings.dp_budget is None:
        _announce_k(settings.k)
    else:
        log.info("publishing with %s", release_protection(settings))
    with _clean_os_errors(settings.data_dir), _sigterm_as_exit():
        key = author_key(settings.data_dir, remote=remote)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with warehouse.RunLock(settings.data_dir, command="moodcast run") as lock:
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
    allowed_lateness: timedelta | None = None,
) -> RunSummary:
    """Ingest, load, forecast and record the run, holding `lock`; the warehouse is published
    on success, and a `failed` row on any failure."""
    log.info("run: %d input file(s), %s bytes", len(files), f"{sum(f.bytes for f in files):,}")
    attempt = _Attempt()
    with (
        _ledgered_if_it_fails(settings.data_dir, lock, attempt),
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
        job = IngestJob(
            inputs=[f.path for f in files],
            landing_dir=landing_location(beam_args, local_dir=settings.landing_dir, run_id=run_id),
            markers=markers,
            key=key,
            run_id=run_id,
            options=PostOptions(
                tz=settings.tz,
                as_of=as_of,
                include_reposts=settings.include_reposts,
                models=settings.model_config,
                earliest=lateness_horizon(as_of, allowed_lateness) if allowed_lateness else None,
                regions=settings.region_rule,
            ),
            source_tz=settings.source_tz,
            max_text_chars=settings.max_text_chars,
            mappings=_mappings(
                files, with_default_lang(settings.record_mapping, settings.default_lang)
            ),
            dp_budget=settings.dp_budget,
            earliest=settings.earliest_date,
        )
        landing = _ingest(
            job, beam_args, local_dir=settings.landing_dir / run_id, settings=settings
        )
        days = set(pl.read_parquet(landing / "coverage.parquet").get_column("day").to_list())
        older = _older_inputs_covering(con, touched_days(days), read={f.sha256 for f in files})
        if older:
            log.info(
                "run: %d earlier input(s) also cover these days; recomputing them from all "
                "inputs, each read as it was loaded",
                len(older),
            )
            files = sorted(files + [f for f, _ in older], key=lambda f: f.path)
            job = replace(
                job,
                inputs=[f.path for f in files],
                mappings={**job.mappings, **{f.path: m for f, m in older if m is not None}},
            )
            landing = _ingest(
                job, beam_args, local_dir=settings.landing_dir / run_id, settings=settings
            )
        summary = _load(
            con, landing, files=files, mappings=job.mappings, days=days, run_id=run_id,
            open_from=as_of,
        )  # fmt: skip
        if summary.valid == 0:
            raise _no_usable_post(summary, files, settings.record_mapping)
        summary = _forecast(con, summary, settings=settings, markers=markers)
        warehouse.record_run(
            con,
            replace(
                attempt.row,
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
            ),
        )
    return replace(summary, k=settings.k, release=release_protection(settings))


def release_protection(settings: Settings) -> str:
    """How a release under `settings` is protected, for the run's log and summary: `k = 11`, or
    the DP budget (in DP mode nothing is withheld, so k says nothing about it)."""
    budget = settings.dp_budget
    if budget is None:
        return f"k = {settings.k}"
    return (
        f"differential privacy, (ε, δ) = ({budget.epsilon:g}, {budget.delta:g}) per author "
        "per local day"
    )


def _forecast(con, summary: RunSummary, *, settings: Settings, markers: Mapping) -> RunSummary:
    """Forecast every distinct series at its grain (transforms.series.derived_series; in DP mode
    every series on its noisy days) and raise its alerts, once per distinct series; store them;
    count them in `summary`, with the reason each series left out was not forecast."""
    run_id = summary.run_id
    daily = warehouse.current_daily(con)
    distinct = same_series(daily).filter(pl.col("same_as").is_null()).select("unique_id")
    if settings.privacy == "dp":
        series, grains = dp_series(warehouse.queries.dp_released(con))
    else:
        series, grains = derived_series(
            daily,
            warehouse.publishable_periods(con, week_grain=settings.week_grain),
            k=settings.k,
            week_grain=settings.week_grain,
        )
    grains = grains.join(distinct, on="unique_id", how="semi")
    left_out = distinct.join(grains, on="unique_id", how="anti").get_column("unique_id")
    log.info(
        "forecast: %d distinct series: %s; %d left out (cells below k = %d at every grain)",
        distinct.height,
        ", ".join(f"{n} by {grain}" for grain, n in sorted(grains.group_by("grain").len().rows())),
        left_out.len(),
        settings.k,
    )
    choice = published_choice(
        warehouse.queries.backtests(con), grains.get_column("unique_id").to_list(), run_id=run_id
    )
    inputs = InputRule(
        min_posts_per_day=settings.min_posts_per_day, volume_factor=settings.volume_change_factor
    )
    common = dict(
        run_id=run_id,
        horizon_days=settings.horizon_days,
        history_days=settings.history_days,
        n_jobs=settings.forecast_jobs,
        choice=choice,
        method_rules=MethodRules(dimensions=marker_dimensions(markers.values())),
        inputs=inputs,
    )
    complete = complete_days(warehouse.queries.covered_days(con))
    iso = settings.week_grain == "iso_week"
    coarser = {
        settings.week_grain: WEEK if iso else EPIWEEK,
        EIGHT_WEEKS[settings.week_grain]: EIGHT_WEEK if iso else EIGHT_EPIWEEK,
    }
    outcomes = [
        forecast_and_alert(
            series.join(grains.filter(pl.col("grain") == "day"), on="unique_id", how="semi"),
            methods=_methods_at(settings.alert_methods, DAY),
            freq=DAY,
            complete=complete,
            post_counts=to_post_counts(daily),
            **common,
        )
    ]
    for grain, freq in coarser.items():
        outcomes.append(
            forecast_and_alert(
                series.join(grains.filter(pl.col("grain") == grain), on="unique_id", how="semi"),
                methods=_methods_at(settings.alert_methods, freq),
                freq=freq,
                **common,
            )
        )
    alerts = pl.concat([o.alerts for o in outcomes])
    notes = pl.concat(
        [
            *(o.notes for o in outcomes),
            _left_out_notes(
                left_out, reason=left_out_reason(k=settings.k, week_grain=settings.week_grain)
            ),
        ]
    )
    statuses = dict(notes.group_by("status").len().iter_rows())
    log.info("forecast: %s", ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())))
    forecasts = pl.concat([o.forecasts for o in outcomes])
    warehouse.replace_forecasts(con, forecasts)
    warehouse.replace_alerts(con, alerts.sort("unique_id", "start", "method"))
    warehouse.replace_model_choice(con, pl.concat([o.choice for o in outcomes]))
    return replace(
        summary,
        series=forecasts.get_column("unique_id").n_unique(),
        alerts=alerts.height,
        not_forecast=_not_forecast(notes),
    )


def _methods_at(methods: Sequence[str], freq: Frequency) -> tuple[str, ...]:
    """The alert methods of `methods` that can run on series of `freq` (a weekly-only method
    is not run on day series, and the other way round)."""
    runnable = []
    for name in methods:
        try:
            check_methods([name], freq=freq)
        except FrequencyError:
            continue
        runnable.append(name)
    return tuple(runnable)


def _left_out_notes(unique_ids: pl.Series, *, reason: str) -> pl.DataFrame:
    """NOTES_SCHEMA rows (`skipped`, with `reason`) of the series that no grain could take."""
    return pl.DataFrame(
        {"unique_id": unique_ids, "status": "skipped", "model": None, "reason": reason},
        schema=NOTES_SCHEMA,
    )


_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_ACCESS_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


@contextmanager
def _clean_os_errors(data_dir: Path) -> Iterator[None]:
    """A full disk or an unwritable data directory as one WarehouseError paragraph."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or data_dir
        if exc.errno in _DISK_ERRNOS:
            raise warehouse.WarehouseError(
                f"moodcast ran out of disk space writing {where}. Nothing was published: the "
                f"warehouse and the exports in {data_dir} are as they were, and the run's "
                f"temporary files were removed. Free some space (or point --data-dir at a "
                f"larger disk) and run again."
            ) from exc
        if exc.errno in _ACCESS_ERRNOS:
            raise warehouse.WarehouseError(
                f"moodcast cannot write {where} ({exc.strerror}): the data directory must be "
                f"writable by the user running moodcast. Nothing was published. Fix its "
                f"permissions or mount, or point --data-dir at a writable directory, and run "
                f"again."
            ) from exc
        raise


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """While the run holds its lock, SIGTERM unwinds it like Ctrl-C, so the failure is
    ledgered, workers are stopped and temporary files removed; the process then exits with
    status 143 (whatever a stage made of the interruption on its way out). A caller that has
    its own SIGTERM handler (follow mode finishes the cycle under way) keeps it."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(
        signal.SIGTERM
    ) not in (signal.SIG_DFL, None):
        yield
        return
    received: list[int] = []

    def stop(signum, frame):
        received.append(signum)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except BaseException:
        if received:
            log.warning("run stopped by SIGTERM; recorded as failed, nothing published")
            raise SystemExit(128 + received[0]) from None
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class _Attempt:
    """The run's ledger row, known once the run has its id: status `failed` (what a failed
    run leaves) until the run succeeds."""

    row: warehouse.RunRecord | None = None


@contextmanager
def _ledgered_if_it_fails(
    data_dir: Path, lock: warehouse.RunLock, attempt: _Attempt
) -> Iterator[None]:
    """On an exception (Ctrl-C and SIGTERM included), publish the run ledger with `attempt.row`
    added (nothing else of the run is kept), so the dashboard shows the failure; then
    re-raise. A failure to record it is logged, never raised over the run's own error."""
    try:
        yield
    except BaseException:
        if attempt.row is not None:
            try:
                with warehouse.writing(data_dir, lock=lock) as con:
                    warehouse.record_run(con, replace(attempt.row, finished_at=datetime.now(UTC)))
            except Exception:
                log.warning("run: could not record the failed run in the ledger", exc_info=True)
        raise


def _not_forecast(notes: pl.DataFrame) -> dict[str, int]:
    """Skipped series (forecasting NOTES_SCHEMA) counted by the kind of their reason: too many
    suppressed or missing recent days, too short a history, or the reason itself."""
    kind = (
        pl.when(pl.col("reason").str.contains("suppressed or missing"))
        .then(pl.lit("too many suppressed or missing recent days"))
        .when(pl.col("reason").str.contains("days of history"))
        .then(pl.lit("too short a history"))
        .otherwise(pl.col("reason"))
    )
    skipped = notes.filter(pl.col("status") == "skipped").select(kind.alias("kind"))
    return dict(skipped.get_column("kind").value_counts().iter_rows())


def _no_usable_post(
    summary: RunSummary, files: Sequence[InputFile], mapping: InputMapping | None
) -> InputError:
    """The error of a run that kept no post: what became of the records, the fields the first
    input holds, and how to read it (transforms.presets.suggest_reading)."""
    fates = [
        f"{n:,} {what} ({', '.join(f'{m:,} {r}' for r, m in sorted(reasons.items()))})"
        for what, n, reasons in (
            ("dead-lettered", summary.dead_lettered, summary.dead_letter_reasons),
            ("filtered", sum(summary.filtered.values()), summary.filtered),
        )
        if n
    ]
    fields = peek_fields(files[0].path)
    if mapping is None:
        reading = "read with the Post field names (id, created_at, text, …)"
    elif mapping.key.startswith("preset:"):
        reading = f"read with --preset {mapping.key.removeprefix('preset:')}"
    else:
        reading = "read through your mapping file"
    held = (
        f"{files[0].path} has the fields {', '.join(fields)} and was {reading}."
        if fields
        else f"No field could be read from {files[0].path} (it was {reading})."
    )
    advice = suggest_reading(fields) if fields else ""
    return InputError(
        f"No usable post: read {summary.read:,} record(s), "
        f"{'; '.join(fates) or 'none of them a post'}. {held} {advice} Nothing was published."
    )


def _ingest(
    job: IngestJob, beam_args: Sequence[str], *, local_dir: Path, settings: Settings
) -> Path:
    """Run the ingest job; its landing files, locally. Raises InputError for an input whose
    compressed stream or Parquet data is damaged, unless `settings.keep_partial_inputs`."""
    clock = time.perf_counter()
    log.info("ingest: reading %d file(s) with Beam", len(job.inputs))
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
        raise InputError(
            f"{', '.join(damaged)}: the file ends early or is corrupt, so some of its posts "
            f"cannot be read. Nothing was published. Fetch the file again, or run with "
            f"--keep-partial to keep its readable part (the loss is recorded as a dead letter "
            f"naming the file and line)."
        )
    for path in damaged:
        log.warning("%s is damaged: keeping its readable part (--keep-partial)", path)
    return landing


def _mappings(files: list[InputFile], mapping: InputMapping | None) -> dict[str, InputMapping]:
    return {} if mapping is None else {f.path: mapping for f in files}


def _older_inputs_covering(
    con, days: set[date], *, read: set[str]
) -> list[tuple[InputFile, InputMapping | None]]:
    """Ledgered inputs, not among `read`, that cover any of `days`, each with the preset or
    mapping it was loaded through; each must be unchanged."""
    older = []
    for row in warehouse.inputs_covering(con, days).iter_rows(named=True):
        if row["sha256"] in read:
            continue
        try:
            (current,) = match_inputs([row["path"]])
        except InputError as exc:
            raise InputError(
                f"{row['path']} was loaded before and covers days being recomputed, but it is gone: restore it, or start a new data directory"
            ) from exc
        if current.sha256 != row["sha256"]:
            raise InputError(
                f"{row['path']} changed since it was loaded (SHA-256 differs); restore the original, or load the new content under a new name"
            )
        older.append((current, None if row["mapping"] is None else from_key(row["mapping"])))
    return older


def _load(
    con,
    landing: Path,
    *,
    files: list[InputFile],
    mappings: Mapping[str, InputMapping],
    days: set[date],
    run_id: str,
    open_from: date | None = None,
) -> RunSummary:
    """Load one landing directory: the days in `days`, the ledger rows and the dead letters;
    in DP mode, the noisy cells of every day read before `open_from` (the run's date: days that
    have ended) that has not been released yet (warehouse.load_dp_daily: a day is released
    once, by the first run after it ends; follow mode re-reads it then, since it is still
    inside the lateness horizon, whereas a day past the horizon is no longer read)."""
    counts = pl.read_parquet(landing / "counts.parquet")

    def total(category: str) -> int:
        return int(counts.filter(pl.col("category") == category).get_column("n").sum())

    def by_reason(category: str) -> dict[str, int]:
        rows = counts.filter(pl.col("category") == category).sort("reason")
        return dict(
            zip(rows.get_column("reason").to_list(), rows.get_column("n").to_list(), strict=True)
        )

    summary = RunSummary(
        run_id=run_id,
        read=total("read"),
        valid=total("valid"),
        dead_lettered=total("dead_letter"),
        duplicates=total("duplicate"),
        filtered=by_reason("filtered"),
        days=len(days),
        series=0,
        alerts=0,
        dead_letter_reasons=by_reason("dead_letter"),
    )
    accounted = (
        summary.valid + summary.dead_lettered + summary.duplicates + sum(summary.filtered.values())
    )
    if accounted != summary.read:
        raise RuntimeError(
            f"accounting mismatch in run {run_id}: read {summary.read} but accounted {accounted}"
        )
    daily = pl.read_parquet(landing / "daily.parquet").filter(pl.col("day").is_in(sorted(days)))
    warehouse.load_daily(con, daily, days=days)
    warehouse.load_periods(con, pl.read_parquet(landing / "periods.parquet"), days=days)
    warehouse.load_dp_daily(con, pl.read_parquet(landing / "dp_daily.parquet"), before=open_from)
    per_file = {
        row["source"]: (row["n_read"], row["n_dead_lettered"])
        for row in pl.read_parquet(landing / "files.parquet").iter_rows(named=True)
    }
    summary = replace(
        summary,
        files={f.path: per_file.get(f.path, (0, 0)) for f in files},
        relabelled=by_reason("relabelled"),
    )
    by_path = {f.path: f for f in files}
    coverage = pl.read_parquet(landing / "coverage.parquet").with_columns(
        pl.col("source").replace_strict({p: f.sha256 for p, f in by_path.items()}).alias("sha256")
    )
    warehouse.record_inputs(
        con,
        run_id,
        pl.DataFrame(
            [
                {
                    "path": f.path,
                    "sha256": f.sha256,
                    "bytes": f.bytes,
                    "mapping": mappings[f.path].key if f.path in mappings else None,
                    "n_read": summary.files[f.path][0],
                    "n_dead_lettered": summary.files[f.path][1],
                }
                for f in files
            ],
            schema=RUN_INPUT_COLUMNS,
        ),
    )
    warehouse.record_input_days(con, coverage.rename({"source": "path"}))
    warehouse.record_counts(con, run_id, counts)
    warehouse.record_dead_letters(
        con, pl.read_parquet(landing / "dead_letters.parquet"), run_id=run_id
    )
    return summary


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
