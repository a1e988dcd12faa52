"""P-AVAIL: the buddy records what she agreed with the youth about being reachable, per matter (issue 14): for
questions and for a crisis each its own days, times and channels, stored as one activity per matter of the
traject's CarePlan (hvol_fhir.mapping.availability), updated with If-Match.

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
from hvol_fhir.errors import HvolError, InvalidInput, NotAllowed
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


@bp.app_template_global("availabilities_of")
def availabilities_of(careplan: dict[str, Any] | None) -> tuple[a.AvailabilityAgreement, ...]:
    """All agreements (one per matter); none when unreadable, as above."""
    try:
        return mapping.all_from_careplan(careplan) if careplan else ()
    except HvolError as exc:
        log.info("availability unreadable code=%s", exc.code)
        return ()


@bp.app_template_global("reach_of")
def reach_of(careplan: dict[str, Any] | None) -> dict[str, Any] | None:
    """For the mentor's card: on which days and through which channels, over all matters; never what for."""
    days, channels = a.reach(availabilities_of(careplan))
    return {"days_nl": a.days_nl(days), "channels": channels} if days else None


@bp.app_template_global("day_name")
def day_name(code: str) -> str:
    return a.DAY_NAMES_NL.get(code, code)


# One section per matter (issue 14): questions and crisis each get their own days, times and channels.
SECTIONS = (("vragen", a.MATTER_ANY, "Voor vragen"), ("crisis", a.MATTER_CRISIS, "Bij crisis"))
_PARTS = ("days", "start", "end", "channels")


def _section_of(agreement: a.AvailabilityAgreement | None) -> dict[str, Any]:
    if agreement is None:
        return {"days": [], "channels": [], "start": "", "end": ""}
    return {
        "days": list(agreement.days),
        "channels": list(agreement.channels),
        "start": f"{agreement.start:%H:%M}",
        "end": f"{agreement.end:%H:%M}",
    }


def _form_of(agreements: tuple[a.AvailabilityAgreement, ...], version: str | None) -> dict[str, Any]:
    form: dict[str, Any] = {"version": version, "note": next((ag.note for ag in agreements if ag.note), "")}
    for key, matter, _label in SECTIONS:
        mine = next((ag for ag in agreements if matter in ag.matters), None)
        form[key] = _section_of(mine)
    return form


def _typed() -> dict[str, Any]:
    form: dict[str, Any] = {"note": form_value("note"), "version": form_value("version")}
    for key, _matter, _label in SECTIONS:
        form[key] = {
            "days": request.form.getlist(f"{key}_days"),
            "channels": request.form.getlist(f"{key}_channels"),
            "start": form_value(f"{key}_start"),
            "end": form_value(f"{key}_end"),
        }
    return form


def _agreements(form: dict[str, Any], buddy: str) -> tuple[a.AvailabilityAgreement, ...]:
    """One agreement per filled-in section; a section left wholly empty means "not for this matter"."""
    out: list[a.AvailabilityAgreement] = []
    for key, matter, label in SECTIONS:
        part = form[key]
        if not any(part[k] for k in _PARTS):
            continue
        try:
            out.append(
                a.AvailabilityAgreement(
                    days=tuple(part["days"]),
                    start=a.parse_hhmm(part["start"], f"{key}_start"),
                    end=a.parse_hhmm(part["end"], f"{key}_end"),
                    channels=tuple(part["channels"]),
                    matters=(matter,),
                    note=form["note"] if not out else None,
                    buddy=buddy,
                )
            )
        except InvalidInput as exc:
            raise InvalidInput(
                f"{label}: {exc.message_nl}", field=f"{key}_{exc.field}", code=exc.code
            ) from None
    return a.check_per_matter(tuple(out))


def _require_own_buddy(c_: Ctx, record: Any) -> str:
    """The launch role says buddy; the traject's own team must say so too (not a buddy of another youth)."""
    team = record.care_team
    buddies = {m.member for m in team.with_role(c.ROLE_BUDDY, now())} if team is not None else set()
    if not c_.user or c_.user not in buddies:
        raise NotAllowed(ONLY_BUDDY)
    return c_.user


def _save(c_: Ctx, record: Any, form: dict[str, Any], buddy: str) -> dict[str, Any] | None:
    """Write the agreements with If-Match; a stale edit returns what the EHR holds now (nothing written)."""
    body = dump(mapping.update_fhir_all(record.careplan, _agreements(form, buddy)))
    try:
        c_.client.update(body, if_match=form["version"] or record.version)
    except VersionConflict as exc:
        theirs = exc.current or record.careplan
        log.info("availability conflict")
        return {"careplan": theirs, "version": (theirs.get("meta") or {}).get("versionId")}
    return None


def _form_page(c_: Ctx, ident: str, **extra: Any) -> str:
    return render_template(
        "availability/form.html",
        **common(
            c_,
            ident=ident,
            days=[(d, a.DAY_NAMES_NL[d]) for d in a.DAYS],
            channels=code_options(a.AVAILABILITY_CHANNEL),
            sections=SECTIONS,
            **extra,
        ),
    )


@bp.route("/l/<launch_id>/t/<ident>/bereikbaarheid", methods=["GET", "POST"])
def edit(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    require(c_.role == c.ROLE_BUDDY, ONLY_BUDDY)  # before any read: mentors and staff learn nothing here
    record = load(c_, ident, with_tasks=False)
    buddy = _require_own_buddy(c_, record)
    if request.method == "GET":
        form = _form_of(availabilities_of(record.careplan), record.version)
        return _form_page(c_, ident, form=form, errors=[], conflict=None)
    check_csrf(launch_id)
    form, errors = _typed(), list[str]()
    conflict: dict[str, Any] | None = None
    with form_errors(errors):
        conflict = _save(c_, record, form, buddy)
        if conflict is None:
            done = url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="bereikbaarheid")
            return redirect(done, 303)
    return _form_page(c_, ident, form=form, errors=errors, conflict=conflict), 409 if conflict else 422
