"""The start page (``/``) and the landing page after a launch (``/l/<launch_id>/``): who you are, your
programme role, the youth's name and age, what your role may do, and which features are off because the EHR
granted fewer scopes.

Like every page it takes ``launch_id`` from the URL (never from the cookie) and the launch, its role and its
FHIR client (one refresh after a 401) from :func:`.context.ctx`.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from hvol_fhir.mapping.person import age_from_birth_date, display_name
from hvol_fhir.privacy.features import feature_labels

from .context import ctx, launched_youth, today
from .i18n import _

bp = Blueprint("home", __name__)


@bp.get("/")
def start() -> str:
    return render_template("home/start.html")


@bp.get("/l/<launch_id>/")
def index(launch_id: str) -> str:
    c_ = ctx(launch_id)
    session = c_.session
    patient = launched_youth(c_)  # the page's youth (issue 15: a youth opened from a list has her own id)
    return render_template(
        "home/index.html",
        launch_id=launch_id,
        session=session,
        user_name=c_.user_name,
        role=c_.role,
        policy=c_.policy,
        role_label=_(c_.policy.label),
        role_unknown=c_.role_source == "unknown",
        youth_name=display_name(patient),
        no_youth=not c_.patient,  # launched without one (a caseload): not "unavailable", just none chosen
        youth_age=age_from_birth_date((patient or {}).get("birthDate"), today()),
        allowed=[_(label) for label in feature_labels(session.enabled_features)],
        switched_off=[_(label) for label in feature_labels(session.disabled_features)],
        banner=session.context.need_patient_banner,
    )
