"""A fake EHR (FHIR base + authorization server) on ``responses``, with real crypto on both sides.

The fake checks what a strict SMART server checks (client assertion, PKCE, redirect_uri, aud, single-use
codes, rotating refresh tokens) and records every token request, so tests assert on what the client sent.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from hvol_fhir.privacy.features import FEATURES
from hvol_fhir.smart import (
    ClientRegistration,
    IssuerRegistry,
    MemoryLaunchStore,
    PrivateKeyJwt,
    SmartLauncher,
)

BASE = "https://ehr.example.org/fhir"
AUTH = "https://auth.example.org"
AUTHORIZE = f"{AUTH}/authorize"
TOKEN = f"{AUTH}/token"
JWKS = f"{AUTH}/jwks"
CLIENT_ID = "hvol-app"
REDIRECT = "https://app.example.org/callback"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class FakeClock:
    """Wall-clock time that only moves when a test moves it."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class FakeEhr:
    clock: FakeClock
    app_keys: KeySet
    base: str = BASE
    capabilities: list[str] = field(
        default_factory=lambda: [
            "launch-ehr",
            "launch-standalone",
            "client-confidential-asymmetric",
            "context-ehr-patient",
            "sso-openid-connect",
            "permission-v2",
            "permission-v1",
        ]
    )
    issuer_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "iss-1"}))
    context: dict[str, Any] = field(
        default_factory=lambda: {"patient": "youth-1", "encounter": "enc-1", "need_patient_banner": False}
    )
    fhir_user: str = "Practitioner/pr-1"
    expires_in: Any = 3600
    narrow: Callable[[str], str] | None = None  # turns the requested scope into the granted one
    refuse_refresh: bool = False
    honour_refresh_scope: bool = False  # grant the scope a refresh asks for (a subset), else the old grant
    issue_refresh: bool = True
    client_secret: str | None = None  # accept client_secret_basic with this secret
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_forms: list[dict[str, str]] = field(default_factory=list)
    token_headers: list[dict[str, str]] = field(default_factory=list)
    seen_jti: set[str] = field(default_factory=set)
    issued: list[str] = field(default_factory=list)

    # -- what the EHR serves ----------------------------------------------------------------------------

    def smart_configuration(self) -> dict[str, Any]:
        return {
            "issuer": AUTH,
            "jwks_uri": JWKS,
            "authorization_endpoint": AUTHORIZE,
            "token_endpoint": TOKEN,
            "capabilities": self.capabilities,
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        }

    def register(self, rsps: responses.RequestsMock) -> None:
        rsps.add_callback(
            responses.GET,
            f"{self.base}/.well-known/smart-configuration",
            callback=lambda req: (
                200,
                {"Content-Type": "application/json"},
                _json(self.smart_configuration()),
            ),
        )
        rsps.add_callback(
            responses.GET,
            JWKS,
            callback=lambda req: (200, {}, _json({"keys": [self.issuer_key.as_dict(private=False)]})),
        )
        rsps.add_callback(responses.POST, TOKEN, callback=self._token)

    # -- the user's browser at the authorization endpoint ---------------------------------------------------

    def authorize(self, url: str) -> dict[str, str]:
        """Play the user consenting: validate the request and return the redirect's query parameters."""
        assert url.startswith(AUTHORIZE + "?")
        q = {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
        assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
        assert q["redirect_uri"] == REDIRECT and q["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"query": q, "used": False}
        return {"code": code, "state": q["state"]}

    # -- the token endpoint --------------------------------------------------------------------------------

    def _token(self, req: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        form = {k: v[0] for k, v in parse_qs(str(req.body)).items()}
        self.token_forms.append(form)
        self.token_headers.append(dict(req.headers))
        if not self._client_ok(form):
            return _error(401, "invalid_client")
        if form.get("grant_type") == "authorization_code":
            entry = self.codes.get(form.get("code", ""))
            if entry is None or entry["used"]:
                return _error(400, "invalid_grant", "code unknown or already used")
            entry["used"] = True
            q = entry["query"]
            if (
                form.get("redirect_uri") != q["redirect_uri"]
                or s256(form.get("code_verifier", "")) != q["code_challenge"]
            ):
                return _error(400, "invalid_grant", "redirect_uri or PKCE mismatch")
            return self._issue(q["scope"], q.get("nonce"))
        if form.get("grant_type") == "refresh_token":
            entry = self.refresh_tokens.get(form.get("refresh_token", ""))
            asked = form.get("scope")
            if (
                entry
                and asked
                and self.honour_refresh_scope
                and not set(asked.split()) <= set(entry["scope"].split())
            ):
                return _error(400, "invalid_scope", "not within the grant (compared as strings)")
            entry = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if entry is None or self.refuse_refresh:
                return _error(400, "invalid_grant", "refresh token expired")
            return self._issue(asked if asked and self.honour_refresh_scope else entry["scope"], None)
        if form.get("grant_type") == "client_credentials":
            return self._issue(form["scope"], None, backend=True)
        return _error(400, "unsupported_grant_type")

    def _client_ok(self, form: dict[str, str]) -> bool:
        if "client_id" in form:  # confidential clients never send it (R72)
            return False
        basic = self.token_headers[-1].get("Authorization", "")
        if self.client_secret and basic:
            return basic == "Basic " + base64.b64encode(f"{CLIENT_ID}:{self.client_secret}".encode()).decode()
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return False
        token = jwt.decode(form["client_assertion"], self.app_keys, algorithms=["RS384", "ES384"])
        c = token.claims
        ok = (
            c["iss"] == c["sub"] == CLIENT_ID
            and c["aud"] == TOKEN
            and c["exp"] <= self.clock() + 300
            and c["jti"] not in self.seen_jti
        )
        self.seen_jti.add(c["jti"])
        return ok

    def _issue(self, scope: str, nonce: str | None, backend: bool = False) -> tuple[int, dict[str, str], str]:
        granted = self.narrow(scope) if self.narrow else scope
        access = "at-" + secrets.token_urlsafe(12)
        self.issued.append(access)
        body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "scope": granted}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        if backend:
            return 200, {}, _json(body)
        body.update(self.context)
        if self.issue_refresh and ("online_access" in granted or "offline_access" in granted):
            refresh = "rt-" + secrets.token_urlsafe(12)
            self.refresh_tokens[refresh] = {"scope": granted}
            body["refresh_token"] = refresh
        if nonce is not None and "openid" in granted.split():
            body["id_token"] = self.id_token(nonce=nonce)
        return 200, {}, _json(body)

    def id_token(self, *, key: Any = None, alg: str = "RS256", **overrides: Any) -> str:
        now = int(self.clock())
        claims = {
            "iss": AUTH,
            "sub": "user-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "fhirUser": self.fhir_user,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        signing = key or self.issuer_key
        return jwt.encode({"alg": alg, "kid": signing.kid, "typ": "JWT"}, claims, signing, algorithms=[alg])


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj)


def _error(status: int, error: str, description: str = "") -> tuple[int, dict[str, str], str]:
    return (
        status,
        {"Content-Type": "application/json"},
        _json({"error": error, "error_description": description}),
    )


# -- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "app-rsa"}, private=True)


@pytest.fixture(scope="session")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-384", parameters={"kid": "app-ec"}, private=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def ehr(clock: FakeClock, rsa_key: RSAKey, ec_key: ECKey, rsps: responses.RequestsMock) -> FakeEhr:
    fake = FakeEhr(clock=clock, app_keys=KeySet([rsa_key, ec_key]))
    fake.register(rsps)
    return fake


@pytest.fixture
def registration(rsa_key: RSAKey, clock: FakeClock) -> ClientRegistration:
    return ClientRegistration(
        issuer=BASE,
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT,
        auth=PrivateKeyJwt(CLIENT_ID, rsa_key, clock=clock),
    )


@pytest.fixture
def launcher(registration: ClientRegistration, clock: FakeClock, ehr: FakeEhr) -> SmartLauncher:
    return SmartLauncher(
        IssuerRegistry([registration]), MemoryLaunchStore(clock=clock), clock=clock, catalog=FEATURES
    )
