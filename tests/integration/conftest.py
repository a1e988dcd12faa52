"""Integration fixtures: one real sandbox organisation per test session.

For now ``org`` is HAPI plus a JWKS stub that serves the keys of a :class:`sandbox.tokens.TokenIssuer`;
the interface (``fhir_base``, ``issuer``, ``admin_token()``) stays when the fixture moves onto the full
organisation (authorization server + demo data).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.hapi import HapiServer, ensure_built, free_port, load_conformance, start_hapi
from sandbox.jwks_stub import JwksStub
from sandbox.tokens import TokenIssuer

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "mappings"
TEST_CONFORMANCE = ROOT / "tests" / "data" / "hapi"
LOG_DIR = ROOT / ".sandbox" / "logs"
FHIR_JSON = "application/fhir+json"


@dataclass
class Org:
    """One sandbox organisation as the tests see it."""

    fhir_base: str
    issuer: TokenIssuer
    hapi: HapiServer
    jwks: JwksStub

    def admin_token(self) -> str:
        return self.issuer.admin_token()


class FhirClient:
    """Minimal FHIR REST client for tests: every call returns the raw response."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["Accept"] = FHIR_JSON
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}/{path}".rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        content_type: str = FHIR_JSON,
    ) -> requests.Response:
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            hdrs.setdefault("Content-Type", content_type)
            data = json.dumps(body)
        return self.http.request(method, self.url(path), data=data, headers=hdrs, timeout=120)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> requests.Response:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> requests.Response:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)


def _test_conformance() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(TEST_CONFORMANCE.glob("*.json"))]


@pytest.fixture(scope="session")
def org() -> Iterator[Org]:
    ensure_built()
    issuers: list[TokenIssuer] = []
    jwks = JwksStub(lambda: issuers[0].jwks()).start()
    hapi: HapiServer | None = None
    try:
        port = free_port()
        issuer = TokenIssuer(issuer=jwks.base_url, audience=f"http://127.0.0.1:{port}/fhir")
        issuers.append(issuer)
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        hapi = start_hapi(
            issuer=jwks.base_url,
            audience_host="127.0.0.1",
            jwks_url=jwks.url,
            authorize_url=jwks.base_url + "/authorize",
            token_url=jwks.base_url + "/token",
            port=port,
            log_path=LOG_DIR / "hapi-integration.log",
        )
        issuer.audience = hapi.base_url  # the port may have moved if it was taken meanwhile
        token = issuer.admin_token()
        # Conformance resources before any data (HAPI 8 caches failed profile lookups).
        load_conformance(hapi.base_url, token, MAPPINGS, extra=_test_conformance())
        _warm_up(hapi.base_url, token)
        yield Org(fhir_base=hapi.base_url, issuer=issuer, hapi=hapi, jwks=jwks)
    finally:
        if hapi is not None:
            hapi.stop()
        jwks.stop()


def _warm_up(base: str, token: str) -> None:
    """The first validation loads the R4 core definitions (seconds); pay that once, here."""
    body = {"resourceType": "Patient", "name": [{"family": "Opwarmen"}]}
    resp = FhirClient(base, token).post("Patient/$validate", body)
    assert resp.status_code == 200, resp.text


@pytest.fixture(scope="session")
def fhir(org: Org) -> Callable[[str | None], FhirClient]:
    """fhir(token) -> a client on the session's FHIR base."""
    return lambda token: FhirClient(org.fhir_base, token)


@pytest.fixture(scope="session")
def admin(org: Org, fhir: Callable[[str | None], FhirClient]) -> FhirClient:
    return fhir(org.admin_token())
