"""EHR launch driven in headless Chromium: the sandbox launcher, the app in the browser, the landing page.

Screenshots go to test-artifacts/screenshots/. Uses Debian's chromium + chromium-driver via Selenium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.launch_support import RunningApp, serve_app

from .conftest import chromium, launch_from_ehr

pytestmark = [pytest.mark.integration, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    # The launch is several redirects and FHIR reads: slow under a full test run.
    with chromium("1200,900", implicit_wait=30) as drv:
        yield drv


@pytest.fixture(scope="module")
def running(org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(org, tmp_path_factory.mktemp("app-browser")) as app:
        yield app


def test_ehr_launch_in_chromium(driver: Any, running: RunningApp, org: Any) -> None:
    from selenium.webdriver.common.by import By

    launch_from_ehr(driver, org, "hv-buddy-1", "hv-youth-06")
    role = driver.find_element(By.CSS_SELECTOR, '[data-testid="role"]')
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "launch-buddy.png"))
    assert role.get_attribute("data-role") == "buddy"
    assert "jaar" in driver.find_element(By.CSS_SELECTOR, '[data-testid="youth"]').text
    assert driver.current_url.startswith(running.url + "/l/")


def test_two_tabs_in_chromium_keep_their_youth(driver: Any, running: RunningApp, org: Any) -> None:
    from selenium.webdriver.common.by import By

    launch_from_ehr(driver, org, "hv-coordinator", "hv-youth-06")
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "launch-two-tabs-first.png"))
    first_url = driver.current_url
    first = driver.find_element(By.CSS_SELECTOR, '[data-testid="youth"]').text
    driver.switch_to.new_window("tab")
    launch_from_ehr(driver, org, "hv-coordinator", "hv-youth-01")
    found = driver.find_elements(By.CSS_SELECTOR, '[data-testid="youth"]')
    if not found:
        driver.save_screenshot(str(SHOTS / "launch-two-tabs-failed.png"))
    assert found, (driver.current_url, driver.find_element(By.TAG_NAME, "body").text[:500])
    second = found[0].text
    driver.save_screenshot(str(SHOTS / "launch-two-tabs.png"))
    assert first != second
    driver.switch_to.window(driver.window_handles[0])
    driver.get(first_url)
    assert driver.find_element(By.CSS_SELECTOR, '[data-testid="youth"]').text == first
