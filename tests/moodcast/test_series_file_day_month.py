"""A series CSV whose first bad `ds` is an impossible date and a later one a day/month date:
the refusal quotes the day/month date its advice is about. Before, it quoted the first value
('2025-02-30 ... in an order the value does not tell (1 February or 2 January)'), advice that
value does not need (review90)."""

from __future__ import annotations

from click.testing import CliRunner

from moodcast.cli import main


def test_the_day_month_advice_quotes_a_day_month_date(tmp_path):
    series = tmp_path / "series.csv"
    rows = [f"a,2025-03-{d:02d},{d % 5}" for d in range(1, 28)]
    rows[0], rows[4] = "a,2025-02-30,1", "a,05/03/2025,1"
    series.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(main, ["alerts", "replay", "--series", str(series)])
    assert result.exit_code == 4, result.output
    said = " ".join(result.output.split())
    assert f"Error: {series}: ds '05/03/2025' in row 5 (and 1 more row) is not a date" in said
    assert "(1 February or 2 January), and moodcast does not guess it" in said
