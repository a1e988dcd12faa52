"""Contact <-> Encounter (profile hvol-encounter; FHIR R4 https://hl7.org/fhir/R4/encounter.html).

R4 `Encounter.basedOn` allows only ServiceRequest, so a contact links to its traject through
`Encounter.episodeOfCare` -> the traject's EpisodeOfCare (same traject identifier as the CarePlan), which
every R4 server can search (`Encounter?episode-of-care=`). The caller knows both ends: `to_fhir` takes the
EpisodeOfCare reference, `from_fhir` the CarePlan reference (see mappings/MAPPING.md).

The buddy is the participant typed PPRF + careteam-role#buddy; everyone else present is typed PART (other
participants an EHR adds are neither read nor touched).
`class` is FLD for face-to-face, VR otherwise; `length` (minutes) is derived and not read back.
A planned contact that did not take place (issue 14) has status `cancelled` and the extensions
SD:missed-reason (why) and SD:cancelled-by (who called it off); a contact with her network (intake,
progress meeting) has SD:network-contact. Other extensions stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fhir.resources.R4B.encounter import Encounter

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.errors import MissingElement
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import Contact

EXT_MISSED = f"{t.BASE}/StructureDefinition/missed-reason"
EXT_CANCELLED_BY = f"{t.BASE}/StructureDefinition/cancelled-by"
EXT_NETWORK = f"{t.BASE}/StructureDefinition/network-contact"
_OURS = (EXT_MISSED, EXT_CANCELLED_BY, EXT_NETWORK)

_KEYS = (
    "extension",
    "identifier",
    "status",
    "class",
    "type",
    "subject",
    "episodeOfCare",
    "participant",
    "period",
    "length",
    "location",
)


def _buddy_type() -> f.Json:
    return {
        "coding": [
            {"system": t.V3_PARTICIPATION_TYPE, "code": t.PARTICIPATION_PPRF},
            {"system": t.cs_url(c.CARETEAM_ROLE), "code": c.ROLE_BUDDY},
        ]
    }


def _is_buddy(participant: f.Json) -> bool:
    return any(
        f.has_coding(cc, t.cs_url(c.CARETEAM_ROLE), c.ROLE_BUDDY) for cc in participant.get("type") or []
    )


def _is_present(participant: f.Json) -> bool:
    return any(
        f.has_coding(cc, t.V3_PARTICIPATION_TYPE, t.PARTICIPATION_PART)
        for cc in participant.get("type") or []
    )


def _minutes(contact: Contact) -> int | float:
    minutes = contact.duration.total_seconds() / 60
    return int(minutes) if minutes.is_integer() else round(minutes, 2)


def _to_dict(contact: Contact, episode: str) -> f.Json:
    klass = (
        t.ENCOUNTER_CLASS_FIELD
        if contact.contact_type == c.CONTACT_FACE_TO_FACE
        else t.ENCOUNTER_CLASS_VIRTUAL
    )
    present = [
        {
            "type": [{"coding": [{"system": t.V3_PARTICIPATION_TYPE, "code": t.PARTICIPATION_PART}]}],
            "individual": f.ref(r),
        }
        for r in contact.present
    ]
    extensions = [
        {"url": url, "valueCoding": f.coding(cs_id, code, field)}
        for url, cs_id, code, field in (
            (EXT_MISSED, c.MISSED_REASON, contact.missed_reason, "Contact.missed_reason"),
            (EXT_CANCELLED_BY, c.CONTACT_PARTY, contact.cancelled_by, "Contact.cancelled_by"),
            (EXT_NETWORK, c.NETWORK_CONTACT, contact.network, "Contact.network"),
        )
        if code
    ]
    return f.prune(
        {
            **f.ours("Encounter", contact.id, t.P_ENCOUNTER, "contact", contact.identifier),
            "extension": extensions,
            "status": contact.status,
            "class": {"system": t.V3_ACTCODE, "code": klass},
            "type": [f.concept(c.CONTACT_TYPE, contact.contact_type, "Contact.contact_type")],
            "subject": f.ref(contact.patient),
            "episodeOfCare": [f.ref(episode)],
            "participant": [{"type": [_buddy_type()], "individual": f.ref(contact.buddy)}, *present],
            "period": f.period(contact.start, contact.end),
            "length": {"value": _minutes(contact), "unit": "min", "system": t.UCUM, "code": "min"},
            "location": [{"location": {"display": f.fhir_string(contact.location, "Contact.location")}}]
            if contact.location
            else None,
        }
    )


def to_fhir(contact: Contact, *, episode: str) -> Encounter:
    """`episode`: reference to the traject's EpisodeOfCare, e.g. "EpisodeOfCare/123"."""
    return f.parse_as(Encounter, _to_dict(contact, episode))


