"""ConsentGrant <-> Consent (profiles hvol-participation-consent, hvol-disclosure-consent;
https://hl7.org/fhir/R4/consent.html), patterns A and B of ../shared/reference/security-labels.md §4.

Both: scope patient-privacy, root provision `deny` with one nested `permit` holding the recipient (actor
IRCP), the period and the entries (`data`, meaning instance); the youth's own words on the purpose are the
extension disclosure-purpose-text on that permit. Participation (LOINC 59284-0) permits collect/access/use
of Communications in the programme compartment for care coordination (COC). Disclosure (LOINC 64292-6)
permits `disclose` for a purpose of use (PATRQT by default; SUPNWK, FAMRQT, THREAT). Both carry the
restricted labels (V + compartment): a Consent reveals the programme.

The recipient of a disclosure (issue 14, the guide's §4.7) is the permit's actor: a literal reference to a
RelatedPerson of the youth or a Practitioner, with the name as `display`; or an organisation known by name
only (the municipality, the next placement) as a logical Reference, `type` Organization plus `display`, so no
Organization resource is made for one share. The whole actor is sealed (``sealing.fields``: kind
disclosure); the server keeps only the role IRCP and a placeholder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fhir.resources.R4B.consent import Consent

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.errors import MissingElement, UnknownCode
from hvol_fhir.mapping import labels
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import ConsentGrant

_KEYS = (
    "identifier",
    "status",
    "scope",
    "category",
    "patient",
    "dateTime",
    "performer",
    "policy",
    "provision",
)
_LOINC = {
    c.CONSENT_PARTICIPATION: t.LOINC_PRIVACY_CONSENT,
    c.CONSENT_DISCLOSURE: t.LOINC_RELEASE_OF_INFORMATION,
}
_PROFILE = {c.CONSENT_PARTICIPATION: t.P_PARTICIPATION_CONSENT, c.CONSENT_DISCLOSURE: t.P_DISCLOSURE_CONSENT}
# Managed parts of the nested permit; anything else there (another system's) is kept on update.
_PERMIT_KEYS = ("type", "period", "actor", "action", "securityLabel", "purpose", "class", "data")


def _ircp() -> f.Json:
    return {"coding": [{"system": t.V3_PARTICIPATION_TYPE, "code": t.PARTICIPATION_IRCP}]}


def _actor_ref(grant: ConsentGrant) -> f.Json | None:
    if grant.recipient is None:
        # An organisation by name only: a logical reference (R4 Reference.type + display, no resource).
        return (
            None
            if grant.recipient_name is None
            else {"type": "Organization", "display": grant.recipient_name}
        )
    return f.prune({"reference": grant.recipient, "display": grant.recipient_name})


def _permit(grant: ConsentGrant, purpose_of_use: str | None) -> f.Json:
    actor = _actor_ref(grant)
    if actor is None:
        raise MissingElement(
            "Geef aan wie de gegevens mag ontvangen (het team).", field="ConsentGrant.recipient"
        )
    participation = grant.kind == c.CONSENT_PARTICIPATION
    actions: tuple[str, ...]
    if participation:
        actions = t.ACTIONS_PARTICIPATION
        purpose = t.PURPOSE_CARE_COORDINATION
    else:
        actions = (t.ACTION_DISCLOSE,)
        purpose = purpose_of_use or t.PURPOSE_PATIENT_REQUEST
        if purpose not in t.DISCLOSURE_PURPOSES:
            raise UnknownCode("Onbekend doel van delen.", field="ConsentGrant.purpose_of_use")
    permit = f.prune(
        {
            "type": "permit",
            "period": f.period(grant.start, grant.end),
            "actor": [{"role": _ircp(), "reference": actor}],
            "action": [{"coding": [{"system": t.CONSENT_ACTION, "code": a}]} for a in actions],
            "securityLabel": [labels.compartment().coding()] if participation else None,
            "purpose": [{"system": t.V3_ACTREASON, "code": purpose}],
            "class": [{"system": t.RESOURCE_TYPES, "code": "Communication"}] if participation else None,
            "data": [{"meaning": "instance", "reference": f.ref(e)} for e in grant.entries],
        }
    )
    if grant.purpose is not None:
        permit["extension"] = [
            {
                "url": t.profile_url(t.EXT_PURPOSE_TEXT),
                "valueString": f.fhir_string(grant.purpose, "ConsentGrant.purpose"),
            }
        ]
    return permit


def _to_dict(grant: ConsentGrant, purpose_of_use: str | None) -> f.Json:
    return f.prune(
        {
            "resourceType": "Consent",
            "id": grant.id,
            "meta": {
                "profile": [t.profile_url(_PROFILE[grant.kind])],
                "security": labels.restricted_meta_labels(),
            },
            "identifier": [f.identifier("consent", grant.identifier)],
            "status": grant.status,
            "scope": {"coding": [{"system": t.CONSENT_SCOPE, "code": t.SCOPE_PATIENT_PRIVACY}]},
            "category": [{"coding": [{"system": t.LOINC, "code": _LOINC[grant.kind]}]}],
            "patient": f.ref(grant.patient),
            "dateTime": f.iso(grant.recorded),
            "performer": [f.ref(grant.granted_by)],
            "policy": [{"uri": f"{t.BASE}/policy/{grant.kind}"}],
            "provision": {"type": "deny", "provision": [_permit(grant, purpose_of_use)]},
        }
    )


def to_fhir(grant: ConsentGrant, *, purpose_of_use: str | None = None) -> Consent:
    """`purpose_of_use`: v3-ActReason code of a disclosure (default PATRQT, the youth's own request)."""
    return f.parse_as(Consent, _to_dict(grant, purpose_of_use))


def _kind(data: f.Json) -> str:
    for kind, loinc in _LOINC.items():
        if any(f.has_coding(cc, t.LOINC, loinc) for cc in data.get("category") or []):
            return kind
    raise MissingElement("Het soort toestemming (LOINC-categorie) ontbreekt.", field="Consent.category")


def _find_permit(data: f.Json) -> tuple[int, f.Json]:
    nested = (data.get("provision") or {}).get("provision") or []
    for i, p in enumerate(nested):
        if p.get("type") == "permit":
            return i, p
    raise MissingElement("De toestemming (permit) ontbreekt.", field="Consent.provision.provision")


def from_fhir(model: Any) -> ConsentGrant:
    data = f.as_dict("Consent", model)
    kind = _kind(data)
    i, permit = _find_permit(data)
    path = f"Consent.provision.provision[{i}]"
    actor = next(
        (
            a.get("reference")
            for a in permit.get("actor") or []
            if f.has_coding(a.get("role"), t.V3_PARTICIPATION_TYPE, t.PARTICIPATION_IRCP)
        ),
        None,
    )
    # An organisation by name carries type Organization; a display alone (the sealed placeholder a session
    # without the disclosure kind sees) names nobody.
    by_name = isinstance(actor, dict) and actor.get("type") == "Organization" and actor.get("display")
    if not isinstance(actor, dict) or not (actor.get("reference") or by_name):
        raise MissingElement("De ontvanger (actor IRCP) ontbreekt.", field=f"{path}.actor")
    recipient = f.ref_value(actor, f"{path}.actor.reference") if actor.get("reference") else None
    display = actor.get("display")
    purpose = next(
        (
            e.get("valueString")
            for e in permit.get("extension") or []
            if e.get("url") == t.profile_url(t.EXT_PURPOSE_TEXT)
        ),
        None,
    )
    per = permit.get("period") or {}
    performers = f.need(data, "performer", "Consent")
    return ConsentGrant(
        identifier=f.identifier_value(data, "consent", "Consent"),
        kind=kind,
        patient=f.ref_value(f.need(data, "patient", "Consent"), "Consent.patient"),
        granted_by=f.ref_value(performers[0], "Consent.performer[0]"),
        recorded=f.instant(data.get("dateTime"), "Consent.dateTime"),
        status=data["status"],
        start=f.opt_instant(per.get("start"), f"{path}.period.start"),
        end=f.opt_instant(per.get("end"), f"{path}.period.end"),
        entries=tuple(
            f.ref_value(d.get("reference"), f"{path}.data[{j}].reference")
            for j, d in enumerate(permit.get("data") or [])
        ),
        recipient=recipient,
        purpose=purpose,
        id=data.get("id"),
        recipient_name=display if isinstance(display, str) and display.strip() else None,
    )


def purpose_code(model: Any) -> str | None:
    """The v3-ActReason purpose of the permit (not part of the domain grant)."""
    _, permit = _find_permit(f.as_dict("Consent", model))
    return next(
        (p.get("code") for p in permit.get("purpose") or [] if p.get("system") == t.V3_ACTREASON), None
    )


def _merge_permit(old: f.Json, new: f.Json) -> f.Json:
    merged = f.overlay(old, new, _PERMIT_KEYS, {})
    f.put_or_drop(merged, "extension", f.merge_extensions(old, new, t.profile_url(t.EXT_PURPOSE_TEXT)))
    return merged


def _merge_provision(old: f.Json | None, new: f.Json | None) -> f.Json | None:
    if not old or new is None:
        return new
    out = {**old, "type": new["type"]}
    nested = list(old.get("provision") or [])
    at = next((i for i, p in enumerate(nested) if p.get("type") == "permit"), None)
    if at is None:
        nested.append(new["provision"][0])
    else:
        nested[at] = _merge_permit(nested[at], new["provision"][0])
    out["provision"] = nested
    return out


_MERGES: Final[Mapping[str, f.Merge]] = {
    "identifier": f.merge_identifiers,
    "category": lambda o, n: f.merge_codeable_list(o, n, [t.LOINC]),
    "patient": f.merge_ref,
    "performer": f.merge_ref_list,
    "policy": lambda o, n: o or n,
    "provision": _merge_provision,
}


def update_fhir(existing: Any, grant: ConsentGrant, *, purpose_of_use: str | None = None) -> Consent:
    old = f.as_dict("Consent", existing)
    if purpose_of_use is None and grant.kind == c.CONSENT_DISCLOSURE:
        try:
            kept = purpose_code(old)  # keep the purpose the grant was recorded with
        except MissingElement:
            kept = None
        purpose_of_use = kept if kept in t.DISCLOSURE_PURPOSES else None
    new = _to_dict(grant, purpose_of_use)
    merged = f.overlay(old, new, _KEYS, _MERGES)
    meta = f.with_profile(old.get("meta"), _PROFILE[grant.kind])
    meta = labels.merge_labels(meta, {**meta, "security": new["meta"]["security"]})
    return f.updated(Consent, merged, meta, grant.id)
