"""A series CSV's `ds` (backtest, alerts replay) and a truth file's dates (alerts score) read as
written, never guessed: a day/month date such as 01/02/2025, a time of day, an impossible or
missing date is refused with exit 4 naming the file, the column and the value. Before, polars'
`try_parse_dates` read 01/02/2025 as 1 February, 20250102 as the 20,250,102nd day after 1970,
and dropped a time of day: silently wrong timelines."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from moodcast.cli import main


def _invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], obj={"beam_args": []})
    return result, " ".join(result.output.split())


def _series(tmp_path, first_ds: str):
    path = tmp_path / "series.csv"
    rows = [f"a,{first_ds},3"] + [f"a,2025-02-{d:02d},{d % 5}" for d in range(2, 28)]
    path.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("command", [("alerts", "replay"), ("backtest",)])
def test_a_day_month_date_is_refused_not_guessed(tmp_path, command):
    series = _series(tmp_path, "01/02/2025")
    result, said = _invoke(*command, "--series", series)
    assert result.exit_code == 4, result.output
    assert f"Error: {series}: ds '01/02/2025' in row 1 is not a date as YYYY-MM-DD" in said
    assert "(1 February or 2 January), and moodcast does not guess it" in said


@pytest.mark.parametrize(
    "ds, said",
    [
        ("2025-02-01T13:00:00", "'2025-02-01T13:00:00' in row 1 is not a date"),
        ("2025-02-30", "'2025-02-30' in row 1 is not a date"),
        ("", "row 1 has no ds"),
    ],
)
def test_a_time_of_day_an_impossible_or_missing_date_is_refused(tmp_path, ds, said):
    series = _series(tmp_path, ds)
    result, output = _invoke("alerts", "replay", "--series", series)
    assert result.exit_code == 4, result.output
    assert f"Error: {series}: " in output and said in output


@pytest.mark.parametrize("last_ds", ["20250227", "2025-02-27T00:00:00.000000"])
def test_a_basic_date_and_a_midnight_datetime_read_as_their_dates(tmp_path, last_ds):
    """Regression: a column of 20250227-style dates was read as integers, each day counted from
    1970 (year 57412). Replay's refusal of a --from past the series shows the last ds read."""
    series = tmp_path / "series.csv"
    rows = [f"a,202502{d:02d},{d % 5}" for d in range(1, 27)] + [f"a,{last_ds},1"]
    series.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    result, said = _invoke("alerts", "replay", "--series", series, "--from", "2025-03-05")
    assert result.exit_code == 4, result.output
    assert "--from 2025-03-05 is after its last period (2025-02-27)" in said


def test_score_refuses_truth_dates_in_day_month_order(tmp_path):
    alerts, truth = tmp_path / "alerts.json", tmp_path / "truth.csv"
    alerts.write_text("[]")
    truth.write_text("unique_id,start,end\na,03/02/2025,10/02/2025\n")
    result, said = _invoke("alerts", "score", "--alerts", alerts, "--truth", truth)
    assert result.exit_code == 4, result.output
    assert f"Error: {truth}: start '03/02/2025' in row 1 is not a date" in said
