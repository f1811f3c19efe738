"""The bar of the end-to-end issue, on the default 200,000-post sample corpus."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from moodcast.config import load_settings
from moodcast.run import daily_run
from moodcast.sample import generate_sample

pytestmark = pytest.mark.slow


def _contains(unique_id: str, wave: dict) -> bool:
    """Whether the series holds the wave: its cell or a roll-up of it; a wave planted in
    region or language `all` (the seasonal cycle, the school bump) is in every cell."""
    marker, region, lang = unique_id.split("|")
    return (
        marker == wave["marker"]
        and (region in (wave["region"], "all") or wave["region"] == "all")
        and (lang in (wave["lang"], "all") or wave["lang"] == "all")
    )


def test_default_sample_waves_alert_in_the_right_place_and_quiet_series_stay_quiet(tmp_path):
    corpus = tmp_path / "sample"
    generate_sample(corpus)
    settings = load_settings(tmp_path / "data")
    summary = daily_run(
        [str(corpus / "posts.jsonl")], settings=settings, as_of=date(2026, 1, 31), beam_args=[]
    )
    assert summary.read == 200_000

    waves = pl.read_csv(corpus / "waves.csv", try_parse_dates=True)
    alerts = pl.read_csv(settings.exports_dir / "alerts.csv", try_parse_dates=True)
    steps = waves.filter((pl.col("shape") == "step") & (pl.col("factor") >= 2))
    assert steps["start"].min() == date(2025, 2, 3)  # 4 weeks after the data start
    for wave in steps.iter_rows(named=True):
        # the wave's own cell, or a roll-up of it: a cell whose days are partly below k is
        # published by weeks and alerted weekly (see docs/publishing.md)
        own = alerts.filter(
            pl.col("unique_id").map_elements(
                lambda u, w=wave: _contains(u, w), return_dtype=pl.Boolean
            )
        )
        starts = [abs((start - wave["start"]).days) for start in own["start"]]
        assert starts and min(starts) <= 3, (wave, own)
    for wave in waves.filter(pl.col("shape") == "gradual").iter_rows(named=True):
        # on the wave's own series, by day or by week (a week's alert ends on its Monday)
        own = alerts.filter(
            (pl.col("unique_id") == f"{wave['marker']}|{wave['region']}|{wave['lang']}")
            & (pl.col("start") <= wave["end"])
            & (pl.col("end") >= wave["start"] - timedelta(days=6))
        )
        assert own.height >= 1, wave

    forecast = pl.read_csv(settings.exports_dir / "forecasts.csv")["unique_id"].unique()
    quiet_ids = [
        u for u in forecast if not any(_contains(u, w) for w in waves.iter_rows(named=True))
    ]
    quiet = alerts.filter(pl.col("unique_id").is_in(quiet_ids))
    series_years = len(quiet_ids) * 365 / 365
    # issue 13's bar: at most one false period per series-year, day and week series together
    assert quiet.height <= series_years, quiet.group_by("unique_id").len()
    assert quiet.group_by("unique_id").len()["len"].max() <= 4  # no quiet series alerts all year
