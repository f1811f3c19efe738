"""Writes of the streaming loader: pane-aware upserts of whole days, and a stream's accounting.

A streaming job fires accumulating panes: each holds its local day's aggregates so far. The
loader (still the single writer, inside `store.writing`) replaces a day with a pane only when
that pane is not older than the one the day was last loaded from, ordered by (the stream run's
start, pane index), so a late-arriving file of an earlier pane never wins, and never replaces a
day a file run loaded (its rows stored with no pane recorded: a recomputed day is final). A day
whose latest pane is early is provisional: still open, "today so far".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import polars as pl

from transforms.contracts import DEAD_LETTER_SCHEMA, conform
from warehouse.load import daily_rows, load_daily
from warehouse.schema import DAY_PANE_SCHEMA, RUN_COUNT_SCHEMA, STREAM_FILE_SCHEMA
from warehouse.writes import registered, transaction

TIMINGS = ("early", "on_time", "late", "unknown")

STREAM_COUNT_SCHEMA = {"category": pl.String, "reason": pl.String, "n": pl.Int64}
"""A stream counts file (`<landing>/counts/<bundle>.parquet`): how many posts per category
and reason."""


@dataclass(frozen=True)
class PaneMeta:
    """Which pane a file of daily aggregates is: its day, the stream run (id and start), the
    pane's index and timing (one of TIMINGS) and when it fired (time-zone aware)."""

    day: date
    run_id: str
    started_at: datetime
    pane_index: int
    timing: str
    fired_at: datetime

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.started_at, self.pane_index)


@dataclass(frozen=True)
class PaneLoad:
    """What `upsert_panes` did: days replaced (`loaded`, the days themselves), panes skipped
    (`stale`: older than the stored, or of a day another run holds), and the days whose
    offered pane was skipped because another run holds them (`kept_out`: day -> the run that
    holds it, day_holders)."""

    days: int
    stale: int
    loaded: frozenset[date] = frozenset()
    kept_out: dict[date, str] = field(default_factory=dict)


def upsert_panes(
    con: duckdb.DuckDBPyConnection, panes: Iterable[tuple[PaneMeta, pl.DataFrame]]
) -> PaneLoad:
    """Replace each offered day with its newest offered pane, unless the day was already
    loaded from a newer pane, or a file run loaded it (`load_daily` with no pane: the day
    is final); then the pane is skipped, and where the day is another run's (a file run's, or
    a later-started stream run's), named in `kept_out` with that run.

    Each frame holds that day's Daily aggregates (the contract). Records the pane in
    `day_panes`; `provisional` is true for an early pane. Every day and its pane are written in
    one transaction (`load_daily`): a call that raises (LoadError as `load_daily`) changes
    nothing.
    """
    newest: dict[date, tuple[PaneMeta, pl.DataFrame]] = {}
    offered = 0
    for meta, frame in panes:
        offered += 1
        if meta.timing not in TIMINGS:
            raise ValueError(f"pane timing must be one of {', '.join(TIMINGS)}, not {meta.timing}")
        if meta.day not in newest or meta.order >= newest[meta.day][0].order:
            newest[meta.day] = (meta, frame)
    stored = {
        day: (started, index)
        for day, started, index in con.execute(
            "SELECT day, started_at, pane_index FROM day_panes WHERE day IN "
            "(SELECT unnest(?::DATE[]))",
            [sorted(newest)],
        ).fetchall()
    }
    holders = day_holders(con, newest)
    chosen = [
        (meta, frame)
        for day, (meta, frame) in sorted(newest.items())
        if (day in stored and stored[day] <= meta.order) or day not in holders
    ]
    if chosen:
        load_daily(
            con,
            pl.concat([daily_rows(frame, days=[meta.day]) for meta, frame in chosen]),
            days=[meta.day for meta, _ in chosen],
            panes=pl.DataFrame([_pane_row(meta) for meta, _ in chosen], schema=DAY_PANE_SCHEMA),
        )
    loaded = frozenset(meta.day for meta, _ in chosen)
    kept_out = {
        day: holders[day]
        for day, (meta, _) in newest.items()
        if day not in loaded and holders[day] != meta.run_id
    }
    return PaneLoad(days=len(chosen), stale=offered - len(chosen), loaded=loaded, kept_out=kept_out)


def day_holders(con: duckdb.DuckDBPyConnection, days: Iterable[date]) -> dict[date, str]:
    """The run that holds each of `days` that holds rows or a pane: the stream run whose pane
    it was last loaded from (`day_panes`), else the file run whose rows it holds (a file run
    replaces a whole day: one run; the greatest run id, were there several)."""
    wanted = sorted(set(days))
    filed = con.execute(
        "SELECT day, max(run_id) FROM daily_aggregates WHERE day IN (SELECT unnest(?::DATE[])) "
        "GROUP BY day",
        [wanted],
    ).fetchall()
    return {**dict(filed), **stream_held_days(con, wanted)}


