"""Backend Services (backend-services.html; R225-R263; §4.3 scenario 16)."""

from __future__ import annotations

import pytest
import requests
from joserfc.jwk import RSAKey

from hvol_fhir.smart import BackendServicesClient, ClientRegistration, ClientSecretBasic, ConfigurationError

from .conftest import BASE, CLIENT_ID, REDIRECT, FakeClock, FakeEhr

SCOPES = ["system/CarePlan.rs", "system/Task.cruds"]


@pytest.fixture
def client(registration: ClientRegistration, clock: FakeClock, ehr: FakeEhr) -> BackendServicesClient:
    ehr.expires_in = 300  # short-lived, as backend tokens are
    return BackendServicesClient(registration, SCOPES, http=requests.Session(), clock=clock)


def test_token_request_and_cache(client: BackendServicesClient, ehr: FakeEhr, clock: FakeClock) -> None:
    first = client.access_token()
    form = ehr.token_forms[0]
    assert form["grant_type"] == "client_credentials"  # R236
    assert form["scope"] == "system/CarePlan.rs system/Task.cruds"  # R235, R239
    assert "client_assertion" in form and "client_id" not in form  # R237, R238
    clock.advance(200)
    assert client.access_token() == first  # cached
    assert len(ehr.token_forms) == 1
    assert client.granted_scope == form["scope"]


def test_renewed_shortly_before_expiry_with_new_jti(
    client: BackendServicesClient, ehr: FakeEhr, clock: FakeClock
) -> None:
    first = client.access_token()
    clock.advance(300 - 30)  # within the renewal margin
    second = client.access_token()
    assert second != first and len(ehr.token_forms) == 2
    assert len(ehr.seen_jti) == 2  # R263: a new assertion, a new jti; the fake refuses a repeated one


def test_invalidate_after_401(client: BackendServicesClient, ehr: FakeEhr) -> None:
    first = client.access_token()
    client.invalidate("some-older-token")
    assert client.access_token() == first
    client.invalidate(first)
    assert client.access_token() != first


def test_as_requests_auth(client: BackendServicesClient, ehr: FakeEhr) -> None:
    prepared = requests.Request("GET", f"{BASE}/CarePlan", auth=client).prepare()
    assert prepared.headers["Authorization"] == f"Bearer {ehr.issued[-1]}"
    assert client.sign_headers({"Accept": "x"})["Authorization"] == prepared.headers["Authorization"]
    assert ehr.issued[-1] not in repr(client)


def test_needs_asymmetric_auth_and_scopes(rsa_key: RSAKey) -> None:
    symmetric = ClientRegistration(BASE, CLIENT_ID, REDIRECT, ClientSecretBasic(CLIENT_ID, "s"))
    with pytest.raises(ConfigurationError):  # R343
        BackendServicesClient(symmetric, SCOPES, http=requests.Session())
    from hvol_fhir.smart import PrivateKeyJwt

    asym = ClientRegistration(BASE, CLIENT_ID, REDIRECT, PrivateKeyJwt(CLIENT_ID, rsa_key))
    with pytest.raises(ConfigurationError):
        BackendServicesClient(asym, [], http=requests.Session())
