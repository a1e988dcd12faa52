"""The /token endpoint for user grants: code exchange, PKCE, replay, refresh rotation, id_token, context."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from sandbox.auth import create_auth_app
from sandbox.auth.testing import (
    APP_REDIRECT,
    FHIR_BASE,
    ISSUER,
    app_client,
    authorize_params,
    make_settings,
    pkce_pair,
)

SECRET = app_client().client_secret or ""
BASIC = {"Authorization": "Basic " + base64.b64encode(f"hvol-app:{SECRET}".encode()).decode()}


@pytest.fixture
def client() -> FlaskClient:
    return create_auth_app(make_settings()).test_client()


def get_code(
    client: FlaskClient,
    user: str = "buddy-y1",
    patient: str = "y1",
    scope: str = "launch openid fhirUser offline_access patient/*.rs",
    nonce: str | None = None,
    **launch_form: str,
) -> tuple[str, str]:
    launched = client.post(
        "/launcher",
        data={"user": user, "patient": patient, "client_id": "hvol-app", "banner": "1", **launch_form},
    )
    launch = parse_qs(urlsplit(launched.headers["Location"]).query)["launch"][0]
    verifier, challenge = pkce_pair()
    params = authorize_params(challenge, launch=launch, scope=scope, nonce=nonce)
    location = client.get("/authorize", query_string=params).headers["Location"]
    return parse_qs(urlsplit(location).query)["code"][0], verifier


def exchange(client: FlaskClient, code: str, verifier: str, **overrides: str) -> Any:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_REDIRECT,
        "code_verifier": verifier,
        **overrides,
    }
    return client.post("/token", data=form, headers=BASIC)


def claims_of(client: FlaskClient, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(client.get("/jwks").get_json())
    return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)


def test_code_exchange_gives_a_bearer_token_with_launch_context(client: FlaskClient) -> None:
    scope = "launch openid fhirUser offline_access patient/CarePlan.rs"  # within the buddy's job
    code, verifier = get_code(
        client, scope=scope, encounter="enc-1", intent="journal", fhir_context="CarePlan/cp-1"
    )
    response = exchange(client, code, verifier)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert body["scope"] == scope
    assert body["patient"] == "y1" and body["encounter"] == "enc-1"
    assert body["need_patient_banner"] is True
    assert body["smart_style_url"] == f"{ISSUER}/smart-style.json"
    assert body["intent"] == "journal"
    assert body["fhirContext"] == [{"reference": "CarePlan/cp-1"}]
    assert body["refresh_token"]
    claims = claims_of(client, body["access_token"])
    assert claims["iss"] == ISSUER and claims["aud"] == FHIR_BASE
    assert claims["sub"] == "buddy-y1" and claims["fhirUser"] == "Practitioner/buddy-y1"
    assert claims["patient"] == "y1" and claims["scope"] == body["scope"]
    assert claims["hvol_journal"] == ["y1"]


def test_scope_granted_is_narrower_than_requested(client: FlaskClient) -> None:
    code, verifier = get_code(
        client, user="staff", scope="launch patient/*.rs patient/*.cruds system/*.rs profile"
    )
    body = exchange(client, code, verifier).get_json()
    assert body["scope"] == "launch patient/*.rs"
    assert "refresh_token" not in body and "id_token" not in body


def test_id_token_is_signed_and_names_the_user(client: FlaskClient) -> None:
    code, verifier = get_code(client, user="coach", nonce="n-123")
    body = exchange(client, code, verifier).get_json()
    keys = KeySet.import_key_set(
        client.get(
            client.get("/.well-known/openid-configuration").get_json()["jwks_uri"].removeprefix(ISSUER)
        ).get_json()
    )
    token = jwt.decode(body["id_token"], keys, algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    claims = token.claims
    jwt.JWTClaimsRegistry(exp={"essential": True}, iat={"essential": True}).validate(claims)
    assert claims["iss"] == ISSUER and claims["aud"] == "hvol-app" and claims["sub"] == "coach"
    assert claims["nonce"] == "n-123"
    assert claims["fhirUser"] == f"{FHIR_BASE}/Practitioner/coach"


def test_wrong_or_missing_verifier_is_refused(client: FlaskClient) -> None:
    code, verifier = get_code(client)
    other_verifier, _ = pkce_pair()
    assert exchange(client, code, other_verifier).get_json()["error"] == "invalid_grant"
    code, _ = get_code(client)
    response = exchange(client, code, "")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_redirect_uri_must_match(client: FlaskClient) -> None:
    code, verifier = get_code(client)
    response = exchange(client, code, verifier, redirect_uri=APP_REDIRECT + "/other")
    assert response.get_json()["error"] == "invalid_grant"


def test_code_replay_is_refused_and_revokes_the_refresh_token(client: FlaskClient) -> None:
    code, verifier = get_code(client)
    first = exchange(client, code, verifier).get_json()
    replay = exchange(client, code, verifier)
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    refreshed = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, headers=BASIC
    )
    assert refreshed.get_json()["error"] == "invalid_grant"
    store = client.application.extensions["hvol_auth"].store
    assert claims_of(client, first["access_token"])["jti"] in store.revoked_jtis


def test_refresh_rotates_and_a_rotated_token_revokes_the_grant(client: FlaskClient) -> None:
    code, verifier = get_code(client)
    first = exchange(client, code, verifier).get_json()
    second = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, headers=BASIC
    ).get_json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["patient"] == "y1" and second["scope"] == first["scope"]
    reused = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, headers=BASIC
    )
    assert reused.get_json()["error"] == "invalid_grant"
    revoked = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        headers=BASIC,
    )
    assert revoked.get_json()["error"] == "invalid_grant"


def test_unknown_refresh_token_is_invalid_grant(client: FlaskClient) -> None:
    response = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": "nope"}, headers=BASIC
    )
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_refresh_may_narrow_but_not_widen(client: FlaskClient) -> None:
    code, verifier = get_code(client, user="staff")  # regular staff's job reads everything: patient/*.rs
    first = exchange(client, code, verifier).get_json()
    wider = client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "scope": "patient/*.rs user/*.cruds",
        },
        headers=BASIC,
    )
    assert wider.get_json()["error"] == "invalid_scope"
    narrow = client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "scope": "patient/*.rs offline_access",
        },
        headers=BASIC,
    ).get_json()
    assert set(narrow["scope"].split()) == {"offline_access", "patient/*.rs"}
    assert claims_of(client, narrow["access_token"])["scope"] == narrow["scope"]
    # Narrower by coverage, not only by string: one type and fewer permissions under patient/*.rs.
    covered = client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": narrow["refresh_token"],
            "scope": "patient/CarePlan.r offline_access",
        },
        headers=BASIC,
    ).get_json()
    assert set(covered["scope"].split()) == {"patient/CarePlan.r", "offline_access"}


def test_refresh_rederives_clearance() -> None:
    from sandbox.auth.directory import BUDDY, Membership, User
    from sandbox.auth.testing import demo_directory

    directory = demo_directory()
    settings = make_settings(directory=directory)
    app = create_auth_app(settings)
    client = app.test_client()
    code, verifier = get_code(client, user="staff")
    first = exchange(client, code, verifier).get_json()
    assert "hvol_journal" not in claims_of(client, first["access_token"])
    directory.user_list = [  # the coordinator puts this member of staff on y2's CareTeam as buddy
        u if u.id != "staff" else User("staff", u.name, memberships=(Membership("y2", BUDDY),))
        for u in directory.user_list
    ]
    second = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, headers=BASIC
    ).get_json()
    assert claims_of(client, second["access_token"])["hvol_journal"] == ["y2"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic " + base64.b64encode(b"hvol-app:wrong").decode()},
        {"Authorization": "Basic " + base64.b64encode(b"unknown:" + SECRET.encode()).decode()},
        {"Authorization": "Basic !!!"},
    ],
)
def test_confidential_client_must_authenticate(client: FlaskClient, headers: dict[str, str]) -> None:
    code, verifier = get_code(client)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_REDIRECT,
        "code_verifier": verifier,
    }
    response = client.post("/token", data=form, headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"
    # the code was not consumed by the failed attempt
    assert exchange(client, code, verifier).status_code == 200


def test_public_client_names_itself_and_cannot_pretend_to_be_confidential() -> None:
    public = app_client(client_id="public-app", auth_method="none", client_secret=None)
    client = create_auth_app(make_settings([app_client(), public])).test_client()
    launched = client.post("/launcher", data={"user": "mentor", "patient": "y1", "client_id": "public-app"})
    launch = parse_qs(urlsplit(launched.headers["Location"]).query)["launch"][0]
    verifier, challenge = pkce_pair()
    params = authorize_params(challenge, launch=launch, client_id="public-app")
    code = parse_qs(urlsplit(client.get("/authorize", query_string=params).headers["Location"]).query)[
        "code"
    ][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_REDIRECT,
        "code_verifier": verifier,
    }
    assert (
        client.post("/token", data={**form, "client_id": "hvol-app"}).get_json()["error"] == "invalid_client"
    )
    body = client.post("/token", data={**form, "client_id": "public-app"}).get_json()
    assert claims_of(client, body["access_token"])["sub"] == "mentor"
    assert "hvol_journal" not in claims_of(client, body["access_token"])


def test_unsupported_grant_type(client: FlaskClient) -> None:
    response = client.post("/token", data={"grant_type": "password"}, headers=BASIC)
    assert response.get_json()["error"] == "unsupported_grant_type"


def test_secret_client_may_not_use_client_credentials(client: FlaskClient) -> None:
    response = client.post(
        "/token", data={"grant_type": "client_credentials", "scope": "system/*.rs"}, headers=BASIC
    )
    assert response.get_json()["error"] == "unauthorized_client"
