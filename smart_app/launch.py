"""Launch and redirect endpoints (app-launch.html): ``/launch``, ``/launch/standalone``, ``/launch/callback``
and the app's JWK Set at ``/.well-known/jwks.json``.

The views only adapt HTTP: every decision is in :mod:`hvol_fhir.smart` and :mod:`smart_app.launches`;
every failure is an ``HvolError`` that :mod:`smart_app.errors` turns into a Dutch page.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hvol_fhir.privacy.features import STAFF
from hvol_fhir.privacy.roles import RolePolicy
from hvol_fhir.sealing.vaults import public_jwks
from hvol_fhir.smart import LaunchSession, public_jwks_json

from . import browser
from .config import CALLBACK_PATH, JWKS_PATH
from .state import state

log = logging.getLogger(__name__)
bp = Blueprint("launch", __name__)


@bp.get("/launch")
def ehr_launch() -> Response:
    """EHR launch: ``?iss=…&launch=…``; a new pending launch every time (anti-fixation, §1.2)."""
    sid = browser.session_id() or browser.new_session_id()
    url = state().service.begin_ehr(request.args.get("iss"), request.args.get("launch"), sid)
    return browser.remember(redirect(url, 302), sid)


@bp.get("/launch/standalone")
def standalone_launch() -> Response:
    """Standalone launch from a configured FHIR base (R36, R166); ``?iss=`` picks one of the allowlist."""
    sid = browser.session_id() or browser.new_session_id()
    iss = request.args.get("iss") or current_app.config["HVOL_STANDALONE_ISSUER"]
    if not iss:
        issuers = list(state().registry.issuers().values())
        iss = issuers[0].issuer if issuers else ""
    url = state().service.begin_standalone(iss, sid)
    return browser.remember(redirect(url, 302), sid)


@bp.get(CALLBACK_PATH)
def callback() -> Response | tuple[str, int]:
    sid = browser.session_id()
    if sid is None and not request.args.get("error"):
        # The pending launch exists but its cookie did not come back: the browser blocks cookies in this
        # frame (third-party cookies off, no CHIPS). Say so, and offer a new tab where they are first-party.
        given = request.args.get("state")
        pending = state().store.peek_pending(given) if given else None
        if pending is not None:
            log.info("launch callback without session cookie: cookies blocked kind=%s", pending.kind)
            new_tab = url_for("launch.standalone_launch", iss=pending.iss)
            return render_template("launch/cookies_blocked.html", new_tab_url=new_tab), 400
    session, new_sid = state().service.complete(request.args, sid or "")
    # A new browser-session id at every completed launch (fixation): the old one is dead from here on.
    return browser.remember(redirect(landing(session), 303), new_sid)


def landing(session: LaunchSession) -> str:
    """Issue 15: where a launch opens: the role's start page (``/vandaag``); the landing page for roles
    without one, and for a launch that asks for a page of its own (SMART ``intent`` or ``fhirContext``: the
    app keeps what the EHR asked for rather than covering it with the day's list)."""
    role = str(state().service.view(session.launch_id).get("role") or STAFF)
    asks = session.context.intent or session.context.fhir_context
    if RolePolicy(role).may("start-page") and not asks:
        return url_for("startpage.today", launch_id=session.launch_id)
    return url_for("home.index", launch_id=session.launch_id)


@bp.get(JWKS_PATH)
def jwks() -> Response:
    # The previous key too, so EHRs that cached the JWK Set verify across a rotation (overlap).
    body, headers = public_jwks_json([state().key, *state().previous_keys])
    return Response(body, headers=headers)


@bp.get("/.well-known/hvol-keys.json")
def organisation_keys() -> Response:
    """Issue 12: the public halves of the organisation's membership-signing and transfer keys (current and
    older ones, so a rotation has an overlap), for its authorization server and for sending organisations.
    ``?iss=<FHIR base>`` picks the organisation when one app serves several (the demo)."""
    iss = request.args.get("iss", "")
    known = list(state().registry.issuers())
    bases = [iss] if iss in known else known
    body = json.dumps(public_jwks(state().vaults, bases))
    return Response(
        body, headers={"Content-Type": "application/jwk-set+json", "Cache-Control": "max-age=300"}
    )
