"""The token endpoint's grants (RFC 6749 §4.1.3, §6, §4.4) and the token response of SMART App Launch 2.2.

- ``authorization_code``: single-use code (a replay revokes what it produced), PKCE S256 verifier
  (RFC 7636 §4.6), the same ``redirect_uri``.
- ``refresh_token``: rotation on every use; an optional ``scope`` may only narrow the grant.
- ``client_credentials``: SMART Backend Services, ``private_key_jwt`` clients and ``system/`` scopes only.

Journal clearance (``hvol_journal``) and the user's job scopes (:mod:`.jobs`) are derived from the directory
at every issue, refreshes included: a user token never carries more than her job allows, whatever was asked.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Mapping
from typing import Any

import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped, unused-ignore]

from sandbox.tokens import CASELOAD_CLAIM, JOURNAL_PERIODS_CLAIM, PROGRAMME_CLAIM

from .directory import User, derive_clearance, derive_journal_periods, derive_programme_clearance
from .errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    NotFound,
    TemporarilyUnavailable,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from .jobs import cap_to_job, caseload_of, job_scopes
from .scopes import grant_scopes, is_system_scope, split_scope, wants_refresh
from .settings import PRIVATE_KEY_JWT, AuthSettings, ClientRegistration
from .store import AuthStore, Grant, LaunchContext, new_secret

_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
DEV_CLIENT_ID = "sandbox-dev"


def _lookup_user(settings: AuthSettings, user_id: str) -> User | None:
    try:
        return settings.directory.user(user_id)
    except requests.RequestException as exc:
        raise TemporarilyUnavailable("de gebruikerslijst (FHIR-server) is niet bereikbaar") from exc


def id_token(settings: AuthSettings, client_id: str, user: User, nonce: str | None) -> str:
    """OpenID Connect ID token (RS256); ``fhirUser`` absolute, as SMART's identity scopes describe it."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "sub": user.id,
        "aud": client_id,
        "iat": now,
        "exp": now + settings.access_token_lifetime,
        "fhirUser": f"{settings.fhir_base}/{user.fhir_user}",
        "name": user.name,
    }
    if nonce:
        claims["nonce"] = nonce
    return settings.token_issuer.sign(claims)


def access_token(
    settings: AuthSettings,
    client_id: str,
    scope: tuple[str, ...],
    user: User | None,
    context: LaunchContext,
    journal: list[str],
) -> tuple[str, str]:
    """A signed access token and its ``jti``."""
    jti = new_secret()
    extra: dict[str, Any] = {"jti": jti, "client_id": client_id}
    programme = derive_programme_clearance(user) if user else []
    if programme:
        extra[PROGRAMME_CLAIM] = programme
    caseload = caseload_of(user) if user else None
    if caseload is not None:
        extra[CASELOAD_CLAIM] = caseload
    periods = derive_journal_periods(user) if user else {}
    if periods:
        extra[JOURNAL_PERIODS_CLAIM] = periods
    token = settings.token_issuer.mint(
        sub=user.id if user else client_id,
        scope=scope,
        lifetime=settings.access_token_lifetime,
        patient=context.patient,
        fhir_user=user.fhir_user if user else None,
        journal=journal,
        extra=extra,
    )
    return token, jti


def token_response(
    settings: AuthSettings,
    store: AuthStore,
    grant: Grant,
    scope: tuple[str, ...],
    user: User | None,
    journal: list[str],
    nonce: str | None = None,
) -> dict[str, Any]:
    token, jti = access_token(settings, grant.client_id, scope, user, grant.context, journal)
    store.record_access_token(grant, jti)
    response: dict[str, Any] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": settings.access_token_lifetime,
        "scope": " ".join(scope),
        **grant.context.token_fields(),
    }
    if user is not None and wants_refresh(grant.scope):
        response["refresh_token"] = store.issue_refresh_token(grant, settings.refresh_token_lifetime)
    if user is not None and {"openid", "fhirUser"} <= set(scope):
        response["id_token"] = id_token(settings, grant.client_id, user, nonce)
    return response


def _user_of(settings: AuthSettings, grant: Grant) -> User:
    user = _lookup_user(settings, grant.user_id or "")
    if user is None:
        raise InvalidGrant("de gebruiker van deze toestemming bestaat niet meer")
    return user


