"""End-to-end launch flows against the fake EHR, and the attack cases around them (R# cited per test)."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from hvol_fhir.privacy.features import FEATURES, ROLE_FEATURES, disabled_message
from hvol_fhir.smart import (
    AuthorizationDenied,
    IdTokenInvalid,
    InvalidGrant,
    InvalidState,
    IssuerNotAllowed,
    LaunchExpired,
    LaunchRequestInvalid,
    MemoryLaunchStore,
    NarrowingFailed,
    RelaunchRequired,
    SmartLauncher,
    UnknownLaunch,
)

from .conftest import AUTH, BASE, CLIENT_ID, REDIRECT, TOKEN, FakeClock, FakeEhr, s256

SID = "browser-session-1"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def launch(launcher: SmartLauncher, ehr: FakeEhr, sid: str = SID, launch_code: str = "opaque+launch/=="):
    url, pending = launcher.begin_launch(BASE, launch_code, sid)
    return launcher.complete_launch(ehr.authorize(url), sid), url, pending


def test_ehr_launch_full_flow(launcher: SmartLauncher, ehr: FakeEhr, rsps: responses.RequestsMock) -> None:
    url, pending = launcher.begin_launch(BASE, "opaque+launch/==", SID)
    q = query(url)
    assert url.startswith("https://auth.example.org/authorize?")
    assert q["response_type"] == "code"  # R32
    assert q["client_id"] == CLIENT_ID  # R33
    assert q["redirect_uri"] == REDIRECT  # R34
    assert q["launch"] == "opaque+launch/=="  # R35: exactly as received
    assert q["aud"] == BASE  # R41
    scopes = q["scope"].split()
    assert "launch" in scopes and "openid" in scopes and "fhirUser" in scopes  # R35, R47
    assert q["code_challenge_method"] == "S256"  # R45
    assert q["code_challenge"] == s256(pending.code_verifier)  # R44
    assert len(q["state"]) >= 43 and q["state"] == pending.state  # >= 256 bits (R40)
    assert q["nonce"] == pending.nonce

    session = launcher.complete_launch(ehr.authorize(url), SID)
    form = ehr.token_forms[-1]
    assert form["grant_type"] == "authorization_code"  # R67
    assert form["redirect_uri"] == REDIRECT  # R69
    assert form["code_verifier"] == pending.code_verifier  # R70
    assert "client_id" not in form  # R72
    assert session.access_token == ehr.issued[-1]
    assert session.context.patient == "youth-1" and session.context.encounter == "enc-1"
    assert session.context.need_patient_banner is False
    assert session.fhir_user is not None and session.fhir_user.reference == "Practitioner/pr-1"
    assert session.fhir_user.url == f"{BASE}/Practitioner/pr-1" and session.fhir_user.same_server
    assert session.id_token_sub == "user-1"
    assert session.disabled_features == () and disabled_message(session.disabled_features) is None
    assert launcher.get_session(session.launch_id, SID) == session
    # Discovery, JWKS and the one token request: nothing else went over the wire.
    assert [c.request.method for c in rsps.calls] == ["GET", "POST", "GET"]


def test_tokens_never_in_repr(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    session, _, pending = launch(launcher, ehr)
    text = repr(session) + repr(pending)
    assert session.access_token not in text
    assert session.refresh_token is not None and session.refresh_token not in text
    assert pending.code_verifier not in text and pending.state not in text


def test_standalone_launch(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    url, pending = launcher.begin_standalone(BASE, SID, features=["identity", "youth", "programme-card"])
    q = query(url)
    assert "launch" not in q  # R36
    scopes = q["scope"].split()
    assert "launch" not in scopes and "launch/patient" in scopes  # R152, R166
    assert q["aud"] == BASE
    session = launcher.complete_launch(ehr.authorize(url), SID)
    assert session.kind == "standalone" and session.context.patient == "youth-1"
    assert session.enabled_features == ("identity", "youth", "programme-card")


def test_aud_is_the_registered_base_byte_for_byte(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    # R41 with issue 13 cause 11: the parameter only picks the allowlist entry (matching normalises case and
    # trailing slash); aud and the FHIR base are the registered base, never the parameter's spelling.
    url, pending = launcher.begin_launch("https://EHR.example.org/fhir/", "x", SID)
    assert query(url)["aud"] == BASE and pending.iss == BASE


def test_every_launch_gets_fresh_state_and_verifier(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    _, p1 = launcher.begin_launch(BASE, "x", SID)
    _, p2 = launcher.begin_launch(BASE, "x", SID)
    assert p1.state != p2.state and p1.code_verifier != p2.code_verifier and p1.nonce != p2.nonce


@pytest.mark.parametrize(("iss", "launch_code"), [(None, "x"), ("", "x"), (BASE, None), (BASE, "")])
def test_launch_without_iss_or_launch(
    launcher: SmartLauncher, rsps: responses.RequestsMock, iss, launch_code
) -> None:
    with pytest.raises(LaunchRequestInvalid) as err:
        launcher.begin_launch(iss, launch_code, SID)
    assert len(rsps.calls) == 0
    assert "opnieuw" in err.value.message_nl


def test_unknown_iss_refused_before_any_request(
    launcher: SmartLauncher, rsps: responses.RequestsMock
) -> None:
    # Project rule (§1.2): nothing at all is sent to a server that is not on the allowlist.
    evil = "https://evil.example.com/fhir"
    rsps.add(responses.GET, f"{evil}/.well-known/smart-configuration", json={})
    with pytest.raises(IssuerNotAllowed):
        launcher.begin_launch(evil, "x", SID)
    assert len(rsps.calls) == 0


def test_state_mismatch_is_rejected_without_token_call(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    # R4, R60
    url, _ = launcher.begin_launch(BASE, "x", SID)
    params = ehr.authorize(url)
    for bad in ({**params, "state": "forged"}, {"code": params["code"]}):
        with pytest.raises(InvalidState):
            launcher.complete_launch(bad, SID)
    assert ehr.token_forms == []


def test_state_from_another_browser_session_is_rejected(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    # R61: the state is bound to the session that started the launch, and the attempt consumes it.
    url, _ = launcher.begin_launch(BASE, "x", SID)
    params = ehr.authorize(url)
    with pytest.raises(InvalidState):
        launcher.complete_launch(params, "attacker-session")
    with pytest.raises(InvalidState):
        launcher.complete_launch(params, SID)
    assert ehr.token_forms == []


def test_callback_replay_is_rejected(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    # The pending record is single use (§1.6): the same code + state a second time never reaches the server.
    url, _ = launcher.begin_launch(BASE, "x", SID)
    params = ehr.authorize(url)
    launcher.complete_launch(params, SID)
    with pytest.raises(InvalidState):
        launcher.complete_launch(params, SID)
    assert len(ehr.token_forms) == 1


def test_code_replay_answered_with_invalid_grant(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    # A code already redeemed (e.g. by an attacker) under a fresh state: the server's invalid_grant is typed.
    url1, _ = launcher.begin_launch(BASE, "x", SID)
    params1 = ehr.authorize(url1)
    launcher.complete_launch(params1, SID)
    url2, _ = launcher.begin_launch(BASE, "x", SID)
    params2 = ehr.authorize(url2)
    with pytest.raises(InvalidGrant) as err:
        launcher.complete_launch({"code": params1["code"], "state": params2["state"]}, SID)
    assert err.value.oauth_error == "invalid_grant" and err.value.relaunch


def test_expired_pending_launch(launcher: SmartLauncher, ehr: FakeEhr, clock: FakeClock) -> None:
    url, _ = launcher.begin_launch(BASE, "x", SID)
    params = ehr.authorize(url)
    clock.advance(10 * 60 + 30)  # past the 10-minute limit, still within the store grace
    with pytest.raises(LaunchExpired):
        launcher.complete_launch(params, SID)
    assert ehr.token_forms == []


def test_authorization_error_redirect(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    url, _ = launcher.begin_launch(BASE, "x", SID)
    state = query(url)["state"]
    markup = "<script>alert(1)</script>"
    with pytest.raises(AuthorizationDenied) as err:
        launcher.complete_launch({"error": "access_denied", "error_description": markup, "state": state}, SID)
    assert err.value.oauth_error == "access_denied"
    assert markup not in err.value.message_nl  # the Dutch text is ours; the server's is kept apart (R5)
    assert err.value.server_said == ("access_denied", markup)
    with pytest.raises(InvalidState):  # the state was consumed by the error redirect
        launcher.complete_launch({"code": "c", "state": state}, SID)


def test_mix_up_iss_in_authorization_response(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    url, _ = launcher.begin_launch(BASE, "x", SID)
    params = {**ehr.authorize(url), "iss": "https://other-as.example.org"}
    with pytest.raises(InvalidState):
        launcher.complete_launch(params, SID)
    assert ehr.token_forms == []


def test_id_token_with_wrong_nonce_fails_the_launch(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    url, _ = launcher.begin_launch(BASE, "x", SID)
    params = ehr.authorize(url)
    ehr.codes[params["code"]]["query"]["nonce"] = "someone-elses-nonce"
    with pytest.raises(IdTokenInvalid):
        launcher.complete_launch(params, SID)


def test_granted_scopes_narrower_than_requested(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    # R147: the grant is examined; features that lost a scope are off, with a Dutch message.
    ehr.narrow = lambda scope: " ".join(s for s in scope.split() if "Communication" not in s)
    session, _, _ = launch(launcher, ehr)
    assert "journal" in session.disabled_features and not session.has_feature("journal")
    assert session.has_feature("programme-card")
    message = disabled_message(session.disabled_features)
    assert message is not None and FEATURES["journal"].label in message


def test_identity_off_when_openid_not_granted(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    ehr.narrow = lambda scope: " ".join(s for s in scope.split() if s not in ("openid", "fhirUser"))
    session, _, _ = launch(launcher, ehr)
    assert session.fhir_user is None and "identity" in session.disabled_features


def test_v1_scopes_when_server_lacks_permission_v2(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    ehr.capabilities = [c for c in ehr.capabilities if c != "permission-v2"]
    url, _ = launcher.begin_launch(BASE, "x", SID)
    resource_scopes = [s for s in query(url)["scope"].split() if "/" in s and not s.startswith("launch")]
    assert resource_scopes and all(s.endswith((".read", ".write", ".*")) for s in resource_scopes)


def test_two_tabs_two_patients_never_mix(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    ehr.context = {"patient": "youth-A"}
    url_a, _ = launcher.begin_launch(BASE, "launch-a", SID)
    ehr.context = {"patient": "youth-B"}
    url_b, _ = launcher.begin_launch(BASE, "launch-b", SID)
    params_a, params_b = ehr.authorize(url_a), ehr.authorize(url_b)
    # Callbacks arrive out of order; the context is issued at the token exchange, so set it per code.
    ehr.context = {"patient": "youth-B"}
    b = launcher.complete_launch(params_b, SID)
    ehr.context = {"patient": "youth-A"}
    a = launcher.complete_launch(params_a, SID)
    assert a.launch_id != b.launch_id
    assert launcher.get_session(a.launch_id, SID).context.patient == "youth-A"
    assert launcher.get_session(b.launch_id, SID).context.patient == "youth-B"


def test_launch_of_another_browser_session_is_unknown(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    session, _, _ = launch(launcher, ehr)
    with pytest.raises(UnknownLaunch):
        launcher.get_session(session.launch_id, "other-session")


# --- refresh (§1.12) -------------------------------------------------------------------------------------


def test_expired_access_token_is_refreshed(launcher: SmartLauncher, ehr: FakeEhr, clock: FakeClock) -> None:
    session, _, _ = launch(launcher, ehr)
    clock.advance(3600 - 30)  # inside the refresh margin
    fresh = launcher.get_session(session.launch_id, SID)
    form = ehr.token_forms[-1]
    assert form["grant_type"] == "refresh_token"  # R105
    assert form["refresh_token"] == session.refresh_token  # R106
    assert "scope" not in form and "code_verifier" not in form  # R107/R108; PKCE only on the exchange
    assert "client_assertion" in form and "client_id" not in form  # R319: new assertion for the refresh
    assert fresh.access_token == ehr.issued[-1] != session.access_token
    assert fresh.refresh_token != session.refresh_token  # R117: rotation replaces it
    assert fresh.context == session.context and fresh.fhir_user == session.fhir_user
    assert launcher.get_session(session.launch_id, SID) == fresh  # no second refresh


def test_refresh_after_401_only_once(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    session, _, _ = launch(launcher, ehr)
    first = launcher.refresh_after_unauthorized(session.launch_id, SID, session.access_token)
    again = launcher.refresh_after_unauthorized(session.launch_id, SID, session.access_token)
    assert first == again
    assert [f["grant_type"] for f in ehr.token_forms] == ["authorization_code", "refresh_token"]


def test_concurrent_requests_refresh_once(launcher: SmartLauncher, ehr: FakeEhr, clock: FakeClock) -> None:
    session, _, _ = launch(launcher, ehr)
    clock.advance(3600)
    results: list[str] = []
    errors: list[BaseException] = []

    def page() -> None:
        try:
            results.append(launcher.get_session(session.launch_id, SID).access_token)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=page) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    assert [f["grant_type"] for f in ehr.token_forms].count("refresh_token") == 1


def test_refresh_refused_requires_relaunch(launcher: SmartLauncher, ehr: FakeEhr, clock: FakeClock) -> None:
    session, _, _ = launch(launcher, ehr)
    ehr.refuse_refresh = True
    clock.advance(3600)
    with pytest.raises(RelaunchRequired) as err:
        launcher.get_session(session.launch_id, SID)
    assert err.value.relaunch and "opnieuw" in err.value.message_nl
    with pytest.raises(UnknownLaunch):  # the launch is gone: every later page asks for a relaunch too
        launcher.get_session(session.launch_id, SID)


def test_expired_without_refresh_token_requires_relaunch(
    launcher: SmartLauncher, ehr: FakeEhr, clock: FakeClock
) -> None:
    ehr.issue_refresh = False
    session, _, _ = launch(launcher, ehr)
    clock.advance(3600)
    with pytest.raises(RelaunchRequired):
        launcher.get_session(session.launch_id, SID)
    assert len(ehr.token_forms) == 1


def test_temporary_refresh_failure_keeps_a_still_valid_token(
    launcher: SmartLauncher, ehr: FakeEhr, clock: FakeClock, rsps: responses.RequestsMock
) -> None:
    session, _, _ = launch(launcher, ehr)
    clock.advance(3600 - 30)
    rsps.replace(responses.POST, TOKEN, status=503, body="busy")
    assert launcher.get_session(session.launch_id, SID).access_token == session.access_token


def test_missing_expires_in_defaults_to_short_lifetime(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    ehr.expires_in = None
    session, _, _ = launch(launcher, ehr)
    assert session.expires_at - session.created_at <= 300


def test_pending_store_is_single_use_under_concurrency(clock: FakeClock) -> None:
    from hvol_fhir.smart.models import PendingLaunch

    store = MemoryLaunchStore(clock=clock)
    pending = PendingLaunch(
        state="s", session_id=SID, kind="ehr", iss=BASE, aud=BASE, launch="x", redirect_uri=REDIRECT,
        code_verifier="v" * 43, nonce=None, scope="launch", features=(), scope_syntax="v2",
        created_at=clock(),
    )  # fmt: skip
    store.put_pending(pending, 600)
    got = [store.pop_pending("s") for _ in range(3)]
    assert got[0] == pending and got[1:] == [None, None]
    assert PendingLaunch.from_dict(pending.to_dict()) == pending


def test_session_round_trips_through_dict(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    from hvol_fhir.smart import LaunchSession

    session, _, _ = launch(launcher, ehr)
    assert LaunchSession.from_dict(session.to_dict()) == session


def test_issuer_of_id_token_is_the_configured_one(launcher: SmartLauncher, ehr: FakeEhr) -> None:
    assert ehr.smart_configuration()["issuer"] == AUTH
    session, _, _ = launch(launcher, ehr)
    assert session.client_id == CLIENT_ID


def test_launch_with_es384_key(registration, ec_key, clock: FakeClock, ehr: FakeEhr) -> None:
    from hvol_fhir.smart import ClientRegistration, IssuerRegistry, PrivateKeyJwt

    reg = ClientRegistration(BASE, CLIENT_ID, REDIRECT, PrivateKeyJwt(CLIENT_ID, ec_key, clock=clock))
    launcher = SmartLauncher(
        IssuerRegistry([reg]), MemoryLaunchStore(clock=clock), clock=clock, catalog=FEATURES
    )
    session, _, _ = launch(launcher, ehr)
    assert session.access_token == ehr.issued[-1]


def test_launch_with_client_secret_basic(clock: FakeClock, ehr: FakeEhr) -> None:
    from hvol_fhir.smart import ClientRegistration, ClientSecretBasic, IssuerRegistry

    ehr.client_secret = "s3cret"
    reg = ClientRegistration(BASE, CLIENT_ID, REDIRECT, ClientSecretBasic(CLIENT_ID, "s3cret"))
    launcher = SmartLauncher(
        IssuerRegistry([reg]), MemoryLaunchStore(clock=clock), clock=clock, catalog=FEATURES
    )
    session, _, _ = launch(launcher, ehr)
    assert session.access_token == ehr.issued[-1]
    assert "client_id" not in ehr.token_forms[-1] and "client_assertion" not in ehr.token_forms[-1]  # R72
    assert ehr.token_headers[-1]["Authorization"].startswith("Basic ")  # R345


def test_no_secret_reaches_the_log(
    launcher: SmartLauncher, ehr: FakeEhr, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    session, url, pending = launch(launcher, ehr)
    clock.advance(3600)
    fresh = launcher.get_session(session.launch_id, SID)
    ehr.refuse_refresh = True
    clock.advance(3600)
    with pytest.raises(RelaunchRequired):
        launcher.get_session(session.launch_id, SID)
    assert caplog.records, "the launcher logs its steps"
    secrets = [
        session.access_token, session.refresh_token, fresh.access_token, fresh.refresh_token,
        pending.state, pending.code_verifier, pending.nonce, query(url)["code_challenge"], *ehr.codes,
    ]  # fmt: skip
    for secret in secrets:
        assert secret and secret not in caplog.text


# --- narrowing after the launch (R107, R108) and refreshes that keep it narrow ---------------------------


def test_narrowing_trades_the_first_grant_and_every_refresh_asks_the_narrow_scope(
    launcher: SmartLauncher, ehr: FakeEhr, clock: FakeClock
) -> None:
    ehr.honour_refresh_scope = True
    session, _, _ = launch(launcher, ehr)
    assert "patient/Communication.crus" in session.granted_scope.split()  # the first grant is the union
    narrowed = launcher.narrow(session, ROLE_FEATURES["staff"])
    asked = ehr.token_forms[-1]
    assert asked["grant_type"] == "refresh_token" and asked["scope"] == narrowed.requested_scope
    assert narrowed.narrowed and narrowed.access_token == ehr.issued[-1] != session.access_token
    assert "Communication" not in narrowed.granted_scope and narrowed.features == ROLE_FEATURES["staff"]
    assert launcher.get_session(session.launch_id, SID) == narrowed  # the broad token is not kept
    clock.advance(3600 - 30)
    fresh = launcher.get_session(session.launch_id, SID)
    assert ehr.token_forms[-1]["scope"] == narrowed.requested_scope  # not the whole first grant back
    assert fresh.granted_scope == narrowed.granted_scope and fresh.access_token != narrowed.access_token


def test_a_server_that_ignores_the_narrowing_gets_the_launch_refused(
    launcher: SmartLauncher, ehr: FakeEhr
) -> None:
    session, _, _ = launch(launcher, ehr)  # this EHR hands the first grant back on every refresh
    with pytest.raises(NarrowingFailed):
        launcher.narrow(session, ROLE_FEATURES["staff"])
    with pytest.raises(UnknownLaunch):  # the broad token went with the launch
        launcher.get_session(session.launch_id, SID)


def test_a_refresh_that_comes_back_wider_is_never_used(
    launcher: SmartLauncher, ehr: FakeEhr, clock: FakeClock
) -> None:
    ehr.honour_refresh_scope = True
    session, _, _ = launch(launcher, ehr)
    narrowed = launcher.narrow(session, ROLE_FEATURES["staff"])
    ehr.narrow = lambda _asked: session.granted_scope  # from now on the server grants the first set again
    clock.advance(3600 - 30)
    with pytest.raises(NarrowingFailed):
        launcher.get_session(session.launch_id, SID)
    assert ehr.issued[-1] != narrowed.access_token  # it was issued, and thrown away with the launch
    with pytest.raises(UnknownLaunch):
        launcher.get_session(session.launch_id, SID)
