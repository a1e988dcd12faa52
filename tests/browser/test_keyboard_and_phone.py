"""Issue 15: a buddy registers a contact with her journal entry using the keyboard only, and on a phone.

Keyboard: from the app's landing page to the saved entry in the contactjournaal with Tab, Shift+Tab, Enter and
typing only: no click, no script setting a value (the launch itself happens in the EHR's launcher, which is
not the app). Phone: the same on a 375 × 667 screen, where no page may be wider than the screen.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.integration.app_support import MARKER_PREFIX, org_or_external
from tests.integration.launch_support import serve_app

from .conftest import chromium, launch_from_ehr
from .test_look import PHONE, set_width

pytestmark = [pytest.mark.integration, pytest.mark.browser]
LANDING = '[data-testid="programme-links"]'
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
BUDDY, YOUTH = "hv-buddy-3", "hv-youth-08"


@pytest.fixture(scope="module")
def running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    org = org_or_external(request)
    with serve_app(org, tmp_path_factory.mktemp("app-keyboard")) as app:
        yield org, app


def free_slot(hour: int) -> tuple[date, str, str]:
    """A day and a quarter hour in August 2026 no other test uses (hour per test), so no overlap refusal."""
    rnd = random.Random(uuid.uuid4().int)
    minute = rnd.randrange(0, 45, 5)
    return date(2026, 8, rnd.randint(1, 28)), f"{hour:02d}:{minute:02d}", f"{hour:02d}:{minute + 10:02d}"


def active(driver: Any) -> Any:
    return driver.switch_to.active_element


def tab_to(driver: Any, selector: str, limit: int = 80) -> Any:
    """Press Tab until `selector` has the focus (a date field's own parts take some Tabs too)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for _ in range(limit):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.execute_script("return document.activeElement.matches(arguments[0])", selector):
            return active(driver)
    raise AssertionError(f"Tab never reached {selector}")


def press(driver: Any, keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(keys).perform()


def type_date(driver: Any, selector: str, day: date) -> None:
    """Type a date as the field's own order asks (month first in an en-US browser, day first in nl)."""
    from selenium.webdriver.common.keys import Keys

    for order in ("%m%d%Y", "%d%m%Y"):
        tab_to(driver, selector)
        press(driver, day.strftime(order))
        if active(driver).get_attribute("value") == day.isoformat():
            return
        press(driver, Keys.SHIFT + Keys.TAB)  # leave it; the next try Tabs back to its first part
    raise AssertionError(f"the date field did not take {day} from the keyboard")


def type_time(driver: Any, selector: str, hhmm: str) -> None:
    tab_to(driver, selector)
    press(driver, hhmm.replace(":", "") + "A")  # "A" picks AM where the field has a 12-hour clock
    assert active(driver).get_attribute("value") == hhmm


def wait_for(driver: Any, selector: str, timeout: float = 20) -> Any:
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located(("css selector", selector)))


def test_keyboard_only_contact_with_journal_entry(running: Any) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    org, _app = running
    day, start, end = free_slot(6)
    marker = f"{MARKER_PREFIX}{uuid.uuid4().hex}"
    with chromium("1000,900") as driver:
        launch_from_ehr(driver, org, BUDDY, YOUTH, wait_for=LANDING)  # in the EHR, not the app
        tab_to(driver, '[data-testid="trajects-link"]')
        press(driver, Keys.ENTER)
        wait_for(driver, '[data-testid="open-traject"]')
        tab_to(driver, '[data-testid="open-traject"]')
        press(driver, Keys.ENTER)
        wait_for(driver, '[data-testid="new-contact"]')
        tab_to(driver, '[data-testid="new-contact"]')
        press(driver, Keys.ENTER)
        wait_for(driver, "#contact-form")
        type_date(driver, "#contact-form [name=date]", day)
        type_time(driver, "#contact-form [name=start]", start)
        type_time(driver, "#contact-form [name=end]", end)
        tab_to(driver, "#contact-form [name=type]")
        press(driver, "v")  # Videobellen, chosen by its first letter
        assert active(driver).get_attribute("value") == "video"
        tab_to(driver, "#contact-form [name=text]")
        press(driver, f"We belden. Ze vertelt dat ze vaak te laat komt. {marker}")
        hints = WebDriverWait(driver, 10).until(
            ec.visibility_of_element_located(("css selector", '#hints li[data-kind="vague"]'))
        )
        assert hints and not driver.find_elements("css selector", '#hints li[data-kind="place"]')
        tab_to(driver, '#contact-form [data-testid="save"]')
        press(driver, Keys.ENTER)
        wait_for(driver, '[data-testid="saved"]')
        driver.save_screenshot(str(SHOTS / "look-buddy-toetsenbord-opgeslagen.png"))
        tab_to(driver, '[data-testid="journal-link"]')
        press(driver, Keys.ENTER)
        wait_for(driver, '[data-testid="entry"]')
        assert marker in driver.page_source


def no_wider_than_the_screen(driver: Any) -> None:
    wide = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1] + 1, f"page {driver.current_url} is {wide[0]} px wide on a {wide[1]} px screen"


def test_phone_width_contact_registration(running: Any) -> None:
    from selenium.webdriver.support.select import Select

    org, _app = running
    day, start, end = free_slot(7)
    marker = f"{MARKER_PREFIX}{uuid.uuid4().hex}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium(f"{PHONE[0]},{PHONE[1]}") as driver:
        set_width(driver, PHONE)
        launch_from_ehr(driver, org, BUDDY, YOUTH, wait_for=LANDING)
        no_wider_than_the_screen(driver)
        driver.find_element("css selector", '[data-testid="trajects-link"]').click()
        driver.find_element("css selector", '[data-testid="open-traject"]').click()
        wait_for(driver, '[data-testid="new-contact"]')
        no_wider_than_the_screen(driver)
        driver.save_screenshot(str(SHOTS / "look-buddy-telefoon-traject.png"))
        link = driver.find_element("css selector", '[data-testid="new-contact"]')
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
        link.click()
        form = wait_for(driver, "#contact-form")
        no_wider_than_the_screen(driver)
        # Date and time pickers are the phone's own dialogs; their values are set as the picker would.
        driver.execute_script(
            "const f = arguments[0]; f.date.value = arguments[1]; f.start.value = arguments[2];"
            "f.end.value = arguments[3];",
            form,
            day.isoformat(),
            start,
            end,
        )
        Select(driver.find_element("css selector", "#contact-form [name=type]")).select_by_value(
            "face-to-face"
        )
        driver.find_element("css selector", "#contact-form [name=location]").send_keys(
            "Het bankje bij de bieb"
        )
        text = driver.find_element("css selector", '[data-testid="text"]')
        text.send_keys(f"We liepen een rondje. Ik vroeg hoe school ging; ze lachte. {marker}")
        save = driver.find_element("css selector", '#contact-form [data-testid="save"]')
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", save)
        assert save.is_displayed() and save.size["width"] <= PHONE[0]
        driver.save_screenshot(str(SHOTS / "look-buddy-telefoon-contact.png"))
        save.click()
        wait_for(driver, '[data-testid="saved"]')
        no_wider_than_the_screen(driver)
        driver.save_screenshot(str(SHOTS / "look-buddy-telefoon-opgeslagen.png"))
        driver.find_element("css selector", '[data-testid="journal-link"]').click()
        wait_for(driver, '[data-testid="entry"]')
        no_wider_than_the_screen(driver)
        assert marker in driver.page_source
