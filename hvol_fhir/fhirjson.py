"""FHIR R4 resources as plain JSON: the one ``Json`` alias of the library, and small pure helpers shared by
the mappers and everyone who handles resources (repository, sealing, measurements, transfer): parsing without
pydantic tracebacks, references, codings, times, and the merge rules that let `update_fhir` change only the
mapped elements.

The mappers build plain JSON dicts and parse them into fhir.resources R4B models (the closest to R4 4.0.1
that fhir.resources 8 ships); reading goes the other way, from a model (or dict/JSON) to the domain.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar, cast

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from hvol_fhir import terminology as t
from hvol_fhir.errors import InvalidInput, MissingElement, UnknownCode

R = TypeVar("R", bound=Resource)
Json = dict[str, Any]
# How one element is merged: (what the EHR has, what we map) -> what is written.
Merge = Callable[[Any, Any], Any]


def _loc(error: dict[str, Any], resource_type: str) -> str:
    parts = [resource_type]
    for p in error.get("loc", ()):
        if isinstance(p, int):
            parts[-1] += f"[{p}]"
        elif p != "__root__":
            parts.append(str(p))
    return ".".join(parts)


def _json_or_none(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def parse(resource_type: str, data: Any) -> Resource:
    """An R4B model from a dict, JSON text or model; InvalidInput instead of a pydantic error."""
    if isinstance(data, Resource):
        data = dump(data)
    if isinstance(data, (str, bytes)):
        data = _json_or_none(data)
        if data is None:
            raise InvalidInput("Dit is geen geldige JSON.", field=resource_type, code="invalid-json")
    if not isinstance(data, dict):
        raise InvalidInput("Dit is geen FHIR-resource.", field=resource_type, code="not-a-resource")
    found = data.get("resourceType")
    if found != resource_type:
        raise InvalidInput(
            f"Verwacht een {resource_type}, maar kreeg iets anders.", field=resource_type, code="wrong-type"
        )
    cls = get_fhir_model_class(resource_type)
    try:
        return cast(Resource, cls.model_validate(data))
    except ValidationError as exc:
        first = dict(exc.errors()[0])
    # Raised outside the except block, so no pydantic error travels along as __context__.
    field = _loc(first, resource_type)
    if first.get("type") == "missing":
        raise MissingElement("Een verplicht gegeven ontbreekt in het FHIR-bericht.", field=field)
    raise InvalidInput(
        "Het FHIR-bericht klopt niet op dit punt (verkeerd type, ongeldige waarde of onbekend element).",
        field=field,
        code="invalid-fhir",
    )


def parse_as(cls: type[R], data: Any) -> R:
    """`parse`, typed by the model class the caller wants."""
    model = parse(cls.get_resource_type(), data)
    if not isinstance(model, cls):
        raise TypeError(f"{type(model).__name__} is not {cls.__name__}")
    return model


def dump(model: Resource) -> Json:
    """The model as a JSON-ready dict (FHIR JSON names, no nulls)."""
    return json.loads(model.model_dump_json(by_alias=True, exclude_none=True))  # type: ignore[no-any-return]


def as_dict(resource_type: str, data: Any) -> Json:
    return dump(parse(resource_type, data))


# ---- references
def ref(reference: str | None, **extra: Any) -> Json | None:
    return None if reference is None else {"reference": reference, **extra}


def ref_value(node: Any, path: str) -> str:
    """The literal reference of a Reference; MissingElement when there is none (identifier/display only)."""
    reference = node.get("reference") if isinstance(node, dict) else None
    if isinstance(reference, str) and reference:
        return reference
    raise MissingElement("Een verwijzing ontbreekt in het FHIR-bericht.", field=f"{path}.reference")


def opt_ref_value(node: Any, path: str) -> str | None:
    return None if node is None else ref_value(node, path)


def need(data: Json, key: str, path: str) -> Any:
    value = data.get(key)
    if value in (None, [], {}, ""):
        raise MissingElement("Een gegeven dat nodig is ontbreekt in het FHIR-bericht.", field=f"{path}.{key}")
    return value


# ---- identifiers
def identifier(what: str, value: str) -> Json:
    return {"system": t.sid(what), "value": value}


def ours(resource_type: str, resource_id: str | None, profile: str, kind: str, value: str) -> Json:
    """What every resource the programme writes starts with: its type, its id once the server gave it one,
    our profile and our business identifier (`identifier(kind, value)`)."""
    return {
        "resourceType": resource_type,
        "id": resource_id,
        "meta": with_profile(None, profile),
        "identifier": [identifier(kind, value)],
    }


def identifier_value(data: Json, what: str, path: str) -> str:
    for ident in data.get("identifier") or []:
        if ident.get("system") == t.sid(what) and ident.get("value"):
            return str(ident["value"])
    raise MissingElement(
        "De identificatie van het programma ontbreekt in het FHIR-bericht.", field=f"{path}.identifier"
    )


# ---- codes
def coding(cs_id: str, code: str, field: str) -> Json:
    if not t.load().is_valid(cs_id, code):
        raise UnknownCode("Onbekende code. Kies een waarde uit de lijst.", field=field)
    return t.load().coding(cs_id, code)


def concept(cs_id: str, code: str, field: str) -> Json:
    return {"coding": [coding(cs_id, code, field)]}


def opt_code(ccs: list[Json] | Json | None, cs_id: str, path: str) -> str | None:
    """The code of CodeSystem `cs_id` in one or more CodeableConcepts; other codings are ignored."""
    single = isinstance(ccs, dict)
    url = t.cs_url(cs_id)
    listed: list[Json] = [ccs] if isinstance(ccs, dict) else list(ccs or [])
    for i, cc in enumerate(listed):
        for j, c in enumerate(cc.get("coding") or []):
            if c.get("system") == url:
                code = c.get("code")
                if not t.load().is_valid(cs_id, code):
                    where = path if single else f"{path}[{i}]"
                    raise UnknownCode(
                        "Onbekende code in het FHIR-bericht.", field=f"{where}.coding[{j}].code"
                    )
                return str(code)
    return None


def code(ccs: list[Json] | Json | None, cs_id: str, path: str) -> str:
    found = opt_code(ccs, cs_id, path)
    if found is None:
        raise MissingElement("Een verplichte code ontbreekt in het FHIR-bericht.", field=path)
    return found


def has_coding(cc: Json | None, system: str, code: str | None = None) -> bool:
    return any(
        c.get("system") == system and (code is None or c.get("code") == code)
        for c in (cc or {}).get("coding") or []
    )


def fhir_string(value: str, field: str) -> str:
    """FHIR strings may hold no control characters but tab, CR and LF (R4 datatypes, `string`)."""
    if any(ord(ch) < 32 and ch not in "\t\r\n" or ord(ch) == 127 for ch in value):
        raise InvalidInput(
            "De tekst bevat onzichtbare stuurtekens die niet kunnen worden opgeslagen. Typ de tekst opnieuw "
            "of plak hem zonder opmaak.",
            field=field,
            code="control-characters",
        )
    return value


# ---- time
def iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def instant(value: Any, path: str) -> datetime:
    """An aware datetime from a parsed FHIR dateTime; a date or a time without zone is refused."""
    if value is None:
        raise MissingElement("Een tijdstip ontbreekt in het FHIR-bericht.", field=path)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput("Dit is geen geldig tijdstip.", field=path, code="not-a-datetime") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(
            "Het tijdstip mist een tijd of tijdzone in het FHIR-bericht.",
            field=path,
            code="imprecise-datetime",
        )
    return value


def opt_instant(value: Any, path: str) -> datetime | None:
    return None if value is None else instant(value, path)


def day(value: Any, path: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise InvalidInput("Dit is geen geldige datum.", field=path, code="not-a-date") from None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise InvalidInput("Dit is geen geldige datum.", field=path, code="not-a-date")


def need_day(value: Any, path: str) -> date:
    found = day(value, path)
    if found is None:
        raise MissingElement("Een datum ontbreekt in het FHIR-bericht.", field=path)
    return found


def period(start: datetime | None, end: datetime | None) -> Json | None:
    out = {k: v for k, v in (("start", iso(start)), ("end", iso(end))) if v is not None}
    return out or None


def prune(data: Json) -> Json:
    """Drop None values and empty lists/dicts at the top level (the builders use None for 'absent')."""
    return {k: v for k, v in data.items() if v not in (None, [], {})}


# ---- update: merge rules
def merge_codeable(old: Json | None, new: Json, system: str) -> Json:
    """`new`'s codings of `system`, plus whatever else `old` carried (other codings, text, extensions)."""
    if not old:
        return new
    kept = [c for c in old.get("coding") or [] if c.get("system") != system]
    mine = [c for c in new.get("coding") or [] if c.get("system") == system]
    merged = {**old, **{k: v for k, v in new.items() if k != "coding"}}
    merged["coding"] = mine + kept
    return merged


