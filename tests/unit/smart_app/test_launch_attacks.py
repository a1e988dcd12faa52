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

from hvol_fhir.privacy.features import FEATURES
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
    assert FEATURES["journal"].label in off.group(1) and "Metingen" in off.group(1)
    assert "Contactmomenten vastleggen" not in off.group(1)  # what the grant does allow still works
    assert "Sanne Testmeisje" in html


# --- issue 13, cause 11: iss host confusion ----------------------------------------------------------------

_HOST = urlsplit(FHIR_BASE).netloc
CONFUSING_ISS = [
    f"http://evil.example\\@{_HOST}/fhir",
    f"http://evil.example@{_HOST}/fhir",
    f"http://u:p@{_HOST}/fhir",
    f"http://{_HOST}\\fhir",
    f"{FHIR_BASE}#x",
    f"{FHIR_BASE}?a=b",
    f"{FHIR_BASE}\r\n",
    f"{FHIR_BASE}\x00",
    f" {FHIR_BASE}",
]


@pytest.mark.parametrize("iss", CONFUSING_ISS)
def test_confusing_iss_is_refused_and_sends_nothing(client: FlaskClient, fhir: FakeFhir, iss: str) -> None:
    """Cause 11: an iss that parsers read differently never passes the allowlist, nothing is sent."""
    calls = len(fhir.rsps.calls)
    resp = client.get("/launch?" + urlencode({"iss": iss, "launch": "abc"}))
    assert resp.status_code == 403, resp.get_data(as_text=True)
    assert len(fhir.rsps.calls) == calls


def test_aud_and_fhir_base_are_the_registered_ones(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir
) -> None:
    """Cause 11: the parameter only selects the registration; aud is the registered base."""
    url = auth.launch_url("buddy-y1", "y1").replace("iss=http", "iss=HTTP")
    q = parse_qs(urlsplit(to_authorize(client, url)).query)
    assert q["aud"] == [FHIR_BASE]


# --- issue 13, cause 12: an error callback needs valid state ----------------------------------------------


@pytest.mark.parametrize("state", ["missing", "unknown", "other-browser"])
def test_error_callback_without_valid_state_is_refused(
    app: Any, auth: AuthServer, fhir: FakeFhir, state: str
) -> None:
    """Cause 12: anyone's link with error= must not show 'the EHR says' text; it is refused like any
    callback without valid state."""
    victim, other = app.test_client(), app.test_client()
    to_authorize(victim, auth.launch_url("buddy-y1", "y1"))
    params = {"error": "access_denied", "error_description": "Bel 0900-OPLICHTER voor hulp"}
    if state == "unknown":
        params["state"] = "s" * 43
    elif state == "other-browser":
        params["state"] = parse_qs(urlsplit(to_authorize(other, auth.launch_url("staff", "y2"))).query)[
            "state"
        ][0]
    resp = victim.get("/launch/callback?" + urlencode(params))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "OPLICHTER" not in html and "hoort niet (meer) bij dit venster" in _error_text(resp)


def test_callback_error_is_logged_escaped(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir, caplog: pytest.LogCaptureFixture
) -> None:
    """Cause 14: the callback's error value cannot forge a log line."""
    import logging

    caplog.set_level(logging.INFO)
    q = parse_qs(urlsplit(to_authorize(client, auth.launch_url("buddy-y1", "y1"))).query)
    client.get("/launch/callback?" + urlencode({"error": "denied\nINFO forged line", "state": q["state"][0]}))
    assert not any("\n" in r.getMessage() for r in caplog.records)
    assert any("forged line" in r.getMessage() for r in caplog.records)


# --- issue 13, cause 6: the shared browser -----------------------------------------------------------------


def _cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def _landing(client: FlaskClient, auth: AuthServer, user: str, patient: str) -> str:
    resp = client.get(path_of(_callback_for(client, auth, user, patient)))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return str(resp.headers["Location"]).removesuffix("vandaag")  # the launch's home (issue 15)


