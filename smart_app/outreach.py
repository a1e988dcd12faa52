"""Preparation (guide §4.1), for the coordinator: presentations per group and to professionals, and the
information letters to parents, guardians and municipalities, with the P-PRESENT-3M signal per group.

Nothing here is about one youth: the page reads and writes the organisation's Tasks only, with the
coordinator's user-level Task scope. A save that fails keeps what was typed and says why in plain Dutch.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from hvol_fhir.errors import InvalidInput
from hvol_fhir.privacy import access
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import local_date
from hvol_fhir.programme.rules import outreach as rules
from hvol_fhir.services import outreach as service

from .context import ctx, form_errors, form_value, now, require
from .pagekit import code_options, common

bp = Blueprint("outreach", __name__)
ONLY_COORDINATOR = "Presentaties en informatiebrieven legt de coördinator vast."
FIELDS = ("uuid", "kind", "audience", "audience_name", "day")


def _groups() -> list[str]:
    """The provider's groups, so that a group without any presentation warns too (config HVOL_GROUPS)."""
    configured = current_app.config.get("HVOL_GROUPS") or ()
    return [str(g) for g in configured]


def _page(c_: Any, form: dict[str, str], errors: list[str], status: int = 200) -> tuple[str, int]:
    items = service.all_items(c_.client)
    moment = now()
    return render_template(
        "outreach/page.html",
        **common(
            c_,
            items=items,
            alerts=rules.outreach_alerts(items, moment, _groups()),
            kinds=code_options(c.TASK_KIND),
            kind_choices=rules.KINDS,
            audiences=code_options(c.OUTREACH_AUDIENCE),
            form=form,
            errors=errors,
            today=local_date(moment),
            saved=request.args.get("opgeslagen"),
        ),
    ), status


@bp.get("/l/<launch_id>/voorbereiding")
def show(launch_id: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role), ONLY_COORDINATOR)
    return _page(c_, {"uuid": str(uuid.uuid4())}, [])


@bp.post("/l/<launch_id>/voorbereiding")
def add(launch_id: str) -> Any:
    c_ = ctx(launch_id)
    require(access.may_manage_traject(c_.role), ONLY_COORDINATOR)
    form = {k: form_value(k) for k in FIELDS}
    errors: list[str] = []
    with form_errors(errors):
        try:
            day = date.fromisoformat(form["day"])
        except ValueError:
            raise InvalidInput("Vul een geldige datum in.", field="day") from None
        item = rules.record(
            identifier=form["uuid"] or str(uuid.uuid4()),
            kind=form["kind"],
            day=day,
            audience=form["audience"],
            audience_name=form["audience_name"],
            by=c_.user,
            now=now(),
        )
        service.record(c_.client, item)
        return redirect(url_for("outreach.show", launch_id=launch_id, opgeslagen="1"), 303)
    return _page(c_, form, errors, 422)
