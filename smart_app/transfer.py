"""The coordinator's transfer screens (``/l/<launch_id>/overdracht/``): preview, choose, confirm, result.

A thin adapter over :class:`hvol_fhir.transfer.TransferService`: the launch says who the coordinator is and
which youth; the preview shows every resource that goes and every one that stays, with the reason; the
confirmation re-plans and sends only when the plan is still the one the coordinator saw (same key).
Errors (B refuses, B unreachable, no usable identifier, journal without consent, ...) are shown on the same
form, in plain Dutch, with what the coordinator typed kept. Every POST carries the CSRF token of the
programme pages (``programme.check_csrf``: an HMAC of browser session and launch); updating the preview is a
POST too, so the reason and the chosen journal entries never end up in a URL.

Settings (``app.config``): ``HVOL_TRANSFER_TARGETS`` = ``[{"id", "name", "fhir_base", "client_id"?,
"scope"?, "runs_app"?, "keys_url"? | "keys_file"?}]``, ``HVOL_TRANSFER_SOURCE_NAME``,
``HVOL_TRANSFER_CLIENT_ID`` (default ``hvol-transfer``). Both sides use SMART Backend Services with the
app's own key. The traject is read through a codec with this organisation's ring (issue 12), so the preview
is built from plaintext; a target with ``"runs_app": true`` receives the confidential parts sealed to the
key it publishes (``keys_url``: its app's ``/.well-known/hvol-keys.json?iss=<its FHIR base>``), any other
target as plaintext under the labels (:mod:`hvol_fhir.transfer.delivery`); the preview says which.
Tests may put a factory
``(launch_session, target) -> service`` in ``app.extensions["hvol_transfer"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient
from hvol_fhir.errors import HvolError, NotAllowed
from hvol_fhir.sealing import fields
from hvol_fhir.sealing.codec import SealingCodec
from hvol_fhir.smart import LaunchSession
from hvol_fhir.smart.backend import BackendServicesClient
from hvol_fhir.smart.registration import ClientRegistration
from hvol_fhir.smart.token import PrivateKeyJwt
from hvol_fhir.transfer import MODES, TransferPlan, TransferRequest, TransferService
from hvol_fhir.transfer.delivery import delivery_for
from hvol_fhir.transfer.model import MODE_NL
from hvol_fhir.transfer.scopes import source_scope, target_scope

from . import browser
from .context import check_csrf, csrf_token
from .i18n import _
from .state import state

bp = Blueprint("transfer", __name__)
Factory = Callable[[LaunchSession, Mapping[str, Any]], Any]
PREVIEW_REASON = "(voorvertoning)"


def _auth(client_id: str, key: Any) -> Any:
    """private_key_jwt (typed loosely: the ClientAuth protocol wants a settable client_id)."""
    return PrivateKeyJwt(client_id, key)


def backend_auth(base: str, client_id: str, scope: str) -> BackendServicesClient:
    """One Backend Services client per (server, client, scope) for the app's life: its token is reused by
    every transfer page until it expires, instead of a new token request per page (cause 14)."""
    clients: dict[tuple[str, str, str], BackendServicesClient] = current_app.extensions.setdefault(
        "hvol_backend_clients", {}
    )
    key = (base, client_id, scope)
    if key not in clients:
        registration = ClientRegistration(
            base, client_id, "urn:ietf:wg:oauth:2.0:oob", _auth(client_id, state().key)
        )
        clients[key] = BackendServicesClient(
            registration,
            scope.split(),
            http=state().service.http,  # the app's one configured session (HVOL_HTTP)
            sandbox=bool(current_app.config.get("HVOL_SANDBOX")),
        )
    return clients[key]


def _backend(base: str, client_id: str, scope: str, codec: SealingCodec | None = None) -> FhirClient:
    http = state().service.http  # the app's one configured session (HVOL_HTTP), as for every other request
    auth = backend_auth(base, client_id, scope)
    return FhirClient(
        base,
        auth,
        session=http,
        timeout=current_app.config["HVOL_TRANSFER_TIMEOUT"],
        on_unauthorized=auth.invalidate,
        codec=codec,
    )


def _default_factory(session: LaunchSession, target: Mapping[str, Any]) -> TransferService:
    client_id = str(current_app.config.get("HVOL_TRANSFER_CLIENT_ID") or "hvol-transfer")
    ring = state().vaults.ring(session.fhir_base)  # KeysUnavailable: the page says the keys are missing
    return TransferService(
        source=_backend(
            session.fhir_base, client_id, source_scope(), SealingCodec(ring, frozenset(fields.KINDS))
        ),
        target=_backend(
            str(target["fhir_base"]),
            str(target.get("client_id") or client_id),
            str(target.get("scope") or target_scope()),
        ),
        source_name=str(current_app.config.get("HVOL_TRANSFER_SOURCE_NAME") or _("deze organisatie")),
        target_name=str(target.get("name") or target["fhir_base"]),
        delivery=delivery_for(target, ring, http=state().service.http),
    )


def _targets(source: LaunchSession) -> list[Mapping[str, Any]]:
    """The configured receiving organisations, never the organisation the app was launched from."""
    own = source.fhir_base.rstrip("/")
    return [
        t
        for t in current_app.config.get("HVOL_TRANSFER_TARGETS") or []
        if t.get("id") and t.get("fhir_base") and str(t["fhir_base"]).rstrip("/") != own
    ]


def _coordinator(launch_id: str) -> tuple[LaunchSession, str]:
    service = state().service
    session = service.current(launch_id, browser.session_id() or "")
    if service.view(launch_id).get("role") != "coordinator" or session.fhir_user is None:
        raise NotAllowed(_("Alleen de coördinator kan een traject overdragen aan een andere organisatie."))
    if not session.context.patient:
        raise NotAllowed(_("Start de app vanuit het dossier van de jongere om haar traject over te dragen."))
    return session, session.fhir_user.reference


def _careplan(service: Any, patient: str) -> str | None:
    """The youth's running programme traject (the first active one), found with a standard search."""
    found = service.source.search(
        "CarePlan",
        {
            "subject": f"Patient/{patient}",
            "category": f"{t.cs_url(t.PROGRAMME)}|{t.PROGRAMME_CODE}",
            "status": "active",
        },
    )
    for entry in found.get("entry") or []:
        res = entry.get("resource") or {}
        if res.get("resourceType") == "CarePlan" and res.get("id"):
            return f"CarePlan/{res['id']}"
    return None


