"""Series and truth CSVs as pandas, polars and Python's csv module write them (review90): a
datetime column at midnight with a UTC offset (`2025-02-27 00:00:00+00:00`, a zoned column) is
read as the date written, a zoned time of day still refused; a blank cell, quoted (`""`, as
csv.QUOTE_ALL writes an empty one) or of spaces, is an empty cell: a missing period's `y`, a
truth period without a `peak`. Before, any offset was refused as a time of day (the reader
series_files replaced had read them), a blank `y` was refused as 'not a number' by a message
saying to leave the cell empty, and a blank `peak` as 'row 1 has no peak' though it is optional."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from moodcast.cli import main


def _invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], obj={"beam_args": []})
    return result, " ".join(result.output.split())


def _replay_last_period(tmp_path, last_row: str):
    """Replay's refusal of a --from past the series, which names the last `ds` read."""
    series = tmp_path / "series.csv"
    rows = [f"a,2025-02-{d:02d},{d % 5}" for d in range(1, 27)] + [last_row]
    series.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    return _invoke("alerts", "replay", "--series", series, "--from", "2025-03-05")


@pytest.mark.parametrize(
    "ds",
    [
        "2025-02-27 00:00:00+00:00",
        "2025-02-27T00:00:00.000000+0000",
        "2025-02-27T00:00:00Z",
        "2025-02-27T00:00:00+01:00",
    ],
)
def test_a_zoned_midnight_reads_as_the_date_written(tmp_path, ds):
    result, said = _replay_last_period(tmp_path, f"a,{ds},1")
    assert result.exit_code == 4, result.output
    assert "--from 2025-03-05 is after its last period (2025-02-27)" in said


def test_a_zoned_time_of_day_is_still_refused(tmp_path):
    result, said = _replay_last_period(tmp_path, "a,2025-02-27T13:00:00+00:00,1")
    assert result.exit_code == 4, result.output
    assert "ds '2025-02-27T13:00:00+00:00' in row 27 is not a date" in said


@pytest.mark.parametrize("y", ['""', "  "])
def test_a_blank_y_is_a_missing_period(tmp_path, y):
    result, said = _replay_last_period(tmp_path, f"a,2025-02-27,{y}")
    assert result.exit_code == 4, result.output
    assert "--from 2025-03-05 is after its last period (2025-02-27)" in said


def test_a_quoted_empty_peak_is_a_period_without_a_peak(tmp_path):
    alerts, truth = tmp_path / "alerts.json", tmp_path / "truth.csv"
    alert = {"unique_id": "a", "method": "early", "start": "2025-03-03", "end": "2025-03-17",
             "issued_on": "2025-03-03", "severity": "high"}  # fmt: skip
    alerts.write_text(json.dumps([alert]))
    truth.write_text('"unique_id","start","end","peak"\n"a","2025-03-02","2025-03-11",""\n')
    result, _ = _invoke("alerts", "score", "--alerts", alerts, "--truth", truth, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["truth_periods"] == 1
