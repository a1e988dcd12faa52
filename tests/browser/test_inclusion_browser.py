"""Issue 14's flows in headless Chromium, as each role goes through them: a restart of a closed traject
(hv-youth-12), the gates, the behavioural scientist's assessment, consent with a parent, the start from the
waiting list with a buddy chosen by name, the girl's wish for another buddy (a new one chosen by name), her
decision (buddy reports, coordinator confirms), and a
pause while she is missing, then resume. Screenshots in test-artifacts/screenshots/inclusion-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.app_support import org_or_external
from tests.integration.launch_support import RunningApp, serve_app

from .conftest import chromium, launch_from_ehr
from .whole_life_support import page_gone

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PROGRAMME = '[data-testid="programme-links"]'
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
YOUTH = "hv-youth-12"


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with chromium("1280,1400") as drv:
        yield drv


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("inclusion-browser")) as app:
        yield app


def css(driver: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def go(driver: Any, selector: str) -> None:
    """Click something that loads a new page, and wait until the old page is gone (no stale reads)."""
    from selenium.webdriver.support.ui import WebDriverWait

    element = css(driver, selector)
    element.click()
    WebDriverWait(driver, 60).until(lambda _d: page_gone(element))


def choose(driver: Any, selector: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(css(driver, selector)).select_by_value(value)


def as_user(driver: Any, org: Any, user: str) -> None:
    """Launch as ``user`` on the youth and open her newest traject."""
    launch_from_ehr(driver, org, user, YOUTH, wait_for=PROGRAMME)
    go(driver, '[data-testid="trajects-link"]')
    go(driver, '[data-testid="open-traject"]')


def shot(driver: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"inclusion-{name}.png"))


def test_from_restart_to_outcome_pause_and_resume(driver: Any, running: RunningApp, prog_org: Any) -> None:
    as_user(driver, prog_org, "hv-coordinator")
    go(driver, '[data-testid="restart-form"] button')
    assert css(driver, '[data-testid="phase"]').get_attribute("data-phase") == "inclusion"
    go(driver, '[data-testid="start-link"]')
    gates = css(driver, '[data-testid="gates"]').text
    assert "inclusiebeoordeling" in gates and "wachtlijst" in gates and "P-" not in gates
    shot(driver, "gates-closed")

    as_user(driver, prog_org, "hv-behavioural-scientist")
    go(driver, '[data-testid="inclusion-link"]')
    css(driver, 'input[name="criteria_met"]').click()
    go(driver, '[data-testid="inclusion-form"] button[type="submit"]')
    assert css(driver, '[data-testid="saved"]')

    as_user(driver, prog_org, "hv-coordinator")
    go(driver, '[data-testid="consent-link"]')
    go(driver, '[data-testid="consent-form"] button[type="submit"]')  # nothing ticked: refused
    assert "toestemming" in css(driver, ".error").text.lower()
    css(driver, 'input[name="youth_consent"]').click()
    css(driver, 'input[name="parent_consent"]').click()
    css(driver, 'input[name="parent_name"]').send_keys("Ria Jansen")
    shot(driver, "consent")
    go(driver, '[data-testid="consent-form"] button[type="submit"]')
    assert css(driver, '[data-testid="saved"]')

    go(driver, '[data-testid="start-link"]')
    assert not driver.find_elements("css selector", '[data-testid="gates"]')
    rows = driver.find_elements("css selector", '[data-testid="buddies"] tr')
    row = next(r for r in rows if "Priya Ramdin" in r.text)
    row.find_element("css selector", 'input[name="buddy"]').click()
    choose(driver, 'select[name="coach"]', "Practitioner/hv-coach-1")
    shot(driver, "start-from-waiting-list")
    go(driver, '[data-testid="start-form"] button[type="submit"]')
    assert css(driver, '[data-testid="phase"]').get_attribute("data-phase") == "introduction"

    # The girl wants another buddy: buddy 2 passes it on, the coordinator picks the new one by name and one
    # save ends buddy 2's period and restarts the introduction with her.
    as_user(driver, prog_org, "hv-buddy-2")
    choose(driver, '[data-testid="intro-decision-form"] select[name="outcome"]', "other-buddy")
    go(driver, '[data-testid="intro-decision-form"] button[type="submit"]')
    as_user(driver, prog_org, "hv-coordinator")
    go(driver, '[data-testid="another-buddy-link"]')
    rows = driver.find_elements("css selector", '[data-testid="buddies"] tr')
    assert not any("Priya Ramdin" in r.text for r in rows)  # not the buddy she leaves
    row = next(r for r in rows if "Jamila Haddou" in r.text)
    assert row.find_element("css selector", '[data-testid="caseload"]').text.isdigit()
    go(driver, '[data-testid="another-buddy-form"] button[type="submit"]')  # nobody chosen: refused
    assert "Kies een ervaringsmaatje" in css(driver, ".error").text
    rows = driver.find_elements("css selector", '[data-testid="buddies"] tr')
    next(r for r in rows if "Jamila Haddou" in r.text).find_element(
        "css selector", 'input[name="buddy"]'
    ).click()
    choose(driver, 'select[name="coach"]', "Practitioner/hv-coach-2")
    shot(driver, "another-buddy")
    go(driver, '[data-testid="another-buddy-form"] button[type="submit"]')
    assert css(driver, '[data-testid="phase"]').get_attribute("data-phase") == "introduction"
    assert "Jamila Haddou" in driver.page_source

    as_user(driver, prog_org, "hv-buddy-4")
    choose(driver, '[data-testid="intro-decision-form"] select[name="outcome"]', "continue")
    go(driver, '[data-testid="intro-decision-form"] button[type="submit"]')
    assert css(driver, '[data-testid="intro-decision"]').text

    as_user(driver, prog_org, "hv-coordinator")
    shot(driver, "decision-to-confirm")
    go(driver, '[data-testid="confirm-decision"]')
    assert css(driver, '[data-testid="phase"]').get_attribute("data-phase") == "contact-period"

    choose(driver, '[data-testid="phase-action"]', "pause")
    choose(driver, '[data-testid="pause-reason"]', "missing")
    go(driver, '[data-testid="phase-form"] button[type="submit"]')
    assert "gepauzeerd" in css(driver, '[data-testid="status"]').text
    assert "ligt niet aan het maatje" in driver.page_source
    shot(driver, "paused")
    choose(driver, '[data-testid="phase-action"]', "resume")
    go(driver, '[data-testid="phase-form"] button[type="submit"]')
    assert css(driver, '[data-testid="status"]').text == "lopend"
    assert "vermist of weggelopen" in css(driver, '[data-testid="pauses"]').text
