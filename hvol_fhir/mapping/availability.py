"""AvailabilityAgreement (P-AVAIL) <-> one activity of the traject's CarePlan (profile hvol-careplan).

    activity.detail.code            CS:careplan-activity#availability (finds the activity)
    activity.detail.status          in-progress (an ended agreement would be stopped/cancelled: read as none)
    activity.detail.scheduledTiming repeat.dayOfWeek, timeOfDay (start, local time), duration in min
    activity.detail.performer       the buddy who is reachable
    activity.detail.description     her short note
    activity.detail.extension       SD:availability-channel (valueCoding, one per channel) and
                                    SD:availability-matter (valueCoding, one per matter)

No R4 element of CarePlan.activity.detail means "channel" or "for which matters" (reasonCode is why the
activity exists, product[x] is what is handed out), hence the two extensions (mappings/MAPPING.md).
Writing replaces only what this module maps: other activities (phases, another system's), extensions and
codings on the activity or its detail stay as they were.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from fhir.resources.R4B.careplan import CarePlan

from hvol_fhir import fhirjson as f
from hvol_fhir import terminology as t
from hvol_fhir.errors import InvalidInput, MissingElement, UnknownCode
from hvol_fhir.programme import availability as a

EXT_CHANNEL = f"{t.BASE}/StructureDefinition/availability-channel"
EXT_MATTER = f"{t.BASE}/StructureDefinition/availability-matter"
_OURS = (EXT_CHANNEL, EXT_MATTER)
_ENDED = frozenset({"stopped", "cancelled", "entered-in-error", "completed"})
_UNIT_MINUTES = {"min": 1, "h": 60}


def is_availability(activity: f.Json) -> bool:
    code = (activity.get("detail") or {}).get("code")
    return f.has_coding(code, t.cs_url(a.CAREPLAN_ACTIVITY), a.ACTIVITY_AVAILABILITY)


def _ext(url: str, cs_id: str, code: str, field: str) -> f.Json:
    return {"url": url, "valueCoding": f.coding(cs_id, code, field)}


def to_activity(agreement: a.AvailabilityAgreement) -> f.Json:
    """The activity as plain JSON (validated codes, displays from mappings/)."""
    extensions = [_ext(EXT_CHANNEL, a.AVAILABILITY_CHANNEL, ch, "channels") for ch in agreement.channels]
    extensions += [_ext(EXT_MATTER, a.AVAILABILITY_MATTER, m, "matters") for m in agreement.matters]
    detail = f.prune(
        {
            "extension": extensions,
            "code": f.concept(a.CAREPLAN_ACTIVITY, a.ACTIVITY_AVAILABILITY, "AvailabilityAgreement"),
            "status": "in-progress",
            "scheduledTiming": {
                "repeat": {
                    "dayOfWeek": list(agreement.days),
                    "timeOfDay": [agreement.start.strftime("%H:%M:00")],
                    "duration": agreement.minutes,
                    "durationUnit": "min",
                }
            },
            "performer": [f.ref(agreement.buddy)] if agreement.buddy else None,
            "description": f.fhir_string(agreement.note, "note") if agreement.note else None,
        }
    )
    return {"detail": detail}


def _codes(extensions: list[f.Json], url: str, cs_id: str, path: str) -> tuple[str, ...]:
    found: list[str] = []
    for i, ext in enumerate(extensions):
        if ext.get("url") != url:
            continue
        coding = ext.get("valueCoding") or {}
        code = coding.get("code")
        if (
            coding.get("system") != t.cs_url(cs_id)
            or not isinstance(code, str)
            or not t.is_valid(cs_id, code)
        ):
            raise UnknownCode(
                "Onbekende code in het FHIR-bericht.", field=f"{path}.extension[{i}].valueCoding"
            )
        found.append(code)
    return tuple(found)


def _time_of_day(value: Any, path: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("Ongeldige tijd in het FHIR-bericht.", field=path, code="invalid-fhir") from None


def from_activity(activity: f.Json, path: str = "CarePlan.activity") -> a.AvailabilityAgreement:
    detail = activity.get("detail") or {}
    repeat = (detail.get("scheduledTiming") or {}).get("repeat") or {}
    where = f"{path}.detail.scheduledTiming.repeat"
    times = repeat.get("timeOfDay") or []
    if not times or repeat.get("duration") is None:
        raise MissingElement("Dag of tijd van de bereikbaarheid ontbreekt.", field=f"{where}.timeOfDay")
    start = _time_of_day(times[0], f"{where}.timeOfDay[0]")
    per = _UNIT_MINUTES.get(str(repeat.get("durationUnit")))
    if per is None:
        raise InvalidInput("Onbekende eenheid van duur.", field=f"{where}.durationUnit", code="invalid-fhir")
    minutes = start.hour * 60 + start.minute + round(float(repeat["duration"]) * per)
    if not 0 < minutes < 24 * 60:
        raise InvalidInput("De bereikbaarheid loopt over middernacht.", field=f"{where}.duration")
    extensions = detail.get("extension") or []
    performers = detail.get("performer") or []
    return a.AvailabilityAgreement(
        days=tuple(repeat.get("dayOfWeek") or ()),
        start=start,
        end=time(minutes // 60, minutes % 60),
        channels=_codes(extensions, EXT_CHANNEL, a.AVAILABILITY_CHANNEL, f"{path}.detail"),
        matters=_codes(extensions, EXT_MATTER, a.AVAILABILITY_MATTER, f"{path}.detail"),
        note=detail.get("description"),
        buddy=f.ref_value(performers[0], f"{path}.detail.performer[0]") if performers else None,
    )


def from_careplan(model: Any) -> a.AvailabilityAgreement | None:
    """The first current agreement on a CarePlan (model, dict or JSON), or None when there is none."""
    found = all_from_careplan(model)
    return found[0] if found else None


def all_from_careplan(model: Any) -> tuple[a.AvailabilityAgreement, ...]:
    """Every current agreement (one per matter, issue 14), in the order stored."""
    data = f.as_dict("CarePlan", model)
    return tuple(
        from_activity(activity, f"CarePlan.activity[{i}]")
        for i, activity in enumerate(data.get("activity") or [])
        if is_availability(activity) and (activity.get("detail") or {}).get("status") not in _ENDED
    )


def _merge_extensions(old: list[f.Json] | None, new: list[f.Json] | None) -> list[f.Json]:
    return [e for e in old or [] if e.get("url") not in _OURS] + list(new or [])


def _merge(old: f.Json, new: f.Json) -> f.Json:
    detail = f.overlay(
        old.get("detail") or {},
        new["detail"],
        ["extension", "code", "status", "scheduledTiming", "performer", "description"],
        {
            "extension": _merge_extensions,
            "code": lambda o, n: f.merge_codeable(o, n, t.cs_url(a.CAREPLAN_ACTIVITY)),
        },
    )
    return {**old, "detail": detail}


def update_fhir(existing: Any, agreement: a.AvailabilityAgreement) -> CarePlan:
    """`existing` with its availability activity added or replaced (in place); everything else kept."""
    return update_fhir_all(existing, (agreement,))


def update_fhir_all(existing: Any, agreements: tuple[a.AvailabilityAgreement, ...]) -> CarePlan:
    """`existing` with one availability activity per agreement (per matter): the stored ones are reused in
    place, in order (their other extensions and codings stay), extra ones appended, left-over ones dropped
    (an agreement no longer made would otherwise still read as current). Everything else is kept."""
    data = f.as_dict("CarePlan", existing)
    new = [to_activity(ag) for ag in agreements]
    activities: list[f.Json] = []
    for activity in data.get("activity") or []:
        if not is_availability(activity):
            activities.append(activity)
        elif new:
            activities.append(_merge(activity, new.pop(0)))
    activities.extend(new)
    return f.parse_as(CarePlan, {**data, "activity": activities})
