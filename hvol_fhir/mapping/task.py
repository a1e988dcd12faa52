"""Task (domain) <-> Task (profile hvol-waitinglist-task; https://hl7.org/fhir/R4/task.html).

One profile for all programme tasks: `code` from task-kind (waiting list P-WAIT, 18th-birthday talk P-18,
coach contact P-COACH-AFTER, group presentation P-PRESENT-3M, alignment meeting P-ALIGN). The due date is
`restriction.period.end` (a date); `focus` is usually the traject's CarePlan, `for` the youth. The P-18
talk's outcome (issue 14) is an `output` with a code from eighteen-outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fhir.resources.R4B.task import Task as FhirTask

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Task

_KEYS = (
    "identifier",
    "status",
    "intent",
    "code",
    "focus",
    "for",
    "authoredOn",
    "owner",
    "restriction",
    "output",
)
_OUTCOME_TYPE = {"text": "Uitkomst van het gesprek"}


def _to_dict(task: Task) -> f.Json:
    return f.prune(
        {
            **f.ours("Task", task.id, t.P_TASK, "task", task.identifier),
            "status": task.status,
            "intent": "order",
            "code": f.concept(c.TASK_KIND, task.kind, "Task.kind"),
            "focus": f.ref(task.focus),
            "for": f.ref(task.patient),
            "authoredOn": f.iso(task.authored),
            "owner": f.ref(task.owner),
            "restriction": {"period": {"end": f.iso(task.due)}} if task.due else None,
            "output": [
                {
                    "type": _OUTCOME_TYPE,
                    "valueCodeableConcept": f.concept(
                        c.TASK_OUTCOMES.get(task.kind, c.EIGHTEEN_OUTCOME), task.outcome, "Task.outcome"
                    ),
                }
            ]
            if task.outcome
            else None,
        }
    )


def _outcome(data: f.Json, kind: str) -> str | None:
    system = c.TASK_OUTCOMES.get(kind)
    if system is None:
        return None
    for i, out in enumerate(data.get("output") or []):
        code = f.opt_code(out.get("valueCodeableConcept"), system, f"Task.output[{i}]")
        if code:
            return code
    return None


def to_fhir(task: Task) -> FhirTask:
    return f.parse_as(FhirTask, _to_dict(task))


def from_fhir(model: Any) -> Task:
    data = f.as_dict("Task", model)
    due = ((data.get("restriction") or {}).get("period") or {}).get("end")
    kind = f.code(data.get("code"), c.TASK_KIND, "Task.code")
    return Task(
        identifier=f.identifier_value(data, "task", "Task"),
        kind=kind,
        status=data["status"],
        due=f.day(due, "Task.restriction.period.end"),
        owner=f.ref_value(data["owner"], "Task.owner") if data.get("owner") else None,
        focus=f.ref_value(data["focus"], "Task.focus") if data.get("focus") else None,
        patient=f.ref_value(data["for"], "Task.for") if data.get("for") else None,
        authored=f.opt_instant(data.get("authoredOn"), "Task.authoredOn"),
        outcome=_outcome(data, kind),
        id=data.get("id"),
    )


def _merge_restriction(old: f.Json | None, new: f.Json | None) -> f.Json | None:
    rest = dict(old or {})
    per = dict(rest.get("period") or {})
    per.pop("end", None)
    if new:
        per["end"] = new["period"]["end"]
    f.put_or_drop(rest, "period", per)
    return rest or None


_MERGES: Final[Mapping[str, f.Merge]] = {
    "identifier": f.merge_identifiers,
    "intent": lambda o, n: o or n,
    "code": lambda o, n: f.merge_codeable(o, n, t.cs_url(c.TASK_KIND)),
    "focus": f.merge_ref,
    "for": f.merge_ref,
    "owner": f.merge_ref,
    "restriction": _merge_restriction,
    # Another system's outputs stay; ours (the P-18 outcome) is written anew.
    "output": lambda o, n: [x for x in o or [] if x.get("type") != _OUTCOME_TYPE] + list(n or []),
}


def update_fhir(existing: Any, task: Task) -> FhirTask:
    return f.update(FhirTask, existing, _to_dict(task), _KEYS, _MERGES, profile=t.P_TASK)
