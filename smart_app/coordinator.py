"""The coordinator's overview: every traject (phase, alerts), searchable, sortable and paged; the waiting
list (order, waiting time); alignment meetings (P-ALIGN) and group presentations (P-PRESENT-3M); all trajects
stacked on one timeline. No journal is read here.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from hvol_fhir.errors import InvalidInput
from hvol_fhir.mapping.person import display_name
from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import AMSTERDAM, local_date, utc
from hvol_fhir.programme.model import Task
from hvol_fhir.programme.rules import check_alignment, check_presentations
from hvol_fhir.repository import writes
from hvol_fhir.repository.cohort import cohort_page, organisation_tasks, recent_overrides, waiting_list
from hvol_fhir.timeline import Row, render

from .context import check_csrf, ctx, form_errors, form_value, now, require
from .pagekit import common, failed

bp = Blueprint("coordinator", __name__)
PHASE_ORDER = {
    c.PHASE_PREPARATION: 0,
    c.PHASE_INCLUSION: 1,
    c.PHASE_INTRODUCTION: 2,
    c.PHASE_CONTACT_PERIOD: 3,
    c.PHASE_CLOSURE: 4,
}


def _page_args() -> tuple[int, int, str, str]:
    try:
        offset = max(0, int(request.args.get("vanaf", "0")))
    except ValueError:
        offset = 0
    return offset, 20, request.args.get("sorteer", "-start"), request.args.get("zoek", "")[:100]


def _sorted(rows: list[Any], key: str) -> list[Any]:
    if key == "signalen":
        return sorted(
            rows, key=lambda r: (-sum(a.severity != "info" for a in r.alerts), r.traject.identifier)
        )
    if key == "fase":
        return sorted(
            rows,
            key=lambda r: PHASE_ORDER.get(
                r.traject.current_phase.phase if r.traject.current_phase else "", 9
            ),
        )
    return rows


def _held(tasks: list[Task]) -> list[datetime]:
    """The days of completed meetings (alignment, presentation) as moments for the rules."""
    return [
        datetime.combine(t.due, datetime.min.time(), tzinfo=AMSTERDAM)
        for t in tasks
        if t.status == "completed" and t.due
    ]


@bp.get("/l/<launch_id>/overzicht")
def cohort(launch_id: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role), "Het overzicht van alle trajecten is voor de coördinator.")
    moment = now()
    offset, size, sort, name = _page_args()
    server_sort = sort if sort in ("start", "-start") else "-start"
    page = cohort_page(c_.client, moment, offset=offset, size=size, sort=server_sort, name=name)
    waiting = waiting_list(c_.client)
    meetings = organisation_tasks(c_.client, c.TASK_ALIGNMENT_MEETING)
    presentations = organisation_tasks(c_.client, c.TASK_GROUP_PRESENTATION)
    org_alerts = check_alignment(_held(meetings), moment) + check_presentations(
        {"alle groepen": _held(presentations)}, moment
    )
    overrides = recent_overrides(c_.client, moment)
    return render_template(
        "coordinator/cohort.html",
        **common(
            c_,
            page=page,
            rows=_sorted(page.rows, sort),
            sort=sort,
            name=name,
            waiting=waiting,
            today=local_date(moment),
            display_name=display_name,
            org_alerts=org_alerts,
            meetings=sorted(meetings, key=lambda t: t.due or date.min, reverse=True)[:5],
            presentations=sorted(presentations, key=lambda t: t.due or date.min, reverse=True)[:5],
            overrides=len(overrides),
            new_uuid=str(uuid.uuid4()),
            now=moment,
            utc=utc,
        ),
    )


@bp.get("/l/<launch_id>/overzicht/tijdlijn.svg")
def stacked(launch_id: str) -> Response:
    """All trajects of the page stacked on one time axis."""
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role))
    moment = now()
    offset, size, sort, name = _page_args()
    page = cohort_page(
        c_.client,
        moment,
        offset=offset,
        size=size,
        sort=sort if sort in ("start", "-start") else "-start",
        name=name,
    )
    rows = [
        Row(
            label=display_name(r.patient) or r.traject.identifier[:8],
            traject=r.traject,
            contacts=r.contacts,
            alerts=r.alerts,
            href=url_for("traject.show", launch_id=launch_id, ident=r.traject.identifier),
        )
        for r in page.rows
    ]
    return Response(render(rows, moment, compact=True, title="Alle trajecten"), mimetype="image/svg+xml")


@bp.post("/l/<launch_id>/overzicht/overleg")
def meeting(launch_id: str) -> Any:
    """Plan (or record as held) an alignment meeting or a group presentation."""
    check_csrf(launch_id)
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role))
    errors: list[str] = []
    with form_errors(errors):
        kind = form_value("kind")
        if kind not in (c.TASK_ALIGNMENT_MEETING, c.TASK_GROUP_PRESENTATION):
            raise InvalidInput("Kies overleg of presentatie.", field="kind")
        try:
            day = date.fromisoformat(form_value("date"))
        except ValueError:
            raise InvalidInput("Vul een geldige datum in.", field="date") from None
        moment = now()
        status = "completed" if day <= local_date(moment) else "requested"
        writes.create_task(
            c_.client,
            Task(
                identifier=form_value("task_uuid") or str(uuid.uuid4()),
                kind=kind,
                status=status,
                due=day,
                owner=c_.user,
                authored=moment,
            ),
        )
        return redirect(url_for("coordinator.cohort", launch_id=launch_id), 303)
    return failed(c_, errors)
