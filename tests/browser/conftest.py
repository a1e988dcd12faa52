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
def chromium(window: str, implicit_wait: float = 0) -> Iterator[Any]:
    """One headless browser; `window` like "1200,900" (screenshot size), `implicit_wait` in seconds."""
    if not Path(CHROMEDRIVER).exists() and not shutil.which("chromedriver"):
        pytest.skip("chromium-driver is not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", f"--window-size={window}"):
        options.add_argument(arg)
    drv = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    drv.implicitly_wait(implicit_wait)
    try:
        yield drv
    finally:
        drv.quit()
