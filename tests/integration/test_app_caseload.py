"""Issue 15: the caseload across girls, through the app against the sandbox.

A launch without a patient (EHR launch with no youth, or a standalone launch where she picks "zonder
jongere") gives the buddy or coach a user-level, read-only token that the server confines to her girls. The
launch lands on the start page; each girl there links to her traject, which opens under a launch id of its
own (the youth from the URL, checked by the app). The coordinator's start page links open any girl's traject
from a launch for one youth. Read-only: a form sent from a caseload page is refused with a Dutch message
before anything is sent.

Demo data (sandbox/demo_scenario.py): hv-buddy-1 is the buddy of hv-youth-04 and hv-youth-06; hv-coach-1
coaches hv-buddy-1 and hv-buddy-2 (hv-youth-04, -06, -07). Nothing here writes, so the shared sandbox stays as
it was.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox.auth import request_dev_token
from sandbox.tokens import CASELOAD_CLAIM
from tests.integration.app_support import Page, org_or_external
from tests.integration.launch_support import Browser, RunningApp, serve_app

pytestmark = pytest.mark.integration
OPEN = re.compile(r'href="(/l/[^/"]+/open/([0-9a-f-]{36}))"[^>]*>([^<]+)</a>')


@pytest.fixture(scope="module")
def prog_org(request: pytest.FixtureRequest) -> Any:
    return org_or_external(request)


@pytest.fixture(scope="module")
def running(prog_org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with serve_app(prog_org, tmp_path_factory.mktemp("app-caseload")) as app:
        yield app


def launch_to(browser: Browser, org: Any, user: str, patient: str) -> str:
    """The EHR launch as launch_support does it, returning where the callback sends the browser."""
    resp = browser.post(
        org.auth_url + "/launcher", {"client_id": "hvol-app", "user": user, "patient": patient}
    )
    assert resp.status_code == 303, resp.text
    for _ in range(2):
        resp = browser.get(resp.headers["Location"])
        assert resp.status_code == 302, resp.text
    resp = browser.get(resp.headers["Location"])  # the app's callback
    assert resp.status_code == 303, resp.text
    return str(resp.headers["Location"])


def caseload_launch(running: RunningApp, org: Any, user: str) -> tuple[Page, str]:
    browser = Browser(running.url)
    landing = launch_to(browser, org, user, "")
    assert landing.endswith("/vandaag"), landing  # the launch lands on the start page
    page = Page(browser, running, landing.split("/")[2])
    return page, page.get("/vandaag").text


def caseload_claim(org: Any, user: str) -> list[str]:
    """Her girls as the authorization server counts them (signed memberships in the shared sandbox, which
    earlier tests may have added to: the whole-life stories start girls with hv-buddy-1)."""
    token = request_dev_token(org.auth_url, user)["access_token"]
    body = token.split(".")[1]
    girls = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))[CASELOAD_CLAIM]
    assert {"hv-youth-04", "hv-youth-06"} <= set(girls), girls  # the demo's two
    return list(girls)


def links(html: str) -> dict[str, tuple[str, str]]:
    """The start page's traject links: name -> (path, traject identifier)."""
    return {name.strip(): (path, ident) for path, ident, name in OPEN.findall(html)}


def youth_name(org: Any, patient: str) -> str:
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    res = requests.get(f"{org.fhir_base}/Patient/{patient}", headers=headers, timeout=30).json()
    return str(res["name"][0].get("text") or " ".join([*res["name"][0]["given"], res["name"][0]["family"]]))


def traject_of(org: Any, patient: str) -> str:
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    found = requests.get(
        f"{org.fhir_base}/CarePlan",
        params={"patient": patient, "status": "active"},
        headers=headers,
        timeout=30,
    ).json()
    ids = [
        i["value"]
        for e in found.get("entry") or []
        for i in e["resource"].get("identifier") or []
        if i.get("system", "").endswith("/traject")
    ]
    assert ids, patient
    return str(ids[0])


def test_buddy_caseload_shows_her_girls_and_opens_each(running: RunningApp, prog_org: Any) -> None:
    page, html = caseload_launch(running, prog_org, "hv-buddy-1")
    assert 'data-role="buddy"' in html and 'data-testid="confined"' not in html
    assert "Geen jongere gekozen" in html and "Niet beschikbaar" not in html  # no one youth: none chosen
    found = links(html)
    mine = {youth_name(prog_org, p): p for p in ("hv-youth-04", "hv-youth-06")}
    assert set(mine) <= set(found), (mine, list(found))
    assert youth_name(prog_org, "hv-youth-07") not in html  # hv-buddy-2's girl
    assert html.count('data-testid="girl"') == len(caseload_claim(prog_org, "hv-buddy-1"))
    for name, patient in mine.items():
        before = read_audits(prog_org, patient)
        path, ident = found[name]
        opened = page.browser.get(running.url + path)
        assert opened.status_code == 303, opened.text[:300]
        target = opened.headers["Location"]
        assert f"/t/{ident}/" in target and not target.startswith(f"/l/{page.launch_id}/")
        shown = page.browser.get(running.url + target)
        assert shown.status_code == 200 and name in shown.text, shown.text[-400:]
        journal = page.browser.get(running.url + target + "journaal")
        assert journal.status_code == 200, journal.text[-400:]
        assert read_audits(prog_org, patient) > before  # her journal read is audited, as from any launch


