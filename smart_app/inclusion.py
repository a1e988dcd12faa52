"""The traject's management pages (issue 14): opening a traject, the behavioural scientist's inclusion
assessment, the coordinator's consent with the waiting list, the phase form (its introduction gated by
`hvol_fhir.programme.rules.gates`), the team and the restart.

The rules decide (`hvol_fhir.programme.rules`), the library writes (`hvol_fhir.services.inclusion`,
`hvol_fhir.repository.writes`); each view only adapts the form. Nothing here reads the journal.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from flask import Blueprint, request

from hvol_fhir.errors import InvalidInput, RuleViolation
from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.alerts import enforce
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.model import CareTeam, CareTeamMember, InclusionAssessment, Traject
from hvol_fhir.programme.rules import check_responsibility, gates
from hvol_fhir.programme.rules.pause import pause, resume
from hvol_fhir.programme.rules.phases import close, record_intro_outcome, restart, transition
from hvol_fhir.repository import writes
from hvol_fhir.repository.reads import TrajectRecord, traject_at_version
from hvol_fhir.services import inclusion as service

from .context import Ctx, check_csrf, ctx, form_errors, form_value, now, require, require_patient
from .pagekit import at_date, birth_date, code_options, failed, form_page, load, saved_page, traject_post

bp = Blueprint("inclusion", __name__)


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
        start = at_date(form_value("start", local_date(moment).isoformat()), "start")
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
        members = [CareTeamMember(member=c_.user, role=c.ROLE_COORDINATOR, start=moment)] if c_.user else []
        team = CareTeam(
            identifier=form_value("team_uuid") or str(uuid.uuid4()), patient=patient, members=tuple(members)
        )
        writes.open_traject(c_.client, traject, team)
        return saved_page(launch_id, ident)
    return failed(c_, errors)


@bp.post("/l/<launch_id>/t/<ident>/fase")
def phase(launch_id: str, ident: str) -> Any:
    """Start the introduction (gated), record the youth's decision, move on, or close (coordinator)."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role))
    errors: list[str] = []
    with form_errors(errors):
        record = load(c_, ident)
        shown = form_value("version") or record.version
        traject = record.traject
        if shown and record.version and shown != record.version and traject.id:
            # The form was shown before a later change (someone else's, or this very save whose answer was
            # lost): apply the choice to what the coordinator saw; the save then tells which case it is.
            traject = traject_at_version(c_.client, traject.id, shown)
        action = form_value("action")
        if action == "introduction":
            gates.require_open(
                gates.check_start(service.read_evidence(c_.client, record, birth_date(c_)), now())
            )
        at = at_date(form_value("date", local_date(now()).isoformat()), "date")
        traject = apply_phase(
            traject,
            action,
            at,
            outcome=form_value("outcome"),
            reason=form_value("reason"),
            pause_reason=form_value("pause_reason"),
        )
        writes.save_traject(c_.client, record.careplan, traject, version=shown)
        return saved_page(launch_id, ident)
    return failed(c_, errors, ident=ident)


def apply_phase(
    traject: Traject, action: str, at: datetime, *, outcome: str, reason: str, pause_reason: str = ""
) -> Traject:
    """The coordinator's choice on the phase form applied to ``traject`` (pure: the rules decide)."""
    if action == "pause":
        if not pause_reason:
            raise RuleViolation(
                "Kies waarom de begeleiding stilligt.", rule_id="P-PAUSE", field="pause_reason"
            )
        return pause(traject, pause_reason, at)
    if action == "resume":
        return resume(traject, at)
    if action == "introduction":
        return replace(transition(traject, c.PHASE_INTRODUCTION, at), status="active")
    if action == "outcome":
        return record_intro_outcome(traject, outcome, at, reason=reason or None)
    if action == "contact-period":
        return transition(traject, c.PHASE_CONTACT_PERIOD, at)
    if action == "close":
        if not reason:
            raise RuleViolation("Kies een reden van afronding.", rule_id="P-CLOSE-REASON", field="reason")
        return close(resume(traject, at) if traject.open_pause else traject, reason, at)
    raise InvalidInput("Onbekende handeling.", field="action")


@bp.post("/l/<launch_id>/t/<ident>/herstart")
def restart_view(launch_id: str, ident: str) -> Any:
    """P-RESTART: a new traject for the same youth that replaces the closed one."""

    def act(c_: Ctx) -> Any:
        record = load(c_, ident, with_tasks=False)
        new_ident = form_value("traject_uuid") or str(uuid.uuid4())
        new = restart(record.traject, identifier=new_ident, at=now())
        writes.restart_traject(c_.client, new, record.care_team)
        return saved_page(launch_id, new_ident)

    return traject_post(launch_id, ident, lambda c_: access.may_manage_traject(c_.role), act)


