"""The authorization request (app-launch.html#request-4, smart-launch.md §1.5-§1.7). Pure functions.

``new_pending`` draws ``state`` (256 bits from ``secrets``, R2, R40), the PKCE verifier and, with ``openid``,
a ``nonce``; ``authorize_url`` turns the pending record into the redirect. ``launch`` goes back exactly as
received (R35) and ``aud`` is the FHIR base byte-for-byte (R41): the allowlisted registration's ``issuer``,
which the launcher passes as ``iss`` (never the raw launch parameter, issue 13 cause 11).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit, urlunsplit

from . import pkce
from .discovery import SmartConfiguration
from .models import LaunchKind, PendingLaunch
from .registration import ClientRegistration
from .scopes import ScopeRequest

STATE_BYTES = 32  # 256 bits; SMART asks for at least 122 (R40), the project for at least 128


def new_pending(
    *,
    kind: LaunchKind,
    iss: str,
    launch: str | None,
    registration: ClientRegistration,
    request: ScopeRequest,
    session_id: str,
    now: float,
    return_to: str | None = None,
) -> PendingLaunch:
    wants_openid = "openid" in request.scopes
    return PendingLaunch(
        state=secrets.token_urlsafe(STATE_BYTES),
        session_id=session_id,
        kind=kind,
        iss=iss,
        aud=iss,
        launch=launch,
        redirect_uri=registration.redirect_uri,
        code_verifier=pkce.new_verifier(),
        nonce=secrets.token_urlsafe(24) if wants_openid else None,
        scope=request.scope,
        features=request.features,
        scope_syntax=request.syntax,
        created_at=now,
        return_to=return_to,
    )


def authorize_params(pending: PendingLaunch, client_id: str) -> dict[str, str]:
    """The query parameters, in the order of the spec's table (R32-R45)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": pending.redirect_uri,
    }
    if pending.kind == "ehr" and pending.launch is not None:
        params["launch"] = pending.launch
    params.update(
        {
            "scope": pending.scope,
            "state": pending.state,
            "aud": pending.aud,
            "code_challenge": pkce.challenge(pending.code_verifier),
            "code_challenge_method": pkce.METHOD,
        }
    )
    if pending.nonce:
        params["nonce"] = pending.nonce
    return params


def authorize_url(config: SmartConfiguration, pending: PendingLaunch, client_id: str) -> str:
    """GET redirect to the authorization endpoint; an endpoint's own query parameters are kept."""
    parts = urlsplit(config.authorization_endpoint)
    query = urlencode(authorize_params(pending, client_id))
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, ""))
