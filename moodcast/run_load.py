"""The run's load step: one landing directory into the warehouse (days, ledger rows, dead
letters), and the earlier inputs whose days a run recomputes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl

import warehouse
from ingest.inputs import InputFile, InputFileError, literal_pattern, match_inputs
from moodcast.run_summary import RunSummary
from moodcast.stream_landing import streamed_days
from transforms.errors import InputError
from transforms.periods import touched_days
from transforms.presets import InputMapping, from_key
from warehouse.schema import RUN_INPUT_SCHEMA

log = logging.getLogger(__name__)

RUN_INPUT_COLUMNS = {k: v for k, v in RUN_INPUT_SCHEMA.items() if k != "run_id"}


def older_inputs_covering(
    con, days: Mapping[str, set[date]], *, read: set[str]
) -> list[tuple[InputFile, InputMapping | None]]:
    """Ledgered inputs, not among `read`, with records in a period (transforms.periods.
    touched_days) that holds one of `days` (a new input's path → the days it has records on),
    each with the preset or mapping it was loaded through. Their text is not checked again
    (ingest.inputs.refuse_unsplittable): each is read as it was loaded, even where a later
    version of moodcast would refuse it.

    Raises InputFileError naming the new inputs whose periods an earlier input covers that is
    gone or changed since it was loaded (unavailable_older): those periods cannot be recomputed
    from all of their inputs, while the other new inputs can load without them.
    """
    older, unavailable = [], {}
    every_day = touched_days(set().union(*days.values()))
    for row in warehouse.inputs_covering(con, every_day).iter_rows(named=True):
        if row["sha256"] in read:
            continue
        try:
            (current,) = match_inputs([literal_pattern(row["path"])], check_text=False)
        except InputError:
            unavailable[row["sha256"]] = (
                f"{row['path']} was loaded before and is now gone (or not a regular file)"
            )
            continue
        if current.sha256 != row["sha256"]:
            unavailable[row["sha256"]] = (
                f"{row['path']} was loaded before and has changed since (its SHA-256 differs)"
            )
            continue
        older.append((current, None if row["mapping"] is None else from_key(row["mapping"])))
    if unavailable:
        raise unavailable_older(con, unavailable, days)
    return older


def unavailable_older(
    con, unavailable: Mapping[str, str], days: Mapping[str, set[date]]
) -> InputFileError:
    """The error of new inputs (`days`: path → its days) whose periods earlier inputs cover that
    can no longer be read as they were loaded (`unavailable`: content hash → what became of
    the file): it names, in `paths`, the new inputs whose periods those inputs cover."""
    needing = [
        path
        for path in sorted(days)
        if not warehouse.inputs_covering(con, touched_days(days[path]))
        .filter(pl.col("sha256").is_in(list(unavailable)))
        .is_empty()
    ]
    new, one = ", ".join(needing), len(needing) == 1
    old = "it" if len(unavailable) == 1 else "them"
    return InputFileError(
        f"{'; '.join(unavailable.values())}. {'It holds' if old == 'it' else 'They hold'} posts "
        f"of the weeks or 8-week periods that {new} also cover{'s' if one else ''}, which "
        f"cannot be recomputed from all of their posts without {old}. Nothing was published. "
        f"Put {old} back as loaded, or move {new} out of the inputs (follow mode leaves "
        f"{'it' if one else 'them'} aside and loads the others).",
        paths=needing,
    )


def load_landing(
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
    in DP mode, the noisy cells of every day read before `open_from` (the earlier of the run's
    date and its clock's day: days that have ended) that has not been released yet (warehouse.load_dp_daily: a day is released
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
    for day, (stream, posts) in sorted(streamed_days(con, list(days)).items()):
        warehouse.record_kept_out(con, stream, {day: warehouse.Kept(posts, run_id)}, days=[day])
        log.warning(
            "run %s replaces %s, which stream run %s had loaded: a file run's day is final, so "
            "that stream's %d post(s) there that these inputs do not hold are in no day now, "
            "counted `kept_out` in its ledger (docs/streaming.md, who holds a day)",
            run_id,
            day,
            stream,
            posts,
        )
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
    warehouse.record_inputs(con, run_id, _input_rows(files, mappings, summary.files))
    warehouse.record_input_days(con, coverage.rename({"source": "path"}))
    warehouse.record_counts(con, run_id, counts)
    warehouse.record_dead_letters(
        con, pl.read_parquet(landing / "dead_letters.parquet"), run_id=run_id
    )
    return summary


def _input_rows(
    files: list[InputFile],
    mappings: Mapping[str, InputMapping],
    counts: Mapping[str, tuple[int, int]],
) -> pl.DataFrame:
    """The run's ledger rows of `files` (RUN_INPUT_COLUMNS), with each path's mapping and its
    `counts` (records read, dead-lettered)."""
    return pl.DataFrame(
        [
            {
                "path": f.path,
                "sha256": f.sha256,
                "bytes": f.bytes,
                "mapping": mappings[f.path].key if f.path in mappings else None,
                "n_read": counts[f.path][0],
                "n_dead_lettered": counts[f.path][1],
            }
            for f in files
        ],
        schema=RUN_INPUT_COLUMNS,
    )