def read_audits(org: Any, patient: str) -> int:
    """hv-buddy-1's journal reads of this youth recorded at the server (AuditEvents by subtype)."""
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    params = {"patient": f"Patient/{patient}", "subtype": "search-type", "_count": "500"}
    found = requests.get(f"{org.fhir_base}/AuditEvent", params=params, headers=headers, timeout=30).json()
    return sum(
        1
        for e in found.get("entry") or []
        if any(
            (a.get("who") or {}).get("reference") == "Practitioner/hv-buddy-1"
            for a in e["resource"].get("agent") or []
        )
    )


def test_buddy_cannot_open_another_buddys_girl_by_url(running: RunningApp, prog_org: Any) -> None:
    page, _html = caseload_launch(running, prog_org, "hv-buddy-1")
    other = page.get(f"/open/{traject_of(prog_org, 'hv-youth-07')}")
    missing = page.get("/open/00000000-0000-4000-8000-000000000000")
    assert other.status_code == missing.status_code == 404
    assert "geen toegang" in other.text and youth_name(prog_org, "hv-youth-07") not in other.text


def test_caseload_is_read_only_and_says_so(running: RunningApp, prog_org: Any) -> None:
    page, html = caseload_launch(running, prog_org, "hv-buddy-1")
    path, ident = next(iter(links(html).values()))
    target = page.browser.get(running.url + path).headers["Location"]
    child = Page(page.browser, running, target.split("/")[2])
    shown = child.get(f"/t/{ident}/")
    assert shown.status_code == 200 and 'data-testid="read-only"' in shown.text  # said before she types
    resp = child.post_as_if_allowed(f"/t/{ident}/contact", {"type": "face-to-face"})
    assert resp.status_code == 403, resp.text[-300:]
    assert "Open de app vanuit het dossier van deze jongere" in resp.text


def test_coach_caseload_shows_the_girls_of_her_two_buddies(running: RunningApp, prog_org: Any) -> None:
    _page, html = caseload_launch(running, prog_org, "hv-coach-1")
    assert 'data-role="coach"' in html
    found = links(html)
    expected = {youth_name(prog_org, p) for p in ("hv-youth-04", "hv-youth-06", "hv-youth-07")}
    assert expected <= set(found), (expected, list(found))
    buddies = set(re.findall(r'<h2>([^<:]+): <a href="/l/[^"]+/open/', html))
    assert len(buddies) == 2, buddies  # her two buddies, by name


def test_coordinator_start_page_links_open_other_girls(running: RunningApp, prog_org: Any) -> None:
    browser = Browser(running.url)
    landing = launch_to(browser, prog_org, "hv-coordinator", "hv-youth-06")
    assert landing.endswith("/vandaag"), landing
    page = Page(browser, running, landing.split("/")[2])
    opened = 0
    for html in (page.get("/vandaag").text, page.get("/overzicht").text):
        for path, ident, name in OPEN.findall(html)[:4]:
            shown = page.get(path.split(page.launch_id, 1)[1])
            assert shown.status_code == 200 and f"/t/{ident}/" in shown.url, (name, shown.status_code)
            assert 'data-testid="read-only"' not in shown.text  # her launch writes (user-level reads aside)
            opened += 1
    assert opened >= 4


def test_standalone_launch_without_a_youth_gives_the_caseload(running: RunningApp, prog_org: Any) -> None:
    browser = Browser(running.url)
    resp = browser.get(running.url + "/launch/standalone")
    resp = browser.get(resp.headers["Location"])
    req = resp.headers["Location"].split("req=", 1)[1]
    resp = browser.post(prog_org.auth_url + "/login", {"req": req, "user": "hv-buddy-1"})
    assert resp.status_code == 303, resp.text
    resp = browser.post(prog_org.auth_url + "/login/patient", {"req": req, "caseload": "1"})
    assert resp.status_code == 302, resp.text
    resp = browser.get(resp.headers["Location"])
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/vandaag"), resp.text
    html = browser.get(running.url + resp.headers["Location"]).text
    assert html.count('data-testid="girl"') == len(caseload_claim(prog_org, "hv-buddy-1"))
