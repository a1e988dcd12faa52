"""Issue 13, causes 11, 12, 13 and 14 at the library level: iss shapes, state before error, identity off for
odd users, token-endpoint errors in the log, Basic encoding, narrowing helpers, Backend Services reuse."""

from __future__ import annotations

import base64
import logging

import pytest
import requests
import responses

from hvol_fhir.smart import (
    AuthorizationDenied,
    ClientSecretBasic,
    IdTokenInvalid,
    InvalidState,
    IssuerNotAllowed,
    SmartLauncher,
    TokenRequestFailed,
)
from hvol_fhir.smart.token import token_request

from .conftest import BASE, TOKEN, FakeClock, FakeEhr

SID = "browser-session-1"
HOST = "ehr.example.org"

# Cause 11: every shape that parsers read differently, built around the allowlisted host.
CONFUSING_ISS = [
    f"https://evil.example\\@{HOST}/fhir",  # the reported one: urlsplit says ehr, requests says evil
    f"https://evil.example@{HOST}/fhir",
    f"https://user:pw@{HOST}/fhir",
    f"https://{HOST}\\fhir",
    f"https://{HOST}/fhir#frag",
    f"https://{HOST}/fhir?x=1",
    f"https://{HOST}/fhir?",
    f"https://{HOST}/fhir\n",
    f"https://{HOST}/fhir\t",
    f"https://{HOST}\x00.evil.example/fhir",
    f" https://{HOST}/fhir",
    f"https://{HOST}/fh ir",
    f"https://{HOST}/fhir\x7f",
    f"https://{HOST}/fhir\u0085",
]


@pytest.mark.parametrize("iss", CONFUSING_ISS)
def test_confusing_iss_is_refused_before_any_request(
    launcher: SmartLauncher, ehr: FakeEhr, rsps: responses.RequestsMock, iss: str
) -> None:
    with pytest.raises(IssuerNotAllowed):
        launcher.begin_launch(iss, "x", SID)
    assert len(rsps.calls) == 0


