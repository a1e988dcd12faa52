"""Each role's main path in headless Chromium, with screenshots in test-artifacts/screenshots/.

Buddy: launch, traject, contact + journal form with writing help while typing, save, journal. Coordinator:
cohort overview. Coach: journal. Behavioural scientist: inclusion form. Mentor: programme card (no journal).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.app_support import MARKER_PREFIX, org_or_external
from tests.integration.launch_support import RunningApp, serve_app

from .conftest import chromium, launch_from_ehr

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PROGRAMME = '[data-testid="programme-links"]'  # the app's home page after a launch
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
SUFFIX = ""  # screenshots of the open organisation's run get their own names


@pytest.fixture(
    scope="module", params=["enforcing", "open"], ids=["enforcing EHR", "EHR that enforces nothing"]
)
def prog_org(request: pytest.FixtureRequest) -> Any:
    """Issue 12: every role sees what it saw before on both kinds of organisation (C enforces no labels,
    so there the app's own sealing and role policy are all that stand between staff and the journal)."""
    global SUFFIX
    SUFFIX = "" if request.param == "enforcing" else "-open-ehr"
    return org_or_external(request) if request.param == "enforcing" else request.getfixturevalue("open_org")


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with chromium("1280,1000") as drv:
        yield drv


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-roles-browser")) as app:
        yield app


def shot(driver: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}{SUFFIX}.png"))


def open_traject(driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, '[data-testid="trajects-link"]').click()
    driver.find_element(By.CSS_SELECTOR, '[data-testid="open-traject"]').click()


def test_buddy_registers_a_contact_with_writing_help(driver: Any, running: RunningApp, prog_org: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    launch_from_ehr(driver, prog_org, "hv-buddy-3", "hv-youth-08", wait_for=PROGRAMME)
    open_traject(driver)
    assert driver.find_element(By.CSS_SELECTOR, '[data-testid="norms"]').is_displayed()
    assert driver.find_element(By.CSS_SELECTOR, '[data-testid="timeline"]')
    shot(driver, "buddy-traject")
    driver.find_element(By.CSS_SELECTOR, '[data-testid="new-contact"]').click()
    rnd = uuid.uuid4().int
    driver.execute_script(
        "document.querySelector('[name=date]').value = arguments[0];"
        "document.querySelector('[name=start]').value = arguments[1];"
        "document.querySelector('[name=end]').value = arguments[2];",
        f"2026-08-{1 + rnd % 28:02d}",
        f"05:{rnd // 28 % 11 * 5:02d}",
        f"05:{rnd // 28 % 11 * 5 + 3:02d}",
    )
    text = driver.find_element(By.CSS_SELECTOR, '[data-testid="text"]')
    marker = f"{MARKER_PREFIX}{uuid.uuid4().hex}"
    text.send_keys(f"Ze komt vaak te laat ivm school. {marker}")
    WebDriverWait(driver, 10).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, '#hints li[data-kind="vague"]'))
    )
    shot(driver, "buddy-contact-form-hints")
    driver.find_element(By.CSS_SELECTOR, '[data-testid="save"]').click()  # the hints never block saving
    WebDriverWait(driver, 20).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, '[data-testid="saved"]'))
    )
    shot(driver, "buddy-saved")
    driver.find_element(By.CSS_SELECTOR, '[data-testid="journal-link"]').click()
    assert marker in driver.page_source
    shot(driver, "buddy-journal")


def test_coordinator_cohort_overview(driver: Any, running: RunningApp, prog_org: Any) -> None:
    from selenium.webdriver.common.by import By

    launch_from_ehr(driver, prog_org, "hv-coordinator", "hv-youth-08", wait_for=PROGRAMME)
    driver.find_element(By.CSS_SELECTOR, '[data-testid="cohort-link"]').click()
    rows = driver.find_elements(By.CSS_SELECTOR, '[data-testid="cohort"] tr[data-traject]')
    assert rows
    assert driver.find_element(By.CSS_SELECTOR, '[data-testid="waiting"]')
    shot(driver, "coordinator-cohort")


def test_coach_reads_the_journal(driver: Any, running: RunningApp, prog_org: Any) -> None:
    from selenium.webdriver.common.by import By

    launch_from_ehr(driver, prog_org, "hv-coach-2", "hv-youth-08", wait_for=PROGRAMME)
    open_traject(driver)
    driver.find_element(By.CSS_SELECTOR, '[data-testid="journal-link"]').click()
    assert driver.find_elements(By.CSS_SELECTOR, '[data-testid="entry"]')
    assert driver.find_element(By.CSS_SELECTOR, '[data-testid="coaching-form"]')
    shot(driver, "coach-journal")


def test_behavioural_scientist_inclusion_form(driver: Any, running: RunningApp, prog_org: Any) -> None:
    from selenium.webdriver.common.by import By

    launch_from_ehr(driver, prog_org, "hv-behavioural-scientist", "hv-youth-03", wait_for=PROGRAMME)
    open_traject(driver)
    assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="journal-link"]')
    driver.find_element(By.CSS_SELECTOR, '[data-testid="inclusion-link"]').click()
    assert driver.find_element(By.CSS_SELECTOR, '[data-testid="inclusion-form"]')
    shot(driver, "behavioural-scientist-inclusion")


def test_mentor_sees_the_programme_card_only(driver: Any, running: RunningApp, prog_org: Any) -> None:
    from selenium.webdriver.common.by import By

    launch_from_ehr(driver, prog_org, "hv-mentor-2", "hv-youth-08", wait_for=PROGRAMME)
    driver.find_element(By.CSS_SELECTOR, '[data-testid="card-link"]').click()
    assert driver.find_element(By.CSS_SELECTOR, '[data-testid="buddy"]').text
    assert MARKER_PREFIX not in driver.page_source
    assert "Journaal" not in driver.page_source
    shot(driver, "mentor-card")