def test_another_users_launch_ends_the_earlier_ones(app: Any, auth: AuthServer, fhir: FakeFhir) -> None:
    """Cause 6: buddy launches, then the mentor in the same browser; the buddy's launch URLs are dead."""
    browser = app.test_client()
    buddy_page = _landing(browser, auth, "buddy-y1", "y1")
    assert browser.get(buddy_page).status_code == 200
    mentor_page = _landing(browser, auth, "mentor", "y1")
    assert browser.get(mentor_page).status_code == 200
    for path in ("", "t/hv-traject-1/journaal", "t/hv-traject-1/delen", "kaart"):
        resp = browser.get(buddy_page + path)
        assert resp.status_code == 401, (path, resp.status_code)
        assert "Bo Maatje" not in resp.get_data(as_text=True)
    store = app.extensions["hvol"].store
    assert store.get_session(buddy_page.strip("/").split("/")[1]) is None  # ended, not only hidden


def test_the_same_users_tabs_survive_rotation(app: Any, auth: AuthServer, fhir: FakeFhir) -> None:
    """Cause 6 control: the same user's second launch keeps her first tab (only the id rotates)."""
    browser = app.test_client()
    first = _landing(browser, auth, "coach", "y1")
    sid1 = _cookie(browser)
    second = _landing(browser, auth, "coach", "y2")
    assert _cookie(browser) != sid1
    assert browser.get(first).status_code == 200 and browser.get(second).status_code == 200


def test_session_id_is_rotated_at_the_callback(app: Any, auth: AuthServer, fhir: FakeFhir) -> None:
    """Cause 6: the id the browser had before the callback is dead after it."""
    browser = app.test_client()
    callback = _callback_for(browser, auth)
    before = _cookie(browser)
    page = browser.get(path_of(callback)).headers["Location"]
    after = _cookie(browser)
    assert before and after and before != after
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], before)
    assert thief.get(page).status_code == 401


def test_planted_session_id_does_not_become_the_victims(app: Any, auth: AuthServer, fhir: FakeFhir) -> None:
    """Cause 6, fixation: the attacker gets a real id from the app and plants it; after the victim's
    launch that id opens nothing."""
    attacker, victim = app.test_client(), app.test_client()
    attacker.get(path_of(auth.launch_url("staff", "y2")))
    planted = _cookie(attacker)
    assert planted
    victim.set_cookie(app.config["SESSION_COOKIE_NAME"], planted)
    page = _landing(victim, auth, "buddy-y1", "y1")
    assert _cookie(victim) != planted
    assert attacker.get(page).status_code == 401


@pytest.mark.parametrize("value", ["A" * 43, "aanvaller-gekozen-sessie-" + "x" * 20])
def test_session_id_the_app_did_not_issue_is_never_accepted(
    app: Any, auth: AuthServer, fhir: FakeFhir, value: str
) -> None:
    """Cause 6, fixation: a well-formed id the app never issued is replaced at /launch."""
    browser = app.test_client()
    browser.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    resp = browser.get(path_of(auth.launch_url("buddy-y1", "y1")))
    assert resp.status_code == 302 and _cookie(browser) != value
    page = _landing(browser, auth, "buddy-y1", "y1")
    assert _cookie(browser) != value
    forger = app.test_client()
    forger.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    assert forger.get(page).status_code == 401


