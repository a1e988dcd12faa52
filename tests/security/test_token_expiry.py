"""An access token expiring mid-flow (issue 8.4): the buddy has the contact form open, her token runs out,
she presses save. The app renews it with the launch's refresh token and saves exactly once; when the EHR
refuses to renew (the refresh token was revoked or ran out), she gets her text back on screen with a plain
message, nothing is written, and after starting the app again the same form saves exactly once.

The expired tokens are real: signed by the organisation's own key with ``exp`` in the past, so HAPI itself
answers 401. They reach HAPI either from the app's session store (expired before the save) or through the
proxy's ``rewrite`` fault on the save's transaction only (expired between the form's read and its save).
"""

from __future__ import annotations

import html
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from tests.conftest_proof import Proof
from tests.integration import transfer_support as ts
from tests.integration.app_support import Page, traject_ident

from .conftest import YOUTH, SecApp, canary, visible_text
from .faultproxy import FaultProxy
from .support import contact_form, count_marked

pytestmark = [pytest.mark.integration, pytest.mark.proof]


@pytest.fixture(autouse=True)
def clean_proxy(proxy: FaultProxy) -> Iterator[None]:
    proxy.clear()
    yield
    proxy.clear()


def _expired(org: Any, token: str) -> str:
    """The same grant's token as the server would see it an hour later: signature valid, ``exp`` passed."""
    claims = org.issuer.decode(token)
    now = int(time.time())
    return str(org.issuer.sign({**claims, "iat": now - 3700, "exp": now - 60, "jti": uuid.uuid4().hex}))


def _session(sec_app: SecApp, page: Page) -> Any:
    return sec_app.running.store.get_session(page.launch_id)


def _change_session(sec_app: SecApp, page: Page, **changes: Any) -> None:
    ttl = sec_app.running.app.extensions["hvol"].service.launcher.session_ttl
    sec_app.running.store.put_session(replace(_session(sec_app, page), **changes), ttl)


def _saved_once(sec_app: SecApp, proof: Proof, case: str, marker: str, location: str) -> None:
    entries = count_marked(sec_app.org, "Communication", marker, YOUTH)
    contacts = count_marked(sec_app.org, "Encounter", location, YOUTH)
    if entries == 0 or contacts == 0:
        proof.found("lost", f"token expiry {case}: entries={entries} contacts={contacts}")
    if entries > 1 or contacts > 1:
        proof.found("duplicates", f"token expiry {case}: entries={entries} contacts={contacts}")
    assert (entries, contacts) == (1, 1)


@dataclass
class Open:
    """The buddy's contact form as she has it open, and her launch's token as it will be once expired."""

    buddy: Page
    form: dict[str, Any]
    marker: str
    location: str
    stale: str


def _open_form(sec_app: SecApp, ident: str, kind: str, words: str) -> Open:
    buddy = sec_app.as_user("hv-buddy-1")
    marker = canary(kind)
    location = f"plek-{marker}"
    form = contact_form(buddy, ident, f"{words} {marker}", location=location)
    return Open(buddy, form, marker, location, _expired(sec_app.org, _session(sec_app, buddy).access_token))


def _expire_at_save(proxy: FaultProxy, stale: str, body: str = "ifNoneExist") -> None:
    """The save's transaction (only it: the reads before it keep the valid token) reaches HAPI expired."""
    proxy.inject(
        "rewrite",
        method="POST",
        path="/fhir",
        exact=True,
        body=body,
        headers={"Authorization": f"Bearer {stale}"},
    )


def _counted(proof: Proof, *, saved: bool = True) -> None:
    proof.add("faults")
    proof.add("token_expiries")
    if saved:
        proof.add("fault_saves")


@pytest.mark.parametrize("app_knows", [True, False], ids=["expiry-known-to-app", "expired-at-server-only"])
def test_expired_token_is_renewed_and_the_save_happens_once(
    sec_app: SecApp, ident: str, proof: Proof, app_knows: bool
) -> None:
    it = _open_form(sec_app, ident, "verlopen", "Naar de bibliotheek.")
    # Known: the app sees the expiry and renews before its first request. Server only: the app's clock says
    # the token still holds (clock skew, revocation), so HAPI's 401 is the first sign.
    expires_at = time.time() + (-5 if app_knows else 3000)
    _change_session(sec_app, it.buddy, access_token=it.stale, expires_at=expires_at)
    resp = it.buddy.post_as_if_allowed(f"/t/{ident}/contact", it.form)
    _counted(proof)
    assert resp.status_code == 303, visible_text(resp.text)[-400:]
    assert _session(sec_app, it.buddy).access_token != it.stale  # renewed with the launch's refresh token
    _saved_once(sec_app, proof, "before save", it.marker, it.location)


