"""What every programme page needs: the launch, the user's role, a FHIR client with the launch's token, the
clock, a CSRF token, and the one place where EHR faults become a plain Dutch message on the same form.

Pages take ``launch_id`` from the URL (never from the cookie). The FHIR client refreshes the token once after
a 401 (through the launcher: the app has no refresh of its own). Nothing here logs request bodies: journal
text may be in them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import abort, current_app, g, request

from hvol_fhir.ehr import EhrDown, FhirClient
from hvol_fhir.errors import Conflict, HvolError, NotAllowed, NotFound
from hvol_fhir.privacy import access
from hvol_fhir.privacy.features import STAFF
from hvol_fhir.privacy.roles import RolePolicy
from hvol_fhir.programme.clock import local_date
from hvol_fhir.sealing import membership
from hvol_fhir.sealing.codec import SealingCodec
from hvol_fhir.sealing.keys import KeyRing, KeysUnavailable
from hvol_fhir.sealing.vaults import public_jwks
from hvol_fhir.smart import LaunchSession
from hvol_fhir.transfer.delivery import load_jwks

from . import browser
from .sessions import browser_key
from .state import state

log = logging.getLogger(__name__)
CSRF_FIELD = "csrf_token"


@dataclass
class Ctx:
    launch_id: str
    sid: str
    session: LaunchSession
    role: str
    user: str | None  # Practitioner/<id>
    user_name: str | None
    patient: str | None  # Patient/<id>
    client: FhirClient
    role_source: str = ""  # how the role was decided (privacy.roles.RoleDecision.source)
    caseload: bool = False  # issue 15: a buddy's or coach's user-level launch (read-only)
    parent: str = ""  # issue 15: the launch whose token a youth opened from a caseload or overview borrows

    @property
    def root(self) -> str:
        """The launch that holds the token (itself, or the parent of a youth opened from a list)."""
        return self.parent or self.launch_id

    @property
    def policy(self) -> RolePolicy:
        return RolePolicy(self.role)

    @property
    def card_only(self) -> bool:
        return self.policy.card_only


def now() -> datetime:
    """The app's one clock (``HVOL_CLOCK``: seconds since the epoch, as ``time.time``; tests pin it)."""
    clock: Callable[[], float] = current_app.config.get("HVOL_CLOCK") or time.time
    return datetime.fromtimestamp(clock(), UTC)


def today() -> date:
    """Today in Amsterdam, where the programme happens (not the server's own date)."""
    return local_date(now())


def codec_for(fhir_base: str, role: str, user: str | None) -> SealingCodec:
    """Issue 12: this role opens only its kinds of sealed content; the coordinator's CareTeam writes are
    signed as hers. Without the organisation's keys nothing opens and every sealed write is refused."""
    vaults = state().vaults
    try:
        ring: KeyRing | None = vaults.ring(fhir_base)
        unavailable = None
    except KeysUnavailable as exc:
        ring, unavailable = None, exc
    return SealingCodec(
        ring,
        access.sealed_kinds(role),
        signer=user if access.may_sign_membership(role) else None,
        unavailable=unavailable,
        senders=transfer_senders(),
    )


def transfer_senders() -> Any:
    """The public signing keys of the organisations whose transfers this app opens (issue 12): those it
    serves itself (the demo serves several) and the transfer targets that run the app (exchanges go both
    ways). Loaded once per process; a target whose keys cannot be read is left out (its transfers then show
    as "kan niet worden geopend"), never trusted blindly."""
    cached = current_app.extensions.get("hvol_transfer_senders")
    if cached is not None:
        return cached
    keys = list(public_jwks(state().vaults, list(state().registry.issuers()))["keys"])
    for target in current_app.config.get("HVOL_TRANSFER_TARGETS") or []:
        if not target.get("runs_app"):
            continue
        try:
            found = load_jwks(
                keys_file=target.get("keys_file"), keys_url=target.get("keys_url"), http=state().service.http
            )
        except HvolError:
            log.warning("transfer keys of a target unreadable: %s", target.get("id"))
            continue
        keys += [k for k in found.get("keys") or [] if isinstance(k, dict)]
    cached = membership.verification_keys({"keys": keys})
    current_app.extensions["hvol_transfer_senders"] = cached
    return cached


def client_for(launch_id: str, sid: str, session: LaunchSession, role: str, user: str | None) -> FhirClient:
    service = state().service

    def refreshed(_rejected: str | None) -> str:
        return service.after_unauthorized(launch_id, sid, session.access_token).access_token

    return FhirClient(
        session.fhir_base,
        session.access_token,
        session=service.http,
        timeout=current_app.config["HVOL_FHIR_TIMEOUT"],
        counter=current_app.config.get("HVOL_ROUNDTRIP_COUNTER"),
        on_unauthorized=refreshed,
        codec=codec_for(session.fhir_base, role, user),
    )


