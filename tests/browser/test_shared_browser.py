"""Issue 13, cause 6, in headless Chromium against the real sandbox: the shared workstation on the group.

The buddy opens the girl's journal; the mentor then launches the app in the same browser (same cookie jar)
and opens the buddy's earlier journal URL from the history. She must not see the journal: the mentor's
launch ended the buddy's launches, and the browser-session id was rotated at her callback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.app_support import org_or_external
from tests.integration.launch_support import RunningApp, serve_app

from .conftest import chromium, launch_from_ehr

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PROGRAMME = '[data-testid="programme-links"]'
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
YOUTH, BUDDY, MENTOR = "hv-youth-06", "hv-buddy-1", "hv-mentor-2"  # the mentor of youth 06's group


@pytest.fixture(scope="module")
def shared_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(shared_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(shared_org, tmp_path_factory.mktemp("app-shared-browser")) as app:
        yield app


def _cookie(driver: Any) -> str | None:
    found = [c["value"] for c in driver.get_cookies() if c["name"].endswith("hvol_sid")]
    return found[0] if found else None


def test_mentor_after_buddy_in_the_same_browser_cannot_open_the_journal(
    running: RunningApp, shared_org: Any
) -> None:
    from selenium.webdriver.common.by import By

    with chromium("1200,900", implicit_wait=2) as driver:
        launch_from_ehr(driver, shared_org, BUDDY, YOUTH, wait_for=PROGRAMME, timeout=60)
        buddy_home = driver.current_url
        driver.find_element(By.CSS_SELECTOR, '[data-testid="trajects-link"]').click()
        driver.find_element(By.CSS_SELECTOR, '[data-testid="open-traject"]').click()
        driver.find_element(By.CSS_SELECTOR, '[data-testid="journal-link"]').click()
        entries = driver.find_elements(By.CSS_SELECTOR, '[data-testid="entry"]')
        assert entries, "the buddy sees her journal (control)"
        journal_url = driver.current_url
        seen_text = entries[0].text.strip()[:40]
        buddy_sid = _cookie(driver)

        launch_from_ehr(driver, shared_org, MENTOR, YOUTH, wait_for=PROGRAMME, timeout=60)
        assert driver.find_element(By.CSS_SELECTOR, '[data-testid="role"]').get_attribute("data-role") in (
            "mentor",
            "staff",
        )

        for url in (journal_url, buddy_home):
            driver.get(url)
            SHOTS.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(SHOTS / "shared-browser-mentor-opens-buddy-url.png"))
            assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="entry"]')
            assert seen_text and seen_text not in driver.page_source
            message = driver.find_element(By.CSS_SELECTOR, '[data-testid="error-message"]').text
            assert "opnieuw" in message
        assert _cookie(driver) not in (None, buddy_sid)  # rotated at the mentor's callback

        # The buddy's old id, put back by hand, is dead too (no fixation through the history).
        driver.delete_all_cookies()
        driver.get(running.url + "/")
        if buddy_sid:
            name = "hvol_sid"
            driver.add_cookie({"name": name, "value": buddy_sid, "path": "/"})
        driver.get(journal_url)
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="entry"]')
