"""The data contracts of DESIGN.md, defined once.

Every boundary validates against these: ingest produces Post rows and Daily
aggregates, the warehouse stores Daily aggregates, forecasting consumes Series
and produces Forecasts and Alerts. Column order here is the order on disk.
"""

from __future__ import annotations

import polars as pl

from transforms.errors import ContractError as ContractError

ALL = "all"
"""The roll-up value of `region` and `lang` (a sum over every region or language)."""

UNKNOWN_REGION = "unknown"
"""The region of a post that carries none."""

# --- Post (input) ---------------------------------------------------------------------------

POST_REQUIRED = ("id", "created_at", "text")
POST_OPTIONAL = ("author_id", "lang", "region", "platform", "is_repost", "parent_id")

RAW_POST_SCHEMA = {
    "id": pl.String,
    "created_at": pl.String,
    "text": pl.String,
    "author_id": pl.String,
    "lang": pl.String,
    "region": pl.String,
    "platform": pl.String,
    "is_repost": pl.Boolean,
    "parent_id": pl.String,
}
"""Posts as read from a file, before validation: every field a string except `is_repost`."""

MAX_TEXT_CHARS = 40_000
"""The default longest text: longer ones are dead-lettered as oversized. Reddit allows 40,000
characters in a submission's text; the setting `max_text_chars` changes it."""

# --- Dead letter ----------------------------------------------------------------------------

DEAD_LETTER_SCHEMA = {
    "source": pl.String,
    "line": pl.Int64,
    "reason": pl.String,
    "record_sha256": pl.String,
}
"""A record that could not be used: where it was (`line` is 1-based; the row number for
Parquet) and why, and a hash of its bytes. Never the payload."""

# --- Daily aggregate ------------------------------------------------------------------------

DAILY_KEYS = ("day", "region", "lang", "marker", "marker_version")

DAILY_COUNTS = ("n_posts", "n_scored", "n_marked", "n_authors", "n_marked_authors")
"""The counts of a Daily aggregate (see DAILY_SCHEMA), never negative."""

DAILY_SCHEMA = {
    "day": pl.Date,
    "region": pl.String,
    "lang": pl.String,
    "marker": pl.String,
    "marker_version": pl.String,
    **dict.fromkeys(DAILY_COUNTS, pl.Int64),
    "sample_rate": pl.Float64,
    "run_id": pl.String,
}
"""One row per local day × region × lang × marker, roll-ups (`all`) included.

`n_posts` counts the cell's posts in languages where the marker has a source; `n_scored` the
posts it was evaluated on (fewer when a model marker is sampled); `n_marked` the posts it
matched; `n_authors` and `n_marked_authors` the distinct pseudonymous authors behind the
scored and the matched posts (posts without an author count towards neither)."""

CLUSTER_SUMS = ("author_days_sq_sum", "marked_days_sq_sum", "marked_days_cross_sum")
"""A period cell's sums over its distinct authors `i` of `d_i²`, `f_i²` and `f_i·d_i`, where
`d_i` counts the author's days with a scored post in the cell and `f_i` those with a marked
one (`n_author_days` is the sum of `d_i`, `n_marked_author_days` of `f_i`): what the
author-day share's interval needs to treat authors, not their days, as independent
(transforms.prevalence.effective_trials)."""

POST_CLUSTER_SUMS = ("scored_posts_sq_sum", "marked_posts_sq_sum", "marked_posts_cross_sum")
"""A period cell's sums over its authors `i` of `s_i²`, `m_i²` and `m_i·s_i`, where `s_i`
counts the author's scored posts in the cell and `m_i` the marked ones, each post without an
author counted as an author of its own (`n_scored` is the sum of `s_i`, `n_marked` of `m_i`):
what the post share's interval needs to treat authors, not their posts, as independent
(transforms.prevalence.effective_posts), with POST_CLUSTERS."""

POST_CLUSTERS = "n_post_clusters"
"""A period cell's clusters of posts: its `n_authors` and its scored posts without an author,
each a cluster of its own (POST_CLUSTER_SUMS); the `n` of the post share's interval."""

PERIOD_KEYS = ("grain", "period_start", "region", "lang", "marker", "marker_version")

