"""client_credentials with private_key_jwt (SMART Backend Services) and the checks on client assertions."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from sandbox.auth import create_auth_app
from sandbox.auth.client_auth import ASSERTION_TYPE, JwksResolver
from sandbox.auth.settings import ClientRegistration
from sandbox.auth.testing import (
    ISSUER,
    app_client,
    client_assertion,
    ec_client_key,
    make_settings,
    public_jwks,
    rsa_client_key,
)

RSA_KEY = rsa_client_key()
EC_KEY = ec_client_key()
BACKEND = ClientRegistration(
    client_id="transfer-service",
    auth_method="private_key_jwt",
    jwks=public_jwks(RSA_KEY, EC_KEY),
    scope=("system/*.rs", "system/Patient.cruds"),
    journal=("*",),
)


@pytest.fixture
def client() -> FlaskClient:
    return create_auth_app(make_settings([app_client(), BACKEND])).test_client()


def request_token(
    client: FlaskClient, assertion: str, scope: str = "system/Patient.rs system/Encounter.rs", **extra: str
) -> Any:
    return client.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            **extra,
        },
    )


@pytest.mark.parametrize(("key", "alg"), [(RSA_KEY, "RS384"), (EC_KEY, "ES384"), (RSA_KEY, "RS256")])
def test_valid_assertion_gets_a_system_token(client: FlaskClient, key: Any, alg: str) -> None:
    response = request_token(client, client_assertion(key, "transfer-service", alg=alg))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["scope"] == "system/Patient.rs system/Encounter.rs"
    assert "refresh_token" not in body and "id_token" not in body and "patient" not in body
    claims = jwt.decode(body["access_token"], KeySet.import_key_set(client.get("/jwks").get_json())).claims
    assert claims["sub"] == "transfer-service" and "fhirUser" not in claims
    assert claims["hvol_journal"] == ["*"]


def test_only_system_scopes_are_granted(client: FlaskClient) -> None:
    body = request_token(
        client,
        client_assertion(RSA_KEY, "transfer-service"),
        scope="system/Patient.rs patient/*.rs user/*.cruds openid",
    ).get_json()
    assert body["scope"] == "system/Patient.rs"
    refused = request_token(client, client_assertion(RSA_KEY, "transfer-service"), scope="patient/*.rs")
    assert refused.get_json()["error"] == "invalid_scope"


def test_assertion_jti_cannot_be_replayed(client: FlaskClient) -> None:
    assertion = client_assertion(RSA_KEY, "transfer-service", jti="once")
    assert request_token(client, assertion).status_code == 200
    replay = request_token(client, assertion)
    assert replay.status_code == 401 and replay.get_json()["error"] == "invalid_client"
    assert request_token(client, client_assertion(RSA_KEY, "transfer-service", jti="once")).status_code == 401


FORGER = rsa_client_key("client-rsa")  # same kid, different key


@pytest.mark.parametrize(
    "assertion",
    [
        pytest.param(lambda: client_assertion(FORGER, "transfer-service"), id="forged-signature"),
        pytest.param(lambda: client_assertion(RSA_KEY, "transfer-service", expires_in=-10), id="expired"),
        pytest.param(lambda: client_assertion(RSA_KEY, "transfer-service", expires_in=600), id="exp-too-far"),
        pytest.param(
            lambda: client_assertion(RSA_KEY, "transfer-service", audience=ISSUER + "/authorize"),
            id="wrong-aud",
        ),
        pytest.param(
            lambda: client_assertion(RSA_KEY, "transfer-service", claims={"sub": "someone"}),
            id="sub-not-client",
        ),
        pytest.param(
            lambda: client_assertion(RSA_KEY, "transfer-service", claims={"jti": None}), id="no-jti"
        ),
        pytest.param(
            lambda: client_assertion(RSA_KEY, "transfer-service", claims={"exp": None}), id="no-exp"
        ),
        pytest.param(lambda: client_assertion(RSA_KEY, "hvol-app"), id="client-without-keys"),
        pytest.param(lambda: client_assertion(RSA_KEY, "nobody"), id="unknown-client"),
        pytest.param(
            lambda: client_assertion(RSA_KEY, "transfer-service", header={"typ": "at+jwt"}), id="wrong-typ"
        ),
        pytest.param(lambda: _hs256_with_public_key(), id="alg-confusion-hs256"),
        pytest.param(lambda: _unsigned(), id="alg-none"),
        pytest.param(lambda: "not.a.jwt", id="garbage"),
    ],
)
def test_bad_assertion_is_invalid_client(client: FlaskClient, assertion: Any) -> None:
    response = request_token(client, assertion())
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


def _part(value: dict[str, Any]) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _claims() -> dict[str, Any]:
    import time

    now = int(time.time())
    return {
        "iss": "transfer-service",
        "sub": "transfer-service",
        "aud": ISSUER + "/token",
        "exp": now + 60,
        "jti": "hand-made-" + str(now),
    }


def _hs256_with_public_key() -> str:
    """The classic confusion attack: HMAC keyed with the client's public key (joserfc refuses to make it)."""
    import base64
    import hashlib
    import hmac

    signing_input = f"{_part({'alg': 'HS256', 'typ': 'JWT', 'kid': 'client-rsa'})}.{_part(_claims())}"
    mac = hmac.new(RSA_KEY.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _unsigned() -> str:
    return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(_claims())}."


