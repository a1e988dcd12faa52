"""Escalation (domain) <-> Task (profile hvol-waitinglist-task, code task-kind#escalation;
https://hl7.org/fhir/R4/task.html).

    identifier            sid/task (client UUID; the conditional create matches on it)
    status                requested (open) | completed (handled)
    code                  CS:task-kind#escalation (in the clear: the to-do lists find it)
    reasonCode            CS:escalation-kind (police, own-safety, danger-consultation, concern)   sealed
    description           the buddy's short message for this escalation                          sealed
    focus / for           the traject's CarePlan / the youth
    requester, authoredOn the buddy who raised it, when
    restriction.recipient coach(es), coordinator(s), the behavioural scientist when involved
    executionPeriod.end   when it was handled; output[0] valueReference: by whom
    meta.security         confidentiality R + the programme compartment: the server hides it from everyone
                          without programme clearance (regular staff, mentors), as the measurement scores

The kind is sealed with the message because "the police asked about her" is itself confidential; an EHR
that enforces no labels shows a to-do "Escalatie" and ciphertext (hvol_fhir.sealing.fields). No journal
content and no link to a journal entry is ever put on it.
"""

from __future__ import annotations

from typing import Any, Final

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.mapping import labels as lab
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.escalation import HANDLED, OPEN, Escalation, EscalationTodo

CONFIDENTIALITY_R: Final = lab.Label(t.V3_CONFIDENTIALITY, "R")
HANDLED_BY: Final = "Afgehandeld door"
_STATUS: Final = {OPEN: "requested", HANDLED: "completed"}


def escalation_labels() -> tuple[lab.Label, ...]:
    return (CONFIDENTIALITY_R, lab.compartment())


def is_escalation(resource: f.Json) -> bool:
    return resource.get("resourceType") == "Task" and f.has_coding(
        resource.get("code"), t.cs_url(c.TASK_KIND), c.TASK_ESCALATION
    )


def to_json(e: Escalation, *, version_meta: f.Json | None = None) -> f.Json:
    meta = f.with_profile(version_meta, t.P_TASK)
    meta["security"] = lab.merge_labels(meta, {"security": [x.coding() for x in escalation_labels()]})[
        "security"
    ]
    return f.prune(
        {
            "resourceType": "Task",
            "id": e.id,
            "meta": meta,
            "identifier": [f.identifier("task", e.identifier)],
            "status": _STATUS[e.status],
            "intent": "order",
            "code": f.concept(c.TASK_KIND, c.TASK_ESCALATION, "Escalation"),
            "reasonCode": f.concept(c.ESCALATION_KIND, e.kind, "Escalation.kind"),
            "description": f.fhir_string(e.message, "message"),
            "focus": f.ref(e.traject),
            "for": f.ref(e.patient),
            "authoredOn": f.iso(e.raised_at),
            "requester": f.ref(e.raised_by),
            "restriction": {"recipient": [f.ref(r) for r in e.recipients]} if e.recipients else None,
            "executionPeriod": f.period(e.raised_at, e.handled_at),
            "output": (
                [{"type": {"text": HANDLED_BY}, "valueReference": f.ref(e.handled_by)}]
                if e.handled_by
                else None
            ),
        }
    )


def from_json(model: Any) -> Escalation:
    """An escalation from a Task as read through the app's codec (sealed parts opened)."""
    data = f.as_dict("Task", model)
    if not is_escalation(data):
        raise ValueError("not an escalation Task")
    handled_by = next(
        (
            f.ref_value(o["valueReference"], "Task.output.valueReference")
            for o in data.get("output") or []
            if (o.get("type") or {}).get("text") == HANDLED_BY and o.get("valueReference")
        ),
        None,
    )
    done = data.get("status") == "completed"
    return Escalation(
        identifier=f.identifier_value(data, "task", "Task"),
        traject=f.ref_value(f.need(data, "focus", "Task.focus"), "Task.focus"),
        patient=f.ref_value(f.need(data, "for", "Task.for"), "Task.for"),
        raised_by=f.ref_value(f.need(data, "requester", "Task.requester"), "Task.requester"),
        raised_at=f.instant(f.need(data, "authoredOn", "Task.authoredOn"), "Task.authoredOn"),
        kind=f.code(data.get("reasonCode"), c.ESCALATION_KIND, "Task.reasonCode"),
        message=str(f.need(data, "description", "Task.description")),
        recipients=tuple(
            f.ref_value(r, f"Task.restriction.recipient[{i}]")
            for i, r in enumerate((data.get("restriction") or {}).get("recipient") or [])
        ),
        status=HANDLED if done else OPEN,
        handled_by=handled_by if done else None,
        handled_at=f.opt_instant((data.get("executionPeriod") or {}).get("end"), "Task.executionPeriod.end")
        if done
        else None,
        id=data.get("id"),
    )


def todo_from_json(model: Any) -> EscalationTodo:
    """The escalation as a to-do, from the parts in the clear only (never `reasonCode` or `description`):
    the start pages and the overview list it without opening, or even holding, anything sealed."""
    data = f.as_dict("Task", model)
    if not is_escalation(data):
        raise ValueError("not an escalation Task")
    return EscalationTodo(
        identifier=f.identifier_value(data, "task", "Task"),
        traject=f.ref_value(f.need(data, "focus", "Task.focus"), "Task.focus"),
        raised_by=f.ref_value(f.need(data, "requester", "Task.requester"), "Task.requester"),
        raised_at=f.instant(f.need(data, "authoredOn", "Task.authoredOn"), "Task.authoredOn"),
        recipients=tuple(
            f.ref_value(r, f"Task.restriction.recipient[{i}]")
            for i, r in enumerate((data.get("restriction") or {}).get("recipient") or [])
        ),
        is_open=data.get("status")
        not in ("completed", "cancelled", "failed", "rejected", "entered-in-error"),
    )


def update_json(existing: f.Json, e: Escalation) -> f.Json:
    """The stored Task with this escalation's state: what the app does not map (other extensions, notes,
    another system's codings) stays."""
    new = to_json(e, version_meta=existing.get("meta"))
    keep = {k: v for k, v in existing.items() if k not in new and k not in ("text",)}
    return {**keep, **new, "id": existing.get("id")}
