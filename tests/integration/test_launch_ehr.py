"""EHR launch against the sandbox's real authorization server and HAPI, with the demo data (issue 4)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hvol_fhir.privacy.features import FEATURES

from .launch_support import Browser, RunningApp, ehr_launch, serve_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def running(org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(org, tmp_path_factory.mktemp("app")) as app:
        yield app


@pytest.mark.parametrize(
    ("user", "role", "journal"),
    [
        ("hv-buddy-1", "buddy", True),
        ("hv-coach-1", "coach", True),
        ("hv-coordinator", "coordinator", True),
        ("hv-behavioural-scientist", "behavioural-scientist", False),
        ("hv-mentor-1", "staff", False),
        ("hv-staff-1", "staff", False),
    ],
)
def test_ehr_launch_gives_each_user_their_role(
    running: RunningApp, org: Any, user: str, role: str, journal: bool
) -> None:
    browser = Browser(running.url)
    page = ehr_launch(browser, org, user, "hv-youth-06")
    resp = browser.get(page)
    html = resp.text
    assert resp.status_code == 200, html
    assert f'data-role="{role}"' in html
    assert (FEATURES["journal"].label in html) is journal
    assert "jaar" in html  # the youth's age, read from HAPI with the narrowed token


def test_buddy_token_is_narrowed_and_hapi_accepts_it(running: RunningApp, org: Any) -> None:
    """P-ASSESS: the token the buddy's pages use carries programme scopes only; HAPI honours them."""
    browser = Browser(running.url)
    page = ehr_launch(browser, org, "hv-buddy-1", "hv-youth-06")
    session = running.store.get_session(page.rstrip("/").rsplit("/", 1)[1])
    assert session is not None
    scopes = set(session.granted_scope.split())
    assert not any(s.startswith(("patient/Consent", "user/Task", "patient/*", "user/*")) for s in scopes)
    headers = {"Authorization": f"Bearer {session.access_token}", "Accept": "application/fhir+json"}
    assert (
        requests.get(f"{org.fhir_base}/Patient/hv-youth-06", headers=headers, timeout=30).status_code == 200
    )
    denied = requests.get(
        f"{org.fhir_base}/Consent", params={"patient": "hv-youth-06"}, headers=headers, timeout=30
    )
    assert denied.status_code == 403


def test_two_tabs_two_youths(running: RunningApp, org: Any) -> None:
    browser = Browser(running.url)
    tab1 = ehr_launch(browser, org, "hv-coordinator", "hv-youth-06")
    tab2 = ehr_launch(browser, org, "hv-coordinator", "hv-youth-01")
    one, two = browser.get(tab1).text, browser.get(tab2).text
    assert one != two
    assert browser.get(tab1).text == one  # tab 1 still shows its own youth after tab 2 launched
