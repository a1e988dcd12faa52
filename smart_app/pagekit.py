"""The shared page kit of the programme's pages: loading a traject for the launched user, its alerts, timeline
rows and week norms, team names, and the template context every page shares. Blueprints import this module,
never each other."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask import redirect, render_template, request, url_for

from hvol_fhir import terminology as t
from hvol_fhir.errors import InvalidInput
from hvol_fhir.mapping.person import display_name
from hvol_fhir.measurements import access as score_access
from hvol_fhir.measurements import store as score_store
from hvol_fhir.measurements import trend
from hvol_fhir.programme.alerts import Alert
from hvol_fhir.programme.clock import AMSTERDAM, IsoWeek, local
from hvol_fhir.programme.model import CareTeam
from hvol_fhir.programme.rules.weekly import face_to_face_weeks, weekly_contact_time
from hvol_fhir.programme.text_nl import date_nl, duration_nl, signal_counts_nl
from hvol_fhir.repository.reads import TrajectReader, TrajectRecord
from hvol_fhir.services.views import record_alerts
from hvol_fhir.timeline import Row
from hvol_fhir.timeline.svg import Lane

from .context import CSRF_FIELD, Ctx, check_csrf, csrf_token, ctx, form_errors, now, require, require_patient


def code_options(cs: str) -> list[tuple[str, str]]:
    return [(code, t.display(cs, code)) for code in t.codes(cs)]


def load(c_: Ctx, ident: str, **kw: Any) -> TrajectRecord:
    kw.setdefault("with_tasks", c_.policy.may("read-tasks"))
    kw["with_tasks"] = kw["with_tasks"] and c_.policy.may("read-tasks")
    return TrajectReader(c_.client, require_patient(c_)).load(ident, now(), **kw)


def alerts_for(
    c_: Ctx, record: TrajectRecord, moment: datetime, birth_date: date | None = None
) -> list[Alert]:
    """Every alert family of the traject, put together by the library (``services.views.record_alerts``, the
    same assembly as the overview's); the coach follow-up only for roles whose token reads the tasks."""
    return record_alerts(record, moment, tasks_read=c_.policy.may("read-tasks"), birth_date=birth_date)


def row_for(
    record: TrajectRecord, label: str, moment: datetime, alerts: list[Alert], c_: Ctx | None = None
) -> Row:
    return Row(
        label=label,
        traject=record.traject,
        contacts=record.contacts,
        alerts=tuple(alerts),
        coach_contacts=tuple(record.coach_contacts()),
        lanes=score_lanes(c_, record) if c_ is not None else (),
    )


def score_lanes(c_: Ctx, record: TrajectRecord) -> tuple[Lane, ...]:
    """Measurement trends (issue 7) for the roles that may see scores (none for others): from the traject's
    batch when it read them, else one more search."""
    if not score_access.may_see_scores(c_.role) or not record.traject.id:
        return ()
    if record.measurements is not None:  # read in the traject's own batch (load(with_measurements=True))
        return trend.lanes_for(score_store.parse_responses(record.measurements).measurements)
    found = score_store.responses(c_.client, record.traject.patient, f"CarePlan/{record.traject.id}")
    return trend.lanes_for(found.measurements)


def week_norms(record: TrajectRecord, moment: datetime) -> dict[str, Any]:
    """This week's norms for the buddy: face-to-face done? hours so far against two."""
    week = IsoWeek.of(moment)
    total = weekly_contact_time(record.contacts).get(week, timedelta(0))
    return {
        "week": str(week),
        "f2f": week in face_to_face_weeks(record.contacts),
        "hours": duration_nl(total),
        "enough": total >= timedelta(hours=2),
    }


def member_names(c_: Ctx, team: CareTeam | None) -> dict[str, str]:
    """Names and phone numbers of the team's practitioners (one search; Practitioner is not patient data)."""
    if team is None:
        return {}
    return practitioner_names(c_, [m.member for m in team.members])


def practitioner_names(c_: Ctx, refs: Iterable[str]) -> dict[str, str]:
    """Names (and `tel:`-keyed phone numbers) of practitioners, in one batch: pages show names, never ids."""
    ids = sorted({r.split("/", 1)[1] for r in refs if r.startswith("Practitioner/")})
    if not ids:
        return {}
    from hvol_fhir.ehr import bundle

    answer = c_.client.batch(bundle.batch([bundle.read_entry(f"Practitioner/{i}") for i in ids]))
    out: dict[str, str] = {}
    for result in bundle.results(answer):
        res = result.resource or {}
        if not result.ok or res.get("resourceType") != "Practitioner":
            continue
        out[f"Practitioner/{res.get('id')}"] = display_name(res) or res.get("id", "")
        phones = [x.get("value") for x in res.get("telecom") or [] if x.get("system") == "phone"]
        if phones:
            out[f"tel:Practitioner/{res.get('id')}"] = str(phones[0])
    return out


def traject_post(
    launch_id: str, ident: str, allowed: Callable[[Ctx], bool], act: Callable[[Ctx], Any]
) -> Any:
    """The shell of a traject POST whose form lives on another page: CSRF, the role check before any read,
    then ``act``; a refusal comes back as :func:`failed` (the message and the same form to send again)."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(allowed(c_))
    errors: list[str] = []
    with form_errors(errors):
        return act(c_)
    return failed(c_, errors, ident=ident)


def failed(c_: Ctx, errors: list[str], status: int = 422, **extra: Any) -> tuple[str, int]:
    """A POST that did not go through, on a page without its form: the message, and what was sent as a
    form that sends it again unchanged (its hidden identifiers make a resend safe)."""
    resend = [(k, v) for k, v in request.form.items(multi=True) if k != CSRF_FIELD]
    return render_template(
        "traject/message.html", **common(c_, errors=errors, resend=resend, resend_to=request.path, **extra)
    ), status


def common(c_: Ctx, **extra: Any) -> dict[str, Any]:
    return {
        "launch_id": c_.launch_id,
        "role": c_.role,
        "policy": c_.policy,
        "role_label": c_.policy.label,
        "csrf": csrf_token(c_.launch_id),
        "user": c_.user,
        "date_nl": date_nl,
        "local": local,
        "display": t.display,
        "status_nl": t.status_display,
        "signal_counts_nl": signal_counts_nl,
        "has_youth": bool(c_.patient),  # issue 15: a caseload launch has none: no "Trajecten" in the menu
        # Issue 15: a girl opened from a caseload is read, not written (context.check_csrf refuses a send):
        # say so before she fills in a form.
        "read_only": c_.caseload and bool(c_.patient),
        **extra,
    }


# --- form pages of the traject's management (issue 14: smart_app.inclusion and smart_app.introduction) ---


def at_date(value: str, field: str) -> datetime:
    """A typed day as a moment: today is now (a phase or membership that starts today starts at once, so
    what happens later today falls inside it), another day 09:00 Amsterdam time."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Vul een geldige datum in.", field=field, code="not-a-date") from None
    moment = now()
    if day == local(moment).date():
        return _shown_at(moment) or moment
    return datetime.combine(day, datetime.min.time().replace(hour=9), tzinfo=AMSTERDAM)


