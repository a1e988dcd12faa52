"""The introduction's pages (issue 14): start from the waiting list with a buddy by name, the girl's decision
after the introduction (the buddy reports, the coordinator confirms), and the talk about turning 18 (P-18).
The rules decide; `hvol_fhir.services` writes, each save in one transaction."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, request

from hvol_fhir.errors import InvalidInput
from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.rules import gates
from hvol_fhir.services import inclusion as service
from hvol_fhir.services import waiting_list

from .context import Ctx, check_csrf, ctx, form_errors, form_value, now, require
from .pagekit import at_date, birth_date, failed, form_page, load, saved_page, traject_post

bp = Blueprint("introduction", __name__)


@bp.post("/l/<launch_id>/t/<ident>/achttien")
def eighteen(launch_id: str, ident: str) -> Any:
    """P-18: the buddy or the coordinator records how the talk about turning 18 ended."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(c_.policy.may("eighteen-talk"))
    errors: list[str] = []
    with form_errors(errors):
        outcome = form_value("outcome")
        if not outcome:
            raise InvalidInput("Kies wat jullie hebben afgesproken.", field="outcome")
        birth = birth_date(c_)
        if birth is None:
            raise InvalidInput(
                "De geboortedatum van de jongere ontbreekt in het dossier.", field="birth_date"
            )
        service.record_eighteen_outcome(
            c_.client,
            load(c_, ident),
            outcome,
            birth_date=birth,
            owner=c_.user,
            identifier=form_value("task_uuid") or str(uuid.uuid4()),
            now=now(),
        )
        return saved_page(launch_id, ident)
    return failed(c_, errors, ident=ident)


def _start_form(c_: Ctx, buddies: list[waiting_list.Buddy]) -> tuple[waiting_list.Buddy, str | None]:
    chosen = next((b for b in buddies if b.reference == form_value("buddy")), None)
    if chosen is None:
        raise InvalidInput("Kies een ervaringsmaatje uit de lijst.", field="buddy")
    coach = form_value("coach").strip() or None
    if coach is not None and not coach.startswith("Practitioner/"):
        raise InvalidInput("Kies een coach uit de lijst.", field="coach")
    return chosen, coach


@bp.route("/l/<launch_id>/t/<ident>/start", methods=["GET", "POST"])
def start(launch_id: str, ident: str) -> Any:
    """Start from the waiting list: a buddy by name (with her caseload), one transaction (coordinator)."""
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role))
    errors: list[str] = []
    moment = now()
    form = request.form.to_dict() if request.method == "POST" else {"todo_uuid": str(uuid.uuid4())}
    buddies = waiting_list.buddies(c_.client, moment)
    record = load(c_, ident)
    evidence = service.read_evidence(c_.client, record, birth_date(c_))
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            buddy, coach = _start_form(c_, buddies)
            at = at_date(form_value("date", local_date(moment).isoformat()), "date")
            waiting_list.start(
                c_.client,
                record,
                evidence,
                buddy=buddy,
                coach=coach,
                at=at,
                now=moment,
                todo_identifier=form_value("todo_uuid") or str(uuid.uuid4()),
            )
            return saved_page(launch_id, ident)
    closed = [a.message_nl for a in gates.check_start(evidence, moment)]
    return form_page(
        c_, "traject/start.html", ident, form, errors, buddies=buddies, closed=closed, coaches=_coaches(c_)
    )


@bp.route("/l/<launch_id>/t/<ident>/ander-maatje", methods=["GET", "POST"])
def another_buddy(launch_id: str, ident: str) -> Any:
    """P-INTRO-OUTCOME "another buddy" (coordinator): the new buddy by name, with her caseload; one
    transaction ends the old buddy's period, adds the new one and restarts the introduction."""
    c_ = ctx(launch_id)
    require(c_.policy.may("confirm-intro-decision"))
    errors: list[str] = []
    moment = now()
    form = request.form.to_dict() if request.method == "POST" else {"todo_uuid": str(uuid.uuid4())}
    record = load(c_, ident)
    current = (
        {m.member for m in record.care_team.with_role(c.ROLE_BUDDY, moment)} if record.care_team else set()
    )
    buddies = [b for b in waiting_list.buddies(c_.client, moment) if b.reference not in current]
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            buddy, coach = _start_form(c_, buddies)
            service.confirm_other_buddy(
                c_.client,
                record,
                buddy=buddy,
                coach=coach,
                at=at_date(form_value("date", local_date(moment).isoformat()), "date"),
                now=moment,
                todo_identifier=form_value("todo_uuid") or str(uuid.uuid4()),
            )
            return saved_page(launch_id, ident)
    return form_page(
        c_, "traject/another_buddy.html", ident, form, errors, buddies=buddies, coaches=_coaches(c_)
    )


def _coaches(c_: Ctx) -> list[tuple[str, str]]:
    return [(ref, name) for ref, name in waiting_list.coaches(c_.client)]


@bp.post("/l/<launch_id>/t/<ident>/kennismaking")
def intro_decision(launch_id: str, ident: str) -> Any:
    """P-INTRO-OUTCOME: the buddy reports the girl's decision; the coordinator confirms it ("bevestig")."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    confirm = form_value("action") == "bevestig"
    require(c_.policy.may("confirm-intro-decision" if confirm else "report-intro-decision"))
    errors: list[str] = []
    with form_errors(errors):
        record = load(c_, ident)
        if confirm:
            at = at_date(form_value("date", local_date(now()).isoformat()), "date")
            service.confirm_intro_decision(c_.client, record, at=at, reason=form_value("reason") or None)
        else:
            if not form_value("outcome"):
                raise InvalidInput("Kies wat de jongere heeft besloten.", field="outcome")
            service.report_intro_decision(
                c_.client,
                record,
                form_value("outcome"),
                buddy=c_.user or "",
                identifier=form_value("task_uuid") or str(uuid.uuid4()),
                now=now(),
            )
        return saved_page(launch_id, ident)
    return failed(c_, errors, ident=ident)


@bp.post("/l/<launch_id>/t/<ident>/onderwerpen")
def topics(launch_id: str, ident: str) -> Any:
    """Guide §5.1: the buddy ticks the introduction's topics as she covers them over the three contacts."""

    def act(c_: Ctx) -> Any:
        chosen = request.form.getlist("topic")
        if not chosen:
            raise InvalidInput("Vink aan welke onderwerpen jullie hebben besproken.", field="topic")
        service.tick_topics(c_.client, load(c_, ident), chosen, buddy=c_.user or "", now=now())
        return saved_page(launch_id, ident)

    return traject_post(launch_id, ident, lambda c_: c_.policy.may("tick-intro-topics"), act)


@bp.post("/l/<launch_id>/t/<ident>/uitstroom")
def outflow(launch_id: str, ident: str) -> Any:
    """P-OUTFLOW (coordinator): the date and the next place; the buddy gets a to-do to ask her consent."""

    def act(c_: Ctx) -> Any:
        destination = form_value("destination")
        if not destination.strip():
            raise InvalidInput("Vul de vervolgplek in.", field="destination")
        service.record_outflow(
            c_.client,
            load(c_, ident),
            on=at_date(form_value("date"), "date"),
            destination=destination,
            identifier=form_value("task_uuid") or str(uuid.uuid4()),
            now=now(),
        )
        return saved_page(launch_id, ident)

    return traject_post(launch_id, ident, lambda c_: access.may_manage_traject(c_.role), act)


__all__ = ["bp"]
