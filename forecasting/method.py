"""The one interface every alert method implements, and the period machinery they share.

An `AlertMethod` turns series into ALERT rows (`alerts`) and says which frequencies it can
run at (`check` raises FrequencyError with what to do otherwise). Most methods judge one
series at a time: a `SeriesMethod` only computes a `Detection`, period by period, reading
for period t nothing after t (every registered method is tested for it), and this module
turns detections into alert periods the same way for all of them:

1. `strong` periods separated by at most `max_gap` other periods form the core of a period;
2. the period extends forward over the following `above` periods (and, with
   `extend_back`, backward over preceding `above` periods while the value was rising);
3. periods within `max_gap` merge; a period with fewer than `min_strong` strong periods is
   dropped;
4. the peak is the period's strongest `rank`; severity is the method's own (by default from
   `peak_value / threshold − 1`: low below 0.5, medium from 0.5, high from 1.0).

Because a detection is causal, what a method would have said at an earlier cut-off is the
same machinery run on the detection's prefix: that is how `forecasting.replay` replays it.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from forecasting.frequency import DAY, Frequency, FrequencyError
from forecasting.wording import Basis, Subject, subject_of

SEVERITY_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class Detection:
    """A per-series method's decision, period by period (arrays as long as the series).

    `value` is the statistic compared (in the units of `y`, or the method's own), `threshold`
    the bar it had to pass, `strong` the periods that raise or keep an alert, `above` those
    that only extend one (None: same as `strong`), `rank` what picks the peak (None: `value`),
    `level` an integer severity per period, 0 low … 2 high (None: relative severity).
    """

    value: np.ndarray
    threshold: np.ndarray
    strong: np.ndarray
    above: np.ndarray | None = None
    rank: np.ndarray | None = None
    level: np.ndarray | None = None

    def head(self, n: int) -> Detection:
        """The detection as it stood after the first `n` periods."""
        cut = {k: None if v is None else v[:n] for k, v in self.__dict__.items()}
        return Detection(**cut)


@dataclass(frozen=True)
class Span:
    """One alert period of a series: first, last and peak period indices, and its severity."""

    first: int
    last: int
    peak: int
    severity: str


SEVERITY_MEDIUM_FROM, SEVERITY_HIGH_FROM = 0.5, 1.0
"""Excess of a peak over its threshold (`peak / threshold − 1`) from which it is medium, high."""


def relative_severity(peak_value: float, threshold: float) -> str:
    """`low`, `medium` (from SEVERITY_MEDIUM_FROM) or `high` (from SEVERITY_HIGH_FROM) by
    `peak_value / threshold − 1`."""
    if not np.isfinite(threshold) or threshold <= 0:
        return "high"
    excess = peak_value / threshold - 1
    if excess >= SEVERITY_HIGH_FROM:
        return "high"
    return "medium" if excess >= SEVERITY_MEDIUM_FROM else "low"


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True in `mask` as (first, last) indices."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def merge_periods(periods: list[tuple[int, int]], max_gap: int) -> list[tuple[int, int]]:
    """Merge sorted (first, last) periods separated by at most `max_gap` periods."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(periods):
        if merged and first - merged[-1][1] - 1 <= max_gap:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


def detection_periods(
    detection: Detection, *, min_strong: int, max_gap: int, extend_back: bool = False
) -> list[tuple[int, int]]:
    """Steps 1–3 of the module docstring: (first, last) indices of the alert periods."""
    strong = np.asarray(detection.strong, dtype=bool)
    above = strong if detection.above is None else np.asarray(detection.above, dtype=bool) | strong
    value = detection.value
    extended = []
    for first, last in merge_periods(runs(strong), max_gap):
        while extend_back and first > 0 and above[first - 1] and value[first - 1] < value[first]:
            first -= 1
        while last + 1 < len(strong) and above[last + 1]:
            last += 1
        extended.append((first, last))
    return [
        (first, last)
        for first, last in merge_periods(extended, max_gap)
        if strong[first : last + 1].sum() >= min_strong
    ]


@dataclass(frozen=True)
class AlertContext:
    """What a method may read besides the series: its frequency, the basis of `y` (for the
    wording), each series' forecast (FORECAST_SCHEMA, consecutive periods after its last) and
    in-sample fitted values (FITTED_SCHEMA), and each dimension's markers."""

    freq: Frequency = DAY
    basis: Basis = "authors"
    forecasts: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    fitted: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    dimensions: Mapping[str, Sequence[str]] = field(default_factory=dict)


class AlertMethod(ABC):
    """An alert method: a `name`, the `frequencies` it runs at, and `alerts`."""

    name: str = ""
    frequencies: tuple[str, ...] = ("day", "week", "epiweek")
    why_not: str = ""
    replayable: bool = False
    reads_fitted: bool = False
    """Whether `alerts` reads `context.fitted`: the models compute in-sample values only for
    a method that does."""

    def check(self, freq: Frequency) -> None:
        """Raise FrequencyError, saying why and what to do, when `freq` is not supported."""
        if freq.name not in self.frequencies:
            raise FrequencyError(
                f"alert method {self.name} cannot run on {freq.name} series: {self.why_not}"
            )

    @abstractmethod
    def alerts(self, frame: pl.DataFrame, context: AlertContext) -> list[dict]:
        """ALERT rows (no `run_id`, `issued_on`) for `frame`: regular series at
        `context.freq` (`unique_id`, `ds`, `y`; null `y` on suppressed or missing periods)."""


class SeriesMethod(AlertMethod):
    """A method that judges each series on its own, through a causal `Detection`."""

    replayable = True
    extend_back = False

    @abstractmethod
    def detect(self, y: np.ndarray, freq: Frequency, days: Sequence[dt.date]) -> Detection:
        """The detection of one series `y` (NaN where missing) whose periods start on `days`;
        period t reads `y[: t + 1]` and `days[: t + 1]` only."""

    @abstractmethod
    def shape(self, freq: Frequency) -> tuple[int, int]:
        """(min_strong, max_gap) in periods of `freq`."""

    @abstractmethod
    def reason(
        self, subject: Subject, freq: Frequency, days: list[dt.date], det: Detection, span: Span
    ) -> str:
        """One plain sentence about the population statistic of `span`."""

    def spans(self, detection: Detection, freq: Frequency) -> list[Span]:
        """The alert periods of a detection (steps 1–4 of the module docstring)."""
        min_strong, max_gap = self.shape(freq)
        out = []
        rank = detection.value if detection.rank is None else detection.rank
        for first, last in detection_periods(
            detection, min_strong=min_strong, max_gap=max_gap, extend_back=self.extend_back
        ):
            window = np.where(detection.strong[first : last + 1], rank[first : last + 1], -np.inf)
            window = np.where(np.isfinite(window), window, -np.inf)
            peak = first + int(np.argmax(window))
            if detection.level is not None:
                level = int(np.nanmax(detection.level[first : last + 1]))
                severity = SEVERITY_LEVELS[min(max(level, 0), 2)]
            else:
                severity = relative_severity(
                    float(detection.value[peak]), float(detection.threshold[peak])
                )
            out.append(Span(first, last, peak, severity))
        return out

    def alerts(self, frame: pl.DataFrame, context: AlertContext) -> list[dict]:
        rows = []
        for (uid,), part in frame.partition_by(
            "unique_id", as_dict=True, maintain_order=True
        ).items():
            days = part["ds"].to_list()
            y = part["y"].fill_null(np.nan).to_numpy().astype(float)
            detection = self.detect(y, context.freq, days)
            subject = subject_of(uid, context.basis)
            for span in self.spans(detection, context.freq):
                reason = self.reason(subject, context.freq, days, detection, span)
                rows.append(alert_row(subject, days, span, detection, self.name, reason))
        return rows


def alert_row(
    subject: Subject, days: list[dt.date], span: Span, det: Detection, method: str, reason: str
) -> dict:
    """One ALERT row (no `run_id`, `issued_on`) of `span`; `peak_value` is the detection's
    value at the peak and `threshold` its bar there."""
    return {
        "unique_id": subject.unique_id,
        "marker": subject.marker,
        "region": subject.region,
        "lang": subject.lang,
        "start": days[span.first],
        "end": days[span.last],
        "peak": days[span.peak],
        "peak_value": float(det.value[span.peak]),
        "threshold": float(det.threshold[span.peak]),
        "method": method,
        "severity": span.severity,
        "reason": reason,
    }
