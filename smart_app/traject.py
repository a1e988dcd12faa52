"""The traject pages: the launched youth's trajects, one traject (phase, team, alerts, timeline, contacts),
its timeline as SVG, the inclusion assessment (P-ASSESS) and the coordinator's phase and team actions.

Regular staff and mentors are sent to the programme card (P-MENTOR); nothing here reads the journal.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from hvol_fhir.errors import InvalidInput, RuleViolation
from hvol_fhir.mapping.person import display_name
from hvol_fhir.measurements import access as score_access
from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import enforce
from hvol_fhir.programme.clock import AMSTERDAM, local_date
from hvol_fhir.programme.model import (
    CareTeam,
    CareTeamMember,
    ConsentGrant,
    InclusionAssessment,
    Task,
    Traject,
)
from hvol_fhir.programme.rules import check_inclusion, check_responsibility
from hvol_fhir.programme.rules.phases import close, record_intro_outcome, restart, transition
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TrajectReader, traject_at_version
from hvol_fhir.timeline import render

from .context import (
    check_csrf,
    ctx,
    form_errors,
    form_value,
    now,
    require,
    require_patient,
)
from .pagekit import alerts_for, code_options, common, failed, load, member_names, row_for, week_norms

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
    patient = c_.client.read("Patient", require_patient(c_).split("/", 1)[1])
    birth = patient.get("birthDate")
    record = load(
        c_,
        ident,
        with_assessment=access.may_assess(c_.role),
        with_measurements=score_access.may_see_scores(c_.role),
    )
    alerts = alerts_for(record, moment, date.fromisoformat(birth) if birth and len(birth) == 10 else None)
    names = member_names(c_, record.care_team)
    svg = render([row_for(record, display_name(patient) or "", moment, alerts, c_)], moment)
    return render_template(
        "traject/show.html",
        **common(
            c_,
            record=record,
            traject=record.traject,
            alerts=sorted(
                alerts, key=lambda a: ({"block": 0, "warning": 1, "info": 2}[a.severity], a.due or date.max)
            ),
            names=names,
            svg=svg,
            youth=display_name(patient),
            norms=week_norms(record, moment),
            saved=request.args.get("opgeslagen"),
            can_manage=access.may_manage_traject(c_.role),
            can_assess=access.may_assess(c_.role),
            can_contact=access.may_register_contacts(c_.role),
            can_read_journal=access.may_read_journal(c_.role),
            is_coach=c_.role == c.ROLE_COACH,
            outcomes=code_options(c.INTRODUCTION_OUTCOME),
            reasons=[(k, v) for k, v in code_options(c.CLOSURE_REASON)],
            roles=code_options(c.CARETEAM_ROLE),
            new_uuid=str(uuid.uuid4()),
            contacts=sorted(record.contacts, key=lambda x: x.start, reverse=True),
            now=moment,
        ),
    )


@bp.get("/l/<launch_id>/t/<ident>/tijdlijn.svg")
def timeline(launch_id: str, ident: str) -> Response:
    """The timeline on its own (print, embed): two round trips for the traject, none for the journal."""
    c_ = ctx(launch_id)
    require(not c_.card_only)
    moment = now()
    record = load(c_, ident, with_measurements=score_access.may_see_scores(c_.role))
    svg = render(
        [row_for(record, request.args.get("label", ""), moment, alerts_for(record, moment), c_)], moment
    )
    return Response(svg, mimetype="image/svg+xml")


# --- coordinator: open, move, close, restart, team ---------------------------------------------------------


def _at(value: str, field: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Vul een geldige datum in.", field=field, code="not-a-date") from None
    return datetime.combine(day, datetime.min.time().replace(hour=9), tzinfo=AMSTERDAM)


@bp.post("/l/<launch_id>/programma/nieuw")
def open_traject(launch_id: str) -> Any:
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role))
    patient = require_patient(c_)
    errors: list[str] = []
    with form_errors(errors):
        moment = now()
        ident = form_value("traject_uuid") or str(uuid.uuid4())
        start = _at(form_value("start", local_date(moment).isoformat()), "start")
        traject = transition(
            Traject(
                identifier=ident,
                patient=patient,
                created=moment,
                status="draft",
                category=form_value("category") or None,
            ),
            c.PHASE_INCLUSION,
            start,
        )
        members = (
            [CareTeamMember(member=c_.user or "", role=c.ROLE_COORDINATOR, start=moment)] if c_.user else []
        )
        team = CareTeam(
            identifier=form_value("team_uuid") or str(uuid.uuid4()), patient=patient, members=tuple(members)
        )
        writes.open_traject(c_.client, traject, team)
        return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="1"), 303)
    return failed(c_, errors)


@bp.post("/l/<launch_id>/t/<ident>/fase")
def phase(launch_id: str, ident: str) -> Any:
    """Start the introduction with a buddy, record the youth's decision, move on, or close (coordinator)."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role))
    errors: list[str] = []
    with form_errors(errors):
        record = load(c_, ident, with_tasks=False)
        shown = form_value("version") or record.version
        traject = record.traject
        if shown and record.version and shown != record.version and traject.id:
            # The form was shown before a later change (someone else's, or this very save whose answer was
            # lost): apply the choice to what the coordinator saw; the save then tells which case it is.
            traject = traject_at_version(c_.client, traject.id, shown)
        at = _at(form_value("date", local_date(now()).isoformat()), "date")
        traject = apply_phase(
            traject, form_value("action"), at, outcome=form_value("outcome"), reason=form_value("reason")
        )
        writes.save_traject(c_.client, record.careplan, traject, version=shown)
        return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="1"), 303)
    return failed(c_, errors, ident=ident)