def merge_codeable_list(old: list[Json] | None, new: list[Json] | None, systems: Iterable[str]) -> list[Json]:
    """Replace the concepts of managed `systems` (keeping their foreign codings), keep the rest in place."""
    systems = list(systems)
    new_by_system = {s: cc for cc in new or [] for s in systems if has_coding(cc, s)}
    out: list[Json] = []
    used: set[str] = set()
    for cc in old or []:
        owner = next((s for s in systems if has_coding(cc, s)), None)
        if owner is None:
            out.append(cc)
        elif owner in new_by_system and owner not in used:
            out.append(merge_codeable(cc, new_by_system[owner], owner))
            used.add(owner)
    out.extend(cc for s, cc in new_by_system.items() if s not in used)
    return out


def merge_identifiers(old: list[Json] | None, new: list[Json] | None) -> list[Json]:
    """Ours (by system) updated in place, keeping their extras; everyone else's identifiers untouched."""
    new_by_system = {i.get("system"): i for i in new or []}
    out: list[Json] = []
    for ident in old or []:
        mine = new_by_system.pop(ident.get("system"), None)
        out.append({**ident, **mine} if mine is not None else ident)
    return out + list(new_by_system.values())


def merge_ref(old: Json | None, new: Json | None) -> Json | None:
    """Keep the old Reference (display, identifier, extensions) when it points at the same thing."""
    if new is None:
        return None
    if old and old.get("reference") == new.get("reference"):
        return {**old, **new}
    return new


