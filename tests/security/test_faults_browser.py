"""Fault injection in headless Chromium (issue 8.4): the coordinator closes a traject, the EHR stores it but
every answer is lost. The page says it is not sure whether it was saved, keeps her choice, and its
"Opnieuw versturen" button finishes the job: the traject is closed exactly once. Screenshots in
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import chromium, launch_from_ehr
from tests.conftest_proof import Proof
from tests.integration import transfer_support as ts
from tests.sealing_support import opened

from .conftest import SecApp
from .faultproxy import FaultProxy

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.proof]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def driver() -> Iterator[Any]:
    with chromium("1280,1000", implicit_wait=5) as drv:
        yield drv


def test_coordinator_resends_a_closure_whose_answer_was_lost(
    driver: Any, sec_app: SecApp, proxy: FaultProxy, proof: Proof
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    org = sec_app.org
    youth = ts.synthetic_traject(org, 96, weeks=8, consent_entries=0)

    def stored() -> dict[str, Any]:
        return ts.admin_get(org, youth.careplan)

    version = stored()["meta"]["versionId"]
    launch_from_ehr(
        driver, org, "hv-coordinator", youth.patient.split("/")[1], wait_for='[data-testid="programme-links"]'
    )
    driver.find_element(By.CSS_SELECTOR, '[data-testid="trajects-link"]').click()
    driver.find_element(By.CSS_SELECTOR, '[data-testid="open-traject"]').click()
    form = driver.find_element(By.CSS_SELECTOR, '[data-testid="phase-form"]')
    Select(form.find_element(By.NAME, "action")).select_by_value("close")
    Select(form.find_element(By.NAME, "reason")).select_by_value("youth-no-longer-needed")

    proxy.clear()
    before = len(proxy.injected)
    proxy.inject("drop-after", method="POST", path="/fhir", exact=True, body="ifMatch", times=3)
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    alert = driver.find_element(By.CSS_SELECTOR, '[data-testid="errors"]').text
    proxy.clear()
    proof.add("faults", len(proxy.injected) - before)
    proof.add("careplan_faults", len(proxy.injected) - before)
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "coordinator-resend-after-lost-answer.png"))
    assert int(stored()["meta"]["versionId"]) == int(version) + 1  # the EHR did store it
    assert "niet zeker" in alert and "niets opgeslagen" not in alert, alert

    resend = driver.find_element(By.CSS_SELECTOR, '[data-testid="resend-form"]')
    assert resend.find_element(By.CSS_SELECTOR, 'input[name="reason"]').get_attribute("value") == (
        "youth-no-longer-needed"
    )
    resend.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    phase = driver.find_element(By.CSS_SELECTOR, '[data-testid="phase"]').get_attribute("data-phase")
    proof.add("fault_saves")
    plan = opened(sec_app.org, stored())  # the closure reason is sealed (issue 12)
    changes = int(plan["meta"]["versionId"]) - int(version)
    if changes != 1:
        proof.found("lost" if changes == 0 else "duplicates", f"browser resend: {changes} CarePlan versions")
    assert phase == "closure" and "opgeslagen" in driver.current_url
    assert changes == 1 and plan["status"] == "completed" and str(plan).count("youth-no-longer-needed") == 1