def ctx(launch_id: str) -> Ctx:
    """The page's launch. Issue 15: a launch id made by :meth:`LaunchService.open_youth` stands for one youth
    opened from a caseload or the overview: the youth and role are its own, checked when it was made; the
    token, the browser check and the idle limit are its parent launch's."""
    sid = browser.session_id() or ""
    service = state().service
    view = service.view(launch_id)
    parent = str(view.get("parent") or "")
    session = service.current(parent or launch_id, sid)
    if parent:
        view = {**service.view(parent), **view}
        patient: str | None = f"Patient/{view['patient']}"
    else:
        patient = f"Patient/{session.context.patient}" if session.context.patient else None
    user = session.fhir_user.reference if session.fhir_user else None
    role = str(view.get("role") or STAFF)
    return Ctx(
        launch_id=launch_id,
        sid=sid,
        session=session,
        role=role,
        user=user,
        user_name=view.get("user_name"),
        patient=patient,
        client=client_for(parent or launch_id, sid, session, role, user),
        role_source=str(view.get("role_source") or ""),
        caseload=bool(view.get("caseload")),
        parent=parent,
    )


def launched_youth(c_: Ctx) -> dict[str, Any] | None:
    """The launched youth's Patient, when the role may see her name and age (the start page's heading)."""
    patient_id = c_.patient.split("/", 1)[1] if c_.patient else None
    if not patient_id or not (c_.session.has_feature("youth") or c_.parent):
        return None
    try:
        return c_.client.read("Patient", patient_id)
    except NotFound:
        return None


def require(condition: bool, message: str = "Dit kan niet met uw rol in het programma.") -> None:
    if not condition:
        raise NotAllowed(message)


def require_patient(c_: Ctx) -> str:
    if not c_.patient:
        raise NotAllowed("Open de app vanuit het dossier van een jongere.")
    return c_.patient


# --- CSRF: an HMAC of browser session and launch, so a token is useless in another tab or browser ----------


def _secret() -> bytes:
    secret = current_app.config.get("HVOL_CSRF_SECRET")
    if isinstance(secret, bytes | str) and secret:
        return secret.encode() if isinstance(secret, str) else secret
    key = state().key.as_dict(private=True)
    derived = hashlib.sha256(b"hvol-csrf:" + json.dumps(key, sort_keys=True).encode()).digest()
    current_app.config["HVOL_CSRF_SECRET"] = derived
    return derived


def csrf_token(launch_id: str) -> str:
    # Keyed by the browser record's own secret, not the cookie value: the id rotates at every launch, and
    # the open forms of the same user's other tabs must stay valid (the secret moves with her launches; a
    # different user gets a new one). No browser record: a token that never matches.
    sid = browser.session_id() or ""
    record = state().store.get_browser(browser_key(sid)) if sid else None
    if record is None:
        return ""
    salt = str(record.get("csrf") or "")
    return hmac.new(_secret(), f"{salt}:{launch_id}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(launch_id: str) -> bool:
    """True when this POST carries the CSRF token of this browser session and launch."""
    sent = request.form.get(CSRF_FIELD, "")
    expected = csrf_token(launch_id)
    return bool(sent) and bool(expected) and hmac.compare_digest(sent, expected)


READ_ONLY = (
    "Vanuit uw overzicht van jongeren kunt u lezen, niet vastleggen. Open de app vanuit het dossier van "
    "deze jongere om iets vast te leggen."
)


def check_csrf(launch_id: str) -> None:
    if not csrf_valid(launch_id):
        log.info("csrf refused endpoint=%s", request.endpoint)
        abort(400)
    # Issue 15: a caseload launch reads; a write needs a launch for that girl (its token has no write scope,
    # and the EHR would refuse it: this says so before anything is sent).
    view = state().service.view(launch_id)
    parent = state().service.view(str(view["parent"])) if view.get("parent") else view
    if parent.get("caseload"):
        raise NotAllowed(READ_ONLY)


# --- faults on forms ---------------------------------------------------------------------------------------


@contextmanager
def form_errors(errors: list[str]) -> Iterator[None]:
    """Turn an HvolError inside the block into a message on the form (the form is re-rendered as typed)."""
    try:
        yield
    except HvolError as exc:
        log.info("form refused code=%s endpoint=%s", exc.code, request.endpoint)
        errors.append(exc.message_nl)
        g.save_outcome = (
            "unknown"  # a send may have reached the EHR and been stored (OutcomeUnknown, BadResponse, ...)
            if isinstance(exc, EhrDown) and exc.maybe_sent
            else "conflict"
            if isinstance(exc, Conflict)
            else "refused"
        )


def save_outcome() -> str:
    """For the templates: how the refused save of this request ended. "unknown": it may be stored (the
    answer was lost); "conflict": someone else changed it first; "refused": nothing was stored."""
    return str(g.get("save_outcome", "refused"))


def form_value(name: str, default: str = "") -> str:
    """The submitted value; ``default`` when the field is missing or left blank (an empty date input)."""
    value = request.form.get(name)
    return default if value is None or not value.strip() else str(value)


def template_globals() -> dict[str, Any]:
    return {"csrf_field": CSRF_FIELD}
