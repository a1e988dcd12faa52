"""Traject <-> CarePlan (profile hvol-careplan; FHIR R4 https://hl7.org/fhir/R4/careplan.html).

Phases are `activity.detail` with `code` from traject-phase, `status` and `scheduledPeriod`. The introduction
outcome (P-INTRO-OUTCOME) is the `outcomeCodeableConcept` of the last introduction activity, the closure
reason (P-CLOSE-REASON) the `detail.reasonCode` of the last closure activity, the victim category (P-CAT) a
second `category`. A restart (P-RESTART) `replaces` the earlier CarePlan. A pause (issue 14) is an
activity with `detail.code` careplan-activity#pause, `status` on-hold while open (completed after),
`scheduledPeriod` and `reasonCode` from pause-reason (sealed, as every non-availability reasonCode is).
The outflow (P-OUTFLOW) is an activity careplan-activity#outflow with `scheduledPeriod.start` the date and
`description` the destination (sealed, as every non-availability description is).
`period` is derived (first phase start, or `created`; end of the last phase once the traject is completed or
revoked) and not read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fhir.resources.R4B.careplan import CarePlan

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.errors import InvalidInput
from hvol_fhir.programme import codes as c
from hvol_fhir.programme.clock import utc
from hvol_fhir.programme.model import Outflow, Pause, PhasePeriod, Traject

CAREPLAN_ACTIVITY = "careplan-activity"
_CLOSED = frozenset({"completed", "revoked"})
_KEYS = ("identifier", "status", "intent", "category", "subject", "period", "created", "careTeam", "replaces")


def _last_index(phases: tuple[PhasePeriod, ...], phase: str) -> int | None:
    found = [i for i, p in enumerate(phases) if p.phase == phase]
    return found[-1] if found else None


def _activity(
    traject: Traject, i: int, phase: PhasePeriod, intro_at: int | None, close_at: int | None
) -> f.Json:
    detail = f.prune(
        {
            "code": f.concept(c.TRAJECT_PHASE, phase.phase, f"Traject.phases[{i}].phase"),
            "status": phase.status,
            "scheduledPeriod": f.period(phase.start, phase.end),
        }
    )
    if i == close_at and traject.closure_reason is not None:
        detail["reasonCode"] = [f.concept(c.CLOSURE_REASON, traject.closure_reason, "Traject.closure_reason")]
    activity: f.Json = {"detail": detail}
    if i == intro_at and traject.intro_outcome is not None:
        activity["outcomeCodeableConcept"] = [
            f.concept(c.INTRODUCTION_OUTCOME, traject.intro_outcome, "Traject.intro_outcome")
        ]
    return activity


def _pause_activity(i: int, p: Pause) -> f.Json:
    return {
        "detail": f.prune(
            {
                "code": f.concept(CAREPLAN_ACTIVITY, c.ACTIVITY_PAUSE, f"Traject.pauses[{i}]"),
                "reasonCode": [f.concept(c.PAUSE_REASON, p.reason, f"Traject.pauses[{i}].reason")]
                if p.reason
                else None,
                "status": "on-hold" if p.is_open else "completed",
                "scheduledPeriod": f.period(p.start, p.end),
            }
        )
    }


def _is_pause(activity: f.Json) -> bool:
    code = (activity.get("detail") or {}).get("code")
    return f.has_coding(code, t.cs_url(CAREPLAN_ACTIVITY), c.ACTIVITY_PAUSE)


def _is_outflow(activity: f.Json) -> bool:
    code = (activity.get("detail") or {}).get("code")
    return f.has_coding(code, t.cs_url(CAREPLAN_ACTIVITY), c.ACTIVITY_OUTFLOW)


def _is_ours(activity: f.Json) -> bool:
    """Activities this mapping writes anew on every update (pause, outflow)."""
    return _is_pause(activity) or _is_outflow(activity)


def _outflow_activity(o: Outflow) -> f.Json:
    return {
        "detail": f.prune(
            {
                "code": f.concept(CAREPLAN_ACTIVITY, c.ACTIVITY_OUTFLOW, "Traject.outflow"),
                "status": "scheduled",
                "scheduledPeriod": f.period(o.on, None),
                "description": o.destination,
            }
        )
    }


def _outflow_from(i: int, activity: f.Json) -> Outflow:
    detail = activity["detail"]
    start = (detail.get("scheduledPeriod") or {}).get("start")
    return Outflow(
        on=f.instant(start, f"CarePlan.activity[{i}].detail.scheduledPeriod.start"),
        destination=detail.get("description"),
    )


def _pause_from(i: int, activity: f.Json) -> Pause:
    path = f"CarePlan.activity[{i}].detail"
    detail = activity["detail"]
    scheduled = detail.get("scheduledPeriod") or {}
    return Pause(
        reason=f.opt_code(detail.get("reasonCode"), c.PAUSE_REASON, f"{path}.reasonCode"),
        start=f.instant(scheduled.get("start"), f"{path}.scheduledPeriod.start"),
        end=f.opt_instant(scheduled.get("end"), f"{path}.scheduledPeriod.end"),
    )


def _to_dict(traject: Traject) -> f.Json:
    intro_at = _last_index(traject.phases, c.PHASE_INTRODUCTION)
    close_at = _last_index(traject.phases, c.PHASE_CLOSURE)
    if traject.intro_outcome is not None and intro_at is None:
        raise InvalidInput(
            "Een uitkomst van de kennismaking kan pas worden vastgelegd als er een kennismakingsperiode is.",
            field="Traject.intro_outcome",
            code="no-introduction-phase",
        )
    if traject.closure_reason is not None and close_at is None:
        raise InvalidInput(
            "Een reden van afronding kan pas worden vastgelegd als het traject in de afronding is.",
            field="Traject.closure_reason",
            code="no-closure-phase",
        )
    categories = [f.concept(t.PROGRAMME, t.PROGRAMME_CODE, "Traject")]
    if traject.category is not None:
        categories.append(f.concept(c.VICTIM_CATEGORY, traject.category, "Traject.category"))
    first, last = (traject.phases[0], traject.phases[-1]) if traject.phases else (None, None)
    end = last.end if last is not None and traject.status in _CLOSED else None
    return f.prune(
        {
            **f.ours("CarePlan", traject.id, t.P_CAREPLAN, "traject", traject.identifier),
            "status": traject.status,
            "intent": "plan",
            "category": categories,
            "subject": f.ref(traject.patient),
            "period": f.period(first.start if first else traject.created, end),
            "created": f.iso(traject.created),
            "careTeam": [f.ref(traject.care_team)] if traject.care_team else None,
            "replaces": [f.ref(traject.replaces)] if traject.replaces else None,
            "activity": [
                *(_activity(traject, i, p, intro_at, close_at) for i, p in enumerate(traject.phases)),
                *(_pause_activity(i, p) for i, p in enumerate(traject.pauses)),
                *([_outflow_activity(traject.outflow)] if traject.outflow else []),
            ],
        }
    )


def to_fhir(traject: Traject) -> CarePlan:
    return f.parse_as(CarePlan, _to_dict(traject))


def _is_phase(activity: f.Json) -> bool:
    return f.has_coding((activity.get("detail") or {}).get("code"), t.cs_url(c.TRAJECT_PHASE))


def from_fhir(model: Any) -> Traject:
    """A Traject from a CarePlan (model, dict or JSON). Activities that are not phases are ignored."""
    data = f.as_dict("CarePlan", model)
    phases: list[PhasePeriod] = []
    intro_outcome: str | None = None
    closure_reason: str | None = None
    pauses: list[Pause] = []
    outflow: Outflow | None = None
    for i, activity in enumerate(data.get("activity") or []):
        if _is_pause(activity):
            pauses.append(_pause_from(i, activity))
        if _is_outflow(activity):
            outflow = _outflow_from(i, activity)
        if not _is_phase(activity):
            continue
        path = f"CarePlan.activity[{i}]"
        detail = activity["detail"]
        phase = f.code(detail.get("code"), c.TRAJECT_PHASE, f"{path}.detail.code")
        scheduled = detail.get("scheduledPeriod") or {}
        phases.append(
            PhasePeriod(
                phase=phase,
                start=f.instant(scheduled.get("start"), f"{path}.detail.scheduledPeriod.start"),
                end=f.opt_instant(scheduled.get("end"), f"{path}.detail.scheduledPeriod.end"),
                status=f.need(detail, "status", f"{path}.detail"),
            )
        )
        outcome = f.opt_code(
            activity.get("outcomeCodeableConcept"), c.INTRODUCTION_OUTCOME, f"{path}.outcomeCodeableConcept"
        )
        intro_outcome = outcome or intro_outcome
        reason = f.opt_code(detail.get("reasonCode"), c.CLOSURE_REASON, f"{path}.detail.reasonCode")
        closure_reason = reason or closure_reason
    care_teams = data.get("careTeam") or []
    replaces = data.get("replaces") or []
    return Traject(
        identifier=f.identifier_value(data, "traject", "CarePlan"),
        patient=f.ref_value(f.need(data, "subject", "CarePlan"), "CarePlan.subject"),
        created=f.instant(data.get("created"), "CarePlan.created"),
        status=data["status"],
        phases=tuple(phases),
        category=f.opt_code(data.get("category"), c.VICTIM_CATEGORY, "CarePlan.category"),
        care_team=f.ref_value(care_teams[0], "CarePlan.careTeam[0]") if care_teams else None,
        replaces=f.ref_value(replaces[0], "CarePlan.replaces[0]") if replaces else None,
        intro_outcome=intro_outcome,
        closure_reason=closure_reason,
        pauses=tuple(sorted(pauses, key=lambda p: utc(p.start))),
        outflow=outflow,
        id=data.get("id"),
    )


def _merge_activity(old: f.Json, new: f.Json) -> f.Json:
    outcome = f.merge_codeable_list(
        old.get("outcomeCodeableConcept"),
        new.get("outcomeCodeableConcept"),
        [t.cs_url(c.INTRODUCTION_OUTCOME)],
    )
    merged = f.overlay(old, {"outcomeCodeableConcept": outcome}, ["outcomeCodeableConcept"], {})
    detail = f.overlay(
        old.get("detail") or {},
        new["detail"],
        ["code", "status", "scheduledPeriod", "reasonCode"],
        {
            "code": lambda o, n: f.merge_codeable(o, n, t.cs_url(c.TRAJECT_PHASE)),
            "reasonCode": lambda o, n: f.merge_codeable_list(o, n, [t.cs_url(c.CLOSURE_REASON)]),
        },
    )
    merged["detail"] = detail
    return merged


def _merge_activities(old: list[f.Json] | None, new: list[f.Json] | None) -> list[f.Json]:
    """Phase activities are matched by position; pauses and the outflow are ours and written anew; other
    activities (another system's, the availability agreement) stay in place."""
    new_phases = [a for a in new or [] if not _is_ours(a)]
    new_pauses = [a for a in new or [] if _is_ours(a)]
    out: list[f.Json] = []
    k = 0
    for activity in old or []:
        if _is_ours(activity):
            continue
        if not _is_phase(activity):
            out.append(activity)
        elif k < len(new_phases):
            out.append(_merge_activity(activity, new_phases[k]))
            k += 1
    return out + new_phases[k:] + new_pauses


_MERGES: Final[Mapping[str, f.Merge]] = {
    "identifier": f.merge_identifiers,
    "category": lambda o, n: f.merge_codeable_list(
        o, n, [t.cs_url(t.PROGRAMME), t.cs_url(c.VICTIM_CATEGORY)]
    ),
    "subject": f.merge_ref,
    "careTeam": f.merge_ref_list,
    "replaces": f.merge_ref_list,
    "activity": _merge_activities,
}


def update_fhir(existing: Any, traject: Traject) -> CarePlan:
    """`existing` with only the mapped elements changed: extensions, other codings, identifiers, notes,
    activities and meta of other systems are kept."""
    return f.update(
        CarePlan, existing, _to_dict(traject), (*_KEYS, "activity"), _MERGES, profile=t.P_CAREPLAN
    )