def _shown_at(moment: datetime) -> datetime | None:
    """When the form was shown (its hidden ``shown_at``), if that was earlier today: a resend of the same form
    after a lost answer then saves exactly what the first send did, and is recognised as the same save."""
    try:
        shown = datetime.fromisoformat(request.form.get("shown_at", ""))
    except ValueError:
        return None
    if shown.tzinfo is None or shown > moment or local(shown).date() != local(moment).date():
        return None
    return shown


def saved_page(launch_id: str, ident: str) -> Any:
    """After a save: the traject page with its "saved" line (303, so a reload does not post again)."""
    return redirect(url_for("traject.show", launch_id=launch_id, ident=ident, opgeslagen="1"), 303)


def birth_date(c_: Ctx) -> date | None:
    patient = c_.client.read("Patient", require_patient(c_).split("/", 1)[1])
    birth = patient.get("birthDate") or ""
    return date.fromisoformat(birth) if len(birth) == 10 else None


def form_page(
    c_: Ctx, template: str, ident: str, form: dict[str, Any], errors: list[str], **extra: Any
) -> Any:
    patient = c_.client.read("Patient", require_patient(c_).split("/", 1)[1])
    page = render_template(
        template, **common(c_, ident=ident, form=form, errors=errors, youth=display_name(patient), **extra)
    )
    return page, (422 if errors else 200)
