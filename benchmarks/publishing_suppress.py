"""What benchmarks/publishing.py measures on a suppress-mode release: bias, holes, forecasts,
alerts, disclosure.

Pure functions over the frames a finished run's warehouse returns (warehouse.queries); they
read counts only. The peer is the old rule: a day below k is a hole.
"""

from __future__ import annotations

import polars as pl

from benchmarks.quarters import outside, quarter_intervals, relative_error
from transforms.contracts import ALL
from transforms.periods import period_start
from transforms.privacy import is_suppressed, lonely_cells, suppress
from transforms.publish import published_days
from transforms.releases import Release
from transforms.series import derived_series, same_series

K = 11


def bias_and_holes(daily: pl.DataFrame, weeks: pl.DataFrame) -> pl.DataFrame:
    """Per marker (top level): prevalence, days withheld (ours, peer), the worst quarter's
    relative error of the published mean (ours, peer) against the all-days truth, and
    `quarters_ok`: the share of its quarters (benchmarks.quarters.quarter_intervals) whose
    published mean is within 5 % of the truth or inside the 95 % interval of the mean."""
    top = (pl.col("region") == ALL) & (pl.col("lang") == ALL)
    ours = published_days(daily, weeks, Release(k=K, week_grain="iso_week")).filter(top)
    peer = suppress(daily.filter(top), k=K).with_columns(
        (pl.col("n_marked_authors") / pl.col("n_authors")).alias("peer")
    )
    truth = daily.filter(top).with_columns(
        (pl.col("n_marked_authors") / pl.col("n_authors")).alias("truth")
    )
    frame = (
        truth.select("marker", "day", "truth")
        .join(
            ours.select("marker", "day", pl.col("prevalence").alias("ours")),
            on=["marker", "day"],
        )
        .join(peer.select("marker", "day", "peer"), on=["marker", "day"])
        .with_columns(pl.col("day").dt.truncate("1q").alias("quarter"))
    )
    quarters = (
        frame.group_by("marker", "quarter")
        .agg(
            pl.col("truth", "ours", "peer").mean(),
            pl.len(),
        )
        .filter(pl.col("len") >= 60)
    )
    grains = (
        ours.filter(~pl.col("suppressed"))
        .group_by("marker")
        .agg(pl.col("grain").mode().first().alias("grain"))
    )
    return (
        frame.group_by("marker")
        .agg(
            pl.col("truth").mean().alias("prevalence"),
            pl.col("ours").is_null().mean().alias("withheld_ours"),
            pl.col("peer").is_null().mean().alias("withheld_peer"),
        )
        .join(
            quarters.group_by("marker").agg(
                relative_error("ours").max().alias("worst_quarter_ours"),
                relative_error("peer").max().alias("worst_quarter_peer"),
            ),
            on="marker",
            how="left",
        )
        .join(
            quarter_intervals(daily, weeks, k=K)
            .group_by("marker")
            .agg((~outside()).mean().alias("quarters_ok")),
            on="marker",
            how="left",
        )
        .join(grains, on="marker", how="left")
        .sort("prevalence", descending=True)
    )


def forecast_coverage(
    daily: pl.DataFrame, weeks: pl.DataFrame, forecasts: pl.DataFrame
) -> dict[str, object]:
    """Of the distinct top-level series: how many, how many forecast, at which grain
    (transforms.series.derived_series), and which were left out."""
    distinct = same_series(daily).filter(
        pl.col("same_as").is_null() & pl.col("unique_id").str.ends_with(f"|{ALL}|{ALL}")
    )
    forecast = distinct.join(forecasts.select("unique_id").unique(), on="unique_id", how="semi")
    _, grains = derived_series(daily, weeks, k=K, week_grain="iso_week")
    grains = grains.join(forecast, on="unique_id", how="semi")
    return {
        "distinct": distinct.height,
        "forecast": forecast.height,
        "by_day": grains.filter(pl.col("grain") == "day").height,
        "by_week": grains.filter(pl.col("grain") == "iso_week").height,
        "by_8week": grains.filter(pl.col("grain") == "iso_8week").height,
        "left_out": sorted(
            distinct.join(forecast, on="unique_id", how="anti")["unique_id"]
            .str.split("|")
            .list.first()
        ),
    }


def repeated_alerts(daily: pl.DataFrame, alerts: pl.DataFrame) -> tuple[int, int, int]:
    """(alert rows, rows on a series that duplicates another (`same_as` set), pairs of rows of
    one series and method whose periods overlap: the same wave told twice)."""
    waves = alerts.filter(pl.col("method") != "data_event")
    duplicated = same_series(daily).filter(pl.col("same_as").is_not_null())
    on_copies = waves.join(duplicated, on="unique_id", how="semi").height
    pairs = (
        waves.with_row_index("i")
        .join(waves.with_row_index("j"), on=["unique_id", "method"])
        .filter(
            (pl.col("i") < pl.col("j"))
            & (pl.col("start") <= pl.col("end_right"))
            & (pl.col("start_right") <= pl.col("end"))
        )
    )
    return waves.height, on_copies, pairs.height


def disclosure(daily: pl.DataFrame, weeks: pl.DataFrame) -> tuple[int, int, int]:
    """(lonely withheld cells in our release, in the peer's, withheld series-weeks in ours).
    Ours is audited at three levels, per line of one marker and period: a series' days are
    unknown in a week where any of them is not published by itself, its week total where any
    day of it is withheld or published only as its 8-week period, its 8-week total where any
    day of it is withheld; a line with exactly one unknown cell gives that cell back."""
    ours = published_days(daily, weeks, Release(k=K, week_grain="iso_week")).with_columns(
        pl.col("day").dt.truncate("1w").alias("week"),
        period_start(pl.col("day"), "iso_8week").alias("eight"),
    )
    series = ("marker", "region", "lang")
    by_week = ours.group_by(*series, "week").agg(
        pl.col("suppressed").any().alias("withheld"),
        (pl.col("grain") != "day").any().alias("coarse"),
        (pl.col("suppressed") | (pl.col("grain") == "iso_8week")).any().alias("unknown"),
    )
    by_eight = ours.group_by(*series, "eight").agg(pl.col("suppressed").any().alias("unknown"))
    lonely = sum(
        lonely_cells(by_week, flag=flag, keys=("marker", "week")).height
        for flag in ("coarse", "unknown")
    )
    lonely += lonely_cells(by_eight, flag="unknown", keys=("marker", "eight")).height
    peer = daily.with_columns(is_suppressed(k=K).alias("withheld"))
    peer_lonely = lonely_cells(peer, flag="withheld", keys=("marker", "day")).height
    return lonely, peer_lonely, int(by_week["withheld"].sum())
