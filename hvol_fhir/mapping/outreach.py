"""OutreachItem (guide §4.1) <-> Task (profile hvol-waitinglist-task; https://hl7.org/fhir/R4/task.html).

    identifier            sid/task (client UUID; the conditional create matches on it)
    status                completed (held, sent) | requested (planned)
    code                  CS:task-kind group-presentation | professional-presentation | information-letter
    input[0]              type CS:outreach-audience (group, professionals, parents, guardians, municipality),
                          valueString the group's or organisation's name
    restriction.period.end  the day (as the alignment meetings and the existing group presentations have it)
    owner                 the coordinator who recorded it

No ``for`` and no ``focus``: a presentation or a letter is about the programme, never about one youth.
"""

from __future__ import annotations

from typing import Any

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.outreach import DONE, KINDS, PLANNED, OutreachItem

_STATUS = {DONE: "completed", PLANNED: "requested"}


def is_outreach(resource: f.Json) -> bool:
    code = resource.get("code")
    return resource.get("resourceType") == "Task" and any(
        f.has_coding(code, t.cs_url(c.TASK_KIND), kind) for kind in KINDS
    )


def to_json(item: OutreachItem) -> f.Json:
    return f.prune(
        {
            "resourceType": "Task",
            "id": item.id,
            "meta": f.with_profile(None, t.P_TASK),
            "identifier": [f.identifier("task", item.identifier)],
            "status": _STATUS[item.status],
            "intent": "order",
            "code": f.concept(c.TASK_KIND, item.kind, "OutreachItem.kind"),
            "input": [
                {
                    "type": f.concept(c.OUTREACH_AUDIENCE, item.audience, "OutreachItem.audience"),
                    "valueString": f.fhir_string(item.audience_name, "audience_name"),
                }
            ],
            "restriction": {"period": {"end": f.iso(item.day)}},
            "owner": f.ref(item.recorded_by),
        }
    )


def from_json(model: Any) -> OutreachItem:
    data = f.as_dict("Task", model)
    kind = f.code(data.get("code"), c.TASK_KIND, "Task.code")
    inputs = [
        i for i in data.get("input") or [] if f.opt_code(i.get("type"), c.OUTREACH_AUDIENCE, "Task.input")
    ]
    if not inputs:
        raise ValueError("no audience on this Task")
    day = f.need_day(((data.get("restriction") or {}).get("period") or {}).get("end"), "Task.restriction")
    return OutreachItem(
        identifier=f.identifier_value(data, "task", "Task"),
        kind=kind,
        day=day,
        audience=f.code(inputs[0]["type"], c.OUTREACH_AUDIENCE, "Task.input.type"),
        audience_name=str(inputs[0].get("valueString") or ""),
        status=DONE if data.get("status") == "completed" else PLANNED,
        recorded_by=f.ref_value(data["owner"], "Task.owner") if data.get("owner") else None,
        id=data.get("id"),
    )
