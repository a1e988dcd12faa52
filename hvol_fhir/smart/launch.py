"""EHR and standalone launch, end to end: the API a web adapter calls (app-launch.html).

A Flask blueprint stays thin::

    url, pending = launcher.begin_launch(request.args["iss"], request.args["launch"], session_id)
    return redirect(url)                       # /launch
    ...
    s = launcher.complete_launch(request.args, session_id)
    s = launcher.narrow(s, features_of_the_users_role)              # optional: R107, R108
    return redirect(url_for("traject.show", launch=s.launch_id))   # /callback
    ...
    s = launcher.get_session(launch_id, session_id)   # every page: refreshed before expiry
    s.access_token, s.context.patient, s.fhir_user, s.enabled_features, s.disabled_features
    launcher.refresh_after_unauthorized(launch_id, session_id, rejected)   # after a 401 (FhirClient hook)

Narrowing and refresh are in :mod:`.renewal`. Which features exist is the caller's (``catalog``).

Every failure is a :class:`~hvol_fhir.smart.errors.SmartError` with a Dutch ``message_nl``.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

import requests

from . import token as tokens
from .authorize import authorize_url, new_pending
from .context import FhirUser, parse_context, resolve_fhir_user
from .discovery import Discovery
from .errors import (
    AuthorizationDenied,
    IdTokenInvalid,
    InvalidState,
    LaunchExpired,
    LaunchRequestInvalid,
)
from .idtoken import IdTokenExpectations, IdTokenValidator
from .logsafe import escaped
from .models import LaunchKind, LaunchSession, PendingLaunch
from .registration import IssuerRegistry
from .renewal import Renewal, same_secret
from .scopes import Feature, build_request, choose_syntax, compare, granted_scopes
from .store import PENDING_TTL, SESSION_TTL, LaunchStore

log = logging.getLogger(__name__)
REFRESH_MARGIN = 60.0  # refresh this many seconds before the access token expires


def _practitioner(claim: object, fhir_base: str) -> FhirUser | None:
    """The user when ``fhirUser`` names a Practitioner; ``None`` (identity off) for anything else.

    PractitionerRole, RelatedPerson, Patient, Person, Device or a malformed claim in a *validly signed*
    id_token is not an attack, only a user the programme cannot place: she gets what needs no identity (the
    programme card), never a refusal of the whole launch and never someone else's role (cause 14).
    """
    if not claim:
        return None
    try:
        user = resolve_fhir_user(claim, fhir_base)
    except IdTokenInvalid:
        log.warning("fhirUser is not a user reference: identity off claim=%s", escaped(claim, 80))
        return None
    if user.resource_type != "Practitioner":
        log.info("fhirUser of type %s: identity off", escaped(user.resource_type, 40))
        return None
    return user


class SmartLauncher(Renewal):
    """Runs launches for the issuers in ``registry``; state lives in ``store``. One instance per app."""

    def __init__(
        self,
        registry: IssuerRegistry,
        store: LaunchStore,
        *,
        http: requests.Session | None = None,
        discovery: Discovery | None = None,
        id_tokens: IdTokenValidator | None = None,
        clock: Callable[[], float] = time.time,
        catalog: Mapping[str, Feature],
        default_features: Iterable[str] | None = None,
        pending_ttl: float = PENDING_TTL,
        session_ttl: float = SESSION_TTL,
        refresh_margin: float = REFRESH_MARGIN,
    ) -> None:
        self.registry = registry
        self.store = store
        self.http = http or requests.Session()
        self.sandbox = registry.sandbox
        self.discovery = discovery or Discovery(self.http, sandbox=self.sandbox, clock=clock)
        self.id_tokens = id_tokens or IdTokenValidator(self.http, sandbox=self.sandbox, clock=clock)
        self.clock = clock
        # The features a launch may ask for, by name (the programme's policy: hvol_fhir.privacy.features).
        self.catalog = dict(catalog)
        self.default_features = tuple(self.catalog if default_features is None else default_features)
        self.pending_ttl = pending_ttl
        self.session_ttl = session_ttl
        self.refresh_margin = refresh_margin

    # --- step 1: to the authorization server -------------------------------------------------------------

    def begin_launch(
        self,
        iss: str | None,
        launch: str | None,
        session_id: str,
        *,
        features: Iterable[str] | None = None,
        return_to: str | None = None,
    ) -> tuple[str, PendingLaunch]:
        """EHR launch (``GET /launch?iss=…&launch=…``): returns the authorize redirect and its pending record.

        Every call makes a new pending record, even within an existing session (anti-fixation, §1.2).
        """
        if not iss or not launch:
            raise LaunchRequestInvalid("launch request needs both iss and launch")
        return self._begin("ehr", iss, launch, session_id, features, ("patient",), return_to)

    def begin_standalone(
        self,
        iss: str,
        session_id: str,
        *,
        features: Iterable[str] | None = None,
        context: Iterable[str] = ("patient",),
        return_to: str | None = None,
    ) -> tuple[str, PendingLaunch]:
        """Standalone launch from a configured FHIR base: no ``launch`` (R36), context as scopes (R166)."""
        return self._begin("standalone", iss, None, session_id, features, tuple(context), return_to)

    def _begin(
        self,
        kind: LaunchKind,
        iss: str,
        launch: str | None,
        session_id: str,
        features: Iterable[str] | None,
        context: tuple[str, ...],
        return_to: str | None,
    ) -> tuple[str, PendingLaunch]:
        if not session_id:
            raise LaunchRequestInvalid("no browser session id")
        registration = self.registry.lookup(iss)  # raises before anything is sent (allowlist, https)
        config = self.discovery.get(registration.issuer)
        syntax = choose_syntax(config.capabilities, registration.scope_syntax)
        request = build_request(
            self.named(self.default_features if features is None else features),
            syntax,
            ehr_launch=kind == "ehr",
            standalone_context=context,
        )
        pending = new_pending(
            kind=kind,
            # The FHIR base (and aud) is the allowlisted registration's, never the parameter: a lookalike
            # ``iss`` that matched the allowlist must not become the place tokens are sent (cause 11).
            iss=registration.issuer,
            launch=launch,
            registration=registration,
            request=request,
            session_id=session_id,
            now=self.clock(),
            return_to=return_to,
        )
        # The store keeps it a little longer than it is valid, so an expired one is reported as expired.
        self.store.put_pending(pending, self.pending_ttl + 60)
        log.info("smart launch started kind=%s iss=%s syntax=%s", kind, registration.issuer, syntax)
        return authorize_url(config, pending, registration.client_id), pending

    # --- step 2: back from the authorization server ------------------------------------------------------

    def complete_launch(
        self, params: Mapping[str, str], session_id: str, *, earlier_ids: Iterable[str] = ()
    ) -> LaunchSession:
        """Handle the redirect (``GET /callback?code=…&state=…`` or ``?error=…``); store the new session.

        ``earlier_ids``: ids the same browser session had before the web layer rotated it (a launch started
        in another tab before that may still finish); never ids of another browser."""
        state = params.get("state") or ""
        pending = self.store.pop_pending(state) if state else None  # single use from here on
        owners = [i for i in (session_id, *earlier_ids) if i]
        valid = pending is not None and any(same_secret(pending.session_id, i) for i in owners)
        if params.get("error"):
            log.info("smart authorization error=%s state_valid=%s", escaped(params["error"], 64), valid)
        # State first, for errors too (cause 12): an error redirect without our state is anyone's link, and
        # its text (``error_description``) is not the EHR's word until the state says it came back from it.
        if pending is None:
            raise InvalidState("redirect with missing, unknown or already used state")
        if not valid:
            raise InvalidState("state belongs to another browser session")
        if params.get("error"):
            raise AuthorizationDenied(params["error"][:64], (params.get("error_description") or "")[:500])
        if self.clock() - pending.created_at > self.pending_ttl:
            raise LaunchExpired("pending launch older than its time limit")
        code = params.get("code")
        if not code:
            raise InvalidState("redirect without code")
        return self._finish(pending, code, params.get("iss"))

    def _finish(self, pending: PendingLaunch, code: str, response_iss: str | None) -> LaunchSession:
        registration = self.registry.lookup(pending.iss)
        config = self.discovery.get(registration.issuer)
        if response_iss and config.issuer and response_iss != config.issuer:
            raise InvalidState("authorization response from another issuer (RFC 9207 mix-up)")
        result = tokens.exchange_code(
            self.http,
            config.token_endpoint,
            registration.auth,
            code=code,
            redirect_uri=pending.redirect_uri,
            code_verifier=pending.code_verifier,
            allow_loopback_http=self.sandbox,
            clock=self.clock,
        )
        request = self.request_of(pending.features, pending.scope, pending.scope_syntax)
        granted = granted_scopes(result.scope, request)
        fhir_user: FhirUser | None = None
        sub: str | None = None
        if result.id_token:
            if not pending.nonce:
                raise IdTokenInvalid("id_token received although openid was not requested")
            claims = self.id_tokens.validate(
                result.id_token,
                IdTokenExpectations(
                    issuer=config.issuer or registration.issuer,
                    client_id=registration.client_id,
                    nonce=pending.nonce,
                    jwks_uri=config.jwks_uri,
                ),
            )
            sub = str(claims.get("sub")) if claims.get("sub") is not None else None
            user_claim = claims.get("fhirUser") or claims.get("profile")  # profile: v1 fallback only
            fhir_user = _practitioner(user_claim, pending.iss)
        elif "openid" in granted:
            # No id_token although openid was granted: nobody to attribute anything to. Identity goes off
            # (programme card only) rather than the whole launch (cause 14); a forged one is still refused.
            log.warning("smart launch without id_token although openid was granted: identity off")
        report = compare(request, granted)
        if fhir_user is None and "identity" in report.enabled:
            report = replace(
                report,
                enabled=tuple(f for f in report.enabled if f != "identity"),
                disabled=(*report.disabled, "identity"),
            )
        now = self.clock()
        session = LaunchSession(
            launch_id=secrets.token_urlsafe(16),
            session_id=pending.session_id,
            kind=pending.kind,
            fhir_base=pending.iss,
            client_id=registration.client_id,
            token_endpoint=config.token_endpoint,
            access_token=result.access_token,
            expires_at=result.expires_at,
            refresh_token=result.refresh_token,
            requested_scope=pending.scope,
            granted_scope=" ".join(granted),
            scope_syntax=request.syntax,
            features=pending.features,
            enabled_features=report.enabled,
            disabled_features=report.disabled,
            context=parse_context(result.raw),
            fhir_user=fhir_user,
            id_token_sub=sub,
            created_at=now,
            return_to=pending.return_to,
        )
        self.store.put_session(session, self.session_ttl)
        log.info(
            "smart launch completed launch=%s iss=%s disabled=%s",
            session.launch_id,
            registration.issuer,
            ",".join(report.disabled) or "-",
        )
        return session
