"""InclusionAssessment <-> Observation (profile hvol-inclusion-assessment; https://hl7.org/fhir/R4/observation.html).

The behavioural scientist's assessment (P-ASSESS): `valueBoolean` says whether the criteria are met,
components hold the victim category (P-CAT), each contra-indication (P-CONTRA) and the birth date the age
was computed from (P-AGE); `effectiveDateTime` is the assessment (inclusion) date, `performer` the
assessor, `basedOn` the traject's CarePlan. Codes from CodeSystem assessment-item.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fhir.resources.R4B.observation import Observation

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.errors import MissingElement
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import InclusionAssessment

ITEMS: Final = "assessment-item"
_KEYS = (
    "identifier",
    "status",
    "basedOn",
    "code",
    "subject",
    "effectiveDateTime",
    "performer",
    "valueBoolean",
    "component",
)


def _item(code: str) -> f.Json:
    return f.concept(ITEMS, code, "InclusionAssessment")


def _to_dict(a: InclusionAssessment) -> f.Json:
    components = [
        {
            "code": _item("victim-category"),
            "valueCodeableConcept": f.concept(c.VICTIM_CATEGORY, a.category, "InclusionAssessment.category"),
        },
        *(
            {
                "code": _item("contra-indication"),
                "valueCodeableConcept": f.concept(
                    c.CONTRA_INDICATION, ci, f"InclusionAssessment.contra_indications[{i}]"
                ),
            }
            for i, ci in enumerate(a.contra_indications)
        ),
        {"code": _item("birth-date"), "valueDateTime": f.iso(a.birth_date)},
    ]
    return f.prune(
        {
            **f.ours("Observation", a.id, t.P_INCLUSION, "inclusion-assessment", a.identifier),
            "basedOn": [f.ref(a.traject)],
            "status": "final",
            "code": _item("inclusion-assessment"),
            "subject": f.ref(a.patient),
            "effectiveDateTime": f.iso(a.assessed_on),
            "performer": [f.ref(a.assessor)],
            "valueBoolean": a.criteria_met,
            "component": components,
        }
    )


def to_fhir(assessment: InclusionAssessment) -> Observation:
    return f.parse_as(Observation, _to_dict(assessment))


def _components(data: f.Json, item: str) -> list[tuple[int, f.Json]]:
    return [
        (i, comp)
        for i, comp in enumerate(data.get("component") or [])
        if f.has_coding(comp.get("code"), t.cs_url(ITEMS), item)
    ]


def from_fhir(model: Any) -> InclusionAssessment:
    data = f.as_dict("Observation", model)
    if not f.has_coding(data.get("code"), t.cs_url(ITEMS), "inclusion-assessment"):
        raise MissingElement("Dit is geen inclusiebeoordeling van het programma.", field="Observation.code")
    categories = _components(data, "victim-category")
    births = _components(data, "birth-date")
    if not categories:
        raise MissingElement("De slachtoffercategorie ontbreekt.", field="Observation.component")
    if not births:
        raise MissingElement("De gebruikte geboortedatum ontbreekt.", field="Observation.component")
    if not isinstance(data.get("valueBoolean"), bool):
        raise MissingElement("Het oordeel (voldoet wel of niet) ontbreekt.", field="Observation.valueBoolean")
    i, cat = categories[0]
    j, birth = births[0]
    based_on = f.need(data, "basedOn", "Observation")
    performers = f.need(data, "performer", "Observation")
    return InclusionAssessment(
        identifier=f.identifier_value(data, "inclusion-assessment", "Observation"),
        traject=f.ref_value(based_on[0], "Observation.basedOn[0]"),
        patient=f.ref_value(f.need(data, "subject", "Observation"), "Observation.subject"),
        assessor=f.ref_value(performers[0], "Observation.performer[0]"),
        assessed_on=f.need_day(data.get("effectiveDateTime"), "Observation.effectiveDateTime"),
        birth_date=f.need_day(birth.get("valueDateTime"), f"Observation.component[{j}].valueDateTime"),
        category=f.code(
            cat.get("valueCodeableConcept"),
            c.VICTIM_CATEGORY,
            f"Observation.component[{i}].valueCodeableConcept",
        ),
        contra_indications=tuple(
            f.code(
                comp.get("valueCodeableConcept"),
                c.CONTRA_INDICATION,
                f"Observation.component[{k}].valueCodeableConcept",
            )
            for k, comp in _components(data, "contra-indication")
        ),
        criteria_met=data["valueBoolean"],
        id=data.get("id"),
    )


def _merge_components(old: list[f.Json] | None, new: list[f.Json] | None) -> list[f.Json]:
    # Ours are recognised by their assessment-item code; components another system added stay.
    kept = [comp for comp in old or [] if not f.has_coding(comp.get("code"), t.cs_url(ITEMS))]
    return [*(new or []), *kept]


_MERGES: Final[Mapping[str, f.Merge]] = {
    "identifier": f.merge_identifiers,
    "basedOn": f.merge_ref_list,
    "code": lambda o, n: f.merge_codeable(o, n, t.cs_url(ITEMS)),
    "subject": f.merge_ref,
    "performer": f.merge_ref_list,
    "component": _merge_components,
}


def update_fhir(existing: Any, assessment: InclusionAssessment) -> Observation:
    return f.update(Observation, existing, _to_dict(assessment), _KEYS, _MERGES, profile=t.P_INCLUSION)
