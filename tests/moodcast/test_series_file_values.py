"""A series CSV's `y` (alerts replay, backtest) is a non-negative share, rate or count: a
negative, NaN, infinite or non-numeric `y` is refused with exit 4 naming the file, the row, its
series and period. Before, replay and backtest took a negative or NaN `y` as a value (alerts on
it, exit 0), and text in `y` was refused without its row."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from moodcast.cli import main


def _series(tmp_path, y: str):
    path = tmp_path / "series.csv"
    rows = [f"a,2025-02-{d:02d},{d % 5}" for d in range(1, 28)]
    rows[3] = f"a,2025-02-04,{y}"
    path.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("command", [("alerts", "replay"), ("backtest",)])
@pytest.mark.parametrize(
    "y, said",
    [
        ("-0.2", "is negative"),
        ("nan", "is not a finite number"),
        ("inf", "is not a finite number"),
        ("1e400", "is not a finite number"),
        ("n/a", "is not a number"),
    ],
)
def test_a_y_that_is_no_share_or_count_is_refused_by_row(tmp_path, command, y, said):
    series = _series(tmp_path, y)
    result = CliRunner().invoke(main, [*command, "--series", str(series)], obj={"beam_args": []})
    assert result.exit_code == 4, result.output
    output = " ".join(result.output.split())
    assert f"Error: {series}: y '{y}' in row 4 (unique_id 'a', ds 2025-02-04) {said}" in output
    assert "leave the cell empty for a period without a value" in output
