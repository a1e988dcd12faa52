"""The programme card for regular staff and mentors (P-MENTOR): phase, the buddy and how to reach her, and the
date, time and type of past and planned contacts. Never journal content, never counts of entries: this page
reads no Communication at all, and drops any that a server might send along.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from hvol_fhir.mapping.person import display_name
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import local, utc
from hvol_fhir.repository.reads import TrajectReader

from .context import ctx, now, require_patient
from .pagekit import common, member_names

bp = Blueprint("card", __name__)


@bp.get("/l/<launch_id>/kaart")
def card(launch_id: str) -> Any:
    c_ = ctx(launch_id)
    patient = require_patient(c_)
    reader = TrajectReader(c_.client, patient)
    moment = now()
    plans = reader.list_trajects()
    current = next(
        (p for p in plans if p.status in ("active", "draft", "on-hold")), plans[0] if plans else None
    )
    record = reader.load(current.identifier, moment, with_tasks=False) if current else None
    names = member_names(c_, record.care_team) if record else {}
    buddies = [
        m for m in (record.care_team.with_role(c.ROLE_BUDDY, moment) if record and record.care_team else ())
    ]
    contacts = sorted(record.contacts, key=lambda x: utc(x.start), reverse=True) if record else []
    # A contact called off ahead of time (issue 14) is no longer planned: it shows as not taken place.
    ahead = [x for x in contacts if x.status == "planned" or utc(x.start) > utc(moment)]
    planned = [x for x in ahead if not x.missed_reason]
    past = [x for x in contacts if x not in planned][:20]
    youth = c_.client.read("Patient", patient.split("/", 1)[1])
    return render_template(
        "card/card.html",
        **common(
            c_,
            record=record,
            names=names,
            buddies=buddies,
            past=past,
            planned=list(reversed(planned)),
            youth=display_name(youth),
            local=local,
        ),
    )
