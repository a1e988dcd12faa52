"""Client authentication and token responses (R62-R72, R308-R334, R345; smart-launch.md §1.8-§1.11)."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import pytest
import requests
import responses
from joserfc import jws, jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from hvol_fhir.smart import (
    ClientSecretBasic,
    InvalidGrant,
    InvalidTokenResponse,
    PrivateKeyJwt,
    PublicClient,
    TokenRequestFailed,
)
from hvol_fhir.smart.token import ASSERTION_TYPE, exchange_code, parse_token_response, token_request

from .conftest import CLIENT_ID, TOKEN, FakeClock


@pytest.mark.parametrize("key_fixture", ["rsa_key", "ec_key"])
def test_private_key_jwt_assertion(
    request: pytest.FixtureRequest, key_fixture: str, clock: FakeClock
) -> None:
    key: RSAKey | ECKey = request.getfixturevalue(key_fixture)
    auth = PrivateKeyJwt(CLIENT_ID, key, clock=clock)
    data: dict[str, str] = {"client_id": CLIENT_ID}
    headers: dict[str, str] = {}
    auth.apply(data, headers, TOKEN)
    assert "client_id" not in data and "Authorization" not in headers  # R72
    assert data["client_assertion_type"] == ASSERTION_TYPE  # R333
    assertion = data["client_assertion"]  # R334
    expected_alg = "RS384" if isinstance(key, RSAKey) else "ES384"  # R308, R309
    header = jws.extract_compact(assertion.encode()).protected
    assert header == {"alg": expected_alg, "kid": key.kid, "typ": "JWT"}  # R321-R323
    claims = jwt.decode(assertion, KeySet([key]), algorithms=[expected_alg]).claims  # verifies the signature
    assert claims["iss"] == claims["sub"] == CLIENT_ID  # R327, R328
    assert claims["aud"] == TOKEN  # R329
    assert 0 < claims["exp"] - clock() <= 300  # R330, R331
    assert claims["exp"] - claims["iat"] <= 300


def test_jti_unique_across_assertions(rsa_key: RSAKey, clock: FakeClock) -> None:
    # R332, R319: every token request gets a new assertion, so a replay check on the server never trips.
    auth = PrivateKeyJwt(CLIENT_ID, rsa_key, clock=clock)
    jtis = set()
    for _ in range(50):
        data: dict[str, str] = {}
        auth.apply(data, {}, TOKEN)
        jtis.add(jwt.decode(data["client_assertion"], rsa_key, algorithms=["RS384"]).claims["jti"])
    assert len(jtis) == 50


def test_assertion_lifetime_capped(rsa_key: RSAKey) -> None:
    with pytest.raises(ValueError):
        PrivateKeyJwt(CLIENT_ID, rsa_key, lifetime=3600)


def test_p256_key_refused() -> None:
    from hvol_fhir.smart import ConfigurationError

    with pytest.raises(ConfigurationError):
        PrivateKeyJwt(CLIENT_ID, ECKey.generate_key("P-256", parameters={"kid": "p256"}))


def test_client_secret_basic() -> None:
    # R345: Basic with form-encoded parts, and no client_id in the body (R72).
    auth = ClientSecretBasic("app id", "s:cret/+")
    data = {"client_id": "app id"}
    headers: dict[str, str] = {}
    auth.apply(data, headers, TOKEN)
    assert "client_id" not in data
    assert base64.b64decode(headers["Authorization"].removeprefix("Basic ")) == b"app%20id:s%3Acret%2F%2B"


def test_public_client_sends_client_id() -> None:
    data: dict[str, str] = {}
    PublicClient(CLIENT_ID).apply(data, {}, TOKEN)
    assert data == {"client_id": CLIENT_ID}  # R71


def test_exchange_with_basic_auth_sends_form(rsps: responses.RequestsMock, clock: FakeClock) -> None:
    rsps.add(
        responses.POST,
        TOKEN,
        json={"access_token": "secret-at-1", "token_type": "Bearer", "expires_in": "120"},
    )
    result = exchange_code(
        requests.Session(), TOKEN, ClientSecretBasic(CLIENT_ID, "s"),
        code="c", redirect_uri="https://app/cb", code_verifier="v" * 43, allow_loopback_http=False,
        clock=clock,
    )  # fmt: skip
    req = rsps.calls[0].request
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"  # R62
    form = {k: v[0] for k, v in parse_qs(str(req.body)).items()}
    assert form == {"grant_type": "authorization_code", "code": "c", "redirect_uri": "https://app/cb",
                    "code_verifier": "v" * 43}  # fmt: skip
    assert req.headers["Authorization"].startswith("Basic ")
    assert result.expires_at == clock() + 120  # string expires_in (client-py #181)
    assert "secret-at-1" not in repr(result)


@pytest.mark.parametrize(
    ("status", "body", "cls", "error"),
    [
        (400, {"error": "invalid_grant"}, InvalidGrant, "invalid_grant"),
        (401, {"error": "invalid_grant"}, InvalidGrant, "invalid_grant"),  # smart-launcher answers 401
        (401, {"error": "invalid_client"}, TokenRequestFailed, "invalid_client"),
        (400, {"error": "invalid_scope"}, TokenRequestFailed, "invalid_scope"),
        (500, "oops", TokenRequestFailed, "server_error"),
    ],
)
def test_errors_branch_on_json_error(
    rsps: responses.RequestsMock, status: int, body: object, cls: type[Exception], error: str
) -> None:
    if isinstance(body, dict):
        rsps.add(responses.POST, TOKEN, status=status, json=body)
    else:
        rsps.add(responses.POST, TOKEN, status=status, body=str(body))
    with pytest.raises(cls) as err:
        token_request(
            requests.Session(), TOKEN, {"grant_type": "x"}, PublicClient("c"), allow_loopback_http=False
        )
    assert err.value.oauth_error == error  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "body",
    [
        {"token_type": "Bearer"},
        {"access_token": "a", "token_type": "mac"},
        {"access_token": "a"},
        ["not", "an", "object"],
    ],
)
def test_unusable_token_responses(body: object) -> None:
    with pytest.raises(InvalidTokenResponse):
        parse_token_response(body, now=0)


@pytest.mark.parametrize(
    ("expires_in", "lifetime"), [(3600, 3600), ("60", 60), (None, 300), ("soon", 300), (-5, 300)]
)
def test_expires_in_tolerated(expires_in: object, lifetime: int) -> None:
    body = {"access_token": "a", "token_type": "BEARER", "expires_in": expires_in}
    assert parse_token_response(body, now=1000).expires_at == 1000 + lifetime


def test_token_endpoint_must_be_https(rsps: responses.RequestsMock) -> None:
    from hvol_fhir.smart import InsecureTransport

    with pytest.raises(InsecureTransport):
        token_request(requests.Session(), "http://auth.example.org/token", {}, PublicClient("c"),
                      allow_loopback_http=False)  # fmt: skip
    assert len(rsps.calls) == 0