def stream_held_days(con: duckdb.DuckDBPyConnection, days: Iterable[date]) -> dict[date, str]:
    """Those of `days` a stream run holds (its pane was loaded last: `day_panes`), each with
    that run."""
    rows = con.execute(
        "SELECT day, run_id FROM day_panes WHERE day IN (SELECT unnest(?::DATE[]))",
        [sorted(set(days))],
    ).fetchall()
    return dict(rows)


def _pane_row(meta: PaneMeta) -> dict[str, object]:
    return {
        "day": meta.day,
        "run_id": meta.run_id,
        "started_at": meta.started_at,
        "pane_index": meta.pane_index,
        "timing": meta.timing,
        "fired_at": meta.fired_at,
        "provisional": meta.timing == "early",
    }


def loaded_stream_files(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> set[str]:
    """Those of `names` already loaded into the warehouse."""
    rows = con.execute(
        "SELECT name FROM stream_files WHERE name IN (SELECT unnest(?::VARCHAR[]))", [list(names)]
    ).fetchall()
    return {name for (name,) in rows}


def add_stream_accounting(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    loaded_at: datetime,
    counts: Sequence[tuple[str, pl.DataFrame]],
    dead_letters: Sequence[tuple[str, pl.DataFrame]],
    panes: Sequence[str] = (),
) -> pl.DataFrame:
    """Add a stream run's counts files (`category`, `reason`, `n`) to its `run_counts` and its
    dead-letter files to `dead_letters`, and note the names of the pane files `panes` loaded
    with them as loaded; return the run's counts so far (`category`, `day`, `held_by`,
    `reason`, `n`: `day` and `held_by` those of a `kept_out` row, null in the files' rows). Each
    name counts once ever: one given twice, or already loaded, is skipped, so a call done again
    adds nothing."""
    offered = {name for name, _ in [*counts, *dead_letters]} | set(panes)
    done = loaded_stream_files(con, list(offered))
    new_counts = [frame for name, frame in dict(counts).items() if name not in done]
    new_dead = [frame for name, frame in dict(dead_letters).items() if name not in done]
    names = sorted(offered - done)
    current = con.sql(
        "SELECT category, day, held_by, reason, n FROM run_counts WHERE run_id = ?",
        params=[run_id],
    ).pl()
    counted = {c: t for c, t in RUN_COUNT_SCHEMA.items() if c != "run_id"}
    totals = (
        pl.concat(
            [conform(current, counted, name="run_counts")]
            + [conform(f, STREAM_COUNT_SCHEMA, name="stream counts") for f in new_counts],
            how="diagonal",
        )
        .group_by("category", "day", "held_by", "reason")
        .agg(pl.col("n").sum())
        .sort("category", "day", "held_by", "reason", nulls_last=False)
    )
    rows = totals.with_columns(pl.lit(run_id).alias("run_id")).select(list(RUN_COUNT_SCHEMA))
    dead = pl.concat(
        [pl.DataFrame(schema=DEAD_LETTER_SCHEMA)]
        + [conform(f, DEAD_LETTER_SCHEMA, name="stream dead letters") for f in new_dead]
    ).with_columns(pl.lit(run_id).alias("run_id"))
    files = pl.DataFrame(
        {"name": names, "run_id": [run_id] * len(names), "loaded_at": [loaded_at] * len(names)},
        schema=STREAM_FILE_SCHEMA,
    )
    _insert_all(
        con,
        [("run_counts", rows), ("dead_letters", dead), ("stream_files", files)],
        before=("DELETE FROM run_counts WHERE run_id = ?", [run_id]),
    )
    return totals


def _insert_all(
    con: duckdb.DuckDBPyConnection,
    frames: Sequence[tuple[str, pl.DataFrame]],
    *,
    before: tuple[str, list] | None = None,
) -> None:
    """Run `before`, then insert each frame into its table by column name, in one transaction
    (a broken constraint is raised as LoadError, as every write's)."""
    tables = [table for table, _ in frames]
    with contextlib.ExitStack() as stack:
        views = [
            stack.enter_context(registered(con, frame, f"_incoming_{table}"))
            for table, frame in frames
        ]
        with transaction(con, ", ".join(tables)):
            if before is not None:
                con.execute(*before)
            for table, view in zip(tables, views, strict=True):
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}")
