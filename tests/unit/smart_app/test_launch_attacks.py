"""Attack and edge cases of the launch, each with the SMART requirement it guards (smart-launch.md §4.3)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from sandbox.auth.testing import FHIR_BASE

from .conftest import (
    AuthServer,
    FakeClock,
    FakeFhir,
    authorize,
    make_app,
    path_of,
    tamper_token_response,
    to_authorize,
)


def _callback_for(client: FlaskClient, auth: AuthServer, user: str = "buddy-y1", patient: str = "y1") -> str:
    return authorize(to_authorize(client, auth.launch_url(user, patient)))


def _error_text(resp: Any) -> str:
    m = re.search(r'data-testid="error-message">(.*?)</p>', resp.get_data(as_text=True), re.S)
    assert m, resp.get_data(as_text=True)
    return m.group(1)


def test_state_mismatch_is_refused(client: FlaskClient, auth: AuthServer, fhir: FakeFhir) -> None:
    """R4, R60: an unknown state never reaches the token endpoint."""
    callback = _callback_for(client, auth)
    q = parse_qs(urlsplit(callback).query)
    tokens_before = len([c for c in fhir.rsps.calls if c.request.url.endswith("/token")])
    resp = client.get("/launch/callback?" + urlencode({"code": q["code"][0], "state": "x" * 43}))
    assert resp.status_code == 400
    assert "hoort niet (meer) bij dit venster" in _error_text(resp)
    assert len([c for c in fhir.rsps.calls if c.request.url.endswith("/token")]) == tokens_before


def test_state_of_another_browser_session_is_refused(app: Any, auth: AuthServer, fhir: FakeFhir) -> None:
    """R61: the state is bound to the browser session that started the launch."""
    alice, mallory = app.test_client(), app.test_client()
    callback = _callback_for(alice, auth)
    mallory.get(path_of(to_authorize(mallory, auth.launch_url("staff", "y2"))))  # mallory has her own cookie
    resp = mallory.get(path_of(callback))
    assert resp.status_code == 400
    assert alice.get(path_of(callback)).status_code == 400  # the state was single use


def test_code_replay_is_refused(client: FlaskClient, auth: AuthServer, fhir: FakeFhir) -> None:
    """R4/R60 and single-use state (§1.6): the same code + state a second time is refused."""
    callback = _callback_for(client, auth)
    assert client.get(path_of(callback)).status_code == 303
    replay = client.get(path_of(callback))
    assert replay.status_code == 400
    assert "Start de app opnieuw" in _error_text(replay)


def test_replayed_code_with_fresh_state_gets_invalid_grant(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir
) -> None:
    """A stolen code used on a second launch: the server answers invalid_grant, the app a Dutch page."""
    first = parse_qs(urlsplit(_callback_for(client, auth)).query)
    assert client.get("/launch/callback?" + urlencode({k: v[0] for k, v in first.items()})).status_code == 303
    second = parse_qs(urlsplit(to_authorize(client, auth.launch_url("buddy-y1", "y1"))).query)
    resp = client.get(
        "/launch/callback?" + urlencode({"code": first["code"][0], "state": second["state"][0]})
    )
    assert resp.status_code in (400, 502)
    assert "opnieuw" in _error_text(resp)


@pytest.mark.parametrize("iss", ["https://evil.example.org/fhir", "http://127.0.0.1:1/fhir"])
def test_iss_not_on_the_allowlist_sends_nothing(client: FlaskClient, fhir: FakeFhir, iss: str) -> None:
    """Project rule §1.2: an unknown iss is refused before any request is sent to it."""
    calls = len(fhir.rsps.calls)
    resp = client.get("/launch?" + urlencode({"iss": iss, "launch": "abc"}))
    assert resp.status_code == 403
    assert "niet aangemeld bij het dossiersysteem" in _error_text(resp)
    assert len(fhir.rsps.calls) == calls


def test_http_iss_outside_the_sandbox_is_refused(
    key: Any, tmp_path: Path, clock: FakeClock, fhir: FakeFhir
) -> None:
    """R1: outside sandbox mode only https issuers; the page says so in Dutch."""
    app = make_app(
        key,
        tmp_path,
        clock,
        HVOL_SANDBOX=False,
        HVOL_ISSUERS="https://ehr.example.org/fhir",
        HVOL_APP_URL="https://app.example.org",
    )
    resp = app.test_client().get(
        "/launch?" + urlencode({"iss": "http://ehr.example.org/fhir", "launch": "x"})
    )
    assert resp.status_code == 400
    assert "beveiligde verbinding (https)" in _error_text(resp)


@pytest.mark.parametrize("query", ["", "iss=" + FHIR_BASE, "launch=abc"])
def test_launch_without_iss_or_launch(client: FlaskClient, fhir: FakeFhir, query: str) -> None:
    calls = len(fhir.rsps.calls)
    resp = client.get("/launch?" + query)
    assert resp.status_code == 400
    assert "zonder de gegevens die het dossier hoort mee te geven" in _error_text(resp)
    assert len(fhir.rsps.calls) == calls


def test_authorization_error_is_escaped_and_dutch(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir, caplog: pytest.LogCaptureFixture
) -> None:
    """R5: error_description from the EHR renders as text, never as markup; the log keeps it out."""
    q = parse_qs(urlsplit(to_authorize(client, auth.launch_url("buddy-y1", "y1"))).query)
    evil = '<script>alert("x")</script><b>vet</b>'
    resp = client.get(
        "/launch/callback?"
        + urlencode({"error": "access_denied", "error_description": evil, "state": q["state"][0]})
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 403
    assert "<script>" not in html and "<b>vet</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;vet&lt;/b&gt;" in html
    assert "heeft de app geen toegang gegeven" in _error_text(resp)
    assert "alert" not in caplog.text


def test_cookies_blocked_gives_the_new_tab_page(app: Any, auth: AuthServer, fhir: FakeFhir) -> None:
    """§3 iframe pain point: the cookie set at /launch did not come back at the callback."""
    framed = app.test_client()
    callback = _callback_for(framed, auth)
    framed.delete_cookie("hvol_sid")  # what a browser blocking third-party cookies does
    resp = framed.get(path_of(callback))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "uw browser blokkeert cookies" in html
    link = re.search(
        r'<a href="([^"]+)" target="_blank" rel="noopener">Open de app in een nieuw tabblad', html
    )
    assert link and link.group(1).startswith("/launch/standalone?iss=")


def test_session_cookie_is_opaque_and_iframe_ready(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir
) -> None:
    """R7: the cookie is only an id; SameSite=None; Secure; Partitioned; HttpOnly for the EHR iframe."""
    resp = client.get(path_of(auth.launch_url("buddy-y1", "y1")))
    cookie = resp.headers["Set-Cookie"]
    for part in ("Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert part in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)


# --- id_token -------------------------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _alg_none(body: dict[str, Any]) -> dict[str, Any]:
    return {
        **body,
        "id_token": _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(body["id_token"])) + ".",
    }


def _unsigned(body: dict[str, Any]) -> dict[str, Any]:
    head, payload, _sig = body["id_token"].split(".")
    return {**body, "id_token": f"{head}.{payload}."}


def _forged(body: dict[str, Any]) -> dict[str, Any]:
    header = json.loads(base64.urlsafe_b64decode(body["id_token"].split(".")[0] + "=="))
    wrong = RSAKey.generate_key(2048, parameters={"kid": header["kid"]})  # same kid, other key
    claims = {**_claims(body["id_token"]), "fhirUser": FHIR_BASE + "/Practitioner/coordinator"}
    return {**body, "id_token": jwt.encode({"alg": "RS256", "kid": header["kid"]}, claims, wrong)}


@pytest.mark.parametrize("spoil", [_alg_none, _unsigned, _forged], ids=["alg-none", "unsigned", "forged"])
def test_bad_id_token_is_refused(client: FlaskClient, auth: AuthServer, fhir: FakeFhir, spoil: Any) -> None:
    """R201, R218: signature checked with the issuer's JWKS; alg none and unsigned tokens refused."""
    tamper_token_response(fhir, spoil)
    resp = client.get(path_of(_callback_for(client, auth)))
    assert resp.status_code == 401
    assert "identiteit van de gebruiker kon niet worden vastgesteld" in _error_text(resp)


