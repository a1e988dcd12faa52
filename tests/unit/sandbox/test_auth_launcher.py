"""The launcher page (EHR launch for a chosen user and youth) and the sandbox-only /dev/token."""

from __future__ import annotations

from inspect import signature
from pathlib import Path

import pytest
import responses
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from sandbox.auth import FhirDirectory, create_auth_app, dev_token
from sandbox.auth.settings import AuthSettings, settings_from_dict
from sandbox.auth.testing import app_client, make_settings
from sandbox.org import auth_settings_document, start_organisation


@pytest.fixture
def client() -> FlaskClient:
    standalone_only = app_client(
        client_id="viewer", name="Alleen-lezen", launch_url=None, standalone_url="http://127.0.0.1:5001/start"
    )
    settings = make_settings([app_client(), standalone_only], enable_dev_token=True)
    return create_auth_app(settings).test_client()


def test_launcher_lists_users_with_roles_youths_with_age_and_apps(client: FlaskClient) -> None:
    response = client.get("/launcher")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers  # must work inside the EHR frame
    page = response.get_data(as_text=True)
    for name, label in [
        ("Carla Coördinator", "coördinator"),
        ("Bo Maatje", "ervaringsmaatje"),
        ("Kees Coach", "coach"),
        ("Gerda Gedragswetenschapper", "gedragswetenschapper"),
        ("Mehmet Mentor", "mentor/groepsleiding"),
        ("Pieter Personeel", "overig personeel"),
    ]:
        assert f'{name} <span class="role">({label})</span>' in page
    assert "Sanne Testmeisje" in page and "jaar)" in page
    assert 'value="hvol-app"' in page and 'value="viewer"' not in page  # no launch URL: no EHR launch
    assert 'href="http://127.0.0.1:5000/launch"' in page  # standalone link = launch URL without params
    assert 'href="http://127.0.0.1:5001/start"' in page
    assert "<script" not in page


@pytest.mark.parametrize(
    "form",
    [
        {"user": "nobody", "patient": "y1", "client_id": "hvol-app"},
        {"user": "coach", "patient": "y9", "client_id": "hvol-app"},
        {"user": "coach", "patient": "y1", "client_id": "viewer"},
        {"user": "coach", "patient": "y1", "client_id": "unknown"},
    ],
)
def test_launcher_refuses_unknown_choices(client: FlaskClient, form: dict[str, str]) -> None:
    response = client.post("/launcher", data=form)
    assert response.status_code == 400 and "Location" not in response.headers


def test_root_goes_to_the_launcher(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"] == "/launcher"


def decode(client: FlaskClient, token: str) -> dict[str, object]:
    return dict(jwt.decode(token, KeySet.import_key_set(client.get("/jwks").get_json())).claims)


@pytest.mark.parametrize(
    ("user", "journal"),
    [
        ("coordinator", ["*"]),
        ("buddy-y1", ["y1"]),
        ("buddy-y2", ["y2"]),
        ("staff", None),
        ("scientist", None),
    ],
)
def test_dev_token_carries_derived_clearance(
    client: FlaskClient, user: str, journal: list[str] | None
) -> None:
    response = client.post("/dev/token", json={"user": user, "patient": "y1"})
    assert response.status_code == 200
    body = response.get_json()
    claims = decode(client, body["access_token"])
    assert claims["sub"] == user and claims["fhirUser"] == f"Practitioner/{user}"
    assert claims["patient"] == "y1"
    assert claims.get("hvol_journal") == journal
    # The job's own scopes, never user/*.cruds (issue 13): e.g. regular staff read, the buddy no wider record.
    scopes = claims["scope"].split()
    assert claims["scope"] == body["scope"] and scopes[0] == "launch/patient"
    assert not {"user/*.cruds", "patient/*.cruds", "user/*.*"} & set(scopes)


def test_dev_token_scope_and_errors(client: FlaskClient) -> None:
    body = client.post("/dev/token", json={"user": "coach", "scope": "user/Communication.rs"}).get_json()
    claims = decode(client, body["access_token"])
    assert claims["scope"] == "user/Communication.rs" and "patient" not in claims
    assert client.post("/dev/token", json={"user": "nobody"}).status_code == 404
    assert client.post("/dev/token", json={"user": "coach", "patient": "nope"}).status_code == 404
    assert client.post("/dev/token", json={}).status_code == 400
    assert client.post("/dev/token", data="user=coach").status_code == 400


def test_dev_token_can_be_switched_off() -> None:
    client = create_auth_app(make_settings(enable_dev_token=False)).test_client()
    assert client.post("/dev/token", json={"user": "coach"}).status_code == 404


def test_dev_token_is_off_unless_asked_for(tmp_path: Path) -> None:
    """The unauthenticated /dev/token is for tests and the demo only: off in the defaults of the settings,
    of a settings file that does not mention it, and of an organisation started without ``dev_token``."""
    assert AuthSettings.__dataclass_fields__["enable_dev_token"].default is False
    settings = make_settings()
    assert settings.enable_dev_token is False
    assert (
        create_auth_app(settings).test_client().post("/dev/token", json={"user": "coach"}).status_code == 404
    )
    from_file = settings_from_dict({"fhir_base": "http://127.0.0.1:8802/fhir"}, tmp_path)
    assert from_file.enable_dev_token is False
    doc = auth_settings_document("A", "http://127.0.0.1:1", "http://127.0.0.1:2/fhir", 1)
    assert doc["enable_dev_token"] is False
    assert signature(start_organisation).parameters["dev_token"].default is False
    asked = auth_settings_document("A", "http://127.0.0.1:1", "http://127.0.0.1:2/fhir", 1, dev_token=True)
    assert asked["enable_dev_token"] is True


def test_dev_token_function_for_the_cli() -> None:
    settings = make_settings(enable_dev_token=True)
    body = dev_token(settings, "buddy-y1")
    assert settings.token_issuer.decode(body["access_token"])["hvol_journal"] == ["y1"]
    assert body["hvol_journal"] == ["y1"] and body["fhirUser"] == "Practitioner/buddy-y1"


@responses.activate  # no URL registered: every FHIR call fails to connect
def test_unreachable_fhir_directory_gives_a_dutch_503_page_and_json_error() -> None:
    settings = make_settings(
        directory=FhirDirectory("http://fhir.test/fhir", "admin-token"), enable_dev_token=True
    )
    client = create_auth_app(settings).test_client()
    page = client.get("/launcher")
    assert page.status_code == 503 and "niet bereikbaar" in page.get_data(as_text=True)
    response = client.post("/dev/token", json={"user": "coach"})
    assert response.status_code == 503 and response.get_json()["error"] == "temporarily_unavailable"
