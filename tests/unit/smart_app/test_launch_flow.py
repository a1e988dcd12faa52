"""EHR and standalone launch end to end against the sandbox authorization server (in-process, real port)
and a fake FHIR server; roles, narrowing, two tabs, refresh. R# = SMART requirement ids (smart-launch.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from flask.testing import FlaskClient

from hvol_fhir.privacy.features import FEATURES, ROLE_FEATURES
from hvol_fhir.sealing.keys import FileKeyStore
from hvol_fhir.sealing.vaults import Vaults
from hvol_fhir.smart import PrivateKeyJwt
from hvol_fhir.smart import token as tokens
from smart_app.state import AppState

from .conftest import (
    AuthServer,
    FakeClock,
    FakeFhir,
    authorize,
    ehr_launch,
    home_of,
    launch_id_of,
    make_app,
    path_of,
    to_authorize,
)

JOURNAL_LABEL = FEATURES["journal"].label  # as the landing page lists it


def _state(client: FlaskClient) -> AppState:
    return client.application.extensions["hvol"]  # type: ignore[no-any-return]


def test_ehr_launch_buddy_sees_name_age_and_role(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir
) -> None:
    launch_url = auth.launch_url("buddy-y1", "y1")
    authorize_url = to_authorize(client, launch_url)
    q = parse_qs(urlsplit(authorize_url).query)
    sent_launch = parse_qs(urlsplit(launch_url).query)["launch"][0]
    assert q["launch"] == [sent_launch]  # R35: launch as received
    assert q["aud"] == parse_qs(urlsplit(launch_url).query)["iss"]  # R41
    assert q["code_challenge_method"] == ["S256"]  # R44, R45
    assert "launch" in q["scope"][0].split()
    page = client.get(path_of(ehr_launch_from(client, authorize_url)))
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert 'data-role="buddy"' in html and "Ervaringsmaatje" in html
    assert "Sanne Testmeisje" in html and "jaar" in html
    assert "Bo Maatje" in html  # the user's own name, from Practitioner
    assert JOURNAL_LABEL in html


def ehr_launch_from(client: FlaskClient, authorize_url: str) -> str:
    resp = client.get(path_of(authorize(authorize_url)))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return home_of(str(resp.headers["Location"]))


def test_grant_is_narrowed_to_the_role(client: FlaskClient, auth: AuthServer, fhir: FakeFhir) -> None:
    page = ehr_launch(client, auth, "mentor", "y1")
    assert client.get(page).status_code == 200
    # Role discovery used the first (union) token; the page load used the narrowed one.
    discovery_scopes = next(s for rtype, s in fhir.seen_scopes if rtype == "CareTeam")
    page_scopes = [s for rtype, s in fhir.seen_scopes if rtype == "Patient"][-1]
    assert any(s.startswith("patient/Communication") for s in discovery_scopes)
    assert not any(
        s.startswith(("patient/Communication", "patient/Consent", "user/Task")) for s in page_scopes
    )
    session = _state(client).store.get_session(launch_id_of(page))
    assert session is not None
    assert session.features == ROLE_FEATURES["staff"]  # mentor = regular staff (P-MENTOR)
    assert set(session.granted_scope.split()) == set(page_scopes)


def test_coordinator_role_comes_from_practitionerrole(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir
) -> None:
    html = client.get(ehr_launch(client, auth, "coordinator", "y2")).get_data(as_text=True)
    assert 'data-role="coordinator"' in html
    assert "Toestemmingen beheren" in html


def test_other_staff_get_the_programme_card_only(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir
) -> None:
    html = client.get(ehr_launch(client, auth, "staff", "y1")).get_data(as_text=True)
    assert 'data-role="staff"' in html
    assert "Programmakaart" in html
    assert "Contactjournaal lezen" not in html


def test_standalone_launch(client: FlaskClient, auth: AuthServer, fhir: FakeFhir) -> None:
    authorize_url = to_authorize(client, "/launch/standalone")
    q = parse_qs(urlsplit(authorize_url).query)
    assert "launch" not in q  # R36
    assert "launch/patient" in q["scope"][0].split()  # R152, R166
    resp = client.get(path_of(authorize(authorize_url, user="coach", patient="y2")))
    assert resp.status_code == 303
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-role="coach"' in html and "Noor Voorbeeld" in html


def test_two_tabs_with_two_patients_never_mix(client: FlaskClient, auth: AuthServer, fhir: FakeFhir) -> None:
    """One browser (one cookie jar), two EHR launches: each tab keeps its own patient (§3 multiple tabs)."""
    tab1 = ehr_launch(client, auth, "coach", "y1")
    tab2 = ehr_launch(client, auth, "coach", "y2")
    assert tab1 != tab2
    for _ in range(2):
        one, two = client.get(tab1).get_data(as_text=True), client.get(tab2).get_data(as_text=True)
        assert "Sanne Testmeisje" in one and "Noor Voorbeeld" not in one
        assert "Noor Voorbeeld" in two and "Sanne Testmeisje" not in two


def test_expired_access_token_is_refreshed(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir, clock: FakeClock
) -> None:
    page = ehr_launch(client, auth, "buddy-y1", "y1")
    store = _state(client).store
    _state(client).service.journal_idle = 3 * 3600  # about token expiry, not the idle limit
    before = store.get_session(launch_id_of(page))
    clock.advance(2 * 3600)  # the app now sees the access token as expired
    resp = client.get(page)
    assert resp.status_code == 200
    after = store.get_session(launch_id_of(page))
    assert before is not None and after is not None
    assert after.access_token != before.access_token and after.refresh_token != before.refresh_token  # R117
    # The refresh asked for the narrow set again (R107, R108).
    assert set(after.granted_scope.split()) == set(before.granted_scope.split())


def test_token_rejected_by_fhir_refreshes_once_and_retries(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir
) -> None:
    page = ehr_launch(client, auth, "buddy-y1", "y1")
    store = _state(client).store
    from dataclasses import replace

    session = store.get_session(launch_id_of(page))
    assert session is not None
    store.put_session(replace(session, access_token="revoked"), 3600)
    resp = client.get(page)
    assert resp.status_code == 200 and "Sanne Testmeisje" in resp.get_data(as_text=True)


def test_refused_refresh_shows_the_relaunch_page(
    client: FlaskClient, auth: AuthServer, fhir: FakeFhir, clock: FakeClock, key: Any
) -> None:
    page = ehr_launch(client, auth, "buddy-y1", "y1")
    session = _state(client).store.get_session(launch_id_of(page))
    assert session is not None and session.refresh_token
    # Someone else uses the refresh token first: rotation makes the app's copy invalid (invalid_grant).
    tokens.refresh(
        requests.Session(),
        auth.url + "/token",
        PrivateKeyJwt("hvol-app", key),
        refresh_token=session.refresh_token,
        allow_loopback_http=True,
    )
    _state(client).service.journal_idle = 3 * 3600  # about the refused refresh, not the idle limit
    clock.advance(2 * 3600)
    resp = client.get(page)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 401
    assert "Uw sessie met het dossier is verlopen" in html and "Opnieuw starten" in html
    assert client.get(page).status_code == 401  # the launch is gone


def test_without_the_organisations_keys_every_page_says_so_and_nobody_gets_the_journal(
    key: Any, tmp_path: Path, clock: Any, auth: AuthServer, fhir: FakeFhir
) -> None:
    """Issue 12: a missing key file at start fails cleanly: the app runs, says plainly what is wrong and what
    to do, grants no programme role (memberships cannot be verified) and so opens and writes no journal."""
    missing = Vaults({}, FileKeyStore(tmp_path / "lost" / "vault.json"))  # no sandbox: never made anew
    client = make_app(key, tmp_path, clock, HVOL_VAULTS=missing).test_client()
    authorize_url = to_authorize(client, auth.launch_url("buddy-y1", "y1"))
    page = client.get(path_of(ehr_launch_from(client, authorize_url)))
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert 'data-testid="keys-missing"' in html and "Vraag de beheerder" in html
    assert 'data-role="buddy"' not in html and JOURNAL_LABEL not in html
    assert not (tmp_path / "lost").exists()
