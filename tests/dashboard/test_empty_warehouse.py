"""A published warehouse with no series (a run whose posts are all of a day not yet over, or a
warehouse no run has loaded) opens every page with a sentence saying so. Before, the Overview
raised a TypeError formatting a date of None, Timelines one sorting None with 'all', and
Forecasts said of a series of no name that its cells fall below k."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from warehouse.store import writing

SCREENS = Path(__file__).parents[2] / "dashboard" / "screens"
PAGES = ("overview", "timelines", "forecasts", "alerts", "exports", "health")


@pytest.fixture
def empty(tmp_path, monkeypatch) -> Path:
    with writing(tmp_path):
        pass
    monkeypatch.setenv("MOODCAST_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("name", PAGES)
def test_every_page_opens_on_a_warehouse_without_series(empty, name):
    at = AppTest.from_file(str(SCREENS / f"{name}.py"), default_timeout=60).run()
    assert not at.exception, at.exception


@pytest.mark.parametrize("name", ["timelines", "forecasts"])
def test_a_series_page_says_no_series_is_published_yet(empty, name):
    at = AppTest.from_file(str(SCREENS / f"{name}.py"), default_timeout=60).run()
    said = " ".join(info.value for info in at.info)
    assert "No series to show yet" in said
    assert "below k" not in said


def test_the_overview_says_no_run_has_loaded_data(empty):
    at = AppTest.from_file(str(SCREENS / "overview.py"), default_timeout=60).run()
    assert "no run has loaded data yet" in " ".join(md.value for md in at.markdown)
