"""A planned contact becomes held (with its journal entry, one transaction) or missed (why, and who called it
off), issue 14. The work is in :mod:`hvol_fhir.services.contact_status`; these views only adapt the forms.

Every failure re-renders the form with what she typed and a plain Dutch message; the entry's hidden
identifier stays the same, so saving again never writes a second entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import local, local_date
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import contact_status as service
from hvol_fhir.services import forms

from .calling import caller
from .context import Ctx, ctx, form_errors, form_value, now, require
from .pagekit import code_options, common, load

bp = Blueprint("contact_status", __name__)
PATH = "/l/<launch_id>/t/<ident>/contact/<contact>"


def _prefilled(record: TrajectRecord, c_: Ctx, contact: str) -> dict[str, Any]:
    planned, _raw = service.planned_contact(caller(c_), record, contact)
    start, end = local(planned.start), local(planned.end)
    return {
        "date": start.date().isoformat(),
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
        "type": planned.contact_type,
        "text": "",
        "entry_uuid": str(uuid.uuid4()),
        "reason": "",
        "cancelled_by": "",
    }


def _page(c_: Ctx, ident: str, contact: str, form: dict[str, Any], errors: list[str], status: int) -> Any:
    return render_template(
        "contact_status/form.html",
        **common(
            c_,
            ident=ident,
            contact=contact,
            form=form,
            errors=errors,
            types=code_options(c.CONTACT_TYPE),
            reasons=code_options(c.MISSED_REASON),
            parties=code_options(c.CONTACT_PARTY),
        ),
    ), status


@bp.get(PATH)
def show(launch_id: str, ident: str, contact: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_register_contacts(c_.role), service.ONLY_OWN)  # before any read
    record = load(c_, ident, with_tasks=False)
    return _page(c_, ident, contact, _prefilled(record, c_, contact), [], 200)


def _on_planned(launch_id: str, ident: str, contact: str, act: Callable[[Ctx, TrajectRecord], str]) -> Any:
    """The shell of both answers to a planned contact: `act` saves and names what the traject page reports."""
    c_ = ctx(launch_id)
    require(access.may_register_contacts(c_.role), service.ONLY_OWN)
    record = load(c_, ident, with_tasks=False)
    errors: list[str] = []
    with form_errors(errors):
        saved = act(c_, record)
        return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen=saved), 303)
    return _page(c_, ident, contact, dict(request.form), errors, 422)


@bp.post(PATH + "/gehouden")
def held(launch_id: str, ident: str, contact: str) -> Any:
    def act(c_: Ctx, record: TrajectRecord) -> str:
        day = form_value("date")
        cmd = service.HoldPlanned(
            record=record,
            contact_identifier=contact,
            start=forms.moment(day, form_value("start"), "start"),
            end=forms.moment(day, form_value("end"), "end"),
            contact_type=form_value("type"),
            entry_identifier=form_value("entry_uuid") or str(uuid.uuid4()),
            text=form_value("text"),
        )
        service.hold_planned(caller(c_), cmd)
        return "contact"

    return _on_planned(launch_id, ident, contact, act)


@bp.post(PATH + "/gemist")
def missed(launch_id: str, ident: str, contact: str) -> Any:
    def act(c_: Ctx, record: TrajectRecord) -> str:
        cmd = service.RecordMissed(record, contact, form_value("reason"), form_value("cancelled_by") or None)
        service.record_missed(caller(c_), cmd)
        return "gemist"

    return _on_planned(launch_id, ident, contact, act)


def _network_form() -> dict[str, Any]:
    if request.method == "POST":
        return dict(request.form)
    ids = {"contact_uuid": str(uuid.uuid4()), "entry_uuid": str(uuid.uuid4())}
    return {**ids, "date": local_date(now()).isoformat(), "type": c.CONTACT_FACE_TO_FACE, "network": ""}


@bp.route("/l/<launch_id>/t/<ident>/netwerkcontact", methods=["GET", "POST"])
def network(launch_id: str, ident: str) -> Any:
    """A contact with her network (intake, progress meeting): journal entry as always, no norm counted."""
    c_ = ctx(launch_id)
    require(access.may_register_contacts(c_.role), service.ONLY_OWN)
    record = load(c_, ident, with_tasks=False)
    form, errors = _network_form(), list[str]()
    if request.method == "POST":
        with form_errors(errors):
            day = form_value("date")
            cmd = service.RecordNetworkContact(
                record=record,
                contact_identifier=form_value("contact_uuid") or str(uuid.uuid4()),
                entry_identifier=form_value("entry_uuid") or str(uuid.uuid4()),
                start=forms.moment(day, form_value("start"), "start"),
                end=forms.moment(day, form_value("end"), "end"),
                contact_type=form_value("type"),
                network=form_value("network"),
                text=form_value("text"),
            )
            service.record_network_contact(caller(c_), cmd)
            return redirect(
                url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="contact"), 303
            )
    page = render_template(
        "contact_status/network.html",
        **common(c_, ident=ident, form=form, errors=errors, types=code_options(c.CONTACT_TYPE),
                 kinds=code_options(c.NETWORK_CONTACT)),
    )  # fmt: skip
    return page, 422 if errors else 200
