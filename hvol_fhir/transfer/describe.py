"""Short Dutch descriptions of resources for the preview: what it is and when, never what it says.

A journal entry is described by its date and kind only; no payload, no narrative, no BSN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from hvol_fhir import terminology as t

from ..programme import codes as c
from .coverage import is_disclosure, is_participation

_TYPE_NL: Final = {
    "Patient": "Jongere",
    "Practitioner": "Zorgverlener",
    "PractitionerRole": "Functie van een zorgverlener",
    "RelatedPerson": "Naaste",
    "Organization": "Organisatie",
    "CarePlan": "Traject",
    "EpisodeOfCare": "Zorgperiode van het traject",
    "CareTeam": "Team rond de jongere",
    "Encounter": "Contact",
    "Communication": "Verslag uit het contactjournaal",
    "Consent": "Toestemming",
    "Observation": "Inclusiebeoordeling",
    "QuestionnaireResponse": "Meting",
    "Task": "Taak",
    "AuditEvent": "Logregel (wie het contactjournaal inzag of deelde)",
    "Provenance": "Herkomstregistratie",
}


def _date(value: Any) -> str:
    if not isinstance(value, str) or len(value) < 10:
        return ""
    year, month, day = value[:4], value[5:7], value[8:10]
    return f"{day}-{month}-{year}"


def _code_display(concepts: Any, cs_id: str) -> str:
    system = t.cs_url(cs_id)
    for cc in concepts if isinstance(concepts, list) else [concepts]:
        for coding in (cc or {}).get("coding") or []:
            if coding.get("system") == system and t.is_valid(cs_id, str(coding.get("code"))):
                return t.display(cs_id, coding["code"])
    return ""


def _name(resource: Mapping[str, Any]) -> str:
    for name in resource.get("name") or []:
        if name.get("text"):
            return str(name["text"])
        parts = [*(name.get("given") or []), name.get("family") or ""]
        if any(parts):
            return " ".join(p for p in parts if p)
    return ""


def describe(resource: Mapping[str, Any]) -> str:
    rtype = str(resource.get("resourceType"))
    head = _TYPE_NL.get(rtype, rtype)
    if rtype in ("Patient", "Practitioner", "RelatedPerson"):
        name = _name(resource)
        return f"{head}: {name}" if name else head
    if rtype == "CarePlan":
        phase = ""
        for activity in resource.get("activity") or []:
            detail = activity.get("detail") or {}
            if detail.get("status") in ("in-progress", "not-started", "scheduled"):
                phase = _code_display(detail.get("code"), c.TRAJECT_PHASE) or phase
        status = {"active": "loopt", "completed": "afgesloten", "draft": "in voorbereiding"}.get(
            str(resource.get("status")), str(resource.get("status"))
        )
        return f"{head} ({status}{', fase ' + phase.lower() if phase else ''}), met alle fasen"
    if rtype == "CareTeam":
        return f"{head} ({len(resource.get('participant') or [])} leden)"
    if rtype == "Encounter":
        kind = _code_display(resource.get("type"), c.CONTACT_TYPE)
        minutes = (resource.get("length") or {}).get("value")
        when = _date((resource.get("period") or {}).get("start"))
        extra = f", {int(minutes)} min" if isinstance(minutes, (int, float)) else ""
        return f"{head} {when}{' – ' + kind.lower() if kind else ''}{extra}"
    if rtype == "Communication":
        kind = _code_display(resource.get("category"), c.JOURNAL_KIND)
        return f"{kind or head} {_date(resource.get('sent'))}".strip()
    if rtype == "Consent":
        what = (
            "deelname aan het programma"
            if is_participation(resource)
            else ("delen van verslagen uit het contactjournaal" if is_disclosure(resource) else "overig")
        )
        status = "" if resource.get("status") == "active" else " (niet meer geldig)"
        return f"{head}: {what} {_date(resource.get('dateTime'))}{status}".replace("  ", " ")
    if rtype == "Observation":
        return f"{head} {_date(resource.get('effectiveDateTime'))}".strip()
    if rtype == "QuestionnaireResponse":
        return f"{head} {_date(resource.get('authored'))}".strip()
    if rtype == "Task":
        return f"{head}: {_code_display(resource.get('code'), c.TASK_KIND) or 'overig'}"
    if rtype == "AuditEvent":
        return f"{head} {_date(resource.get('recorded'))}".strip()
    return head
