"""After the code exchange: the launch on every page, narrowing its first grant, and refreshing its token.

Narrowing (smart-launch.md R107, R108): the EHR launch names no user until the code exchange, so the first
grant is the union of every role's features; once the role is known the grant is traded, by a refresh with
``scope`` = the role's own set, for a narrow one. The broad first token is thrown away. A server that refuses
to narrow or hands the broad grant back gets the launch refused (fail-closed, issue 13 cause 13): a broad
token in the store would be one bug away from reading journal types the role must never see.

Refresh (§1.12, RFC 6749 §6): before the access token expires, or once after a 401; one at a time per launch
(the store's ``refresh_lock``). A narrowed launch asks for its narrow scope on every refresh (the server
would otherwise hand back the whole first grant), and a refresh that comes back wider is never used.

:class:`Renewal` is the half of :class:`~hvol_fhir.smart.launch.SmartLauncher` that runs after the launch;
a web layer with its own idea of "this browser's launch" passes ``reload`` (how to read the launch again
under the refresh lock) so that its checks hold for the reread too.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace

import requests

from . import token as tokens
from .errors import NarrowingFailed, RelaunchRequired, ScopeSyntaxError, TokenRequestFailed, UnknownLaunch
from .logsafe import escaped
from .models import LaunchSession
from .registration import IssuerRegistry
from .scopes import (
    Feature,
    ScopeRequest,
    ScopeSyntax,
    as_permission,
    build_request,
    compare,
    covered_by,
    granted_scopes,
    parse_resource_scope,
    wider_than,
)
from .store import LaunchStore

log = logging.getLogger(__name__)
Reload = Callable[[], LaunchSession]


def syntax_of(value: str) -> ScopeSyntax:
    return "v2" if value == "v2" else "v1"


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


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
        perm = as_permission(need)
        covering.extend(g for g, p in parsed if p is not None and p.covers(perm) and g not in covering)
    # R108: a refresh may only ask for a subset of the grant. What the grant does not cover is left out (the
    # features needing it go off); asking for it anyway would be a request to widen the grant.
    own = tuple(s for s in wanted if covered_by(s, granted))
    candidates = [own, tuple(dict.fromkeys(s for s in covering if s in granted))]
    return [c for i, c in enumerate(candidates) if c and c not in candidates[:i]]


def with_grant(
    session: LaunchSession,
    request: ScopeRequest,
    result: tokens.TokenResponse | None,
    granted: tuple[str, ...],
) -> LaunchSession:
    """Pure: the launch with ``result``'s token (``None``: the one it has), ``request`` as what later
    refreshes ask for, and the features that ``granted`` allows."""
    report = compare(request, granted)
    disabled = report.disabled
    if "identity" in session.disabled_features and "identity" not in disabled:
        disabled = (*disabled, "identity")  # identity comes from the launch's id_token only
    if result is not None:
        session = replace(
            session,
            access_token=result.access_token,
            expires_at=result.expires_at,
            refresh_token=result.refresh_token or session.refresh_token,  # rotation replaces it (R117)
        )
    return replace(
        session,
        requested_scope=request.scope,
        granted_scope=" ".join(granted),
        features=request.features,
        enabled_features=tuple(f for f in report.enabled if f not in disabled),
        disabled_features=disabled,
    )


class Renewal:
    """The launch after the code exchange: loading, narrowing, refreshing, ending (a mixin of SmartLauncher,
    whose constructor sets these attributes)."""

    registry: IssuerRegistry
    store: LaunchStore
    http: requests.Session
    sandbox: bool
    clock: Callable[[], float]
    catalog: dict[str, Feature]
    session_ttl: float
    refresh_margin: float

    def named(self, names: Iterable[str]) -> tuple[Feature, ...]:
        unknown = [n for n in names if n not in self.catalog]
        if unknown:
            raise ScopeSyntaxError(f"unknown feature {unknown[0]!r}")
        return tuple(self.catalog[n] for n in dict.fromkeys(names))

    def request_of(self, features: Iterable[str], scope: str, syntax: str) -> ScopeRequest:
        """A request as it was made (kept by feature name in the pending launch or the session)."""
        wants = tuple(self.catalog[n] for n in features if n in self.catalog)
        return ScopeRequest(wants, tuple(scope.split()), syntax_of(syntax))

    # --- every page --------------------------------------------------------------------------------------

    def load(self, launch_id: str, session_id: str) -> LaunchSession:
        """The launch, only for the browser session that holds it."""
        current = self.store.get_session(launch_id) if launch_id and session_id else None
        if current is None or not same_secret(current.session_id, session_id):
            raise UnknownLaunch("no such launch for this browser session")
        return current

    def get_session(self, launch_id: str, session_id: str) -> LaunchSession:
        """The launch, its access token refreshed first when it expires within ``refresh_margin``."""
        return self.fresh(self.load(launch_id, session_id), lambda: self.load(launch_id, session_id))

    def fresh(self, session: LaunchSession, reload: Reload) -> LaunchSession:
        """``session`` as it is, or refreshed when its token expires within ``refresh_margin``."""
        if session.expires_at - self.refresh_margin > self.clock():
            return session
        return self._refresh(session.launch_id, session.access_token, force=False, reload=reload)

    def refresh_after_unauthorized(
        self, launch_id: str, session_id: str, rejected_token: str, *, reload: Reload | None = None
    ) -> LaunchSession:
        """After a 401 from the FHIR server: refresh once, unless another request already did (§1.12)."""
        again = reload or (lambda: self.load(launch_id, session_id))
        return self._refresh(launch_id, rejected_token, force=True, reload=again)

    def end(self, launch_id: str, session_id: str) -> None:
        current = self.store.get_session(launch_id)
        if current is not None and same_secret(current.session_id, session_id):
            self.store.delete_session(launch_id)

    # --- narrowing --------------------------------------------------------------------------------------

    def narrow(self, session: LaunchSession, features: Iterable[str]) -> LaunchSession:
        """Trade the broad first grant for one with ``features``' scopes only (R107, R108), and keep that.

        A first grant already within the set needs no refresh and is used as it is; later refreshes then ask
        for exactly that grant. Raises :class:`NarrowingFailed` (launch deleted) when the server will not."""
        request = build_request(
            self.named(features),
            syntax_of(session.scope_syntax),
            ehr_launch=session.kind == "ehr",
            standalone_context=("patient",),
        )
        granted = session.granted_scope.split()
        if not wider_than(granted, request.scopes):
            log.info("scope narrowing not needed launch=%s: first grant within the role", session.launch_id)
            as_granted = ScopeRequest(request.wants, tuple(granted), request.syntax)
            return self._keep(replace(with_grant(session, as_granted, None, tuple(granted)), narrowed=True))
        reason = "no refresh token"
        for candidate in narrowing_candidates(request.scopes, granted) if session.refresh_token else []:
            try:
                result = self._token_refresh(session, " ".join(candidate))
            except TokenRequestFailed as exc:
                reason = f"refused: {exc.oauth_error}"
                log.warning(
                    "scope narrowing refused launch=%s error=%s", session.launch_id, escaped(exc.oauth_error)
                )
                if exc.oauth_error != "invalid_scope":
                    break
                continue
            asked = ScopeRequest(request.wants, candidate, request.syntax)
            got = granted_scopes(result.scope, asked)
            wider = wider_than(got, candidate)
            if wider:
                # A server that ignores the scope on refresh hands the first grant back: not narrowed.
                reason = "grant came back wider than asked"
                log.warning(
                    "scope narrowing ignored launch=%s wider=%s",
                    session.launch_id,
                    escaped(" ".join(wider), 300),
                )
                break
            log.info("scope narrowed launch=%s scope=%s", session.launch_id, escaped(asked.scope, 400))
            return self._keep(replace(with_grant(session, asked, result, got), narrowed=True))
        self.store.delete_session(session.launch_id)
        log.warning("launch refused: not narrowed launch=%s reason=%s", session.launch_id, reason)
        raise NarrowingFailed(f"not narrowed ({reason})")

    # --- refreshing -------------------------------------------------------------------------------------

    def _refresh(self, launch_id: str, stale: str, *, force: bool, reload: Reload) -> LaunchSession:
        with self.store.refresh_lock(launch_id):
            session = reload()  # reread: another worker may have refreshed
            fresh = session.expires_at - self.refresh_margin > self.clock()
            if fresh and (session.access_token != stale or not force):
                return session
            if not session.refresh_token:
                self.store.delete_session(launch_id)
                raise RelaunchRequired("access token expired and no refresh token was granted")
            try:
                result = self._token_refresh(session, session.requested_scope if session.narrowed else None)
            except TokenRequestFailed as exc:
                if exc.temporary and session.expires_at > self.clock():
                    log.warning("refresh failed temporarily launch=%s error=%s", launch_id, exc.oauth_error)
                    return session
                if exc.temporary:
                    raise
                self.store.delete_session(launch_id)
                log.info("refresh refused launch=%s error=%s", launch_id, exc.oauth_error)
                raise RelaunchRequired(f"refresh refused: {exc.oauth_error}") from exc
            before = tuple(session.granted_scope.split())
            granted = tuple(result.scope.split()) if result.scope else before
            # Within what was asked (narrowed) or what the launch had already (asked or granted then).
            bound = (
                session.requested_scope.split()
                if session.narrowed
                else [*session.requested_scope.split(), *before]
            )
            wider = wider_than(granted, bound)
            if wider:
                self.store.delete_session(launch_id)
                log.warning(
                    "refresh came back wider launch=%s wider=%s", launch_id, escaped(" ".join(wider), 300)
                )
                raise NarrowingFailed("refresh grant wider than the narrowed one")
            request = self.request_of(session.features, session.requested_scope, session.scope_syntax)
            updated = self._keep(with_grant(session, request, result, granted))
            log.info("token refreshed launch=%s", launch_id)
            return updated

    def _token_refresh(self, session: LaunchSession, scope: str | None) -> tokens.TokenResponse:
        registration = self.registry.lookup(session.fhir_base)
        return tokens.refresh(
            self.http,
            session.token_endpoint,
            registration.auth,
            refresh_token=session.refresh_token or "",
            scope=scope,
            allow_loopback_http=self.sandbox,
            clock=self.clock,
        )

    def _keep(self, session: LaunchSession) -> LaunchSession:
        self.store.put_session(session, self.session_ttl)
        return session