def test_token_expiring_between_read_and_save_is_renewed_once(
    sec_app: SecApp, ident: str, proxy: FaultProxy, proof: Proof
) -> None:
    it = _open_form(sec_app, ident, "halverwege", "Samen gegeten.")
    _expire_at_save(proxy, it.stale)
    resp = it.buddy.post_as_if_allowed(f"/t/{ident}/contact", it.form)
    _counted(proof)
    assert ("POST", "/fhir", 401) in proxy.trail  # HAPI itself refused the expired token
    assert resp.status_code == 303, visible_text(resp.text)[-400:]
    _saved_once(sec_app, proof, "between read and save", it.marker, it.location)


@pytest.mark.parametrize("when", ["before-save", "between-read-and-save"])
def test_refused_renewal_gives_the_text_back_and_writes_nothing(
    sec_app: SecApp, ident: str, proxy: FaultProxy, proof: Proof, when: str
) -> None:
    words = "Ze wilde <b>niet</b> naar huis & bleef bij mij."
    it = _open_form(sec_app, ident, "ingetrokken", words)
    # The EHR no longer knows the refresh token (revoked, or it ran out): renewal gets invalid_grant.
    revoked = f"ingetrokken-{uuid.uuid4().hex}"
    if when == "before-save":
        expired = {"access_token": it.stale, "expires_at": time.time() - 5}
        _change_session(sec_app, it.buddy, refresh_token=revoked, **expired)
    else:
        _change_session(sec_app, it.buddy, refresh_token=revoked)
        _expire_at_save(proxy, it.stale)
    resp = it.buddy.post_as_if_allowed(f"/t/{ident}/contact", it.form)
    _counted(proof, saved=False)
    page = html.unescape(resp.text)
    assert resp.status_code in (401, 422), resp.status_code
    assert "Er ging iets mis in de app" not in page
    assert it.form["text"] in page and it.location in page, visible_text(resp.text)[-600:]  # to copy
    assert "<b>niet</b>" not in resp.text  # shown as text, not markup
    assert "opnieuw" in page and "verlopen" in page, visible_text(resp.text)[-600:]
    written = (
        count_marked(sec_app.org, "Communication", it.marker, YOUTH),
        count_marked(sec_app.org, "Encounter", it.location, YOUTH),
    )
    assert written == (0, 0)
    # She starts the app again from the EHR and saves the same form (same hidden identifiers): once.
    again = sec_app.as_user("hv-buddy-1")
    assert again.post_as_if_allowed(f"/t/{ident}/contact", it.form).status_code == 303
    proof.add("fault_saves")
    _saved_once(sec_app, proof, f"renewal refused {when}", it.marker, it.location)


def test_careplan_update_with_token_expiring_midway_is_applied_once(
    sec_app: SecApp, proxy: FaultProxy, proof: Proof
) -> None:
    youth = ts.synthetic_traject(sec_app.org, 95, weeks=8, consent_entries=0)
    careplan_id = youth.careplan.split("/")[1]
    coordinator = sec_app.as_user("hv-coordinator", youth.patient.split("/")[1])
    ident = traject_ident(coordinator)
    version = coordinator.hidden(f"/t/{ident}/", "version")
    _expire_at_save(proxy, _expired(sec_app.org, _session(sec_app, coordinator).access_token), "ifMatch")
    form = {"action": "close", "reason": "youth-no-longer-needed", "version": version}
    resp = coordinator.post_as_if_allowed(f"/t/{ident}/fase", form)
    _counted(proof)
    assert ("POST", "/fhir", 401) in proxy.trail
    assert resp.status_code == 303, visible_text(resp.text)[-400:]
    plan = ts.admin_get(sec_app.org, f"CarePlan/{careplan_id}")
    changes = int(plan["meta"]["versionId"]) - int(version)
    if plan["status"] != "completed" or changes != 1:
        proof.found("lost" if changes == 0 else "duplicates", f"CarePlan with expiring token: {changes}")
    assert plan["status"] == "completed" and changes == 1
