"""`moodcast alerts score` given an alerts file that is not what `alerts replay --json` prints
(a JSON object, objects without the replay's fields), or truth periods that end before they
start, and `alerts replay --from` a date after the series: one `Error:` line naming the file,
where the first two raised a KeyError or TypeError (a traceback), the third scored the period
as never flagged and the last printed `0 alerts` (both exit 0)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from moodcast.cli import main

ALERT = {"unique_id": "a", "method": "early", "start": "2025-03-03", "end": "2025-03-17",
         "issued_on": "2025-03-03", "severity": "high"}  # fmt: skip


def _score(tmp_path, alerts, truth="unique_id,start,end\na,2025-03-02,2025-03-11\n"):
    alerts_path, truth_path = tmp_path / "alerts.json", tmp_path / "truth.csv"
    alerts_path.write_text(json.dumps(alerts))
    truth_path.write_text(truth)
    result = CliRunner().invoke(
        main, ["alerts", "score", "--alerts", str(alerts_path), "--truth", str(truth_path)]
    )
    assert result.exit_code == 4, result.output
    assert isinstance(result.exception, SystemExit)
    return alerts_path, truth_path, " ".join(result.output.split())


@pytest.mark.parametrize(
    "alerts, said",
    [
        (ALERT, "not a JSON list of objects; give the JSON list"),
        ([{"a": 1}], "alerts without end, issued_on, method, start, unique_id"),
        ([ALERT, {k: v for k, v in ALERT.items() if k != "method"}], "alerts without method"),
    ],
)
def test_score_refuses_alerts_that_replay_did_not_print(tmp_path, alerts, said):
    path, _, output = _score(tmp_path, alerts)
    assert f"Error: {path}: {said}" in output
    assert "alerts replay --json" in output


def test_score_refuses_a_truth_period_that_ends_before_it_starts(tmp_path):
    truth = "unique_id,start,end\na,2025-03-11,2025-03-02\n"
    _, path, output = _score(tmp_path, [ALERT], truth)
    assert (
        f"Error: {path}: 1 period ends before it starts (a from 2025-03-11 to 2025-03-02)" in output
    )


def test_replay_refuses_a_first_run_after_the_series_ends(tmp_path):
    """Regression: `--from` past the last period (a year typed wrong) replayed no run date and
    printed `0 alerts`, as if the methods had found nothing."""
    series = tmp_path / "series.csv"
    series.write_text(
        "unique_id,ds,y\n" + "".join(f"a,2025-01-{d:02d},{d % 7}\n" for d in range(1, 31))
    )
    result = CliRunner().invoke(
        main, ["alerts", "replay", "--series", str(series), "--from", "2035-01-01"]
    )
    assert result.exit_code == 4, result.output
    said = " ".join(result.output.split())
    assert f"Error: {series}: --from 2035-01-01 is after its last period (2025-01-30)" in said
