"""The dashboard at other settings than the last write published with (docs/privacy.md,
"Successive releases" rule 5): every page shows why it cannot read the release instead of
itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).parents[2] / "dashboard"
PAGES = ("overview", "timelines", "forecasts", "alerts", "exports", "health")


@pytest.fixture
def on_published(published_run, monkeypatch):
    monkeypatch.setenv("MOODCAST_HOME", str(published_run[0]))
    return published_run[0]


@pytest.mark.parametrize(
    "env, asked",
    [
        ({"MOODCAST_K": "5"}, "k = 5, week_grain = 'iso_week'"),
        ({"MOODCAST_WEEK_GRAIN": "epi_week"}, "k = 11, week_grain = 'epi_week'"),
    ],
)
@pytest.mark.parametrize("name", PAGES)
def test_a_page_at_other_settings_than_the_last_write_shows_why_instead_of_itself(
    on_published, monkeypatch, name, env, asked
):
    """config.toml's k or week_grain changed since the last run (the server passes them as
    $MOODCAST_K, $MOODCAST_WEEK_GRAIN): the page names the stored settings and the asked ones
    and shows no number, where without the check it would show a release no write recorded."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(str(APP / "screens" / f"{name}.py"), default_timeout=60).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "The published data cannot be read right now. The published data was released with "
        "privacy = 'suppress', k = 11, week_grain = 'iso_week', but this reader asks for "
        f"privacy = 'suppress', {asked} (config.toml changed since the last run?). Run "
        "`moodcast run` (or wait for the next follow cycle or stream load) to publish at the "
        "new settings, or set config.toml back."
    ]
    assert not at.dataframe and not at.metric and not at.get("arrow_vega_lite_chart")


def test_the_router_at_the_settings_of_the_last_write_opens_the_overview(on_published):
    at = AppTest.from_file(str(APP / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert not [w for w in at.warning if "cannot be read" in w.value]
    assert at.title[0].value == "Overview" and at.metric
