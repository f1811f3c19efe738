"""A series CSV with its header and no row (an analyst's export of an empty query), given to
`moodcast alerts replay` and `moodcast backtest`: one `Error:` line naming the file, never a
traceback."""

from __future__ import annotations

from click.testing import CliRunner

from moodcast.cli import main


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], obj={"beam_args": []})


def test_replay_of_a_header_only_series_names_the_file(tmp_path):
    """Regression: replay raised polars' OutOfBoundsError (`index 0 is out of bounds`) from its
    weekday check, a traceback with exit 1."""
    series = tmp_path / "series.csv"
    series.write_text("unique_id,ds,y\n")
    result = _invoke("alerts", "replay", "--series", series)
    assert result.exit_code == 4, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"{series}: it has the columns unique_id, ds, y but no row" in result.output


def test_backtest_of_a_header_only_series_names_the_file(tmp_path):
    """Regression: backtest said no series has the periods the protocol needs, as for a short
    series, where the file holds none."""
    series = tmp_path / "series.csv"
    series.write_text("unique_id,ds,y\n")
    result = _invoke("backtest", "--series", series)
    assert result.exit_code == 4, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"{series}: it has the columns unique_id, ds, y but no row" in result.output
