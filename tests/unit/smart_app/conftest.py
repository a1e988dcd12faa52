"""A sandbox authorization server in-process on a real port, a fake FHIR server on ``responses`` for the
CareTeam / PractitionerRole / Patient reads, and the app built around them.

The fake FHIR server checks the bearer token (signature, ``exp``, scopes) the way the sandbox's HAPI does, and
records the scopes of every token it saw, so tests can assert that the app narrowed its grant.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey

from hvol_fhir import terminology as t
from hvol_fhir.privacy.roles import CARETEAM_ROLE_SYSTEM
from hvol_fhir.sealing import keys as vault
from hvol_fhir.sealing import membership
from hvol_fhir.sealing.vaults import Vaults
from hvol_fhir.smart import load_signing_key
from sandbox.auth import make_auth_server
from sandbox.auth.directory import COORDINATOR
from sandbox.auth.discovery import smart_configuration
from sandbox.auth.scopes import parse_resource_scope
from sandbox.auth.testing import FHIR_BASE, app_client, make_settings
from sandbox.demo_app import APP_SCOPES
from sandbox.hapi import free_port
from sandbox.tokens import TokenIssuer
from smart_app import create_app
from smart_app.sessions import AppLaunchStore, MemoryAppStore

APP_URL = "http://127.0.0.1:5099"
CALLBACK = APP_URL + "/launch/callback"


class FakeClock:
    """Wall-clock time for the app that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def app_key() -> Any:
    return load_signing_key(
        RSAKey.generate_key(2048, parameters={"kid": "app-test"}, private=True).as_dict(private=True)
    )


@dataclass
class AuthServer:
    url: str
    settings: Any
    server: Any
    thread: threading.Thread

    @property
    def store(self) -> Any:
        return self.server.app.extensions["hvol_auth"].store

    def launch_url(self, user: str, patient: str | None, **form: str) -> str:
        """Press "start" in the launcher: the EHR-launch URL of the app (``…/launch?iss=…&launch=…``)."""
        data = {"client_id": "hvol-app", "user": user, "patient": patient or "", **form}
        resp = requests.post(self.url + "/launcher", data=data, allow_redirects=False, timeout=10)
        assert resp.status_code == 303, resp.text
        return str(resp.headers["Location"])


@pytest.fixture
def key() -> Any:
    return app_key()


@pytest.fixture
def auth_scope(request: pytest.FixtureRequest) -> str:
    """The scopes the sandbox allows the app (parametrise indirectly to grant less)."""
    return str(getattr(request, "param", APP_SCOPES))


