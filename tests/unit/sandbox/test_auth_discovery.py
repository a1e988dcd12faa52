"""Discovery documents and the JWKS of the sandbox authorization server."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from sandbox.auth import create_auth_app
from sandbox.auth.testing import FHIR_BASE, ISSUER, make_settings


@pytest.fixture
def client() -> FlaskClient:
    return create_auth_app(make_settings()).test_client()


def test_smart_configuration_names_endpoints_and_capabilities(client: FlaskClient) -> None:
    doc = client.get("/.well-known/smart-configuration").get_json()
    assert doc["issuer"] == ISSUER
    assert doc["jwks_uri"] == f"{ISSUER}/jwks"
    assert doc["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert doc["token_endpoint"] == f"{ISSUER}/token"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(doc["grant_types_supported"]) == {"authorization_code", "refresh_token", "client_credentials"}
    assert {"private_key_jwt", "client_secret_basic"} <= set(doc["token_endpoint_auth_methods_supported"])
    assert {"RS384", "ES384"} <= set(doc["token_endpoint_auth_signing_alg_values_supported"])
    required = {
        "launch-ehr",
        "launch-standalone",
        "client-confidential-asymmetric",
        "client-confidential-symmetric",
        "context-ehr-patient",
        "context-standalone-patient",
        "context-banner",
        "context-style",
        "permission-v1",
        "permission-v2",
        "permission-patient",
        "permission-user",
        "sso-openid-connect",
        "permission-offline",
    }
    assert required <= set(doc["capabilities"])
    assert {"openid", "fhirUser", "launch", "launch/patient", "patient/*.rs"} <= set(doc["scopes_supported"])


def test_openid_configuration_points_at_the_same_keys(client: FlaskClient) -> None:
    doc = client.get("/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == ISSUER
    assert doc["jwks_uri"] == f"{ISSUER}/jwks"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "public" in doc["subject_types_supported"]


def test_jwks_has_only_the_public_signing_key(client: FlaskClient) -> None:
    keys = client.get("/jwks").get_json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["kid"]
    assert "d" not in keys[0] and "p" not in keys[0]


def test_settings_refuse_an_issuer_signing_for_another_audience() -> None:
    from sandbox.tokens import TokenIssuer

    with pytest.raises(ValueError):
        make_settings(token_issuer=TokenIssuer(issuer=ISSUER, audience=FHIR_BASE + "/other"))
