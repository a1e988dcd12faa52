"""The coordinator's overview: every traject (phase, alerts), searchable, sortable and paged; the waiting
list (order, waiting time); alignment meetings (P-ALIGN) and group presentations (P-PRESENT-3M); all trajects
stacked on one timeline. The views only adapt ``services.overview.cohort_overview`` (two round trips). No
journal is read here.
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
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.model import Task
from hvol_fhir.repository import writes
from hvol_fhir.services.overview import CohortOverview, cohort_overview
from hvol_fhir.timeline import RANGE_PARAM, Drawing, Row, drawing

from .context import Ctx, check_csrf, ctx, form_errors, form_value, now, require
from .pagekit import common, failed

bp = Blueprint("coordinator", __name__)


def _page_args() -> tuple[int, int, str, str]:
    try:
        offset = max(0, int(request.args.get("vanaf", "0")))
    except ValueError:
        offset = 0
    return offset, 20, request.args.get("sorteer", "-start"), request.args.get("zoek", "")[:100]


def _stacked(launch_id: str, overview: CohortOverview, moment: datetime) -> Drawing:
    rows = [
        Row(
            label=r.name,
            traject=r.row.traject,
            contacts=r.row.contacts,
            alerts=r.row.alerts,
            href=url_for("traject.show", launch_id=launch_id, ident=r.row.traject.identifier),
        )
        for r in overview.rows
    ]
    return drawing(rows, moment, request.args.get(RANGE_PARAM), compact=True, title="Alle trajecten")


def _overview(launch_id: str) -> tuple[Ctx, CohortOverview, datetime, tuple[int, int, str, str]]:
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role), "Het overzicht van alle trajecten is voor de coördinator.")
    moment = now()
    offset, size, sort, name = _page_args()
    found = cohort_overview(c_.client, moment, offset=offset, size=size, sort=sort, name=name)
    return c_, found, moment, (offset, size, sort, name)


@bp.get("/l/<launch_id>/overzicht")
def cohort(launch_id: str) -> Any:
    c_, found, moment, (_offset, _size, sort, name) = _overview(launch_id)
    return render_template(
        "coordinator/cohort.html",
        **common(
            c_,
            overview=found,
            page=found.page,
            rows=found.rows,
            sort=sort,
            name=name,
            today=local_date(moment),
            timeline=_stacked(launch_id, found, moment),
            display_name=display_name,
            new_uuid=str(uuid.uuid4()),
            now=moment,
        ),
    )


@bp.get("/l/<launch_id>/overzicht/tijdlijn.svg")
def stacked(launch_id: str) -> Response:
    """All trajects of the page stacked on one time axis, on its own (print); the overview page draws the same
    picture inline from its own rows."""
    _c, found, moment, _args = _overview(launch_id)
    return Response(_stacked(launch_id, found, moment).svg, mimetype="image/svg+xml")


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