def _member_from_form(moment: datetime) -> CareTeamMember:
    member = form_value("member").strip()
    if not member.startswith("Practitioner/"):
        member = f"Practitioner/{member}"
    return CareTeamMember(
        member=member,
        role=form_value("role"),
        skj_number=form_value("skj").strip() or None,
        responsible_professional=form_value("responsible").strip() or None,
        start=moment,
    )


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
            members.append(_member_from_form(moment))
        new_team = replace(record.care_team, members=tuple(members))
        enforce(check_responsibility(new_team, moment), field="responsible")
        writes.save_care_team(c_.client, record.care_team_raw, new_team)
        return saved_page(launch_id, ident)
    return failed(c_, errors, ident=ident)


# --- inclusion: the behavioural scientist assesses, the coordinator records consent and the waiting list ---


def _assessment_from_form(c_: Ctx, record: TrajectRecord, birth: date | None) -> InclusionAssessment:
    if birth is None:
        raise InvalidInput("De geboortedatum van de jongere ontbreekt in het dossier.", field="birth_date")
    try:
        assessed_on = date.fromisoformat(form_value("date"))
    except ValueError:
        raise InvalidInput("Vul een geldige datum van de beoordeling in.", field="date") from None
    return InclusionAssessment(
        identifier=form_value("assessment_uuid") or str(uuid.uuid4()),
        traject=record.reference,
        patient=require_patient(c_),
        assessor=c_.user or "",
        assessed_on=assessed_on,
        birth_date=birth,
        category=form_value("category"),
        contra_indications=tuple(request.form.getlist("contra")),
        criteria_met=form_value("criteria_met") == "ja",
    )


@bp.route("/l/<launch_id>/t/<ident>/inclusie", methods=["GET", "POST"])
def assessment(launch_id: str, ident: str) -> Any:
    """P-ASSESS: only the behavioural scientist records the assessment; a blocked one is stored as not met."""
    c_ = ctx(launch_id)
    require(access.may_assess(c_.role), "Alleen de gedragswetenschapper legt de inclusiebeoordeling vast.")
    errors: list[str] = []
    form: dict[str, Any] = {"assessment_uuid": str(uuid.uuid4()), "date": local_date(now()).isoformat()}
    if request.method == "POST":  # what she typed comes back as typed, the ticked contra-indications too
        form = {**request.form.to_dict(), "contra": request.form.getlist("contra")}
        check_csrf(launch_id)
        with form_errors(errors):
            record = load(c_, ident, with_tasks=False)
            blocks = service.assess(c_.client, _assessment_from_form(c_, record, birth_date(c_)), now())
            errors.extend(
                a.message_nl + " De beoordeling is opgeslagen als: criteria niet voldaan." for a in blocks
            )
            if not blocks:
                return saved_page(launch_id, ident)
            form["assessment_uuid"] = str(uuid.uuid4())  # that one is stored; a correction is a new one
    return form_page(
        c_,
        "traject/inclusion.html",
        ident,
        form,
        errors,
        today=local_date(now()).isoformat(),
        categories=code_options(c.VICTIM_CATEGORY),
        contras=code_options(c.CONTRA_INDICATION),
    )


def _parent_from_form() -> service.ParentConsent | None:
    if form_value("parent_consent") != "ja":
        return None
    return service.ParentConsent(
        person_identifier=form_value("person_uuid") or str(uuid.uuid4()),
        consent_identifier=form_value("parent_consent_uuid") or str(uuid.uuid4()),
        name=form_value("parent_name"),
        relationship=form_value("parent_role", "PRN"),
    )


@bp.route("/l/<launch_id>/t/<ident>/toestemming", methods=["GET", "POST"])
def consent(launch_id: str, ident: str) -> Any:
    """P-CONSENT then P-WAIT (coordinator): her consent, a parent's under 16, the waiting list, at once."""
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role))
    errors: list[str] = []
    keys = ("consent_uuid", "parent_consent_uuid", "person_uuid", "task_uuid")
    form = dict(request.form) if request.method == "POST" else {k: str(uuid.uuid4()) for k in keys}
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            if form_value("youth_consent") != "ja":
                raise InvalidInput(
                    "Vink aan dat de jongere zelf toestemming heeft gegeven.", field="youth_consent"
                )
            record = load(c_, ident)
            service.place_on_waiting_list(
                c_.client,
                service.read_evidence(c_.client, record, birth_date(c_)),
                traject=record.reference,
                patient=require_patient(c_),
                care_team=record.traject.care_team,
                coordinator=c_.user or "",
                consent_identifier=form_value("consent_uuid"),
                task_identifier=form_value("task_uuid"),
                parent=_parent_from_form(),
                now=now(),
            )
            return saved_page(launch_id, ident)
    return form_page(c_, "traject/consent.html", ident, form, errors, parent_roles=service.PARENT_ROLES)


__all__ = ["apply_phase", "bp"]