def merge_ref_list(old: list[Json] | None, new: list[Json] | None) -> list[Json]:
    by_ref = {r.get("reference"): r for r in old or []}
    return [merge_ref(by_ref.get(r.get("reference")), r) or r for r in new or []]


def merge_matched(
    old: list[Json] | None,
    new: list[Json] | None,
    is_mine: Callable[[Json], bool],
    key: Callable[[Json], Any],
    merge: Callable[[Json, Json], Json],
) -> list[Json]:
    """Update a list whose items the mapping owns only partly.

    Items for which `is_mine` is false (another system's) stay where they are. Mine are matched by `key`
    to the new items and merged; unmatched old ones are removed (the domain dropped them), new ones appended.
    """
    new_left = list(new or [])
    out: list[Json] = []
    for item in old or []:
        if not is_mine(item):
            out.append(item)
            continue
        match = next((n for n in new_left if key(n) == key(item)), None)
        if match is not None:
            new_left.remove(match)
            out.append(merge(item, match))
    return out + new_left


def overlay(old: Json, new: Json, keys: Iterable[str], merges: Mapping[str, Merge]) -> Json:
    """`old` with the mapped `keys` taken from `new`: merged where a rule exists, removed when empty."""
    out = dict(old)
    for key in keys:
        rule = merges.get(key)
        put_or_drop(out, key, rule(old.get(key), new.get(key)) if rule else new.get(key))
    return out


def put_or_drop(data: Json, key: str, value: Any) -> None:
    """`data[key] = value`, or no `key` at all when the value is empty: FHIR JSON allows no empty elements."""
    if value in (None, [], {}):
        data.pop(key, None)
    else:
        data[key] = value


def merge_extensions(old: Json, new: Json, ours: str) -> list[Json]:
    """The extensions of `new`, after those of `old` with another url than `ours` (another system's stay)."""
    others = [e for e in old.get("extension") or [] if e.get("url") != ours]
    return [*others, *new.get("extension", [])]


def update(
    cls: type[R],
    existing: Any,
    new: Json,
    keys: Iterable[str],
    merges: Mapping[str, Merge],
    *,
    profile: str,
) -> R:
    """`existing` with only our mapped `keys` changed (`merges` says how, per element), our profile added and
    the id `new` has: what another system put in the resource stays."""
    old = as_dict(cls.get_resource_type(), existing)
    return updated(
        cls, overlay(old, new, keys, merges), with_profile(old.get("meta"), profile), new.get("id")
    )


def updated(cls: type[R], merged: Json, meta: Json, resource_id: str | None) -> R:
    """The last step of each mapping's update_fhir: the merged meta, our id once the resource has one, and
    the checked model."""
    out = {**merged, "meta": meta}
    if resource_id is not None:
        out["id"] = resource_id
    return parse_as(cls, out)


def with_profile(meta: Json | None, profile_id: str) -> Json:
    meta = dict(meta or {})
    url = t.profile_url(profile_id)
    profiles = list(meta.get("profile") or [])
    if url not in profiles:
        profiles.append(url)
    meta["profile"] = profiles
    return meta