def test_host_prefixed_cookie_on_https(key: Any, tmp_path: Path, clock: FakeClock, fhir: FakeFhir) -> None:
    """Cause 6: on https the cookie is __Host- (Secure, Path=/, no Domain): no sibling host can plant it."""
    app = make_app(key, tmp_path, clock, HVOL_APP_URL="https://app.example.org")
    resp = app.test_client().get("/launch?" + urlencode({"iss": FHIR_BASE, "launch": "x"}))
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("__Host-hvol_sid=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


def test_idle_journal_session_expires(app: Any, auth: AuthServer, fhir: FakeFhir, clock: FakeClock) -> None:
    """Cause 6: a launch with journal access ends after 30 idle minutes (default); activity keeps it."""
    browser = app.test_client()
    page = _landing(browser, auth, "buddy-y1", "y1")
    for _ in range(3):
        clock.advance(25 * 60)
        assert browser.get(page).status_code == 200  # used within the limit each time
    clock.advance(31 * 60)
    resp = browser.get(page + "t/hv-traject-1/journaal")
    assert resp.status_code == 401 and "niet actief" in _error_text(resp)
    assert browser.get(page).status_code == 401  # the launch is gone


def test_idle_limit_is_configurable_and_card_only_launches_keep(
    key: Any, tmp_path: Path, clock: FakeClock, auth: AuthServer, fhir: FakeFhir
) -> None:
    app = make_app(key, tmp_path, clock, HVOL_JOURNAL_IDLE_MINUTES="5")
    buddy, mentor = app.test_client(), app.test_client()
    buddy_page = _landing(buddy, auth, "buddy-y1", "y1")
    mentor_page = _landing(mentor, auth, "mentor", "y1")
    clock.advance(6 * 60)
    assert buddy.get(buddy_page).status_code == 401
    assert mentor.get(mentor_page).status_code == 200  # the programme card holds no journal


# --- issue 13, cause 13: narrowing -------------------------------------------------------------------------


def _tamper_refresh(fake: FakeFhir, change: Any) -> dict[str, str]:
    """Route POST /token through the real server; ``change(status, body, first_scope)`` spoils refresh
    answers. Returns a dict that holds the first grant's scope once the code was exchanged."""
    first: dict[str, str] = {}
    test_client = fake.auth.server.app.test_client()

    def forward(request: Any) -> tuple[int, dict[str, str], str]:
        raw = request.body if isinstance(request.body, str) else (request.body or b"").decode()
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        resp = test_client.post("/token", data=form)
        body, status = resp.get_json(), resp.status_code
        if form.get("grant_type") == "authorization_code" and status == 200:
            first["scope"] = str(body.get("scope") or "")
        if form.get("grant_type") == "refresh_token":
            status, body = change(status, body, first.get("scope", ""))
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    fake.rsps.add_callback(responses.POST, fake.auth.url + "/token", callback=forward)
    return first


def test_grant_wider_than_asked_is_not_narrowed(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir, caplog: pytest.LogCaptureFixture
) -> None:
    """Cause 13: a launcher that ignores the scope on refresh hands the first grant back: the launch is
    refused (fail-closed), the broad token is not kept, the log says it was not narrowed."""
    import logging

    caplog.set_level(logging.INFO)
    first = _tamper_refresh(fhir, lambda status, body, scope: (status, {**body, "scope": scope}))
    resp = client.get(path_of(_callback_for(client, auth, "mentor", "y1")))
    assert "patient/Communication" in first["scope"]  # the first grant was the broad union
    assert resp.status_code == 403, resp.get_data(as_text=True)
    assert "meer rechten dan uw rol nodig heeft" in _error_text(resp)
    assert "not narrowed" in caplog.text and "narrowed=True" not in caplog.text
    store = client.application.extensions["hvol"].store
    assert not store._sessions  # the broad token is dropped with the launch


def test_refused_narrowing_refuses_the_launch(client: FlaskClient, auth: AuthServer, fhir: FakeFhir) -> None:
    """Cause 13: the EHR refuses every narrowing refresh: the broad first token is not kept."""

    def refuse(status: int, body: dict[str, Any], scope: str) -> tuple[int, dict[str, Any]]:
        return 400, {"error": "invalid_scope", "error_description": "scope on refresh not supported"}

    _tamper_refresh(fhir, refuse)
    resp = client.get(path_of(_callback_for(client, auth, "buddy-y1", "y1")))
    assert resp.status_code == 403 and "meer rechten dan uw rol nodig heeft" in _error_text(resp)


def test_narrowing_asks_only_within_the_grant() -> None:
    """Cause 13, R108: the refresh never asks what the first grant did not give."""
    from hvol_fhir.smart.renewal import narrowing_candidates

    granted = ["launch", "openid", "fhirUser", "online_access", "patient/CarePlan.rs", "patient/Patient.r"]
    wanted = ("launch", "openid", "fhirUser", "online_access", "patient/CarePlan.crus", "patient/Patient.r",
              "patient/Communication.crus")  # fmt: skip
    for candidate in narrowing_candidates(wanted, granted):
        assert "patient/Communication.crus" not in candidate and "patient/CarePlan.crus" not in candidate


# --- issue 13, cause 14 ---------------------------------------------------------------------------------


def test_missing_id_token_gives_the_card_not_a_refusal(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir
) -> None:
    """Cause 14: no id_token although openid was granted: the launch works without identity (card only)."""
    tamper_token_response(fhir, lambda body: {k: v for k, v in body.items() if k != "id_token"})
    resp = client.get(path_of(_callback_for(client, auth, "buddy-y1", "y1")))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-role="staff"' in html


def test_app_refuses_to_start_without_frame_ancestors(tmp_path: Path, key: Any) -> None:
    """Cause 14: outside sandbox/test mode frame-ancestors must be an explicit list."""
    from hvol_fhir.smart import ConfigurationError
    from smart_app import create_app

    base = {
        "HVOL_ISSUERS": "https://ehr.example.org/fhir",
        "HVOL_APP_URL": "https://app.example.org",
        "HVOL_SIGNING_KEY": key,
        "HVOL_SESSION_STORE": "memory",
    }
    for value in (None, "", "*", "https://ehr.example.org *"):
        config = dict(base) if value is None else {**base, "HVOL_FRAME_ANCESTORS": value}
        with pytest.raises(ConfigurationError):
            create_app(config)
    app = create_app({**base, "HVOL_FRAME_ANCESTORS": "https://ehr.example.org https://b.example.org"})
    csp = app.test_client().get("/").headers["Content-Security-Policy"]
    assert "frame-ancestors https://ehr.example.org https://b.example.org" in csp


def test_jwks_publishes_the_previous_key_for_overlap(tmp_path: Path) -> None:
    """Cause 14: after a rotation the JWK Set holds the new key and the previous one."""
    from smart_app import create_app
    from smart_app.config import load_or_create_key, rotate_key

    path = tmp_path / "app-key.json"
    old = load_or_create_key(path)
    new = rotate_key(path)
    app = create_app(
        {
            "HVOL_ISSUERS": "https://ehr.example.org/fhir",
            "HVOL_APP_URL": "https://app.example.org",
            "HVOL_KEY_FILE": str(path),
            "HVOL_SESSION_STORE": "memory",
            "HVOL_FRAME_ANCESTORS": "https://ehr.example.org",
        }
    )
    kids = [k["kid"] for k in app.test_client().get("/.well-known/jwks.json").get_json()["keys"]]
    assert kids == [new.kid, old.kid] and old.kid != new.kid
    assert app.extensions["hvol"].key.kid == new.kid  # the new key signs


def test_basic_encoding_is_configurable_per_issuer(tmp_path: Path, key: Any) -> None:
    from smart_app.config import build_registry, normalise

    config = normalise(
        {
            "HVOL_APP_URL": "https://app.example.org",
            "HVOL_CLIENT_ID": "hvol-app",
            "HVOL_ISSUERS": "",
            "HVOL_SANDBOX": False,
            "HVOL_FHIR_TIMEOUT": 10,
            "HVOL_TRANSFER_TIMEOUT": 10,
            "HVOL_ISSUER_REGISTRATIONS": [
                {"iss": "https://a.example/fhir", "auth": "client_secret_basic", "client_secret": "a b"},
                {
                    "iss": "https://b.example/fhir",
                    "auth": "client_secret_basic",
                    "client_secret": "a b",
                    "basic_encoding": "plain",
                },
            ],
        }
    )
    registry = build_registry(config, key)
    headers = {}
    for iss in ("https://a.example/fhir", "https://b.example/fhir"):
        h: dict[str, str] = {}
        registry.lookup(iss).auth.apply({}, h, "https://x/token")
        headers[iss] = base64.b64decode(h["Authorization"].removeprefix("Basic "))
    assert headers == {"https://a.example/fhir": b"hvol-app:a%20b", "https://b.example/fhir": b"hvol-app:a b"}


def test_transfer_reuses_its_backend_token(app: Any) -> None:
    """Cause 14: one Backend Services client per server and scope, so its token is reused."""
    from smart_app.transfer import backend_auth

    with app.app_context():
        one = backend_auth("https://b.example/fhir", "hvol-transfer", "system/Patient.crs")
        two = backend_auth("https://b.example/fhir", "hvol-transfer", "system/Patient.crs")
    assert one is two
