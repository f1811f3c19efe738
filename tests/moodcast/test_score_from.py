"""`moodcast alerts score --from DATE` scores the alerts of the runs that `moodcast alerts
replay --from DATE` makes, also when DATE is not the first day of a period."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
from click.testing import CliRunner

from moodcast.cli import main
from tests.forecasting.weekly import weekly_frame, weekly_seasons


def _invoke(args):
    result = CliRunner().invoke(main, args, obj={"beam_args": []}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _score(tmp_path, alerts, truth, first_run):
    (tmp_path / "alerts.json").write_text(json.dumps(alerts))
    pl.DataFrame(truth).write_csv(tmp_path / "truth.csv")
    rows = _invoke(
        ["alerts", "score", "--alerts", str(tmp_path / "alerts.json"), "--truth",
         str(tmp_path / "truth.csv"), "--from", first_run, "--json"]
    )  # fmt: skip
    return {row["method"]: row for row in rows}


def test_score_from_a_tuesday_counts_the_alerts_replay_from_it_issues(tmp_path):
    y, days, _ = weekly_seasons(np.random.default_rng(5))
    series = tmp_path / "ili.csv"
    weekly_frame({"north": y, "south": y * 1.1}, days).write_csv(series)
    replay = ["alerts", "replay", "--series", str(series), "--freq", "W", "--methods",
              "cdc_baseline", "--json"]  # fmt: skip
    everything = _invoke(replay)
    week = next(a for a in everything if a["issued_on"] > days[100].isoformat())
    tuesday = (dt.date.fromisoformat(week["issued_on"]) - dt.timedelta(days=5)).isoformat()
    issued = _invoke([*replay, "--from", tuesday])
    assert week not in issued and issued
    truth = tmp_path / "truth.csv"
    pl.DataFrame({"unique_id": ["north"], "start": [days[0]], "end": [days[8]]}).write_csv(truth)
    (tmp_path / "everything.json").write_text(json.dumps(everything))
    scored = _invoke(
        ["alerts", "score", "--alerts", str(tmp_path / "everything.json"), "--truth", str(truth),
         "--series", str(series), "--from", tuesday, "--json"]
    )  # fmt: skip
    assert [row["alerts"] for row in scored] == [len(issued)]


def test_an_alert_of_the_week_before_a_tuesday_is_left_out_however_it_is_dated(tmp_path):
    truth = [
        {"unique_id": "a", "start": "2026-11-23", "end": "2026-11-30"},
        {"unique_id": "a", "start": "2027-01-04", "end": "2027-01-11"},
    ]
    alert = {"unique_id": "a", "method": "early", "severity": "high"}
    dated = {
        "last day": ("2026-11-29", "2027-01-10"),
        "first day": ("2026-11-23", "2027-01-04"),
    }
    for before, after in dated.values():
        alerts = [
            {**alert, "start": "2026-11-23", "end": "2026-11-30", "issued_on": before},
            {**alert, "start": "2027-01-04", "end": "2027-01-11", "issued_on": after},
        ]
        early = _score(tmp_path, alerts, truth, "2026-11-24")["early"]
        assert (early["truth_periods"], early["alerts"], early["precision"]) == (1, 1, 1.0)
        assert (early["onsets_flagged"], early["median_lead"]) == (1.0, 0.0)
