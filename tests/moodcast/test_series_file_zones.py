"""A series or truth CSV's datetime column with a UTC offset at midnight, as pandas and polars
write a zoned column (`2025-02-27 00:00:00+00:00`), is read as the date written; a zoned time of
day is still refused. Before, any offset was refused as a time of day, where the reader it
replaced had read them (review90)."""

from __future__ import annotations

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