@pytest.fixture
def auth(key: Any, auth_scope: str) -> Iterator[AuthServer]:
    port = free_port()
    issuer_url = f"http://127.0.0.1:{port}"
    client = app_client(
        auth_method="private_key_jwt",
        client_secret=None,
        jwks={"keys": [key.as_dict(private=False)]},
        redirect_uris=(CALLBACK,),
        launch_url=APP_URL + "/launch",
        standalone_url=APP_URL + "/launch/standalone",
        scope=tuple(auth_scope.split()),
    )
    settings = make_settings(
        [client], issuer=issuer_url, token_issuer=TokenIssuer(issuer=issuer_url, audience=FHIR_BASE)
    )
    server = make_auth_server(settings, port=port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield AuthServer(issuer_url, settings, server, thread)
    finally:
        server.shutdown()
        server.server_close()


# --- fake FHIR --------------------------------------------------------------------------------------------


@dataclass
class FakeFhir:
    """Answers the reads of role discovery and the landing page from the auth server's directory."""

    auth: AuthServer
    seen_scopes: list[tuple[str, frozenset[str]]] = field(default_factory=list)  # (resource type, scopes)
    discovery: Any = None  # override the smart-configuration body (None: the real one)
    discovery_status: int = 200
    rsps: Any = None

    def register(self, rsps: responses.RequestsMock) -> None:
        self.rsps = rsps
        rsps.add_passthru(self.auth.url)
        rsps.add_callback(
            responses.GET, f"{FHIR_BASE}/.well-known/smart-configuration", callback=self._discovery
        )
        rsps.add_callback(responses.GET, re.compile(re.escape(FHIR_BASE) + r"/\w+.*"), callback=self._fhir)

    def _discovery(self, request: Any) -> tuple[int, dict[str, str], str]:
        import json

        body = self.discovery if self.discovery is not None else smart_configuration(self.auth.settings)
        text = body if isinstance(body, str) else json.dumps(body)
        return self.discovery_status, {"Content-Type": "application/json"}, text

    def _fhir(self, request: Any) -> tuple[int, dict[str, str], str]:
        import json

        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        try:
            claims = self.auth.settings.token_issuer.decode(token)
        except Exception:  # noqa: BLE001 - any bad token is a 401 here
            return 401, {}, ""
        if claims.get("exp", 0) < time.time():
            return 401, {}, ""
        scopes = frozenset(str(claims.get("scope", "")).split())
        path = urlsplit(request.url).path.removeprefix(urlsplit(FHIR_BASE).path).strip("/")
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        rtype, _, rid = path.partition("/")
        self.seen_scopes.append((rtype, scopes))
        if not _allowed(scopes, rtype, "r" if rid else "s"):
            return 403, {}, json.dumps({"resourceType": "OperationOutcome"})
        body = self._answer(rtype, rid, query, claims)
        if body is None:
            return 404, {}, ""
        return 200, {"Content-Type": "application/fhir+json"}, json.dumps(body)

    def _answer(self, rtype: str, rid: str, query: dict[str, str], claims: dict[str, Any]) -> Any:
        d = self.auth.settings.directory
        if rtype == "Patient" and rid:
            youth = d.youth(rid)
            if youth is None or (claims.get("patient") and claims["patient"] != rid):
                return None
            res: dict[str, Any] = {"resourceType": "Patient", "id": youth.id, "name": [{"text": youth.name}]}
            if youth.birth_date:
                res["birthDate"] = youth.birth_date.isoformat()
            return res
        if rtype == "Practitioner" and rid:
            user = d.user(rid)
            return (
                {"resourceType": "Practitioner", "id": rid, "name": [{"text": user.name}]} if user else None
            )
        if rtype == "CareTeam":
            pid = query.get("patient", "")
            members = [
                {"member": {"reference": u.fhir_user}, "role": [_role(m.role)]}
                for u in d.users()
                for m in u.memberships
                if m.patient_id == pid and m.active
            ]
            team = {
                "resourceType": "CareTeam",
                "id": f"ct-{pid}",
                "identifier": [{"system": t.sid("careteam"), "value": f"ct-{pid}"}],
                "status": "active",
                "subject": {"reference": f"Patient/{pid}"},
                "participant": members,
            }
            # memberships as the app writes them: signed by the coordinator (issue 12)
            return _bundle([membership.sign_careteam(RING, team, "Practitioner/c")] if members else [])
        if rtype == "PractitionerRole":
            ref = query.get("practitioner", "")
            roles = [
                membership.sign_role(
                    RING,
                    {
                        "resourceType": "PractitionerRole",
                        "id": f"{u.id}-role",
                        "active": True,
                        "practitioner": {"reference": u.fhir_user},
                        "code": [_role(COORDINATOR)],
                    },
                    "Practitioner/c",
                )
                for u in d.users()
                if u.coordinator and u.fhir_user == ref
            ]
            return _bundle(roles)
        return None


def tamper_token_response(fake: FakeFhir, change: Any) -> list[dict[str, Any]]:
    """Route POST /token through the real server, then let ``change(body)`` spoil the JSON it returns."""
    import json

    seen: list[dict[str, Any]] = []
    test_client = fake.auth.server.app.test_client()

    def forward(request: Any) -> tuple[int, dict[str, str], str]:
        form = {
            k: v[0]
            for k, v in parse_qs(
                request.body if isinstance(request.body, str) else (request.body or b"").decode()
            ).items()
        }
        resp = test_client.post("/token", data=form)
        body = resp.get_json()
        seen.append(form)
        if resp.status_code == 200 and form.get("grant_type") == "authorization_code":
            body = change(body)
        return resp.status_code, {"Content-Type": "application/json"}, json.dumps(body)

    fake.rsps.add_callback(responses.POST, fake.auth.url + "/token", callback=forward)
    return seen


def _role(code: str) -> dict[str, Any]:
    return {"coding": [{"system": CARETEAM_ROLE_SYSTEM, "code": code}]}


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


def _allowed(scopes: frozenset[str], rtype: str, letter: str) -> bool:
    for scope in scopes:
        parsed = parse_resource_scope(scope)
        if parsed and parsed.resource_type in (rtype, "*") and letter in parsed.permissions:
            return True
    return False


@pytest.fixture
def fhir(auth: AuthServer) -> Iterator[FakeFhir]:
    fake = FakeFhir(auth)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.register(rsps)
        yield fake


# --- the app ------------------------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


RING = vault.generate("unit")  # the organisation's key ring in these tests


@dataclass
class MemoryKeyStore:
    ring: vault.KeyRing

    def load(self) -> vault.KeyRing:
        return self.ring

    def save(self, ring: vault.KeyRing) -> None:
        self.ring = ring


def make_app(
    key: Any, tmp_path: Path, clock: FakeClock, store: AppLaunchStore | None = None, **overrides: Any
) -> Flask:
    config: dict[str, Any] = {
        "TESTING": True,
        "HVOL_APP_URL": APP_URL,
        "HVOL_ISSUERS": FHIR_BASE,
        "HVOL_SANDBOX": True,
        "HVOL_SIGNING_KEY": key,
        "HVOL_STORE": store or MemoryAppStore(clock),
        "HVOL_CLOCK": clock,
        "HVOL_KEY_FILE": str(tmp_path / "unused-key.json"),
        "HVOL_VAULTS": Vaults({FHIR_BASE: MemoryKeyStore(RING)}),
        **overrides,
    }
    return create_app(config)


@pytest.fixture
def app(key: Any, tmp_path: Path, clock: FakeClock, fhir: FakeFhir) -> Flask:
    return make_app(key, tmp_path, clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- driving a launch ---------------------------------------------------------------------------------------


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def to_authorize(client: FlaskClient, launch_url: str) -> str:
    """App side of /launch: returns the authorize URL the app redirects to."""
    resp = client.get(path_of(launch_url))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return str(resp.headers["Location"])


def authorize(authorize_url: str, user: str | None = None, patient: str | None = None) -> str:
    """The authorization server's side: login, patient choice, redirect back; returns the callback URL."""
    resp = requests.get(authorize_url, allow_redirects=False, timeout=10)
    while resp.status_code == 303:
        target = resp.headers["Location"]
        url = target if target.startswith("http") else authorize_url.split("/authorize")[0] + target
        req = parse_qs(urlsplit(url).query)["req"][0]
        if urlsplit(url).path == "/login":
            resp = requests.post(url, data={"req": req, "user": user}, allow_redirects=False, timeout=10)
        else:
            resp = requests.post(
                url, data={"req": req, "patient": patient}, allow_redirects=False, timeout=10
            )
    assert resp.status_code == 302, resp.text
    return str(resp.headers["Location"])


def ehr_launch(client: FlaskClient, auth: AuthServer, user: str, patient: str | None) -> str:
    """Launcher -> app /launch -> authorize -> app callback; returns the landing page path."""
    callback = authorize(to_authorize(client, auth.launch_url(user, patient)))
    resp = client.get(path_of(callback))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return home_of(str(resp.headers["Location"]))


def home_of(location: str) -> str:
    """The launch home page from the callback redirect (issue 15: a role with a start page lands there)."""
    return location.removesuffix("vandaag")


def launch_id_of(page: str) -> str:
    return page.strip("/").split("/")[1]
