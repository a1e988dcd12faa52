"""The biweekly measurement (issue 7): the buddy fills it in together with the youth.

One transaction (the QuestionnaireResponse and its Task completed) with a client-generated identifier under a
lock, so a double submit creates nothing twice. Refusals say per question what to do
(:class:`~hvol_fhir.measurements.validate.MeasurementRefused`). Scores are no journal: no AuditEvent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hvol_fhir.ehr import EhrForbidden
from hvol_fhir.errors import NotAllowed
from hvol_fhir.measurements import access, store
from hvol_fhir.measurements.model import Measurement, MeasurementTask
from hvol_fhir.measurements.questionnaire import questionnaire
from hvol_fhir.measurements.validate import (
    MeasurementRefused,
    check_measurement,
    check_version,
    ordered,
    read_form,
)
from hvol_fhir.repository.reads import TrajectRecord
from hvol_fhir.services.caller import Caller

ONLY_BUDDY = "Alleen het ervaringsmaatje vult de meting in, samen met de jongere."


@dataclass(frozen=True)
class RecordMeasurement:
    record: TrajectRecord
    identifier: str
    questionnaire: str  # the canonical (with version) the form was shown for
    values: Mapping[str, str]  # linkId -> the slider's value as posted; blank when not answered
    task_id: str = ""  # the measurement Task the form was opened from, if any


@dataclass(frozen=True)
class MeasurementRecorded:
    response: str  # QuestionnaireResponse/<id>
    created: bool


def _task(caller: Caller, patient: str, traject: str, task_id: str) -> MeasurementTask | None:
    """Her Task, when the EHR lets this token read Tasks (it may not: then the response stands alone)."""
    if not task_id:
        return None
    try:
        return next((t for t in store.tasks(caller.client, patient, traject) if t.id == task_id), None)
    except (EhrForbidden, NotAllowed):
        return None


def record_measurement(caller: Caller, cmd: RecordMeasurement) -> MeasurementRecorded:
    caller.require(access.may_record(caller.role), ONLY_BUDDY)
    patient = caller.youth()
    q = questionnaire()
    check_version(cmd.questionnaire, q)
    answers, problems = read_form(cmd.values, q)
    if problems:
        raise MeasurementRefused(problems)
    measurement = Measurement(
        identifier=cmd.identifier,
        traject=cmd.record.reference,
        patient=patient,
        authored=caller.now(),
        questionnaire=cmd.questionnaire,
        answers=ordered(answers, q),
        author=caller.user,
    )
    check_measurement(measurement, q, cmd.record.traject)
    with caller.lock("measurement:" + measurement.identifier):
        task = _task(caller, patient, cmd.record.reference, cmd.task_id)
        saved = store.save(caller.client, measurement, task)
    return MeasurementRecorded(saved.response, saved.created)
