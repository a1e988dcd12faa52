"""JournalAccess <-> AuditEvent (profile hvol-journal-auditevent; https://hl7.org/fhir/R4/auditevent.html).

IHE BALP style (https://profiles.ihe.net/ITI/BALP/): RESTful events are type `rest` with the interaction
as subtype; a disclosure is DICOM 110106 (Export) with subtype iso-21089-lifecycle#disclose. Agents: the
app (DICOM 110150, not the requestor) and the user (requestor, with `purposeOfUse`). Entities: the youth
(object-role 1) and each journal resource (object-role 4). Identifiers only, never content. The event is
restricted itself (V + compartment), so only journal readers see who read what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from fhir.resources.R4B.auditevent import AuditEvent

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.errors import InvalidInput, MissingElement, UnknownCode
from hvol_fhir.mapping import labels

ACTIONS: Final = {
    "create": "C",
    "read": "R",
    "vread": "R",
    "update": "U",
    "delete": "D",
    "search-type": "E",
    "disclose": "R",
}
OUTCOMES: Final = frozenset({"0", "4", "8", "12"})
ISO_LIFECYCLE: Final = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
DICOM_EXPORT: Final = "110106"
DICOM_APPLICATION: Final = "110150"
_PATIENT_ROLE, _DATA_ROLE = "1", "4"
_PATIENT_TYPE, _DATA_TYPE = "1", "2"


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalAccess:
    """One read, write, search or disclosure of journal data (who, when, which youth, why)."""

    interaction: str  # restful-interaction code or "disclose"
    recorded: datetime
    user: str  # reference of the person, e.g. "Practitioner/12"
    purpose: str  # v3-ActReason code, e.g. COC, BTG, THREAT
    patient: str
    entities: tuple[str, ...] = ()  # references of the journal resources
    outcome: str = "0"
    app: str = "hvol-fhir"
    id: str | None = None

    def __post_init__(self) -> None:
        if self.interaction not in ACTIONS:
            raise UnknownCode("Onbekende soort handeling voor de audit.", field="JournalAccess.interaction")
        if self.outcome not in OUTCOMES:
            raise UnknownCode("Onbekende uitkomst voor de audit.", field="JournalAccess.outcome")
        if self.recorded.tzinfo is None:
            raise InvalidInput("Het tijdstip heeft geen tijdzone.", field="JournalAccess.recorded")


def _to_dict(event: JournalAccess) -> f.Json:
    disclose = event.interaction == "disclose"
    user_role = "AUT" if ACTIONS[event.interaction] in ("C", "U", "D") else t.PARTICIPATION_IRCP
    return f.prune(
        {
            "resourceType": "AuditEvent",
            "id": event.id,
            "meta": {"profile": [t.profile_url(t.P_AUDIT)], "security": labels.restricted_meta_labels()},
            "type": {"system": t.DICOM, "code": DICOM_EXPORT}
            if disclose
            else {"system": t.AUDIT_EVENT_TYPE, "code": "rest"},
            "subtype": [
                {"system": ISO_LIFECYCLE, "code": "disclose"}
                if disclose
                else {"system": t.RESTFUL_INTERACTION, "code": event.interaction}
            ],
            "action": ACTIONS[event.interaction],
            "recorded": f.iso(event.recorded),
            "outcome": event.outcome,
            "agent": [
                {
                    "type": {"coding": [{"system": t.DICOM, "code": DICOM_APPLICATION}]},
                    "who": {"display": event.app},
                    "requestor": False,
                },
                {
                    "type": {"coding": [{"system": t.V3_PARTICIPATION_TYPE, "code": user_role}]},
                    "who": f.ref(event.user),
                    "requestor": True,
                    "purposeOfUse": [{"coding": [{"system": t.V3_ACTREASON, "code": event.purpose}]}],
                },
            ],
            "source": {
                "observer": {"display": event.app},
                "type": [{"system": t.SECURITY_SOURCE_TYPE, "code": "4"}],  # application server
            },
            "entity": [
                {
                    "what": f.ref(event.patient),
                    "type": {"system": t.AUDIT_ENTITY_TYPE, "code": _PATIENT_TYPE},
                    "role": {"system": t.OBJECT_ROLE, "code": _PATIENT_ROLE},
                },
                *(
                    {
                        "what": f.ref(e),
                        "type": {"system": t.AUDIT_ENTITY_TYPE, "code": _DATA_TYPE},
                        "role": {"system": t.OBJECT_ROLE, "code": _DATA_ROLE},
                    }
                    for e in event.entities
                ),
            ],
        }
    )


def to_fhir(event: JournalAccess) -> AuditEvent:
    return f.parse_as(AuditEvent, _to_dict(event))


def from_fhir(model: Any) -> JournalAccess:
    data = f.as_dict("AuditEvent", model)
    subtype = (data.get("subtype") or [{}])[0]
    interaction = "disclose" if subtype.get("system") == ISO_LIFECYCLE else subtype.get("code")
    requestor = next((a for a in data.get("agent") or [] if a.get("requestor")), None)
    if requestor is None:
        raise MissingElement("De audit noemt niet wie de gegevens opvroeg.", field="AuditEvent.agent")
    purpose = next(
        (
            c.get("code")
            for cc in requestor.get("purposeOfUse") or []
            for c in cc.get("coding") or []
            if c.get("system") == t.V3_ACTREASON
        ),
        None,
    )
    if purpose is None:
        raise MissingElement("De audit noemt geen doel.", field="AuditEvent.agent.purposeOfUse")
    patients: list[str] = []
    entities: list[str] = []
    for i, e in enumerate(data.get("entity") or []):
        target = f.ref_value(e.get("what"), f"AuditEvent.entity[{i}].what")
        (patients if (e.get("role") or {}).get("code") == _PATIENT_ROLE else entities).append(target)
    if not patients:
        raise MissingElement("De audit noemt de jongere niet.", field="AuditEvent.entity")
    return JournalAccess(
        interaction=str(interaction),
        recorded=f.instant(data.get("recorded"), "AuditEvent.recorded"),
        user=f.ref_value(requestor.get("who"), "AuditEvent.agent.who"),
        purpose=purpose,
        patient=patients[0],
        entities=tuple(entities),
        outcome=data.get("outcome", "0"),
        app=(data.get("source") or {}).get("observer", {}).get("display", "hvol-fhir"),
        id=data.get("id"),
    )