def from_fhir(model: Any, *, traject: str) -> Contact:
    """`traject`: reference to the CarePlan whose EpisodeOfCare this Encounter belongs to."""
    return from_json(f.as_dict("Encounter", model), traject=traject)


def from_json(data: f.Json, *, traject: str) -> Contact:
    """The mapping on Encounter JSON as a FHIR server sends it, without the fhir.resources round trip of
    :func:`from_fhir` (the timeline reads hundreds of contacts; parsing each costs more than fetching it).
    Same rules and errors; the Contact dataclass validates the values."""
    participants = data.get("participant") or []
    buddies = [p for p in participants if _is_buddy(p)]
    if not buddies:
        raise MissingElement(
            "Het contactmoment heeft geen ervaringsmaatje als deelnemer.", field="Encounter.participant"
        )
    buddy_at = participants.index(buddies[0])
    present = tuple(
        f.ref_value(p.get("individual"), f"Encounter.participant[{i}].individual")
        for i, p in enumerate(participants)
        if i != buddy_at and _is_present(p) and p.get("individual")
    )
    per = f.need(data, "period", "Encounter")
    location = next(
        (
            x["location"]["display"]
            for x in data.get("location") or []
            if (x.get("location") or {}).get("display")
        ),
        None,
    )
    return Contact(
        identifier=f.identifier_value(data, "contact", "Encounter"),
        traject=traject,
        patient=f.ref_value(f.need(data, "subject", "Encounter"), "Encounter.subject"),
        buddy=f.ref_value(buddies[0].get("individual"), f"Encounter.participant[{buddy_at}].individual"),
        start=f.instant(per.get("start"), "Encounter.period.start"),
        end=f.instant(per.get("end"), "Encounter.period.end"),
        contact_type=f.code(data.get("type"), c.CONTACT_TYPE, "Encounter.type"),
        present=present,
        location=location,
        status=str(data.get("status")),
        missed_reason=_ext_code(data, EXT_MISSED, c.MISSED_REASON),
        cancelled_by=_ext_code(data, EXT_CANCELLED_BY, c.CONTACT_PARTY),
        network=_ext_code(data, EXT_NETWORK, c.NETWORK_CONTACT),
        id=data.get("id"),
    )


def _ext_code(data: f.Json, url: str, cs_id: str) -> str | None:
    for i, ext in enumerate(data.get("extension") or []):
        if isinstance(ext, dict) and ext.get("url") == url:
            # valueCoding is a bare Coding: read it as the one coding of a concept
            return f.code({"coding": [ext.get("valueCoding") or {}]}, cs_id, f"Encounter.extension[{i}]")
    return None


def _merge_extensions(old: list[f.Json] | None, new: list[f.Json] | None) -> list[f.Json]:
    return [e for e in old or [] if e.get("url") not in _OURS] + list(new or [])


def _merge_participants(old: list[f.Json] | None, new: list[f.Json] | None) -> list[f.Json]:
    # Matched on the person; the buddy entry keeps any extra type codings another system added.
    def key(p: f.Json) -> Any:
        return (p.get("individual") or {}).get("reference")

    def merge(o: f.Json, n: f.Json) -> f.Json:
        ours = (t.V3_PARTICIPATION_TYPE, t.cs_url(c.CARETEAM_ROLE))
        foreign = [cc for cc in o.get("type") or [] if not any(f.has_coding(cc, s) for s in ours)]
        types = [*n.get("type", []), *foreign]
        return {**o, "type": types, "individual": f.merge_ref(o.get("individual"), n.get("individual"))}

    # Only the buddy and the PART entries are ours; other participants (an interpreter ...) stay.
    return f.merge_matched(old, new, lambda p: _is_buddy(p) or _is_present(p), key, merge)


_MERGES: Final[Mapping[str, f.Merge]] = {
    "extension": _merge_extensions,
    "identifier": f.merge_identifiers,
    "type": lambda o, n: f.merge_codeable_list(o, n, [t.cs_url(c.CONTACT_TYPE)]),
    "subject": f.merge_ref,
    "episodeOfCare": f.merge_ref_list,
    "participant": _merge_participants,
    "location": lambda o, n: n if n is not None else [x for x in o or [] if "reference" in x["location"]],
}


def update_fhir(existing: Any, contact: Contact, *, episode: str) -> Encounter:
    return f.update(Encounter, existing, _to_dict(contact, episode), _KEYS, _MERGES, profile=t.P_ENCOUNTER)
