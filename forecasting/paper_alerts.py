"""`paper_peaks` (Tommasel et al. 2021) as an alert method, per dimension × region × language.

Each marker's share is smoothed over one week (7 days; a weekly series is one week a period
already) and differentiated, the gradients are averaged over the dimension's markers, and the
peaks whose prominence is above the 80th percentile are kept (`forecasting.peaks`). The
period is the stretch of rising average around the peak; `peak_value` is the peak's
prominence and `threshold` the 80th-percentile prominence, both in share per period.
Dimension alerts use `unique_id` `dimension:<name>|<region>|<lang>` and `marker`
`dimension:<name>` (a colon cannot occur in a marker name). The prominence bar reads the
whole history, so the method is retrospective: it cannot be replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from forecasting.method import (
    AlertContext,
    AlertMethod,
    Detection,
    Span,
    alert_row,
    merge_periods,
    relative_severity,
)
from forecasting.peaks import dimension_gradient, peak_prominences
from forecasting.wording import Subject, day_name, period_span, share_phrase
from transforms.contracts import split_series_id


@dataclass(frozen=True)
class PaperPeaks(AlertMethod):
    """The paper's rule; `window_days` of smoothing, `percentile` of prominence."""

    window_days: int = 7
    percentile: float = 80.0
    name = "paper_peaks"

    def alerts(self, frame: pl.DataFrame, context: AlertContext) -> list[dict]:
        if not context.dimensions or frame.height == 0:
            return []
        freq = context.freq
        days = pl.date_range(frame["ds"].min(), frame["ds"].max(), freq.interval, eager=True)
        days = days.to_list()
        index = {day: i for i, day in enumerate(days)}
        timelines: dict[tuple[str, str, str], np.ndarray] = {}
        for (uid,), part in frame.partition_by("unique_id", as_dict=True).items():
            y = np.full(len(days), np.nan)
            y[[index[d] for d in part["ds"].to_list()]] = part["y"].fill_null(np.nan).to_numpy()
            timelines[split_series_id(uid)] = y
        cells = sorted({(region, lang) for _, region, lang in timelines})
        rows = []
        for dimension, markers in sorted(context.dimensions.items()):
            for region, lang in cells:
                here = [
                    timelines[(m, region, lang)] for m in markers if (m, region, lang) in timelines
                ]
                if here:
                    subject = Subject(
                        f"dimension:{dimension}|{region}|{lang}",
                        f"dimension:{dimension}",
                        region,
                        lang,
                        context.basis,
                    )
                    rows.extend(self._dimension(subject, days, np.vstack(here), markers, context))
        return rows

    def _dimension(self, subject, days, timelines, markers: Sequence[str], context) -> list[dict]:
        freq = context.freq
        window = freq.periods(self.window_days)
        gradient = dimension_gradient(timelines, window=window)
        peaks, prominences, bar = peak_prominences(gradient, percentile=self.percentile)
        spans = []
        for peak, prominence in zip(peaks.tolist(), prominences.tolist(), strict=True):
            lo = hi = peak
            while lo > 0 and np.isfinite(gradient[lo - 1]) and gradient[lo - 1] > 0:
                lo -= 1
            while hi + 1 < len(days) and np.isfinite(gradient[hi + 1]) and gradient[hi + 1] > 0:
                hi += 1
            spans.append((lo, hi, peak, prominence))
        rows = []
        for lo, hi in merge_periods([(lo, hi) for lo, hi, _, _ in spans], freq.periods(2)):
            peak, prominence = max(
                ((p, q) for a, b, p, q in spans if lo <= a and b <= hi), key=lambda pq: pq[1]
            )
            value = np.full(len(days), np.nan)
            value[peak] = prominence
            det = Detection(value=value, threshold=np.full(len(days), bar), strong=value > 0)
            names = ", ".join(m.replace("_", " ") for m in markers)
            label = f"the markers of '{subject.marker.removeprefix('dimension:')}' ({names})"
            smoothing = f"{self.window_days}-day average" if window > 1 else "weekly"
            reason = (
                f"The {smoothing} {share_phrase(subject, label=label)} rose by "
                f"{float(gradient[peak]) * 100:.2f} percentage points a {freq.unit} (averaged "
                f"over those markers) {'on' if not freq.weekly else 'in the week starting'} "
                f"{day_name(days[peak])}, one of the sharpest rises of this series (in the top "
                f"{100 - self.percentile:g}% by prominence), {period_span(freq, days[lo], days[hi])}."
            )
            span = Span(lo, hi, peak, relative_severity(float(prominence), float(bar)))
            rows.append(alert_row(subject, days, span, det, self.name, reason))
        return rows
