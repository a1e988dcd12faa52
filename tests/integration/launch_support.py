"""The app served in-process on the port the sandbox organisation registered it with, and a tiny browser.

Used by ``test_launch_*.py`` and ``tests/browser/test_launch_browser.py``. Needs the session fixture ``org``
(``sandbox.org.start_organisation("A", …, clients=sandbox.demo_app.app_clients(port), demo_data=True)``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from smart_app import create_app

CLIENT_ID = "hvol-app"


def registered_app_port(org: Any) -> int:
    """The port in the launch URL the organisation registered for the app (sandbox.demo_app.app_clients)."""
    if not hasattr(org, "auth_url"):
        pytest.skip("the org fixture has no authorization server yet (tests/integration/conftest.py)")
    port = getattr(org, "app_port", None)
    if port:
        return int(port)
    for client in (getattr(org, "settings", {}) or {}).get("clients", []):
        if client.get("client_id") == CLIENT_ID:
            return int(urlsplit(client["launch_url"]).port or 80)
    pytest.skip("the org fixture did not register the app (clients=sandbox.demo_app.app_clients(port))")


@dataclass
class RunningApp:
    url: str
    app: Flask

    @property
    def store(self) -> Any:
        return self.app.extensions["hvol"].store


@contextmanager
def serve_app(org: Any, workdir: Path, **config: Any) -> Iterator[RunningApp]:
    port = registered_app_port(org)
    url = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            "HVOL_APP_URL": url,
            "HVOL_ISSUERS": org.fhir_base,
            "HVOL_SANDBOX": True,
            "HVOL_KEY_FILE": str(workdir / "app-key.json"),
            "HVOL_VAULT_FILES": {org.fhir_base: str(org.vault_file)},
            "HVOL_SESSION_STORE": "sqlite:///" + str(workdir / "sessions.sqlite3"),
            **config,
        }
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningApp(url, app)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Browser:
    """Follows redirects by hand and keeps the app's Secure cookie on http://127.0.0.1, as Chromium does
    (``requests`` would not send a Secure cookie over plain http)."""

    app_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    http: requests.Session = field(default_factory=requests.Session)

    def get(self, url: str) -> requests.Response:
        headers = {}
        if url.startswith(self.app_url) and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        resp = self.http.get(url, headers=headers, allow_redirects=False, timeout=60)
        if url.startswith(self.app_url):
            for cookie in resp.raw.headers.getlist("Set-Cookie") if resp.raw else []:
                name, _, rest = cookie.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return resp

    def post(self, url: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(url, data=data, allow_redirects=False, timeout=60)

    def follow(self, resp: requests.Response, base: str) -> requests.Response:
        location = resp.headers["Location"]
        return self.get(location if location.startswith("http") else base + location)


def home_of(location: str) -> str:
    """The launch's home page (``/l/<id>/``) from where the callback sent the browser: since issue 15 a role
    with a start page lands on ``/l/<id>/vandaag``. Tests build the launch's other pages from the home."""
    return re.sub(r"/vandaag$", "/", location)


def ehr_launch(browser: Browser, org: Any, user: str, patient: str) -> str:
    """Launcher -> app /launch -> authorize -> callback; returns the launch's home page URL."""
    resp = browser.post(
        org.auth_url + "/launcher", {"client_id": CLIENT_ID, "user": user, "patient": patient}
    )
    assert resp.status_code == 303, resp.text
    resp = browser.get(resp.headers["Location"])  # app /launch
    assert resp.status_code == 302, resp.text
    resp = browser.get(resp.headers["Location"])  # authorize: EHR launch needs no login
    assert resp.status_code == 302, resp.text
    resp = browser.get(resp.headers["Location"])  # app callback
    assert resp.status_code == 303, resp.text
    return browser.app_url + home_of(resp.headers["Location"])


def standalone_launch(browser: Browser, org: Any, user: str, patient: str) -> str:
    resp = browser.get(browser.app_url + "/launch/standalone")
    assert resp.status_code == 302, resp.text
    resp = browser.get(resp.headers["Location"])
    assert resp.status_code == 303, resp.text  # to /login
    req = resp.headers["Location"].split("req=", 1)[1]
    resp = browser.post(org.auth_url + "/login", {"req": req, "user": user})
    assert resp.status_code == 303, resp.text  # to /login/patient
    resp = browser.post(org.auth_url + "/login/patient", {"req": req, "patient": patient})
    assert resp.status_code == 302, resp.text
    resp = browser.get(resp.headers["Location"])
    assert resp.status_code == 303, resp.text
    return browser.app_url + home_of(resp.headers["Location"])
