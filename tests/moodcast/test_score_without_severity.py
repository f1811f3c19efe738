"""`moodcast alerts score` of alerts without a `severity` (alerts of another system, written
as replay's): scored, as before the check of the alerts' fields, which refused them for a
field that scoring never reads."""

from __future__ import annotations

import json

from click.testing import CliRunner

from moodcast.cli import main


def test_alerts_without_severity_are_scored(tmp_path):
    alerts, truth = tmp_path / "alerts.json", tmp_path / "truth.csv"
    alert = {"unique_id": "a", "method": "early", "start": "2025-03-03", "end": "2025-03-17",
             "issued_on": "2025-03-03"}  # fmt: skip
    alerts.write_text(json.dumps([alert]))
    truth.write_text("unique_id,start,end\na,2025-03-02,2025-03-11\n")
    result = CliRunner().invoke(
        main, ["alerts", "score", "--alerts", str(alerts), "--truth", str(truth), "--json"]
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["method"], row["truth_periods"], row["onsets_flagged"]) == ("early", 1, 1)
