"""The authorization request (RFC 6749 §4.1.1 with SMART App Launch 2.2 app-launch.html#request-4).

Checked in two stages, because where an error may go depends on it (RFC 6749 §4.1.2.1):
:func:`check_client` (unknown client or redirect_uri: an error page, never a redirect) and
:func:`check_request` (everything else: an error redirected to the client with its ``state``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import InvalidRequest, InvalidScope, OAuthError, UnsupportedResponseType
from .scopes import grant_scopes, is_system_scope, split_scope
from .settings import AuthSettings, ClientRegistration
from .store import AuthStore, LaunchContext, PendingAuthorization, new_secret

_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class ClientError(Exception):
    """An authorize error that must not be redirected: shown on a Dutch page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_client(settings: AuthSettings, params: Mapping[str, str]) -> tuple[ClientRegistration, str]:
    client = settings.client(params.get("client_id"))
    if client is None:
        raise ClientError("Deze app (client_id) is bij deze omgeving niet bekend.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        raise ClientError("De redirect_uri van dit verzoek is niet voor deze app geregistreerd.")
    return client, redirect_uri


def check_request(
    settings: AuthSettings,
    store: AuthStore,
    client: ClientRegistration,
    redirect_uri: str,
    params: Mapping[str, str],
) -> PendingAuthorization:
    """A pending authorization for a valid request; the ``launch``, if any, is consumed last."""
    if params.get("response_type") != "code":
        raise UnsupportedResponseType("response_type moet code zijn")
    if not params.get("state"):
        raise InvalidRequest("state ontbreekt")
    aud = params.get("aud") or params.get("resource")
    if aud != settings.fhir_base:
        raise InvalidRequest(f"aud moet de FHIR-basis-URL {settings.fhir_base} zijn")
    if params.get("code_challenge_method") != "S256":
        raise InvalidRequest("PKCE met code_challenge_method=S256 is verplicht")
    if not _S256_CHALLENGE.match(params.get("code_challenge", "")):
        raise InvalidRequest("code_challenge ontbreekt of is geen S256-waarde")
    requested = split_scope(params.get("scope"))
    if not requested:
        raise InvalidScope("scope ontbreekt")
    launch_id = params.get("launch")
    if launch_id and "launch" not in requested:
        raise InvalidScope("een EHR-launch vraagt de scope launch")
    scope = tuple(s for s in grant_scopes(requested, client.scope) if not is_system_scope(s))
    if not scope or (launch_id and "launch" not in scope):
        raise InvalidScope("geen van de gevraagde scopes is voor deze app toegestaan")
    if launch_id:
        context = store.take_launch(launch_id, client.client_id).context
    else:
        context = LaunchContext(
            need_patient_banner=True, smart_style_url=settings.style_url, tenant=settings.tenant
        )
    return PendingAuthorization(
        id=new_secret(),
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=params["state"],
        code_challenge=params["code_challenge"],
        nonce=params.get("nonce") or None,
        context=context,
        needs_patient="launch/patient" in scope and context.patient is None,
        expires_at=store.clock() + settings.pending_lifetime,
    )


def error_redirect_params(error: OAuthError, state: str | None) -> dict[str, str]:
    params = error.body()
    if state:
        params["state"] = state
    return params
