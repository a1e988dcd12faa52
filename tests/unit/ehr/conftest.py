"""A FHIR client against ``responses``: no network, no real waiting (sleeps are recorded, not slept)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import responses

from hvol_fhir.ehr import FhirClient, RoundTripCounter

BASE = "https://ehr.example.org/fhir"
TOKEN = "token-one"
FHIR_JSON = "application/fhir+json;charset=utf-8"


@dataclass
class Rig:
    client: FhirClient
    mock: responses.RequestsMock
    counter: RoundTripCounter
    sleeps: list[float] = field(default_factory=list)
    refreshed: list[str | None] = field(default_factory=list)

    def add(self, method: str, path: str, status: int = 200, body: Any = None, **kw: Any) -> None:
        """Queue one answer; answers for the same URL are given in the order they were queued."""
        url = path if path.startswith("http") else f"{BASE}/{path}".rstrip("/")
        if isinstance(body, Exception):
            self.mock.add(method, url, body=body)
        elif body is None or isinstance(body, (str, bytes)):
            self.mock.add(
                method, url, status=status, body=body or "", content_type=kw.pop("ct", FHIR_JSON), **kw
            )
        else:
            self.mock.add(method, url, status=status, json=body, content_type=FHIR_JSON, **kw)

    @property
    def calls(self) -> list[Any]:
        return list(self.mock.calls)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as m:
        yield m


@pytest.fixture
def rig(mock: responses.RequestsMock) -> Rig:
    counter = RoundTripCounter()
    sleeps: list[float] = []
    refreshed: list[str | None] = []

    def on_unauthorized(rejected: str | None) -> str:
        refreshed.append(rejected)
        return f"token-{len(refreshed) + 1}"

    client = FhirClient(BASE, TOKEN, counter=counter, on_unauthorized=on_unauthorized, sleep=sleeps.append)
    return Rig(client, mock, counter, sleeps, refreshed)


def patient(pid: str = "p1", version: str = "1", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "meta": {"versionId": version}, **extra}


def outcome(code: str, *, diagnostics: str = "", expression: list[str] | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": code}
    if diagnostics:
        issue["diagnostics"] = diagnostics
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def searchset(resources: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    links = [{"relation": "self", "url": f"{BASE}/Patient"}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }
