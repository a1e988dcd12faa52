"""Authentication: static token, token function, requests auth object; the 401 hook runs once per call."""

from __future__ import annotations

import pytest
import requests
import responses

from hvol_fhir.ehr import FhirClient, SessionExpired
from hvol_fhir.errors import NotAllowed

from .conftest import BASE, TOKEN, Rig, patient


def _auth_headers(rig_or_mock: responses.RequestsMock) -> list[str | None]:
    return [c.request.headers.get("Authorization") for c in rig_or_mock.calls]


def test_static_token_is_sent_with_fhir_json_headers(rig: Rig) -> None:
    rig.add("POST", "Patient", 201, patient())
    rig.client.create({"resourceType": "Patient"})
    sent = rig.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Accept"] == "application/fhir+json"
    assert sent.headers["Content-Type"].startswith("application/fhir+json")


def test_401_calls_the_hook_once_with_the_rejected_token_and_resends(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 401)
    rig.add("GET", "Patient/p1", 200, patient())
    assert rig.client.read("Patient", "p1")["id"] == "p1"
    assert rig.refreshed == [TOKEN]
    assert _auth_headers(rig.mock) == [f"Bearer {TOKEN}", "Bearer token-2"]
    rig.add("GET", "Patient/p2", 200, patient("p2"))
    rig.client.read("Patient", "p2")  # the fresh token stays in use
    assert _auth_headers(rig.mock)[-1] == "Bearer token-2"


def test_a_second_401_is_session_expired_without_a_second_hook_call(rig: Rig) -> None:
    rig.add("GET", "Patient/p1", 401)
    rig.add("GET", "Patient/p1", 401)
    rig.add("GET", "Patient/p1", 200, patient())
    with pytest.raises(SessionExpired) as info:
        rig.client.read("Patient", "p1")
    assert rig.refreshed == [TOKEN]
    assert len(rig.calls) == 2
    assert isinstance(info.value, NotAllowed) and info.value.http_status == 401
    assert "opnieuw vanuit het dossier" in info.value.message_nl


def test_a_plain_post_rejected_with_401_is_resent_once(rig: Rig) -> None:
    # A 401 means the server did not act on it, so resending cannot duplicate.
    rig.add("POST", "Encounter", 401)
    rig.add("POST", "Encounter", 201, {"resourceType": "Encounter", "id": "e1"})
    assert rig.client.create({"resourceType": "Encounter"}).created
    assert len(rig.calls) == 2


def test_without_a_hook_401_is_final(mock: responses.RequestsMock) -> None:
    mock.add("GET", f"{BASE}/Patient/p1", status=401)
    with pytest.raises(SessionExpired):
        FhirClient(BASE, "t").read("Patient", "p1")
    assert len(mock.calls) == 1


def test_hook_errors_reach_the_caller(mock: responses.RequestsMock) -> None:
    class Relaunch(Exception):
        pass

    def hook(rejected: str | None) -> str:
        raise Relaunch(rejected)

    mock.add("GET", f"{BASE}/Patient/p1", status=401)
    with pytest.raises(Relaunch):
        FhirClient(BASE, "t", on_unauthorized=hook).read("Patient", "p1")


def test_token_function_is_asked_on_every_send(mock: responses.RequestsMock) -> None:
    tokens = iter(["a", "b"])
    current = {"token": next(tokens)}

    def hook(rejected: str | None) -> None:
        assert rejected == current["token"]
        current["token"] = next(tokens)

    client = FhirClient(BASE, lambda: current["token"], on_unauthorized=hook)
    mock.add("GET", f"{BASE}/Patient/p1", status=401)
    mock.add("GET", f"{BASE}/Patient/p1", json=patient(), content_type="application/fhir+json")
    client.read("Patient", "p1")
    assert _auth_headers(mock) == ["Bearer a", "Bearer b"]


def test_requests_auth_object_like_backend_services(mock: responses.RequestsMock) -> None:
    class Backend(requests.auth.AuthBase):
        """Shaped like hvol_fhir.smart.backend.BackendServicesClient: caches, invalidates on 401."""

        def __init__(self) -> None:
            self.issued = 0
            self.token: str | None = None

        def invalidate(self, rejected: str | None = None) -> None:
            if rejected == self.token:
                self.token = None

        def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
            if self.token is None:
                self.issued += 1
                self.token = f"system-{self.issued}"
            r.headers["Authorization"] = f"Bearer {self.token}"
            return r

    backend = Backend()

    def hook(rejected: str | None) -> None:
        backend.invalidate(rejected)

    client = FhirClient(BASE, backend, on_unauthorized=hook)
    mock.add("GET", f"{BASE}/Patient/p1", status=401)
    mock.add("GET", f"{BASE}/Patient/p1", json=patient(), content_type="application/fhir+json")
    client.read("Patient", "p1")
    assert _auth_headers(mock) == ["Bearer system-1", "Bearer system-2"]


def test_no_auth_for_open_endpoints(mock: responses.RequestsMock) -> None:
    mock.add(
        "GET",
        f"{BASE}/metadata",
        json={"resourceType": "CapabilityStatement"},
        content_type="application/fhir+json",
    )
    assert FhirClient(BASE).capabilities()["resourceType"] == "CapabilityStatement"
    assert "Authorization" not in mock.calls[0].request.headers


def test_repr_never_shows_the_token() -> None:
    client = FhirClient(BASE, "secret-token-value")
    assert "secret" not in repr(client) and "secret" not in repr(client.transport)


def test_a_token_never_goes_over_plain_http_to_another_host() -> None:
    from hvol_fhir.smart.errors import InsecureTransport

    with pytest.raises(InsecureTransport):
        FhirClient("http://ehr.example.org/fhir", "t")
    FhirClient("http://127.0.0.1:8802/fhir", "t")  # the sandbox on loopback is fine
