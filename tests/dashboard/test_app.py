"""AppTest smoke tests of the dashboard pages on a real published warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).parents[2] / "dashboard"


@pytest.fixture
def on_published(published_run, monkeypatch):
    data_dir, _ = published_run
    monkeypatch.setenv("MOODCAST_HOME", str(data_dir))
    return data_dir


def test_timeline_page_shows_a_chart_with_controls(on_published):
    at = AppTest.from_file(str(APP / "pages" / "timeline.py"), default_timeout=60).run()
    assert not at.exception
    assert [box.label for box in at.selectbox] == ["Marker", "Region", "Language"]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    at.selectbox[0].select(at.selectbox[0].options[-1]).run()
    assert not at.exception


def test_router_opens_the_timeline(on_published):
    at = AppTest.from_file(str(APP / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Prevalence timeline"


def test_without_data_the_page_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("MOODCAST_HOME", str(tmp_path))
    at = AppTest.from_file(str(APP / "pages" / "timeline.py"), default_timeout=30).run()
    assert not at.exception
    assert "moodcast run" in at.info[0].value
