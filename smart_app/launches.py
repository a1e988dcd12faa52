"""The launch as the web layer uses it: the library's launcher plus the browser it belongs to and the role.

:class:`hvol_fhir.smart.SmartLauncher` owns the protocol: discovery, authorize, callback, narrowing and
refresh. This service adds what only the app knows: which browser a launch belongs to (the session-id
rotation at every callback, several tabs of one user), the user's programme role (read with the first token,
decided by :mod:`hvol_fhir.privacy.roles`), the per-launch view (role, names) and the idle limit of a launch
with journal access.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import requests
from joserfc.jwk import KeySet

from hvol_fhir.ehr import FhirClient, paging
from hvol_fhir.errors import NotAllowed, NotFound
from hvol_fhir.mapping.person import display_name
from hvol_fhir.privacy.features import CASELOAD_ROLES, STAFF, UNION_FEATURES, launch_features
from hvol_fhir.privacy.roles import RoleDecision, decide_role
from hvol_fhir.smart import LaunchSession, SessionIdle, SmartLauncher, UnknownLaunch
from hvol_fhir.smart.renewal import same_secret

from .sessions import BROWSER_TTL, AppLaunchStore, browser_key, new_browser_record

log = logging.getLogger(__name__)
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
        with_patient = bool(session.context.patient)
        session = self.launcher.narrow(session, launch_features(decision.role, with_patient=with_patient))
        session, new_sid = self._rotate(session, session_id, record)
        view = {
            "role": decision.role,
            "role_source": decision.source,
            "user_name": user_name,
            "narrowed": session.narrowed,
            "last_seen": self.clock(),
            # Issue 15: a buddy or coach without a patient: her caseload, user-level and read-only.
            "caseload": not with_patient and decision.role in CASELOAD_ROLES,
        }
        self.store.put_view(session.launch_id, view, self.launcher.session_ttl)
        log.info(
            "launch ready launch=%s role=%s source=%s narrowed=%s",
            session.launch_id,
            decision.role,
            decision.source,
            session.narrowed,
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

    def _discover(self, session: LaunchSession) -> tuple[RoleDecision, str | None]:
        """Role from CareTeam / PractitionerRole with the first token; only these reads use it."""
        user = session.fhir_user
        if user is None or not user.same_server or user.resource_type != "Practitioner":
            return RoleDecision(STAFF, "unknown"), None
        # No refresh on a 401 here: the first token is minutes old, and its only use is these reads.
        fhir = FhirClient(
            session.fhir_base, session.access_token, session=self.http, timeout=self.fhir_timeout
        )
        careteams: list[dict[str, Any]] = []
        roles: list[dict[str, Any]] = []
        name: str | None = None
        try:
            if session.context.patient:
                careteams = _found(fhir, "CareTeam", {"patient": session.context.patient, "status": "active"})
            else:
                # Issue 15: no youth in the launch: her role from every team she is on (her caseload). The
                # EHR confines these reads to her own teams; only signed memberships count below.
                careteams = _found(fhir, "CareTeam", {"participant": user.reference, "status": "active"})
            roles = _found(fhir, "PractitionerRole", {"practitioner": user.reference})
            name = _name(fhir, user.id)
        except NotAllowed as exc:
            # A grant without these scopes cannot tell the role: regular staff, said on the page.
            log.info("role discovery incomplete launch=%s reason=%s", session.launch_id, type(exc).__name__)
            return RoleDecision(STAFF, "unknown"), name
        keys = self.membership_keys(session.fhir_base)
        if keys is None:
            log.warning("role discovery without keys launch=%s: no programme role", session.launch_id)
        return decide_role(user.reference, careteams, roles, self.today(), keys=keys), name

    # --- every page ------------------------------------------------------------------------------------

    def view(self, launch_id: str) -> dict[str, Any]:
        return self.store.get_view(launch_id) or {}

    def open_youth(self, launch_id: str, patient: str, role: str) -> str:
        """Issue 15: a page set for one youth under a launch whose token is user-level for her (the buddy's
        caseload, the coordinator's programme): its own launch id, whose view names the youth and the role
        the caller checked, and the launch it borrows its token from. Pages find the youth in the URL (the
        id), never in the cookie; the browser check stays the parent's. One per youth and launch."""
        parent = str(self.view(launch_id).get("parent") or launch_id)
        view = self.view(parent)
        children = dict(view.get("children") or {})
        child = str(children.get(patient) or secrets.token_urlsafe(24))
        children[patient] = child
        self.store.put_view(parent, {**view, "children": children}, self.launcher.session_ttl)
        self.store.put_view(
            child, {"parent": parent, "patient": patient, "role": role}, self.launcher.session_ttl
        )
        return child

    def current(self, launch_id: str, session_id: str) -> LaunchSession:
        """The launch of this tab, its token refreshed first when it expires within the margin.

        Only for the browser session that holds it, only while that browser's user is still the launch's
        user, and, for a launch with journal access, only when it was used within ``journal_idle``."""
        session = self._load(launch_id, session_id)
        self._check_idle(session)
        return self.launcher.fresh(session, lambda: self._load(launch_id, session_id))

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
        return self.launcher.refresh_after_unauthorized(
            launch_id, session_id, rejected_token, reload=lambda: self._load(launch_id, session_id)
        )

    def _load(self, launch_id: str, session_id: str) -> LaunchSession:
        session = self.launcher.load(launch_id, session_id)
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

    def end(self, launch_id: str, session_id: str) -> None:
        session = self.store.get_session(launch_id)
        if session is not None and same_secret(session.session_id, session_id):
            self._drop(session)


def _found(fhir: FhirClient, resource_type: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """The first page of a search (the role lookups need a handful of resources), of that type only."""
    page = fhir.search(resource_type, {**params, "_count": "100"})
    return [r for r in paging.matches(page) if r.get("resourceType") == resource_type]


def _name(fhir: FhirClient, practitioner_id: str) -> str | None:
    try:
        return display_name(fhir.read("Practitioner", practitioner_id))
    except NotFound:
        return None