def test_wrong_assertion_type_is_invalid_client(client: FlaskClient) -> None:
    response = request_token(
        client,
        client_assertion(RSA_KEY, "transfer-service"),
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
    )
    assert response.get_json()["error"] == "invalid_client"


def test_keys_by_jwks_uri_are_fetched_and_refetched_for_a_new_kid() -> None:
    fetched: list[str] = []
    current = {"jwks": public_jwks(RSA_KEY)}

    def fetch(uri: str) -> dict[str, Any]:
        fetched.append(uri)
        return current["jwks"]

    by_uri = ClientRegistration(
        client_id="by-uri",
        auth_method="private_key_jwt",
        jwks_uri="https://backend.example/jwks",
        scope=("system/*.rs",),
    )
    client = create_auth_app(make_settings([by_uri]), jwks_resolver=JwksResolver(fetch=fetch)).test_client()
    assert request_token(client, client_assertion(RSA_KEY, "by-uri")).status_code == 200
    assert request_token(client, client_assertion(RSA_KEY, "by-uri")).status_code == 200
    assert fetched == ["https://backend.example/jwks"]  # cached
    new_key = ec_client_key("rotated")
    current["jwks"] = public_jwks(RSA_KEY, new_key)
    assert request_token(client, client_assertion(new_key, "by-uri")).status_code == 200
    assert len(fetched) == 2
    forged_jku = client_assertion(RSA_KEY, "by-uri", header={"jku": "https://evil.example/jwks"})
    assert request_token(client, forged_jku).get_json()["error"] == "invalid_client"


def test_private_key_jwt_client_authenticates_the_code_exchange_too() -> None:
    from urllib.parse import parse_qs, urlsplit

    from sandbox.auth.testing import APP_REDIRECT, authorize_params, pkce_pair

    app_with_keys = app_client(auth_method="private_key_jwt", client_secret=None, jwks=public_jwks(EC_KEY))
    client = create_auth_app(make_settings([app_with_keys])).test_client()
    launched = client.post(
        "/launcher", data={"user": "coordinator", "patient": "y2", "client_id": "hvol-app"}
    )
    launch = parse_qs(urlsplit(launched.headers["Location"]).query)["launch"][0]
    verifier, challenge = pkce_pair()
    location = client.get("/authorize", query_string=authorize_params(challenge, launch=launch)).headers[
        "Location"
    ]
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_REDIRECT,
        "code_verifier": verifier,
        "client_assertion_type": ASSERTION_TYPE,
    }
    assert client.post("/token", data=form).get_json()["error"] == "invalid_client"
    body = client.post(
        "/token", data={**form, "client_assertion": client_assertion(EC_KEY, "hvol-app")}
    ).get_json()
    claims = jwt.decode(body["access_token"], KeySet.import_key_set(client.get("/jwks").get_json())).claims
    assert claims["hvol_journal"] == ["*"] and body["patient"] == "y2"