def test_id_token_with_wrong_aud_is_refused(client: FlaskClient, auth: AuthServer, fhir: FakeFhir) -> None:
    """R201: aud must contain our client_id, even when the issuer's signature is genuine."""

    def other_aud(body: dict[str, Any]) -> dict[str, Any]:
        claims = {**_claims(body["id_token"]), "aud": "another-app"}
        return {**body, "id_token": auth.settings.token_issuer.sign(claims)}

    tamper_token_response(fhir, other_aud)
    resp = client.get(path_of(_callback_for(client, auth)))
    assert resp.status_code == 401


# --- discovery and scopes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [(404, {"error": "not found"}), (200, "<html>geen json</html>"), (200, {"authorization_endpoint": "/a"})],
    ids=["missing", "html", "no-token-endpoint"],
)
def test_bad_discovery_document(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir, status: int, body: Any
) -> None:
    """R29 / §1.4: missing or malformed smart-configuration (the metadata fallback fails too)."""
    fhir.discovery, fhir.discovery_status = body, status
    fhir.rsps.add(responses.GET, FHIR_BASE + "/metadata", status=404)
    resp = client.get(path_of(auth.launch_url("buddy-y1", "y1")))
    assert resp.status_code == 502
    assert "inloggegevens van het dossiersysteem niet ophalen" in _error_text(resp)


# The EHR allows the app everything except the journal (Communication, AuditEvent), measurements and tasks.
NARROW_SCOPES = (
    "launch openid fhirUser online_access patient/Patient.r patient/CarePlan.cruds patient/CareTeam.cruds "
    "patient/Encounter.cruds patient/Consent.cruds user/Practitioner.r user/PractitionerRole.rs"
)


@pytest.mark.parametrize("auth_scope", [NARROW_SCOPES], indirect=True)
def test_granted_scopes_narrower_than_requested(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir
) -> None:
    """R147: the EHR grants less; the buddy's journal and contacts are switched off with a clear message."""
    callback = _callback_for(client, auth)
    page = client.get(path_of(callback)).headers["Location"]
    html = client.get(page).get_data(as_text=True)
    off = re.search(r'data-testid="switched-off">(.*?)</div>', html, re.S)
    assert off, html
    assert 'data-role="buddy"' in html
    assert "Dagboek lezen en schrijven" in off.group(1) and "Metingen" in off.group(1)
    assert "Contactmomenten vastleggen" not in off.group(1)  # what the grant does allow still works
    assert "Sanne Testmeisje" in html
