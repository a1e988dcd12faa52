"""Measurements in the EHR: reads, the planned Tasks, and saving a response (the I/O edge, on FhirClient).

Saving is one transaction: the QuestionnaireResponse and its Task set to completed (output -> the response),
both or neither. The response carries a client-generated identifier; it cannot be a conditional create, since
EHRs that protect restricted types (the sandbox does) refuse conditional writes on them to anyone without
organisation-wide clearance (a match would reveal a hidden resource). So the save looks the identifier up
first
(the buddy may see her own youth's measurements) and only then creates; the caller holds a lock on the
identifier, so a double submit waits and then finds the response. The Task update carries If-Match, so a Task
completed meanwhile makes the whole transaction fail rather than complete it twice.

Every response read back is label-checked; one without its labels is withheld, never shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient, bundle
from hvol_fhir.errors import HvolError
from hvol_fhir.fhirjson import Json
from hvol_fhir.measurements import fhir as mf
from hvol_fhir.measurements.model import Measurement, MeasurementTask
from hvol_fhir.measurements.questionnaire import questionnaire
from hvol_fhir.measurements.schedule import Plan, plan
from hvol_fhir.programme.model import Traject

PAGE = "200"


@dataclass(frozen=True)
class Responses:
    measurements: tuple[Measurement, ...]
    withheld: int  # responses not shown: labels missing or not readable


@dataclass(frozen=True)
class Saved:
    created: bool  # False: it was there already (double submit, retry)
    response: str  # QuestionnaireResponse/<id>


def _update_entry(client: FhirClient, resource: Json, version: str | None) -> Json:
    """A PUT entry with If-Match; its fullUrl is the resource's own URL (validators want one on every
    entry)."""
    entry = bundle.update_entry(resource, if_match=version)
    entry["fullUrl"] = f"{client.base_url.rstrip('/')}/{resource['resourceType']}/{resource['id']}"
    return entry


def parse_responses(raws: Sequence[Json]) -> Responses:
    out, withheld = [], 0
    for raw in raws:
        try:
            out.append(mf.response_from_fhir(raw))
        except HvolError:
            withheld += 1
    return Responses(tuple(out), withheld)


def responses(client: FhirClient, patient: str, traject: str) -> Responses:
    """The traject's measurements (QuestionnaireResponse?based-on=the CarePlan), label-checked."""
    raws = list(
        client.search_all("QuestionnaireResponse", {"patient": patient, "based-on": traject, "_count": PAGE})
    )
    return parse_responses([r for r in raws if r.get("resourceType") == "QuestionnaireResponse"])


def tasks(client: FhirClient, patient: str, traject: str) -> list[MeasurementTask]:
    params = {
        "subject": patient,  # Task is in the youth's compartment through Task.for (search parameter subject)
        "based-on": traject,
        "code": f"{mf.SDC_TEMP}|{mf.TASK_CODE}",
        "_count": PAGE,
    }
    return [mf.task_from_fhir(r) for r in client.search_all("Task", params) if mf.is_measurement_task(r)]


def apply_plan(client: FhirClient, todo: Plan, *, q_canonical: str | None = None) -> int:
    """Create the planned Tasks (conditional create on their derived identifier) and cancel the stale ones
    (If-Match), in one transaction. Returns the number of entries sent."""
    entries = [
        bundle.create_entry(
            mf.task_to_fhir(task),
            if_none_exist=(
                f"{bundle.identifier_condition(t.sid('task'), task.identifier)}&subject={task.patient}"
            ),
        )
        for task in todo.create
    ]
    for task in todo.cancel:
        entries.append(
            _update_entry(client, mf.task_to_fhir(replace(task, status="cancelled")), task.version)
        )
    if entries:
        client.transaction(bundle.transaction(entries))
    return len(entries)


def reconcile(client: FhirClient, traject: Traject, today: date, now: datetime) -> list[MeasurementTask]:
    """Bring the traject's measurement Tasks in line with its phases; returns the Tasks as they now are."""
    ref = f"CarePlan/{traject.id}"
    found = tasks(client, traject.patient, ref)
    todo = plan(traject, found, today, authored=now)
    if apply_plan(client, todo):
        found = tasks(client, traject.patient, ref)
    return found


def find_response(client: FhirClient, patient: str, identifier: str) -> Json | None:
    params = {"patient": patient, "identifier": f"{t.sid('measurement')}|{identifier}"}
    found = [
        r
        for r in client.search_all("QuestionnaireResponse", params)
        if r.get("resourceType") == "QuestionnaireResponse"
    ]
    return found[0] if found else None


def save(client: FhirClient, m: Measurement, task: MeasurementTask | None) -> Saved:
    """The response and its Task, both or neither. Hold a lock on `m.identifier` around this call."""
    existing = find_response(client, m.patient, m.identifier)
    if existing is not None:
        mf.require_measurement_labels(existing.get("meta"))
        return Saved(False, f"QuestionnaireResponse/{existing['id']}")
    url = f"urn:uuid:{m.identifier}"
    entries = [bundle.create_entry(mf.response_to_fhir(m), full_url=url)]
    if task is not None and task.id is not None:
        done = replace(task, status="completed", response=url)
        entries.append(_update_entry(client, mf.task_to_fhir(done), task.version))
    tx = bundle.transaction(entries)
    results = bundle.results(client.transaction(tx), tx)
    return Saved(True, results[0].reference or "")


def cohort(client: FhirClient) -> tuple[list[Json], list[Json]]:
    """Every programme CarePlan and every measurement the caller's token may see (user-level scopes).

    Only resources in the programme compartment are asked for, and of those only responses to the
    measurement Questionnaire are kept.
    """
    plans = [
        r
        for r in client.search_all(
            "CarePlan", {"category": f"{t.cs_url(t.PROGRAMME)}|{t.PROGRAMME_CODE}", "_count": PAGE}
        )
        if r.get("resourceType") == "CarePlan"
    ]
    compartment = f"{t.cs_url(t.SECURITY_COMPARTMENT)}|{t.COMPARTMENT_CODE}"
    url = questionnaire().url
    raws = [
        r
        for r in client.search_all("QuestionnaireResponse", {"_security": compartment, "_count": PAGE})
        if r.get("resourceType") == "QuestionnaireResponse"
        and str(r.get("questionnaire", "")).split("|")[0] == url
    ]
    return plans, raws
