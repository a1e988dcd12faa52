"""CareTeam (domain) <-> CareTeam (profile hvol-careteam; https://hl7.org/fhir/R4/careteam.html).

Each member is a `participant` with a `role` from careteam-role, `member`, `period`. The SKJ registration
number is the member's identifier in the Reference (system .../NamingSystem/skj-registratienummer); the
professional responsible for a buddy without SKJ registration (P-RESP) is the extension
responsible-professional. R4 CareTeam cannot point at a CarePlan (the CarePlan points here, `careTeam`),
so `from_fhir` takes the traject reference from the caller. Participants without a programme role
(another system's) are neither read nor touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fhir.resources.R4B.careteam import CareTeam as FhirCareTeam

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.model import CareTeam, CareTeamMember

_KEYS = ("identifier", "status", "category", "subject", "participant")


def _responsible_url() -> str:
    return t.profile_url(t.EXT_RESPONSIBLE)


def _participant(i: int, m: CareTeamMember) -> f.Json:
    member: f.Json = {"reference": m.member}
    if m.skj_number is not None:
        member["identifier"] = {"system": t.SKJ_SYSTEM, "value": m.skj_number}
    out = f.prune(
        {
            "role": [f.concept(c.CARETEAM_ROLE, m.role, f"CareTeam.members[{i}].role")],
            "member": member,
            "period": f.period(m.start, m.end),
        }
    )
    if m.responsible_professional is not None:
        out["extension"] = [{"url": _responsible_url(), "valueReference": f.ref(m.responsible_professional)}]
    return out


def _to_dict(team: CareTeam) -> f.Json:
    return f.prune(
        {
            **f.ours("CareTeam", team.id, t.P_CARETEAM, "careteam", team.identifier),
            "status": "active",
            "category": [f.concept(t.PROGRAMME, t.PROGRAMME_CODE, "CareTeam")],
            "subject": f.ref(team.patient),
            "participant": [_participant(i, m) for i, m in enumerate(team.members)],
        }
    )


def to_fhir(team: CareTeam) -> FhirCareTeam:
    return f.parse_as(FhirCareTeam, _to_dict(team))


def _is_programme(p: f.Json) -> bool:
    return any(f.has_coding(cc, t.cs_url(c.CARETEAM_ROLE)) for cc in p.get("role") or [])


def from_fhir(model: Any, *, traject: str | None = None) -> CareTeam:
    data = f.as_dict("CareTeam", model)
    members = []
    for i, p in enumerate(data.get("participant") or []):
        if not _is_programme(p):
            continue
        path = f"CareTeam.participant[{i}]"
        member = f.need(p, "member", path)
        skj = member.get("identifier") or {}
        responsible = next(
            (e.get("valueReference") for e in p.get("extension") or [] if e.get("url") == _responsible_url()),
            None,
        )
        per = p.get("period") or {}
        members.append(
            CareTeamMember(
                member=f.ref_value(member, f"{path}.member"),
                role=f.code(p.get("role"), c.CARETEAM_ROLE, f"{path}.role"),
                skj_number=skj.get("value") if skj.get("system") == t.SKJ_SYSTEM else None,
                responsible_professional=f.ref_value(responsible, f"{path}.extension")
                if responsible
                else None,
                start=f.opt_instant(per.get("start"), f"{path}.period.start"),
                end=f.opt_instant(per.get("end"), f"{path}.period.end"),
            )
        )
    return CareTeam(
        identifier=f.identifier_value(data, "careteam", "CareTeam"),
        patient=f.ref_value(f.need(data, "subject", "CareTeam"), "CareTeam.subject"),
        members=tuple(members),
        traject=traject,
        id=data.get("id"),
    )


def _merge_participant(o: f.Json, n: f.Json) -> f.Json:
    out = dict(o)
    out["role"] = f.merge_codeable_list(o.get("role"), n.get("role"), [t.cs_url(c.CARETEAM_ROLE)])
    member = dict(f.merge_ref(o.get("member"), n.get("member")) or {})
    if "identifier" not in n["member"] and (member.get("identifier") or {}).get("system") == t.SKJ_SYSTEM:
        del member["identifier"]  # the SKJ number was removed in the domain
    out["member"] = member
    f.put_or_drop(out, "period", n.get("period"))
    f.put_or_drop(out, "extension", f.merge_extensions(o, n, _responsible_url()))
    return out


def _merge_participants(old: list[f.Json] | None, new: list[f.Json] | None) -> list[f.Json]:
    def key(p: f.Json) -> Any:
        codes = [
            cd.get("code")
            for cc in p.get("role") or []
            for cd in cc.get("coding") or []
            if cd.get("system") == t.cs_url(c.CARETEAM_ROLE)
        ]
        return (p.get("member") or {}).get("reference"), tuple(codes[:1])

    return f.merge_matched(old, new, _is_programme, key, _merge_participant)


_MERGES: Final[Mapping[str, f.Merge]] = {
    "identifier": f.merge_identifiers,
    "status": lambda o, n: o or n,  # the EHR may suspend a team; that is not the programme's call
    "category": lambda o, n: f.merge_codeable_list(o, n, [t.cs_url(t.PROGRAMME)]),
    "subject": f.merge_ref,
    "participant": _merge_participants,
}


def update_fhir(existing: Any, team: CareTeam) -> FhirCareTeam:
    return f.update(FhirCareTeam, existing, _to_dict(team), _KEYS, _MERGES, profile=t.P_CARETEAM)
