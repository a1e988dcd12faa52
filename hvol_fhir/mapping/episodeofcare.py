"""Traject -> EpisodeOfCare (profile hvol-episodeofcare; https://hl7.org/fhir/R4/episodeofcare.html).

The EpisodeOfCare exists so that contacts can point at their traject with a standard, searchable R4
element (`Encounter.episodeOfCare`, search parameter `episode-of-care`). It carries the same traject
identifier as the CarePlan, so `EpisodeOfCare?identifier=<sid/traject>|<uuid>` finds it. It is derived from
the Traject; the domain is read from the CarePlan, so there is no `from_fhir` beyond the identifier.
"""

from __future__ import annotations

from typing import Any, Final

from fhir.resources.R4B.episodeofcare import EpisodeOfCare

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.programme.model import Traject

# CarePlan.status -> EpisodeOfCare.status (R4 episode-of-care-status).
STATUS: Final = {
    "draft": "planned",
    "active": "active",
    "on-hold": "onhold",
    "completed": "finished",
    "revoked": "cancelled",
    "entered-in-error": "entered-in-error",
    "unknown": "active",
}
_KEYS = ("identifier", "status", "type", "patient", "period", "team")


def _to_dict(traject: Traject, episode_id: str | None) -> f.Json:
    first, last = (traject.phases[0], traject.phases[-1]) if traject.phases else (None, None)
    end = last.end if last is not None and STATUS[traject.status] in ("finished", "cancelled") else None
    return f.prune(
        {
            **f.ours("EpisodeOfCare", episode_id, t.P_EPISODE, "traject", traject.identifier),
            "status": STATUS[traject.status],
            "type": [f.concept(t.PROGRAMME, t.PROGRAMME_CODE, "Traject")],
            "patient": f.ref(traject.patient),
            "period": f.period(first.start if first else traject.created, end),
            "team": [f.ref(traject.care_team)] if traject.care_team else None,
        }
    )


def to_fhir(traject: Traject, *, episode_id: str | None = None) -> EpisodeOfCare:
    return f.parse_as(EpisodeOfCare, _to_dict(traject, episode_id))


def traject_identifier(model: Any) -> str:
    return f.identifier_value(f.as_dict("EpisodeOfCare", model), "traject", "EpisodeOfCare")


def update_fhir(existing: Any, traject: Traject) -> EpisodeOfCare:
    old = f.as_dict("EpisodeOfCare", existing)
    merged = f.overlay(
        old,
        _to_dict(traject, old.get("id")),
        _KEYS,
        {
            "identifier": f.merge_identifiers,
            "type": lambda o, n: f.merge_codeable_list(o, n, [t.cs_url(t.PROGRAMME)]),
            "patient": f.merge_ref,
            "team": f.merge_ref_list,
        },
    )
    merged["meta"] = f.with_profile(old.get("meta"), t.P_EPISODE)
    return f.parse_as(EpisodeOfCare, merged)
