"""The traject pages: the launched youth's trajects, one traject (phase, team, alerts, timeline, contacts)
and its timeline as SVG. Opening, phases, team and inclusion are in `smart_app.inclusion`.

Regular staff and mentors are sent to the programme card (P-MENTOR); nothing here reads the journal.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from hvol_fhir.mapping.person import display_name
from hvol_fhir.measurements import access as score_access
from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.repository.reads import TrajectReader
from hvol_fhir.services import disclosure
from hvol_fhir.services.views import TrajectView, traject_view
from hvol_fhir.timeline import RANGE_PARAM, Drawing, drawing, parse_range, range_start, render

from .calling import caller
from .context import (
    Ctx,
    ctx,
    now,
    require,
    require_patient,
)
from .pagekit import (
    alerts_for,
    code_options,
    common,
    load,
    member_names,
    row_for,
    week_norms,
)

bp = Blueprint("traject", __name__)


@bp.get("/l/<launch_id>/programma")
def trajects(launch_id: str) -> Any:
    c_ = ctx(launch_id)
    if c_.card_only:
        return redirect(url_for("card.card", launch_id=launch_id), 303)
    patient = require_patient(c_)
    plans = TrajectReader(c_.client, patient).list_trajects()
    return render_template(
        "traject/list.html",
        **common(
            c_,
            plans=plans,
            new_uuid=str(uuid.uuid4()),
            team_uuid=str(uuid.uuid4()),
            can_manage=access.may_manage_traject(c_.role),
            categories=code_options(c.VICTIM_CATEGORY),
        ),
    )


@bp.get("/l/<launch_id>/t/<ident>/")
def show(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    if c_.card_only:
        return redirect(url_for("card.card", launch_id=launch_id), 303)
    moment = now()
    view = traject_view(
        c_.client,
        require_patient(c_),
        ident,
        moment,
        with_tasks=c_.policy.may("read-tasks"),
        with_assessment=access.may_assess(c_.role),
        with_measurements=score_access.may_see_scores(c_.role),
        with_acknowledgements=c_.policy.may("read-tasks"),
        reader=(c_.user, c_.role),
    )
    record = view.record
    row = row_for(record, display_name(view.patient) or "", moment, list(view.alerts), c_)
    timeline = drawing([row], moment, request.args.get(RANGE_PARAM))
    return render_template("traject/show.html", **common(c_, **_show_context(c_, view, timeline, moment)))


def _show_context(c_: Ctx, view: TrajectView, timeline: Drawing, moment: datetime) -> dict[str, Any]:
    record = view.record
    return {
        "record": record,
        "traject": record.traject,
        "signals": view.signals,
        "eighteen_due": any(a.rule_id == "P-18" for a in view.alerts),
        "names": member_names(c_, record.care_team),
        "svg": timeline.svg,
        "timeline": timeline,
        "youth": display_name(view.patient),
        "norms": week_norms(record, moment),
        "saved": request.args.get("opgeslagen"),
        "can_manage": access.may_manage_traject(c_.role),
        "can_assess": access.may_assess(c_.role),
        "can_contact": access.may_register_contacts(c_.role),
        "can_read_journal": access.may_read_journal(c_.role),
        "is_coach": c_.policy.may("coaching-journal-link"),
        "outcomes": code_options(c.INTRODUCTION_OUTCOME),
        "reasons": [(k, v) for k, v in code_options(c.CLOSURE_REASON)],
        "pause_reasons": code_options(c.PAUSE_REASON),
        "eighteen_outcomes": code_options(c.EIGHTEEN_OUTCOME),
        "intro_topics": code_options(c.INTRO_TOPIC),
        "roles": code_options(c.CARETEAM_ROLE),
        "new_uuid": str(uuid.uuid4()),
        "contacts": sorted(record.contacts, key=lambda x: x.start, reverse=True),
        "now": moment,
        # Issue 14: the youth's shares under her consent, for the role that records them (one search).
        "shares": disclosure.shares(caller(c_), moment) if c_.policy.may("see-shares") else None,
    }


@bp.get("/l/<launch_id>/t/<ident>/tijdlijn.svg")
def timeline(launch_id: str, ident: str) -> Response:
    """The timeline on its own (print, embed): two round trips for the traject, none for the journal."""
    c_ = ctx(launch_id)
    require(not c_.card_only)
    moment = now()
    record = load(c_, ident, with_measurements=score_access.may_see_scores(c_.role))
    alerts = alerts_for(c_, record, moment)
    svg = render(
        [row_for(record, request.args.get("label", ""), moment, alerts, c_)],
        moment,
        start=range_start(parse_range(request.args.get(RANGE_PARAM)), moment),
    )
    return Response(svg, mimetype="image/svg+xml")


__all__ = ["bp"]
