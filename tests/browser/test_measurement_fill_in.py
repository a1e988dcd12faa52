"""The measurement fill-in page in headless Chromium (issue 7): big sliders the youth moves on her buddy's
screen, nothing else of the record on the page, a refusal that keeps what she entered, then saved once.

Screenshots go to test-artifacts/screenshots/. Uses Debian's chromium + chromium-driver via Selenium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hvol_fhir.measurements import questionnaire
from tests.integration.launch_support import RunningApp, serve_app
from tests.integration.measurements_support import admin_search, measurement_org  # noqa: F401 - fixture

from .conftest import chromium, launch_from_ehr

pytestmark = [pytest.mark.integration, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
SID = "https://hvol-fhir.org/fhir/sid/"


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with chromium("900,1400", implicit_wait=15) as drv:
        yield drv


@pytest.fixture(scope="module")
def running(measurement_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:  # noqa: F811
    with serve_app(measurement_org, tmp_path_factory.mktemp("app-measure-browser")) as app:
        yield app


def _slide(driver: Any, link_id: str, steps: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    slider = driver.find_element(By.ID, f"s-{link_id}")
    key = Keys.ARROW_RIGHT if steps > 0 else Keys.ARROW_LEFT
    slider.send_keys(*([key] * abs(steps)))


def test_the_youth_fills_in_on_the_buddys_screen(
    driver: Any,
    running: RunningApp,
    measurement_org: Any,  # noqa: F811
) -> None:
    from selenium.webdriver.common.by import By

    org = measurement_org
    launch_from_ehr(driver, org, "hv-buddy-1", "hv-youth-06", wait_for='[data-testid="role"]')
    launch_url = driver.current_url.split("/l/", 1)[1].split("/", 1)[0]
    driver.get(f"{running.url}/l/{launch_url}/programma")
    ident = (
        driver.find_element(By.CSS_SELECTOR, 'a[href*="/t/"]')
        .get_attribute("href")
        .split("/t/")[1]
        .split("/")[0]
    )
    driver.get(f"{running.url}/l/{launch_url}/t/{ident}/metingen")
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "measurement-overview-buddy.png"))
    driver.find_element(By.CSS_SELECTOR, '[data-testid="fill-in"]').click()

    page = driver.page_source
    youth = org.scenario.youths[5]
    assert (
        youth.given not in page and youth.family not in page and "Patient/" not in page
    )  # nothing of the record
    sliders = driver.find_elements(By.CSS_SELECTOR, '[data-testid="slider"]')
    assert len(sliders) == len(questionnaire().items)
    assert sliders[0].size["height"] >= 40  # big enough for a finger
    items = [i.link_id for i in questionnaire().items]
    for n, link_id in enumerate(items):
        if link_id not in ("wellbeing-parents", "wellbeing-overall"):
            _slide(driver, link_id, 1 + n % 4)  # 6..9
    driver.save_screenshot(str(SHOTS / "measurement-fill-in.png"))
    driver.find_element(By.CSS_SELECTOR, '[data-testid="save"]').click()

    # wellbeing-overall is required and untouched: refused, her answers still there
    errors = driver.find_element(By.CSS_SELECTOR, '[data-testid="errors"]').text
    assert "Algeheel welbevinden" in errors and "nog niet ingevuld" in errors
    assert driver.find_element(By.ID, "s-autonomy").get_attribute("value") == "6"
    assert driver.find_element(By.ID, "v-alliance").text == "9"
    uuid = driver.find_element(By.CSS_SELECTOR, 'input[name="response_uuid"]').get_attribute("value")
    assert admin_search(org, "QuestionnaireResponse", identifier=f"{SID}measurement|{uuid}") == []
    driver.save_screenshot(str(SHOTS / "measurement-refused.png"))

    _slide(driver, "wellbeing-overall", -2)  # 3
    driver.find_element(By.CSS_SELECTOR, '[data-testid="save"]').click()
    assert "Dank je wel" in driver.find_element(By.CSS_SELECTOR, '[data-testid="done"]').text
    driver.save_screenshot(str(SHOTS / "measurement-done.png"))
    stored = admin_search(org, "QuestionnaireResponse", identifier=f"{SID}measurement|{uuid}")
    assert len(stored) == 1
    answers = {i["linkId"]: i["answer"][0]["valueInteger"] for g in stored[0]["item"] for i in g["item"]}
    assert (
        answers["autonomy"] == 6 and answers["wellbeing-overall"] == 3 and "wellbeing-parents" not in answers
    )