def test_fhir_base_and_aud_come_from_the_registration(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    url, pending = launcher.begin_launch("HTTPS://EHR.EXAMPLE.ORG:443/fhir/", "x", SID)
    session = launcher.complete_launch(ehr.authorize(url), SID)
    assert pending.iss == pending.aud == BASE and session.fhir_base == BASE


# --- cause 12: an error redirect needs valid state like any other --------------------------------------


@pytest.mark.parametrize("state", [None, "", "x" * 43, "other-session"])
def test_error_redirect_without_valid_state_is_refused(
    launcher: SmartLauncher, ehr: FakeEhr, state: str | None
) -> None:
    url, _ = launcher.begin_launch(BASE, "x", "someone-else")
    params = {"error": "access_denied", "error_description": "<b>EHR tekst</b>"}
    if state == "other-session":
        params["state"] = ehr.authorize(url)["state"]  # a real state, of another browser session
    elif state is not None:
        params["state"] = state
    with pytest.raises(InvalidState) as err:
        launcher.complete_launch(params, SID)
    assert not isinstance(err.value, AuthorizationDenied) and "EHR tekst" not in str(err.value)


def test_error_values_are_logged_escaped(
    launcher: SmartLauncher, ehr: FakeEhr, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url, _ = launcher.begin_launch(BASE, "x", SID)
    state = ehr.authorize(url)["state"]
    with pytest.raises(AuthorizationDenied):
        launcher.complete_launch({"error": "access_denied\nFORGED log line\x1b[31m", "state": state}, SID)
    lines = [r.getMessage() for r in caplog.records if "authorization error" in r.getMessage()]
    assert lines and all("\n" not in line and "\x1b" not in line for line in lines)
    assert "FORGED" in lines[0]  # escaped, not dropped


# --- cause 14: odd users and a missing id_token switch identity off --------------------------------------


@pytest.mark.parametrize(
    "fhir_user",
    ["PractitionerRole/pr-1", "RelatedPerson/rp-1", "Patient/youth-1", "Device/d-1", "Person/p-1", "x"],
)
def test_odd_fhir_user_switches_identity_off(launcher: SmartLauncher, ehr: FakeEhr, fhir_user: str) -> None:
    ehr.fhir_user = fhir_user
    url, _ = launcher.begin_launch(BASE, "x", SID)
    session = launcher.complete_launch(ehr.authorize(url), SID)
    assert session.fhir_user is None and "identity" in session.disabled_features
    assert session.id_token_sub == "user-1"  # still the same person for "same user in this browser"


def test_missing_id_token_switches_identity_off(
    launcher: SmartLauncher, ehr: FakeEhr, rsps: responses.RequestsMock
) -> None:
    original = ehr.id_token
    ehr.id_token = lambda **kw: None  # type: ignore[method-assign,assignment,return-value]
    try:
        url, _ = launcher.begin_launch(BASE, "x", SID)
        session = launcher.complete_launch(ehr.authorize(url), SID)
    finally:
        ehr.id_token = original  # type: ignore[method-assign]
    assert session.fhir_user is None and "identity" in session.disabled_features
    assert session.has_feature("programme-card")


def test_forged_id_token_is_still_refused(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    url, _ = launcher.begin_launch(BASE, "x", SID)
    params = ehr.authorize(url)
    ehr.codes[params["code"]]["query"]["nonce"] = "not-the-app's"
    with pytest.raises(IdTokenInvalid):
        launcher.complete_launch(params, SID)


@pytest.mark.parametrize(
    ("error", "description"),
    [
        ("invalid_client", "unknown kid app-rsa"),
        ("invalid_client", "client secret mismatch\nsecond line <script>"),
        ("unauthorized_client", "client may not use this grant"),
    ],
)
def test_token_endpoint_errors_are_logged_with_the_servers_words(
    rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture, error: str, description: str
) -> None:
    caplog.set_level(logging.INFO)
    rsps.add(responses.POST, TOKEN, status=401, json={"error": error, "error_description": description})
    auth = ClientSecretBasic("hvol-app", "top-secret-value")
    with pytest.raises(TokenRequestFailed):
        token_request(
            requests.Session(),
            TOKEN,
            {"grant_type": "refresh_token", "refresh_token": "rt-secret-value"},
            auth,
            allow_loopback_http=False,
        )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert f"error='{error}'" in text and description.split("\n")[0] in text
    assert "second line" not in text or "\\nsecond line" in text  # escaped, one log line per refusal
    assert "top-secret-value" not in text and "rt-secret-value" not in text


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("form", b"app%20id:s%3Acret%2F%2B"), ("plain", b"app id:s:cret/+")],
)
def test_client_secret_basic_encoding_per_issuer(encoding: str, expected: bytes) -> None:
    auth = ClientSecretBasic("app id", "s:cret/+", encoding)  # type: ignore[arg-type]
    headers: dict[str, str] = {}
    auth.apply({}, headers, TOKEN)
    assert base64.b64decode(headers["Authorization"].removeprefix("Basic ")) == expected


# --- cause 13: what a narrowing refresh may ask, and what counts as narrowed ----------------------------


def test_wider_grant_is_detected() -> None:
    from hvol_fhir.smart.scopes import wider_than

    asked = ("launch", "patient/CarePlan.rs", "patient/Encounter.crus")
    assert wider_than(("patient/CarePlan.rs", "launch", "openid"), asked) == ()
    assert wider_than(("patient/CarePlan.r",), asked) == ()  # narrower still counts as narrowed
    for wider in ("patient/Communication.rs", "patient/*.read", "user/CarePlan.rs", "patient/CarePlan.cruds"):
        assert wider_than(("patient/CarePlan.rs", wider), asked) == (wider,)


def test_covered_by_the_grant() -> None:
    from hvol_fhir.smart.scopes import covered_by

    grant = ("launch", "openid", "patient/*.cruds", "user/Practitioner.rs")
    assert covered_by("patient/CarePlan.rs", grant) and covered_by("launch", grant)
    assert not covered_by("user/Task.crus", grant) and not covered_by("fhirUser", grant)


def test_transfer_asks_narrow_v2_scopes() -> None:
    from hvol_fhir.transfer.scopes import SOURCE_SCOPES, TARGET_SCOPES

    for scope in (*SOURCE_SCOPES, *TARGET_SCOPES):
        kind, _, rest = scope.partition("/")
        rtype, _, letters = rest.partition(".")
        assert kind == "system" and rtype != "*" and letters and set(letters) <= set("cruds")
    assert "system/Communication.rs" in SOURCE_SCOPES  # the shared journal entries are read at A
    assert not any(s.startswith("system/Communication.") and "u" in s.split(".")[1] for s in SOURCE_SCOPES)


def test_backend_token_is_reused_until_it_expires(
    registration: object, clock: FakeClock, ehr: FakeEhr
) -> None:
    from hvol_fhir.smart import BackendServicesClient
    from hvol_fhir.transfer.scopes import SOURCE_SCOPES

    ehr.expires_in = 300
    client = BackendServicesClient(registration, SOURCE_SCOPES, http=requests.Session(), clock=clock)  # type: ignore[arg-type]
    first = client.access_token()
    clock.advance(200)
    assert client.access_token() == first and len(ehr.token_forms) == 1
    assert ehr.token_forms[0]["scope"] == " ".join(SOURCE_SCOPES)
    clock.advance(100)
    assert client.access_token() != first and len(ehr.token_forms) == 2