def exchange_code(
    settings: AuthSettings, store: AuthStore, client: ClientRegistration, form: Mapping[str, str]
) -> dict[str, Any]:
    code = form.get("code")
    if not code:
        raise InvalidRequest("code ontbreekt")
    record, grant = store.redeem_code(code, client.client_id)
    if form.get("redirect_uri") != record.redirect_uri:
        raise InvalidGrant("redirect_uri verschilt van die in het autorisatieverzoek")
    verifier = form.get("code_verifier", "")
    if not _VERIFIER.match(verifier):
        raise InvalidGrant("code_verifier ontbreekt of heeft een ongeldige vorm")
    if not hmac.compare_digest(create_s256_code_challenge(verifier), record.code_challenge):
        raise InvalidGrant("code_verifier past niet bij de code_challenge")
    user = _user_of(settings, grant)
    scope = cap_to_job(grant.scope, user)
    return token_response(settings, store, grant, scope, user, derive_clearance(user), grant.nonce)


def refresh(
    settings: AuthSettings, store: AuthStore, client: ClientRegistration, form: Mapping[str, str]
) -> dict[str, Any]:
    token = form.get("refresh_token")
    if not token:
        raise InvalidRequest("refresh_token ontbreekt")
    requested = split_scope(form.get("scope"))

    def narrower_only(grant: Grant) -> None:
        # Covered, not equal: patient/CarePlan.rs is narrower than a granted patient/CarePlan.crus.
        if len(grant_scopes(requested, grant.scope)) != len(requested):
            raise InvalidScope("een refresh mag de scope alleen versmallen")

    grant = store.use_refresh_token(token, client.client_id, narrower_only)
    user = _user_of(settings, grant)
    scope = cap_to_job(tuple(requested) if requested else grant.scope, user)
    return token_response(settings, store, grant, scope, user, derive_clearance(user))


def client_credentials(
    settings: AuthSettings, store: AuthStore, client: ClientRegistration, form: Mapping[str, str]
) -> dict[str, Any]:
    if client.auth_method != PRIVATE_KEY_JWT:
        raise UnauthorizedClient("Backend Services vraagt private_key_jwt")
    requested = [s for s in split_scope(form.get("scope")) if is_system_scope(s)]
    scope = tuple(grant_scopes(requested, client.scope))
    if not scope:
        raise InvalidScope("vraag een of meer toegestane system/-scopes")
    grant = store.new_client_grant(client.client_id, scope)
    return token_response(settings, store, grant, scope, None, list(client.journal))


GRANTS = {
    "authorization_code": exchange_code,
    "refresh_token": refresh,
    "client_credentials": client_credentials,
}


def issue(
    settings: AuthSettings, store: AuthStore, client: ClientRegistration, form: Mapping[str, str]
) -> dict[str, Any]:
    handler = GRANTS.get(form.get("grant_type", ""))
    if handler is None:
        raise UnsupportedGrantType("grant_type wordt niet ondersteund")
    return handler(settings, store, client, form)


def dev_token(
    settings: AuthSettings, user_id: str, patient: str | None = None, scope: str | None = None
) -> dict[str, Any]:
    """Sandbox only: an access token as if ``user_id`` had launched (with ``patient``), clearance derived.

    Scopes: those asked, cut down to the user's job (:func:`.jobs.cap_to_job`); by default the job's own
    scopes (plus ``launch/patient`` with a patient). Never more than the job: tests that need a broader token
    for a user mint it themselves with the organisation's :class:`~sandbox.tokens.TokenIssuer`.
    """
    user = _lookup_user(settings, user_id)
    if user is None:
        raise NotFound(f"onbekende gebruiker {user_id}")
    if patient and settings.directory.youth(patient) is None:
        raise NotFound(f"onbekende patiënt {patient}")
    asked = split_scope(scope) if scope else [*(["launch/patient"] if patient else []), *job_scopes(user)]
    granted = cap_to_job(asked, user)
    journal = derive_clearance(user)
    token, _ = access_token(settings, DEV_CLIENT_ID, granted, user, LaunchContext(patient=patient), journal)
    response: dict[str, Any] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": settings.access_token_lifetime,
        "scope": " ".join(granted),
        "fhirUser": user.fhir_user,
        "hvol_journal": journal,
    }
    if patient:
        response["patient"] = patient
    return response
