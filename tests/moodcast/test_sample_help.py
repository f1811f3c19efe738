"""`moodcast sample --help` names the last day a sample can hold as a date a user can act on,
not as the code's constant (it said "days past LAST_DAY")."""

from __future__ import annotations

from click.testing import CliRunner

from moodcast.cli import main
from moodcast.sample import LAST_DAY


def test_sample_help_names_the_last_day_as_a_date():
    shown = CliRunner().invoke(main, ["sample", "--help"]).output
    assert "LAST_DAY" not in shown
    assert f"days past {LAST_DAY.isoformat()}" in " ".join(shown.split())
