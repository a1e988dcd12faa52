"""Issuer allowlist (project rule, smart-launch.md §1.2) and https (R1)."""

from __future__ import annotations

import pytest
import responses

from hvol_fhir.smart import (
    ClientRegistration,
    ClientSecretBasic,
    ConfigurationError,
    InsecureTransport,
    IssuerNotAllowed,
    IssuerRegistry,
)
from hvol_fhir.smart.registration import normalise_issuer

from .conftest import BASE, CLIENT_ID, REDIRECT


def reg(issuer: str = BASE, redirect: str = REDIRECT) -> ClientRegistration:
    return ClientRegistration(issuer, CLIENT_ID, redirect, ClientSecretBasic(CLIENT_ID, "s3cret"))


@pytest.mark.parametrize(
    "iss",
    [BASE, BASE + "/", "https://EHR.example.org/fhir", "HTTPS://ehr.example.org:443/fhir/"],
)
def test_allowlisted_issuer_variants(iss: str) -> None:
    assert IssuerRegistry([reg()]).lookup(iss).issuer == BASE


@pytest.mark.parametrize(
    "iss",
    [
        "https://ehr.example.org/fhir2",
        "https://ehr.example.org",
        "https://ehr.example.org.evil.com/fhir",
        "https://ehr.example.org:8443/fhir",
    ],
)
def test_other_issuers_are_refused(iss: str, rsps: responses.RequestsMock) -> None:
    with pytest.raises(IssuerNotAllowed) as err:
        IssuerRegistry([reg()]).lookup(iss)
    assert len(rsps.calls) == 0
    assert err.value.http_status == 403 and "beheerder" in err.value.message_nl


def test_http_issuer_refused_outside_sandbox() -> None:
    with pytest.raises(InsecureTransport):
        IssuerRegistry([reg()]).lookup("http://ehr.example.org/fhir")
    with pytest.raises(InsecureTransport):
        IssuerRegistry([reg("http://127.0.0.1:8802/fhir", "http://127.0.0.1:8800/cb")])


def test_loopback_http_only_in_sandbox() -> None:
    local = reg("http://127.0.0.1:8802/fhir", "http://localhost:8800/callback")
    registry = IssuerRegistry([local], sandbox=True)
    assert registry.lookup("http://127.0.0.1:8802/fhir") == local
    with pytest.raises(InsecureTransport):
        registry.lookup("http://ehr.example.org/fhir")


def test_each_issuer_has_its_own_registration() -> None:
    other = ClientRegistration(
        "https://other.example.org/r4", "other-id", REDIRECT, ClientSecretBasic("o", "x")
    )
    registry = IssuerRegistry([reg(), other])
    assert registry.lookup("https://other.example.org/r4").client_id == "other-id"
    assert registry.lookup(BASE).client_id == CLIENT_ID
    with pytest.raises(ConfigurationError):
        IssuerRegistry([reg(), reg(BASE + "/")])


def test_secret_not_in_repr() -> None:
    assert "s3cret" not in repr(reg())


def test_normalise_issuer() -> None:
    assert normalise_issuer("HTTPS://Ehr.Example.org:443/fhir/") == "https://ehr.example.org/fhir"
    assert normalise_issuer("http://127.0.0.1:8802/fhir") == "http://127.0.0.1:8802/fhir"
