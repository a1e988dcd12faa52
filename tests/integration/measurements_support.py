"""Shared by tests/integration/test_measurements_*.py and tests/browser/test_measurement_*.py.

``measurement_org``: the session's ``org`` with the demo measurements of ``sandbox.demo_measurements`` loaded
(PUT on fixed ids with the loader's token, so it is harmless when ``sandbox/demo_data.py`` already loads
them).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from sandbox import demo_measurements
from sandbox.demo_data import transactions

FHIR_JSON = "application/fhir+json"


def load_demo_measurements(org: Any) -> list[dict[str, Any]]:
    resources = demo_measurements.resources(org.scenario)
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
    for tx in transactions(resources, org.fhir_base):
        resp = requests.post(org.fhir_base, data=json.dumps(tx), headers=headers, timeout=300)
        assert resp.status_code == 200, resp.text[:3000]
    return resources


@pytest.fixture(scope="session")
def measurement_org(org: Any) -> Any:
    org.demo_measurements = load_demo_measurements(org)
    return org


def admin_get(org: Any, path: str, **params: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": FHIR_JSON}
    return requests.get(f"{org.fhir_base}/{path}", params=params, headers=headers, timeout=60)


def admin_search(org: Any, resource_type: str, **params: str) -> list[dict[str, Any]]:
    """Every match, following the server's next links (test oracle with the loader's token)."""
    headers = {"Authorization": f"Bearer {org.admin_token()}", "Accept": FHIR_JSON}
    resp = admin_get(org, resource_type, _count="200", **params)
    out: list[dict[str, Any]] = []
    while True:
        assert resp.status_code == 200, resp.text[:1000]
        page = resp.json()
        out += [
            e["resource"]
            for e in page.get("entry", [])
            if e.get("search", {}).get("mode", "match") == "match"
        ]
        nxt = next((link["url"] for link in page.get("link", []) if link.get("relation") == "next"), None)
        if not nxt:
            return out
        resp = requests.get(nxt, headers=headers, timeout=60)
