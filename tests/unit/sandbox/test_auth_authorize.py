"""The /authorize endpoint: request checks, where errors go, EHR launch and standalone login."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from sandbox.auth import create_auth_app
from sandbox.auth.testing import (
    APP_LAUNCH,
    APP_REDIRECT,
    FHIR_BASE,
    authorize_params,
    make_settings,
    pkce_pair,
)


@pytest.fixture
def client() -> FlaskClient:
    return create_auth_app(make_settings()).test_client()


def launch(client: FlaskClient, user: str = "buddy-y1", patient: str = "y1", **form: str) -> str:
    response = client.post(
        "/launcher", data={"user": user, "patient": patient, "client_id": "hvol-app", "banner": "1", **form}
    )
    assert response.status_code == 303
    return parse_qs(urlsplit(response.headers["Location"]).query)["launch"][0]


def redirected_query(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(APP_REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_ehr_launch_returns_a_code_and_echoes_state(client: FlaskClient) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(challenge, launch=launch(client))
    query = redirected_query(client.get("/authorize", query_string=params))
    assert query["state"] == params["state"]
    assert len(query["code"]) >= 32 and "error" not in query


def test_authorize_accepts_post(client: FlaskClient) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(challenge, launch=launch(client))
    query = redirected_query(client.post("/authorize", data=params))
    assert query["state"] == params["state"] and "code" in query


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),  # PKCE missing
        ({"code_challenge_method": None}, "invalid_request"),  # defaults to plain
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"aud": "http://127.0.0.1:9999/fhir"}, "invalid_request"),
        ({"aud": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": None}, "invalid_scope"),
        ({"scope": "system/*.rs"}, "invalid_scope"),  # no system scopes through a user login
        ({"launch": "not-a-launch"}, "invalid_request"),
    ],
)
def test_bad_request_is_redirected_with_error_and_state(
    client: FlaskClient, overrides: dict[str, str | None], error: str
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(challenge, **overrides)
    query = redirected_query(client.get("/authorize", query_string=params))
    assert query["error"] == error
    assert query["state"] == params["state"]
    assert "code" not in query


def test_missing_state_is_refused(client: FlaskClient) -> None:
    _, challenge = pkce_pair()
    query = redirected_query(client.get("/authorize", query_string=authorize_params(challenge, state=None)))
    assert query["error"] == "invalid_request" and "state" not in query


def test_launch_param_needs_launch_scope(client: FlaskClient) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(challenge, launch=launch(client), scope="openid fhirUser patient/*.rs")
    assert redirected_query(client.get("/authorize", query_string=params))["error"] == "invalid_scope"


def test_launch_is_single_use_and_bound_to_its_client() -> None:
    from sandbox.auth.testing import app_client

    other = app_client(client_id="other-app", redirect_uris=("http://127.0.0.1:6000/cb",))
    client = create_auth_app(make_settings([app_client(), other])).test_client()
    _, challenge = pkce_pair()
    launch_id = launch(client)
    stolen = authorize_params(
        challenge, launch=launch_id, client_id="other-app", redirect_uri="http://127.0.0.1:6000/cb"
    )
    response = client.get("/authorize", query_string=stolen)
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == ["invalid_request"]
    params = authorize_params(challenge, launch=launch_id)
    assert "code" in redirected_query(client.get("/authorize", query_string=params))
    again = redirected_query(
        client.get("/authorize", query_string=authorize_params(challenge, launch=launch_id))
    )
    assert again["error"] == "invalid_request"


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "http://127.0.0.1:5000/callback/other"},
        {"redirect_uri": APP_REDIRECT + "?x=1"},
        {"redirect_uri": None},
        {"client_id": "unknown-app"},
        {"client_id": None},
    ],
)
def test_bad_client_or_redirect_uri_gets_a_page_not_a_redirect(
    client: FlaskClient, overrides: dict[str, str | None]
) -> None:
    _, challenge = pkce_pair()
    response = client.get("/authorize", query_string=authorize_params(challenge, **overrides))
    assert response.status_code == 400
    assert "Location" not in response.headers
    page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page and "Er ging iets mis" in page


def test_error_page_escapes_markup(client: FlaskClient) -> None:
    response = client.get("/login", query_string={"req": "<script>alert(1)</script>"})
    assert response.status_code == 400
    # the value itself is never reflected; error pages render through autoescaped templates
    assert "<script>" not in response.get_data(as_text=True)
    with client.application.test_request_context():
        from sandbox.auth.server import error_page

        page, status = error_page('<img src=x onerror="alert(1)">')
    assert status == 400
    assert "<img" not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_patient_names_are_escaped_in_the_picker(client: FlaskClient) -> None:
    page = client.get("/launcher").get_data(as_text=True)
    assert "Lotte &lt;b&gt;Fictief&lt;/b&gt;" in page and "<b>Fictief" not in page


def test_standalone_launch_asks_for_user_then_patient(client: FlaskClient) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(challenge, scope="launch/patient openid fhirUser patient/*.rs")
    response = client.get("/authorize", query_string=params)
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?req=")
    login_page = client.get(response.headers["Location"])
    text = login_page.get_data(as_text=True)
    assert "Inloggen" in text and "Bo Maatje" in text and "ervaringsmaatje" in text
    req = parse_qs(urlsplit(response.headers["Location"]).query)["req"][0]
    picked = client.post("/login", data={"req": req, "user": "coach"})
    assert picked.status_code == 303 and picked.headers["Location"].startswith("/login/patient?req=")
    picker = client.get(picked.headers["Location"]).get_data(as_text=True)
    assert "Jongere kiezen" in picker and "Noor Voorbeeld" in picker
    query = redirected_query(client.post("/login/patient", data={"req": req, "patient": "y2"}))
    assert query["state"] == params["state"] and "code" in query
    assert client.get("/login", query_string={"req": req}).status_code == 400  # used up


def test_standalone_without_patient_scope_skips_the_picker(client: FlaskClient) -> None:
    _, challenge = pkce_pair()
    response = client.get("/authorize", query_string=authorize_params(challenge, scope="openid fhirUser"))
    req = parse_qs(urlsplit(response.headers["Location"]).query)["req"][0]
    assert "code" in redirected_query(client.post("/login", data={"req": req, "user": "staff"}))


def test_cancel_at_login_redirects_access_denied(client: FlaskClient) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(challenge, scope="openid fhirUser")
    response = client.get("/authorize", query_string=params)
    req = parse_qs(urlsplit(response.headers["Location"]).query)["req"][0]
    query = redirected_query(client.post("/login", data={"req": req, "cancel": "1"}))
    assert query["error"] == "access_denied" and query["state"] == params["state"]


def test_launcher_redirect_carries_iss_and_launch(client: FlaskClient) -> None:
    response = client.post(
        "/launcher", data={"user": "coordinator", "patient": "y1", "client_id": "hvol-app"}
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == APP_LAUNCH
    query = parse_qs(location.query)
    assert query["iss"] == [FHIR_BASE] and len(query["launch"][0]) >= 32


def test_ehr_launch_without_patient_shows_the_picker_when_launch_patient_is_asked(
    client: FlaskClient,
) -> None:
    _, challenge = pkce_pair()
    launch_id = launch(client, user="coordinator", patient="")
    params = authorize_params(challenge, launch=launch_id, scope="launch launch/patient patient/*.rs")
    response = client.get("/authorize", query_string=params)
    assert response.status_code == 303 and response.headers["Location"].startswith("/login/patient?req=")
    req = parse_qs(urlsplit(response.headers["Location"]).query)["req"][0]
    query = redirected_query(client.post("/login/patient", data={"req": req, "patient": "y3"}))
    assert "code" in query


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_launches_and_codes_expire_by_the_servers_clock() -> None:
    from sandbox.auth.store import AuthStore

    clock = FakeClock()
    settings = make_settings()
    client = create_auth_app(settings, store=AuthStore(clock=clock)).test_client()
    _, challenge = pkce_pair()
    stale = launch(client)
    clock.now += settings.launch_lifetime + 1
    query = redirected_query(client.get("/authorize", query_string=authorize_params(challenge, launch=stale)))
    assert query["error"] == "invalid_request"
    verifier, challenge = pkce_pair()
    params = authorize_params(challenge, launch=launch(client))
    code = redirected_query(client.get("/authorize", query_string=params))["code"]
    clock.now += settings.code_lifetime + 1
    from sandbox.auth.testing import app_client

    response = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_REDIRECT,
            "code_verifier": verifier,
        },
        auth=("hvol-app", app_client().client_secret or ""),
    )
    assert response.get_json()["error"] == "invalid_grant"
