"""What the chart tests draw: a series' shown days (`observed_days`) and alerts over them
(`early_alerts`)."""

from datetime import date, timedelta

import polars as pl


def observed_days(first: date, days: int) -> pl.DataFrame:
    """A series' days as the Timelines and Forecasts charts take them: `days` days from
    `first`, each by day, at a prevalence of 0.1 (0.09 to 0.11), none suppressed."""
    return pl.DataFrame(
        {
            "day": [first + timedelta(days=i) for i in range(days)],
            "prevalence": 0.1,
            "prevalence_lo": 0.09,
            "prevalence_hi": 0.11,
            "smoothed_7d": 0.1,
            "grain": "day",
            "suppressed": False,
        }
    )


def early_alerts(rows: list[tuple], columns: tuple[str, ...]) -> pl.DataFrame:
    """Alerts of the `early` method at severity `high`, one a tuple of `rows`, which holds the
    values of `columns` (`start`, `end` and `grain` among them)."""
    return pl.DataFrame(rows, schema=list(columns), orient="row").with_columns(
        pl.lit("high").alias("severity"),
        pl.lit("early").alias("method"),
        pl.lit("The level rose above its bar.").alias("reason"),
    )
