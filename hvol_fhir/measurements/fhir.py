"""Measurement <-> QuestionnaireResponse (profile hvol-measurement-response) and MeasurementTask <-> Task.

QuestionnaireResponse (https://hl7.org/fhir/R4/questionnaireresponse.html): `questionnaire` = `url|version`,
`basedOn` the traject's CarePlan, `subject` and `source` the youth (she answers), `author` the buddy (she
records
it), answers nested under the Questionnaire's groups. No narrative. Labels: confidentiality `R` plus the
programme compartment (see `LABELS_WHY`). A response read back must carry them, or it is not shown.

Task: the SDC pattern (https://hl7.org/fhir/uv/sdc/, dutch-context.md §6): `code` complete-questionnaire, the
Questionnaire canonical as `input`, the response as `output`, `for`/`owner` the youth, `basedOn` the CarePlan,
`restriction.period` the window (end = due date). `basedOn`, not `focus`: `focus` is where the programme's own
task-kind tasks point, and readers of those expect a task-kind code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any, Final

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.errors import InvalidInput, MissingElement
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import labels as lab
from hvol_fhir.measurements.model import Measurement, MeasurementTask
from hvol_fhir.measurements.questionnaire import QuestionnaireDef, questionnaire

SDC_TEMP: Final = "http://hl7.org/fhir/uv/sdc/CodeSystem/temp"
TASK_CODE: Final = "complete-questionnaire"
CONFIDENTIALITY_R: Final = lab.Label(t.V3_CONFIDENTIALITY, "R")
LABELS_WHY: Final = (
    "R, not V: scores are sensitive but hold no journal content, and the behavioural scientist (no journal "
    "clearance) must be able to read them; the compartment code keeps them out of every staff token's reach."
)
_NS: Final = uuid.UUID("0b6e7f0e-5d0c-4c59-9f55-6a1f0c6c7a07")


def measurement_labels() -> tuple[lab.Label, ...]:
    return (CONFIDENTIALITY_R, lab.compartment())


def has_measurement_labels(meta: Any) -> bool:
    """Compartment present and exactly one confidentiality code, R or V (V if someone raised it)."""
    found = lab.labels_of(meta)
    return lab.compartment() in found and lab.confidentiality_codes(meta) in (["R"], ["V"])


def require_measurement_labels(meta: Any) -> None:
    if not has_measurement_labels(meta):
        raise lab.MissingSecurityLabels(
            "Deze meting mist de verplichte beveiligingslabels en wordt daarom niet getoond. "
            "Meld dit aan de coördinator.",
            field="QuestionnaireResponse.meta.security",
        )


# --- QuestionnaireResponse ----------------------------------------------------------------------------------


def response_to_fhir(m: Measurement, q: QuestionnaireDef | None = None) -> Json:
    q = q or questionnaire()
    scores = dict(m.answers)
    groups = []
    for group in q.groups:
        answered = [
            {"linkId": i.link_id, "answer": [{"valueInteger": scores[i.link_id]}]}
            for i in group.items
            if i.link_id in scores
        ]
        if answered:
            groups.append({"linkId": group.link_id, "item": answered})
    return f.prune(
        {
            "resourceType": "QuestionnaireResponse",
            "id": m.id,
            "meta": {
                "profile": [t.profile_url(t.P_MEASUREMENT)],
                "security": [label.coding() for label in measurement_labels()],
            },
            "identifier": f.identifier("measurement", m.identifier),
            "basedOn": [f.ref(m.traject)],
            "questionnaire": m.questionnaire,
            "status": m.status,
            "subject": f.ref(m.patient),
            "encounter": f.ref(m.encounter),
            "authored": f.iso(m.authored),
            "author": f.ref(m.author),
            "source": f.ref(m.patient),
            "item": groups,
        }
    )


def _answers(items: list[Json], path: str) -> Iterator[tuple[str, int]]:
    for i, item in enumerate(items):
        here = f"{path}[{i}]"
        for a, answer in enumerate(item.get("answer") or []):
            if "valueInteger" in answer:
                value = answer["valueInteger"]
                if not isinstance(value, int) or isinstance(value, bool):
                    raise InvalidInput("Een score is geen heel getal.", field=f"{here}.answer[{a}]")
                yield str(item.get("linkId")), value
            yield from _answers(answer.get("item") or [], f"{here}.answer[{a}].item")
        yield from _answers(item.get("item") or [], f"{here}.item")


def response_from_fhir(data: Json) -> Measurement:
    """A stored response as a Measurement; refused when its labels are missing (never shown then)."""
    if data.get("resourceType") != "QuestionnaireResponse":
        raise InvalidInput("Dit is geen meting.", field="resourceType", code="wrong-type")
    require_measurement_labels(data.get("meta"))
    ident = data.get("identifier") or {}
    if ident.get("system") != t.sid("measurement") or not ident.get("value"):
        raise MissingElement("De meting mist haar identificatie.", field="QuestionnaireResponse.identifier")
    based = [b for b in data.get("basedOn") or [] if str(b.get("reference", "")).startswith("CarePlan/")]
    if not based:
        raise MissingElement("De meting hoort bij geen traject.", field="QuestionnaireResponse.basedOn")
    return Measurement(
        identifier=str(ident["value"]),
        traject=f.ref_value(based[0], "QuestionnaireResponse.basedOn"),
        patient=f.ref_value(
            f.need(data, "subject", "QuestionnaireResponse"), "QuestionnaireResponse.subject"
        ),
        authored=f.instant(data.get("authored"), "QuestionnaireResponse.authored"),
        questionnaire=str(f.need(data, "questionnaire", "QuestionnaireResponse")),
        answers=tuple(_answers(data.get("item") or [], "QuestionnaireResponse.item")),
        author=f.opt_ref_value(data.get("author"), "QuestionnaireResponse.author"),
        status=str(data.get("status", "completed")),
        encounter=f.opt_ref_value(data.get("encounter"), "QuestionnaireResponse.encounter"),
        id=data.get("id"),
    )


# --- Task
# -----------------------------------------------------------------------------------------------------


def task_identifier(traject_identifier: str, due: date) -> str:
    """The same traject and due date always give the same Task identifier (planning is idempotent)."""
    return str(uuid.uuid5(_NS, f"measurement-task/{traject_identifier}/{due.isoformat()}"))


def _sdc(code: str, text: str) -> Json:
    return {"coding": [{"system": SDC_TEMP, "code": code}], "text": text}


def task_to_fhir(task: MeasurementTask, q: QuestionnaireDef | None = None) -> Json:
    q = q or questionnaire()
    output = None
    if task.response:
        output = [
            {
                "type": _sdc("questionnaire-response", "Ingevulde meting"),
                "valueReference": f.ref(task.response),
            }
        ]
    return f.prune(
        {
            "resourceType": "Task",
            "id": task.id,
            "identifier": [f.identifier("task", task.identifier)],
            "basedOn": [f.ref(task.traject)],
            "status": task.status,
            "intent": "order",
            "code": _sdc(TASK_CODE, "Tweewekelijkse meting invullen"),
            "for": f.ref(task.patient),
            "authoredOn": f.iso(task.authored),
            "owner": f.ref(task.patient),
            "restriction": {"period": {"start": task.window_start.isoformat(), "end": task.due.isoformat()}},
            "input": [{"type": _sdc("questionnaire", "Vragenlijst"), "valueCanonical": q.canonical}],
            "output": output,
        }
    )


def is_measurement_task(data: Json) -> bool:
    return data.get("resourceType") == "Task" and f.has_coding(data.get("code"), SDC_TEMP, TASK_CODE)


def task_from_fhir(data: Json) -> MeasurementTask:
    if not is_measurement_task(data):
        raise InvalidInput("Dit is geen meettaak.", field="Task.code", code="wrong-task")
    period = (data.get("restriction") or {}).get("period") or {}
    due = f.need_day(period.get("end"), "Task.restriction.period.end")
    based = [b for b in data.get("basedOn") or [] if str(b.get("reference", "")).startswith("CarePlan/")]
    if not based:
        raise MissingElement("De meettaak hoort bij geen traject.", field="Task.basedOn")
    response = next(
        (o["valueReference"]["reference"] for o in data.get("output") or [] if "valueReference" in o), None
    )
    return MeasurementTask(
        identifier=f.identifier_value(data, "task", "Task"),
        traject=f.ref_value(based[0], "Task.basedOn"),
        patient=f.ref_value(f.need(data, "for", "Task"), "Task.for"),
        due=due,
        window_start=f.day(period.get("start"), "Task.restriction.period.start") or due,
        status=str(data.get("status")),
        authored=f.opt_instant(data.get("authoredOn"), "Task.authoredOn"),
        response=response,
        id=data.get("id"),
        version=(data.get("meta") or {}).get("versionId"),
    )