def _form(source: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "target": str(source.get("naar") or ""),
        "careplan": str(source.get("traject") or ""),
        "mode": str(source.get("wijze") or "handover"),
        "reason": str(source.get("reden") or ""),
        "journal": [str(j) for j in (source.getlist("dagboek") if hasattr(source, "getlist") else [])],
        "key": str(source.get("sleutel") or ""),
    }


def _page(launch_id: str, form: dict[str, Any], *, status: int = 200, **extra: Any) -> tuple[str, int]:
    session, coordinator = _coordinator(launch_id)
    targets = _targets(session)
    if not targets:
        raise NotAllowed(
            _("Er is geen ontvangende organisatie ingesteld. Vraag de beheerder dit in te stellen.")
        )
    target = next((t for t in targets if t["id"] == form["target"]), targets[0])
    form["target"] = target["id"]
    if form["mode"] not in MODES:
        form["mode"] = "handover"
    plan: TransferPlan | None = extra.pop("plan", None)
    error: HvolError | None = extra.pop("error", None)
    if plan is None and extra.get("result") is None:
        try:
            service = _factory()(session, target)  # inside: the keys and B's published key may fail
            form["careplan"] = form["careplan"] or _careplan(service, str(session.context.patient)) or ""
            if not form["careplan"]:
                raise NotAllowed(_("Deze jongere heeft geen lopend traject om over te dragen."))
            plan = service.preview(_request(service, form, coordinator, preview=True))
            form["key"] = plan.key
        except HvolError as exc:
            error = error or exc
            status = status if status != 200 else exc.http_status
    return render_template(
        "transfer/preview.html",
        launch_id=launch_id,
        csrf=csrf_token(launch_id),
        form=form,
        targets=targets,
        plan=plan,
        error=error,
        details=tuple(getattr(error, "details_nl", ()) or ()),
        modes=[(m, _(MODE_NL[m])) for m in MODES],
        **extra,
    ), status


def _factory() -> Factory:
    factory: Factory = current_app.extensions.get("hvol_transfer") or _default_factory
    return factory


def _request(service: Any, form: Mapping[str, Any], coordinator: str, *, preview: bool) -> TransferRequest:
    reason = form["reason"].strip() or (PREVIEW_REASON if preview else "")
    made: TransferRequest = service.request_for(
        form["careplan"], coordinator, reason, mode=form["mode"], journal=tuple(form["journal"])
    )
    return made


@bp.get("/l/<launch_id>/overdracht/")
def preview(launch_id: str) -> tuple[str, int]:
    return _page(launch_id, _form(request.args))


@bp.post("/l/<launch_id>/overdracht/voorvertoning")
def refresh(launch_id: str) -> tuple[str, int]:
    """The preview for what the coordinator changed on the form (mode, reason, ticked journal entries)."""
    check_csrf(launch_id)
    return _page(launch_id, _form(request.form))


@bp.post("/l/<launch_id>/overdracht/")
def confirm(launch_id: str) -> tuple[str, int]:
    check_csrf(launch_id)
    form = _form(request.form)
    session, coordinator = _coordinator(launch_id)
    target = next((t for t in _targets(session) if t["id"] == form["target"]), None)
    if target is None or not form["careplan"]:
        abort(400)
    service = _factory()(session, target)
    try:
        plan = service.preview(_request(service, form, coordinator, preview=False))
        if plan.key != form["key"]:  # something changed since the preview: show the new one first
            form["key"] = plan.key
            return _page(
                launch_id,
                form,
                plan=plan,
                status=409,
                notice=_("Er is intussen iets veranderd. Controleer de voorvertoning en bevestig opnieuw."),
            )
        result = service.send(plan)
    except HvolError as exc:
        return _page(launch_id, form, error=exc, status=exc.http_status)
    return render_template("transfer/result.html", launch_id=launch_id, result=result), 200
