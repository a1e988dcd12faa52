"""The launch as the web layer uses it: the library's launcher plus role discovery and scope narrowing.

``begin_*`` and ``complete`` wrap :class:`hvol_fhir.smart.SmartLauncher`; ``current`` replaces its
``get_session`` because a narrowed launch must ask for its narrow scope on every refresh (RFC 6749 §6 would
otherwise hand back the whole first grant). See ``roles.py`` for why the grant is narrowed after the launch.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import requests
from joserfc.jwk import KeySet

from hvol_fhir.errors import NotAllowed
from hvol_fhir.smart import LaunchSession, RelaunchRequired, SmartLauncher, TokenRequestFailed, UnknownLaunch
from hvol_fhir.smart import token as tokens
from hvol_fhir.smart.scopes import (
    Permission,
    ScopeRequest,
    build_request,
    compare,
    granted_scopes,
    parse_resource_scope,
)

from .fhir import FhirReader, TokenRejected
from .roles import UNION_FEATURES, RoleDecision, decide_role, display_name
from .sessions import AppLaunchStore

log = logging.getLogger(__name__)
REFRESH_MARGIN = 60.0


def narrowing_candidates(wanted: tuple[str, ...], granted: list[str]) -> list[tuple[str, ...]]:
    """Scope strings to ask for on the narrowing refresh, best first.

    First the role's own set. Servers that compare scope *strings* (RFC 6749 leaves it open) refuse
    ``patient/CarePlan.rs`` when the grant says ``patient/CarePlan.crus``; the second candidate therefore
    uses, per needed permission, the granted string that covers it: the resource types are still narrowed
    to the role's, the letters only as far as the first grant allows.
    """
    parsed = [(g, parse_resource_scope(g)) for g in granted]
    covering: list[str] = []
    for scope in wanted:
        need = parse_resource_scope(scope)
        if scope in granted or need is None:
            covering.append(scope)
            continue
        perm = Permission(need.context, need.resource, "".join(sorted(need.letters)))
        covering.extend(g for g, p in parsed if p is not None and p.covers(perm) and g not in covering)
    candidates = [tuple(wanted), tuple(dict.fromkeys(s for s in covering if s in granted or s in wanted))]
    return [c for i, c in enumerate(candidates) if c and c not in candidates[:i]]


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _syntax(value: str) -> Any:
    return "v2" if value == "v2" else "v1"


class LaunchService:
    def __init__(
        self,
        launcher: SmartLauncher,
        store: AppLaunchStore,
        *,
        http: requests.Session | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        clock: Callable[[], float] = time.time,
        fhir_timeout: float = 10.0,
        refresh_margin: float = REFRESH_MARGIN,
        membership_keys: Callable[[str], KeySet | None] = lambda _base: None,
    ) -> None:
        self.launcher = launcher
        # The organisation's public signing keys per FHIR base: only signed memberships grant a role.
        self.membership_keys = membership_keys
        self.store = store
        self.http = http or launcher.http
        self.today = today
        self.clock = clock
        self.fhir_timeout = fhir_timeout
        self.refresh_margin = refresh_margin

    # --- starting and finishing a launch ------------------------------------------------------------------

    def begin_ehr(self, iss: str | None, launch: str | None, session_id: str) -> str:
        url, _ = self.launcher.begin_launch(iss, launch, session_id, features=UNION_FEATURES)
        return url

    def begin_standalone(self, iss: str, session_id: str) -> str:
        url, _ = self.launcher.begin_standalone(iss, session_id, features=UNION_FEATURES)
        return url

    def complete(self, params: Mapping[str, str], session_id: str) -> LaunchSession:
        session = self.launcher.complete_launch(params, session_id)
        decision, user_name = self._discover(session)
        session, narrowed = self._narrow(session, decision)
        view = {
            "role": decision.role,
            "role_source": decision.source,
            "user_name": user_name,
            "narrowed": narrowed,
        }
        self.store.put_view(session.launch_id, view, self.launcher.session_ttl)
        log.info(
            "launch ready launch=%s role=%s source=%s narrowed=%s",
            session.launch_id,
            decision.role,
            decision.source,
            narrowed,
        )
        return session

    def reader(self, session: LaunchSession) -> FhirReader:
        return FhirReader(self.http, session.fhir_base, session.access_token, self.fhir_timeout)

    def _discover(self, session: LaunchSession) -> tuple[RoleDecision, str | None]:
        """Role from CareTeam / PractitionerRole with the first token; only these reads use it."""
        user = session.fhir_user
        if user is None or not user.same_server or user.resource_type != "Practitioner":
            return RoleDecision("staff", "unknown"), None
        fhir = self.reader(session)
        careteams: list[dict[str, Any]] = []
        roles: list[dict[str, Any]] = []
        name: str | None = None
        try:
            if session.context.patient:
                careteams = fhir.search("CareTeam", {"patient": session.context.patient, "status": "active"})
            roles = fhir.search("PractitionerRole", {"practitioner": user.reference})
            name = display_name(fhir.read("Practitioner", user.id))
        except (NotAllowed, TokenRejected) as exc:
            # A grant without these scopes cannot tell the role: regular staff, said on the page.
            log.info("role discovery incomplete launch=%s reason=%s", session.launch_id, type(exc).__name__)
            return RoleDecision("staff", "unknown"), name
        keys = self.membership_keys(session.fhir_base)
        if keys is None:
            log.warning("role discovery without keys launch=%s: no programme role", session.launch_id)
        return decide_role(user.reference, careteams, roles, self.today(), keys=keys), name

    def _narrow(self, session: LaunchSession, decision: RoleDecision) -> tuple[LaunchSession, bool]:
        """Trade the broad first token for one with the role's scopes only (R107, R108)."""
        request = build_request(
            decision.features,
            _syntax(session.scope_syntax),
            ehr_launch=session.kind == "ehr",
            standalone_context=("patient",),
        )
        result = None
        if session.refresh_token:
            registration = self.launcher.registry.lookup(session.fhir_base)
            for candidate in narrowing_candidates(request.scopes, session.granted_scope.split()):
                try:
                    result = tokens.refresh(
                        self.http,
                        session.token_endpoint,
                        registration.auth,
                        refresh_token=session.refresh_token,
                        scope=" ".join(candidate),
                        allow_loopback_http=self.launcher.sandbox,
                        clock=self.clock,
                    )
                except TokenRequestFailed as exc:
                    log.warning(
                        "scope narrowing refused launch=%s error=%s", session.launch_id, exc.oauth_error
                    )
                    if exc.oauth_error != "invalid_scope":
                        break
                    continue
                request = ScopeRequest(request.features, candidate, request.syntax)
                break
        if result is None:
            # Keep the first token; the app switches off whatever the role may not use.
            enabled = tuple(f for f in session.enabled_features if f in decision.features)
            disabled = tuple(f for f in session.disabled_features if f in decision.features)
            updated = replace(
                session, features=decision.features, enabled_features=enabled, disabled_features=disabled
            )
            self.store.put_session(updated, self.launcher.session_ttl)
            return updated, False
        updated = self._apply(session, request, result, request.scope)
        self.store.put_session(updated, self.launcher.session_ttl)
        return updated, True

    def _apply(
        self, session: LaunchSession, request: ScopeRequest, result: tokens.TokenResponse, requested: str
    ) -> LaunchSession:
        granted = granted_scopes(result.scope, request)
        report = compare(request, granted)
        disabled = report.disabled
        if "identity" in session.disabled_features and "identity" not in disabled:
            disabled = (*disabled, "identity")  # identity comes from the launch's id_token only
        return replace(
            session,
            access_token=result.access_token,
            expires_at=result.expires_at,
            refresh_token=result.refresh_token or session.refresh_token,  # rotation (R117)
            requested_scope=requested,
            granted_scope=" ".join(granted),
            features=request.features,
            enabled_features=tuple(f for f in report.enabled if f not in disabled),
            disabled_features=disabled,
        )

    # --- every page ------------------------------------------------------------------------------------

    def view(self, launch_id: str) -> dict[str, Any]:
        return self.store.get_view(launch_id) or {}

    def current(self, launch_id: str, session_id: str) -> LaunchSession:
        """The launch of this tab, its token refreshed first when it expires within the margin."""
        session = self._load(launch_id, session_id)
        if session.expires_at - self.refresh_margin > self.clock():
            return session
        return self._refresh(launch_id, session_id, session.access_token, force=False)

    def after_unauthorized(self, launch_id: str, session_id: str, rejected_token: str) -> LaunchSession:
        """After a 401: one refresh, unless another request already did it (§1.12)."""
        return self._refresh(launch_id, session_id, rejected_token, force=True)

    def _load(self, launch_id: str, session_id: str) -> LaunchSession:
        session = self.store.get_session(launch_id) if launch_id and session_id else None
        if session is None or not _same(session.session_id, session_id):
            raise UnknownLaunch("no such launch for this browser session")
        return session

    def _refresh(self, launch_id: str, session_id: str, stale: str, *, force: bool) -> LaunchSession:
        with self.store.refresh_lock(launch_id):
            session = self._load(launch_id, session_id)  # reread: another worker may have refreshed
            fresh = session.expires_at - self.refresh_margin > self.clock()
            if fresh and (session.access_token != stale or not force):
                return session
            if not session.refresh_token:
                self.store.delete_session(launch_id)
                raise RelaunchRequired("access token expired and no refresh token was granted")
            registration = self.launcher.registry.lookup(session.fhir_base)
            narrowed = bool(self.view(launch_id).get("narrowed"))
            request = ScopeRequest(
                session.features, tuple(session.requested_scope.split()), _syntax(session.scope_syntax)
            )
            try:
                result = tokens.refresh(
                    self.http,
                    session.token_endpoint,
                    registration.auth,
                    refresh_token=session.refresh_token,
                    scope=session.requested_scope if narrowed else None,
                    allow_loopback_http=self.launcher.sandbox,
                    clock=self.clock,
                )
            except TokenRequestFailed as exc:
                if exc.temporary and session.expires_at > self.clock():
                    log.warning("refresh failed temporarily launch=%s error=%s", launch_id, exc.oauth_error)
                    return session
                if exc.temporary:
                    raise
                self.store.delete_session(launch_id)
                log.info("refresh refused launch=%s error=%s", launch_id, exc.oauth_error)
                raise RelaunchRequired(f"refresh refused: {exc.oauth_error}") from exc
            updated = self._apply(session, request, result, session.requested_scope)
            if not narrowed:  # the role's features stay the only ones, whatever the grant says
                updated = replace(
                    updated,
                    enabled_features=tuple(f for f in updated.enabled_features if f in session.features),
                )
            self.store.put_session(updated, self.launcher.session_ttl)
            log.info("token refreshed launch=%s", launch_id)
            return updated

    def end(self, launch_id: str, session_id: str) -> None:
        session = self.store.get_session(launch_id)
        if session is not None and _same(session.session_id, session_id):
            self.store.delete_session(launch_id)
