"""`moodcast alerts score` against no truth period: an empty truth file, one with a header and
no row is refused with exit 4, and a --from after every truth period warns. Before, the
first was a polars error and the others printed scores with `truth_periods 0` and every alert
false, exit 0, without a word: a result that looked real."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from moodcast.cli import main

ALERT = {"unique_id": "a", "method": "early", "start": "2025-03-03", "end": "2025-03-17",
         "issued_on": "2025-03-03", "severity": "high"}  # fmt: skip


def _score(tmp_path, truth: str, *more: str):
    alerts_path, truth_path = tmp_path / "alerts.json", tmp_path / "truth.csv"
    alerts_path.write_text(json.dumps([ALERT]))
    truth_path.write_text(truth)
    result = CliRunner().invoke(
        main, ["alerts", "score", "--alerts", str(alerts_path), "--truth", str(truth_path), *more]
    )
    return truth_path, result, " ".join(result.output.split())


@pytest.mark.parametrize(
    "truth, said",
    [
        ("unique_id,start,end\n", "no truth period (a header and no row): scored against none"),
        ("", "the file is empty; it needs the columns unique_id, start, end"),
    ],
)
def test_score_refuses_a_truth_file_without_periods(tmp_path, truth, said):
    path, result, output = _score(tmp_path, truth)
    assert result.exit_code == 4, result.output
    assert f"Error: {path}: {said}" in output


def test_score_warns_when_from_leaves_no_truth_period(tmp_path):
    """Scoring the alerts of a span without truth periods counts false alerts (a use the
    --from tests make), so it is not refused, but no longer silent."""
    truth = "unique_id,start,end\na,2025-03-02,2025-03-11\n"
    path, result, _ = _score(tmp_path, truth, "--from", "2025-03-03")
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert (
        f"{path}: no truth period starts on or after --from 2025-03-03 (the last starts "
        "2025-03-02): every alert scored counts false" in said
    )