PERIOD_SCHEMA = {
    "grain": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    **{column: dtype for column, dtype in DAILY_SCHEMA.items() if column not in ("day", "run_id")},
    "n_author_days": pl.Int64,
    "n_marked_author_days": pl.Int64,
    **dict.fromkeys(CLUSTER_SUMS, pl.Int64),
    **dict.fromkeys(POST_CLUSTER_SUMS, pl.Int64),
    POST_CLUSTERS: pl.Int64,
    "run_id": pl.String,
}
"""A Daily aggregate over a longer period: `grain` is `iso_week` (Monday–Sunday), `epi_week`
(CDC epidemiological week, Sunday–Saturday), or eight whole weeks of either (`iso_8week`,
`epi_8week`: transforms.periods.EIGHT_WEEKS); `period_end` is the period's last day.
The counts are the period's own: `n_authors` and `n_marked_authors` are distinct authors over
its days (what k is checked on), never a sum of days. `n_author_days` and
`n_marked_author_days` count (author, day) pairs: their ratio is the period's share on an
average day, comparable with daily shares (a share of distinct authors over a week is higher,
since one marked day in seven marks an author); CLUSTER_SUMS give its interval, and
POST_CLUSTER_SUMS with POST_CLUSTERS the post share's."""

# --- Series, Forecast, Alert ----------------------------------------------------------------

SERIES_SCHEMA = {"unique_id": pl.String, "ds": pl.Date, "y": pl.Float64}

FORECAST_SCHEMA = {
    "unique_id": pl.String,
    "ds": pl.Date,
    "model": pl.String,
    "mean": pl.Float64,
    "lo_80": pl.Float64,
    "hi_80": pl.Float64,
    "lo_95": pl.Float64,
    "hi_95": pl.Float64,
    "run_id": pl.String,
}

BACKTEST_WINDOWS = ("7", "14", "21", "all")
"""The paper's training windows (days, or periods of an external series) and `all`, the bounded
full history."""

BACKTEST_SCHEMA = {
    "unique_id": pl.String,
    "model": pl.String,
    "window": pl.String,
    "mape": pl.Float64,
    "smape": pl.Float64,
    "mase": pl.Float64,
    "hit_rate_2": pl.Float64,
    "hit_rate_3": pl.Float64,
    "hit_rate_7": pl.Float64,
    "peak_precision_2": pl.Float64,
    "peak_precision_3": pl.Float64,
    "peak_precision_7": pl.Float64,
    "run_id": pl.String,
}
"""Rolling-origin backtest scores of one model on one series and training window (a number of
periods as text, or `all`). MAPE and sMAPE are percentages, MASE a ratio; hit rates and
precisions are shares in 0–1, null when the test span has no real (or no predicted) peak."""

MODEL_CHOICE_STATUSES = ("selected", "fallback", "default")

MODEL_CHOICE_SCHEMA = {
    "unique_id": pl.String,
    "model": pl.String,
    "status": pl.String,
    "reason": pl.String,
    "mase": pl.Float64,
    "run_id": pl.String,
}
"""The model whose forecast is published for a series: `selected` by the best backtest MASE,
`fallback` when that model failed, or `default` when the series was not backtested (`mase`
null). `reason` is one plain sentence."""

SEVERITIES = ("low", "medium", "high")

ALERT_SCHEMA = {
    "unique_id": pl.String,
    "marker": pl.String,
    "region": pl.String,
    "lang": pl.String,
    "start": pl.Date,
    "end": pl.Date,
    "peak": pl.Date,
    "peak_value": pl.Float64,
    "threshold": pl.Float64,
    "method": pl.String,
    "severity": pl.String,
    "reason": pl.String,
    "issued_on": pl.Date,
    "run_id": pl.String,
}
"""A period of high prevalence: `start`, `end`, `peak` are local days (the first day of their
period for a weekly series); `issued_on` is the date of the first run that raised the alert:
the last day of data that run had (a weekly series' latest week's last day), plus any
reporting delay, which can be after `start`; `reason` is one plain sentence about a
population statistic, never about a person."""


def series_id(marker: str, region: str, lang: str) -> str:
    """The Series `unique_id` of a marker in a region and language: `marker|region|lang`."""
    return f"{marker}|{region}|{lang}"


def split_series_id(unique_id: str) -> tuple[str, str, str]:
    """Inverse of `series_id`: `(marker, region, lang)`."""
    marker, region, lang = unique_id.split("|")
    return marker, region, lang


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType], *, name: str) -> pl.DataFrame:
    """Return `frame` with exactly the contract's columns, in order, cast to its types.

    Raises ContractError naming the missing columns, or the column that cannot be cast.
    Extra columns are dropped.
    """
    missing = [column for column in schema if column not in frame.columns]
    if missing:
        raise ContractError(f"{name}: missing column(s) {', '.join(missing)}")
    try:
        return frame.select(pl.col(column).cast(dtype) for column, dtype in schema.items())
    except pl.exceptions.PolarsError as exc:
        raise ContractError(f"{name}: {exc}") from exc


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame of a contract."""
    return pl.DataFrame(schema=schema)
