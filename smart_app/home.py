"""The landing page after a launch (``/l/<launch_id>/``): who you are, your programme role, the youth's name
and age, what your role may do, and which features are off because the EHR granted fewer scopes.

The real programme pages come later; they follow the same pattern: ``launch_id`` from the URL (never from
the cookie), the session via ``LaunchService.current`` (refreshed before expiry), one retry after a 401.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, current_app, render_template

from hvol_fhir.mapping.person import age_from_birth_date, display_name
from hvol_fhir.privacy.features import feature_labels
from hvol_fhir.privacy.roles import RolePolicy
from hvol_fhir.smart import LaunchSession, RelaunchRequired

from . import browser
from .fhir import FhirReader, TokenRejected
from .i18n import _
from .state import state

bp = Blueprint("home", __name__)
T = TypeVar("T")


def with_fhir(launch_id: str, sid: str, session: LaunchSession, read: Callable[[FhirReader], T]) -> T:
    """Run ``read`` with the launch's token; after a 401 refresh once and retry once (§1.12)."""
    service = state().service
    try:
        return read(service.reader(session))
    except TokenRejected:
        session = service.after_unauthorized(launch_id, sid, session.access_token)
    try:
        return read(service.reader(session))
    except TokenRejected as exc:
        raise RelaunchRequired("FHIR server refused the refreshed token") from exc


@bp.get("/")
def start() -> str:
    return render_template("home/start.html")


@bp.get("/l/<launch_id>/")
def index(launch_id: str) -> str:
    sid = browser.session_id() or ""
    service = state().service
    session = service.current(launch_id, sid)
    view = service.view(launch_id)
    youth_name: str | None = None
    youth_age: int | None = None
    if session.context.patient and session.has_feature("youth"):
        patient_id = session.context.patient
        patient = with_fhir(launch_id, sid, session, lambda f: f.read("Patient", patient_id))
        youth_name = display_name(patient)
        youth_age = age_from_birth_date((patient or {}).get("birthDate"), current_app.config["HVOL_TODAY"]())
    policy = RolePolicy(str(view.get("role") or "staff"))
    return render_template(
        "home/index.html",
        launch_id=launch_id,
        session=session,
        user_name=view.get("user_name"),
        role=policy.role,
        policy=policy,
        role_label=_(policy.label),
        role_unknown=view.get("role_source") == "unknown",
        youth_name=youth_name,
        youth_age=youth_age,
        allowed=[_(label) for label in feature_labels(session.enabled_features)],
        switched_off=[_(label) for label in feature_labels(session.disabled_features)],
        banner=session.context.need_patient_banner,
    )
