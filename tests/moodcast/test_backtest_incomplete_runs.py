"""`moodcast backtest --warehouse` reads a warehouse whose runs published as stream sessions
that ended `incomplete` (they published every pane they loaded) as loaded."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

import warehouse
from moodcast.cli import main
from warehouse import forecast_queries


@pytest.mark.slow
def test_a_warehouse_loaded_by_incomplete_sessions_only_is_backtested(published_run, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(published_run[0], data_dir)
    with warehouse.writing(data_dir) as con:
        con.execute("UPDATE runs SET status = 'incomplete'")
    args = ["backtest", "--warehouse", "--data-dir", str(data_dir), "--history", "28"]
    args += ["--test-periods", "14", "--refit-every", "20"]
    result = CliRunner().invoke(main, args, obj={"beam_args": []})
    assert result.exit_code == 0, result.output
    con = warehouse.open_published(data_dir)
    try:
        assert forecast_queries.model_choice(con).height > 0
    finally:
        con.close()
