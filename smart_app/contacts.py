"""The buddy's work: register a contact and its journal entry in one form (one FHIR transaction), plan a
contact, record that she spoke with her coach (P-COACH-AFTER), and writing help while she types (P-WRITING).

Every failure re-renders the form with what she typed and a plain Dutch message; the hidden identifiers stay
the same, so saving again after a fault or a double click never creates anything twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from hvol_fhir.errors import InvalidInput
from hvol_fhir.privacy import access, audit
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import AMSTERDAM, local_date, utc
from hvol_fhir.programme.model import Contact, JournalEntry, Task
from hvol_fhir.programme.validate import CLOCK_SKEW, check_not_future
from hvol_fhir.programme.writing import hints
from hvol_fhir.repository import writes

from .context import check_csrf, ctx, form_errors, form_value, now, require, require_patient
from .pagekit import code_options, common, failed, load, member_names
from .state import state

log = logging.getLogger(__name__)
bp = Blueprint("contacts", __name__)


def _moment(day: str, hhmm: str, field: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), tzinfo=AMSTERDAM)
    except ValueError:
        raise InvalidInput(
            "Vul een geldige datum en tijd in (dd-mm-jjjj, uu:mm).", field=field, code="not-a-datetime"
        ) from None


def _overlaps(contact: Contact, others: tuple[Contact, ...]) -> bool:
    return any(
        o.buddy == contact.buddy
        and o.identifier != contact.identifier
        and o.status not in ("cancelled", "entered-in-error")
        and utc(o.start) < utc(contact.end)
        and utc(contact.start) < utc(o.end)
        for o in others
    )


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


@bp.route("/l/<launch_id>/t/<ident>/contact", methods=["GET", "POST"])
def register(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_register_contacts(c_.role), "Alleen het ervaringsmaatje legt contactmomenten vast.")
    patient = require_patient(c_)
    moment = now()
    errors: list[str] = []
    form: dict[str, Any] = dict(request.form) if request.method == "POST" else _fresh_form(moment)
    form["present"] = request.form.getlist("present") if request.method == "POST" else []
    record = load(c_, ident, with_tasks=False)
    status = 200
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            start = _moment(form_value("date"), form_value("start"), "start")
            end = _moment(form_value("date"), form_value("end"), "end")
            contact = Contact(
                identifier=form_value("contact_uuid"),
                traject=record.reference,
                patient=patient,
                buddy=c_.user or "",
                start=start,
                end=end,
                contact_type=form_value("type"),
                present=tuple(request.form.getlist("present")),
                location=form_value("location").strip() or None,
            )
            if utc(contact.end) > utc(moment) + CLOCK_SKEW:
                raise InvalidInput(
                    "Dit contact ligt in de toekomst. Leg een contact vast nadat het is geweest, "
                    "of plan het hieronder.",
                    field="start",
                    code="in-future",
                )
            check_not_future(contact, moment)
            if _overlaps(contact, record.contacts):
                raise InvalidInput(
                    "Dit contact overlapt met een ander contact van u. Controleer de tijden.",
                    field="start",
                    code="overlap",
                )
            entry = JournalEntry(
                identifier=form_value("entry_uuid"),
                traject=record.reference,
                patient=patient,
                author=c_.user or "",
                kind=c.JOURNAL_BUDDY,
                written_at=moment,
                text=form_value("text"),
                contact=f"urn:uuid:{contact.identifier}",
            )
            with state().store.refresh_lock(
                "save:" + entry.identifier
            ):  # a double submit waits, then finds it
                saved = writes.save_contact_with_entry(
                    c_.client,
                    contact,
                    entry,
                    traject_identifier=record.traject.identifier,
                    care_team=record.traject.care_team,
                )
            if saved.created:
                try:
                    writes.write_audit(
                        c_.client,
                        audit.journal_write(c_.user or "", patient, [saved.references["entry"]], moment),
                    )
                except Exception as exc:  # noqa: BLE001 - the entry is saved; the missing audit is logged
                    log.warning("audit write failed kind=journal-write error=%s", type(exc).__name__)
            return redirect(
                url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="contact"), 303
            )
        status = 422
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
            if request.method == "POST"
            else [],
        ),
    ), status


@bp.post("/l/<launch_id>/t/<ident>/plan")
def plan(launch_id: str, ident: str) -> Any:
    """A planned contact (no journal yet): the mentor's card shows it (P-MENTOR)."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(access.may_register_contacts(c_.role))
    patient = require_patient(c_)
    errors: list[str] = []
    with form_errors(errors):
        record = load(c_, ident, with_tasks=False)
        start = _moment(form_value("date"), form_value("start"), "start")
        end = _moment(form_value("date"), form_value("end"), "end")
        contact = Contact(
            identifier=form_value("contact_uuid") or str(uuid.uuid4()),
            traject=record.reference,
            patient=patient,
            buddy=c_.user or "",
            start=start,
            end=end,
            contact_type=form_value("type"),
            status="planned",
        )
        check_not_future(contact, now())
        writes.save_planned_contact(c_.client, contact, traject_identifier=record.traject.identifier)
        return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="gepland"), 303)
    return failed(c_, errors, ident=ident)


@bp.post("/l/<launch_id>/t/<ident>/coachcontact")
def coach_contact(launch_id: str, ident: str) -> Any:
    """P-COACH-AFTER: 'I spoke with my coach' (a completed coach-contact task; no content)."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(access.may_register_contacts(c_.role))
    patient = require_patient(c_)
    errors: list[str] = []
    with form_errors(errors):
        record = load(c_, ident, with_tasks=False)
        moment = now()
        day = form_value("date") or local_date(moment).isoformat()
        at = _moment(
            day, form_value("time") or f"{min(moment.astimezone(AMSTERDAM).hour, 23):02d}:00", "date"
        )
        if utc(at) > utc(moment) + timedelta(minutes=5):
            raise InvalidInput("Dit tijdstip ligt in de toekomst.", field="date", code="in-future")
        writes.create_task(
            c_.client,
            Task(
                identifier=form_value("task_uuid") or str(uuid.uuid4()),
                kind=c.TASK_COACH_CONTACT,
                status="completed",
                owner=c_.user,
                focus=record.reference,
                patient=patient,
                authored=at,
            ),
        )
        return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="coach"), 303)
    return failed(c_, errors, ident=ident)


@bp.post("/l/<launch_id>/schrijfhulp")
def writing_help(launch_id: str) -> Any:
    """P-WRITING while typing: hints for the author's own text; nothing is stored or logged."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(c_.role in (c.ROLE_BUDDY, c.ROLE_COACH))
    found = hints(
        form_value("text")[:20_000],
        has_time=form_value("has_time") == "1",
        has_place=form_value("has_place") == "1",
        contact_type=form_value("type") or None,
    )
    return jsonify([{"kind": h.kind, "message": h.message_nl, "words": list(h.words)} for h in found])
