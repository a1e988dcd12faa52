"""Standalone launch (login page, then patient picker) against the sandbox and HAPI (R36, R152, R166)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .launch_support import Browser, RunningApp, serve_app, standalone_launch

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def running(org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(org, tmp_path_factory.mktemp("app-standalone")) as app:
        yield app


def test_standalone_launch_as_coordinator(running: RunningApp, org: Any) -> None:
    browser = Browser(running.url)
    page = standalone_launch(browser, org, "hv-coordinator", "hv-youth-06")
    resp = browser.get(page)
    assert resp.status_code == 200, resp.text
    assert 'data-role="coordinator"' in resp.text and "jaar" in resp.text


def test_standalone_launch_callback_without_cookie_says_cookies_blocked(
    running: RunningApp, org: Any
) -> None:
    browser = Browser(running.url)
    resp = browser.get(running.url + "/launch/standalone")
    resp = browser.get(resp.headers["Location"])
    req = resp.headers["Location"].split("req=", 1)[1]
    browser.post(org.auth_url + "/login", {"req": req, "user": "hv-buddy-1"})
    resp = browser.post(org.auth_url + "/login/patient", {"req": req, "patient": "hv-youth-06"})
    browser.cookies.clear()  # the browser dropped the cookie
    page = browser.get(resp.headers["Location"])
    assert page.status_code == 400 and "blokkeert cookies" in page.text
