"""`moodcast alerts replay|score`: prospective replay of alert methods on any long series, and
scores of the replayed alerts against a truth file of high periods."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import polars as pl

from forecasting.frequency import Frequency, FrequencyError, detect_frequency, frequency_of
from forecasting.replay import (
    REPLAY_SCHEMA,
    ReplayError,
    Truth,
    issued_period,
    replay,
    score,
)
from moodcast.series_files import read_series_csv, series_dates
from transforms.errors import InputError

log = logging.getLogger(__name__)


class AlertReplayError(InputError):
    """The replay or score input is unusable; the message says what to fix."""


TRUTH_DATES = ("start", "end", "peak")
"""The date columns of a truth file; `peak` is optional."""

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def series_frequency(frame: pl.DataFrame, code: str | None) -> Frequency:
    """The frequency named by `code` (`D`, `W`) checked against the data, or the data's own
    when None. Raises AlertReplayError when they disagree, or when nearly every `ds` falls on
    one weekday but some do not (weekly data with dates off its grid)."""
    _check_weekday_slips(frame)
    try:
        if code is None:
            return detect_frequency(frame["ds"])
        return frequency_of(frame["ds"], code)
    except FrequencyError as exc:
        raise AlertReplayError(str(exc)) from exc


def _check_weekday_slips(frame: pl.DataFrame) -> None:
    days = frame.select(pl.col("ds").unique())
    weekday = days["ds"].dt.weekday()
    top, n = weekday.value_counts(sort=True).row(0)
    if days.height >= 10 and days.height > n >= 0.9 * days.height:
        slip = frame.filter(pl.col("ds").dt.weekday() != top).row(0, named=True)
        raise AlertReplayError(
            f"{n} of the {days.height} dates are {WEEKDAYS[top - 1]}s, but "
            f"{slip['unique_id']!r} has ds {slip['ds']} (a {WEEKDAYS[slip['ds'].weekday()]}): "
            f"weekly data gives the first day of each week; fix the dates off that weekday"
        )


def replay_file(
    path: Path,
    *,
    freq_code: str | None,
    methods: tuple[str, ...],
    first_run: dt.date | None,
    reporting_delay: int,
) -> tuple[pl.DataFrame, Frequency]:
    """Replay `methods` on the long CSV at `path`; return REPLAY_SCHEMA rows and the
    frequency used. Logs a warning naming the series on which a method never had a bar (too
    short or too sparse for it), and those zero in most periods (where a single case makes an
    alert). Raises AlertReplayError with what to fix."""
    frame = read_series_csv(path)
    if frame.filter(pl.struct("unique_id", "ds").is_duplicated()).height:
        raise AlertReplayError(f"{path}: a (unique_id, ds) pair repeats; give one y per period")
    freq = series_frequency(frame, freq_code)
    if first_run is not None and first_run > (last := frame["ds"].max()):
        raise AlertReplayError(
            f"{path}: --from {first_run} is after its last period ({last}), so no run date is "
            "replayed; give a date within the series"
        )
    unjudged: dict[str, list[str]] = {}
    try:
        rows = replay(
            frame,
            freq=freq,
            methods=methods,
            first_run=first_run,
            reporting_delay=reporting_delay,
            on_unjudged=lambda method, uid: unjudged.setdefault(method, []).append(uid),
        )
    except (ReplayError, ValueError) as exc:
        raise AlertReplayError(f"{path}: {exc}") from exc
    for method, uids in unjudged.items():
        log.warning(
            "%s never had a bar on %d series (too short or too sparse for it, so no alert "
            "says nothing), e.g. %s; give more %ss of data, or fewer missing ones",
            method,
            len(uids),
            ", ".join(repr(u) for u in uids[:3]),
            freq.unit,
        )
    _warn_mostly_zero(frame)
    return rows, freq


def _warn_mostly_zero(frame: pl.DataFrame) -> None:
    zeros = (
        frame.filter(pl.col("y").is_not_null())
        .group_by("unique_id")
        .agg((pl.col("y") == 0).mean().alias("zero"))
        .filter(pl.col("zero") > 0.5)
        .sort("unique_id")
    )
    if zeros.height:
        log.warning(
            "%d series are zero in more than half their periods, e.g. %s: there a single case "
            "passes any method's bar, so expect alerts on noise; alert on counts of a larger "
            "population or a longer period",
            zeros.height,
            ", ".join(repr(u) for u in zeros["unique_id"].head(3)),
        )


SCORED_FIELDS = ("unique_id", "method", "start", "end", "issued_on")
"""The fields of a replayed alert that scoring reads (not its severity)."""


def read_alerts_json(path: Path) -> pl.DataFrame:
    """The JSON list `moodcast alerts replay --json` printed, as REPLAY_SCHEMA rows. Raises
    AlertReplayError for a file that is not JSON, not a list of objects, or holds an alert
    without a value of each SCORED_FIELDS field (a severity may be missing)."""
    printed = "give the JSON list that `moodcast alerts replay --json` prints"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AlertReplayError(f"{path}: not JSON ({exc}); {printed}") from exc
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise AlertReplayError(f"{path}: not a JSON list of objects; {printed}")
    if missing := sorted({k for row in rows for k in SCORED_FIELDS if row.get(k) is None}):
        raise AlertReplayError(f"{path}: alerts without {', '.join(missing)}; {printed}")
    try:
        frame = pl.DataFrame(rows, schema={k: pl.String for k in REPLAY_SCHEMA}, orient="row")
        dates = [pl.col(c).str.to_date() for c in ("start", "end", "issued_on")]
        return frame.with_columns(dates).cast(REPLAY_SCHEMA)
    except (OSError, ValueError, TypeError, pl.exceptions.PolarsError) as exc:
        raise AlertReplayError(
            f"{path}: not the JSON list that `moodcast alerts replay --json` prints ({exc})"
        ) from exc


def read_truth_periods(path: Path) -> pl.DataFrame:
    """Truth high periods from the CSV at `path` (`unique_id`, `start`, `end`, optional
    `peak`; dates read as a series' `ds`, moodcast.series_files.series_dates, an empty `peak`
    allowed). Raises AlertReplayError for a file without those columns, or with no period
    (scored, every alert would count false), SeriesFileError for a value that is no such date,
    AlertReplayError for a period that ends before it starts (which no alert could flag)."""
    needs = "needs the columns unique_id, start, end (dates), optionally peak"
    try:
        periods = pl.read_csv(
            path, schema_overrides={c: pl.String for c in ("unique_id", *TRUTH_DATES)}
        )
    except pl.exceptions.NoDataError as exc:
        raise AlertReplayError(f"{path}: the file is empty; it {needs}") from exc
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise AlertReplayError(f"{path}: {needs} ({exc})") from exc
    if missing := [c for c in ("unique_id", "start", "end") if c not in periods.columns]:
        raise AlertReplayError(f"{path}: {needs}; missing {', '.join(missing)}")
    if periods.is_empty():
        raise AlertReplayError(
            f"{path}: no truth period (a header and no row): scored against none, every alert "
            "would count false; give one row per high period (unique_id, start, end)"
        )
    dates = [c for c in TRUTH_DATES if c in periods.columns]
    periods = series_dates(
        periods.select("unique_id", *dates), dates, path=path, optional=("peak",)
    )
    if (reversed_ := periods.filter(pl.col("end") < pl.col("start"))).height:
        uid, start, end = reversed_.select("unique_id", "start", "end").row(0)
        raise AlertReplayError(
            f"{path}: {reversed_.height} period{'s' * (reversed_.height > 1)} "
            f"end{'s' * (reversed_.height == 1)} before it starts ({uid} from {start} to {end}"
            f"{', …' if reversed_.height > 1 else ''}); write each period as start, end"
        )
    return periods


def read_truth(
    periods: pl.DataFrame, alerts: pl.DataFrame, series_path: Path | None, first_run: dt.date | None
) -> Truth:
    """The truth `periods` from `first_run` on, and each series' span of data: from
    `series_path` when given, else from the earliest to the latest date of its truth periods
    and alerts."""
    if first_run is not None:
        periods = periods.filter(pl.col("start") >= first_run)
    if series_path is not None:
        dates = read_series_csv(series_path).select("unique_id", "ds")
    else:
        dates = pl.concat(
            [
                periods.select("unique_id", pl.col("start").alias("ds")),
                periods.select("unique_id", pl.col("end").alias("ds")),
                alerts.select("unique_id", pl.col("start").alias("ds")),
                alerts.select("unique_id", pl.col("end").alias("ds")),
            ]
        )
    if first_run is not None:
        dates = dates.filter(pl.col("ds") >= first_run)
    spans = dates.group_by("unique_id").agg(
        ((pl.col("ds").max() - pl.col("ds").min()).dt.total_days() + 1).alias("days")
    )
    return Truth(periods=periods, span_days=dict(spans.iter_rows()))


def _unpadded(ids: pl.Series) -> pl.Series:
    """`ids` without the leading zeros of a number (`007` is `7`, `0` stays `0`)."""
    return ids.str.replace(r"^0+(\d)", "$1")


def _warn_unmatched(
    alerts: pl.DataFrame,
    truth: Truth,
    truth_path: Path,
    series_path: Path | None,
) -> None:
    """Log a warning naming the series ids of the truth periods scored (`truth.periods`) that
    match no series of `series_path` where given, or, without it, no alert's id where alerts
    were raised: every such id where none matches, else those an alert's id writes with other
    leading zeros (`8` for `008`; a truth series no alert was raised on is no mistake). Ids are
    compared as text (`007` and `7` differ); such periods count as missed."""
    ids = set(truth.periods["unique_id"].to_list())
    if series_path is not None:
        unmatched = ids - set(truth.span_days)
        where = f"match no series of {series_path}"
    elif not alerts.is_empty():
        known = set(alerts["unique_id"].to_list())
        unmatched = ids - known
        if ids & known:
            loose = pl.Series(sorted(unmatched), dtype=pl.String)
            alerted = _unpadded(pl.Series(sorted(known), dtype=pl.String))
            unmatched = set(loose.filter(_unpadded(loose).is_in(alerted)))
        where = "match no series id of any alert"
    else:
        return
    if unmatched:
        shown = ", ".join(repr(i) for i in sorted(unmatched)[:5])
        log.warning(
            "%s: %d series id(s) of its truth periods %s (%s%s): their periods count as missed; "
            "ids are compared as text, so '007' and '7' differ",
            truth_path,
            len(unmatched),
            where,
            shown,
            ", …" if len(unmatched) > 5 else "",
        )


def score_files(
    alerts_path: Path,
    truth_path: Path,
    *,
    series_path: Path | None,
    first_run: dt.date | None,
    early_window: int,
) -> pl.DataFrame:
    """Score the replayed alerts at `alerts_path` against the truth at `truth_path`, from
    `first_run` on: the truth periods starting on or after it, and the alerts raised by the
    runs `moodcast alerts replay --from first_run` makes (the period holding `issued_on`
    starts on or after it). Raises AlertReplayError (or SeriesFileError, an InputError too)
    for an input it cannot score; logs a warning where no truth period starts on or after
    `first_run`, so every alert counts false, and where truth ids match no series
    (_warn_unmatched)."""
    alerts = read_alerts_json(alerts_path)
    periods = read_truth_periods(truth_path)
    freq = detect_frequency(pl.concat([periods["start"], alerts["start"]]))
    if first_run is not None:
        alerts = alerts.filter(issued_period(freq) >= first_run)
    truth = read_truth(periods, alerts, series_path, first_run)
    _warn_unmatched(alerts, truth, truth_path, series_path)
    if truth.periods.is_empty():
        log.warning(
            "%s: no truth period starts on or after --from %s (the last starts %s): every alert "
            "scored counts false; give an earlier --from to score how many onsets were flagged",
            truth_path,
            first_run,
            periods["start"].max(),
        )
    try:
        return score(alerts, truth, freq=freq, early_window=early_window)
    except ReplayError as exc:
        raise AlertReplayError(str(exc)) from exc
