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

from tests.dashboard.served import (
    INSTALL_HINT,
    chromium_available,
    launch,
    new_page,
    served,
    timed_rerun,
    wait_idle,
)

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
        marker.click()
        timed_rerun(page, page.get_by_role("option", name="sadness", exact=True).click)
        expect(marker).to_have_value("sadness")
        page.locator(".vega-embed").first.wait_for()
        _shot(page, "timelines-1280")

        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV + data dictionary").click()
        saved = ARTIFACTS / download.value.suggested_filename
        download.value.save_as(saved)
        archive = zipfile.ZipFile(saved)
        assert archive.namelist() == ["timelines.csv", "data_dictionary.md"]
        rows = pl.read_csv(io.BytesIO(archive.read("timelines.csv")))
        assert set(rows.get_column("marker")) == {"sadness"}
        hidden = rows.filter(pl.col("suppressed"))
        assert hidden.height > 0 and hidden.get_column("prevalence").is_null().all()

        _go_to(page, "Forecasts", "Forecasts")
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
