"""Headless Chromium for the browser tests (Debian's chromium + chromium-driver through Selenium)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMEDRIVER = "/usr/bin/chromedriver"


@contextmanager
def chromium(window: str, implicit_wait: float = 0, lang: str | None = None) -> Iterator[Any]:
    """One headless browser; `window` like "1200,900" (screenshot size), `implicit_wait` in seconds, `lang`
    the language the browser asks pages for (navigator.language, Accept-Language), as a Dutch user's."""
    if not Path(CHROMEDRIVER).exists() and not shutil.which("chromedriver"):
        pytest.skip("chromium-driver is not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", f"--window-size={window}"):
        options.add_argument(arg)
    if lang:
        options.add_argument(f"--lang={lang}")
        options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    drv = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    drv.implicitly_wait(implicit_wait)
    try:
        yield drv
    finally:
        drv.quit()


def launch_from_ehr(
    driver: Any, org: Any, user: str, patient: str, *, wait_for: str | None = None, timeout: float = 30
) -> None:
    """The sandbox's launcher as a user works it: pick user and youth, start the app (EHR launch); with
    `wait_for` (a CSS selector) wait until the redirects (launch, authorize, callback) end on that page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(org.launcher_url)
    driver.find_element(By.CSS_SELECTOR, f'input[name="user"][value="{user}"]').click()
    driver.find_element(By.CSS_SELECTOR, f'input[name="patient"][value="{patient}"]').click()
    driver.find_element(By.CSS_SELECTOR, 'input[name="client_id"][value="hvol-app"]').click()
    driver.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    if wait_for:
        WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, wait_for)))
