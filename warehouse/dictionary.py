"""The data dictionary shipped with every export: what each column means, in which units.

Every exported column must have an entry in COLUMNS; `data_dictionary` raises KeyError for
one that does not, so a new column cannot ship undocumented.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from transforms.dp import Budget
from transforms.grain_protection import MAX_WITHHELD_EIGHT_WEEK_SHARE, MAX_WITHHELD_SHARE
from transforms.periods import EIGHT_WEEKS
from transforms.rollups import MAX_BOUNDED_SHARE

CSV_DECIMALS = 6
"""Decimal places of every float in a CSV export (Parquet keeps full double precision)."""

UNPROTECTED = (
    "**UNPROTECTED RELEASE: k = 1 publishes every cell, however small. For internal audits "
    "and tests only; never share these files.**"
)
"""The line a suppress-mode export at k = 1 opens with (the settings log it too)."""

_PREVALENCE = (
    "Share of the cell's distinct authors whose posts carry the marker "
    "(`n_marked_authors / n_authors`), a proportion from 0 to 1. The default prevalence: one "
    "prolific account cannot move it. In a row of a week or 8-week period (`grain`), the "
    "share on an average day of the period (`n_marked_author_days / n_author_days`), on the "
    "same scale as the days around it."
)
_POST_PREVALENCE = (
    "Share of scored posts that carry the marker (`n_marked / n_scored`), a proportion from 0 "
    "to 1; the reference paper's definition."
)

_POST_TRIALS = (
    "In a row of a day it is taken over `n_scored`, each post an independent trial. In a row "
    "of a week or 8-week period, over the effective number of its posts with authors as "
    "independent clusters (an author who writes many posts and is flagged in one is likely "
    "flagged in others; a post without an author counts as its own author): the share's "
    "variance as a ratio over authors, turned into trials as for `effective_trials`; over "
    "`n_scored` in rows of periods counted by a warehouse older than schema version 11, and "
    "with its posts without an author left out of the number of clusters in rows counted at "
    "version 11, until a run counts them again."
)

COLUMNS: dict[str, str] = {
    "day": "Local calendar day in {tz} (YYYY-MM-DD) that the posts were published on.",
    "region": "Region of the posts; `all` is the roll-up over every region, `unknown` posts "
    "that carried none.",
    "lang": "Language of the posts (ISO 639-1 code); `all` is the roll-up over every language.",
    "marker": "Emotion or mental-health marker (e.g. `sadness`), one concept across languages.",
    "marker_version": "Content hash of the marker definition (lexicons, models, thresholds) "
    "that produced the row and, where a model source on the configured sentence model (its "
    "zero-shot scoring, or a head trained on its embedding) decides the marker, of that "
    "model's weights and the threshold it decides at; it changes whenever "
    "the definition, or that model or threshold, does: two versions are two series.",
    "n_posts": "Posts in the cell, in languages for which the marker has a source; reposts "
    "excluded. Count.",
    "n_scored": "Posts the marker was evaluated on (fewer than `n_posts` when a model marker is "
    "sampled). Count.",
    "n_marked": "Scored posts that carry the marker. Count.",
    "n_authors": "Distinct pseudonymous authors of the scored posts. Count.",
    "n_marked_authors": "Distinct pseudonymous authors of the marked posts. Count.",
    "n_author_days": "Author-days of the scored posts: pairs of a distinct author and a day "
    "they posted on, over the row's period; equal to `n_authors` in a row of a day. What "
    "`prevalence` and `adjusted_prevalence` are taken over. Count.",
    "n_marked_author_days": "Author-days of the marked posts (a day on which an author's "
    "posts carry the marker); equal to `n_marked_authors` in a row of a day. Count.",
    "sample_rate": "Fraction of posts a sampled model marker was evaluated on, 0 to 1 "
    "(1 means every post).",
    "run_id": "Identifier of the moodcast run that produced the row.",
    "prevalence": _PREVALENCE,
    "prevalence_lo": "Lower bound of the 95% Wilson score interval of `prevalence` over "
    "`effective_trials` trials, 0 to 1.",
    "prevalence_hi": "Upper bound of the 95% Wilson score interval of `prevalence` over "
    "`effective_trials` trials, 0 to 1.",
    "effective_trials": "The trials the intervals of `prevalence` and `adjusted_prevalence` "
    "are taken over. In a row of a day, `n_authors`. In a row of a week or 8-week period, the "
    "effective sample size of its author-days with authors as independent clusters (an author "
    "who posts on several days of the period and is flagged on one is likely flagged on "
    "others): the share's variance as a ratio over authors, turned into trials (Kish), at most "
    "`n_author_days` and often below `n_authors` where a few authors post on many days; "
    "`n_authors` where the share is 0 or 1. `n_author_days` (days taken as independent, a "
    "narrower interval) in rows of periods counted by a warehouse older than schema version "
    "7, which kept no sums to measure it, until a run counts them again. Number, not always "
    "whole.",
    "post_prevalence": _POST_PREVALENCE,
    "post_prevalence_lo": "Lower bound of the 95% Wilson score interval of `post_prevalence`, "
    f"0 to 1. {_POST_TRIALS}",
    "post_prevalence_hi": "Upper bound of the 95% Wilson score interval of `post_prevalence`, "
    f"0 to 1. {_POST_TRIALS}",
    "adjusted_prevalence": "`prevalence` corrected for marker error: (prevalence - fpr) / "
    "(tpr - fpr), clipped to 0 to 1, with the marker's true- and false-positive rates in that "
    "language measured on labelled posts (adjusted classify-and-count; a `lang = all` row is "
    "the mean of its languages weighted by their `n_author_days`, where languages without "
    f"validated rates hold at most {MAX_BOUNDED_SHARE:.0%} of them their flagged share). The "
    "estimate of the share of authors in the state rather than the share flagged, over the "
    "same author-days as `prevalence` (in a row of a week or 8-week period, on an average "
    "day). Empty where `validation` is neither `validated` "
    "nor `validated in part`, and in a suppressed row.",
    "adjusted_prevalence_lo": "Lower bound of the 95% interval of `adjusted_prevalence`, 0 to "
    "1; it includes the uncertainty of the measured rates (delta method) and, in a row "
    "`validated in part`, its languages without validated rates at a true share of 0.",
    "adjusted_prevalence_hi": "Upper bound of the 95% interval of `adjusted_prevalence`, 0 to "
    "1; it includes the uncertainty of the measured rates (delta method) and, in a row "
    "`validated in part`, its languages without validated rates at a true share of 1.",
    "validation": "`validated` when the marker's error rates in this language were measured on "
    "enough labelled posts and it tells true cases apart well enough to correct for; "
    "otherwise `not validated: ` and the reason (no labelled data, too few labels, too weak, "
    "measured on another marker version). A not validated marker has no adjusted share. A "
    "`lang = all` row is `validated` when all its languages are; `validated in part: ` when "
    f"those that are not hold at most {MAX_BOUNDED_SHARE:.0%} of its author-days (their part "
    "bounded between 0 and 1, so the interval is wider by their share); else `not "
    "validated`; either of the last two names in brackets each language that is not "
    "validated, its reason and its share of the authors (of the author-days, in a row of a "
    "week or 8-week period). A suppressed language cell, validated or not, is named `suppressed` (one of "
    "another period than the row, `published by` its grain) and withholds the row's adjusted "
    "share (`not validated: some language of this roll-up is suppressed or published by "
    "another period, so it cannot be combined` where every language is validated). A "
    "`lang = all` row of a file with `grain` that has no language row of its own period (each "
    "of its languages published by another period, or withheld) is that same `not validated: "
    "some language of this roll-up is suppressed or published by another period, so it "
    "cannot be combined`, whatever its languages' rates.",
    "grain": "Period the row's counts cover: `day`, `iso_week` (Monday–Sunday), `epi_week` "
    "(CDC epidemiological week, Sunday–Saturday), or `iso_8week` / `epi_8week` (eight whole "
    "weeks of that kind, 56 days on a fixed grid). A week is published where some of its days "
    "are too small to publish but the week as a whole is not; an 8-week period where the "
    "series' weeks are too small too (see Privacy). In forecasts, the period each `ds` stands "
    "for: a series forecast by week (or 8-week period) has one row per period, `ds` its first "
    "day and the values the period's share of authors on an average day (the grain the "
    "latest run forecast the series at; empty when its periods do not start on the row's "
    "days: a forecast or alert of a run with another week grain). In "
    "alerts, the grain the series was alerted at: by week, `start`, "
    "`peak` and `end` are the first days of weeks and `peak_value` a week's share.",
    "period_start": "First local day in {tz} of the row's period (YYYY-MM-DD).",
    "period_end": "Last local day in {tz} of the row's period (YYYY-MM-DD), inclusive.",
    "status": "`published`, or `withheld`: the period is too small to publish even at its "
    "coarsest grain, "
    "or withholding it keeps another withheld cell from being derived (see Privacy). A withheld "
    "row has every count and prevalence empty; it is never a zero.",
    "same_as": "The series (`marker|region|lang`) that this one equals cell for cell (a roll-up "
    "with a single region or language); empty when the series is distinct. Forecasts and "
    "alerts are made once, for the distinct series.",
    "noise_sd": "DP mode: standard deviation of the Gaussian noise added to `n_authors` and "
    "`n_marked_authors` (a roll-up's is that of its sum). `n ± 1.96 × noise_sd` is a 95% "
    "interval for the true count.",
    "epsilon": "DP mode: ε of the (ε, δ) privacy budget spent per author per local day.",
    "delta": "DP mode: δ of the (ε, δ) privacy budget spent per author per local day.",
    "suppressed": "true when the cell is too small to publish (see Privacy); its counts and "
    "prevalences are then empty.",
    "provisional": "true when the row's period holds a day still open in the streaming job "
    "(today so far), which is not published until it has ended: the row is then a period in "
    "progress, withheld, or a day whose stream stopped before the day ended (its counts may "
    "still grow); false otherwise.",
    "unique_id": "Series identifier `marker|region|lang`.",
    "ds": "Forecast local day in {tz} (YYYY-MM-DD); for a forecast by week or 8-week period "
    "(`grain`), the period's first day.",
    "model": "Forecasting model that produced the row (e.g. `AutoETS`).",
    "mean": "Point forecast of the series' prevalence on `ds`, a proportion from 0 to 1.",
    "lo_80": "Lower bound of the 80% prediction interval, 0 to 1.",
    "hi_80": "Upper bound of the 80% prediction interval, 0 to 1.",
    "lo_95": "Lower bound of the 95% prediction interval, 0 to 1.",
    "hi_95": "Upper bound of the 95% prediction interval, 0 to 1.",
    "start": "First local day in {tz} of the high-prevalence period (YYYY-MM-DD); in a row "
    "alerted by week (`grain`), the first day of its first week.",
    "end": "Last local day in {tz} of the high-prevalence period (YYYY-MM-DD), inclusive; in a "
    "row alerted by week (`grain`), the first day of its last week, which the period runs "
    "through.",
    "peak": "Local day in {tz} on which the period peaks (YYYY-MM-DD); in a row alerted by "
    "week (`grain`), the first day of its peak week.",
    "peak_value": "Value of the alert method's statistic at the peak: a prevalence (0 to 1) "
    "for level rules, the method's own score otherwise (see `method`).",
    "threshold": "Value `peak_value` had to exceed for the alert, in the same units.",
    "method": "Alerting method that raised the alert.",
    "issued_on": "Date of the first run that raised the alert: the last day of data that run "
    "had (for a weekly series, the last day of its latest week). `start` can be earlier, since "
    "a period starts where the rise began.",
    "severity": "`low`, `medium` or `high`.",
    "reason": "One plain sentence explaining the alert; it describes a population statistic, "
    "never a person, and is not a diagnosis.",
}
"""Meaning and units of every exported column; `{tz}` is replaced by the time zone."""

FILES: dict[str, str] = {
    "timelines": "Prevalence of each marker per region and language (current marker "
    "versions), roll-ups included: per series and week, one row per day, or one row for the "
    "week (`grain`), or one `withheld` row; a series too small by week has one row (or one "
    "`withheld` row) per 8-week period instead.",
    "forecasts": "Forecasts of each series' prevalence from the latest run, per model, with "
    "80% and 95% prediction intervals, by day, by week or by 8-week period (`grain`).",
    "alerts": "Upcoming or current high-prevalence periods found by the latest run.",
}
"""What each exported file holds, by stem."""

DAY_ROWS = (
    "Prevalence of each marker per region and language (current marker versions), roll-ups "
    "included, one row per series and day: a day of a week (or 8-week period) published whole "
    "carries that period's counts (`grain`); a day too small to publish at every grain has "
    "`suppressed` true and its counts and prevalences empty, never zero."
)
"""What a timelines file of day rows holds (`suppressed` in place of `status`: the dashboard's
downloads, warehouse.bundles)."""

_TYPES = {
    pl.Date: "date",
    pl.String: "text",
    pl.Int64: "integer",
    pl.Float64: "decimal",
    pl.Boolean: "true/false",
}


def _type(dtype: pl.DataType) -> str:
    for known, name in _TYPES.items():
        if dtype == known:
            return name
    return str(dtype)


def data_dictionary(
    files: Mapping[str, pl.Schema],
    *,
    ext: str | Sequence[str],
    k: int,
    tz: str,
    week_grain: str = "iso_week",
    budget: Budget | None = None,
) -> str:
    """Markdown describing each exported file (name → schema) and each of its columns, in
    format `ext` (`csv` or `parquet`), or in each of several (one directory holding both). A
    file with a `suppressed` column is described as day rows (DAY_ROWS, and so is what
    suppression withholds), others as the export writes them (FILES, `withheld` rows).

    Deterministic: the same arguments always give the same text.
    """
    exts = [ext] if isinstance(ext, str) else list(ext)
    lines = ["# moodcast export: data dictionary"]
    if budget is None and k == 1:
        lines += ["", UNPROTECTED]
    lines += ["", "## Conventions", "", *_conventions(exts=exts, tz=tz), ""]
    if budget is not None:
        lines += _differential_privacy(budget)
    else:
        day_rows = any("suppressed" in schema for schema in files.values())
        lines += _suppression(k=k, week_grain=week_grain, day_rows=day_rows)
    for stem, schema in files.items():
        about = DAY_ROWS if "suppressed" in schema else FILES[stem]
        lines += ["", f"## {', '.join(f'{stem}.{e}' for e in exts)}", "", about, ""]
        lines += ["| column | type | meaning |", "| --- | --- | --- |"]
        for column, dtype in schema.items():
            meaning = COLUMNS[column].format(tz=tz).replace("|", "\\|")
            lines.append(f"| `{column}` | {_type(dtype)} | {meaning} |")
    return "\n".join(lines) + "\n"


def _conventions(*, exts: Sequence[str], tz: str) -> list[str]:
    """The dictionary's conventions: days, proportions, intervals, roll-ups, missing values
    (per format, where the files come in several)."""
    floats = {
        "csv": f"written with {CSV_DECIMALS} decimal places",
        "parquet": "stored at full double precision",
    }
    empties = {"csv": "an empty field", "parquet": "null"}
    if len(exts) == 1:
        floats, empty = floats[exts[0]], empties[exts[0]]
    else:
        floats = " and ".join(f"{floats[e]} in the .{e} files" for e in exts)
        empty = " and ".join(f"{empties[e]} in the .{e} files" for e in exts)
    return [
        f"- Days are local calendar days in the time zone `{tz}`, written YYYY-MM-DD.",
        "- Prevalences, forecasts, bounds, `peak_value` and `threshold` of level rules are "
        "proportions from 0 to 1 (0.05 means 5%).",
        "- Prevalence intervals are 95% Wilson score intervals; forecast intervals are 80% "
        "and 95% prediction intervals.",
        "- `prevalence` is the share of authors a marker flags on a day (in a row of a week "
        "or 8-week period, on an average day of it); `adjusted_prevalence` corrects "
        "it for the marker's measured errors and is given only where `validation` is "
        "`validated` or `validated in part`.",
        "- `region = all` and `lang = all` are roll-ups counted from distinct authors at "
        "ingest; they are not sums of the other rows.",
        f"- Decimal numbers are {floats}. A missing value is {empty}: not available, or "
        "suppressed.",
        "- Rows are sorted by their key columns; no author, post or text appears anywhere.",
    ]


def _suppression(*, k: int, week_grain: str, day_rows: bool = False) -> list[str]:
    """The privacy section of a suppressed export: k, coarser cells, complementary suppression;
    with `day_rows`, a withheld cell's days flagged `suppressed` (else a `withheld` row)."""
    withheld = "its days with `suppressed` true" if day_rows else "a `withheld` row"
    return [
        "## Privacy: small-cell suppression, coarser cells, complementary suppression",
        "",
        f"k = {k}. A cell is too small to publish when `0 < n_marked_authors < {k}` or "
        f"`n_authors < {k}`. Posts without an author id count towards neither. For each series "
        f"and week (`{week_grain}`) the timelines give its days when every day can be "
        "published, else the week's own cell (distinct authors over the week, counted at "
        f"ingest, never a sum of days) when it can, else {withheld}. Then, so that no "
        "roll-up minus its published children gives a withheld cell back, more cells are "
        "moved to weeks or withheld until no line (a roll-up and its children across regions "
        "or languages) has exactly one. A series withheld in more than "
        f"{MAX_WITHHELD_SHARE:.0%} of its weeks is given by 8-week periods instead "
        f"(`{EIGHT_WEEKS.get(week_grain, week_grain)}`: eight whole weeks, distinct authors "
        "counted at ingest), with the same rules, and withheld whole when more than "
        f"{MAX_WITHHELD_EIGHT_WEEK_SHARE:.0%} of those are withheld. "
        "Across releases: a week or 8-week period is published whole only once it has ended "
        "(a week in progress by its days, or withheld), and each period only at the grain an "
        "earlier release published it at (by day, or whole), else withheld, and once "
        "withheld after being published it stays withheld, so no two releases' rows give a "
        "withheld day back. "
        "Forecasts and alerts are computed on a series' days "
        f"when at most 2% of them cannot be published, else (`grain` "
        f"`{week_grain}` in the forecasts) on its weeks when at most 2% of them cannot, else "
        "(forecasts only) on its 8-week periods when at most 2% of them cannot, else "
        "not at all: never on a sample of days selected by their own values. A row whose "
        "period holds "
        "a day still open in a streaming job has `provisional` true.",
    ]


def _differential_privacy(budget: Budget) -> list[str]:
    """The privacy section of a DP export: its budget and what the noise means."""
    return [
        "## Privacy: differential privacy",
        "",
        f"The timelines are differentially private with (ε, δ) = ({budget.epsilon:g}, "
        f"{budget.delta:g}) per author per local day. Each author counts in one region × "
        "language cell a day; OpenDP's Gaussian mechanism adds noise (SD `noise_sd`) to "
        "every distinct-author count; roll-ups are sums of the noisy cells. Counts are "
        "real numbers, unbiased and never clamped (a tiny cell can be negative); nothing "
        "is suppressed. Prevalence intervals include the noise. Forecasts and alerts are "
        "computed on these noisy series.",
    ]
