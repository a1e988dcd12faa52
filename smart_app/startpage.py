"""The start page per role (issue 15): what needs doing today, from the launch (``/l/<launch>/vandaag``);
and the coordinator's "gezien" on an open item of a traject, with a note (``/l/<launch>/t/<traject>/gezien``),
or of the organisation (``/l/<launch>/overzicht/gezien``).

The view only adapts ``hvol_fhir.services.startpage.start_page``: the buddy's girls with what is due, the
coach's buddies with contacts waiting for her, the coordinator's open items across the programme with counts
and links. A launch for one youth has a patient-level token, which the EHR confines to her; the page says so.
Regular staff and mentors have no start page: they get the programme card.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from hvol_fhir.mapping.person import age_from_birth_date, display_name
from hvol_fhir.privacy.features import feature_labels
from hvol_fhir.sealing import membership
from hvol_fhir.services import caseload
from hvol_fhir.services.acknowledge import acknowledge
from hvol_fhir.services.startpage import start_page

from .context import (
    Ctx,
    check_csrf,
    ctx,
    form_errors,
    form_value,
    launched_youth,
    now,
    require,
    require_patient,
)
from .context import today as local_today
from .i18n import _
from .pagekit import common, failed, load
from .state import state

bp = Blueprint("startpage", __name__)


def _verified(c_: Ctx) -> Callable[[dict[str, Any]], set[str]]:
    """The roles of this user that the app's signature covers on a CareTeam (issue 12): a membership written
    by hand puts no girl on her start page. Without the organisation's keys, none does."""
    keys = state().service.membership_keys(c_.session.fhir_base)

    def roles(team: dict[str, Any]) -> set[str]:
        if keys is None or not c_.user:
            return set()
        return {m.role for m in membership.verified_members(team, keys) if m.member == c_.user}

    return roles


@bp.get("/l/<launch_id>/vandaag")
def today(launch_id: str) -> Any:
    c_ = ctx(launch_id)
    if c_.card_only:
        return redirect(url_for("card.card", launch_id=launch_id), 303)
    if c_.parent:  # a youth opened from the list: the day's list is the launch's own
        return redirect(url_for("startpage.today", launch_id=c_.parent), 303)
    # A caseload launch (no patient) is user-level: every girl of her teams, as far as the app's signature
    # covers her membership (the EHR confines the token to her teams too). A launch for one youth: her.
    confined = None if c_.policy.may("programme-overview") else c_.patient
    found = start_page(
        c_.client, user=c_.user, role=c_.role, now=now(), patient=confined, verified=_verified(c_)
    )
    youth = launched_youth(c_)
    return render_template(
        "startpage/index.html",
        **common(
            c_,
            page=found,
            confined=confined,
            user_name=c_.user_name,
            session=c_.session,
            role_label=c_.policy.label,
            youth_name=display_name(youth),
            no_youth=not c_.patient,
            youth_age=age_from_birth_date((youth or {}).get("birthDate"), local_today()),
            switched_off=[_(label) for label in feature_labels(c_.session.disabled_features)],
        ),
    )


@bp.get("/l/<launch_id>/open/<ident>")
def open_traject(launch_id: str, ident: str) -> Any:
    """Issue 15: a traject from a list (start page, overview). The launched girl's opens under this launch;
    another girl's, when the caller may open her (``services.caseload``), under a launch id of her own."""
    c_ = ctx(launch_id)
    opened = caseload.open_traject(
        c_.client,
        ident,
        user=c_.user,
        role=c_.role,
        today=local_today(),
        keys=lambda: state().service.membership_keys(c_.session.fhir_base),
    )
    target = launch_id
    if opened.patient != c_.patient:
        target = state().service.open_youth(c_.root, opened.patient.split("/", 1)[1], opened.role)
    return redirect(url_for("traject.show", launch_id=target, ident=ident), 303)


@bp.post("/l/<launch_id>/t/<ident>/gezien")
def acknowledge_item(launch_id: str, ident: str) -> Any:
    """The coordinator saw an open item: kept with her note (sealed), listed apart from then on."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    errors: list[str] = []
    with form_errors(errors):
        record = load(c_, ident, with_tasks=False)
        acknowledge(
            c_.client,
            role=c_.role,
            identifier=form_value("ack_uuid") or str(uuid.uuid4()),
            traject=record.reference,
            patient=require_patient(c_),
            item_key=form_value("item"),
            note=form_value("note"),
            author=c_.user or "",
            now=now(),
        )
        return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="gezien"), 303)
    return failed(c_, errors, ident=ident)


@bp.post("/l/<launch_id>/overzicht/gezien")
def acknowledge_organisation_item(launch_id: str) -> Any:
    """The coordinator saw an item of the organisation (an alignment meeting or a presentation due)."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(c_.policy.may("programme-overview"), "Alleen de coördinator zet een open punt op gezien.")
    errors: list[str] = []
    with form_errors(errors):
        acknowledge(
            c_.client,
            role=c_.role,
            identifier=form_value("ack_uuid") or str(uuid.uuid4()),
            traject=None,
            patient=None,
            item_key=form_value("item"),
            note=form_value("note"),
            author=c_.user or "",
            now=now(),
        )
        return redirect(url_for("coordinator.cohort", launch_id=launch_id, opgeslagen="gezien"), 303)
    return failed(c_, errors)


__all__ = ["bp"]
