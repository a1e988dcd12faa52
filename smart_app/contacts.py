"""The buddy's work: register a contact and its journal entry in one form (one FHIR transaction), plan a
contact, record that she spoke with her coach (P-COACH-AFTER), and writing help while she types (P-WRITING).

The work itself is in :mod:`hvol_fhir.services.contacts`; these views turn the form into a command and the
result into a redirect. Every failure re-renders the form with what she typed and a plain Dutch message; the
hidden identifiers stay the same, so saving again after a fault or a double click never creates anything
twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.writing import hints
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import contacts as service
from hvol_fhir.services import forms

from .calling import caller
from .context import Ctx, check_csrf, ctx, form_errors, form_value, now, require, require_patient
from .pagekit import code_options, common, load, member_names, traject_post

bp = Blueprint("contacts", __name__)


def _fresh_form(moment: datetime) -> dict[str, Any]:
    today = local_date(moment).isoformat()
    return {
        "contact_uuid": str(uuid.uuid4()),
        "entry_uuid": str(uuid.uuid4()),
        "date": today,
        "type": c.CONTACT_FACE_TO_FACE,
        "text": "",
        "start": "",
        "end": "",
        "location": "",
    }


def _command(record: TrajectRecord, status: service.ContactStatus) -> service.RecordContact:
    day = form_value("date")
    return service.RecordContact(
        record=record,
        contact_identifier=form_value("contact_uuid") or str(uuid.uuid4()),
        start=forms.moment(day, form_value("start"), "start"),
        end=forms.moment(day, form_value("end"), "end"),
        contact_type=form_value("type"),
        status=status,
        present=tuple(request.form.getlist("present")),
        location=form_value("location").strip() or None,
        entry_identifier=form_value("entry_uuid"),
        text=form_value("text"),
    )


def _form_page(c_: Ctx, ident: str, record: TrajectRecord, form: dict[str, Any], errors: list[str]) -> Any:
    typed = request.method == "POST"
    return render_template(
        "contacts/form.html",
        **common(
            c_,
            ident=ident,
            form=form,
            errors=errors,
            types=code_options(c.CONTACT_TYPE),
            team=[m for m in (record.care_team.members if record.care_team else ()) if m.member != c_.user],
            names=member_names(c_, record.care_team),
            hints=hints(
                form.get("text", ""),
                has_time=bool(form.get("start")),
                has_place=bool(form.get("location")),
                contact_type=form.get("type"),
            )
            if typed
            else [],
        ),
    ), (422 if errors else 200)


@bp.route("/l/<launch_id>/t/<ident>/contact", methods=["GET", "POST"])
def register(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_register_contacts(c_.role), service.ONLY_BUDDY)
    record = load(c_, ident, with_tasks=False)
    errors: list[str] = []
    form: dict[str, Any] = dict(request.form) if request.method == "POST" else _fresh_form(now())
    form["present"] = request.form.getlist("present") if request.method == "POST" else []
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            service.record_contact(caller(c_), _command(record, service.HELD))
            return redirect(
                url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="contact"), 303
            )
    return _form_page(c_, ident, record, form, errors)


@bp.post("/l/<launch_id>/t/<ident>/plan")
def plan(launch_id: str, ident: str) -> Any:
    """A planned contact (no journal yet): the mentor's card shows it (P-MENTOR)."""

    def act(c_: Ctx) -> Any:
        record = load(c_, ident, with_tasks=False)
        service.record_contact(caller(c_), _command(record, service.PLANNED))
        return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="gepland"), 303)

    return traject_post(launch_id, ident, _may_register, act)


@bp.post("/l/<launch_id>/t/<ident>/coachcontact")
def coach_contact(launch_id: str, ident: str) -> Any:
    """P-COACH-AFTER: 'I spoke with my coach' (a completed coach-contact task; no content)."""

    def act(c_: Ctx) -> Any:
        record = load(c_, ident, with_tasks=False)
        at = forms.moment_or_now(form_value("date"), form_value("time"), now())
        task = form_value("task_uuid") or str(uuid.uuid4())
        service.record_coach_contact(caller(c_), service.RecordCoachContact(record, task, at))
        return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="coach"), 303)

    return traject_post(launch_id, ident, _may_register, act)


def _may_register(c_: Ctx) -> bool:
    if not access.may_register_contacts(c_.role):
        return False
    require_patient(c_)  # after the role check, as the page's own form does
    return True


@bp.post("/l/<launch_id>/schrijfhulp")
def writing_help(launch_id: str) -> Any:
    """P-WRITING while typing: hints for the author's own text; nothing is stored or logged."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(c_.policy.may("writing-help"))
    found = hints(
        form_value("text")[:20_000],
        has_time=form_value("has_time") == "1",
        has_place=form_value("has_place") == "1",
        contact_type=form_value("type") or None,
    )
    return jsonify([{"kind": h.kind, "message": h.message_nl, "words": list(h.words)} for h in found])
