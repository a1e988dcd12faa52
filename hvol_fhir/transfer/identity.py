"""How the receiver recognises each resource: by identifier, never by the sender's server id.

R4 transactions (https://hl7.org/fhir/R4/http.html#trules) match with ``ifNoneExist`` and point with
conditional references (``Patient?identifier=system|value``); the Dutch receiver expects the BSN for the
youth where present and national or provider numbers for professionals (reference/dutch-context.md §1, §3).
Pure functions; no I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from hvol_fhir import terminology as t

from ..ehr.bundle import identifier_condition
from .errors import NoUsableIdentifier

BSN: Final = "http://fhir.nl/fhir/NamingSystem/bsn"
PSEUDO_BSN: Final = "http://fhir.nl/fhir/NamingSystem/pseudo-bsn"
UZI_PERSON: Final = "http://fhir.nl/fhir/NamingSystem/uzi-nr-pers"
BIG: Final = "http://fhir.nl/fhir/NamingSystem/big"
AGB: Final = "http://fhir.nl/fhir/NamingSystem/agb-z"
# Identifier system of the tag that makes a transfer's own records (Provenance, Task, AuditEvent) findable,
# so a repeat matches them (``_tag`` is searchable on every resource; Provenance has no identifier).
TRANSFER_TAG: Final = t.sid("transfer")
# For a resource that carries no identifier at all (e.g. a QuestionnaireResponse from another app): a stable
# one derived from the sender's base URL and id, so a repeat still matches.
SOURCE_RESOURCE: Final = t.sid("source-resource")
_NS: Final = uuid.UUID("0b8f1d64-7a53-4c55-b3a8-6f5b8e8a2c11")

# First match wins. Patient: BSN, then the provider's own youth number (never a pseudo-BSN: it is temporary).
_PREFERRED: Final[Mapping[str, tuple[str, ...]]] = {
    "Patient": (BSN, t.sid("youth")),
    "Practitioner": (UZI_PERSON, BIG, AGB, t.sid("practitioner")),
    "CarePlan": (t.sid("traject"),),
    "EpisodeOfCare": (t.sid("traject"),),
    "CareTeam": (t.sid("careteam"),),
    "Encounter": (t.sid("contact"),),
    "Communication": (t.sid("journal-entry"),),
    "Consent": (t.sid("consent"),),
    "Observation": (t.sid("inclusion-assessment"),),
    "Task": (t.sid("task"),),
}
_LABEL_NL: Final = {
    "Patient": "de jongere",
    "Practitioner": "een zorgverlener of ervaringsmaatje",
}


def identifiers_of(resource: Mapping[str, Any]) -> list[dict[str, str]]:
    """``identifier`` as a list of (system, value) dicts; QuestionnaireResponse has a single one."""
    raw = resource.get("identifier")
    items: Sequence[Any] = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    return [
        {"system": i["system"], "value": i["value"]}
        for i in items
        if isinstance(i, dict) and isinstance(i.get("system"), str) and isinstance(i.get("value"), str)
    ]


def derived_identifier(source_base: str, resource_type: str, resource_id: str) -> dict[str, str]:
    return {
        "system": SOURCE_RESOURCE,
        "value": str(uuid.uuid5(_NS, f"{source_base.rstrip('/')}/{resource_type}/{resource_id}")),
    }


def match_identifier(resource: Mapping[str, Any], *, strict: bool = True) -> dict[str, str] | None:
    """The identifier the receiver matches ``resource`` on.

    ``strict`` (Patient, Practitioner): only the preferred systems count, and none raises NoUsableIdentifier.
    Otherwise the first identifier with a system and value, or None.
    """
    rtype = str(resource.get("resourceType"))
    found = identifiers_of(resource)
    for system in _PREFERRED.get(rtype, ()):
        for ident in found:
            if ident["system"] == system:
                return ident
    if rtype in _LABEL_NL and strict:
        raise NoUsableIdentifier(
            f"Voor {_LABEL_NL[rtype]} is geen bruikbaar kenmerk (BSN of organisatienummer) "
            f"vastgelegd, dus de "
            "ontvangende organisatie kan niet zeker weten om wie het gaat. Leg eerst een kenmerk vast.",
            field=f"{rtype}.identifier",
        )
    usable = [i for i in found if i["system"] != PSEUDO_BSN]
    return usable[0] if usable else None


def condition(ident: Mapping[str, str]) -> str:
    """``identifier=system|value`` (escaped) for ``ifNoneExist``."""
    return identifier_condition(ident["system"], ident["value"])


def conditional_reference(resource_type: str, ident: Mapping[str, str]) -> str:
    """``Type?identifier=system|value``: resolved by the receiver inside the transaction."""
    return f"{resource_type}?{condition(ident)}"


def tag_condition(code: str) -> str:
    return "_tag=" + identifier_condition(TRANSFER_TAG, code).removeprefix("identifier=")


def transfer_key(target: str, traject: str, conditions: Sequence[str]) -> str:
    """One transfer = one target, one traject, one set of resources: the same key on a repeat."""
    text = "\n".join([target.rstrip("/"), traject, *sorted(conditions)])
    return str(uuid.uuid5(_NS, text))
