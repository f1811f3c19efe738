"""The served dashboard in headless Chromium: open it, switch pages, change a filter, download
an export, and keep screenshots at 1280 and 390 px in test-artifacts/dashboard/."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import expect

import warehouse
from benchmarks.served import (
    INSTALL_HINT,
    chromium_available,
    launch,
    new_page,
    served,
    timed_rerun,
    wait_idle,
)
from dashboard import summaries
from warehouse import forecast_queries, queries

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "dashboard"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser():
    if not chromium_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium is missing in CI: {INSTALL_HINT}")
        pytest.skip(f"chromium is missing: {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def _go_to(page, name: str, heading: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    page.get_by_role("heading", name=heading).wait_for()
    wait_idle(page)


def _open(page, url: str, heading: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=heading).wait_for()
    wait_idle(page)


def _shot(page, name: str) -> Path:
    page.wait_for_timeout(500)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def test_an_analyst_switches_pages_filters_and_downloads_an_export(published_run, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir, _ = published_run
    with served(data_dir) as url:
        page = new_page(browser, width=1280, height=900)
        _open(page, url, "Overview")
        assert page.get_by_test_id("stMetric").count() == 3
        _shot(page, "overview-1280")

        _go_to(page, "Timelines", "Prevalence timelines")
        page.locator(".vega-embed").first.wait_for()
        marker = page.get_by_role("combobox", name="Marker")
        chosen = "joy" if marker.input_value() == "sadness" else "sadness"
        marker.click()
        timed_rerun(page, page.get_by_role("option", name=chosen, exact=True).click)
        expect(marker).to_have_value(chosen)
        page.locator(".vega-embed").first.wait_for()
        _shot(page, "timelines-1280")

        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV + data dictionary").click()
        saved = ARTIFACTS / download.value.suggested_filename
        download.value.save_as(saved)
        archive = zipfile.ZipFile(saved)
        assert archive.namelist() == ["timelines.csv", "data_dictionary.md"]
        rows = pl.read_csv(io.BytesIO(archive.read("timelines.csv")))
        assert set(rows.get_column("marker")) == {chosen}
        hidden = rows.filter(pl.col("suppressed"))
        assert hidden.get_column("prevalence").is_null().all()  # withheld weeks, if any
        assert set(rows.get_column("grain")) <= {"day", "iso_week", "iso_8week"}

        _go_to(page, "Forecasts", "Forecasts")
        expect(page.get_by_text("orange: forecast by ", exact=False)).to_be_visible()
        _go_to(page, "Alerts", "Alerts")
        _go_to(page, "Data health", "Data health")
        assert page.get_by_test_id("stException").count() == 0

        page.set_viewport_size({"width": 390, "height": 844})
        _open(page, f"{url}/timelines", "Prevalence timelines")
        nav = page.get_by_test_id("stSidebarNav")
        assert nav.get_by_role("link", name="Data health").count() == 1, (
            "deep link skipped the router"
        )
        page.locator(".vega-embed").first.wait_for()
        box = page.locator(".vega-embed").first.bounding_box()
        assert box["width"] <= 390
        page.locator(".vega-embed").first.scroll_into_view_if_needed()
        _shot(page, "timelines-390")
        _open(page, url, "Overview")
        _shot(page, "overview-390")
        assert page.get_by_test_id("stException").count() == 0
        page.context.close()


CUT_TEXT = """() => [...document.querySelectorAll(
    '[data-testid="stTable"] td, [data-testid="stTable"] th')]
  .filter((cell) => cell.scrollWidth > cell.clientWidth + 1)
  .map((cell) => cell.innerText)"""
"""Text of every table cell whose content is wider than the cell (cut): none may be."""
GRID_OVERFLOW = """() => [...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
  .filter((grid) => grid.scrollWidth > grid.clientWidth + 1).length"""
"""How many grids scroll sideways, hiding columns off to the right."""


def test_an_alerts_series_link_opens_timelines_on_that_series(published_run, browser):
    data_dir, _ = published_run
    with warehouse.open_published(data_dir) as con:
        alerts = summaries.alert_subjects(summaries.waves(forecast_queries.alerts(con, None)))
    subjects = alerts.select("marker", "region", "lang").rows()
    links = alerts.get_column("series").to_list()
    # Timelines opens on the first (most severe) alert's series when a link carries none, so
    # follow the link of a row about another series: a link that lost its series would fail.
    row = next(
        (i for i, subject in enumerate(subjects) if subject != subjects[0] and links[i]), None
    )
    assert row is not None, "the sample run needs alerts about two series for this test"
    marker, region, lang = subjects[row]
    with served(data_dir) as url:
        page = new_page(browser, width=1280, height=900)
        _open(page, f"{url}/alerts", "Alerts")
        link = page.get_by_test_id("stTable").first.get_by_role("link", name="open timeline")
        expect(link.nth(row)).to_have_attribute("href", links[row])
        assert link.nth(row).is_visible()
        box, viewport = link.nth(row).bounding_box(), page.viewport_size
        assert box["x"] + box["width"] <= viewport["width"], "the link is off to the right"
        with page.expect_popup() as opened:
            link.nth(row).click()
        timeline = opened.value
        timeline.get_by_role("heading", name="Prevalence timelines").wait_for()
        wait_idle(timeline)
        for label, value in (("Marker", marker), ("Region", region), ("Language", lang)):
            expect(timeline.get_by_role("combobox", name=label)).to_have_value(value)
        assert timeline.get_by_test_id("stException").count() == 0
        page.context.close()


PAGES = (
    ("", "Overview"),
    ("timelines", "Prevalence timelines"),
    ("forecasts", "Forecasts"),
    ("alerts", "Alerts"),
    ("exports", "Exports"),
    ("health", "Data health"),
)


@pytest.mark.parametrize("width", [1280, 390])
def test_no_page_shows_a_traceback_or_cuts_table_text_at_desktop_or_phone_width(
    published_run, browser, width
):
    data_dir, _ = published_run
    with served(data_dir) as url:
        page = new_page(browser, width=width, height=900)
        for path, heading in PAGES:
            _open(page, f"{url}/{path}", heading)
            assert page.get_by_test_id("stException").count() == 0, path
            assert "Traceback" not in page.inner_text("body"), path
            assert page.evaluate(CUT_TEXT) == [], path
            for grid in page.get_by_test_id("stDataFrame").all():
                grid.locator(".dvn-scroller").wait_for()
            if width >= 1280 and path != "exports":  # the export preview has every column
                assert page.evaluate(GRID_OVERFLOW) == 0, path
        page.context.close()


def test_a_series_published_by_eight_week_periods_says_so_on_every_page(forum_run, browser):
    data_dir, _ = forum_run
    with warehouse.open_published(data_dir) as con:
        timelines = queries.published(con, k=11)
    top = timelines.filter((pl.col("region") == "all") & (pl.col("lang") == "all"))
    eight = top.filter((pl.col("grain") == "iso_8week") & (pl.col("status") == "published"))
    assert eight.height > 0, "the sparse forum needs a marker published by 8-week periods"
    marker = eight.get_column("marker").sort()[0]
    with served(data_dir) as url:
        page = new_page(browser, width=1280, height=900)
        _open(page, f"{url}/timelines?marker={marker}&region=all&lang=all", "Prevalence timelines")
        expect(page.get_by_role("combobox", name="Marker")).to_have_value(marker)
        caption = page.get_by_text("shown as 8-week periods", exact=False)
        expect(caption).to_be_visible()
        assert "; 0 shown as 8-week periods" not in caption.inner_text()
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV + data dictionary").click()
        archive = zipfile.ZipFile(download.value.path())
        rows = pl.read_csv(io.BytesIO(archive.read("timelines.csv")))
        assert "iso_8week" in set(rows.get_column("grain"))
        assert "`iso_8week`" in archive.read("data_dictionary.md").decode()
        _go_to(page, "Forecasts", "Forecasts")
        expect(page.get_by_text("Only 1 8-week periods of history", exact=False)).to_be_visible()
        assert page.get_by_test_id("stException").count() == 0
        _shot(page, "forecasts-8week-1280")
        page.context.close()
