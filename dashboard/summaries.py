"""Pure summaries the pages show: what is rising fastest, which alerts are open.

Polars in, polars out; no Streamlit, no warehouse. They work on published rows only, so a
suppressed day is a missing value here too and never enters a mean (`why_not_forecast` reads
what forecasting was given, whose cells below k are missing too).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import polars as pl

from forecasting.alerts import DEFAULT_RULE, TrailingP90Rule
from forecasting.early import DAILY as EARLY_DAILY
from forecasting.early import WEEKLY as EARLY_WEEKLY
from forecasting.early import EarlyRule
from forecasting.method import SEVERITY_HIGH_FROM, SEVERITY_MEDIUM_FROM
from transforms.periods import PERIOD_DAYS
from transforms.privacy import DEFAULT_K
from transforms.series import left_out_reason

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}

MIN_PUBLISHED_DAYS = 7
"""A week's mean needs every one of its days published: a withheld day had 1–10 matching
authors (0 is published), so a mean over the published days of a week that holds withheld ones
would leave out low days and read high."""

FLAGGED_SHARE = (
    "the share flagged, not adjusted for marker error (Timelines shows the adjusted share where "
    "the marker is validated)"
)
"""What forecasts, alerts and the Overview's rising series are computed on: the share of authors
a marker flags (`prevalence`), never `adjusted_prevalence` (docs/prevalence.md, Known limits).
Timelines shows the same series adjusted by default, so the other pages say which they show."""

STALE_AFTER_DAYS = 2
"""A daily run keeps the newest day with data within this many days of today (a day's posts
come in until its end, and the run that loads them goes the morning after)."""


def staleness(
    last_day: date | None, *, today: date, as_of: date | None = None, ran_on: date | None = None
) -> str | None:
    """A warning when the newest day with data is more than STALE_AFTER_DAYS before `today`
    (the data are older than a daily schedule leaves them), else None. When the latest run
    (`as_of`, started on the local day `ran_on`) was told to run as of an earlier day than it
    ran (`--as-of`, as `moodcast demo` runs) and as of that old a date, the runs did what they
    were told: the warning says so instead of pointing at the schedule. A run without
    `--as-of` is as of the day it ran, so a schedule that stopped days ago is still named."""
    if last_day is None or (today - last_day).days <= STALE_AFTER_DAYS:
        return None
    told_past = as_of is not None and ran_on is not None and as_of < ran_on
    if told_past and (today - as_of).days > STALE_AFTER_DAYS:
        return (
            f"The latest run was as of {as_of:%-d %B %Y} (its --as-of), "
            f"{(today - as_of).days:,} days before today, and its data end on "
            f"{last_day:%-d %B %Y}: everything below describes those dates, not today."
        )
    return (
        f"These data end on {last_day:%-d %B %Y}, {(today - last_day).days:,} days before today: "
        f"a daily run would have loaded data up to {today - timedelta(days=1):%-d %B %Y}. "
        "Everything below describes the data's own dates, not today; check that the scheduled "
        "run is working (Data health)."
    )


RARE_WITHHELD_SHARE = 0.5
"""A series with more than this share of its days withheld is not charted (mostly gaps)."""


def too_rare(observed: pl.DataFrame, *, k: int, adjusted: bool = False) -> str | None:
    """Why one series' timeline (`day`, `prevalence`, `prevalence_hi`, `suppressed`; the period
    shown) is not worth a chart, in words, or None when it is: more than RARE_WITHHELD_SHARE
    of its days withheld (a chart of gaps and grey ticks), or a share of 0 on every published
    day (a flat line; the message gives the typical upper end of its 95% interval instead).
    With `adjusted`, `prevalence` is the share adjusted for marker error (`adjusted_view`),
    which is 0 where posts matched but no more than the marker's false positives explain: the
    message then says so, from `n_marked_authors`, rather than that nothing matched."""
    days = observed.height
    withheld = int(observed.get_column("suppressed").sum())
    if days == 0:
        return None
    if withheld / days > RARE_WITHHELD_SHARE:
        return (
            f"Too rare to chart at this grain: {withheld:,} of {days:,} days are withheld (their "
            f"weeks, or 8-week periods, have fewer than {k} authors, or 1–{k - 1} matching "
            "authors), so a chart "
            "would be mostly gaps. A roll-up (region or language `all`) or a longer period may "
            "have enough authors."
        )
    shown = observed.filter(~pl.col("suppressed"))
    if shown.get_column("prevalence").max() != 0:
        return None
    typical = shown.get_column("prevalence_hi").median()
    if adjusted and shown.get_column("n_marked_authors").max() > 0:
        return (
            f"Adjusted for marker error, the share is 0 on each of the {shown.height:,} "
            "published days: the marker flagged some authors, but no more than its measured "
            "false-positive rate explains. The adjusted share's 95% interval reaches "
            f"{typical:.1%} on a typical day, so the share is very likely below that. Turn off "
            "“Adjusted for marker error” to chart the share flagged."
        )
    return (
        f"No author's posts matched this marker on any of the {shown.height:,} published "
        f"days: the share is 0 on each, and its 95% interval reaches {typical:.1%} on a "
        "typical day, so the share is very likely below that. Nothing to chart."
    )


def rising(published: pl.DataFrame, *, last_day: date, window_days: int = 7) -> pl.DataFrame:
    """Series ranked by how much their mean prevalence rose: the last `window_days` days up to
    `last_day` against the `window_days` before. Columns `marker`, `region`, `lang`,
    `previous`, `latest` (means, 0–1) and `change` (latest − previous, in proportion points);
    only series with MIN_PUBLISHED_DAYS published days in both windows (all of them: a window
    that holds a withheld day is left out); largest rise first. Days
    shown by their 8-week period (`grain`) do not count: a week-on-week change cannot be read
    off a value that covers eight weeks."""
    start = last_day - timedelta(days=2 * window_days - 1)
    boundary = last_day - timedelta(days=window_days - 1)
    week = pl.when(pl.col("day") >= boundary).then(pl.lit("latest")).otherwise(pl.lit("previous"))
    if "grain" in published.columns:
        published = published.filter(~pl.col("grain").str.ends_with("_8week"))
    means = (
        published.filter(pl.col("day").is_between(start, last_day), ~pl.col("suppressed"))
        .group_by("marker", "region", "lang", week.alias("week"))
        .agg(mean=pl.col("prevalence").mean(), days=pl.len())
        .filter(pl.col("days") >= MIN_PUBLISHED_DAYS)
        .pivot("week", index=["marker", "region", "lang"], values="mean")
    )
    for column in ("previous", "latest"):
        if column not in means.columns:
            means = means.with_columns(pl.lit(None, dtype=pl.Float64).alias(column))
    return (
        means.drop_nulls(["previous", "latest"])
        .with_columns(change=pl.col("latest") - pl.col("previous"))
        .select("marker", "region", "lang", "previous", "latest", "change")
        .sort("change", "marker", "region", "lang", descending=[True, False, False, False])
    )


def by_severity(alerts: pl.DataFrame) -> pl.DataFrame:
    """Alerts most severe first, then latest start first."""
    return alerts.sort(
        pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int8),
        pl.col("start"),
        descending=[False, True],
    )


def last_day(alerts: pl.DataFrame) -> pl.Expr:
    """Each alert's last day. An alert by week or 8-week period (`grain`,
    transforms.periods.PERIOD_DAYS) has `end` on its last period's first day, so it lasts
    through that period's last day; an alert by day, or without a `grain` column or value,
    ends on `end`."""
    days = pl.lit(1)
    if "grain" in alerts.columns:
        days = pl.col("grain").replace_strict(PERIOD_DAYS, default=1, return_dtype=pl.Int64)
    return pl.col("end") + pl.duration(days=days - 1)


def period_text(alerts: pl.DataFrame) -> pl.Expr:
    """Each alert's days as the Alerts and Overview tables show them, `start – last day`
    (last_day): '2025-05-19 – 2025-06-08' for an alert by week whose `end` is 2025-06-02."""
    return pl.format("{} – {}", "start", last_day(alerts))


def open_alerts(alerts: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """Alerts whose last day (last_day) is on or after `as_of`, most severe then latest
    first."""
    return by_severity(alerts.filter(last_day(alerts) >= as_of))


def nothing_to_chart(observed: pl.DataFrame, forecast: pl.DataFrame, *, k: int) -> str | None:
    """Why a series' Forecasts chart is not drawn, in too_rare's words (as Timelines says it):
    its history `observed` is not worth a chart and its `forecast` (one model's rows, or none)
    has no 95% upper bound above 0, so the chart would be a flat line on one tick at 0; None
    where it is drawn."""
    reason = too_rare(observed, k=k)
    if reason is None or (forecast.get_column("hi_95").fill_null(0) > 0).any():
        return None
    return reason


def finished_ago(finished: datetime, *, now: datetime) -> str:
    """How long before `now` a run `finished`, as the Overview's freshness shows it: 'less
    than a minute ago', '25 min ago' under an hour, else whole hours ('3 h ago')."""
    minutes = int((now - finished).total_seconds() // 60)
    if minutes < 1:
        return "less than a minute ago"
    if minutes < 60:
        return f"{minutes} min ago"
    return f"{minutes // 60:,} h ago"


def no_open_alert(as_of: date | None, last_day: date | None) -> str:
    """The Overview's sentence when no alert period is open on `as_of` (the date of the latest
    good run: its --as-of, else the day it ran; else `last_day`, the data's last day), naming
    the data's last day where that is another; with neither (no run has loaded data), that no
    alert can be open yet."""
    if as_of is None:
        return "No alert period: no run has loaded data yet."
    if last_day is None or last_day == as_of:
        return f"No alert period is open on {as_of:%-d %B %Y}, the last day of the data."
    return (
        f"No alert period is open on {as_of:%-d %B %Y}, the date of the latest run; its data "
        f"end on {last_day:%-d %B %Y}."
    )


def no_series(tz: str) -> str:
    """What Timelines and Forecasts say where the published data hold no series: no day in
    them has ended (`tz`, the analysis time zone), or no run has loaded any."""
    return (
        "No series to show yet: the published data hold no day that has ended. A day's posts "
        f"are counted as runs load them and shown once the day is over ({tz}); Data health "
        "lists what each run loaded."
    )


def most_severe(alerts: pl.DataFrame) -> tuple[str, str, str] | None:
    """`(marker, region, lang)` of the most severe, most recent alert; None without alerts."""
    if alerts.is_empty():
        return None
    return by_severity(alerts).select("marker", "region", "lang").row(0)


def _rolls_up(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether cells `a` and `b` (region, lang) are one the other's roll-up, or the same."""
    return all(x == y or "all" in (x, y) for x, y in zip(a, b, strict=True))


def waves(alerts: pl.DataFrame) -> pl.DataFrame:
    """One row per wave: alerts of one marker whose periods (`start` to last_day) overlap and
    whose cells are one another's roll-ups (us-ca · en, all · en, all · all) are one wave, shown
    by its most severe alert (then its finest cell, then its earliest start). Adds `wave` (0, 1,
    … in that row's order, most severe first), `rollups` (how many alerts were folded into the
    row) and `also_in` (their `region · lang`, in words)."""
    if alerts.is_empty():
        return alerts.with_columns(
            wave=pl.lit(None, pl.Int64), rollups=pl.lit(0), also_in=pl.lit("")
        )
    ranked = alerts.with_columns(
        _all=pl.sum_horizontal(pl.col("region", "lang") == "all").cast(pl.Int8),
        _rank=pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int8),
    ).sort("_rank", "_all", "start", "marker", "region", "lang")
    rows = ranked.select("marker", "region", "lang", "start", last_day(ranked)).rows()
    head = list(range(len(rows)))
    for i, (marker, region, lang, start, end) in enumerate(rows):
        for j in range(i):
            m, r, la, s, e = rows[j]
            if m == marker and s <= end and start <= e and _rolls_up((r, la), (region, lang)):
                head[i] = head[j]
                break
    folded = ranked.with_columns(_head=pl.Series(head)).with_columns(
        _cell=pl.format("{} · {}", "region", "lang")
    )
    others = (
        folded.filter(pl.int_range(pl.len()) != pl.col("_head"))
        .group_by("_head")
        .agg(rollups=pl.len(), also_in=pl.col("_cell").str.join("; "))
    )
    return (
        folded.with_row_index("_i")
        .filter(pl.col("_i") == pl.col("_head"))
        .join(others, left_on="_i", right_on="_head", how="left")
        .with_columns(
            wave=pl.int_range(pl.len()),
            rollups=pl.col("rollups").fill_null(0).cast(pl.Int32),
            also_in=pl.col("also_in").fill_null(""),
        )
        .drop("_i", "_head", "_cell", "_all", "_rank")
    )


def alert_subjects(alerts: pl.DataFrame) -> pl.DataFrame:
    """`alerts` with `subject` (what the alert is about, in words) and `series` (the Timelines
    link of a marker's series; null for a dimension or a data event, which have no single
    timeline)."""
    links = [
        None if ":" in m else "timelines?" + urlencode({"marker": m, "region": r, "lang": lang})
        for m, r, lang in alerts.select("marker", "region", "lang").iter_rows()
    ]
    marker = pl.col("marker")
    subject = (
        pl.when(pl.col("method") == "data_event")
        .then(pl.lit("data event: post volume changed sharply"))
        .when(marker.str.starts_with("dimension:"))
        .then(
            pl.format("dimension {} (its markers together)", marker.str.strip_prefix("dimension:"))
        )
        .otherwise(marker)
    )
    return alerts.with_columns(subject=subject, series=pl.Series(links, dtype=pl.String))


def today_so_far(open_days: pl.DataFrame, *, tz: str) -> str | None:
    """The "today so far" notice for days still open in the streaming job (`day`, `pane_at`
    from warehouse.queries.provisional_days), or None when every day shown is final."""
    if open_days.is_empty():
        return None
    day, pane_at = open_days.sort("day").row(-1)
    local = pane_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    more = f" (and {open_days.height - 1} earlier open day(s))" if open_days.height > 1 else ""
    return (
        f"Today so far: {day} is still open{more}. Its numbers are provisional, as of the "
        f"streaming pane of {local} ({tz}), and are not shown until the day has ended: a day "
        "is published once its last pane is in."
    )


def how_alerts_work(
    daily: EarlyRule = EARLY_DAILY,
    weekly: EarlyRule = EARLY_WEEKLY,
    trailing: TrailingP90Rule = DEFAULT_RULE,
) -> str:
    """The "how alerts work" text of the Alerts page (Markdown): the default method `early`
    (forecasting.early, its `daily` and `weekly` rules), the other methods in a sentence, and
    the severity cut-offs (forecasting.method.relative_severity)."""
    medium, high = SEVERITY_MEDIUM_FROM, SEVERITY_HIGH_FROM
    return (
        f"**The default rule (`early`).** At each day (each week of a weekly series), a "
        f"series' level, its share of authors over the last {daily.window} days (the week's), "
        f"is compared with a bar: its usual level, the median of its levels over the "
        f"{daily.baseline} days ({weekly.baseline} weeks) that end {daily.guard} days "
        f"({weekly.guard} weeks) before (with {daily.seasonal_years} years of daily history, "
        f"of the same time of year in those years), plus {daily.k:g} ({weekly.k:g}) standard "
        f"deviations of those levels. A period opens when the level is at least "
        f"{daily.margin:.0%} ({weekly.margin:.0%}) above the bar, or when, on {daily.confirm} "
        f"days ({weekly.confirm} week) in a row, the level rose, stood above its usual level "
        "and a straight line through its recent levels was forecast above the bar within "
        f"{daily.horizon} days ({weekly.horizon} weeks) with a probability of at least "
        f"{daily.probability:.0%} ({weekly.probability:.0%}); it closes once the level is back "
        "below the bar. In a series' first weeks, a wider bar from every level so far takes "
        "over.\n\n"
        "**Severity** compares the period's peak with the threshold (the bar):\n\n"
        f"- **low**: the peak is less than {medium:.0%} above the threshold;\n"
        f"- **medium**: {medium:.0%} to {high:.0%} above it;\n"
        f"- **high**: {high:.0%} above it or more (at least {1 + high:g}× the threshold).\n\n"
        "Other methods (`alert_methods` in config.toml), such as the trailing rule "
        f"(`{trailing.method}`: the {trailing.window}-day share above its "
        f"{trailing.percentile:g}th percentile over the past year), open periods by their own "
        "rule, stated in each alert's reason; most grade them with the same cut-offs (MEM "
        "grades by its intensity levels). Alerts whose method ends in `_forecast` are projected "
        "over the forecast horizon from the published forecast. "
        "Every alert is a statistical signal in a "
        "population, never a diagnosis of anyone; a cell too small to publish is never shown "
        "by day, only within its week or 8-week period where that has enough authors."
    )


def why_not_forecast(
    series: pl.DataFrame,
    *,
    unique_id: str,
    grain: str | None,
    same_as: str | None = None,
    last_day: date | None,
    k: int = DEFAULT_K,
    week_grain: str = "iso_week",
) -> str:
    """Why a series has no published forecast, from what a run gives forecasting for it
    (warehouse.queries.forecast_basis): its Series at `grain` (`day` or `week_grain`), `grain`
    None when its cells fall below k at both grains, `same_as` the series it duplicates. The
    reason forecasting.series.prepare_series gives under the default settings at that grain
    (a day series padded up to `last_day`, the last day that has ended, where the run's day
    series end), or a plain sentence when it would have forecast the series (a model that
    failed, or settings that differ)."""
    from forecasting.frequency import DAY, EIGHT_EPIWEEK, EIGHT_WEEK, EPIWEEK, WEEK
    from forecasting.series import prepare_series

    if same_as is not None:
        return (
            f"Not forecast under this name: it is the same series as {same_as} (its data hold "
            "one region or one language), whose forecast is published."
        )
    if grain is None:
        return f"Not forecast: {left_out_reason(k=k, week_grain=week_grain)}"
    freq = {"day": DAY, "iso_week": WEEK, "epi_week": EPIWEEK, "iso_8week": EIGHT_WEEK}.get(
        grain, EIGHT_EPIWEEK
    )
    series = series.select("unique_id", "ds", "y")
    if last_day is not None and grain == "day":
        series = pl.concat(
            [series, pl.DataFrame({"unique_id": [unique_id], "ds": [last_day], "y": [None]})],
            how="vertical_relaxed",
        ).unique("ds", keep="first", maintain_order=True)
    skipped = prepare_series(series, freq=freq).skipped
    if skipped.is_empty():
        return "No forecast was published for this series in the latest run (see Data health)."
    return f"Not forecast: {skipped.get_column('reason')[0]}"


def forecast_grain(grain: str | None) -> str:
    """How a series' forecast steps, for the Forecasts page: `by day`, or by week (`grain`
    `iso_week` or `epi_week`) or 8-week period (`iso_8week`, `epi_8week`), each point dated on
    the period's first day."""
    if grain in (None, "day"):
        return "by day"
    week = "ISO week" if grain.startswith("iso") else "CDC epi-week"
    if grain.endswith("_8week"):
        return (
            f"by 8-week period (eight {week}s; each point on the period's first day: the "
            "period's share of authors on an average day)"
        )
    return (
        f"by {week} (each point on the week's first day: the week's share of authors on an "
        "average day)"
    )
