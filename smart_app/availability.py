"""P-AVAIL: the buddy records what she agreed with the youth about being reachable (days and times, for which
matters, through which channels), stored as one activity of the traject's CarePlan
(hvol_fhir.mapping.availability), updated with If-Match.

Only the youth's current buddy edits it. The traject page shows it to buddy, coach and coordinator; the
programme card shows a mentor only the days and channels (P-MENTOR: how to reach the buddy, not what for).
A stale edit (someone changed the CarePlan since the form was opened) is not saved: the page says so plainly,
keeps what she typed and shows the agreement now in the EHR. Nothing here touches the journal.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from hvol_fhir.ehr import VersionConflict
from hvol_fhir.errors import HvolError, NotAllowed
from hvol_fhir.fhirjson import dump
from hvol_fhir.mapping import availability as mapping
from hvol_fhir.programme import availability as a
from hvol_fhir.programme import codes as c

from .context import Ctx, check_csrf, ctx, form_errors, form_value, now, require
from .pagekit import code_options, common, load

log = logging.getLogger(__name__)
bp = Blueprint("availability", __name__)
ONLY_BUDDY = "Alleen het ervaringsmaatje van deze jongere legt de bereikbaarheid vast."


@bp.app_template_global("availability_of")
def availability_of(careplan: dict[str, Any] | None) -> a.AvailabilityAgreement | None:
    """For the traject page and the programme card: a malformed agreement of another system hides the
    agreement, it does not break the page."""
    try:
        return mapping.from_careplan(careplan) if careplan else None
    except HvolError as exc:
        log.info("availability unreadable code=%s", exc.code)
        return None


@bp.app_template_global("day_name")
def day_name(code: str) -> str:
    return a.DAY_NAMES_NL.get(code, code)


def _form_of(agreement: a.AvailabilityAgreement | None, version: str | None) -> dict[str, Any]:
    if agreement is None:
        return {
            "days": [],
            "channels": [],
            "matters": [],
            "start": "",
            "end": "",
            "note": "",
            "version": version,
        }
    return {
        "days": list(agreement.days),
        "channels": list(agreement.channels),
        "matters": list(agreement.matters),
        "start": f"{agreement.start:%H:%M}",
        "end": f"{agreement.end:%H:%M}",
        "note": agreement.note or "",
        "version": version,
    }


def _typed() -> dict[str, Any]:
    return {
        "days": request.form.getlist("days"),
        "channels": request.form.getlist("channels"),
        "matters": request.form.getlist("matters"),
        "start": form_value("start"),
        "end": form_value("end"),
        "note": form_value("note"),
        "version": form_value("version"),
    }


def _agreement(form: dict[str, Any], buddy: str) -> a.AvailabilityAgreement:
    return a.AvailabilityAgreement(
        days=tuple(form["days"]),
        start=a.parse_hhmm(form["start"], "start"),
        end=a.parse_hhmm(form["end"], "end"),
        channels=tuple(form["channels"]),
        matters=tuple(form["matters"]),
        note=form["note"],
        buddy=buddy,
    )


def _require_own_buddy(c_: Ctx, record: Any) -> str:
    """The launch role says buddy; the traject's own team must say so too (not a buddy of another youth)."""
    team = record.care_team
    buddies = {m.member for m in team.with_role(c.ROLE_BUDDY, now())} if team is not None else set()
    if not c_.user or c_.user not in buddies:
        raise NotAllowed(ONLY_BUDDY)
    return c_.user


@bp.route("/l/<launch_id>/t/<ident>/bereikbaarheid", methods=["GET", "POST"])
def edit(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    require(c_.role == c.ROLE_BUDDY, ONLY_BUDDY)  # before any read: mentors and staff learn nothing here
    record = load(c_, ident, with_tasks=False)
    buddy = _require_own_buddy(c_, record)
    current = availability_of(record.careplan)
    errors: list[str] = []
    conflict: dict[str, Any] | None = None
    form = _form_of(current, record.version)
    status = 200
    if request.method == "POST":
        check_csrf(launch_id)
        form = _typed()
        with form_errors(errors):
            agreement = _agreement(form, buddy)
            body = dump(mapping.update_fhir(record.careplan, agreement))
            try:
                c_.client.update(body, if_match=form["version"] or record.version)
            except VersionConflict as exc:
                theirs = exc.current or record.careplan
                conflict = {
                    "agreement": availability_of(theirs),
                    "version": (theirs.get("meta") or {}).get("versionId"),
                }
                log.info("availability conflict traject=%s", ident)
            else:
                return redirect(
                    url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="bereikbaarheid"),
                    303,
                )
        status = 409 if conflict else 422
    return render_template(
        "availability/form.html",
        **common(
            c_,
            ident=ident,
            form=form,
            errors=errors,
            conflict=conflict,
            days=[(d, a.DAY_NAMES_NL[d]) for d in a.DAYS],
            channels=code_options(a.AVAILABILITY_CHANNEL),
            matters=code_options(a.AVAILABILITY_MATTER),
        ),
    ), status