def apply_phase(traject: Traject, action: str, at: datetime, *, outcome: str, reason: str) -> Traject:
    """The coordinator's choice on the phase form applied to ``traject`` (pure: the rules decide)."""
    if action == "introduction":
        return replace(transition(traject, c.PHASE_INTRODUCTION, at), status="active")
    if action == "outcome":
        return record_intro_outcome(traject, outcome, at, reason=reason or None)
    if action == "contact-period":
        return transition(traject, c.PHASE_CONTACT_PERIOD, at)
    if action == "close":
        if not reason:
            raise RuleViolation("Kies een reden van afronding.", rule_id="P-CLOSE-REASON", field="reason")
        return close(traject, reason, at)
    raise InvalidInput("Onbekende handeling.", field="action")


@bp.post("/l/<launch_id>/t/<ident>/herstart")
def restart_view(launch_id: str, ident: str) -> Any:
    """P-RESTART: a new traject for the same youth that replaces the closed one."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role))
    errors: list[str] = []
    with form_errors(errors):
        record = load(c_, ident, with_tasks=False)
        new_ident = form_value("traject_uuid") or str(uuid.uuid4())
        new = restart(record.traject, identifier=new_ident, at=now())
        writes.restart_traject(c_.client, new, record.care_team)
        return redirect(url_for("traject.show", launch_id=launch_id, ident=new_ident, opgeslagen="1"), 303)
    return failed(c_, errors, ident=ident)


@bp.post("/l/<launch_id>/t/<ident>/team")
def team(launch_id: str, ident: str) -> Any:
    """Add or end a team member (buddy, coach, behavioural scientist, mentor), with SKJ and P-RESP."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role))
    errors: list[str] = []
    with form_errors(errors):
        record = load(c_, ident, with_tasks=False)
        if record.care_team is None or record.care_team_raw is None:
            raise InvalidInput("Dit traject heeft nog geen team.", field="team")
        moment = now()
        members = list(record.care_team.members)
        if form_value("action") == "end":
            who, role = form_value("member"), form_value("role")
            members = [
                replace(m, end=moment) if m.member == who and m.role == role and m.end is None else m
                for m in members
            ]
        else:
            member = form_value("member").strip()
            if not member.startswith("Practitioner/"):
                member = f"Practitioner/{member}"
            members.append(
                CareTeamMember(
                    member=member,
                    role=form_value("role"),
                    skj_number=form_value("skj").strip() or None,
                    responsible_professional=form_value("responsible").strip() or None,
                    start=moment,
                )
            )
        new_team = replace(record.care_team, members=tuple(members))
        enforce(check_responsibility(new_team, moment), field="responsible")
        writes.save_care_team(c_.client, record.care_team_raw, new_team)
        return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="1"), 303)
    return failed(c_, errors, ident=ident)


# --- inclusion (behavioural scientist; coordinator records the consent declaration) -------------------------


@bp.route("/l/<launch_id>/t/<ident>/inclusie", methods=["GET", "POST"])
def assessment(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_assess(c_.role))
    patient_ref = require_patient(c_)
    patient = c_.client.read("Patient", patient_ref.split("/", 1)[1])
    errors: list[str] = []
    form = (
        dict(request.form)
        if request.method == "POST"
        else {
            "assessment_uuid": str(uuid.uuid4()),
            "consent_uuid": str(uuid.uuid4()),
            "task_uuid": str(uuid.uuid4()),
            "date": local_date(now()).isoformat(),
        }
    )
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            record = load(c_, ident, with_tasks=False)
            birth = patient.get("birthDate") or ""
            if len(birth) != 10:
                raise InvalidInput(
                    "De geboortedatum van de jongere ontbreekt in het dossier.", field="birth_date"
                )
            moment = now()
            result = InclusionAssessment(
                identifier=form_value("assessment_uuid"),
                traject=record.reference,
                patient=patient_ref,
                assessor=c_.user or "",
                assessed_on=date.fromisoformat(form_value("date")),
                birth_date=date.fromisoformat(birth),
                category=form_value("category"),
                contra_indications=tuple(request.form.getlist("contra")),
                criteria_met=form_value("criteria_met") == "ja",
            )
            blocking = [a for a in check_inclusion(result) if a.blocks]
            writes.record_assessment(c_.client, result)  # the assessment is recorded either way
            if not blocking and c_.role == c.ROLE_COORDINATOR and form_value("consent") == "ja":
                # P-CONSENT before P-WAIT: the declaration, then the waiting list.
                writes.record_consent(
                    c_.client,
                    ConsentGrant(
                        identifier=form_value("consent_uuid"),
                        kind=c.CONSENT_PARTICIPATION,
                        patient=patient_ref,
                        granted_by=patient_ref,
                        recorded=moment,
                        start=moment,
                        recipient=record.traject.care_team,
                    ),
                )
                writes.create_task(
                    c_.client,
                    Task(
                        identifier=form_value("task_uuid"),
                        kind=c.TASK_WAITING_LIST,
                        status="requested",
                        owner=c_.user,
                        focus=record.reference,
                        patient=patient_ref,
                        authored=moment,
                    ),
                )
            if blocking:
                errors.extend(a.message_nl for a in blocking)
            else:
                return redirect(
                    url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="1"), 303
                )
    return render_template(
        "traject/inclusion.html",
        **common(
            c_,
            ident=ident,
            form=form,
            errors=errors,
            youth=display_name(patient),
            categories=code_options(c.VICTIM_CATEGORY),
            contras=code_options(c.CONTRA_INDICATION),
        ),
    ), (422 if errors else 200)


__all__ = ["bp"]
