"""The daily run: ingest → load → forecast → alerts → export, under the data directory's lock."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

import warehouse
from forecasting import forecast_and_alert
from forecasting.chosen import published_choice
from forecasting.inputs import InputRule, complete_days
from forecasting.methods import MethodRules, marker_dimensions
from ingest.pipeline import IngestJob, fetch_landing, is_remote, landing_location, run_ingest
from ingest.sources import InputError, InputFile, match_inputs
from moodcast.config import Settings, author_key
from transforms.aggregate import touched_days
from transforms.markers import load_markers, marker_versions
from transforms.posts import PostOptions
from transforms.presets import InputMapping, from_key
from transforms.series import derived_series, dp_series, same_series, to_post_counts

log = logging.getLogger(__name__)

EXPORT_FORMATS = ("csv", "parquet")


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

    def as_json(self) -> dict:
        """The `--json` object: read, valid, dead_lettered, duplicates, filtered, days, series,
        alerts (and run_id)."""
        return {
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
        return (
            f"run {self.run_id}: read {self.read:,} posts; {self.valid:,} valid; "
            f"{self.dead_lettered:,} dead-lettered{f' ({dead})' if dead else ''}; "
            f"{self.duplicates:,} duplicates; filtered: {filtered}. "
            f"{self.days:,} days loaded, {self.series:,} series forecast, {self.alerts:,} alert periods."
        )


def daily_run(
    inputs: Sequence[str], *, settings: Settings, as_of: date | None, beam_args: Sequence[str]
) -> RunSummary:
    """Run the daily job on `inputs` (files or globs) and publish the result.

    A day is always computed from all of its posts: when the new inputs cover days that earlier
    inputs in the ledger also cover, those inputs are read again with the new ones and the days
    recomputed. Rerunning the same inputs with the same `as_of` publishes identical tables.
    Raises InputError, ConfigError, MarkerError or a WarehouseError (e.g. RunLocked).
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    markers = load_markers(*[d for d in [settings.user_markers_dir] if d.is_dir()])
    key = author_key(settings.data_dir, remote=is_remote(beam_args))
    as_of = as_of or datetime.now(ZoneInfo(settings.tz)).date()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with warehouse.RunLock(settings.data_dir, command="moodcast run") as lock:
        files = match_inputs(inputs)
        log.info("run: %d input file(s), %s bytes", len(files), f"{sum(f.bytes for f in files):,}")
        attempt = _Attempt()
        with (
            _ledgered_if_it_fails(settings.data_dir, lock, attempt),
            warehouse.writing(settings.data_dir, lock=lock) as con,
        ):
            ledgered = warehouse.ledgered_sha256s(con)
            run_id = _run_id(
                ledgered | {f.sha256 for f in files}, as_of, settings, marker_versions(markers)
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
            job = IngestJob(
                inputs=[f.path for f in files],
                landing_dir=landing_location(
                    beam_args, local_dir=settings.landing_dir, run_id=run_id
                ),
                markers=markers,
                key=key,
                run_id=run_id,
                options=PostOptions(
                    tz=settings.tz,
                    as_of=as_of,
                    include_reposts=settings.include_reposts,
                    models=settings.model_config,
                ),
                source_tz=settings.source_tz,
                mappings=_mappings(files, settings.record_mapping),
                dp_budget=settings.dp_budget,
            )
            landing = _ingest(job, beam_args, local_dir=settings.landing_dir / run_id)
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
                landing = _ingest(job, beam_args, local_dir=settings.landing_dir / run_id)
            summary = _load(
                con, landing, files=files, mappings=job.mappings, days=days, run_id=run_id
            )
            daily = warehouse.current_daily(con)
            distinct = same_series(daily).filter(pl.col("same_as").is_null())
            if settings.privacy == "dp":
                series, grains = dp_series(warehouse.queries.dp_released(con))
            else:
                series, grains = derived_series(
                    daily, warehouse.current_periods(con, grain="rolling_7"), k=settings.k
                )
            series = series.join(distinct.select("unique_id"), on="unique_id", how="semi")
            log.info(
                "forecast: %d distinct series, %d on days, %d on 7-day windows, %d left out "
                "(a cell below k at both grains)",
                distinct.height,
                grains.filter(pl.col("grain") == "day").join(distinct, on="unique_id").height,
                grains.filter(pl.col("grain") == "rolling_7").join(distinct, on="unique_id").height,
                distinct.join(grains, on="unique_id", how="anti").height,
            )
            log.info("forecast: %d series", series.get_column("unique_id").n_unique())
            choice = published_choice(
                warehouse.queries.backtests(con),
                series.get_column("unique_id").unique().to_list(),
                run_id=run_id,
            )
            outcome = forecast_and_alert(
                series,
                run_id=run_id,
                horizon_days=settings.horizon_days,
                history_days=settings.history_days,
                n_jobs=settings.forecast_jobs,
                choice=choice,
                methods=settings.alert_methods,
                method_rules=MethodRules(dimensions=marker_dimensions(markers.values())),
                complete=complete_days(warehouse.queries.covered_days(con)),
                post_counts=to_post_counts(daily),
                inputs=InputRule(
                    min_posts_per_day=settings.min_posts_per_day,
                    volume_factor=settings.volume_change_factor,
                ),
            )
            statuses = dict(outcome.notes.group_by("status").len().iter_rows())
            log.info(
                "forecast: %s", ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
            )
            warehouse.replace_forecasts(con, outcome.forecasts)
            windowed = grains.filter(pl.col("grain") == "rolling_7").get_column("unique_id")
            outcome = replace(
                outcome,
                alerts=outcome.alerts.filter(~pl.col("unique_id").is_in(windowed.implode())),
            )
            warehouse.replace_alerts(con, outcome.alerts)
            warehouse.replace_model_choice(con, outcome.choice)
            summary = replace(
                summary,
                series=outcome.forecasts.get_column("unique_id").n_unique(),
                alerts=outcome.alerts.height,
            )
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
        exports = export_published(settings, out_dir=settings.exports_dir)
        shutil.rmtree(settings.landing_dir / run_id, ignore_errors=True)
    log.info("run %s done in %.1f s", run_id, time.perf_counter() - clock)
    return replace(summary, exports=tuple(exports))


@dataclass
class _Attempt:
    """The run's ledger row, known once the run has its id: status `failed` (what a failed
    run leaves) until the run succeeds."""

    row: warehouse.RunRecord | None = None


@contextmanager
def _ledgered_if_it_fails(
    data_dir: Path, lock: warehouse.RunLock, attempt: _Attempt
) -> Iterator[None]:
    """On an exception, publish the run ledger with `attempt.row` added (nothing else of the
    run is kept), so the dashboard shows the failure; then re-raise. A failure to record it
    is logged, never raised over the run's own error."""
    try:
        yield
    except Exception:
        if attempt.row is not None:
            try:
                with warehouse.writing(data_dir, lock=lock) as con:
                    warehouse.record_run(con, replace(attempt.row, finished_at=datetime.now(UTC)))
            except Exception:
                log.warning("run: could not record the failed run in the ledger", exc_info=True)
        raise


def export_published(settings: Settings, *, out_dir: Path, fmt: str | None = None) -> list[Path]:
    """Export the published warehouse to `out_dir` in `fmt` (both formats when None)."""
    con = warehouse.open_published(settings.data_dir)
    try:
        paths: list[Path] = []
        for each in [fmt] if fmt else EXPORT_FORMATS:
            paths += warehouse.export(
                con,
                out_dir,
                fmt=each,
                k=settings.k,
                tz=settings.tz,
                week_grain=settings.week_grain,
                privacy=settings.privacy,
                budget=settings.dp_budget,
            )
        return paths
    finally:
        con.close()


def _ingest(job: IngestJob, beam_args: Sequence[str], *, local_dir: Path) -> Path:
    clock = time.perf_counter()
    log.info("ingest: reading %d file(s) with Beam", len(job.inputs))
    location = run_ingest(job, beam_args=beam_args)
    log.info("ingest: done in %.1f s", time.perf_counter() - clock)
    return fetch_landing(location, local_dir)


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
) -> RunSummary:
    """Load one landing directory: the days in `days`, the ledger rows and the dead letters."""
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
    warehouse.load_dp_daily(con, pl.read_parquet(landing / "dp_daily.parquet"), days=days)
    by_path = {f.path: f for f in files}
    coverage = pl.read_parquet(landing / "coverage.parquet").with_columns(
        pl.col("source").replace_strict({p: f.sha256 for p, f in by_path.items()}).alias("sha256")
    )
    warehouse.record_inputs(
        con,
        run_id,
        [
            (f.path, f.sha256, f.bytes, mappings[f.path].key if f.path in mappings else None)
            for f in files
        ],
    )
    warehouse.record_input_days(con, coverage.rename({"source": "path"}))
    warehouse.record_counts(con, run_id, counts)
    warehouse.record_dead_letters(
        con, pl.read_parquet(landing / "dead_letters.parquet"), run_id=run_id
    )
    return summary


def _run_id(shas: set[str], as_of: date, settings: Settings, versions: dict[str, str]) -> str:
    """Deterministic: the same ledgered inputs, date, settings and markers give the same id (an
    input preset or mapping counts; without one, ids are as before mappings existed)."""
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
    material = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _package_version() -> str:
    from importlib.metadata import version

    return version("moodcast")
