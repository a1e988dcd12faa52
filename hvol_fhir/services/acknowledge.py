"""A coordinator acknowledges an open item with a note (issue 15): the write, and the reading back of what
was acknowledged for a traject. The note is sealed by the client's codec on the way out (sealing.fields,
kind acknowledgement); a resend with the same identifier creates nothing twice (conditional create)."""

from __future__ import annotations

from datetime import datetime

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient, bundle
from hvol_fhir.errors import NotAllowed
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import acknowledgement as ack
from hvol_fhir.privacy import access
from hvol_fhir.privacy.periods import Period, within
from hvol_fhir.programme import codes as c
from hvol_fhir.repository import searches as s
from hvol_fhir.repository.reads import TASK_PATIENT, traject_token


def acknowledge(
    client: FhirClient,
    *,
    role: str,
    identifier: str,
    traject: str | None,
    patient: str | None,
    item_key: str,
    note: str,
    author: str,
    now: datetime,
) -> bool:
    """Record that `author` saw the item `item_key` of `traject`, with her note; `traject` and `patient` None
    for an item of the organisation (an alignment meeting or a presentation due). True when it was created
    now, False when this identifier was recorded before (a resend)."""
    if not access.may_manage_traject(role):
        raise NotAllowed("Alleen de coördinator zet een open punt op gezien.")
    found = ack.Acknowledgement(
        identifier=identifier,
        traject=traject,
        patient=patient,
        item_key=item_key,
        note=note.strip(),
        author=author,
        at=now,
    )
    condition = bundle.identifier_condition(t.sid("task"), identifier)
    if patient:
        condition += f"&{TASK_PATIENT}={patient}"
    return client.create(ack.to_fhir(found), if_none_exist=condition).created


def acknowledged(
    client: FhirClient, patient: str, traject_identifier: str, reading: tuple[Period, ...] | None = None
) -> dict[str, str]:
    """Item key -> the latest note for one traject (one round trip). For a buddy or coach, who reads by period
    (``reading``, issue 14), a note written outside her periods counts as seen but is not hers to read: the
    coordinator's notes may hold facts about the girl from before her time."""
    page = client.search(
        "Task",
        {
            TASK_PATIENT: patient,
            "code": f"{t.cs_url(c.TASK_KIND)}|{c.TASK_ITEM_ACKNOWLEDGED}",
            "focus:CarePlan.identifier": traject_token(traject_identifier),
            "_count": "200",
        },
    )
    tasks = [r for r in s.all_matches([page]) if r.get("resourceType") == "Task"]
    return ack.notes_by_item([r if _in_reading(r, reading) else _without_note(r) for r in tasks])


def _in_reading(raw: Json, reading: tuple[Period, ...] | None) -> bool:
    when = raw.get("authoredOn")
    if reading is None:
        return True
    try:
        moment = datetime.fromisoformat(str(when))
    except ValueError:
        return False
    return moment.tzinfo is not None and within(reading, moment)  # no (full) time: not hers, fail closed


def _without_note(raw: Json) -> Json:
    return {k: v for k, v in raw.items() if k != "note"}
