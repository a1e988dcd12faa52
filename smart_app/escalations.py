"""Escalations (P-POLICE, P-SAFETY, P-DANGER consultation, opschalen): the buddy raises one, coach and
coordinator see it on their to-do list until one of them marks it handled, and either may involve the
behavioural scientist, who then sees that escalation and nothing else of the programme's content.

Mentors and regular staff get the same refusal for every traject, before anything is read: whether a youth
has escalations, or exists, is not theirs to learn. For the behavioural scientist an escalation she was not
involved in answers exactly like one that does not exist.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from hvol_fhir.ehr import VersionConflict
from hvol_fhir.errors import Conflict, NotFound
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules import escalation as rules
from hvol_fhir.services import escalations as service

from .context import Ctx, ctx, form_errors, form_value, now, require, require_patient, save_outcome
from .pagekit import code_options, common, load, member_names

log = logging.getLogger(__name__)
bp = Blueprint("escalations", __name__)
NOT_FOR_YOU = "Escalaties zijn alleen voor het ervaringsmaatje, de coach en de coördinator van deze jongere."
STALE = "Iemand anders heeft deze escalatie intussen bijgewerkt. Bekijk hieronder hoe zij er nu voor staat."


def _mine(c_: Ctx, ident: str) -> tuple[Any, list[service.Stored]]:
    # Before any read: staff and mentors learn nothing, not even whether the traject exists.
    require(c_.policy.may("escalations"), NOT_FOR_YOU)
    record = load(c_, ident, with_tasks=False)
    found = service.list_for_traject(c_.client, require_patient(c_), ident)
    return record, [s for s in found if rules.visible_to(s.escalation, c_.role, c_.user)]


def _has_scientist(record: Any) -> bool:
    team = record.care_team
    return bool(team and team.with_role(c.ROLE_BEHAVIOURAL_SCIENTIST, now()))


def _page(c_: Ctx, ident: str, record: Any, items: list[service.Stored], **extra: Any) -> str:
    order = sorted(items, key=lambda s: (not s.escalation.is_open, -s.escalation.raised_at.timestamp()))
    # Kind and message are on this page: the read is recorded first, or the page is not shown (fail closed).
    service.record_read(c_.client, user=c_.user or "", patient=require_patient(c_), shown=order, now=now())
    return render_template(
        "escalations/page.html",
        **common(
            c_,
            ident=ident,
            items=order,
            kinds=code_options(c.ESCALATION_KIND),
            names=member_names(c_, record.care_team),
            may_raise=c_.policy.may("raise-escalation"),
            may_handle=c_.policy.may("handle-escalation"),
            call_112=rules.CALL_112_FIRST,
            form=extra.pop("form", None) or {"uuid": str(uuid.uuid4())},
            has_scientist=_has_scientist(record),
            **extra,
        ),
    )


@bp.get("/l/<launch_id>/t/<ident>/escalaties")
def show(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    record, items = _mine(c_, ident)
    # From the danger override's "consult first" link: the consultation kind already chosen (P-DANGER).
    chosen = request.args.get("soort", "")
    form = {
        "uuid": str(uuid.uuid4()),
        "kind": chosen if chosen in dict(code_options(c.ESCALATION_KIND)) else "",
    }
    return _page(c_, ident, record, items, form=form, saved=request.args.get("opgeslagen"))


@bp.post("/l/<launch_id>/t/<ident>/escalaties")
def raise_one(launch_id: str, ident: str) -> Any:
    c_ = ctx(launch_id)
    record, items = _mine(c_, ident)
    form: dict[str, Any] = {k: form_value(k) for k in ("uuid", "kind", "text")}
    involve = bool(form_value("gw"))
    form["gw"] = involve
    errors: list[str] = []
    with form_errors(errors):
        escalation = rules.raise_escalation(
            identifier=str(form["uuid"] or uuid.uuid4()),
            traject=record.reference,
            patient=require_patient(c_),
            raised_by=c_.user or "",
            role=c_.role,
            kind=str(form["kind"]),
            message=str(form["text"]),
            team=record.care_team,
            now=now(),
            involve_behavioural_scientist=involve,
        )
        service.raise_escalation(c_.client, escalation)
        log.info("escalation raised traject=%s", ident)
        return redirect(url_for("escalations.show", launch_id=launch_id, ident=ident, opgeslagen="1"), 303)
    return _page(c_, ident, record, items, form=form, errors=errors), 422


@bp.post("/l/<launch_id>/t/<ident>/escalaties/<esc>/<action>")
def act(launch_id: str, ident: str, esc: str, action: str) -> Any:
    """Handle ("afhandelen") or scale up to the behavioural scientist ("opschalen")."""
    c_ = ctx(launch_id)
    record, items = _mine(c_, ident)
    if action not in ("afhandelen", "opschalen"):
        raise NotFound("Deze handeling bestaat niet.", field="action")
    stored = service.find(items, esc)  # one she may not see answers exactly like one that does not exist
    errors: list[str] = []
    with form_errors(errors):
        moment, who = now(), c_.user or ""
        changed = (
            rules.handle(stored.escalation, by=who, role=c_.role, now=moment)
            if action == "afhandelen"
            else rules.scale_up(stored.escalation, by=who, role=c_.role, team=record.care_team, now=moment)
        )
        try:
            service.save(c_.client, stored, changed, version=form_value("version") or None)
        except VersionConflict:
            raise Conflict(STALE, field="version") from None
        log.info("escalation %s traject=%s", action, ident)
        return redirect(url_for("escalations.show", launch_id=launch_id, ident=ident, opgeslagen=action), 303)
    _, fresh = _mine(c_, ident)
    return _page(c_, ident, record, fresh, errors=errors), 409 if save_outcome() == "conflict" else 422
