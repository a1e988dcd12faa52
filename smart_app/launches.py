"""The launch as the web layer uses it: the library's launcher plus role discovery and scope narrowing.

``begin_*`` and ``complete`` wrap :class:`hvol_fhir.smart.SmartLauncher`; ``current`` replaces its
``get_session`` because a narrowed launch must ask for its narrow scope on every refresh (RFC 6749 §6 would
otherwise hand back the whole first grant). See ``roles.py`` for why the grant is narrowed after the launch.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import requests
from joserfc.jwk import KeySet

from hvol_fhir.errors import NotAllowed
from hvol_fhir.mapping.person import display_name
from hvol_fhir.privacy.features import UNION_FEATURES, named
from hvol_fhir.privacy.roles import RoleDecision, decide_role
from hvol_fhir.smart import (
    LaunchSession,
    NarrowingFailed,
    RelaunchRequired,
    SessionIdle,
    SmartLauncher,
    TokenRequestFailed,
    UnknownLaunch,
)
from hvol_fhir.smart import token as tokens
from hvol_fhir.smart.logsafe import escaped
from hvol_fhir.smart.scopes import (
    ScopeRequest,
    as_permission,
    build_request,
    compare,
    covered_by,
    granted_scopes,
    parse_resource_scope,
    wider_than,
)

from .fhir import FhirReader, TokenRejected
from .sessions import BROWSER_TTL, AppLaunchStore, browser_key, new_browser_record

log = logging.getLogger(__name__)
REFRESH_MARGIN = 60.0
JOURNAL_IDLE = 30 * 60.0  # seconds without a request after which a launch with journal access ends
TOUCH_EVERY = 20.0  # write "last seen" at most this often (a store write per page otherwise)
EARLIER_IDS = 4  # rotated-away ids a browser record remembers, for launches begun before the rotation


def user_key(session: LaunchSession) -> str | None:
    """Who a launch's user is, for "same user in this browser?": the FHIR server plus her fhirUser, or the
    id_token's ``sub`` when identity is off. ``None`` when the EHR named nobody: she is nobody's equal."""
    if session.fhir_user is not None:
        return f"{session.fhir_base}|{session.fhir_user.reference}"
    if session.id_token_sub:
        return f"{session.fhir_base}|sub:{session.id_token_sub}"
    return None


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
        journal_idle: float = JOURNAL_IDLE,
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
        self.journal_idle = journal_idle

    # --- starting and finishing a launch ------------------------------------------------------------------

    def begin_ehr(self, iss: str | None, launch: str | None, session_id: str) -> str:
        url, _ = self.launcher.begin_launch(iss, launch, session_id, features=UNION_FEATURES)
        return url

    def begin_standalone(self, iss: str, session_id: str) -> str:
        url, _ = self.launcher.begin_standalone(iss, session_id, features=UNION_FEATURES)
        return url

    def new_browser(self) -> str:
        """Issue a browser-session id and keep its record: only ids issued here are ever accepted."""
        sid = secrets.token_urlsafe(32)
        self.store.put_browser(browser_key(sid), new_browser_record(), BROWSER_TTL)
        return sid

    def browser(self, session_id: str) -> dict[str, Any] | None:
        return self.store.get_browser(browser_key(session_id)) if session_id else None

    def complete(self, params: Mapping[str, str], session_id: str) -> tuple[LaunchSession, str]:
        """Finish the launch, decide the role, narrow the grant, and rotate the browser-session id.

        Returns the launch and the browser's *new* session id (the caller sets it as the cookie)."""
        record = self.browser(session_id)
        if record is None:
            session_id = ""  # an id the app did not issue (or rotated away) binds nothing
        earlier = tuple(record.get("previous") or ()) if record else ()
        session = self.launcher.complete_launch(params, session_id, earlier_ids=earlier)
        decision, user_name = self._discover(session)
        session, narrowed = self._narrow(session, decision)
        session, new_sid = self._rotate(session, session_id, record)
        view = {
            "role": decision.role,
            "role_source": decision.source,
            "user_name": user_name,
            "narrowed": narrowed,
            "last_seen": self.clock(),
        }
        self.store.put_view(session.launch_id, view, self.launcher.session_ttl)
        log.info(
            "launch ready launch=%s role=%s source=%s narrowed=%s",
            session.launch_id,
            decision.role,
            decision.source,
            narrowed,
        )
        return session, new_sid

    def _rotate(
        self, session: LaunchSession, old_sid: str, record: dict[str, Any] | None
    ) -> tuple[LaunchSession, str]:
        """A new browser-session id at every callback (fixation, cause 6). Earlier launches in this browser
        move to it when they are the same user's; a different user (or an unknown one) ends them all."""
        user = user_key(session)
        old = record or new_browser_record()
        same_user = user is not None and old.get("user") == user
        new_sid = secrets.token_urlsafe(32)
        kept: list[str] = []
        now = self.clock()
        for launch_id in old.get("launches") or []:
            earlier = self.store.get_session(launch_id)
            if earlier is None or launch_id == session.launch_id:
                continue
            if same_user:
                left = earlier.created_at + self.launcher.session_ttl - now
                if left > 0:
                    self.store.put_session(replace(earlier, session_id=new_sid), left)
                    kept.append(launch_id)
                    continue
            self.store.delete_session(launch_id)
            log.info("earlier launch ended: another user launched in this browser launch=%s", launch_id)
        session = replace(session, session_id=new_sid)
        self.store.put_session(session, self.launcher.session_ttl)
        fresh = new_browser_record(user)
        if same_user:
            fresh["csrf"] = old.get("csrf") or fresh["csrf"]  # open forms of her other tabs stay valid
        fresh["launches"] = [*kept, session.launch_id]
        fresh["previous"] = [i for i in (old_sid, *(old.get("previous") or ())) if i][:EARLIER_IDS]
        self.store.put_browser(browser_key(new_sid), fresh, BROWSER_TTL)
        if old_sid:
            self.store.delete_browser(browser_key(old_sid))
        return session, new_sid

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
        """Trade the broad first token for one with the role's scopes only (R107, R108).

        Policy when that fails (cause 13), fail-closed: the launch is deleted, broad token and refresh token
        included, and the user gets a Dutch page (:class:`NarrowingFailed`). Keeping the broad token with
        features switched off would leave a token in the store that could read journal types this role
        must never see, only one bug away from being used; the journal is worth a refused launch. A first
        grant that is already within the role's set needs no refresh and is used as it is.
        """
        request = build_request(
            named(decision.features),
            _syntax(session.scope_syntax),
            ehr_launch=session.kind == "ehr",
            standalone_context=("patient",),
        )
        granted = session.granted_scope.split()
        if not wider_than(granted, request.scopes):
            log.info("scope narrowing not needed launch=%s: first grant within the role", session.launch_id)
            # Later refreshes ask for exactly this grant (R108), never the union that was asked first.
            updated = self._apply(session, request, None, " ".join(granted))
            self.store.put_session(updated, self.launcher.session_ttl)
            return updated, True
        reason = "no refresh token"
        if session.refresh_token:
            registration = self.launcher.registry.lookup(session.fhir_base)
            for candidate in narrowing_candidates(request.scopes, granted):
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
                    reason = f"refused: {exc.oauth_error}"
                    log.warning(
                        "scope narrowing refused launch=%s error=%s",
                        session.launch_id,
                        escaped(exc.oauth_error),
                    )
                    if exc.oauth_error != "invalid_scope":
                        break
                    continue
                asked = ScopeRequest(request.wants, candidate, request.syntax)
                wider = wider_than(granted_scopes(result.scope, asked), candidate)
                if wider:
                    # A server that ignores the scope on refresh hands the first grant back: not narrowed.
                    reason = "grant came back wider than asked"
                    log.warning(
                        "scope narrowing ignored launch=%s wider=%s",
                        session.launch_id,
                        escaped(" ".join(wider), 300),
                    )
                    break
                updated = self._apply(session, asked, result, asked.scope)
                self.store.put_session(updated, self.launcher.session_ttl)
                log.info("scope narrowed launch=%s scope=%s", session.launch_id, escaped(asked.scope, 400))
                return updated, True
        self.store.delete_session(session.launch_id)
        log.warning(
            "launch refused: not narrowed launch=%s role=%s reason=%s",
            session.launch_id,
            decision.role,
            reason,
        )
        raise NarrowingFailed(f"not narrowed ({reason})")

    def _apply(
        self,
        session: LaunchSession,
        request: ScopeRequest,
        result: tokens.TokenResponse | None,
        requested: str,
    ) -> LaunchSession:
        """The launch with ``result``'s token (``None``: the one it has) and the features its grant allows."""
        granted = (
            granted_scopes(result.scope, request)
            if result is not None
            else tuple(session.granted_scope.split())
        )
        report = compare(request, granted)
        disabled = report.disabled
        if "identity" in session.disabled_features and "identity" not in disabled:
            disabled = (*disabled, "identity")  # identity comes from the launch's id_token only
        if result is not None:
            session = replace(
                session,
                access_token=result.access_token,
                expires_at=result.expires_at,
                refresh_token=result.refresh_token or session.refresh_token,  # rotation (R117)
            )
        return replace(
            session,
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
        """The launch of this tab, its token refreshed first when it expires within the margin.

        Only for the browser session that holds it, only while that browser's user is still the launch's
        user, and, for a launch with journal access, only when it was used within ``journal_idle``."""
        session = self._load(launch_id, session_id)
        self._check_idle(session)
        if session.expires_at - self.refresh_margin > self.clock():
            return session
        return self._refresh(launch_id, session_id, session.access_token, force=False)

    def _check_idle(self, session: LaunchSession) -> None:
        view = self.store.get_view(session.launch_id)
        if view is None:
            return
        now = self.clock()
        last = float(view.get("last_seen") or session.created_at)
        if "journal" in session.features and now - last > self.journal_idle:
            self._drop(session)
            log.info("journal session idle, ended launch=%s idle_s=%d", session.launch_id, now - last)
            raise SessionIdle("journal session idle too long")
        if now - last >= TOUCH_EVERY:
            self.store.put_view(session.launch_id, {**view, "last_seen": now}, self.launcher.session_ttl)

    def _drop(self, session: LaunchSession) -> None:
        self.store.delete_session(session.launch_id)
        record = self.browser(session.session_id)
        if record is not None and session.launch_id in (record.get("launches") or []):
            record["launches"] = [i for i in record["launches"] if i != session.launch_id]
            self.store.put_browser(browser_key(session.session_id), record, BROWSER_TTL)

    def after_unauthorized(self, launch_id: str, session_id: str, rejected_token: str) -> LaunchSession:
        """After a 401: one refresh, unless another request already did it (§1.12)."""
        return self._refresh(launch_id, session_id, rejected_token, force=True)

    def _load(self, launch_id: str, session_id: str) -> LaunchSession:
        session = self.store.get_session(launch_id) if launch_id and session_id else None
        if session is None or not _same(session.session_id, session_id):
            raise UnknownLaunch("no such launch for this browser session")
        # Belt and braces for the shared workstation: the browser record must list this launch and name
        # its user (a launch by someone else ended the earlier ones; this holds even if that failed).
        record = self.browser(session_id)
        if (
            record is None
            or launch_id not in (record.get("launches") or [])
            or record.get("user") != user_key(session)
        ):
            raise UnknownLaunch("launch is not the current user's in this browser")
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
            request = self.launcher.request_of(
                session.features, session.requested_scope, session.scope_syntax
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
            asked = session.requested_scope.split() if narrowed else session.granted_scope.split()
            wider = wider_than(granted_scopes(result.scope, request), asked)
            if wider:
                # The refresh came back wider than the narrowed grant: never used (cause 13).
                self._drop(session)
                log.warning(
                    "refresh came back wider launch=%s wider=%s", launch_id, escaped(" ".join(wider), 300)
                )
                raise NarrowingFailed("refresh grant wider than the narrowed one")
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
            self._drop(session)
