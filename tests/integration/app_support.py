"""Shared by the issue-5 app tests (tests/integration/test_app_*.py, tests/browser/test_*_*.py).

``prog_org``: the session's ``org`` fixture (the full sandbox organisation). For development against an
organisation that is already running, set ``HVOL_EXTERNAL_ORG`` to a JSON file with ``fhir_base``,
``auth_url``, ``app_port`` and ``key_file`` (the authorization server's key), and no second HAPI starts.
A launched page is driven with :class:`Page`: the launch, then GETs and form POSTs with the CSRF token.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.launch_support import Browser, RunningApp, ehr_launch
from tests.sealing_support import journal_text

MARKER_PREFIX = "GEHEIM-JOURNAAL-"


@dataclass
class ExternalOrg:
    fhir_base: str
    auth_url: str
    app_port: int
    key_file: str

    @property
    def launcher_url(self) -> str:
        return self.auth_url + "/launcher"

    @property
    def issuer(self) -> Any:
        from sandbox.auth.settings import load_or_create_key
        from sandbox.tokens import TokenIssuer

        return TokenIssuer(
            issuer=self.auth_url, audience=self.fhir_base, key=load_or_create_key(Path(self.key_file))
        )

    def admin_token(self) -> str:
        return str(self.issuer.admin_token())

    def token_for(self, user: str, patient: str | None = None, scope: str | None = None) -> str:
        from sandbox.auth import request_dev_token

        return str(request_dev_token(self.auth_url, user, patient, scope)["access_token"])


def external_org() -> ExternalOrg | None:
    path = os.environ.get("HVOL_EXTERNAL_ORG")
    if not path:
        return None
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return ExternalOrg(data["fhir_base"], data["auth_url"], int(data["app_port"]), data["key_file"])


def org_or_external(request: pytest.FixtureRequest) -> Any:
    return external_org() or request.getfixturevalue("org")


@dataclass
class Page:
    """One launch of the app for one user and youth, driven over HTTP like a browser would."""

    browser: Browser
    app: RunningApp
    launch_id: str

    def url(self, path: str) -> str:
        return f"{self.app.url}/l/{self.launch_id}{path}"

    def get(self, path: str) -> requests.Response:
        resp = self.browser.get(self.url(path))
        if resp.status_code in (302, 303) and resp.headers.get("Location", "").startswith("/"):
            resp = self.browser.get(self.app.url + resp.headers["Location"])
        return resp

    def post(self, path: str, data: dict[str, Any], *, csrf_from: str | None = None) -> requests.Response:
        """POST a form (with the CSRF token of the page ``csrf_from``, default the same path)."""
        page = self.get(csrf_from or path).text
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
        body = {"csrf_token": token.group(1) if token else "", **data}
        cookies = "; ".join(f"{k}={v}" for k, v in self.browser.cookies.items())
        return self.browser.http.post(
            self.url(path), data=body, headers={"Cookie": cookies}, allow_redirects=False, timeout=60
        )

    def post_as_if_allowed(self, path: str, data: dict[str, Any]) -> requests.Response:
        """POST with a valid CSRF token even where the user has no form to take it from: proves that the
        role check itself refuses, not only the CSRF check."""
        from smart_app import context

        cookies = "; ".join(f"{k}={v}" for k, v in self.browser.cookies.items())
        with self.app.app.test_request_context(headers={"Cookie": cookies}):
            token = context.csrf_token(self.launch_id)
        return self.browser.http.post(
            self.url(path),
            data={"csrf_token": token, **data},
            headers={"Cookie": cookies},
            allow_redirects=False,
            timeout=60,
        )

    def hidden(self, path: str, name: str) -> str:
        resp = self.get(path)
        match = re.search(rf'name="{name}" value="([^"]*)"', resp.text)
        assert match, (name, resp.status_code, re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", resp.text))[-300:])
        return match.group(1)


def launch(app: RunningApp, org: Any, user: str, patient: str) -> Page:
    browser = Browser(app.url)
    landing = ehr_launch(browser, org, user, patient)
    return Page(browser, app, landing.rstrip("/").rsplit("/", 1)[1])


def traject_ident(page: Page) -> str:
    resp = page.get("/programma")
    found = re.findall(r"/t/([0-9a-f-]{36})/", resp.text)
    assert found, resp.text[-500:]
    return found[0]


def journal_texts(org: Any, patient: str) -> list[str]:
    """Every journal text of a youth, read with the loader's token (test oracle only)."""
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    resp = requests.get(
        f"{org.fhir_base}/Communication",
        params={"subject": patient, "_count": "500"},
        headers=headers,
        timeout=60,
    )
    return [journal_text(org, e["resource"]) for e in resp.json().get("entry", [])]


def resources_in(node: Any) -> list[dict[str, Any]]:
    """Every resource anywhere in a FHIR answer (Bundle entries, contained, outcomes), depth first."""
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "resourceType" in node:
            out.append(node)
        for v in node.values():
            out += resources_in(v)
    elif isinstance(node, list):
        for v in node:
            out += resources_in(v)
    return out


def admin_search(org: Any, resource_type: str, **params: str) -> list[dict[str, Any]]:
    """What the EHR holds, read with the loader's token (every label cleared): what a write really left."""
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": "application/fhir+json"}
    resp = requests.get(
        f"{org.fhir_base}/{resource_type}", params={**params, "_count": "200"}, headers=headers, timeout=60
    )
    assert resp.status_code == 200, resp.text
    return [e["resource"] for e in resp.json().get("entry", [])]


def text_of(resp: requests.Response) -> str:
    """A page's visible text, tags dropped and whitespace folded: what the user reads."""
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html.unescape(resp.text)))
