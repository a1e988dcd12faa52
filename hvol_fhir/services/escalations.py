"""Escalations against the EHR (P-POLICE, P-SAFETY, P-DANGER consultation, opschalen): raise, list, handle,
scale up. The rules are in hvol_fhir.programme.rules.escalation; this module only reads and writes.

One escalation is one Task, so each write changes one resource: raising is a conditional create on the
client-generated identifier (a double submit or a retry writes nothing twice); handling and scaling up are
updates with ``If-Match`` (a second handler meets a VersionConflict, never a silent overwrite). The client
seals the kind and message on the way out and opens them on the way in for the roles that may
(hvol_fhir.privacy.access.SEALED_KINDS); who sees which escalation is decided by the rules module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from hvol_fhir import terminology as t
from hvol_fhir.ehr import FhirClient, bundle
from hvol_fhir.errors import HvolError, NotFound
from hvol_fhir.fhirjson import Json
from hvol_fhir.mapping import escalation as mapping
from hvol_fhir.privacy import audit
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.rules.escalation import Escalation
from hvol_fhir.repository import searches as s
from hvol_fhir.repository.reads import TASK_PATIENT, traject_token
from hvol_fhir.services import audit as policy

log = logging.getLogger(__name__)

READ_NOT_RECORDED = (
    "De meldingen worden nu niet getoond: de app kon niet vastleggen dat u ze opent, en zonder die "
    "vastlegging laat de app ze niet zien. Probeer het over een paar minuten opnieuw."
)


@dataclass(frozen=True)
class Stored:
    """An escalation with the raw Task it came from (its version is needed to update it)."""

    escalation: Escalation
    raw: Json

    @property
    def version(self) -> str | None:
        return (self.raw.get("meta") or {}).get("versionId")


def _condition(e: Escalation) -> str:
    return f"{bundle.identifier_condition(t.sid('task'), e.identifier)}&{TASK_PATIENT}={e.patient}"


def raise_escalation(client: FhirClient, escalation: Escalation) -> tuple[bool, str]:
    """(created, Task/<id>): False when this identifier was saved before (a resend of the same form)."""
    result = client.create(mapping.to_json(escalation), if_none_exist=_condition(escalation))
    return result.created, result.reference or ""


def list_for_traject(client: FhirClient, patient: str, traject_identifier: str) -> list[Stored]:
    """The traject's escalations as this user's token may read them (the server hides them from staff).

    A Task that does not open or does not map (sealed under another key, damaged by hand) is left out rather
    than shown half: it carries nothing the to-do list could act on."""
    params = {
        TASK_PATIENT: patient,
        "focus:CarePlan.identifier": traject_token(traject_identifier),
        "code": f"{t.cs_url(c.TASK_KIND)}|{c.TASK_ESCALATION}",
        "_count": "100",
    }
    out: list[Stored] = []
    for raw in s.all_matches([client.search("Task", params)]):
        if not mapping.is_escalation(raw):
            continue
        try:
            out.append(Stored(mapping.from_json(raw), raw))
        except (HvolError, KeyError, ValueError, TypeError) as exc:
            # The reason's code only: never the content (it may be half-opened text).
            log.info("escalation unreadable: %s %s", type(exc).__name__, getattr(exc, "code", ""))
            continue
    return out


def find(stored: list[Stored], identifier: str) -> Stored:
    for item in stored:
        if item.escalation.identifier == identifier:
            return item
    raise NotFound("Deze escalatie bestaat niet of u heeft er geen toegang toe.", field="escalation")


def save(client: FhirClient, stored: Stored, changed: Escalation, *, version: str | None = None) -> Json:
    """Write a handled or scaled-up escalation with If-Match on the version the user saw."""
    body = mapping.update_json(stored.raw, changed)
    return client.update(body, if_match=version or stored.version)


def record_read(client: FhirClient, *, user: str, patient: str, shown: list[Stored], now: datetime) -> None:
    """Call before a page shows escalations: their kind and message are sealed content about the girl, so
    reading them leaves an AuditEvent as a journal read does (services.audit: written before anything is
    returned; when it cannot be written, nothing is shown). Nothing shown, nothing to record. The to-do
    lists (start pages, overview) show no kind and no message and record nothing."""
    refs = [f"Task/{x.raw['id']}" for x in shown if x.raw.get("id")]
    if not refs:
        return
    try:
        policy.record_read(client, [audit.journal_read(user, patient, refs, now)])
    except policy.AuditUnavailable:
        raise policy.AuditUnavailable(READ_NOT_RECORDED) from None
