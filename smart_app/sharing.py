"""Sharing under the youth's consent (P-SHARE-CONSENT, issue 14): the coordinator picks what (journal
entries), with whom (a RelatedPerson or a professional by name, or an organisation by the name she types),
why and until when, and records that the girl agreed; and withdraws a share when the girl asks.

The work is :mod:`hvol_fhir.services.disclosure` (one transaction: the Consent and its AuditEvent); the
rules are :mod:`hvol_fhir.programme.sharing`. A refused form comes back with everything as it was typed,
ticked boxes included. Journal text goes only into this page for the journal's readers; log lines carry codes.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from hvol_fhir.errors import InvalidInput
from hvol_fhir.privacy import access
from hvol_fhir.programme import sharing
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services import disclosure, journal

from .calling import caller
from .context import Ctx, check_csrf, ctx, form_errors, form_value, now, require
from .pagekit import common, load

bp = Blueprint("sharing", __name__)


def _to_traject(launch_id: str, ident: str, saved: str) -> Any:
    """After a save: the traject page, where the shares are listed (303: a reload does not post again)."""
    return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen=saved), 303)


def _day(name: str, label: str) -> date | None:
    value = form_value(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"Vul een geldige datum in bij '{label}'."
        raise InvalidInput(message, field=name, code="not-a-date") from None


def _command(record: TrajectRecord) -> disclosure.Disclose:
    return disclosure.Disclose(
        record=record,
        consent_identifier=form_value("consent_uuid") or str(uuid.uuid4()),
        entries=tuple(f"Communication/{i}" for i in request.form.getlist("entries")),
        recipient=form_value("recipient") or None,
        organisation=form_value("organisation") or None,
        purpose=form_value("purpose"),
        why=form_value("why").strip() or None,
        first_day=_day("from", "Geldig vanaf"),
        until=_day("until", "Geldig tot"),
        consented=form_value("consent_given") == "ja",
    )


def _page(c_: Ctx, ident: str, record: TrajectRecord, form: dict[str, Any], errors: list[str]) -> Any:
    read = journal.read_journal(caller(c_), record)
    return render_template(
        "sharing/share.html",
        **common(
            c_,
            ident=ident,
            entries=sorted(read.entries, key=lambda e: e.written_at, reverse=True),
            form=form,
            chosen=set(request.form.getlist("entries")),
            errors=errors,
            purposes=access.SHARE_PURPOSES_NL,
            recipients=disclosure.recipients(caller(c_)),
            organisation=disclosure.ORGANISATION,
            shares=disclosure.shares(caller(c_), now()),
            kind_nl=sharing.KIND_NL,
            show_why=True,  # her words stay on this page (a journal page), not on the traject page
        ),
    ), (422 if errors else 200)


@bp.route("/l/<launch_id>/t/<ident>/delen", methods=["GET", "POST"])
def share(launch_id: str, ident: str) -> Any:
    """P-SHARE-CONSENT: record the youth's grant (what, with whom, why, until when); audit the disclosure."""
    c_ = ctx(launch_id)
    require(access.may_disclose(c_.role) and c_.policy.may("see-shares"), disclosure.COORDINATOR_ONLY)
    record = load(c_, ident, with_tasks=False)
    errors: list[str] = []
    form = dict(request.form) if request.method == "POST" else {"consent_uuid": str(uuid.uuid4())}
    if request.method == "POST":
        check_csrf(launch_id)
        with form_errors(errors):
            disclosure.disclose(caller(c_), _command(record))
            return _to_traject(launch_id, ident, "gedeeld")
    return _page(c_, ident, record, form, errors)


@bp.post("/l/<launch_id>/t/<ident>/delen/<consent_id>/intrekken")
def withdraw(launch_id: str, ident: str, consent_id: str) -> Any:
    """The girl withdraws her consent: the share no longer allows anything (the Consent becomes inactive)."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(c_.policy.may("withdraw-share"), disclosure.COORDINATOR_ONLY)
    errors: list[str] = []
    with form_errors(errors):
        disclosure.withdraw(caller(c_), consent_id)
        return _to_traject(launch_id, ident, "ingetrokken")
    return _page(c_, ident, load(c_, ident, with_tasks=False), {"consent_uuid": str(uuid.uuid4())}, errors)
