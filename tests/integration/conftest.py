"""Integration helpers: a raw FHIR client per token, on the session's sandbox organisation (``org``, see
tests/conftest.py: authorization server + HAPI + demo data)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.org import Organisation

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "mappings"
FHIR_JSON = "application/fhir+json"


Org = Organisation  # the session fixture ``org`` lives in tests/conftest.py


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


@pytest.fixture(scope="session")
def fhir(org: Org) -> Callable[[str | None], FhirClient]:
    """fhir(token) -> a client on the session's FHIR base."""
    return lambda token: FhirClient(org.fhir_base, token)


@pytest.fixture(scope="session")
def admin(org: Org, fhir: Callable[[str | None], FhirClient]) -> FhirClient:
    return fhir(org.admin_token())
